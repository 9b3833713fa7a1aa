"""What `terraform validate` would check, done offline against the provider schema.

Each function returns a list of human-readable problems; an empty list passes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tools.hcl.terraform import Block, Body, Module, walk

from .provider_schema import Arg, ProviderSchema

#: Meta-arguments Terraform accepts on every resource, data source or ephemeral.
RESOURCE_META = {"count", "for_each", "depends_on", "lifecycle", "provider", "provisioner"}
#: Terraform's built-in resources (provider terraform.io/builtin/terraform, in
#: every Terraform since 1.4): terraform_data takes input and triggers_replace,
#: both optional, and exposes output.
BUILTIN_RESOURCES: dict[str, dict[str, Arg]] = {
    "terraform_data": {
        "input": {"required": False, "block": None},
        "triggers_replace": {"required": False, "block": None},
    }
}
BUILTIN_ATTRIBUTES = {"resource.terraform_data": ["id", "input", "output", "triggers_replace"]}
#: Computed-only attributes the cdktf structs list among the arguments.
COMPUTED_ONLY = {"id", "tags_all"}
MODULE_META = {"source", "version", "count", "for_each", "depends_on", "providers"}
VARIABLE_ARGS = {
    "type",
    "description",
    "default",
    "validation",
    "sensitive",
    "nullable",
    "ephemeral",
}
OUTPUT_ARGS = {"value", "description", "sensitive", "depends_on", "precondition", "ephemeral"}

_RESOURCE_REF = re.compile(
    r"(?<![\w.\"/-])(data\.|ephemeral\.)?((?:aws|random)_[a-z0-9_]+)\.([a-z_][a-z0-9_-]*)"
    r"(?:\[[^\]]*\])?\.([a-z_][a-z0-9_]*)"
)
_NAMED_REF = re.compile(
    r"(?<![\w.\"/-])(var|local|module)\.([a-z_][a-z0-9_-]*)(?:\.([a-z_][a-z0-9_]*))?"
)


def _check_body(
    body: Body, args: dict[str, Arg], schema: ProviderSchema, where: str, top: bool = False
) -> list[str]:
    problems: list[str] = []
    present = set()
    for key, value in body.items():
        if key == "dynamic":
            for dynamic in value:
                for name, spec in dynamic.items():
                    present.add(name)
                    arg = args.get(name)
                    if arg is None or not arg["block"]:
                        problems.append(f"{where}: unknown block {name!r} (dynamic)")
                        continue
                    for content in spec.get("content", []):
                        problems += _check_body(
                            content, schema.structs[arg["block"]], schema, f"{where}.{name}"
                        )
            continue
        present.add(key)
        arg = args.get(key)
        if arg is None:
            problems.append(f"{where}: unknown argument {key!r}")
            continue
        if top and key in COMPUTED_ONLY:
            problems.append(f"{where}: {key!r} is computed and cannot be set")
        if arg["block"] and isinstance(value, list) and all(isinstance(v, dict) for v in value):
            for item in value:
                problems += _check_body(
                    item, schema.structs[arg["block"]], schema, f"{where}.{key}"
                )
    for name, arg in args.items():
        if arg["required"] and name not in present:
            problems.append(f"{where}: missing required argument {name!r}")
    return problems


def check_provider_schema(module: Module, schema: ProviderSchema) -> list[str]:
    """Every resource/data/ephemeral type exists; every argument and block is known; required ones are set."""
    problems: list[str] = []
    for block in module.blocks:
        if block.kind not in ("resource", "data", "ephemeral"):
            continue
        where = f"{block.file.name}: {block.kind} {block.type}.{block.name}"
        # Ephemeral resources are not in the cdktf assemblies; the AWS provider
        # gives each one the arguments of the data source of the same name.
        table = schema.resources if block.kind == "resource" else schema.data_sources
        args = table.get(block.type)
        if args is None and block.kind == "resource":
            args = BUILTIN_RESOURCES.get(block.type)
        if args is None:
            problems.append(f"{where}: unknown {block.kind} type")
            continue
        body = {k: v for k, v in block.body.items() if k not in RESOURCE_META}
        problems += _check_body(body, args, schema, where, top=True)
    return problems


def _declared_resources(module: Module) -> dict[str, Block]:
    prefix = {"resource": "", "data": "data.", "ephemeral": "ephemeral."}
    return {f"{prefix[b.kind]}{b.type}.{b.name}": b for b in module.blocks if b.kind in prefix}


def check_references(module: Module, schema: ProviderSchema) -> list[str]:
    """Every reference to a resource attribute, variable, local or module call resolves."""
    problems: list[str] = []
    declared = _declared_resources(module)
    variables = module.variables
    module_calls = {b.name for b in module.of("module")}
    scopes: list[tuple[str, Any]] = [
        (f"{b.file.name}: {b.kind} {b.type} {b.name}", b.body) for b in module.blocks
    ]
    scopes.append(("locals", module.locals))
    for where, body in scopes:
        for text in walk(body):
            for prefix, rtype, rname, attr in _RESOURCE_REF.findall(text):
                address = f"{prefix}{rtype}.{rname}"
                if address not in declared:
                    problems.append(f"{where}: reference to undeclared {address}")
                    continue
                kind = "resource" if prefix == "" else "data"
                known = schema.attributes.get(f"{kind}.{rtype}") or BUILTIN_ATTRIBUTES.get(
                    f"{kind}.{rtype}"
                )
                if known is not None and attr not in known:
                    problems.append(f"{where}: {address} has no attribute {attr!r}")
            for kind, name, _attr in _NAMED_REF.findall(text):
                if kind == "var" and name not in variables:
                    problems.append(f"{where}: undeclared variable var.{name}")
                elif kind == "local" and name not in module.locals:
                    problems.append(f"{where}: undeclared local.{name}")
                elif kind == "module" and name not in module_calls:
                    problems.append(f"{where}: undeclared module.{name}")
    return problems


def check_module_calls(module: Module, tree: dict[Path, Module]) -> list[str]:
    """Module calls pass only declared inputs, all required ones, and use declared outputs."""
    problems: list[str] = []
    sources: dict[str, Module] = {}
    for call in module.of("module"):
        source = (module.path / call.body["source"]).resolve()
        child = tree.get(source)
        if child is None:
            problems.append(f"module {call.name}: source {call.body['source']} has no .tf files")
            continue
        sources[call.name] = child
        inputs = set(call.body) - MODULE_META
        for unknown in sorted(inputs - set(child.variables)):
            problems.append(f"module {call.name}: {child.path.name} has no variable {unknown!r}")
        for name, spec in child.variables.items():
            if "default" not in spec and name not in inputs:
                problems.append(f"module {call.name}: missing required input {name!r}")
    texts = [t for b in module.blocks for t in walk(b.body)] + list(walk(module.locals))
    for text in texts:
        for kind, name, attr in _NAMED_REF.findall(text):
            if kind == "module" and name in sources and attr and attr not in sources[name].outputs:
                problems.append(
                    f"module.{name}.{attr}: {sources[name].path.name} has no such output"
                )
    return problems


def check_language_blocks(module: Module) -> list[str]:
    """Variables are typed and described with known arguments; outputs are described."""
    problems: list[str] = []
    for name, spec in module.variables.items():
        unknown = set(spec) - VARIABLE_ARGS
        if unknown:
            problems.append(f"variable {name}: unknown arguments {sorted(unknown)}")
        for needed in ("type", "description"):
            if needed not in spec:
                problems.append(f"variable {name}: no {needed}")
    for name, spec in module.outputs.items():
        unknown = set(spec) - OUTPUT_ARGS
        if unknown:
            problems.append(f"output {name}: unknown arguments {sorted(unknown)}")
        if "description" not in spec:
            problems.append(f"output {name}: no description")
    return problems
