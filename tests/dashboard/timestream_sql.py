"""What the Timestream plugin does to a query, what the Timestream writer stores, and a
stand-in engine to run the SQL on.

Grafana's frontend replaces dashboard variables (raw text for a single value,
``${name:sqlstring}`` quoted, see :mod:`tests.dashboard.grafana_variables`) and
its global ``${__from}`` / ``${__to}`` (the range in epoch ms); then the
plugin's server replaces ``$__database``, ``$__table``, ``$__measure`` (the
datasource defaults), ``$__timeFilter`` (``time BETWEEN from_milliseconds(F)
AND from_milliseconds(T)``) and ``$__interval_ms`` (``<n>ms``)
(pkg/timestream/macros.go).

Timestream's SQL is Presto's plus duration literals (``60000ms``, ``1h``) and
time series functions (``bin``, ``ago``, ``from_milliseconds``). sqlglot parses
it as Presto once durations are rewritten; DuckDB runs it once sqlglot has
translated it and the three functions exist as DuckDB macros.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlglot
from sqlglot import exp

from ingest import model
from ingest.sinks.timestream import build_record
from tests.dashboard import grafana_variables as gv

#: Macros of the grafana-timestream-datasource plugin (src/language/macros.ts).
PLUGIN_MACROS = frozenset(
    {
        "$__timeFilter",
        "$__timeFrom",
        "$__timeTo",
        "$__interval_ms",
        "$__interval_raw_ms",
        "$__database",
        "$__table",
        "$__measure",
        "$__refId",
    }
)
#: Columns every Timestream table has besides dimensions and measures.
SYSTEM_COLUMNS = frozenset({"time", "measure_name"})
#: A duration literal outside quotes (``60000ms``, ``1h``), not a string such as '24h'.
DURATION = re.compile(r"(?<![\w'])(\d+)(ns|us|ms|s|m|h|d)(?![\w'])")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}

DATABASE = "aqi"
TABLE = "air_quality"


def full_row() -> dict[str, Any]:
    """A reading with every column of the model set, so the writer emits every name it can."""
    row: dict[str, Any] = dict.fromkeys(model.COLUMNS)
    row.update(
        time=1_795_000_000,
        window=model.WINDOW_24H,
        sensor_id=1,
        location_id=2,
        country="GB",
        sensor_type="SDS011",
        indoor=0,
        place="Aberdeen",
        region="Scotland",
        band="Low",
        value_count=2,
        extra={"noise_laeq": 40.0},
    )
    row[model.HOURS] = 20  # archive means only
    row.update(dict.fromkeys((*model.LOCATION, *model.MEASURES), 1.5))
    row.update(dict.fromkeys(model.INDEX_COLUMNS, 1))
    row.update({model.HUMID: 1, model.HUMID_RH: 85.0})
    row.update(dict.fromkeys(model.CORRECTED.values(), 1.2))
    unset = [column for column, value in row.items() if value is None]
    assert not unset, f"columns of the model without a value here: {unset}"
    return row


def written_schema() -> tuple[str, dict[str, str], list[str]]:
    """(record name, measure name -> Timestream type, dimension names) the writer produces."""
    record = build_record(full_row())
    measures = {m["Name"]: m["Type"] for m in record["MeasureValues"]}
    dimensions = [d["Name"] for d in record["Dimensions"]]
    return record["MeasureName"], measures, dimensions


_BROWSER_VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\$(\w+)")
_PLUGIN_MACRO_NAMES = frozenset(m[1:] for m in PLUGIN_MACROS)


def substitute_variables(
    query: str, values: Mapping[str, list[str] | str], *, all_value: str, from_ms: int, to_ms: int
) -> str:
    """The browser step: variables and Grafana's global range variables in, plugin macros left.

    A list is a multi-value variable's selection (``[ALL]`` for All), a string
    a single value put in raw.
    """
    times = {"__from": str(from_ms), "__to": str(to_ms)}

    def replace(match: re.Match[str]) -> str:
        name, form = match.group(1) or match.group(3), match.group(2)
        if name in times:
            assert form is None, match.group(0)
            return times[name]
        if name in _PLUGIN_MACRO_NAMES:
            return match.group(0)
        if name not in values:
            raise AssertionError(f"query uses {match.group(0)}, which is no dashboard variable")
        value = values[name]
        if isinstance(value, str):
            assert form is None, match.group(0)
            return value
        assert form == "sqlstring", f"{match.group(0)}: a multi-value variable needs :sqlstring"
        return gv.sqlstring(value, all_value)

    return _BROWSER_VARIABLE.sub(replace, query)


def expand(
    query: str,
    *,
    values: Mapping[str, list[str] | str],
    all_value: str,
    from_ms: int,
    to_ms: int,
    measure_name: str,
    interval_ms: int = 60_000,
) -> str:
    """The SQL the plugin sends to Timestream for this panel, selection, range and interval."""
    text = substitute_variables(query, values, all_value=all_value, from_ms=from_ms, to_ms=to_ms)
    text = text.replace("$__database", DATABASE).replace("$__table", TABLE)
    text = text.replace("$__measure", measure_name)
    text = text.replace(
        "$__timeFilter", f"time BETWEEN from_milliseconds({from_ms}) AND from_milliseconds({to_ms})"
    )
    return text.replace("$__interval_ms", f"{interval_ms}ms")


def parse(sql: str) -> exp.Expression:
    """Timestream SQL as a sqlglot tree (durations become ``parse_duration('…')`` calls)."""
    presto = DURATION.sub(lambda m: f"parse_duration('{m.group(1)}{m.group(2)}')", sql)
    tree = sqlglot.parse_one(presto, read="presto")
    assert tree is not None
    return tree


def to_duckdb(sql: str) -> str:
    """Timestream SQL as DuckDB SQL (durations as intervals in seconds)."""

    def interval(match: re.Match[str]) -> str:
        seconds = int(match.group(1)) * _SECONDS[match.group(2)]
        return f"INTERVAL '{seconds:g}' SECOND"

    return sqlglot.transpile(DURATION.sub(interval, sql), read="presto", write="duckdb")[0]


#: DuckDB versions of Timestream's time series functions, with Timestream's meaning:
#: bin rounds down to a multiple of the interval since the epoch; ago is now minus it.
DUCKDB_MACROS = (
    "CREATE MACRO bin(t, d) AS time_bucket(d, t, TIMESTAMP '1970-01-01 00:00:00')",
    "CREATE MACRO ago(d) AS (now()::TIMESTAMP - d)",
    "CREATE MACRO from_milliseconds(ms) AS epoch_ms(ms)",
)
_DUCKDB_TYPES = {"DOUBLE": "DOUBLE", "BIGINT": "BIGINT", "VARCHAR": "VARCHAR"}


def duckdb_table_sql(measures: dict[str, str], dimensions: list[str]) -> list[str]:
    """The flat model of the table: dimensions, measure_name, time, one column per measure."""
    columns = [f'"{name}" VARCHAR' for name in dimensions]
    columns += ['"measure_name" VARCHAR', '"time" TIMESTAMP']
    columns += [f'"{name}" {_DUCKDB_TYPES[kind]}' for name, kind in measures.items()]
    return [
        f'CREATE SCHEMA "{DATABASE}"',
        f'CREATE TABLE "{DATABASE}"."{TABLE}" ({", ".join(columns)})',
    ]


def flat_row(record: dict[str, Any], columns: list[str]) -> list[Any]:
    """One WriteRecords record as a row of the flat model, in ``columns`` order."""
    values: dict[str, Any] = {d["Name"]: d["Value"] for d in record["Dimensions"]}
    values["measure_name"] = record["MeasureName"]
    values["time"] = datetime.fromtimestamp(int(record["Time"]), UTC).replace(tzinfo=None)
    for measure in record["MeasureValues"]:
        kind, text = measure["Type"], measure["Value"]
        values[measure["Name"]] = (
            float(text) if kind == "DOUBLE" else int(text) if kind == "BIGINT" else text
        )
    return [values.get(column) for column in columns]
