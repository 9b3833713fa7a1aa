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

from dashboard.panels import DEFAULT_SELECTION
from ingest import daqi
from ingest.sinks.influxdb import InfluxSink
from tests.dashboard import grafana_variables as gv
from tests.dashboard.conftest import LoadedStore
from tests.dashboard.feed import (
    LOCATION_MENU,
    MINUTE,
    SITES,
    Snapshots,
    assert_map_layers,
    silent_default_place,
)
from tests.dashboard.grafana_influxql import ALL, expand, multi_value, table_rows

pytestmark = pytest.mark.slow

#: Panel titles and variables whose query this module runs (checked against the JSON).
EVOLUTION = "Evolution of $measure at ${location:text} (${place:text}, ${country:text})"
TABLE = "Readings of $measure at ${location:text} (${place:text}, ${country:text})"
COVERED = {
    "Max AQI",
    "Mean AQI",
    "Data freshness",
    EVOLUTION,
    *(f"AQI map/{band}" for band in daqi.BAND_ORDER),
    TABLE,
    "variable:country",
    "variable:place",
    "variable:location",
}


def influx_queries(board: dict[str, Any]) -> dict[str, str]:
    """Query text by panel title (``title/refId`` beside A, ``variable:<name>``)."""
    found = {}
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            key = (
                panel["title"] if target["refId"] == "A" else f"{panel['title']}/{target['refId']}"
            )
            found[key] = target["query"]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            found[f"variable:{variable['name']}"] = variable["query"]["query"]
    return found


def selection(location: str | list[str] = ALL, place=ALL, country=ALL) -> dict[str, str]:
    return {
        "country": multi_value(country),
        "place": multi_value(place),
        "location": multi_value(location),
    }


@pytest.fixture(scope="module")
def queries(committed) -> dict[str, str]:
    return influx_queries(committed["influxdb"])


def run(store, query: str, *, location="101", measure: str = "aqi", since: int = 0, **chosen):
    """Runs a dashboard query for a range from snapshot S0 - ``since``... to S2 + 1 minute."""
    start = store.snaps.at(0) - 60 * MINUTE if since == 0 else since
    text = expand(
        query,
        {**selection(location, **chosen), "measure": measure},
        from_ms=start * 1000,
        to_ms=(store.snaps.newest + MINUTE) * 1000,
    )
    return store.query(text)


def single_value(series: list[dict[str, Any]]) -> Any:
    assert len(series) == 1 and len(series[0]["values"]) == 1, series
    return series[0]["values"][0][1]


def test_every_influxql_query_has_a_real_data_test(queries):
    assert set(queries) == COVERED


def _values(series: list[dict[str, Any]], column: int = 1) -> set[str]:
    return {row[column] for s in series for row in s["values"]}


@pytest.fixture(scope="module")
def variables(committed) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in committed["influxdb"]["templating"]["list"]}


def menu(store, variable: dict[str, Any], since: int, until: int, **chosen) -> list[gv.Option]:
    """The options Grafana lists for a selection variable, for a range and the outer choices."""
    text = expand(
        variable["query"]["query"],
        {k: multi_value(v) for k, v in chosen.items()},
        since * 1000,
        until * 1000,
    )
    result = store.query(text)
    # Grafana builds the menu from the first frame (series) only.
    assert len(result) <= 1, f"{len(result)} series: Grafana would list the first one only"
    values = [row[1] for row in result[0]["values"]] if result else []
    return gv.options(values, variable["regex"], variable["sort"])


def whole_range(store) -> tuple[int, int]:
    return store.snaps.at(0) - 60 * MINUTE, store.snaps.newest + MINUTE


def test_country_variable_lists_the_stored_countries(loaded_store, variables):
    listed = menu(loaded_store, variables["country"], *whole_range(loaded_store))
    assert [o.value for o in listed] == sorted({site.country for site in SITES.values()})


@pytest.mark.parametrize(
    ("countries", "places"),
    [
        ([ALL], ["Aberdeen", "London", "Mitte", "Paris"]),
        (["GB"], ["Aberdeen", "London"]),
        (["DE", "FR"], ["Mitte", "Paris"]),
        (["PT"], []),  # the point at sea has no place
    ],
)
def test_place_variable_lists_named_places_of_the_chosen_countries(
    loaded_store, variables, countries, places
):
    listed = menu(loaded_store, variables["place"], *whole_range(loaded_store), country=countries)
    assert [(o.text, o.value) for o in listed] == [(p, p) for p in places]


def test_place_variable_lists_only_places_with_a_reading_in_the_range(loaded_store, variables):
    snaps = loaded_store.snaps
    since = snaps.at(2) - 30 * MINUTE  # Paris (303) has no reading since S1
    listed = menu(loaded_store, variables["place"], since, snaps.newest + MINUTE, country=[ALL])
    assert [o.value for o in listed] == ["Aberdeen", "London", "Mitte"]


