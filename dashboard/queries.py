"""The queries of every panel and variable, per store engine.

The two engines store the same rows (see :mod:`ingest.model`): InfluxDB as the
measurement ``air_quality`` with tags and fields, Timestream for LiveAnalytics as
multi-measure records named ``air_quality`` with dimensions and measures. Only
daily rows (the feed's rolling ``24h`` means and the archive's calendar-day
``1d`` means) carry the DAQI; measures exist in every window.

InfluxQL uses Grafana's InfluxDB macros (``$timeFilter``, ``$__interval``);
Timestream SQL uses the plugin's macros (``$__database``, ``$__table``,
``$__measure``, ``$__timeFilter``, ``$__interval_ms``). Both use Grafana's
global ``${__to}`` (the range's end, epoch ms). ``$measure``, ``$country``,
``$place`` and ``$location`` are the dashboard variables; the last three are
multi-value with All.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest import daqi, model, places
from ingest.sinks.influxdb import LABEL_FIELD

M = model.MEASUREMENT
W24 = model.WINDOW_24H
#: Windows whose rows carry the DAQI: the feed's rolling 24-hour means and the
#: archive's calendar-day means.
DAILY_WINDOWS = (model.WINDOW_24H, model.WINDOW_1D)

#: How far back the freshness stat looks; older than this reads as "no reading".
FRESHNESS_WINDOW = "1h"

#: The map shows each location's newest DAQI in this span before the range's
#: end, whatever the range: a bounded scan however long the range is.
MAP_SPAN = "2h"

#: Rows the data table returns at most (newest first).
TABLE_LIMIT = 5000

#: The chained selection variables, outermost first, and the column each filters.
SELECTION = (("country", "country"), ("place", "place"), ("location", "location_id"))

#: Value of a selection variable's "All" in InfluxQL: a regex that matches every
#: tag value, a missing tag included.
INFLUX_ALL = ".*"
#: Value of "All" in Timestream SQL: a quoted sentinel the filters test first.
TIMESTREAM_ALL = "'__all'"


_REGEX_SPECIAL = re.compile(r"[\\^$.|?*+()\[\]{}/]")


def _regex_literal(text: str) -> str:
    """``text`` matched literally by a JavaScript (and Python) regex."""
    return _REGEX_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def _label_pattern(groups: dict[str, str]) -> str:
    """The location label (:data:`ingest.places.LABEL_PARTS`) as a regex body.

    ``groups`` names the label columns to capture (column -> group name).
    """
    body = []
    for part in places.LABEL_PARTS:
        if isinstance(part, str):
            body.append(_regex_literal(part))
            continue
        column, _ = part
        text = "\\d+" if column == "location_id" else ".*"
        body.append(f"(?<{groups[column]}>{text})" if column in groups else text)
    return "".join(body)


def _missing_place() -> str:
    """The label's start when a location has no place: its text for "no place" and what follows."""
    parts = places.LABEL_PARTS
    at = next(i for i, p in enumerate(parts) if not isinstance(p, str) and p[0] == "place")
    missing = parts[at][1]
    assert isinstance(missing, str) and isinstance(parts[at + 1], str)
    return missing + str(parts[at + 1])


#: Grafana's variable regex takes the named groups ``text`` (what the menu shows)
#: and ``value`` (what goes into the queries). The location menu: the whole label
#: shown, the location id its value.
LABEL_REGEX = "/^(?<text>" + _label_pattern({"location_id": "value"}) + ")$/"
#: The place menu, from the same labels: the place part, locations without a
#: place left out (their place tag is empty; "All" covers them).
PLACE_REGEX = (
    f"/^(?!{_regex_literal(_missing_place())})" + _label_pattern({"place": "value"}) + "$/"
)

#: InfluxQL has no IS NOT NULL, and a raw SELECT of several fields returns every
#: point that has any of them. A comparison is false on a point without the
#: field, so ``"field" > INFLUX_BELOW_EVERY_VALUE`` keeps exactly the points that
#: have one: every measure is above it (temperature >= -273.15 °C, pressure in Pa).
INFLUX_BELOW_EVERY_VALUE = -1_000_000


@dataclass(frozen=True)
class Queries:
    """Query text of each panel and variable for one engine."""

    country_variable: str
    place_variable: str
    #: Regex of the place menu over what its query returns ("" when it returns places).
    place_regex: str
    location_variable: str
    evolution: str
    max_aqi: str
    mean_aqi: str
    #: One query per DAQI band: the map's layer of that band.
    aqi_map: dict[str, str]
    readings_table: str
    freshness: str
    #: Alert rules: locations whose newest DAQI is at least High, readings flagged
    #: humid left out; and the newest readings of the stall window.
    alert_high: str
    alert_stalled: str


