"""The queries a browser sends to Grafana's ``POST /api/ds/query`` for a dashboard.

Read from the dashboard JSON model, so the load test follows the dashboard: one
request per panel with its visible targets, dashboard variables interpolated as
Grafana's frontend does (``$var``, ``${var}``, ``${var:format}``, ``[[var]]``),
and its global ``${__from}`` / ``${__to}`` (the range in epoch ms); the
datasources' own macros (``$timeFilter``, ``$__interval``, ``$__timeFilter`` ...)
are left for the datasource backend.

A multi-value variable's selection is a list: ``${var:sqlstring}`` quotes each
value, ``${var:csv}`` joins them, the default (InfluxQL's regex matches) is
``(a|b)`` regex-escaped. "All" (``$__all``) of a variable with a custom
``allValue`` puts that text in as it is, whatever the format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_VARIABLE = re.compile(r"\$\{(\w+)(?::([^}]*))?\}|\[\[(\w+)(?::([^\]]*))?\]\]|\$(\w+)")
_REGEX_SPECIAL = re.compile(r"[\\^$*+?.()|\[\]{}/]")
#: Value of a variable set to "All".
ALL = "$__all"
_RELATIVE = re.compile(r"^now(?:-(\d+)([smhdw]))?$")
_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
DEFAULT_MAX_DATA_POINTS = 1000


class DashboardError(Exception):
    """The dashboard JSON is missing or cannot drive panel queries."""


@dataclass(frozen=True)
class Raw:
    """Text put into a query as it is, whatever the format: a custom "All" value."""

    text: str


#: A variable's value: one value, a multi-value selection, or a raw text.
Value = str | list[str] | Raw


@dataclass(frozen=True)
class PanelQuery:
    """One panel's data request: the body of a ``POST /api/ds/query``."""

    panel_id: int
    title: str
    datasource_type: str
    body: dict[str, Any]


def load_dashboard(path: Path) -> dict[str, Any]:
    """Reads a dashboard JSON model (bare, or wrapped in ``{"dashboard": ...}``)."""
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DashboardError(
            f"dashboard file {path} not found: the panel-query user reads the panels' "
            "queries from it (set --dashboard-file, or run only PageViewer)"
        ) from None
    except json.JSONDecodeError as err:
        raise DashboardError(f"dashboard file {path} is not valid JSON: {err}") from None
    if isinstance(model, dict) and isinstance(model.get("dashboard"), dict):
        model = model["dashboard"]
    if not isinstance(model, dict) or not isinstance(model.get("panels"), list):
        raise DashboardError(f"dashboard file {path} has no 'panels' list")
    return model


def format_value(value: Value, form: str | None) -> str:
    """A variable's value as Grafana's frontend writes it in a query, for ``${var:form}``."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'" if form == "sqlstring" else value
    if form == "sqlstring":
        return ",".join("'" + v.replace("'", "''") + "'" for v in value)
    if form in ("csv", "raw"):
        return ",".join(value)
    escaped = [_REGEX_SPECIAL.sub(lambda m: "\\" + m.group(0), v) for v in value]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def interpolate(value: Any, variables: Mapping[str, Value]) -> Any:
    """Replaces dashboard variables in every string of ``value`` (dicts and lists deeply)."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(3) or match.group(5)
            if name not in variables:
                return match.group(0)
            return format_value(variables[name], match.group(2) or match.group(4))

        return _VARIABLE.sub(replace, value)
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    return value


