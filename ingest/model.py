"""The data model every sink stores: one row per sensor per feed timestamp.

This module is the single description of the columns; the Spark transform, the
SQLite table, the InfluxDB line protocol, the Timestream records and the
dashboard queries all derive from it.
"""

from __future__ import annotations

from typing import Final

#: Feed windows: the 5-minute means (``data.json``) and the 24-hour means
#: (``data.24h.json``). Only 24-hour rows carry a DAQI.
WINDOW_5M: Final = "5m"
WINDOW_24H: Final = "24h"
WINDOWS: Final = (WINDOW_5M, WINDOW_24H)

#: Archive windows (``aqi-ingest backfill``): hourly means (time = the UTC hour's
#: start) and daily means (time = the UTC day's start). Daily rows carry the DAQI
#: of the calendar day when its readings cover enough hours.
WINDOW_1H: Final = "1h"
WINDOW_1D: Final = "1d"
ARCHIVE_WINDOWS: Final = (WINDOW_1H, WINDOW_1D)

#: Sensor.Community ``value_type`` -> measure column. P1 is PM10 and P2 is PM2.5
#: (airrohr firmware convention).
MEASURE_COLUMNS: Final[dict[str, str]] = {
    "P0": "pm1",
    "P1": "pm10",
    "P2": "pm25",
    "P4": "pm4",
    "temperature": "temperature",
    "humidity": "humidity",
    "pressure": "pressure",
    "pressure_at_sealevel": "pressure_at_sealevel",
    "noise_LAeq": "noise_laeq",
    "noise_LA_min": "noise_la_min",
    "noise_LA_max": "noise_la_max",
}

#: Measure columns (all doubles), in storage order.
MEASURES: Final = tuple(MEASURE_COLUMNS.values())

#: Identifying columns. Dimensions in Timestream, tags in InfluxDB.
DIMENSIONS: Final = ("window", "sensor_id", "location_id", "country", "sensor_type", "indoor")

#: Location columns (doubles; null when missing or out of range).
LOCATION: Final = ("latitude", "longitude", "altitude")

#: DAQI columns: integer indices 1..10 and the band name, null when not computed.
INDEX_COLUMNS: Final = ("aqi_pm25", "aqi_pm10", "aqi")
BAND_COLUMN: Final = "band"

#: Always present: how many values the sensor reported in this reading. Gives
#: every stored reading at least one field (InfluxDB and Timestream need one).
VALUE_COUNT: Final = "value_count"

#: Archive rows only (null on feed rows): how many distinct UTC hours the readings
#: of an hourly or daily mean fall in. There ``value_count`` is how many readings
#: made the mean (of the row's best covered value).
HOURS: Final = "hours"

#: Numeric value types that are not in MEASURE_COLUMNS, as a name -> value map
#: (SQLite: JSON text; InfluxDB: fields ``x_<name>``; Timestream: measures
#: ``x_<name>``).
EXTRA: Final = "extra"

#: Every column of a stored row, in order. ``time`` is the feed timestamp (UTC).
COLUMNS: Final = (
    "time",
    *DIMENSIONS,
    *LOCATION,
    *MEASURES,
    *INDEX_COLUMNS,
    BAND_COLUMN,
    VALUE_COUNT,
    HOURS,
    EXTRA,
)

#: Name of the InfluxDB measurement, the Timestream multi-measure name and the
#: SQLite table.
MEASUREMENT: Final = "air_quality"

#: Key of a reading: writing the same key twice is a no-op in every sink.
KEY: Final = ("window", "sensor_id", "time")
