"""The Sensor.Community archive's layout: file names, the period each file covers, columns.

archive.sensor.community holds one CSV per sensor and UTC day,
``YYYY-MM-DD_<type>_sensor_<id>.csv``, in one folder a day (``YYYY-MM-DD/``;
older years move to ``YYYY/YYYY-MM-DD/`` and are gzipped, ``.csv.gz``), and per-month
files of every sensor of a type (``csv_per_month/YYYY-MM/YYYY-MM_<type>.zip``
holding ``YYYY-MM_<type>.csv``; read here unzipped, ``.csv`` or ``.csv.gz``).
Files are semicolon-separated with a header line; timestamps are ISO-8601 UTC
without a zone (``2021-11-08T00:01:37``); a missing value is an empty field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

#: The date a file name starts with: a day (``YYYY-MM-DD``) or a month (``YYYY-MM``).
#: Also used by Spark (``regexp_extract`` on the file name), so plain Java-compatible syntax.
NAME_DATE: Final = r"^(\d{4}-\d{2}(?:-\d{2})?)_"

#: ``2021-11-08_sds011_sensor_92.csv`` (or ``.csv.gz``): one sensor, one UTC day.
DAY_FILE: Final = re.compile(
    r"^(?P<day>\d{4}-\d{2}-\d{2})_(?P<type>[a-z0-9_-]+?)_sensor_(?P<sensor>\d+)\.csv(?:\.gz)?$"
)
#: ``2021-11_sds011.csv`` (or ``.csv.gz``): every sensor of one type, one UTC month.
MONTH_FILE: Final = re.compile(r"^(?P<month>\d{4}-\d{2})_(?P<type>[a-z0-9_-]+)\.csv(?:\.gz)?$")

#: A day folder of the archive's index pages, at the top (``2024-05-01/``) or in a
#: year folder (``2019/2019-05-01/``).
DAY_FOLDER: Final = "{day}/"
YEAR_DAY_FOLDER: Final = "{year}/{day}/"

SEPARATOR: Final = ";"

#: Columns that identify the reading; every other column is a measured value.
SENSOR_ID: Final = "sensor_id"
SENSOR_TYPE: Final = "sensor_type"
LOCATION: Final = "location"
LATITUDE: Final = "lat"
LONGITUDE: Final = "lon"
TIMESTAMP: Final = "timestamp"
#: The location's altitude, a column of the pressure sensors' files.
ALTITUDE: Final = "altitude"
IDENTITY: Final = (SENSOR_ID, SENSOR_TYPE, LOCATION, LATITUDE, LONGITUDE, TIMESTAMP, ALTITUDE)

#: Archive column -> the feed's value type, where the two names differ.
VALUE_TYPE_ALIASES: Final[dict[str, str]] = {"pressure_sealevel": "pressure_at_sealevel"}

#: The header of each sensor type's files (the archive's csv_per_month and day
#: folders of November 2021): the identity columns, then the values. Older files
#: may lack some value columns; columns are matched by name, never by position.
_HEAD: Final = (SENSOR_ID, SENSOR_TYPE, LOCATION, LATITUDE, LONGITUDE, TIMESTAMP)
_SDS: Final = ("P1", "durP1", "ratioP1", "P2", "durP2", "ratioP2")
_PMS: Final = ("P1", "P2", "P0")
_TEMPERATURE_HUMIDITY: Final = ("temperature", "humidity")
_PRESSURE: Final = ("pressure", ALTITUDE, "pressure_sealevel", "temperature")
HEADERS: Final[dict[str, tuple[str, ...]]] = {
    "sds011": (*_HEAD, *_SDS),
    "ppd42ns": (*_HEAD, *_SDS),
    "hpm": (*_HEAD, "P1", "P2"),
    **{f"pms{n}003": (*_HEAD, *_PMS) for n in (1, 3, 5, 6, 7)},
    "sps30": (*_HEAD, "P1", "P4", "P2", "P0", "N10", "N4", "N25", "N1", "N05", "TS"),
    "bme280": (*_HEAD, *_PRESSURE, "humidity"),
    "bmp180": (*_HEAD, *_PRESSURE),
    "bmp280": (*_HEAD, *_PRESSURE),
    "ds18b20": (*_HEAD, "temperature"),
    **{
        t: (*_HEAD, *_TEMPERATURE_HUMIDITY)
        for t in ("dht22", "htu21d", "sht11", "sht30", "sht31", "sht35", "sht85")
    },
    "laerm": (*_HEAD, "noise_LAeq", "noise_LA_min", "noise_LA_max", "noise_LA01", "noise_LA95"),
}


@dataclass(frozen=True, order=True)
class ArchiveFile:
    """One archive CSV: where it is, the UTC days it covers and what it holds."""

    first_day: date
    last_day: date
    name: str
    location: str
    sensor_type: str
    sensor_id: int | None = None

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def month_end(first: date) -> date:
    """The last day of ``first``'s month."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def parse_name(name: str, location: str) -> ArchiveFile | None:
    """The archive file a name stands for, or None when it is no archive CSV."""
    lowered = name.lower()
    if match := DAY_FILE.match(lowered):
        day = _date(match["day"])
        if day is None:
            return None
        return ArchiveFile(day, day, name, location, match["type"], int(match["sensor"]))
    if match := MONTH_FILE.match(lowered):
        first = _date(match["month"] + "-01")
        if first is None:
            return None
        return ArchiveFile(first, month_end(first), name, location, match["type"])
    return None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def days_between(first: date, last: date) -> list[date]:
    """Every day from ``first`` to ``last``, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
