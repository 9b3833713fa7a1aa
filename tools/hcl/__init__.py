"""HCL files (Terraform, Packer) read two ways.

HashiCorp's own parser, the Go HCL library compiled to WebAssembly (npm
``@cdktf/hcl2json``, pinned in this folder's package-lock.json and installed by
``make hcl-tools``), judges the syntax: ``syntax_errors`` and ``to_json`` run
``parse.js`` beside this file. python-hcl2 gives plain dicts to assert on:
``load`` and ``loads``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

PARSER = Path(__file__).resolve().parent / "parse.js"
SETUP_HINT = "run `make hcl-tools` (part of `make test`)"

# Plain values: strings without their quotes, blocks as lists of bodies, no comments.
_OPTIONS = SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)


class HclSyntaxError(ValueError):
    """HashiCorp's parser refused a file; the message names the file, line and column."""


def _hashicorp_parse(paths: list[Path]) -> dict[Path, dict[str, Any]]:
    """Each file's parse.js result: {"ok": True, "json": ...} or {"ok": False, "error": ...}."""
    if not paths:
        raise ValueError("no HCL file to parse")
    node = shutil.which("node")
    if node is None or not (PARSER.parent / "node_modules" / "@cdktf" / "hcl2json").is_dir():
        raise RuntimeError(f"node or @cdktf/hcl2json missing: {SETUP_HINT}")
    proc = subprocess.run(
        [node, str(PARSER), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{PARSER.name} failed: {proc.stderr.strip()}")
    try:
        answer = json.loads(proc.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(f"{PARSER.name} printed no complete report: {error}") from None
    report = {Path(name): result for name, result in answer.items()}
    if set(report) != set(paths):
        raise RuntimeError(f"{PARSER.name} answered for {sorted(report)}, not {sorted(paths)}")
    return report


def syntax_errors(paths: Iterable[Path]) -> dict[Path, str]:
    """The files HashiCorp's parser refuses, each with its message; {} when all parse."""
    report = _hashicorp_parse(list(paths))
    return {path: str(result["error"]) for path, result in report.items() if not result["ok"]}


def to_json(path: Path) -> dict[str, Any]:
    """One file as HashiCorp's parser reads it (hcl2json's JSON); HclSyntaxError if it cannot."""
    result = _hashicorp_parse([path])[path]
    if not result["ok"]:
        raise HclSyntaxError(result["error"])
    body: dict[str, Any] = result["json"]
    return body


def loads(text: str) -> dict[str, Any]:
    """HCL text as plain dicts (python-hcl2); expressions stay strings such as "${var.x}"."""
    return hcl2.loads(text, serialization_options=_OPTIONS)


def load(path: Path) -> dict[str, Any]:
    """One file as plain dicts (python-hcl2), see ``loads``."""
    return loads(path.read_text())
