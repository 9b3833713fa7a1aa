"""Builds the token provisioner's Lambda package: ``python -m tools.lambda_zip OUT.zip``.

The zip holds the ``store_tokens`` package's modules only (the Lambda Python
runtime provides boto3, botocore and urllib3). It is byte-for-byte reproducible
(sorted entries, fixed timestamps and modes), so Terraform's source hash only
changes when the code does.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "store_tokens"
#: A fixed timestamp (the earliest a zip can hold), so that rebuilding changes nothing.
EPOCH = (1980, 1, 1, 0, 0, 0)


def sources(root: Path = REPO) -> list[Path]:
    """The package's modules, relative to the repository, in a stable order."""
    return sorted(path.relative_to(root) for path in (root / PACKAGE).rglob("*.py"))


def build(out: Path, root: Path = REPO) -> list[str]:
    """Writes the zip; returns the names it holds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    names = []
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sources(root):
            entry = zipfile.ZipInfo(path.as_posix(), date_time=EPOCH)
            entry.external_attr = 0o100644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, (root / path).read_bytes())
            names.append(entry.filename)
    partial.replace(out)
    return names


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tools.lambda_zip OUT.zip", file=sys.stderr)
        return 2
    names = build(Path(args[0]))
    print(f"{args[0]}: {len(names)} modules of {PACKAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