def test_location_variable_lists_named_locations_of_the_range(loaded_store, variables):
    snaps = loaded_store.snaps
    until = snaps.newest + MINUTE
    location = variables["location"]
    everything = menu(
        loaded_store, location, snaps.at(0) - 60 * MINUTE, until, country=[ALL], place=[ALL]
    )
    assert [(o.value, o.text) for o in everything] == LOCATION_MENU
    recent = menu(
        loaded_store, location, snaps.at(2) - 30 * MINUTE, until, country=[ALL], place=[ALL]
    )
    assert {o.value for o in recent} == {"101", "202", "505", "606"}  # 303: none since S1
    in_gb = menu(
        loaded_store, location, snaps.at(0) - 60 * MINUTE, until, country=["GB"], place=[ALL]
    )
    assert {o.value for o in in_gb} == {"101", "505"}
    london = menu(
        loaded_store, location, snaps.at(0) - 60 * MINUTE, until, country=["GB"], place=["London"]
    )
    assert {o.value for o in london} == {"101"}


CHAIN = ("country", "place", "location")


def first_view(store, variables, since: int, until: int) -> dict[str, list[str]]:
    """The selection a visitor gets on opening the dashboard with no variable in the URL.

    Each variable loads its options in turn (country, then place for that
    country, then location) and keeps its saved value or falls back as Grafana does.
    """
    return gv.opened_chain(
        variables, CHAIN, lambda variable, chosen: menu(store, variable, since, until, **chosen)
    )


def test_the_default_selection_shows_data_for_a_named_place(loaded_store, queries, variables):
    assert {name: variables[name]["current"]["value"] for name in ("country", "place")} == {
        "country": [DEFAULT_SELECTION["country"]],
        "place": [DEFAULT_SELECTION["place"]],
    }
    chosen = first_view(loaded_store, variables, *whole_range(loaded_store))
    assert chosen == {"country": ["GB"], "place": ["London"], "location": [ALL]}
    series = run(loaded_store, queries["Max AQI"], **_selected(chosen))
    assert {s["tags"]["window"]: s["values"][0][1] for s in series} == {"24h": 5, "1d": 6}


def _selected(chosen: dict[str, list[str]]) -> dict[str, list[str] | str]:
    return {"location": chosen["location"], "place": chosen["place"], "country": chosen["country"]}


def test_first_view_falls_back_to_all_places_when_the_default_place_has_no_reading(
    influxdb, queries, variables
):
    """London stored days ago (so in the tag index) but silent in the range: the panels
    still show data, those of every place of the default country."""
    database = "aq_first_view"
    influxdb.drop_database(database)
    influxdb.create_database(database)
    now = int(time.time()) // MINUTE * MINUTE
    sink = InfluxSink.from_url(f"influxdb://127.0.0.1:{influxdb.port}/{database}")
    written = sink.write_rows(silent_default_place(now))
    assert written.written == 2 and not written.rejected

    store = LoadedStore(influxdb, database, Snapshots(now - 600))
    day_range = (now - 86400, now)  # the dashboard's default range, now-24h .. now
    listed = menu(store, variables["place"], *day_range, country=["GB"])
    assert [o.value for o in listed] == ["Aberdeen"]  # London: no reading in the range
    chosen = first_view(store, variables, *day_range)
    assert chosen == {"country": ["GB"], "place": [ALL], "location": [ALL]}
    text = expand(
        queries["Max AQI"],
        {k: multi_value(v) for k, v in chosen.items()},
        day_range[0] * 1000,
        day_range[1] * 1000,
    )
    assert by_window(store.query(text)) == {"24h": 4}


def by_window(series: list[dict[str, Any]]) -> dict[str, Any]:
    assert all(len(s["values"]) == 1 for s in series), series
    return {s["tags"]["window"]: s["values"][0][1] for s in series}


@pytest.mark.parametrize(
    ("location", "expected_max", "expected_mean"),
    [
        ("101", {"24h": 5, "1d": 6}, {"24h": 10 / 3, "1d": 6.0}),
        ("202", {"24h": 10}, {"24h": 29 / 3}),
        ("303", {"24h": 1}, {"24h": 1.0}),
        (["101", "303"], {"24h": 5, "1d": 6}, {"24h": 11 / 4, "1d": 6.0}),
    ],
)
def test_max_and_mean_aqi_over_the_whole_range(
    loaded_store, queries, location, expected_max, expected_mean
):
    assert by_window(run(loaded_store, queries["Max AQI"], location=location)) == expected_max
    mean = by_window(run(loaded_store, queries["Mean AQI"], location=location))
    assert mean == pytest.approx(expected_mean)


def test_aqi_stats_of_all_locations_of_a_place(loaded_store, queries):
    top = run(loaded_store, queries["Max AQI"], location=ALL, country=["GB"], place=["Aberdeen"])
    assert by_window(top) == {"24h": 8}


@pytest.mark.parametrize(
    ("location", "expected_max", "expected_mean"), [("101", 5, 4.5), ("202", 10, 10.0)]
)
def test_max_and_mean_aqi_follow_the_time_range(
    loaded_store, queries, location, expected_max, expected_mean
):
    since = loaded_store.snaps.at(1) - 3 * MINUTE  # leaves out S0 and the 1d row
    top = by_window(run(loaded_store, queries["Max AQI"], location=location, since=since))
    mean = by_window(run(loaded_store, queries["Mean AQI"], location=location, since=since))
    assert (top, mean) == ({"24h": expected_max}, {"24h": pytest.approx(expected_mean)})


