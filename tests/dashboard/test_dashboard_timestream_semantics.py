"""The Timestream SQL run on the fixture data, on DuckDB standing in for Timestream.

No Timestream answers queries offline, so this checks the queries' logic rather
than the service: the readings the ingest job stored and the archive rows
(read back from the test InfluxDB) become Timestream records through the
Timestream writer (:func:`ingest.sinks.timestream.build_record`), laid out in
Timestream's flat model (dimensions, ``measure_name``, ``time``, one column per
measure) in DuckDB. Each query of the dashboard and of the Timestream alert
rules is expanded as Grafana and the plugin expand it, translated by sqlglot
(Timestream's ``bin``, ``ago`` and ``from_milliseconds`` as DuckDB macros with
Timestream's meaning) and must give what the feed implies: the same answers as
the InfluxQL of the other dashboard.
"""

from __future__ import annotations

import json
import time
from datetime import UTC
from typing import Any

import duckdb
import pytest

from ingest import daqi, model
from ingest.sinks.timestream import build_record
from tests.dashboard import grafana_variables as gv
from tests.dashboard.conftest import DASHBOARD_DIR
from tests.dashboard.feed import (
    ARCHIVE,
    DAILY,
    FIVE_MINUTES,
    LOCATION_MENU,
    MINUTE,
    SITES,
    assert_map_layers,
    silent_default_place,
)
from tests.dashboard.grafana_provisioning import rules as provisioned_rules
from tests.dashboard.grafana_variables import ALL
from tests.dashboard.timestream_sql import (
    DUCKDB_MACROS,
    duckdb_table_sql,
    expand,
    flat_row,
    to_duckdb,
    written_schema,
)

pytestmark = pytest.mark.slow

RECORD_NAME, MEASURES, DIMENSIONS = written_schema()
COLUMNS = [*DIMENSIONS, "measure_name", "time", *MEASURES]
_INTEGER_TAGS = ("sensor_id", "location_id", "indoor")

#: What "All" puts into the SQL, as the committed dashboard says.
ALL_VALUE = gv.all_value(json.loads((DASHBOARD_DIR / "air-quality-timestream.json").read_text()))

EVOLUTION = "Evolution of $measure at ${location:text} (${place:text}, ${country:text})"
TABLE = "Readings of $measure at ${location:text} (${place:text}, ${country:text})"


def stored_readings(store) -> list[dict[str, Any]]:
    """The readings stored in the test InfluxDB, as the reading dicts sinks receive."""
    (series,) = store.query(f'SELECT * FROM "{model.MEASUREMENT}"')
    readings = []
    for values in series["values"]:
        stored = dict(zip(series["columns"], values, strict=True))
        row: dict[str, Any] = {column: stored.get(column) for column in model.COLUMNS}
        for tag in _INTEGER_TAGS:
            row[tag] = int(stored[tag]) if stored.get(tag) is not None else None
        row[model.EXTRA] = {
            name[2:]: value
            for name, value in stored.items()
            if name.startswith("x_") and value is not None
        }
        readings.append(row)
    return readings


