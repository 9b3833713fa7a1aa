"""Prints the load test's settings as Locust's own parser reads them (run in a subprocess).

Reads ``{"args": [...], "env": {...}, "defaults": {...}}`` on stdin: the command
line, LOCUST_* variables, and values that replace the defaults in their home
modules before the locustfile is imported (``thresholds``: the fields of
``DEFAULT_THRESHOLDS``; ``loops``, ``time_scale``, ``drain_limit``: the
``DEFAULT_*`` constants of ``locustfiles.arrivals``). Prints the
``LoadSettings`` the locustfile builds from the parsed options, as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from types import SimpleNamespace
from typing import Any

from locust.argument_parser import get_parser

from locustfiles import arrivals, thresholds


def parse_options(args: Sequence[str]) -> argparse.Namespace:
    """The locustfile's options parsed by Locust's parser as on the command line.

    No configuration file is read, so only ``args`` and the environment count.
    """
    import locustfiles.dashboard_load  # noqa: F401  registers the locustfile's options

    options: argparse.Namespace = get_parser(default_config_files=[]).parse_args(list(args))
    return options


def replace_defaults(defaults: dict[str, Any]) -> None:
    """Sets new defaults in their home modules (before the locustfile imports them)."""
    if "locustfiles.dashboard_load" in sys.modules:
        raise RuntimeError("defaults must be replaced before the locustfile is imported")
    if "thresholds" in defaults:
        thresholds.DEFAULT_THRESHOLDS = thresholds.Thresholds(**defaults["thresholds"])  # type: ignore[misc]
    for name in ("loops", "time_scale", "drain_limit"):
        if name in defaults:
            setattr(arrivals, f"DEFAULT_{name.upper()}", defaults[name])


def main() -> None:
    request = json.load(sys.stdin)
    replace_defaults(request.get("defaults", {}))
    os.environ.update(request.get("env", {}))
    options = parse_options(request.get("args", []))

    from locustfiles.dashboard_load import LoadSettings

    settings = LoadSettings.from_environment(SimpleNamespace(parsed_options=options))  # type: ignore[arg-type]
    json.dump(asdict(settings), sys.stdout, default=str)


if __name__ == "__main__":
    main()
