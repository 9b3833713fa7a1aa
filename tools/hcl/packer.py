"""A Packer configuration folder read with python-hcl2 (``tools.hcl.load``).

Packer reads every ``*.pkr.hcl`` file of a folder as one configuration. A build
block uses a top-level source through ``sources = [...]`` or fills it in with a
build-level ``source "source.TYPE.NAME" {...}`` block, which may rename it and
add settings but not set one the top-level source already sets. A build's full
name, which ``packer build -only=...`` matches, is ``BUILD.TYPE.SOURCE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.hcl import load

Body = dict[str, Any]


@dataclass(frozen=True)
class Configuration:
    """All .pkr.hcl files of one folder, their top-level blocks gathered by kind."""

    folder: Path
    blocks: dict[str, list[Body]]

    @property
    def variables(self) -> dict[str, Body]:
        return {
            name: spec for entry in self.blocks.get("variable", []) for name, spec in entry.items()
        }

    @property
    def locals(self) -> Body:
        return {
            name: value for entry in self.blocks.get("locals", []) for name, value in entry.items()
        }

    def build(self, name: str) -> Body:
        found = [b for b in self.blocks.get("build", []) if b.get("name") == name]
        if len(found) != 1:
            raise KeyError(f"build {name!r} in {self.folder}: {len(found)} found")
        return found[0]

    def _top_level_source(self, reference: str) -> Body:
        kind, type_, name = reference.split(".")
        found = [e[type_][name] for e in self.blocks.get("source", []) if name in e.get(type_, {})]
        if kind != "source" or len(found) != 1:
            raise KeyError(f"{reference} in {self.folder}: {len(found)} found")
        body: Body = found[0]
        return body

    def sources(self, build: Body) -> dict[str, Body]:
        """The sources of one build, keyed by full build name, each as Packer runs it."""
        prefix = f"{build['name']}." if "name" in build else ""
        result: dict[str, Body] = {}
        for reference in build.get("sources", []):
            result[prefix + reference.removeprefix("source.")] = dict(
                self._top_level_source(reference)
            )
        for entry in build.get("source", []):
            for reference, own in entry.items():
                shared = self._top_level_source(reference)
                twice = sorted(set(shared) & set(own))
                if twice:
                    raise ValueError(
                        f"{prefix}{reference} sets {', '.join(twice)} again: Packer refuses "
                        "a setting made both in a source and in a build's source block"
                    )
                type_, name = reference.split(".")[1:]
                settings = {k: v for k, v in own.items() if k != "name"}
                result[f"{prefix}{type_}.{own.get('name', name)}"] = {**shared, **settings}
        return result

    def build_names(self) -> list[str]:
        """Every build's full name (BUILD.TYPE.SOURCE), the names ``-only`` patterns match."""
        return [full for build in self.blocks.get("build", []) for full in self.sources(build)]


def load_folder(folder: Path) -> Configuration:
    blocks: dict[str, list[Body]] = {}
    for path in sorted(folder.glob("*.pkr.hcl")):
        for kind, entries in load(path).items():
            blocks.setdefault(kind, []).extend(entries)
    return Configuration(folder, blocks)