def duckdb_standin(readings: list[dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    """DuckDB holding ``readings`` as the Timestream writer would write them."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    for statement in (*DUCKDB_MACROS, *duckdb_table_sql(MEASURES, DIMENSIONS)):
        connection.execute(statement)
    rows = [flat_row(build_record(r), COLUMNS) for r in readings]
    marks = ", ".join("?" for _ in COLUMNS)
    connection.executemany(f'INSERT INTO "aqi"."air_quality" VALUES ({marks})', rows)
    return connection


@pytest.fixture(scope="module")
def standin(loaded_store):
    """The stand-in holding what the ingest job stored and the archive rows."""
    readings = stored_readings(loaded_store)
    assert len(readings) == len(DAILY) + len(FIVE_MINUTES) + len(ARCHIVE)
    connection = duckdb_standin(readings)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def board(committed) -> dict[str, Any]:
    return committed["timestream"]


@pytest.fixture(scope="module")
def queries(board) -> dict[str, str]:
    found = {}
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            ref = target["refId"]
            found[panel["title"] if ref == "A" else f"{panel['title']}/{ref}"] = target["rawQuery"]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            found[f"variable:{variable['name']}"] = variable["query"]
    return found


@pytest.fixture(scope="module")
def variables(board) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in board["templating"]["list"]}


def sql(
    standin, query: str, *, since: int, until: int, interval: int = 60_000, **values
) -> list[dict[str, Any]]:
    """Runs one query for the range [since, until] (epoch s) and a selection."""
    text = expand(
        query,
        values=values,
        all_value=ALL_VALUE,
        from_ms=since * 1000,
        to_ms=until * 1000,
        measure_name=RECORD_NAME,
        interval_ms=interval,
    )
    cursor = standin.execute(to_duckdb(text))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def whole_range(snaps) -> dict[str, int]:
    return {"since": snaps.at(0) - 60 * MINUTE, "until": snaps.newest + MINUTE}


def run(standin, snaps, query: str, *, location=("101",), measure="aqi", since=0, **chosen):
    """A panel query over S0 - 1 h (or ``since``) .. S2 + 1 min for a selection."""
    span = whole_range(snaps)
    if since:
        span["since"] = since
    selection = {
        "location": list(location) if location != ALL else [ALL],
        "place": chosen.get("place", [ALL]),
        "country": chosen.get("country", [ALL]),
    }
    return sql(standin, query, measure=measure, **selection, **span)


def seconds(moment: Any) -> int:
    """A DuckDB TIMESTAMP (UTC, naive) as epoch seconds."""
    return int(moment.replace(tzinfo=UTC).timestamp())


def menu(standin, variable, *, since: int, until: int, **chosen) -> list[gv.Option]:
    rows = sql(standin, variable["query"], since=since, until=until, measure="aqi", **chosen)
    values = [next(iter(row.values())) for row in rows]
    return gv.options(values, variable["regex"], variable["sort"])


def test_country_and_place_variables_chain(standin, loaded_store, variables):
    span = whole_range(loaded_store.snaps)
    countries = menu(standin, variables["country"], **span)
    assert [o.value for o in countries] == sorted({s.country for s in SITES.values()})
    for chosen, places in (
        ([ALL], ["Aberdeen", "London", "Mitte", "Paris"]),
        (["GB"], ["Aberdeen", "London"]),
        (["DE", "FR"], ["Mitte", "Paris"]),
        (["PT"], []),
    ):
        listed = menu(standin, variables["place"], country=chosen, **span)
        assert [o.value for o in listed] == places, chosen


def test_location_variable_lists_named_locations_of_the_range(standin, loaded_store, variables):
    snaps = loaded_store.snaps
    span = whole_range(snaps)
    everything = menu(standin, variables["location"], country=[ALL], place=[ALL], **span)
    assert [(o.value, o.text) for o in everything] == LOCATION_MENU
    recent = {**span, "since": snaps.at(2) - 30 * MINUTE}
    listed = menu(standin, variables["location"], country=[ALL], place=[ALL], **recent)
    assert {o.value for o in listed} == {"101", "202", "505", "606"}
    london = menu(standin, variables["location"], country=["GB"], place=["London"], **span)
    assert [o.value for o in london] == ["101"]


def test_the_default_selection_shows_data_for_a_named_place(
    standin, loaded_store, queries, variables
):
    span = whole_range(loaded_store.snaps)
    chosen = gv.opened_chain(
        variables,
        ("country", "place", "location"),
        lambda variable, outer: menu(standin, variable, **outer, **span),
    )
    assert chosen == {"country": ["GB"], "place": ["London"], "location": [ALL]}
    rows = sql(standin, queries["Max AQI"], measure="aqi", **chosen, **span)
    assert {r["window"]: r["max_aqi"] for r in rows} == {"24h": 5, "1d": 6}


def test_first_view_falls_back_to_all_places_when_the_default_place_has_no_reading(
    queries, variables
):
    """London's only reading is 3 days old: the place menu (of the range) does not list
    it, the place opens on All, and the panels show the rest of the country."""
    now = int(time.time()) // MINUTE * MINUTE
    connection = duckdb_standin(silent_default_place(now))
    try:
        span = {"since": now - 86400, "until": now}  # the default range, now-24h .. now
        listed = menu(connection, variables["place"], country=["GB"], **span)
        assert [o.value for o in listed] == ["Aberdeen"]
        chosen = gv.opened_chain(
            variables,
            ("country", "place", "location"),
            lambda variable, outer: menu(connection, variable, **outer, **span),
        )
        assert chosen == {"country": ["GB"], "place": [ALL], "location": [ALL]}
        result = sql(connection, queries["Max AQI"], measure="aqi", **chosen, **span)
        assert by_window(result, "max_aqi") == {"24h": 4}
    finally:
        connection.close()


def by_window(rows: list[dict[str, Any]], column: str) -> dict[str, Any]:
    return {r["window"]: r[column] for r in rows}


@pytest.mark.parametrize(
    ("location", "expected_max", "expected_mean"),
    [
        (["101"], {"24h": 5, "1d": 6}, {"24h": 10 / 3, "1d": 6.0}),
        (["202"], {"24h": 10}, {"24h": 29 / 3}),
        (["303"], {"24h": 1}, {"24h": 1.0}),
        (["101", "303"], {"24h": 5, "1d": 6}, {"24h": 11 / 4, "1d": 6.0}),
    ],
)
def test_max_and_mean_aqi_over_the_whole_range(
    standin, loaded_store, queries, location, expected_max, expected_mean
):
    snaps = loaded_store.snaps
    top = run(standin, snaps, queries["Max AQI"], location=location)
    mean = run(standin, snaps, queries["Mean AQI"], location=location)
    assert by_window(top, "max_aqi") == expected_max
    assert by_window(mean, "mean_aqi") == pytest.approx(expected_mean)


def test_aqi_stats_of_all_locations_of_a_place(standin, loaded_store, queries):
    rows = run(standin, loaded_store.snaps, queries["Max AQI"], location=ALL, place=["Aberdeen"])
    assert by_window(rows, "max_aqi") == {"24h": 8}


@pytest.mark.parametrize(
    ("location", "expected_max", "expected_mean"), [("101", 5, 4.5), ("202", 10, 10.0)]
)
def test_max_and_mean_aqi_follow_the_time_range(
    standin, loaded_store, queries, location, expected_max, expected_mean
):
    snaps = loaded_store.snaps
    since = snaps.at(1) - 3 * MINUTE  # leaves out S0 and the 1d row
    top = run(standin, snaps, queries["Max AQI"], location=[location], since=since)
    mean = run(standin, snaps, queries["Mean AQI"], location=[location], since=since)
    assert by_window(top, "max_aqi") == {"24h": expected_max}
    assert by_window(mean, "mean_aqi") == {"24h": pytest.approx(expected_mean)}


def map_rows(standin, snaps, queries, **span) -> dict[str, dict[str, dict[str, Any]]]:
    """Band -> location -> row of the map's layers."""
    span = {**whole_range(snaps), **span}
    return {
        band: {
            r["location_id"]: r
            for r in sql(standin, queries[f"AQI map/{band}"], measure="aqi", **span)
        }
        for band in daqi.BAND_ORDER
    }


def test_map_layers_hold_each_location_in_its_newest_band(standin, loaded_store, queries):
    assert_map_layers(map_rows(standin, loaded_store.snaps, queries), no_place=None)


def test_map_shows_the_last_two_hours_before_the_range_end_whatever_the_range(
    standin, loaded_store, queries
):
    snaps = loaded_store.snaps
    long_range = map_rows(standin, snaps, queries, since=snaps.at(0) - 24 * 3600)
    assert long_range["Moderate"]["101"]["pm_readings"] == 2
    earlier = map_rows(standin, snaps, queries, since=0, until=snaps.at(1) + MINUTE)
    assert earlier["Moderate"]["101"]["aqi"] == 5


def _lines(rows: list[dict[str, Any]], measure: str) -> dict[str, list[tuple[int, float]]]:
    found: dict[str, list[tuple[int, float]]] = {}
    for row in rows:
        found.setdefault(row["window"], []).append((seconds(row["time"]), row[measure]))
    return found


def test_evolution_draws_one_line_per_window(standin, loaded_store, queries):
    snaps = loaded_store.snaps
    s0, s1, s2 = snaps.times
    query = queries[EVOLUTION]
    assert _lines(run(standin, snaps, query, measure="pm25"), "pm25") == {
        "5m": [(s0, 12.0), (s1, 14.0), (s2, 16.0)],
        "24h": [(s0, 10.0), (s1, 41.5), (s2, 30.0)],
        "1h": [(s1, 20.0)],
        "1d": [(s1 - 5 * MINUTE, 50.0)],
    }
    assert _lines(run(standin, snaps, query, measure="aqi"), "aqi") == {
        "24h": [(s0, 1), (s1, 5), (s2, 4)],
        "1d": [(s1 - 5 * MINUTE, 6)],
    }
    four_hours = 4 * 3600
    rows = sql(
        standin,
        query,
        measure="pm25",
        location=["101"],
        place=[ALL],
        country=[ALL],
        interval=four_hours * 1000,
        **whole_range(snaps),
    )
    buckets: dict[int, list[float]] = {}
    for moment, value in {s0: 12.0, s1: 14.0, s2: 16.0}.items():
        buckets.setdefault(moment - moment % four_hours, []).append(value)
    expected = [(start, pytest.approx(sum(v) / len(v))) for start, v in sorted(buckets.items())]
    assert _lines(rows, "pm25")["5m"] == expected


def test_table_lists_the_readings_of_the_range_newest_first(standin, loaded_store, queries):
    snaps = loaded_store.snaps
    s1, s2 = snaps.at(1), snaps.at(2)
    rows = run(standin, snaps, queries[TABLE], measure="pm25", since=s1 - 30 * MINUTE)
    assert [seconds(r["time"]) for r in rows] == [s2, s2, s1, s1, s1, s1 - 5 * MINUTE]
    assert {
        (seconds(r["time"]), r["window"], r["pm25"], r["humid"], r["humid_rh"]) for r in rows
    } == {
        (s2, "5m", 16.0, 1, 84.0),
        (s2, "24h", 30.0, 1, 81.0),
        (s1, "5m", 14.0, 1, 82.0),
        (s1, "24h", 41.5, 0, None),
        (s1, "1h", 20.0, 0, None),
        (s1 - 5 * MINUTE, "1d", 50.0, 0, None),
    }
    assert {(r["sensor_id"], r["sensor_type"]) for r in rows} == {("1001", "SDS011")}
    assert {r["location_label"] for r in rows} == {"London, GB (location 101)"}


def test_freshness_is_the_age_of_the_newest_reading(standin, loaded_store, queries):
    before = int(time.time())
    (row,) = run(standin, loaded_store.snaps, queries["Data freshness"])
    after = int(time.time())
    newest = loaded_store.snaps.newest
    assert before - newest <= row["age"] <= after - newest + 1


def _rule(uid: str) -> dict[str, Any]:
    return next(r for r in provisioned_rules("timestream") if r["uid"] == uid)


def evaluate(standin, uid: str, now_s: int) -> list[tuple[dict[str, str], float]] | None:
    """The rule's query A over its relative range, then B (last, drop non-numbers) and C.

    A table result is what Grafana alerting turns into one series per row: the
    string columns its labels, the number its value. None: no data.
    """
    rule = _rule(uid)
    query, reduce, threshold = rule["data"]
    span = query["relativeTimeRange"]["from"]
    rows = sql(standin, query["model"]["rawQuery"], since=now_s - span, until=now_s)
    if not rows:
        return None
    assert reduce["model"]["reducer"] == "last"
    (condition,) = threshold["model"]["conditions"]
    kind, (bound,) = condition["evaluator"]["type"], condition["evaluator"]["params"]
    firing = []
    for row in rows:
        labels = {k: v for k, v in row.items() if isinstance(v, str)}
        (value,) = [v for v in row.values() if isinstance(v, int | float)]
        if (kind == "gt" and value > bound) or (kind == "lt" and value < bound):
            firing.append((labels, value))
    return firing


def test_high_rule_fires_for_a_high_location_but_not_a_humid_one(standin):
    firing = evaluate(standin, "aqi-daqi-high", int(time.time()))
    assert firing == [({"country": "DE", "location_id": "202", "place": "Mitte"}, 10)]


def test_stalled_rule_is_quiet_while_readings_arrive_and_fires_after_15_minutes(
    standin, loaded_store
):
    newest = loaded_store.snaps.newest
    assert evaluate(standin, "aqi-ingest-stalled", newest + 5 * MINUTE) == []
    # Sixteen minutes after the newest reading: a count of 0 readings, below 1.
    assert evaluate(standin, "aqi-ingest-stalled", newest + 16 * MINUTE) == [({}, 0)]
