"""The floor to beat: a plain single-process Python loop over the same feeds, into the same store.

json, the DAQI rule and one writer, no Spark: read both feed files whole, build one
row per reading with the index, its place (each location geocoded once, by the job's
own cache) and its humidity flag, then write them all. Into SQLite: the job's own
table and indexes, ``executemany`` in one transaction. Into InfluxDB: the job's own
line protocol, posted in batches of the job's size on one keep-alive session.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import requests
from memory import peak_kib

from ingest import daqi, humidity, model, places
from ingest.sinks.influxdb import BATCH_LINES, to_line
from ingest.sinks.sqlite import INDEXES, INSERT, SCHEMA, TIME_FORMAT

FILES = {"data.json": model.WINDOW_5M, "data.24h.json": model.WINDOW_24H}
MEASURES = tuple(model.MEASURE_COLUMNS.items())


def number(text: object) -> float | None:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@cache
def epoch(stamp: str) -> int:
    """A feed timestamp as epoch seconds (a feed holds few distinct timestamps)."""
    return int(datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp())


@cache
def iso(stamp: str) -> str:
    return datetime.fromtimestamp(epoch(stamp), UTC).strftime(TIME_FORMAT)


def feed_rows(feeds: Path) -> list[dict[str, Any]]:
    """One row per record of both feeds, keyed by the model's columns (places and humidity later)."""
    rows = []
    for name, window in FILES.items():
        daily = window == model.WINDOW_24H
        for item in json.loads((feeds / name).read_bytes()):
            values = {v["value_type"]: v["value"] for v in item["sensordatavalues"]}
            row: dict[str, Any] = {name: number(values.get(vt)) for vt, name in MEASURES}
            pm25 = daqi.index_for(row["pm25"], daqi.PM25_UPPER) if daily else None
            pm10 = daqi.index_for(row["pm10"], daqi.PM10_UPPER) if daily else None
            aqi = daqi.overall(pm25, pm10)
            location, sensor = item["location"], item["sensor"]
            row.update(
                time=item["timestamp"],
                window=window,
                sensor_id=int(sensor["id"]),
                location_id=int(location["id"]),
                country=location.get("country"),
                sensor_type=sensor["sensor_type"]["name"],
                indoor=location.get("indoor"),
                latitude=number(location.get("latitude")),
                longitude=number(location.get("longitude")),
                altitude=number(location.get("altitude")),
                aqi_pm25=pm25,
                aqi_pm10=pm10,
                aqi=aqi,
                band=daqi.band_for(aqi),
                value_count=len(values),
                hours=None,
                extra=None,
            )
            rows.append(row)
    return rows


def readings(feeds: Path, state: Path) -> Iterator[dict[str, Any]]:
    """The rows with what the job adds: the place of each location (geocoded once, in a
    cache as the job's) and the humidity flag from the nearest humidity of the location."""
    rows = feed_rows(feeds)
    located = {
        (r["location_id"], r["latitude"], r["longitude"])
        for r in rows
        if r["latitude"] is not None and r["longitude"] is not None
    }
    found = places.PlaceCache(state).resolve(located)
    humidities: dict[tuple[str, int], list[tuple[int, float]]] = defaultdict(list)
    for r in rows:
        if humidity.usable(r["humidity"]):
            humidities[r["window"], r["location_id"]].append((epoch(r["time"]), r["humidity"]))
    for r in rows:
        place = found.get((r["location_id"], r["latitude"], r["longitude"]), places.NOWHERE)
        r.update(place=place.place, region=place.region)
        rh = None
        if r["pm25"] is not None or r["pm10"] is not None:
            at = epoch(r["time"])
            near = [
                (abs(t - at), h)
                for t, h in humidities.get((r["window"], r["location_id"]), ())
                if abs(t - at) <= humidity.MATCH_SECONDS
            ]
            rh = min(near)[1] if near else None
            r[model.HUMID] = humidity.is_humid(rh)
        else:
            r[model.HUMID] = None
        r[model.HUMID_RH] = rh
        r.update(dict.fromkeys(model.CORRECTED.values()))
        yield r


def into_sqlite(feeds: Path, db: Path, state: Path) -> int:
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(SCHEMA)
    for statement in INDEXES:
        connection.execute(statement)
    columns = [c for c in model.COLUMNS if c != "time"]
    rows = ((iso(r["time"]), *(r[c] for c in columns)) for r in readings(feeds, state))
    assert model.COLUMNS[0] == "time"
    with connection:
        connection.executemany(INSERT, rows)
        written = connection.total_changes
    connection.close()
    return written


def into_influxdb(feeds: Path, url: str, database: str, state: Path) -> int:
    session = requests.Session()
    session.post(f"{url}/query", params={"q": f'CREATE DATABASE "{database}"'}).raise_for_status()
    written = 0
    lines = (to_line({**r, "time": epoch(r["time"])}) for r in readings(feeds, state))
    while batch := list(islice(lines, BATCH_LINES)):
        response = session.post(
            f"{url}/write",
            params={"db": database, "precision": "s"},
            data="\n".join(batch).encode(),
        )
        response.raise_for_status()
        written += len(batch)
    return written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=Path, required=True)
    store = parser.add_mutually_exclusive_group(required=True)
    store.add_argument("--db", type=Path, help="SQLite file")
    store.add_argument("--influxdb", help="InfluxDB base URL http://HOST:PORT, with --database")
    parser.add_argument("--database", default="floor")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="floor-state-"))  # a cold place cache, as the job's
    started = time.monotonic()
    cpu = os.times()
    if args.db:
        written = into_sqlite(args.feeds, args.db, state)
    else:
        written = into_influxdb(args.feeds, args.influxdb, args.database, state)
    used = os.times()
    print(
        json.dumps(
            {
                "written": written,
                "seconds": {"total": round(time.monotonic() - started, 2)},
                "cpu_s": round(used.user + used.system - cpu.user - cpu.system, 2),
                "python_peak_mib": round(peak_kib(os.getpid()) / 1024),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
