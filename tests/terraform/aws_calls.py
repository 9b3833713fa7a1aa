"""The AWS API calls a Python code base makes, found in its source.

Every ``<x>.client("<service>")`` call (boto3's, a session's, or a wrapper that
passes the service name through) starts a client of that service; a name or
attribute it is assigned to, or the call itself, is followed to the methods
called on it. botocore's own service models turn each method into its API
operation (``get_secret_value`` -> ``GetSecretValue``; ``get_paginator("query")``
-> ``Query``), so a method that is not an operation of that service is an error,
not a guess. Operations that need endpoint discovery add the service's discovery
operation (Timestream's ``DescribeEndpoints``), which botocore calls by itself.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import botocore.session
from botocore.model import ServiceModel

#: Client methods that are no API calls.
CLIENT_HELPERS = {
    "close",
    "can_paginate",
    "get_waiter",
    "generate_presigned_url",
    "meta",
    "exceptions",
}


@dataclass(frozen=True, order=True)
class Call:
    """One API operation called from one place of the code."""

    service: str  # botocore service name, e.g. timestream-query
    operation: str  # API operation, e.g. Query
    where: str  # file:line of the call
    implicit: bool = False  # made by botocore itself (endpoint discovery)


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


@cache
def _methods(service: str) -> dict[str, str]:
    """snake_case client method -> operation name, as boto3 clients name them."""
    from botocore import xform_name

    model = service_model(service)
    return {xform_name(op): op for op in model.operation_names}


def _service_argument(node: ast.Call) -> ast.expr | None:
    if node.args:
        return node.args[0]
    return next((k.value for k in node.keywords if k.arg == "service_name"), None)


def _service_of(node: ast.expr, factories: dict[str, str] | None = None) -> str | None:
    """The service of a ``<x>.client("<service>", ...)`` call, or of a call of a
    function known to return such a client (``factories``)."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if factories and name in factories:
        return factories[name]
    first = _service_argument(node)
    if name != "client" or not isinstance(first, ast.Constant) or not isinstance(first.value, str):
        return None
    if first.value not in botocore.session.get_session().get_available_services():
        raise ValueError(f"client({first.value!r}): not a botocore service")
    return first.value


def _target(node: ast.expr) -> str | None:
    """A name or dotted attribute (self.client) as text."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _target(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _operation(service: str, method: str, call: ast.Call, where: str) -> str | None:
    methods = _methods(service)
    if method in ("get_paginator", "get_waiter"):
        arg = call.args[0] if call.args else None
        if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str):
            raise ValueError(f"{where}: {method} of a name that is not a literal")
        if method == "get_waiter":
            raise ValueError(f"{where}: waiters are not mapped to operations")
        if arg.value not in methods:
            raise ValueError(f"{where}: {service} has no operation {arg.value}")
        return methods[arg.value]
    if method in CLIENT_HELPERS:
        return None
    if method not in methods:
        raise ValueError(f"{where}: {service} client has no method {method}")
    return methods[method]


def _factories(tree: ast.AST) -> dict[str, str]:
    """Functions that return a client of a literal service: name -> service."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return) and inner.value is not None:
                    service = _service_of(inner.value)
                    if service:
                        found[node.name] = service
    return found


def calls_in_file(path: Path, root: Path) -> list[Call]:
    tree = ast.parse(path.read_text(), filename=str(path))
    factories = _factories(tree)
    clients: dict[str, str] = {}  # variable or attribute -> service
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            service = _service_of(node.value, factories)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = _target(target)
                if service and name:
                    clients[name] = service
    found: list[Call] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        receiver = node.func.value
        service = _service_of(receiver, factories)
        if service is None:
            name = _target(receiver)
            service = clients.get(name) if name else None
        if service is None:
            continue
        where = f"{path.relative_to(root)}:{node.lineno}"
        operation = _operation(service, node.func.attr, node, where)
        if operation is None:
            continue
        found.append(Call(service, operation, where))
        discovery = _discovery(service, operation)
        if discovery:
            found.append(Call(service, discovery, where, implicit=True))
    # Every client of a literal service must have been followed: assigned to a
    # name, returned by a factory, or called on directly.
    followed = {
        id(n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign | ast.AnnAssign | ast.Return)
    }
    followed |= {
        id(n.func.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _service_of(node) and id(node) not in followed:
            raise ValueError(
                f"{path.relative_to(root)}:{node.lineno}: creates an AWS client whose calls are not followed"
            )
    return found


def _discovery(service: str, operation: str) -> str | None:
    """The endpoint discovery operation botocore calls before ``operation``, if any."""
    model = service_model(service)
    op = model.operation_model(operation)
    if op.endpoint_discovery is not None:
        discovery = model.endpoint_discovery_operation
        return discovery.name if discovery is not None else None
    return None


def calls_in(folder: Path, root: Path) -> list[Call]:
    """Every call in every .py file under ``folder`` (tests excluded)."""
    files = sorted(p for p in folder.rglob("*.py") if "tests" not in p.relative_to(root).parts)
    return sorted({c for f in files for c in calls_in_file(f, root)})