def _influx_selection(upto: str = "location") -> str:
    """Tag filters of the selection variables, down to ``upto``."""
    names = [name for name, _ in SELECTION]
    chosen = SELECTION[: names.index(upto) + 1]
    return " AND ".join(f'"{column}" =~ /^${name}$/' for name, column in chosen)


def _influx_labels(upto: str) -> str:
    """The labels of the locations with a reading in the range, chosen down to ``upto``.

    One series (Grafana reads only the first frame of a variable query, so no
    GROUP BY at the top), built from each location's newest label: about ten
    times faster than a DISTINCT over every point of the range.
    """
    return (
        f'SELECT DISTINCT("{LABEL_FIELD}") FROM ('
        f'SELECT last("{LABEL_FIELD}") AS "{LABEL_FIELD}" FROM "{M}" '
        f'WHERE $timeFilter AND {_influx_selection(upto)} GROUP BY "location_id")'
    )


_WINDOWS_RE = "|".join(DAILY_WINDOWS)
_MAP_TIME = f"time > ${{__to}}ms - {MAP_SPAN} AND time <= ${{__to}}ms"


def _influx_map(band: str) -> str:
    """Newest DAQI per location over the map span, with its humid count, of one band.

    Several functions in one query each take their own newest value (and the
    time of the span's start); ``aqi`` and ``band`` are always written together.
    """
    latest = ", ".join(
        f'last("{field}") AS "{field}"'
        for field in ("aqi", "band", "pm25", "pm10", "latitude", "longitude", LABEL_FIELD)
    )
    inner = (
        f'SELECT {latest}, sum("{model.HUMID}") AS "humid_readings", '
        f'count("{model.HUMID}") AS "pm_readings" FROM "{M}" '
        f"WHERE \"window\" = '{W24}' AND {_MAP_TIME} "
        'GROUP BY "location_id", "country", "place"'
    )
    return (
        f"SELECT * FROM ({inner}) WHERE \"band\" = '{band}' "
        'GROUP BY "location_id", "country", "place"'
    )


