"""The Timestream SQL run on the fixture data, on DuckDB standing in for Timestream.

No Timestream answers queries offline, so this checks the queries' logic rather
than the service: the readings the ingest job stored (read back from the test
InfluxDB) become Timestream records through the Timestream writer
(:func:`ingest.sinks.timestream.build_record`), laid out in Timestream's flat
model (dimensions, ``measure_name``, ``time``, one column per measure) in
DuckDB. Each query is expanded as the plugin expands it, translated by sqlglot
(Timestream's ``bin``, ``ago`` and ``from_milliseconds`` as DuckDB macros with
Timestream's meaning) and must give what the feed implies, the same answers as
the InfluxQL of the other dashboard.
"""

from __future__ import annotations

import time
from datetime import UTC
from typing import Any

import duckdb
import pytest

from ingest import model
from ingest.sinks.timestream import build_record
from tests.dashboard.feed import MINUTE, SITES
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


def stored_readings(store) -> list[dict[str, Any]]:
    """The readings the ingest job stored, as the reading dicts sinks receive."""
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


@pytest.fixture(scope="module")
def standin(loaded_store):
    """DuckDB holding the stored readings as the Timestream writer would write them."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    for statement in (*DUCKDB_MACROS, *duckdb_table_sql(MEASURES, DIMENSIONS)):
        connection.execute(statement)
    rows = [flat_row(build_record(r), COLUMNS) for r in stored_readings(loaded_store)]
    assert len(rows) == 18  # 8 daily and 10 five-minute readings in the feed
    marks = ", ".join("?" for _ in COLUMNS)
    connection.executemany(f'INSERT INTO "aqi"."air_quality" VALUES ({marks})', rows)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def queries(committed) -> dict[str, str]:
    board = committed["timestream"]
    found = {p["title"]: t["rawQuery"] for p in board["panels"] for t in p.get("targets", [])}
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            found[f"variable:{variable['name']}"] = variable["query"]
    return found


def run(standin, snaps, query: str, *, location="101", measure="aqi", since=0, interval=60_000):
    start = snaps.at(0) - 60 * MINUTE if since == 0 else since
    sql = expand(
        query,
        measure=measure,
        location=location,
        from_ms=start * 1000,
        to_ms=(snaps.newest + MINUTE) * 1000,
        measure_name=RECORD_NAME,
        interval_ms=interval,
    )
    cursor = standin.execute(to_duckdb(sql))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def seconds(moment: Any) -> int:
    """A DuckDB TIMESTAMP (UTC, naive) as epoch seconds."""
    return int(moment.replace(tzinfo=UTC).timestamp())


def test_location_variable(standin, loaded_store, queries):
    rows = run(standin, loaded_store.snaps, queries["variable:location"])
    assert [r["location_id"] for r in rows] == sorted(str(s) for s in SITES)


@pytest.mark.parametrize(
    ("location", "top", "mean", "since_s1"),
    [
        ("101", 5, 10 / 3, False),
        ("202", 10, 29 / 3, False),
        ("303", 1, 1.0, False),
        ("101", 5, 4.5, True),
        ("202", 10, 10.0, True),
    ],
)
def test_max_and_mean_aqi(standin, loaded_store, queries, location, top, mean, since_s1):
    snaps = loaded_store.snaps
    since = snaps.at(1) - 30 * MINUTE if since_s1 else 0
    (high,) = run(standin, snaps, queries["Max AQI"], location=location, since=since)
    (average,) = run(standin, snaps, queries["Mean AQI"], location=location, since=since)
    assert high["max_aqi"] == top
    assert average["mean_aqi"] == pytest.approx(mean)


def test_map_has_one_row_per_location_with_its_newest_index_and_band(
    standin, loaded_store, queries
):
    snaps = loaded_store.snaps
    rows = {r["location_id"]: r for r in run(standin, snaps, queries["AQI map"])}
    expected = {
        "101": (4, "Moderate", 30.0, 55.0, snaps.at(2)),
        "202": (10, "Very High", 50.0, 101.0, snaps.at(2)),
        "303": (1, "Low", 5.0, 5.0, snaps.at(1)),
    }
    assert set(rows) == set(expected)
    for location, (aqi, band, pm25, pm10, when) in expected.items():
        row, site = rows[location], SITES[int(location)]
        assert (row["aqi"], row["band"], row["pm25"], row["pm10"]) == (aqi, band, pm25, pm10)
        assert (row["latitude"], row["longitude"]) == (site.latitude, site.longitude)
        assert seconds(row["time"]) == when


def test_evolution_lines_per_window(standin, loaded_store, queries):
    snaps = loaded_store.snaps
    s0, s1, s2 = snaps.times
    query = queries["Evolution of $measure at location $location"]

    def lines(measure: str, interval: int = 60_000) -> dict[str, list[tuple[int, float]]]:
        found: dict[str, list[tuple[int, float]]] = {}
        for row in run(standin, snaps, query, measure=measure, interval=interval):
            found.setdefault(row["window"], []).append((seconds(row["time"]), row[measure]))
        return found

    assert lines("pm25") == {
        "5m": [(s0, 12.0), (s1, 14.0), (s2, 16.0)],
        "24h": [(s0, 10.0), (s1, 41.5), (s2, 30.0)],
    }
    assert lines("aqi") == {"24h": [(s0, 1), (s1, 5), (s2, 4)]}
    four_hours = 4 * 3600
    buckets: dict[int, list[float]] = {}
    for moment, value in {s0: 12.0, s1: 14.0, s2: 16.0}.items():
        buckets.setdefault(moment - moment % four_hours, []).append(value)
    expected = [(start, pytest.approx(sum(v) / len(v))) for start, v in sorted(buckets.items())]
    assert lines("pm25", four_hours * 1000)["5m"] == expected


def test_table_lists_the_readings_of_the_range_newest_first(standin, loaded_store, queries):
    snaps = loaded_store.snaps
    s1, s2 = snaps.at(1), snaps.at(2)
    query = queries["Readings of $measure at location $location"]
    rows = run(standin, snaps, query, measure="pm25", since=s1 - 30 * MINUTE)
    assert [seconds(r["time"]) for r in rows] == [s2, s2, s1, s1]
    assert {(seconds(r["time"]), r["window"], r["pm25"]) for r in rows} == {
        (s2, "5m", 16.0),
        (s2, "24h", 30.0),
        (s1, "5m", 14.0),
        (s1, "24h", 41.5),
    }
    assert {(r["sensor_id"], r["sensor_type"]) for r in rows} == {("1001", "SDS011")}


def test_freshness_is_the_age_of_the_newest_reading(standin, loaded_store, queries):
    before = int(time.time())
    (row,) = run(standin, loaded_store.snaps, queries["Data freshness"])
    after = int(time.time())
    assert before - loaded_store.snaps.newest <= row["age"] <= after - loaded_store.snaps.newest + 1