def dashboard_variables(
    dashboard: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> dict[str, Value]:
    """Values of the dashboard's template variables: current values, then ``overrides``.

    A variable without a current value takes its first option; a query variable
    with neither (its values come from the store at load time) is left out. A
    multi-value variable's value is a list; "All" is its ``allValue`` (or, with
    none, every listed option).
    """
    values: dict[str, Value] = {}
    for variable in dashboard.get("templating", {}).get("list", []):
        name = variable.get("name")
        value = (variable.get("current") or {}).get("value")
        if overrides and name in overrides:
            value = overrides[name]
        if value in (None, "", []) and variable.get("options"):
            value = variable["options"][0].get("value")
        if not name or value in (None, "", []):
            continue
        if value in (ALL, [ALL]):
            if variable.get("allValue"):
                values[name] = Raw(str(variable["allValue"]))
            else:
                values[name] = [str(o["value"]) for o in variable.get("options", [])]
        elif variable.get("multi") or variable.get("includeAll"):
            values[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        elif isinstance(value, list):
            values[name] = str(value[0])
        else:
            values[name] = str(value)
    for name, value in (overrides or {}).items():
        values.setdefault(name, value)
    return values


def time_range_ms(dashboard: Mapping[str, Any], now_ms: int) -> tuple[int, int]:
    """The dashboard's default time range (``now-24h`` .. ``now`` style) in epoch ms."""
    time = dashboard.get("time") or {"from": "now-6h", "to": "now"}
    return _relative_ms(str(time.get("from", "now-6h")), now_ms), _relative_ms(
        str(time.get("to", "now")), now_ms
    )


def _relative_ms(expression: str, now_ms: int) -> int:
    match = _RELATIVE.match(expression)
    if match is None:
        raise DashboardError(
            f"unsupported dashboard time {expression!r} (use now or now-<N><unit>)"
        )
    amount, unit = match.groups()
    return now_ms - int(amount) * _UNIT_MS[unit] if amount else now_ms


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels") or [])  # panels inside collapsed rows


def _datasource(
    ref: Any, variables: Mapping[str, Value], datasource_types: Mapping[str, str]
) -> dict[str, str] | None:
    if isinstance(ref, str):
        ref = {"uid": ref}
    if not isinstance(ref, dict) or not ref.get("uid"):
        return None
    resolved = interpolate(ref, variables)
    uid = str(resolved["uid"])
    if "$" in uid:
        return None
    kind = str(resolved.get("type") or datasource_types.get(uid, ""))
    return {"type": kind, "uid": uid}


def panel_queries(
    dashboard: Mapping[str, Any],
    overrides: Mapping[str, str],
    now_ms: int,
    datasource_types: Mapping[str, str] | None = None,
) -> list[PanelQuery]:
    """One ``/api/ds/query`` body per panel that has visible targets.

    ``overrides`` sets variables (e.g. ``measure``, ``location``; ``$__all`` for
    All) on top of the dashboard's current values; ``datasource_types`` maps
    uids to plugin types for references that omit the type.
    """
    start, end = time_range_ms(dashboard, now_ms)
    variables: dict[str, Value] = {
        **dashboard_variables(dashboard, overrides),
        "__from": str(start),
        "__to": str(end),
    }
    types = dict(datasource_types or {})
    queries = []
    for panel in _panels(list(dashboard.get("panels", []))):
        targets = [t for t in panel.get("targets") or [] if not t.get("hide")]
        if not targets:
            continue
        title = str(panel.get("title") or f"panel {panel.get('id')}")
        max_points = int(panel.get("maxDataPoints") or DEFAULT_MAX_DATA_POINTS)
        interval_ms = max(1_000, (end - start) // max_points // 1_000 * 1_000)
        body_queries = []
        for target in targets:
            source = _datasource(
                target.get("datasource") or panel.get("datasource"), variables, types
            )
            if source is None:
                raise DashboardError(f"panel {title!r}: no datasource uid for target {target}")
            query = interpolate(dict(target), variables)
            query.update(datasource=source, intervalMs=interval_ms, maxDataPoints=max_points)
            query.setdefault("refId", "A")
            body_queries.append(query)
        queries.append(
            PanelQuery(
                panel_id=int(panel.get("id") or 0),
                title=title,
                datasource_type=body_queries[0]["datasource"]["type"],
                body={"queries": body_queries, "from": str(start), "to": str(end)},
            )
        )
    if not queries:
        raise DashboardError("the dashboard has no panel with a query")
    return queries
