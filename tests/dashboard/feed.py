"""A small Sensor.Community feed with hand-chosen values, and what the dashboard must show.

Three snapshots, two hours apart in total: ``S0`` = newest - 120 min, ``S1`` =
newest - 60 min, ``S2`` = the newest, 10 minutes before the minute the feed is
written. DAQI by the official table (round half up, overall = the higher index):

location 101 (PM sensor 1001, climate sensor 1002), 24-hour means PM2.5 / PM10:
  S0 10.0 / 15.0 -> 1 and 1 -> 1 Low
  S1 41.5 / 20.0 -> 41.5 rounds to 42 -> 5, 20 -> 2 -> 5 Moderate
  S2 30.0 / 55.0 -> 3 and 4 -> 4 Moderate
  max 5, mean 10/3; S1..S2 only: max 5, mean 4.5; newest 4 Moderate.
location 202 (PM sensor 2001):
  S0 70.4 / 90.0 -> 70 -> 9, 90 -> 8 -> 9 High
  S1 70.5 / 10.0 -> 70.5 rounds to 71 -> 10 -> 10 Very High
  S2 50.0 / 101.0 -> 6 and 10 -> 10 Very High
  max 10, mean 29/3; S1..S2 only: max 10, mean 10; newest 10 Very High.
location 303 (PM sensor 3001): S1 only, 5.0 / 5.0 -> 1 Low.
location 505 (Aberdeen; PM sensor 5001, climate sensor 5002): S2 only, 60.0 / 30.0 -> 60
  rounds to 60 -> 8 High, at 95 % RH: flagged humid, so no alert.
location 606 (mid-Atlantic, no place within reach): S2 only, 5.0 / 5.0 -> 1 Low.
Humidity flags (RH >= 80 %, same location, window and time): 101's 5-minute PM readings
(RH 80, 82, 84) and its 24-hour S2 reading (RH 81); 505's readings (RH 95, 96).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MINUTE = 60


@dataclass(frozen=True)
class Site:
    location_id: int
    country: str
    latitude: float
    longitude: float


SITES = {
    101: Site(101, "GB", 51.5074, -0.1278),
    202: Site(202, "DE", 52.52, 13.405),
    303: Site(303, "FR", 48.8566, 2.3522),
    505: Site(505, "GB", 57.14, -2.09),
    606: Site(606, "PT", 45.0, -30.0),
}

#: Place of each site as the geocoder names it (None: nothing within reach).
PLACES = {101: "London", 202: "Mitte", 303: "Paris", 505: "Aberdeen", 606: None}

#: (location, sensor, type, snapshot index, values) of the 24-hour feed.
DAILY: list[tuple[int, int, str, int, dict[str, str]]] = [
    (101, 1001, "SDS011", 0, {"P2": "10.0", "P1": "15.0"}),
    (101, 1001, "SDS011", 1, {"P2": "41.5", "P1": "20.0"}),
    (101, 1001, "SDS011", 2, {"P2": "30.0", "P1": "55.0"}),
    (101, 1002, "BME280", 2, {"temperature": "11.0", "humidity": "81.0", "pressure": "101300.0"}),
    (202, 2001, "SDS011", 0, {"P2": "70.4", "P1": "90.0"}),
    (202, 2001, "SDS011", 1, {"P2": "70.5", "P1": "10.0"}),
    (202, 2001, "SDS011", 2, {"P2": "50.0", "P1": "101.0"}),
    (303, 3001, "SDS011", 1, {"P2": "5.0", "P1": "5.0"}),
    (505, 5001, "SDS011", 2, {"P2": "60.0", "P1": "30.0"}),
    (505, 5002, "BME280", 2, {"temperature": "4.0", "humidity": "95.0", "pressure": "99800.0"}),
    (606, 6001, "SDS011", 2, {"P2": "5.0", "P1": "5.0"}),
]

#: The same for the 5-minute feed.
FIVE_MINUTES: list[tuple[int, int, str, int, dict[str, str]]] = [
    (101, 1001, "SDS011", 0, {"P2": "12.0", "P1": "20.0"}),
    (101, 1001, "SDS011", 1, {"P2": "14.0", "P1": "22.0"}),
    (101, 1001, "SDS011", 2, {"P2": "16.0", "P1": "24.0"}),
    (101, 1002, "BME280", 0, {"temperature": "10.5", "humidity": "80.0", "pressure": "101325.0"}),
    (101, 1002, "BME280", 1, {"temperature": "11.5", "humidity": "82.0", "pressure": "101300.0"}),
    (101, 1002, "BME280", 2, {"temperature": "12.5", "humidity": "84.0", "pressure": "101275.0"}),
    (202, 2001, "SDS011", 0, {"P2": "60.0", "P1": "80.0"}),
    (202, 2001, "SDS011", 1, {"P2": "65.0", "P1": "85.0"}),
    (202, 2001, "SDS011", 2, {"P2": "70.0", "P1": "95.0"}),
    (303, 3001, "SDS011", 1, {"P2": "4.0", "P1": "6.0"}),
    (505, 5001, "SDS011", 2, {"P2": "55.0", "P1": "28.0"}),
    (505, 5002, "BME280", 2, {"temperature": "4.5", "humidity": "96.0", "pressure": "99800.0"}),
]

#: Archive rows written straight through the InfluxDB sink (the backfill's windows):
#: (window, location, sensor, seconds before S1, pm25, pm10, aqi). 1d: PM2.5 50 -> 6.
ARCHIVE: list[tuple[str, int, int, int, float, float, int | None]] = [
    ("1h", 101, 1001, 0, 20.0, 25.0, None),
    ("1d", 101, 1001, 5 * MINUTE, 50.0, 40.0, 6),
]


#: The location menu over the whole range with every country and place: (value, text),
#: sorted by text as the menu is.
LOCATION_MENU = [
    ("505", "Aberdeen, GB (location 505)"),
    ("101", "London, GB (location 101)"),
    ("202", "Mitte, DE (location 202)"),
    ("303", "Paris, FR (location 303)"),
    ("606", "unnamed place, PT (location 606)"),
]

#: The map's layers over its span (the 2 hours before S2 + 1 minute: S1 and S2):
#: band -> location -> (aqi, pm25, pm10, humid-flagged readings, PM readings).
MAP_LAYERS: dict[str, dict[str, tuple[int, float, float, int, int]]] = {
    "Low": {"303": (1, 5.0, 5.0, 0, 1), "606": (1, 5.0, 5.0, 0, 1)},
    "Moderate": {"101": (4, 30.0, 55.0, 1, 2)},  # S1 and S2; S2 humid
    "High": {"505": (8, 60.0, 30.0, 1, 1)},
    "Very High": {"202": (10, 50.0, 101.0, 0, 2)},
}


def assert_map_layers(layers: dict[str, dict[str, dict[str, Any]]], no_place: str | None) -> None:
    """Band -> location -> row of the map's layers are :data:`MAP_LAYERS`, with the fields
    the tooltip and the data link read (``no_place``: how the store returns a missing place)."""
    for band, locations in MAP_LAYERS.items():
        assert set(layers[band]) == set(locations), band
        for location, (aqi, pm25, pm10, humid, judged) in locations.items():
            row, site = layers[band][location], SITES[int(location)]
            assert (row["aqi"], row["band"], row["pm25"], row["pm10"]) == (aqi, band, pm25, pm10)
            assert (row["humid_readings"], row["pm_readings"]) == (humid, judged)
            assert (row["latitude"], row["longitude"]) == (site.latitude, site.longitude)
            place = PLACES[int(location)]
            assert (row["country"], row["place"]) == (site.country, place or no_place)
            label = f"{place or 'unnamed place'}, {site.country} (location {location})"
            assert row["location_label"] == label


@dataclass(frozen=True)
class Snapshots:
    """Epoch seconds of the three snapshots (S0 oldest, S2 newest)."""

    newest: int

    @property
    def times(self) -> tuple[int, int, int]:
        return (self.newest - 120 * MINUTE, self.newest - 60 * MINUTE, self.newest)

    def at(self, index: int) -> int:
        return self.times[index]


def snapshots_now() -> Snapshots:
    """The newest snapshot 10 whole minutes before the current minute."""
    return Snapshots(int(time.time()) // MINUTE * MINUTE - 10 * MINUTE)


def _record(entry: tuple[int, int, str, int, dict[str, str]], snaps: Snapshots) -> dict[str, Any]:
    location_id, sensor_id, sensor_type, snapshot, values = entry
    site = SITES[location_id]
    stamp = datetime.fromtimestamp(snaps.at(snapshot), UTC).strftime("%Y-%m-%d %H:%M:%S")
    return {
        "id": sensor_id * 1000 + snapshot,
        "timestamp": stamp,
        "location": {
            "id": location_id,
            "latitude": f"{site.latitude}",
            "longitude": f"{site.longitude}",
            "altitude": "20.0",
            "country": site.country,
            "indoor": 0,
        },
        "sensor": {
            "id": sensor_id,
            "pin": "1",
            "sensor_type": {"id": 14, "name": sensor_type, "manufacturer": "test"},
        },
        "sensordatavalues": [
            {"value": value, "value_type": kind} for kind, value in values.items()
        ],
    }


def stored_row(
    location: int,
    sensor: int,
    window: str,
    when: int,
    pm25: float,
    pm10: float | None,
    aqi: int | None,
) -> dict[str, Any]:
    """A PM reading of a fixture site as the dict sinks receive, written past the ingest job."""
    from ingest import daqi, model

    site = SITES[location]
    row: dict[str, Any] = dict.fromkeys(model.COLUMNS)
    row.update(
        time=when,
        window=window,
        sensor_id=sensor,
        location_id=location,
        country=site.country,
        sensor_type="SDS011",
        indoor=0,
        place=PLACES[location],
        latitude=site.latitude,
        longitude=site.longitude,
        pm25=pm25,
        pm10=pm10,
        value_count=2 if pm10 is not None else 1,
        extra={},
        humid=0,
    )
    if aqi is not None:
        row.update(aqi=aqi, aqi_pm25=aqi, aqi_pm10=1, band=daqi.band_for(aqi))
    return row


def archive_rows(snaps: Snapshots) -> list[dict[str, Any]]:
    """The :data:`ARCHIVE` rows as the reading dicts sinks receive."""
    return [
        stored_row(location, sensor, window, snaps.at(1) - before, pm25, pm10, aqi)
        for window, location, sensor, before, pm25, pm10, aqi in ARCHIVE
    ]


def silent_default_place(now: int) -> list[dict[str, Any]]:
    """A store where the default place (London) has a reading 3 days old only, and
    another place of its country (Aberdeen, 24-hour DAQI 4) one 10 minutes old."""
    from ingest import model

    return [
        stored_row(101, 1010, model.WINDOW_24H, now - 3 * 86400, 30.0, None, 3),
        stored_row(505, 5050, model.WINDOW_24H, now - 600, 40.0, None, 4),
    ]


def write_feed(folder: Path, snaps: Snapshots) -> Path:
    """``data.json`` and ``data.24h.json`` as the service names them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.24h.json").write_text(json.dumps([_record(e, snaps) for e in DAILY]))
    (folder / "data.json").write_text(json.dumps([_record(e, snaps) for e in FIVE_MINUTES]))
    return folder
