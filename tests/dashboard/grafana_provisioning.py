"""Provisioning files as Grafana reads them: its interpolation of environment names.

Grafana expands environment names in every string value of a provisioning file,
alert-rule query models included (pkg/services/provisioning/values,
``interpolateValue``): the value is split on ``$$``, each part goes through Go's
``os.ExpandEnv`` (``$NAME`` and ``${NAME}``; an unset name becomes empty) and the
parts are joined with a literal ``$``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from dashboard.alerting import RULES
from tests.dashboard.conftest import PROVISIONING_DIR

_NAME = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def expand_env(text: str, env: dict[str, str]) -> str:
    """One string value after Grafana's provisioning interpolation with ``env``."""
    return "$".join(
        _NAME.sub(lambda m: env.get(m.group(1) or m.group(2), ""), part)
        for part in text.split("$$")
    )


def names_read(text: str) -> set[str]:
    """The environment names Grafana looks up while reading ``text``."""
    return {
        match.group(1) or match.group(2)
        for part in text.split("$$")
        for match in _NAME.finditer(part)
    }


def provisioned(value: Any, env: dict[str, str]) -> Any:
    """Every string of a provisioning file's value after Grafana's interpolation."""
    if isinstance(value, str):
        return expand_env(value, env)
    if isinstance(value, dict):
        return {key: provisioned(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [provisioned(item, env) for item in value]
    return value


def rules(engine_key: str, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The alert rules of an engine's file as Grafana holds them once provisioned."""
    config = yaml.safe_load((PROVISIONING_DIR / RULES / f"{engine_key}.yaml").read_text())
    (group,) = config["groups"]
    return list(provisioned(group["rules"], env or {}))


def query_text(model: dict[str, Any]) -> str:
    """The query of a rule's datasource model (InfluxDB ``query``, Timestream ``rawQuery``)."""
    return str(model.get("query") or model.get("rawQuery"))
