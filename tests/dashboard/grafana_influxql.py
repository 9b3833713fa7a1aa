"""What Grafana does to an InfluxQL target before and after InfluxDB runs it.

Before: the browser replaces dashboard variables (``$measure``, ``${location}``)
with their values: a single-value variable that is neither multi nor "include
all" goes in as its raw text; a multi-value one as ``(a|b)`` with each value
regex-escaped, a number as it is, and "All" as the variable's ``allValue``
(datasource.ts ``interpolateQueryExpr``); ``${__to}`` is the range's end in ms. Then Grafana's server replaces, in this order,
``$timeFilter`` with ``time >= <from>ms and time <= <to>ms``, ``$interval`` and
``$__interval`` with the interval in Grafana's short format (``1m``, ``1h``) and
``$__interval_ms`` with milliseconds (pkg/tsdb/influxdb/influxql/models/query.go).

After, for ``resultFormat: table``: one frame for all series, a row per point,
the series' tag columns after the time column (transformRowsForTable).
"""

from __future__ import annotations

import re
from typing import Any

_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_BUILT_IN = ("timeFilter", "interval", "__interval", "__interval_ms")


ALL = "$__all"
_REGEX_SPECIAL = re.compile(r"[\\^$*+?.()|\[\]{}/]")


def escape_regex(value: str) -> str:
    """Grafana's ``escapeRegex`` (@grafana/data)."""
    return _REGEX_SPECIAL.sub(lambda m: "\\" + m.group(0), value)


def multi_value(values: list[str] | str, all_value: str = ".*") -> str:
    """A multi-value variable's text in InfluxQL: All, a number, or ``(a|b)`` escaped."""
    if values == ALL or values == [ALL]:
        return all_value
    if isinstance(values, str):
        return values if _is_number(values) else escape_regex(values)
    return "(" + "|".join(escape_regex(v) for v in values) + ")"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def substitute_variables(query: str, variables: dict[str, str]) -> str:
    """The browser step: dashboard variables in, Grafana's own macros left alone."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name in variables:
            return variables[name]
        if name in _BUILT_IN or name.startswith("__"):
            return match.group(0)
        raise AssertionError(f"query uses ${name}, which is no dashboard variable")

    return _VARIABLE.sub(replace, query)


def format_interval(ms: int) -> str:
    """Grafana's gtime.FormatInterval: the largest unit that fits, truncated (90 s -> 1m)."""
    for unit, size in (
        ("y", 365 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ):
        if ms >= size:
            return f"{ms // size}{unit}"
    return "1ms"


def expand(
    query: str, variables: dict[str, str], from_ms: int, to_ms: int, interval_ms: int = 60_000
) -> str:
    """The InfluxQL Grafana sends for a panel with this time range and interval."""
    text = substitute_variables(query, {"__to": str(to_ms), **variables})
    text = text.replace("$timeFilter", f"time >= {from_ms}ms and time <= {to_ms}ms")
    interval = format_interval(interval_ms)
    text = text.replace("$interval", interval)
    text = text.replace("$__interval_ms", str(interval_ms))
    return text.replace("$__interval", interval)


def table_rows(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the single frame Grafana builds from a ``table`` result."""
    rows = []
    for one in series:
        tags = one.get("tags") or {}
        for values in one["values"]:
            row = dict(zip(one["columns"], values, strict=True))
            rows.append({**tags, **row})
    return rows
