"""Every InfluxQL query of the committed dashboard, run on real InfluxDB filled by the ingest job.

The fixture feed (tests/dashboard/feed.py) goes through the real ingest cycle
(Spark transform, DAQI, InfluxDB sink) into the InfluxDB the tests start; each
query is then expanded as Grafana expands it and its result checked against
what the feed implies by the DAQI table.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.dashboard.feed import MINUTE, SITES
from tests.dashboard.grafana_influxql import expand, table_rows

pytestmark = pytest.mark.slow

#: Panel titles and variables whose query this module runs (checked against the JSON).
COVERED = {
    "Max AQI",
    "Mean AQI",
    "Data freshness",
    "Evolution of $measure at location $location",
    "AQI map",
    "Readings of $measure at location $location",
    "variable:location",
}


def influx_queries(board: dict[str, Any]) -> dict[str, str]:
    """Query text by panel title (and ``variable:<name>``) in the InfluxDB dashboard."""
    found = {}
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            found[panel["title"]] = target["query"]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            found[f"variable:{variable['name']}"] = variable["query"]["query"]
    return found


@pytest.fixture(scope="module")
def queries(committed) -> dict[str, str]:
    return influx_queries(committed["influxdb"])


def run(store, query: str, *, location: str = "101", measure: str = "aqi", since: int = 0):
    """Runs a dashboard query for a range from snapshot S0 - ``since``... to S2 + 1 minute."""
    start = store.snaps.at(0) - 60 * MINUTE if since == 0 else since
    text = expand(
        query,
        {"location": location, "measure": measure},
        from_ms=start * 1000,
        to_ms=(store.snaps.newest + MINUTE) * 1000,
    )
    return store.query(text)


def single_value(series: list[dict[str, Any]]) -> Any:
    assert len(series) == 1 and len(series[0]["values"]) == 1, series
    return series[0]["values"][0][1]


def test_every_influxql_query_has_a_real_data_test(queries):
    assert set(queries) == COVERED


def test_location_variable_lists_every_location(loaded_store, queries):
    series = loaded_store.query(expand(queries["variable:location"], {}, 0, 0))
    values = {row[1] for row in series[0]["values"]}
    assert values == {str(location) for location in SITES}


@pytest.mark.parametrize(
    ("location", "expected_max", "expected_mean"),
    [("101", 5, 10 / 3), ("202", 10, 29 / 3), ("303", 1, 1.0)],
)
def test_max_and_mean_aqi_over_the_whole_range(
    loaded_store, queries, location, expected_max, expected_mean
):
    assert single_value(run(loaded_store, queries["Max AQI"], location=location)) == expected_max
    mean = single_value(run(loaded_store, queries["Mean AQI"], location=location))
    assert mean == pytest.approx(expected_mean)


@pytest.mark.parametrize(
    ("location", "expected_max", "expected_mean"), [("101", 5, 4.5), ("202", 10, 10.0)]
)
def test_max_and_mean_aqi_follow_the_time_range(
    loaded_store, queries, location, expected_max, expected_mean
):
    since = loaded_store.snaps.at(1) - 30 * MINUTE  # leaves out snapshot S0
    top = single_value(run(loaded_store, queries["Max AQI"], location=location, since=since))
    mean = single_value(run(loaded_store, queries["Mean AQI"], location=location, since=since))
    assert (top, mean) == (expected_max, pytest.approx(expected_mean))


def test_aqi_stats_have_no_value_for_an_unknown_location(loaded_store, queries):
    assert run(loaded_store, queries["Max AQI"], location="999") == []


def test_map_has_one_row_per_location_with_its_newest_index_and_band(loaded_store, queries):
    rows = table_rows(run(loaded_store, queries["AQI map"]))
    by_location = {row["location_id"]: row for row in rows}
    assert len(rows) == len(by_location) == 3
    snaps = loaded_store.snaps
    expected = {
        "101": (4, "Moderate", 30.0, 55.0, snaps.at(2)),
        "202": (10, "Very High", 50.0, 101.0, snaps.at(2)),
        "303": (1, "Low", 5.0, 5.0, snaps.at(1)),
    }
    for location, (aqi, band, pm25, pm10, when) in expected.items():
        row = by_location[location]
        site = SITES[int(location)]
        assert (row["aqi"], row["band"], row["pm25"], row["pm10"]) == (aqi, band, pm25, pm10)
        assert (row["latitude"], row["longitude"]) == (site.latitude, site.longitude)
        assert row["time"] == when


def test_map_leaves_out_locations_without_a_reading_in_range(loaded_store, queries):
    since = loaded_store.snaps.at(2) - 30 * MINUTE
    rows = table_rows(run(loaded_store, queries["AQI map"], since=since))
    assert {row["location_id"] for row in rows} == {"101", "202"}


def _lines(series: list[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    return {s["tags"]["window"]: [(t, v) for t, v in s["values"]] for s in series}


def test_evolution_draws_one_line_per_window(loaded_store, queries):
    s0, s1, s2 = loaded_store.snaps.times
    lines = _lines(
        run(loaded_store, queries["Evolution of $measure at location $location"], measure="pm25")
    )
    assert lines == {
        "5m": [(s0, 12.0), (s1, 14.0), (s2, 16.0)],
        "24h": [(s0, 10.0), (s1, 41.5), (s2, 30.0)],
    }


def test_evolution_of_the_aqi_has_only_the_daily_line(loaded_store, queries):
    s0, s1, s2 = loaded_store.snaps.times
    query = queries["Evolution of $measure at location $location"]
    assert _lines(run(loaded_store, query, measure="aqi")) == {"24h": [(s0, 1), (s1, 5), (s2, 4)]}
    assert _lines(run(loaded_store, query, measure="temperature")) == {
        "5m": [(s0, 10.5), (s1, 11.5), (s2, 12.5)],
        "24h": [(s2, 11.0)],
    }


def test_evolution_averages_within_the_display_interval(loaded_store, queries):
    s0, s1, s2 = loaded_store.snaps.times
    query = queries["Evolution of $measure at location $location"]
    # A 4-hour interval: Grafana's buckets are aligned on the epoch, so S0..S2 (two
    # hours apart) fall in one or two of them; each bucket holds the mean of its readings.
    bucket = 4 * 3600
    variables = {"location": "101", "measure": "pm25"}
    text = expand(query, variables, s0 * 1000, (s2 + MINUTE) * 1000, bucket * 1000)
    lines = _lines(loaded_store.query(text))
    values = {"5m": {s0: 12.0, s1: 14.0, s2: 16.0}, "24h": {s0: 10.0, s1: 41.5, s2: 30.0}}
    assert set(lines) == set(values)
    for window, points in lines.items():
        buckets: dict[int, list[float]] = {}
        for moment, value in values[window].items():
            buckets.setdefault(moment - moment % bucket, []).append(value)
        expected = [(start, pytest.approx(sum(v) / len(v))) for start, v in sorted(buckets.items())]
        assert points == expected


def test_table_lists_the_readings_of_the_range_newest_first(loaded_store, queries):
    s1, s2 = loaded_store.snaps.at(1), loaded_store.snaps.at(2)
    since = s1 - 30 * MINUTE
    query = queries["Readings of $measure at location $location"]
    rows = table_rows(run(loaded_store, query, measure="pm25", since=since))
    assert [row["time"] for row in rows] == [s2, s2, s1, s1]
    assert {(r["time"], r["window"], r["pm25"]) for r in rows} == {
        (s2, "5m", 16.0),
        (s2, "24h", 30.0),
        (s1, "5m", 14.0),
        (s1, "24h", 41.5),
    }
    assert {(r["sensor_id"], r["sensor_type"]) for r in rows} == {("1001", "SDS011")}


def test_table_of_a_climate_measure_reads_the_climate_sensor(loaded_store, queries):
    query = queries["Readings of $measure at location $location"]
    rows = table_rows(run(loaded_store, query, measure="temperature"))
    assert sorted((r["window"], r["temperature"]) for r in rows) == [
        ("24h", 11.0),
        ("5m", 10.5),
        ("5m", 11.5),
        ("5m", 12.5),
    ]
    assert {r["sensor_id"] for r in rows} == {"1002"}


def test_freshness_is_the_age_of_the_newest_reading_to_the_minute(loaded_store, queries):
    before = int(time.time()) // MINUTE
    series = run(loaded_store, queries["Data freshness"])
    after = int(time.time()) // MINUTE
    newest_minute = loaded_store.snaps.newest // MINUTE
    age = single_value(series)
    assert (before - newest_minute) * MINUTE <= age <= (after - newest_minute) * MINUTE
    assert age >= 600  # ten minutes: the stat is amber


def test_freshness_has_no_value_when_nothing_arrived_within_the_hour(influxdb, queries):
    database = "aq_dashboard_stale"
    influxdb.drop_database(database)
    influxdb.create_database(database)
    query = expand(queries["Data freshness"], {}, 0, 0)
    assert influxdb.query(query, database) == []  # empty store
    old = int(time.time()) - 2 * 3600
    line = f"air_quality,window=5m,sensor_id=1,location_id=1 pm25=1.0,value_count=1i {old}"
    response = requests.post(
        f"{influxdb.url}/write", params={"db": database, "precision": "s"}, data=line, timeout=10
    )
    assert response.status_code == 204
    assert influxdb.query(query, database) == []  # only a reading two hours old