def test_aqi_stats_have_no_value_for_an_unknown_location(loaded_store, queries):
    assert run(loaded_store, queries["Max AQI"], location="999") == []


def map_rows(store, queries, **kwargs) -> dict[str, dict[str, dict[str, Any]]]:
    """Band -> location -> row of the map's layers."""
    return {
        band: {
            r["location_id"]: r
            for r in table_rows(run(store, queries[f"AQI map/{band}"], **kwargs))
        }
        for band in daqi.BAND_ORDER
    }


def test_map_layers_hold_each_location_in_its_newest_band(loaded_store, queries):
    assert_map_layers(map_rows(loaded_store, queries), no_place="")  # an absent tag


def test_map_shows_the_last_two_hours_before_the_range_end_whatever_the_range(
    loaded_store, queries
):
    snaps = loaded_store.snaps
    # A range that starts a day earlier reads the same span: S0 is more than 2 h before the end.
    long_range = map_rows(loaded_store, queries, since=snaps.at(0) - 24 * 3600)
    assert long_range["Moderate"]["101"]["pm_readings"] == 2
    # A range that ends before S2: the span holds S0 (pm 15, 10) and S1 of 101.
    text = expand(queries["AQI map/Moderate"], selection(), 0, (snaps.at(1) + MINUTE) * 1000)
    earlier = {r["location_id"]: r for r in table_rows(loaded_store.query(text))}
    assert earlier["101"]["aqi"] == 5


def _lines(series: list[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    return {s["tags"]["window"]: [(t, v) for t, v in s["values"]] for s in series}


def test_evolution_draws_one_line_per_window(loaded_store, queries):
    s0, s1, s2 = loaded_store.snaps.times
    lines = _lines(run(loaded_store, queries[EVOLUTION], measure="pm25"))
    assert lines == {
        "5m": [(s0, 12.0), (s1, 14.0), (s2, 16.0)],
        "24h": [(s0, 10.0), (s1, 41.5), (s2, 30.0)],
        "1h": [(s1, 20.0)],
        "1d": [(s1 - 5 * MINUTE, 50.0)],
    }


def test_evolution_of_the_aqi_has_only_the_daily_line(loaded_store, queries):
    s0, s1, s2 = loaded_store.snaps.times
    query = queries[EVOLUTION]
    assert _lines(run(loaded_store, query, measure="aqi")) == {
        "24h": [(s0, 1), (s1, 5), (s2, 4)],
        "1d": [(s1 - 5 * MINUTE, 6)],
    }
    assert _lines(run(loaded_store, query, measure="temperature")) == {
        "5m": [(s0, 10.5), (s1, 11.5), (s2, 12.5)],
        "24h": [(s2, 11.0)],
    }


def test_evolution_averages_within_the_display_interval(loaded_store, queries):
    s0, s1, s2 = loaded_store.snaps.times
    query = queries[EVOLUTION]
    # A 4-hour interval: Grafana's buckets are aligned on the epoch, so S0..S2 (two
    # hours apart) fall in one or two of them; each bucket holds the mean of its readings.
    bucket = 4 * 3600
    variables = {**selection("101"), "measure": "pm25"}
    text = expand(query, variables, s0 * 1000, (s2 + MINUTE) * 1000, bucket * 1000)
    lines = _lines(loaded_store.query(text))
    values = {
        "5m": {s0: 12.0, s1: 14.0, s2: 16.0},
        "24h": {s0: 10.0, s1: 41.5, s2: 30.0},
        "1h": {s1: 20.0},
        "1d": {s1 - 5 * MINUTE: 50.0},
    }
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
    query = queries[TABLE]
    rows = table_rows(run(loaded_store, query, measure="pm25", since=since))
    assert [row["time"] for row in rows] == [s2, s2, s1, s1, s1, s1 - 5 * MINUTE]
    assert {(r["time"], r["window"], r["pm25"], r["humid"], r["humid_rh"]) for r in rows} == {
        (s2, "5m", 16.0, 1, 84.0),
        (s2, "24h", 30.0, 1, 81.0),
        (s1, "5m", 14.0, 1, 82.0),
        (s1, "24h", 41.5, 0, None),  # no 24-hour humidity at S1
        (s1, "1h", 20.0, 0, None),
        (s1 - 5 * MINUTE, "1d", 50.0, 0, None),
    }
    assert {(r["sensor_id"], r["sensor_type"]) for r in rows} == {("1001", "SDS011")}
    assert {r["location_label"] for r in rows} == {"London, GB (location 101)"}
    assert {(r["location_id"], r["country"], r["place"]) for r in rows} == {("101", "GB", "London")}


def test_table_of_a_climate_measure_reads_the_climate_sensor(loaded_store, queries):
    query = queries[TABLE]
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
