"""The model of Grafana's InfluxQL handling the real-data tests rely on."""

from __future__ import annotations

import pytest

from tests.dashboard.grafana_influxql import expand, format_interval, table_rows


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (60_000, "1m"),
        (90_000, "1m"),
        (3_600_000, "1h"),
        (14_400_000, "4h"),
        (500, "500ms"),
        (86_400_000, "1d"),
        (30_000, "30s"),
    ],
)
def test_interval_text_is_truncated_to_the_largest_unit(ms, text):
    assert format_interval(ms) == text


def test_expansion_replaces_variables_then_server_macros():
    query = (
        'SELECT mean("$measure") FROM m WHERE "location_id" = \'${location}\' AND $timeFilter '
        "GROUP BY time($__interval) -- $__interval_ms"
    )
    text = expand(query, {"measure": "pm25", "location": "42"}, 1000, 2000, 3_600_000)
    assert text == (
        'SELECT mean("pm25") FROM m WHERE "location_id" = \'42\' AND '
        "time >= 1000ms and time <= 2000ms GROUP BY time(1h) -- 3600000"
    )


def test_expansion_refuses_an_unknown_variable():
    with pytest.raises(AssertionError, match="no dashboard variable"):
        expand("SELECT $unknown FROM m", {}, 0, 0)


def test_table_frame_puts_series_tags_on_each_row():
    series = [
        {"name": "m", "tags": {"location_id": "1"}, "columns": ["time", "aqi"], "values": [[5, 2]]},
        {"name": "m", "tags": {"location_id": "2"}, "columns": ["time", "aqi"], "values": [[6, 9]]},
    ]
    assert table_rows(series) == [
        {"location_id": "1", "time": 5, "aqi": 2},
        {"location_id": "2", "time": 6, "aqi": 9},
    ]
