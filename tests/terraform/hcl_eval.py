"""Evaluates a Terraform tree offline, the way `terraform plan` would, with
stand-in values for what only AWS knows (ARNs, IDs, endpoints).

The parse trees come from python-hcl2's Lark grammar (the same parser as the
rest of the checks); this module walks them: module calls with their inputs and
``count``, locals, variables and their defaults, resources and data sources
with ``count``/``for_each``, conditionals, ``for`` expressions, splats, string
templates and the functions the stack uses. ``aws_iam_policy_document`` data
sources are rendered into the JSON policy AWS would receive. Anything it does
not implement raises :class:`EvalError` instead of guessing, so a check built on
it cannot pass by accident.

Stand-in values: region ``eu-west-2``, account ``123456789012``, partition
``aws``; a resource's computed ARN is built from its type's ARN format and its
own name arguments (``name``, ``name_prefix``, ``function_name``, table and
database names), so the ARN a policy grants and the ARN a deploy.env names
agree exactly when they come from the same resource.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import hcl2
from lark import Token, Tree

REGION = "eu-west-2"
ACCOUNT = "123456789012"
PARTITION = "aws"
DNS_SUFFIX = "amazonaws.com"


class EvalError(ValueError):
    """An expression this evaluator does not implement, or one Terraform would refuse."""


# -- parsing -------------------------------------------------------------------


@dataclass
class Body:
    """Attributes (unevaluated expression trees) and nested blocks of one body."""

    attrs: dict[str, Tree[Any]] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def of(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]


@dataclass
class Block:
    type: str
    labels: list[str]
    body: Body


def _name(node: Tree[Any]) -> str:
    token = node.children[0]
    return str(token)


def _label(node: Tree[Any]) -> str:
    if node.data == "identifier":
        return _name(node)
    parts = [c for c in node.children if isinstance(c, Tree)]
    return "".join(str(p.children[0]) for p in parts)


def _body(tree: Tree[Any]) -> Body:
    body = Body()
    for child in tree.children:
        if not isinstance(child, Tree):
            continue
        if child.data == "attribute":
            name = str(child.children[0].children[0])
            body.attrs[name] = child.children[-1]
        elif child.data == "block":
            trees = [c for c in child.children if isinstance(c, Tree)]
            type_ = _name(trees[0])
            labels = [_label(t) for t in trees[1:-1]]
            body.blocks.append(Block(type_, labels, _body(trees[-1])))
    return body


@lru_cache(maxsize=512)
def parse(text: str) -> Body:
    """The top-level body of an HCL document (cached by text: never mutate it)."""
    tree = hcl2.parses_to_tree(text)
    return _body(tree.children[0])


# -- modules ------------------------------------------------------------------


@dataclass
class ModuleDef:
    """The blocks of the .tf files of one folder."""

    path: Path
    variables: dict[str, Body] = field(default_factory=dict)
    locals: dict[str, Tree[Any]] = field(default_factory=dict)
    outputs: dict[str, Body] = field(default_factory=dict)
    calls: dict[str, Body] = field(default_factory=dict)
    resources: dict[tuple[str, str], Body] = field(default_factory=dict)
    data: dict[tuple[str, str], Body] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> ModuleDef:
        module = cls(path)
        for file in sorted(path.glob("*.tf")):
            for block in parse(file.read_text()).blocks:
                if block.type == "variable":
                    module.variables[block.labels[0]] = block.body
                elif block.type == "locals":
                    module.locals.update(block.body.attrs)
                elif block.type == "output":
                    module.outputs[block.labels[0]] = block.body
                elif block.type == "module":
                    module.calls[block.labels[0]] = block.body
                elif block.type == "resource":
                    module.resources[(block.labels[0], block.labels[1])] = block.body
                elif block.type == "data":
                    module.data[(block.labels[0], block.labels[1])] = block.body
        return module


CALL_META = {"source", "version", "count", "for_each", "depends_on", "providers"}


class Module:
    """One instance of a module: its definition, its inputs and its address."""

    def __init__(
        self,
        stack: Stack,
        defn: ModuleDef,
        address: str,
        inputs: dict[str, Callable[[], Any]],
    ) -> None:
        self.stack = stack
        self.defn = defn
        self.address = address
        self.inputs = inputs
        self._cache: dict[tuple[str, str], Any] = {}

    def _memo(self, kind: str, name: str, compute: Callable[[], Any]) -> Any:
        key = (kind, name)
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def scope(self, **extra: Any) -> Scope:
        return Scope(self, extra)

    def var(self, name: str) -> Any:
        def compute() -> Any:
            if name in self.inputs:
                return self.inputs[name]()
            spec = self.defn.variables.get(name)
            if spec is None:
                raise EvalError(f"{self.address or 'root'}: undeclared variable {name}")
            if "default" not in spec.attrs:
                raise EvalError(f"{self.address or 'root'}: variable {name} has no value")
            return self.scope().eval(spec.attrs["default"])

        return self._memo("var", name, compute)

    def local(self, name: str) -> Any:
        if name not in self.defn.locals:
            raise EvalError(f"{self.address or 'root'}: undeclared local {name}")
        return self._memo("local", name, lambda: self.scope().eval(self.defn.locals[name]))

    def output(self, name: str) -> Any:
        spec = self.defn.outputs.get(name)
        if spec is None:
            raise EvalError(f"{self.address}: no output {name}")
        return self._memo("output", name, lambda: self.scope().eval(spec.attrs["value"]))

    def _instances(self, body: Body, make: Callable[[Any, dict[str, Any]], Any]) -> Any:
        if "count" in body.attrs:
            count = self.scope().eval(body.attrs["count"])
            return [make(i, {"count": {"index": i}}) for i in range(int(count))]
        if "for_each" in body.attrs:
            each = self.scope().eval(body.attrs["for_each"])
            items = each.items() if isinstance(each, dict) else ((k, k) for k in each)
            return {str(k): make(str(k), {"each": {"key": str(k), "value": v}}) for k, v in items}
        return make(None, {})

    def module(self, name: str) -> Any:
        call = self.defn.calls.get(name)
        if call is None:
            raise EvalError(f"{self.address or 'root'}: no module call {name}")

        def compute() -> Any:
            source = _literal(call.attrs["source"])
            defn = self.stack.definition((self.defn.path / source).resolve())

            def make(index: Any, extra: dict[str, Any]) -> Module:
                suffix = "" if index is None else f"[{index}]"
                address = f"{self.address + '.' if self.address else ''}module.{name}{suffix}"
                scope = self.scope(**extra)
                inputs = {
                    key: _thunk(scope, expr)
                    for key, expr in call.attrs.items()
                    if key not in CALL_META
                }
                return Module(self.stack, defn, address, inputs)

            return self._instances(call, make)

        return self._memo("module", name, compute)

    def resource(self, type_: str, name: str) -> Any:
        return self._blocks("resource", type_, name)

    def data_source(self, type_: str, name: str) -> Any:
        return self._blocks("data", type_, name)

    def _blocks(self, kind: str, type_: str, name: str) -> Any:
        """The instances of a resource or data source (one, a list by count, a map by for_each)."""
        table, cls = (
            (self.defn.resources, Resource) if kind == "resource" else (self.defn.data, DataSource)
        )
        body = table.get((type_, name))
        if body is None:
            raise EvalError(f"{self.address or 'root'}: no {kind} {type_}.{name}")
        return self._memo(
            kind,
            f"{type_}.{name}",
            lambda: self._instances(
                body, lambda key, extra: cls(self, type_, name, key, body, extra)
            ),
        )

    def children(self) -> Iterator[Module]:
        """Every module instance below this one (count 0 creates none)."""
        for name in self.defn.calls:
            found = self.module(name)
            for child in found if isinstance(found, list) else [found]:
                yield child
                yield from child.children()


def _thunk(scope: Scope, expr: Tree[Any]) -> Callable[[], Any]:
    return lambda: scope.eval(expr)


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _literal(expr: Tree[Any]) -> str:
    value = Scope(None, {}).eval(expr)
    if not isinstance(value, str):
        raise EvalError("module source must be a string")
    return value


# -- resources and data sources ----------------------------------------------


def _fake_id(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


class Resource:
    """One resource instance; arguments are evaluated, computed attributes stood in for."""

    def __init__(
        self,
        module: Module,
        type_: str,
        name: str,
        key: Any,
        body: Body,
        extra: dict[str, Any],
    ) -> None:
        self.module = module
        self.type = type_
        self.name = name
        self.key = key
        self.body = body
        self.extra = extra

    @property
    def address(self) -> str:
        prefix = f"{self.module.address}." if self.module.address else ""
        if self.key is None:
            suffix = ""
        elif isinstance(self.key, int):
            suffix = f"[{self.key}]"
        else:
            suffix = f'["{self.key}"]'
        return f"{prefix}{self.type}.{self.name}{suffix}"

    def __repr__(self) -> str:
        return f"<{self.address}>"

    def argument(self, name: str) -> Any:
        if name not in self.body.attrs:
            return None
        return self.module.scope(**self.extra).eval(self.body.attrs[name])

    def blocks(self, name: str) -> list[dict[str, Any]]:
        """Nested blocks ``name`` (static ones) as dicts of their evaluated attributes."""
        scope = self.module.scope(**self.extra)
        return [
            {k: scope.eval(v) for k, v in block.body.attrs.items()} for block in self.body.of(name)
        ]

    @cached_property
    def _name_part(self) -> str:
        for arg in ("name", "function_name", "table_name", "database_name", "domain_name"):
            value = self.argument(arg)
            if isinstance(value, str):
                return value
        prefix = self.argument("name_prefix")
        if isinstance(prefix, str):
            return f"{prefix}{_fake_id(self.address, 12)}"
        return f"{self.name}-{_fake_id(self.address)}"

    def attr(self, attr: str) -> Any:
        if attr in self.body.attrs:
            return self.argument(attr)
        return computed(self, attr)


def computed(resource: Resource, attr: str) -> Any:
    """Stand-ins for the attributes AWS computes, by resource type."""
    t, n = resource.type, resource._name_part
    r, a = REGION, ACCOUNT
    arns = {
        "aws_secretsmanager_secret": f"arn:aws:secretsmanager:{r}:{a}:secret:{n}-AbCdEf",
        "aws_cloudwatch_log_group": f"arn:aws:logs:{r}:{a}:log-group:{n}",
        "aws_sns_topic": f"arn:aws:sns:{r}:{a}:{n}",
        "aws_kms_key": f"arn:aws:kms:{r}:{a}:key/{_fake_id(resource.address)}-0000-4000-8000-000000000000",
        "aws_lambda_function": f"arn:aws:lambda:{r}:{a}:function:{n}",
        "aws_iam_role": f"arn:aws:iam::{a}:role/{n}",
        "aws_iam_instance_profile": f"arn:aws:iam::{a}:instance-profile/{n}",
        "aws_timestreamwrite_database": f"arn:aws:timestream:{r}:{a}:database/{n}",
        "aws_wafv2_web_acl": f"arn:aws:wafv2:{r}:{a}:regional/webacl/{n}/{_fake_id(resource.address)}",
        "aws_wafv2_ip_set": f"arn:aws:wafv2:{r}:{a}:regional/ipset/{n}/{_fake_id(resource.address)}",
        "aws_lb": f"arn:aws:elasticloadbalancing:{r}:{a}:loadbalancer/app/{n}/{_fake_id(resource.address)}",
        "aws_s3_bucket": f"arn:aws:s3:::{n}",
        "aws_acm_certificate": f"arn:aws:acm:{r}:{a}:certificate/{_fake_id(resource.address)}-0000-4000-8000-000000000000",
    }
    if t == "aws_timestreamwrite_table":
        database = resource.argument("database_name")
        arns[t] = (
            f"arn:aws:timestream:{r}:{a}:database/{database}/table/{resource.argument('table_name')}"
        )
    if attr == "arn" and t in arns:
        return arns[t]
    if attr == "id":
        if t in ("aws_secretsmanager_secret", "aws_sns_topic"):
            return arns[t]
        if t == "aws_iam_role":
            return resource.address
        prefixes = {"aws_security_group": "sg", "aws_subnet": "subnet", "aws_vpc": "vpc"}
        if t in prefixes:
            return f"{prefixes[t]}-{_fake_id(resource.address, 17)}"
        return f"{t}-{_fake_id(resource.address)}"
    if attr == "name":
        return n
    if t == "aws_timestreaminfluxdb_db_instance":
        if attr == "endpoint":
            return f"{_fake_id(resource.address, 10)}.{r}.timestream-influxdb.{DNS_SUFFIX}"
        if attr == "influx_auth_parameters_secret_arn":
            return f"arn:aws:secretsmanager:{r}:{a}:secret:READONLY-InfluxDB-auth-parameters-{_fake_id(resource.address, 6)}"
    if t == "aws_lb" and attr == "dns_name":
        return f"{n}-{_fake_id(resource.address)}.{r}.elb.{DNS_SUFFIX}"
    if t == "aws_lb" and attr == "zone_id":
        return "ZHURV8PSTC4K8"
    if t == "aws_acm_certificate_validation" and attr == "certificate_arn":
        return resource.argument("certificate_arn")
    if t == "aws_lambda_function" and attr == "source_code_hash":
        return resource.argument("source_code_hash")
    if attr == "result":
        return "{}"
    return f"<{resource.address}.{attr}>"


class DataSource(Resource):
    """A data source instance: the AWS account facts, and policy documents rendered."""

    def attr(self, attr: str) -> Any:
        facts: dict[tuple[str, str], Any] = {
            ("aws_partition", "partition"): PARTITION,
            ("aws_partition", "dns_suffix"): DNS_SUFFIX,
            ("aws_region", "region"): REGION,
            ("aws_region", "name"): REGION,
            ("aws_caller_identity", "account_id"): ACCOUNT,
            ("aws_ami", "id"): f"ami-{_fake_id(self.address, 17)}",
            ("aws_elb_service_account", "arn"): "arn:aws:iam::652711504416:root",
            ("aws_availability_zones", "names"): [f"{REGION}a", f"{REGION}b", f"{REGION}c"],
        }
        if (self.type, attr) in facts:
            return facts[(self.type, attr)]
        if self.type == "aws_iam_policy_document" and attr == "json":
            return json.dumps(self.policy())
        raise EvalError(f"{self.address}: attribute {attr} is not stood in for")

    def policy(self) -> dict[str, Any]:
        """The policy document AWS receives, from the statement blocks (dynamic ones too)."""
        if set(self.body.attrs) - {"version"} or any(
            b.type not in ("statement", "dynamic") for b in self.body.blocks
        ):
            raise EvalError(f"{self.address}: only statement blocks are rendered")
        statements = []
        scope = self.module.scope(**self.extra)
        for block in self.body.blocks:
            if block.type == "statement":
                statements.append(_statement(block.body, scope))
                continue
            if block.labels != ["statement"]:
                raise EvalError(f"{self.address}: dynamic {block.labels} is not rendered")
            for_each = scope.eval(block.body.attrs["for_each"])
            items = for_each.items() if isinstance(for_each, dict) else enumerate(for_each)
            [content] = block.body.of("content")
            for key, value in items:
                inner = self.module.scope(**self.extra, statement={"key": key, "value": value})
                statements.append(_statement(content.body, inner))
        return {"Version": "2012-10-17", "Statement": statements}


def _statement(body: Body, scope: Scope) -> dict[str, Any]:
    known = {"sid", "effect", "actions", "not_actions", "resources", "not_resources"}
    if set(body.attrs) - known or any(
        b.type not in ("principals", "condition") for b in body.blocks
    ):
        raise EvalError("statement with arguments this renderer does not know")
    out: dict[str, Any] = {}
    values = {k: scope.eval(v) for k, v in body.attrs.items()}
    if values.get("sid"):
        out["Sid"] = values["sid"]
    out["Effect"] = values.get("effect", "Allow")
    for arg, key in (
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        if arg in values:
            out[key] = sorted(set(values[arg]))
    principals: dict[str, list[str]] = {}
    for block in body.of("principals"):
        kind = scope.eval(block.body.attrs["type"])
        principals.setdefault(kind, []).extend(scope.eval(block.body.attrs["identifiers"]))
    if principals:
        out["Principal"] = principals
    conditions: dict[str, dict[str, list[Any]]] = {}
    for block in body.of("condition"):
        test = scope.eval(block.body.attrs["test"])
        variable = scope.eval(block.body.attrs["variable"])
        conditions.setdefault(test, {})[variable] = scope.eval(block.body.attrs["values"])
    if conditions:
        out["Condition"] = conditions
    return out


# -- expressions ----------------------------------------------------------------


class _Namespace:
    """var, local, module, data, path, a resource type, ... before the next dot."""

    def __init__(self, scope: Scope, kind: str, first: str | None = None) -> None:
        self.scope = scope
        self.kind = kind
        self.first = first

    def attr(self, name: str) -> Any:
        module = self.scope.module
        if module is None:
            raise EvalError(f"{self.kind}.{name} outside a module")
        if self.kind == "var":
            return module.var(name)
        if self.kind == "local":
            return module.local(name)
        if self.kind == "module":
            return module.module(name)
        if self.kind == "path":
            return str(module.defn.path)
        if self.kind == "data":
            if self.first is None:
                return _Namespace(self.scope, "data", name)
            return module.data_source(self.first, name)
        if self.kind == "resource":
            assert self.first is not None
            return module.resource(self.first, name)
        raise EvalError(f"unknown namespace {self.kind}")


def _get_attr(value: Any, name: str) -> Any:
    if isinstance(value, _Namespace):
        return value.attr(name)
    if isinstance(value, Module):
        return value.output(name)
    if isinstance(value, Resource):
        return value.attr(name)
    if isinstance(value, dict):
        if name not in value:
            raise EvalError(f"object has no attribute {name}")
        return value[name]
    raise EvalError(f"cannot read .{name} of {type(value).__name__}")


def _index(value: Any, key: Any) -> Any:
    if isinstance(value, list):
        if not isinstance(key, int) or not 0 <= key < len(value):
            raise EvalError(f"index {key!r} out of range of a list of {len(value)}")
        return value[key]
    if isinstance(value, dict):
        if key not in value:
            raise EvalError(f"no key {key!r}")
        return value[key]
    raise EvalError(f"cannot index {type(value).__name__}")


def _str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    raise EvalError(f"cannot turn {type(value).__name__} into a string")


def _unescape(text: str) -> str:
    return (
        text.replace("\\\\", "\0")
        .replace('\\"', '"')
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("$${", "${")
        .replace("\0", "\\")
    )


def _items(value: Any) -> list[tuple[Any, Any]]:
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return list(enumerate(value))
    raise EvalError(f"cannot iterate over {type(value).__name__}")


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            raise EvalError("merge takes objects")
        out.update(m)
    return out


def _flatten(value: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in value:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _one(value: list[Any]) -> Any:
    if len(value) > 1:
        raise EvalError("one() of more than one element")
    return value[0] if value else None


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "compact": lambda xs: [x for x in xs if x not in (None, "")],
    "concat": lambda *xs: [i for x in xs for i in x],
    "length": len,
    "merge": _merge,
    "tostring": _str,
    "tonumber": float,
    "join": lambda sep, xs: sep.join(_str(x) for x in xs),
    "jsonencode": lambda v: json.dumps(v, separators=(",", ":")),
    "jsondecode": json.loads,
    "replace": lambda s, old, new: s.replace(old, new),
    "coalesce": lambda *xs: next(x for x in xs if x not in (None, "")),
    "toset": lambda xs: sorted(set(xs), key=str),
    "tolist": list,
    "flatten": _flatten,
    "keys": sorted,
    "values": lambda m: [m[k] for k in sorted(m)],
    "sort": sorted,
    "lower": str.lower,
    "startswith": str.startswith,
    "endswith": str.endswith,
    "contains": lambda xs, x: x in xs,
    "distinct": lambda xs: list(dict.fromkeys(xs)),
    "one": _one,
    "base64encode": lambda s: f"<base64 of {len(s)} characters>",
    "filebase64sha256": lambda p: f"<sha256 of {p}>",
    "split": lambda sep, s: s.split(sep),
    "trimsuffix": lambda s, x: s.removesuffix(x),
    "trim": lambda s, cutset: s.strip(cutset),  # every character of cutset, both ends
    "format": lambda f, *a: f.replace("%s", "{}").format(*a),
}

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": lambda a, b: a % b,
}


class Scope:
    """Where names are looked up: a module instance plus iterator and loop variables."""

    def __init__(self, module: Module | None, names: dict[str, Any]) -> None:
        self.module = module
        self.names = names

    def child(self, **names: Any) -> Scope:
        return Scope(self.module, {**self.names, **names})

    def eval(self, node: Any) -> Any:
        if isinstance(node, Token):
            raise EvalError(f"unexpected token {node!r}")
        handler = getattr(self, f"_{node.data}", None)
        if handler is None:
            raise EvalError(f"expression {node.data} is not implemented")
        return handler(node)

    @staticmethod
    def _trees(node: Tree[Any]) -> list[Tree[Any]]:
        return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]

    def _expr_term(self, node: Tree[Any]) -> Any:
        [inner] = self._trees(node)
        return self.eval(inner)

    def _identifier(self, node: Tree[Any]) -> Any:
        name = _name(node)
        if name in self.names:
            return self.names[name]
        if name in ("var", "local", "module", "data", "path"):
            return _Namespace(self, name)
        if name.startswith(("aws_", "random_")) or name == "terraform_data":
            return _Namespace(self, "resource", name)
        raise EvalError(f"unknown name {name}")

    def _literal_value(self, node: Tree[Any]) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _int_lit(self, node: Tree[Any]) -> int:
        return int(str(node.children[0]))

    def _float_lit(self, node: Tree[Any]) -> float:
        return float(str(node.children[0]))

    def _string(self, node: Tree[Any]) -> Any:
        parts = self._trees(node)
        values: list[Any] = []
        for part in parts:
            [piece] = part.children
            if isinstance(piece, Token):
                values.append(_unescape(str(piece)))
            elif piece.data == "interpolation":
                [expr] = self._trees(piece)
                values.append(self.eval(expr))
            else:
                raise EvalError(f"template directive {piece.data} is not implemented")
        if len(parts) == 1 and isinstance(parts[0].children[0], Tree):
            return values[0]
        return "".join(_str(v) for v in values)

    def _tuple(self, node: Tree[Any]) -> list[Any]:
        return [self.eval(c) for c in self._trees(node)]

    def _object(self, node: Tree[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for elem in self._trees(node):
            key_node, value_node = self._trees(elem)
            [key_expr] = self._trees(key_node)
            [key_inner] = self._trees(key_expr)
            key = _name(key_inner) if key_inner.data == "identifier" else self.eval(key_expr)
            out[str(key)] = self.eval(value_node)
        return out

    def _get_attr_expr_term(self, node: Tree[Any]) -> Any:
        base, get_attr = self._trees(node)
        [name] = self._trees(get_attr)
        return _get_attr(self.eval(base), _name(name))

    def _index_expr_term(self, node: Tree[Any]) -> Any:
        base, index = self._trees(node)
        [key] = self._trees(index)
        return _index(self.eval(base), self.eval(key))

    def _full_splat_expr_term(self, node: Tree[Any]) -> list[Any]:
        base, splat = self._trees(node)
        value = self.eval(base)
        items = value if isinstance(value, list) else ([] if value is None else [value])
        out = []
        for item in items:
            value = item
            for step in self._trees(splat):
                if step.data != "get_attr":
                    raise EvalError(f"splat step {step.data} is not implemented")
                [name] = self._trees(step)
                value = _get_attr(value, _name(name))
            out.append(value)
        return out

    _attr_splat_expr_term = _full_splat_expr_term

    def _function_call(self, node: Tree[Any]) -> Any:
        trees = self._trees(node)
        name = _name(trees[0])
        args_node = trees[1] if len(trees) > 1 else None
        arg_trees = self._trees(args_node) if args_node is not None else []
        if any(isinstance(c, Token) and str(c) == "..." for c in (args_node or node).children):
            raise EvalError("argument expansion (...) is not implemented")
        if name in ("can", "try"):
            for arg in arg_trees:
                try:
                    value = self.eval(arg)
                except EvalError:
                    continue
                return True if name == "can" else value
            if name == "can":
                return False
            raise EvalError("try: no argument evaluated")
        if name not in FUNCTIONS:
            raise EvalError(f"function {name} is not implemented")
        return FUNCTIONS[name](*(self.eval(a) for a in arg_trees))

    def _conditional(self, node: Tree[Any]) -> Any:
        cond, yes, no = self._trees(node)
        test = self.eval(cond)
        if not isinstance(test, bool):
            raise EvalError(f"condition is {test!r}, not a bool")
        return self.eval(yes if test else no)

    def _binary_op(self, node: Tree[Any]) -> Any:
        left, term = self._trees(node)
        operator = str(term.children[0].children[0])
        [right] = [c for c in self._trees(term) if c.data != "binary_operator"]
        a = self.eval(left)
        if operator == "&&":
            return bool(a) and bool(self.eval(right))
        if operator == "||":
            return bool(a) or bool(self.eval(right))
        return _BINARY[operator](a, self.eval(right))

    def _unary_op(self, node: Tree[Any]) -> Any:
        operator = str(node.children[0])
        [operand] = self._trees(node)
        value = self.eval(operand)
        return (not value) if operator == "!" else -value

    def _loop(self, node: Tree[Any]) -> Iterator[tuple[Scope, list[Tree[Any]]]]:
        trees = self._trees(node)
        intro, rest = trees[0], trees[1:]
        names = [_name(t) for t in self._trees(intro) if t.data == "identifier"]
        [collection] = [t for t in self._trees(intro) if t.data != "identifier"]
        condition = rest[-1] if rest and rest[-1].data == "for_cond" else None
        body = rest[:-1] if condition is not None else rest
        for key, value in _items(self.eval(collection)):
            bound = {names[0]: value} if len(names) == 1 else {names[0]: key, names[1]: value}
            scope = self.child(**bound)
            if condition is not None:
                [test] = self._trees(condition)
                if not scope.eval(test):
                    continue
            yield scope, body

    def _for_tuple_expr(self, node: Tree[Any]) -> list[Any]:
        return [scope.eval(body[0]) for scope, body in self._loop(node)]

    def _for_object_expr(self, node: Tree[Any]) -> dict[str, Any]:
        if any(isinstance(c, Token) and str(c) == "..." for c in node.children):
            raise EvalError("grouping (...) in a for expression is not implemented")
        return {str(scope.eval(body[0])): scope.eval(body[1]) for scope, body in self._loop(node)}


# -- the stack ------------------------------------------------------------------


class Stack:
    """The root module of a Terraform tree with the given variable values."""

    def __init__(self, root: Path, variables: dict[str, Any] | None = None) -> None:
        self._definitions: dict[Path, ModuleDef] = {}
        values = variables or {}
        self.root = Module(
            self,
            self.definition(root.resolve()),
            "",
            {k: _constant(v) for k, v in values.items()},
        )

    def definition(self, path: Path) -> ModuleDef:
        if path not in self._definitions:
            if not list(path.glob("*.tf")):
                raise EvalError(f"module folder {path} has no .tf files")
            self._definitions[path] = ModuleDef.load(path)
        return self._definitions[path]

    def modules(self) -> list[Module]:
        return [self.root, *self.root.children()]

    def module(self, address: str) -> Module:
        found = [m for m in self.modules() if m.address == address]
        if len(found) != 1:
            raise EvalError(f"module {address!r}: {len(found)} instances")
        return found[0]

    def resources(self, type_: str) -> list[Resource]:
        """Every instance of a resource type in every module instance."""
        out: list[Resource] = []
        for module in self.modules():
            for rtype, name in module.defn.resources:
                if rtype != type_:
                    continue
                found = module.resource(rtype, name)
                if isinstance(found, dict):
                    out.extend(found.values())
                elif isinstance(found, list):
                    out.extend(found)
                else:
                    out.append(found)
        return out

    def role_policies(self) -> dict[str, list[dict[str, Any]]]:
        """The inline policies of each IAM role, by the role's address."""
        roles: dict[str, list[dict[str, Any]]] = {}
        for attachment in self.resources("aws_iam_role_policy"):
            role = attachment.argument("role")
            policy = attachment.argument("policy")
            if not isinstance(role, str) or not isinstance(policy, str):
                raise EvalError(f"{attachment.address}: role or policy did not evaluate")
            roles.setdefault(role, []).append(json.loads(policy))
        return roles
