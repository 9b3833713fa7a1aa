"""Writes (or checks) the committed dashboard JSON of every engine.

python -m dashboard.generate          # rewrite dashboard/air-quality-<engine>.json
python -m dashboard.generate --check  # exit 1 when a committed file is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dashboard.engines import ENGINES, Engine
from dashboard.panels import dashboard

FOLDER = Path(__file__).resolve().parent


def path_for(engine: Engine) -> Path:
    return FOLDER / f"air-quality-{engine.key}.json"


def render(engine: Engine) -> str:
    """The dashboard of ``engine`` as committed: sorted keys, two-space indent, final newline."""
    return json.dumps(dashboard(engine), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for engine in ENGINES:
        path, text = path_for(engine), render(engine)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)} (run `make dashboard`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