INFLUXQL = Queries(
    country_variable=f'SHOW TAG VALUES FROM "{M}" WITH KEY = "country"',
    # Places with a reading in the range (the tag index would list every place
    # ever stored): the place part of the labels, read through PLACE_REGEX.
    place_variable=_influx_labels("country"),
    place_regex=PLACE_REGEX,
    location_variable=_influx_labels("place"),
    evolution=(
        f'SELECT mean("$measure") FROM "{M}" '
        f"WHERE {_influx_selection()} AND $timeFilter "
        'GROUP BY time($__interval), "window" fill(none)'
    ),
    max_aqi=(
        f'SELECT max("aqi") AS "max_aqi" FROM "{M}" '
        f'WHERE "window" =~ /^({_WINDOWS_RE})$/ AND {_influx_selection()} AND $timeFilter '
        'GROUP BY "window"'
    ),
    mean_aqi=(
        f'SELECT mean("aqi") AS "mean_aqi" FROM "{M}" '
        f'WHERE "window" =~ /^({_WINDOWS_RE})$/ AND {_influx_selection()} AND $timeFilter '
        'GROUP BY "window"'
    ),
    aqi_map={band: _influx_map(band) for band in daqi.BAND_ORDER},
    readings_table=(
        f'SELECT "$measure", "window", "{LABEL_FIELD}", "sensor_id", "sensor_type", '
        f'"{model.HUMID}", "{model.HUMID_RH}", "location_id", "country", "place" FROM "{M}" '
        f'WHERE "$measure" > {INFLUX_BELOW_EVERY_VALUE} AND {_influx_selection()} '
        f"AND $timeFilter ORDER BY time DESC LIMIT {TABLE_LIMIT}"
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
    alert_high=(
        f'SELECT last("aqi") AS "aqi" FROM "{M}" '
        f'WHERE "window" = \'{W24}\' AND "{model.HUMID}" = 0 AND $timeFilter '
        'GROUP BY "location_id", "place", "country"'
    ),
    alert_stalled=(
        f'SELECT count("{model.VALUE_COUNT}") AS "readings" FROM "{M}" WHERE $timeFilter'
    ),
)

_TS_FROM = '"$__database"."$__table"'
_TS_RECORDS = "$__timeFilter AND measure_name = '$__measure'"


def _ts_selection(upto: str = "location") -> str:
    """Dimension filters of the selection variables, down to ``upto``.

    ``sqlstring`` quotes each value (doubling quotes inside); "All" is the
    sentinel, which the first test of each filter matches.
    """
    names = [name for name, _ in SELECTION]
    chosen = SELECTION[: names.index(upto) + 1]
    return " AND ".join(
        f"({TIMESTREAM_ALL} IN (${{{name}:sqlstring}}) OR {column} IN (${{{name}:sqlstring}}))"
        for name, column in chosen
    )


def _ts_label() -> str:
    """The location label (:data:`ingest.places.LABEL_PARTS`) as a SQL expression."""
    parts = []
    for part in places.LABEL_PARTS:
        if isinstance(part, str):
            parts.append("'" + part.replace("'", "''") + "'")
        else:
            column, missing = part
            parts.append(column if missing is None else f"coalesce({column}, '{missing}')")
    return f"concat({', '.join(parts)})"


_TS_DAILY = ", ".join(f"'{w}'" for w in DAILY_WINDOWS)
_TS_MAP_TIME = (
    f"time BETWEEN from_milliseconds(${{__to}}) - {MAP_SPAN} AND from_milliseconds(${{__to}})"
)


def _ts_map(band: str) -> str:
    latest = ", ".join(
        f"max_by({column}, time) AS {column}"
        for column in ("aqi", "band", "pm25", "pm10", "latitude", "longitude")
    )
    inner = (
        f"SELECT location_id, country, place, {latest}, "
        f"max_by({_ts_label()}, time) AS {LABEL_FIELD}, "
        f"sum({model.HUMID}) AS humid_readings, count({model.HUMID}) AS pm_readings "
        f"FROM {_TS_FROM} WHERE {_TS_MAP_TIME} AND measure_name = '$__measure' "
        f"AND \"window\" = '{W24}' AND aqi IS NOT NULL GROUP BY location_id, country, place"
    )
    return f"SELECT * FROM ({inner}) WHERE band = '{band}'"


TIMESTREAM_SQL = Queries(
    country_variable=(
        f"SELECT DISTINCT country FROM {_TS_FROM} WHERE {_TS_RECORDS} "
        "AND country IS NOT NULL ORDER BY country"
    ),
    place_variable=(
        f"SELECT DISTINCT place FROM {_TS_FROM} WHERE {_TS_RECORDS} "
        f"AND place IS NOT NULL AND {_ts_selection('country')} ORDER BY place"
    ),
    place_regex="",
    location_variable=(
        f"SELECT DISTINCT {_ts_label()} AS {LABEL_FIELD} FROM {_TS_FROM} "
        f"WHERE {_TS_RECORDS} AND {_ts_selection('place')} ORDER BY {LABEL_FIELD}"
    ),
    evolution=(
        'SELECT "window", bin(time, $__interval_ms) AS time, avg("$measure") AS "$measure" '
        f"FROM {_TS_FROM} WHERE {_TS_RECORDS} AND {_ts_selection()} "
        'AND "$measure" IS NOT NULL '
        'GROUP BY "window", bin(time, $__interval_ms) ORDER BY time'
    ),
    max_aqi=(
        f'SELECT "window", max(aqi) AS max_aqi FROM {_TS_FROM} '
        f'WHERE {_TS_RECORDS} AND "window" IN ({_TS_DAILY}) AND {_ts_selection()} '
        'AND aqi IS NOT NULL GROUP BY "window"'
    ),
    mean_aqi=(
        f'SELECT "window", avg(aqi) AS mean_aqi FROM {_TS_FROM} '
        f'WHERE {_TS_RECORDS} AND "window" IN ({_TS_DAILY}) AND {_ts_selection()} '
        'AND aqi IS NOT NULL GROUP BY "window"'
    ),
    aqi_map={band: _ts_map(band) for band in daqi.BAND_ORDER},
    readings_table=(
        f'SELECT time, "$measure", "window", {_ts_label()} AS {LABEL_FIELD}, sensor_id, '
        f"sensor_type, {model.HUMID}, {model.HUMID_RH}, location_id, country, place "
        f"FROM {_TS_FROM} WHERE {_TS_RECORDS} AND {_ts_selection()} "
        f'AND "$measure" IS NOT NULL ORDER BY time DESC LIMIT {TABLE_LIMIT}'
    ),
    freshness=(
        "SELECT date_diff('second', max(time), now()) AS age "
        f"FROM {_TS_FROM} WHERE time > ago({FRESHNESS_WINDOW}) AND measure_name = '$__measure'"
    ),
    alert_high=(
        "SELECT location_id, place, country, max_by(aqi, time) AS aqi "
        f"FROM {_TS_FROM} WHERE {_TS_RECORDS} AND \"window\" = '{W24}' "
        f"AND {model.HUMID} = 0 AND aqi IS NOT NULL GROUP BY location_id, place, country"
    ),
    alert_stalled=(
        f"SELECT count({model.VALUE_COUNT}) AS readings FROM {_TS_FROM} WHERE {_TS_RECORDS}"
    ),
)
