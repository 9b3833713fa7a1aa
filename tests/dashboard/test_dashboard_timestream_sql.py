"""Static check of the Timestream SQL: only what the Timestream writer writes, valid macros.

The written dimension and measure names come from the writer itself
(:func:`ingest.sinks.timestream.build_record` on a reading with every column
set). Each query is expanded as the plugin expands it, once per ``measure``
choice, and parsed with sqlglot's Presto dialect.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from sqlglot import exp

from ingest import model
from tests.dashboard.conftest import PROVISIONING_DIR
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

RECORD_NAME, MEASURES, DIMENSION_LIST = written_schema()
DIMENSIONS = set(DIMENSION_LIST)


def provisioned_defaults() -> dict[str, str]:
    config = yaml.safe_load((PROVISIONING_DIR / "datasources" / "timestream.yaml").read_text())
    return config["datasources"][0]["jsonData"]


def timestream_queries(board: dict[str, Any]) -> dict[str, str]:
    found = {}
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            found[panel["title"]] = target["rawQuery"]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            found[f"variable:{variable['name']}"] = variable["query"]
    return found


def measure_choices(board: dict[str, Any]) -> list[str]:
    measure = next(v for v in board["templating"]["list"] if v["name"] == "measure")
    return [option["value"] for option in measure["options"]]


def expanded(query: str, measure: str) -> str:
    return expand(
        query,
        measure=measure,
        location="101",
        from_ms=1_795_000_000_000,
        to_ms=1_795_086_400_000,
        measure_name=provisioned_defaults()["defaultMeasure"],
    )


@pytest.fixture(scope="module")
def board(committed) -> dict[str, Any]:
    return committed["timestream"]


def cases(committed_board: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (title, measure, query)
        for title, query in timestream_queries(committed_board).items()
        for measure in measure_choices(committed_board)
    ]


def test_the_writer_stores_what_the_dashboard_reads(board):
    assert RECORD_NAME == model.MEASUREMENT == provisioned_defaults()["defaultMeasure"]
    assert set(measure_choices(board)) <= set(MEASURES)
    assert {"location_id", "window", "sensor_id", "sensor_type"} <= DIMENSIONS
    assert MEASURES["band"] == "VARCHAR" and MEASURES["aqi"] == "BIGINT"


def test_only_plugin_macros_and_dashboard_variables(board):
    names = {v["name"] for v in board["templating"]["list"]}
    for title, query in timestream_queries(board).items():
        for raw in re.findall(r"\$\{?\w+", query):
            token = raw.replace("{", "")
            assert token in PLUGIN_MACROS or token[1:] in names, (title, token)
        for macro in INFLUX_MACROS:
            assert macro not in query, (title, macro)
        if title != "Data freshness":  # the only panel that ignores the time picker
            assert "$__timeFilter" in query, title


def test_queries_read_only_written_columns_of_the_configured_table(board):
    for title, measure, query in cases(board):
        tree = parse(expanded(query, measure))
        aliases = {a.alias for a in tree.find_all(exp.Alias)}
        columns = {c.name for c in tree.find_all(exp.Column)}
        unknown = columns - set(MEASURES) - DIMENSIONS - SYSTEM_COLUMNS - aliases
        assert not unknown, (title, measure, unknown)
        tables = {(t.db, t.name) for t in tree.find_all(exp.Table)}
        assert tables == {(DATABASE, TABLE)}, (title, tables)


def test_literals_match_the_written_values(board):
    for title, measure, query in cases(board):
        tree = parse(expanded(query, measure))
        for comparison in tree.find_all(exp.EQ):
            column, literal = comparison.left, comparison.right
            if not isinstance(column, exp.Column) or not isinstance(literal, exp.Literal):
                continue
            assert literal.is_string, (title, comparison.sql())  # dimensions are VARCHAR
            if column.name == "measure_name":
                assert literal.this == RECORD_NAME, title
            if column.name == "window":
                assert literal.this in model.WINDOWS, title
            assert column.name in DIMENSIONS | {"measure_name"}, (title, column.name)


def test_the_daqi_is_read_from_the_daily_window_only(board):
    queries = timestream_queries(board)
    for title in ("Max AQI", "Mean AQI", "AQI map"):
        assert f"\"window\" = '{model.WINDOW_24H}'" in queries[title], title


def test_expansion_rewrites_every_macro(board):
    for title, measure, query in cases(board):
        assert "$" not in expanded(query, measure), title


#: Functions the queries may call, all in Timestream's query language reference:
#: avg, max, max_by, date_diff, now, and the time series ones bin, ago,
#: from_milliseconds, parse_duration. (Parsed as sqlglot's Presto node types.)
ALLOWED_FUNCTIONS = (exp.Avg, exp.Max, exp.ArgMax, exp.DateDiff, exp.CurrentTimestamp, exp.And)
ALLOWED_ANONYMOUS = {"ago", "bin", "from_milliseconds", "parse_duration"}


def test_only_timestream_functions(board):
    for title, measure, query in cases(board):
        for call in parse(expanded(query, measure)).find_all(exp.Func):
            if isinstance(call, exp.Anonymous):
                assert call.name.lower() in ALLOWED_ANONYMOUS, (title, call.sql())
            else:
                assert isinstance(call, ALLOWED_FUNCTIONS), (title, call.sql())
