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
#: of the calendar day when its readings cover enough hours. The dashboard reads
#: them beside the feed windows.
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

#: Place of a location: the nearest named place and its region (first-level
#: subdivision, e.g. Scotland), from its coordinates (:mod:`ingest.places`).
PLACE_COLUMNS: Final = ("place", "region")

#: Identifying columns. Dimensions in Timestream, tags in InfluxDB.
DIMENSIONS: Final = (
    "window",
    "sensor_id",
    "location_id",
    "country",
    "sensor_type",
    "indoor",
    *PLACE_COLUMNS,
)

#: Location columns (doubles; null when missing or out of range).
LOCATION: Final = ("latitude", "longitude", "altitude")

#: DAQI columns: integer indices 1..10 and the band name, null when not computed.
INDEX_COLUMNS: Final = ("aqi_pm25", "aqi_pm10", "aqi")
BAND_COLUMN: Final = "band"

#: Humidity flag of a PM reading (:mod:`ingest.humidity`): 1 when its location
#: reported a relative humidity at or above the threshold in the same feed, else
#: 0 (null on readings without PM); and the humidity it was judged on (null when
#: the location reported none).
HUMID: Final = "humid"
HUMID_RH: Final = "humid_rh"
#: PM corrected for hygroscopic growth (opt-in, null when off or not computable);
#: never replaces the measured pm25 and pm10.
CORRECTED: Final[dict[str, str]] = {"pm25": "pm25_rh_corrected", "pm10": "pm10_rh_corrected"}
HUMIDITY_COLUMNS: Final = (HUMID, HUMID_RH, *CORRECTED.values())

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
    *HUMIDITY_COLUMNS,
)

#: Name of the InfluxDB measurement, the Timestream multi-measure name and the
#: SQLite table.
MEASUREMENT: Final = "air_quality"

#: Key of a reading: writing the same key twice is a no-op in every sink.
KEY: Final = ("window", "sensor_id", "time")
