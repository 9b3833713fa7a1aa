"""Terraform configuration grouped by module directory, read with python-hcl2 (``tools.hcl.load``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.hcl import load

Body = dict[str, Any]


@dataclass(frozen=True)
class Block:
    """One labelled top-level block, e.g. resource "aws_lb" "this"."""

    kind: str  # resource, data, ephemeral, module, variable, output
    type: str  # resource or data source type; "" for module/variable/output
    name: str
    body: Body
    file: Path


@dataclass
class Module:
    """All .tf files of one directory."""

    path: Path
    blocks: list[Block] = field(default_factory=list)
    locals: Body = field(default_factory=dict)

    def of(self, kind: str, type_: str | None = None) -> list[Block]:
        return [b for b in self.blocks if b.kind == kind and (type_ is None or b.type == type_)]

    def one(self, kind: str, type_: str, name: str) -> Block:
        found = [b for b in self.of(kind, type_) if b.name == name]
        if len(found) != 1:
            raise KeyError(f"{kind} {type_}.{name} in {self.path}: {len(found)} found")
        return found[0]

    @property
    def variables(self) -> dict[str, Body]:
        return {b.name: b.body for b in self.of("variable")}

    @property
    def outputs(self) -> dict[str, Body]:
        return {b.name: b.body for b in self.of("output")}


def _typed_blocks(kind: str, entries: list[Body], file: Path) -> Iterator[Block]:
    for entry in entries:
        for type_, named in entry.items():
            for name, body in named.items():
                yield Block(kind, type_, name, body, file)


def load_module(path: Path) -> Module:
    module = Module(path)
    for file in sorted(path.glob("*.tf")):
        doc = load(file)
        for kind in ("resource", "data", "ephemeral"):
            module.blocks.extend(_typed_blocks(kind, doc.get(kind, []), file))
        for kind in ("module", "variable", "output"):
            for entry in doc.get(kind, []):
                for name, body in entry.items():
                    module.blocks.append(Block(kind, "", name, body, file))
        for entry in doc.get("locals", []):
            module.locals.update(entry)
    return module


def load_tree(root: Path) -> dict[Path, Module]:
    """Every directory under ``root`` that holds .tf files, keyed by its path."""
    dirs = sorted({f.parent for f in root.rglob("*.tf") if ".terraform" not in f.parts})
    return {d: load_module(d) for d in dirs}


def sub_blocks(body: Body, name: str) -> list[Body]:
    """Nested blocks ``name`` of a body, static ones and the content of dynamic ones."""
    found: list[Body] = [b for b in body.get(name, []) if isinstance(b, dict)]
    for dynamic in body.get("dynamic", []):
        if name in dynamic:
            found.extend(dynamic[name].get("content", []))
    return found


def walk(value: Any) -> Iterator[str]:
    """Every string anywhere in a parsed value (expressions are strings too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
