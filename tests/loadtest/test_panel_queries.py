"""Panel queries are read from the dashboard JSON as a browser would send them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from locustfiles.panel_queries import (
    DashboardError,
    Raw,
    format_value,
    interpolate,
    load_dashboard,
    panel_queries,
)
from tests.loadtest.locust_runner import ROOT, TEST_DASHBOARD, TEST_DASHBOARD_UID
from tests.loadtest.target_server import UNRESOLVED

NOW_MS = 1_790_000_000_000
DAY_MS = 86_400_000


def test_one_request_per_panel_with_visible_targets_and_variables_filled() -> None:
    dashboard = load_dashboard(TEST_DASHBOARD)
    panels = panel_queries(dashboard, {"measure": "pm10", "location": "4242"}, NOW_MS)
    assert [p.title for p in panels] == ["Measure over time", "Latest index"]  # text panel has none
    series, latest = panels
    assert [q["refId"] for q in series.body["queries"]] == ["A"]  # hidden target B is not sent
    query = series.body["queries"][0]
    assert query["query"] == (
        'SELECT mean("pm10") FROM "air_quality" WHERE "location_id" = \'4242\' '
        "AND $timeFilter GROUP BY time($__interval)"
    )
    # The datasource variable resolves to its current value; the row's nested panel is found.
    assert query["datasource"] == {"type": "influxdb", "uid": "aqi-influxdb"}
    assert "'4242'" in latest.body["queries"][0]["query"]
    # Dashboard time range now-24h .. now, as epoch-ms strings; interval from maxDataPoints.
    assert series.body["from"] == str(NOW_MS - DAY_MS)
    assert series.body["to"] == str(NOW_MS)
    assert query["maxDataPoints"] == 500
    assert query["intervalMs"] == DAY_MS // 500 // 1000 * 1000


def test_interpolation_keeps_grafana_macros_and_unknown_names() -> None:
    text = "$a ${a} ${a:csv} [[a]] $ab $__interval $timeFilter"
    assert interpolate({"q": [text]}, {"a": "X"}) == {"q": ["X X X X $ab $__interval $timeFilter"]}


def test_multi_value_selections_are_written_as_grafana_writes_them() -> None:
    values = {"one": ["GB"], "two": ["GB", "L'Haÿ"], "all": Raw("'__all'"), "single": "pm25"}
    text = "${one:sqlstring} ${two:sqlstring} ${all:sqlstring} ${two:csv} $two ${all} $single"
    assert interpolate(text, values) == (
        "'GB' 'GB','L''Haÿ' '__all' GB,L'Haÿ (GB|L'Haÿ) '__all' pm25"
    )
    assert format_value(["a.b"], None) == "a\\.b"  # a regex match of one value, escaped


def test_all_takes_the_variables_all_value_and_the_range_fills_from_and_to() -> None:
    dashboard = {
        "time": {"from": "now-24h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "place",
                    "type": "query",
                    "multi": True,
                    "includeAll": True,
                    "allValue": ".*",
                    "current": {"value": ["London"]},
                },
                {
                    "name": "location",
                    "type": "query",
                    "multi": True,
                    "includeAll": True,
                    "allValue": ".*",
                    "current": {"value": ["$__all"]},
                },
            ]
        },
        "panels": [
            {
                "id": 1,
                "title": "p",
                "datasource": {"type": "influxdb", "uid": "x"},
                "targets": [{"refId": "A", "query": "/^$place$/ /^$location$/ ${__from} ${__to}"}],
            }
        ],
    }
    (panel,) = panel_queries(dashboard, {}, NOW_MS)
    assert panel.body["queries"][0]["query"] == f"/^London$/ /^.*$/ {NOW_MS - DAY_MS} {NOW_MS}"
    (panel,) = panel_queries(dashboard, {"place": "$__all", "location": "42"}, NOW_MS)
    assert panel.body["queries"][0]["query"].startswith("/^.*$/ /^42$/ ")


def test_missing_dashboard_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DashboardError, match=r"not found.*--dashboard-file"):
        load_dashboard(tmp_path / "absent.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(DashboardError, match="not valid JSON"):
        load_dashboard(tmp_path / "broken.json")


def test_unresolvable_datasource_is_an_error() -> None:
    dashboard = {"panels": [{"title": "x", "targets": [{"refId": "A", "datasource": "${ds}"}]}]}
    with pytest.raises(DashboardError, match="no datasource uid"):
        panel_queries(dashboard, {}, NOW_MS)


def test_wrapped_dashboard_model_is_accepted(tmp_path: Path) -> None:
    model = json.loads(TEST_DASHBOARD.read_text())
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"dashboard": model, "overwrite": True}))
    assert load_dashboard(wrapped)["uid"] == TEST_DASHBOARD_UID


#: The committed dashboards and the datasource each one queries (docs/dashboard.md).
REPOSITORY_DASHBOARDS = [
    ("air-quality-influxdb.json", "aqi-influxdb", {"type": "influxdb", "uid": "aqi-influxdb"}),
    (
        "air-quality-timestream.json",
        "aqi-timestream",
        {"type": "grafana-timestream-datasource", "uid": "aqi-timestream"},
    ),
]


@pytest.mark.parametrize(("name", "uid", "datasource"), REPOSITORY_DASHBOARDS)
def test_repository_dashboards_yield_queries_on_their_datasource(
    name: str, uid: str, datasource: dict[str, str]
) -> None:
    dashboard = load_dashboard(ROOT / "dashboard" / name)
    assert dashboard["uid"] == uid
    overrides = {"measure": "pm25", "country": "$__all", "place": "$__all", "location": "10000"}
    panels = panel_queries(dashboard, overrides, NOW_MS)
    queries = [(panel.title, query) for panel in panels for query in panel.body["queries"]]
    assert queries
    for title, query in queries:
        assert query["datasource"] == datasource, title
        assert not UNRESOLVED.search(json.dumps(query)), title
    # The settings reach the query text: the measure and the location are filled in,
    # as an InfluxQL regex match or a quoted SQL value; the map ends at the range's end.
    texts = [json.dumps(query) for _, query in queries]
    assert any("pm25" in text for text in texts)
    location = "/^10000$/" if uid == "aqi-influxdb" else "location_id IN ('10000')"
    assert any(location in text for text in texts)
    map_layers = [json.dumps(query) for title, query in queries if title == "AQI map"]
    assert len(map_layers) == 4 and all(str(NOW_MS) in text for text in map_layers)
