"""Provider schemas for offline validation, read from the cdktf provider packages.

The PyPI packages ``cdktf-cdktf-provider-aws`` and ``cdktf-cdktf-provider-random``
ship a jsii assembly generated from the provider's own schema (AWS provider
6.25.0, random 3.x). Each resource or data source is a class whose config struct
lists the arguments (``optional`` marks the optional ones) and whose properties
include the computed attributes; nested blocks are structs of their own.

The assembly is large (about 390 MB of JSON for AWS), so the compact schema
extracted from it is cached as JSON next to the other build caches.
"""

from __future__ import annotations

import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Argument or block: whether it is required and, for a block, its struct name.
Arg = dict[str, Any]

_DOC_LINK = re.compile(r"/docs/(resources|data-sources)/[a-z0-9_]+ ([a-z0-9_]+)\}")
_ARG_NAME = re.compile(r"#([a-z0-9_]+) [A-Za-z0-9]+#[a-z0-9_]+\}")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
_SCHEMA_FORMAT = 2


def snake(name: str) -> str:
    """camelCase property name -> snake_case Terraform name."""
    return _CAMEL.sub(r"_\1", name).lower()


@dataclass
class ProviderSchema:
    """Resource, data source and nested block arguments of one or more providers."""

    resources: dict[str, dict[str, Arg]] = field(default_factory=dict)
    data_sources: dict[str, dict[str, Arg]] = field(default_factory=dict)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    structs: dict[str, dict[str, Arg]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": _SCHEMA_FORMAT,
            "resources": self.resources,
            "data_sources": self.data_sources,
            "attributes": self.attributes,
            "structs": self.structs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProviderSchema:
        return cls(
            resources=data["resources"],
            data_sources=data["data_sources"],
            attributes=data["attributes"],
            structs=data["structs"],
        )


def _struct_of(type_ref: dict[str, Any], types: dict[str, Any]) -> str | None:
    """The struct (nested block or object) a property type refers to, if any."""
    if "fqn" in type_ref:
        target = types.get(type_ref["fqn"])
        if target and target.get("kind") == "interface" and target.get("datatype"):
            return str(type_ref["fqn"])
        return None
    if "collection" in type_ref:
        return _struct_of(type_ref["collection"]["elementtype"], types)
    if "union" in type_ref:
        for member in type_ref["union"]["types"]:
            found = _struct_of(member, types)
            if found:
                return found
    return None


def _arguments(struct: dict[str, Any], types: dict[str, Any]) -> dict[str, Arg]:
    args: dict[str, Arg] = {}
    for prop in struct.get("properties", []):
        match = _ARG_NAME.search(prop.get("docs", {}).get("remarks", ""))
        name = match.group(1) if match else snake(prop["name"])
        args[name] = {
            "required": not prop.get("optional", False),
            "block": _struct_of(prop["type"], types),
        }
    return args


def extract(assembly: dict[str, Any], schema: ProviderSchema) -> None:
    """Adds every resource and data source of a jsii assembly to ``schema``."""
    types: dict[str, Any] = assembly["types"]
    wanted_structs: set[str] = set()
    for cls in types.values():
        base = cls.get("base")
        if cls.get("kind") != "class" or base not in (
            "cdktf.TerraformResource",
            "cdktf.TerraformDataSource",
        ):
            continue
        link = _DOC_LINK.search(cls.get("docs", {}).get("summary", ""))
        params = cls.get("initializer", {}).get("parameters", [])
        config = next((p for p in params if p["name"] == "config"), None)
        if link is None or config is None:
            continue
        tf_type = link.group(2)
        args = _arguments(types[config["type"]["fqn"]], types)
        target = schema.resources if base == "cdktf.TerraformResource" else schema.data_sources
        target[tf_type] = args
        kind = "resource" if base == "cdktf.TerraformResource" else "data"
        schema.attributes[f"{kind}.{tf_type}"] = sorted(
            {snake(p["name"]) for p in cls.get("properties", []) if not p.get("static")}
            - {snake(p["name"]) for p in cls.get("properties", []) if p["name"].endswith("Input")}
        )
        wanted_structs.update(a["block"] for a in args.values() if a["block"])
    seen: set[str] = set()
    while wanted_structs:
        fqn = wanted_structs.pop()
        if fqn in seen:
            continue
        seen.add(fqn)
        schema.structs[fqn] = _arguments(types[fqn], types)
        wanted_structs.update(
            a["block"]
            for a in schema.structs[fqn].values()
            if a["block"] and a["block"] not in seen
        )


def _read_assembly(tgz: Path) -> dict[str, Any]:
    with tarfile.open(tgz) as archive:
        member = archive.extractfile("package/.jsii")
        if member is None:
            raise FileNotFoundError(f"no package/.jsii in {tgz}")
        return json.load(member)  # type: ignore[no-any-return]


def load(assemblies: list[Path], cache: Path) -> ProviderSchema:
    """The compact schema of the given jsii assemblies, from ``cache`` when it is current."""
    stamp = [f"{p.name}:{p.stat().st_size}" for p in assemblies]
    if cache.exists():
        cached = json.loads(cache.read_text())
        if cached.get("format") == _SCHEMA_FORMAT and cached.get("sources") == stamp:
            return ProviderSchema.from_json(cached)
    schema = ProviderSchema()
    for tgz in assemblies:
        extract(_read_assembly(tgz), schema)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({**schema.to_json(), "sources": stamp}))
    return schema
