"""Static check of the Timestream SQL: only what the Timestream writer writes, valid macros.

The written dimension and measure names and types come from the writer itself
(:func:`ingest.sinks.timestream.build_record` on a reading with every column
of the model set). Each query of the dashboard and of the Timestream alert
rules is expanded as Grafana and the plugin expand it, once per ``measure``
choice and for a single, a multiple and an "All" selection, and parsed with
sqlglot's Presto dialect.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from sqlglot import exp

from ingest import daqi, model
from tests.dashboard import grafana_variables as gv
from tests.dashboard.conftest import PROVISIONING_DIR
from tests.dashboard.grafana_provisioning import rules as provisioned_rules
from tests.dashboard.grafana_variables import ALL
from tests.dashboard.timestream_sql import (
    DATABASE,
    PLUGIN_MACROS,
    SYSTEM_COLUMNS,
    TABLE,
    expand,
    parse,
    written_schema,
)

#: Macros of Grafana's InfluxDB datasource, which mean nothing to the plugin.
INFLUX_MACROS = ("$timeFilter", "$__interval ", "$interval", "$tag_")
#: Grafana's global variables the queries may use (the range's start and end, in ms).
GRAFANA_GLOBALS = frozenset({"__from", "__to"})
#: Windows the writers store: the feed's and the archive backfill's.
STORED_WINDOWS = (*model.WINDOWS, model.WINDOW_1H, model.WINDOW_1D)
#: The windows whose rows carry the DAQI (24-hour and calendar-day means).
DAILY_WINDOWS = (model.WINDOW_24H, model.WINDOW_1D)

RECORD_NAME, MEASURES, DIMENSION_LIST = written_schema()
DIMENSIONS = set(DIMENSION_LIST)
#: Timestream type of every column a query may compare (dimensions are VARCHAR).
COLUMN_TYPES = {**dict.fromkeys(DIMENSIONS, "VARCHAR"), **MEASURES, "measure_name": "VARCHAR"}


def provisioned_defaults() -> dict[str, str]:
    config = yaml.safe_load((PROVISIONING_DIR / "datasources" / "timestream.yaml").read_text())
    return config["datasources"][0]["jsonData"]


def timestream_queries(board: dict[str, Any]) -> dict[str, str]:
    """Query text by panel title (``title/refId`` beside A), variable and alert rule."""
    found = {}
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            ref = target["refId"]
            found[panel["title"] if ref == "A" else f"{panel['title']}/{ref}"] = target["rawQuery"]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            found[f"variable:{variable['name']}"] = variable["query"]
    for rule in provisioned_rules("timestream"):
        for query in rule["data"]:
            if "rawQuery" in query["model"]:
                found[f"alert:{rule['uid']}"] = query["model"]["rawQuery"]
    return found


def measure_choices(board: dict[str, Any]) -> list[str]:
    measure = next(v for v in board["templating"]["list"] if v["name"] == "measure")
    return [option["value"] for option in measure["options"]]


#: Selections each query is expanded with: one value, several (one with a quote), All.
SELECTIONS = (
    {"country": ["GB"], "place": ["Aberdeen"], "location": ["3121"]},
    {"country": ["GB", "FR"], "place": ["Aberdeen", "L'Haÿ-les-Roses"], "location": ["1", "2"]},
    {"country": [ALL], "place": [ALL], "location": [ALL]},
)


def expanded(board: dict[str, Any], query: str, measure: str, selection: dict[str, Any]) -> str:
    return expand(
        query,
        values={"measure": measure, **selection},
        all_value=gv.all_value(board),
        from_ms=1_795_000_000_000,
        to_ms=1_795_086_400_000,
        measure_name=provisioned_defaults()["defaultMeasure"],
    )


@pytest.fixture(scope="module")
def board(committed) -> dict[str, Any]:
    return committed["timestream"]


@pytest.fixture(scope="module")
def cases(board) -> list[tuple[str, str, exp.Expression]]:
    """(title, measure, parsed query) for every query, measure and selection."""
    return [
        (title, measure, parse(expanded(board, query, measure, selection)))
        for title, query in timestream_queries(board).items()
        for measure in measure_choices(board)
        for selection in SELECTIONS
    ]


def test_the_writer_stores_what_the_dashboard_reads(board):
    assert RECORD_NAME == model.MEASUREMENT == provisioned_defaults()["defaultMeasure"]
    assert set(measure_choices(board)) <= set(MEASURES)
    assert {"location_id", "window", "sensor_id", "sensor_type", "place", "country"} <= DIMENSIONS
    assert MEASURES["band"] == "VARCHAR" and MEASURES["aqi"] == "BIGINT"
    assert MEASURES[model.HUMID] == "BIGINT" and MEASURES[model.HUMID_RH] == "DOUBLE"


def test_every_panel_and_alert_query_is_checked(board):
    titles = set(timestream_queries(board))
    assert {f"AQI map/{band}" for band in daqi.BAND_ORDER} <= titles
    assert {"alert:aqi-daqi-high", "alert:aqi-ingest-stalled"} <= titles
    assert {"variable:country", "variable:place", "variable:location"} <= titles


def test_only_plugin_macros_grafana_globals_and_dashboard_variables(board):
    names = {v["name"] for v in board["templating"]["list"]}
    for title, query in timestream_queries(board).items():
        for raw in re.findall(r"\$\{?\w+", query):
            token = raw.replace("{", "")
            known = token in PLUGIN_MACROS or token[1:] in names | GRAFANA_GLOBALS
            assert known, (title, token)
        for macro in INFLUX_MACROS:
            assert macro not in query, (title, macro)
        if title != "Data freshness":  # the only panel that ignores the time picker
            assert "$__timeFilter" in query or "${__to}" in query, title


def test_multi_value_variables_are_quoted_for_sql(board):
    """A selection variable is multi-valued: raw text would be SQL, so it must be sqlstring."""
    for title, query in timestream_queries(board).items():
        for name in ("country", "place", "location"):
            assert not re.search(rf"\${name}\b|\$\{{{name}\}}", query), (title, name)


def test_a_raw_multi_value_variable_is_caught(board):
    with pytest.raises(AssertionError, match="sqlstring"):
        expanded(board, "SELECT 1 WHERE place IN (${place})", "aqi", SELECTIONS[1])


def test_queries_read_only_written_columns_of_the_configured_table(cases):
    for title, measure, tree in cases:
        aliases = {a.alias for a in tree.find_all(exp.Alias)}
        columns = {c.name for c in tree.find_all(exp.Column)}
        unknown = columns - set(MEASURES) - DIMENSIONS - SYSTEM_COLUMNS - aliases
        assert not unknown, (title, measure, unknown)
        tables = {(t.db, t.name) for t in tree.find_all(exp.Table)}
        assert tables == {(DATABASE, TABLE)}, (title, tables)


def test_a_column_the_writer_does_not_write_is_caught(board):
    tree = parse(expanded(board, 'SELECT "plaec" FROM "$__database"."$__table"', "aqi", {}))
    assert {c.name for c in tree.find_all(exp.Column)} - set(MEASURES) - DIMENSIONS == {"plaec"}


def _compared(tree: exp.Expression) -> list[tuple[str, exp.Literal]]:
    """(column, literal) of every ``column = literal`` and ``column IN (literals)``."""
    found = []
    for comparison in tree.find_all(exp.EQ):
        if isinstance(comparison.left, exp.Column) and isinstance(comparison.right, exp.Literal):
            found.append((comparison.left.name, comparison.right))
    for within in tree.find_all(exp.In):
        if isinstance(within.this, exp.Column):
            found += [
                (within.this.name, e) for e in within.expressions if isinstance(e, exp.Literal)
            ]
    return found


def test_literals_match_the_written_values(cases):
    for title, _, tree in cases:
        for column, literal in _compared(tree):
            kind = COLUMN_TYPES.get(column)
            assert kind is not None, (title, column)
            assert literal.is_string == (kind == "VARCHAR"), (title, column, literal.sql())
            if column == "measure_name":
                assert literal.this == RECORD_NAME, title
            if column == "window":
                assert literal.this in STORED_WINDOWS, (title, literal.this)
            if column == "band":
                assert literal.this in daqi.BAND_ORDER, (title, literal.this)


def test_the_daqi_is_read_from_the_daily_windows_only(board):
    queries = timestream_queries(board)
    daily = ["Max AQI", "Mean AQI", "alert:aqi-daqi-high"]
    daily += [f"AQI map/{band}" for band in daqi.BAND_ORDER]
    for title in daily:
        tree = parse(expanded(board, queries[title], "aqi", SELECTIONS[0]))
        windows = {literal.this for column, literal in _compared(tree) if column == "window"}
        assert windows and windows <= set(DAILY_WINDOWS), (title, windows)


def test_expansion_rewrites_every_macro(board):
    for title, query in timestream_queries(board).items():
        for measure in measure_choices(board):
            for selection in SELECTIONS:
                assert "$" not in expanded(board, query, measure, selection), title


#: Functions the queries may call, all in Timestream's query language reference:
#: avg, max, sum, count, max_by, date_diff, now, concat, coalesce, and the time
#: series ones bin, ago, from_milliseconds, parse_duration (as sqlglot's Presto
#: node types; AND/OR are connectives).
ALLOWED_FUNCTIONS = (
    exp.Avg,
    exp.Max,
    exp.Sum,
    exp.Count,
    exp.ArgMax,
    exp.DateDiff,
    exp.CurrentTimestamp,
    exp.Concat,
    exp.Coalesce,
    exp.And,
    exp.Or,
)
ALLOWED_ANONYMOUS = {"ago", "bin", "from_milliseconds", "parse_duration"}


def test_only_timestream_functions(cases):
    for title, _, tree in cases:
        for call in tree.find_all(exp.Func):
            if isinstance(call, exp.Anonymous):
                assert call.name.lower() in ALLOWED_ANONYMOUS, (title, call.sql())
            else:
                assert isinstance(call, ALLOWED_FUNCTIONS), (title, call.sql())
