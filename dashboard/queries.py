"""The queries of every panel and variable, per store engine.

The two engines store the same rows (see :mod:`ingest.model`): InfluxDB as the
measurement ``air_quality`` with tags and fields, Timestream for LiveAnalytics as
multi-measure records named ``air_quality`` with dimensions and measures. Only
24-hour rows carry the DAQI; measures exist in both windows.

InfluxQL uses Grafana's InfluxDB macros (``$timeFilter``, ``$__interval``);
Timestream SQL uses the plugin's macros (``$__database``, ``$__table``,
``$__measure``, ``$__timeFilter``, ``$__interval_ms``). ``$measure`` and
``$location`` are the dashboard variables.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest import model

M = model.MEASUREMENT
W24 = model.WINDOW_24H

#: How far back the freshness stat looks; older than this reads as "no reading".
FRESHNESS_WINDOW = "1h"

#: Rows the data table returns at most (newest first).
TABLE_LIMIT = 5000


@dataclass(frozen=True)
class Queries:
    """Query text of each panel and variable for one engine."""

    location_variable: str
    evolution: str
    max_aqi: str
    mean_aqi: str
    aqi_map: str
    readings_table: str
    freshness: str


INFLUXQL = Queries(
    location_variable=f'SHOW TAG VALUES FROM "{M}" WITH KEY = "location_id"',
    evolution=(
        f'SELECT mean("$measure") FROM "{M}" '
        "WHERE \"location_id\" = '$location' AND $timeFilter "
        'GROUP BY time($__interval), "window" fill(none)'
    ),
    max_aqi=(
        f'SELECT max("aqi") AS "max_aqi" FROM "{M}" '
        f"WHERE \"window\" = '{W24}' AND \"location_id\" = '$location' AND $timeFilter"
    ),
    mean_aqi=(
        f'SELECT mean("aqi") AS "mean_aqi" FROM "{M}" '
        f"WHERE \"window\" = '{W24}' AND \"location_id\" = '$location' AND $timeFilter"
    ),
    aqi_map=(
        'SELECT last("aqi") AS "aqi", "band", "pm25", "pm10", "latitude", "longitude" '
        f'FROM "{M}" WHERE "window" = \'{W24}\' AND $timeFilter '
        'GROUP BY "location_id"'
    ),
    readings_table=(
        f'SELECT "$measure", "window", "sensor_id", "sensor_type" FROM "{M}" '
        "WHERE \"location_id\" = '$location' AND $timeFilter "
        f"ORDER BY time DESC LIMIT {TABLE_LIMIT}"
    ),
    # Age of the newest reading, in seconds, to the minute: one-minute buckets
    # over the freshness window counted from now backwards until the first one
    # that holds a reading. No row at all means no reading in the window.
    freshness=(
        'SELECT sum("empty") * 60 AS "age" FROM ('
        'SELECT 1 - ceil("seen" / ("seen" + 1)) AS "empty" FROM ('
        'SELECT cumulative_sum("n") AS "seen" FROM ('
        f'SELECT count("{model.VALUE_COUNT}") AS "n" FROM "{M}" '
        f"WHERE time > now() - {FRESHNESS_WINDOW} GROUP BY time(1m) fill(0) ORDER BY time DESC"
        ") ORDER BY time DESC) ORDER BY time DESC) ORDER BY time DESC"
    ),
)

_TS_FROM = '"$__database"."$__table"'
_TS_RECORDS = "$__timeFilter AND measure_name = '$__measure'"

TIMESTREAM_SQL = Queries(
    location_variable=(
        f"SELECT DISTINCT location_id FROM {_TS_FROM} WHERE {_TS_RECORDS} ORDER BY location_id"
    ),
    evolution=(
        'SELECT "window", bin(time, $__interval_ms) AS time, avg("$measure") AS "$measure" '
        f"FROM {_TS_FROM} WHERE {_TS_RECORDS} AND location_id = '$location' "
        'AND "$measure" IS NOT NULL '
        'GROUP BY "window", bin(time, $__interval_ms) ORDER BY time'
    ),
    max_aqi=(
        f"SELECT max(aqi) AS max_aqi FROM {_TS_FROM} "
        f"WHERE {_TS_RECORDS} AND \"window\" = '{W24}' AND location_id = '$location'"
    ),
    mean_aqi=(
        f"SELECT avg(aqi) AS mean_aqi FROM {_TS_FROM} "
        f"WHERE {_TS_RECORDS} AND \"window\" = '{W24}' AND location_id = '$location'"
    ),
    aqi_map=(
        "SELECT location_id, max(time) AS time, max_by(aqi, time) AS aqi, "
        "max_by(band, time) AS band, max_by(pm25, time) AS pm25, max_by(pm10, time) AS pm10, "
        "max_by(latitude, time) AS latitude, max_by(longitude, time) AS longitude "
        f"FROM {_TS_FROM} WHERE {_TS_RECORDS} AND \"window\" = '{W24}' AND aqi IS NOT NULL "
        "GROUP BY location_id"
    ),
    readings_table=(
        'SELECT time, "$measure", "window", sensor_id, sensor_type '
        f"FROM {_TS_FROM} WHERE {_TS_RECORDS} AND location_id = '$location' "
        f'AND "$measure" IS NOT NULL ORDER BY time DESC LIMIT {TABLE_LIMIT}'
    ),
    freshness=(
        "SELECT date_diff('second', max(time), now()) AS age "
        f"FROM {_TS_FROM} WHERE time > ago({FRESHNESS_WINDOW}) AND measure_name = '$__measure'"
    ),
)
