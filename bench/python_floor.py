"""The floor to beat: a plain single-process Python loop over the same feeds.

json, the DAQI rule and sqlite3, no Spark: read both feed files, build one row
per reading with the index, insert them into the same table. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from memory import peak_kib

from ingest import daqi, model
from ingest.sinks.sqlite import INSERT, SCHEMA

FILES = {"data.json": model.WINDOW_5M, "data.24h.json": model.WINDOW_24H}


def number(text: object) -> float | None:
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def rows_of(path: Path, window: str) -> Iterator[tuple[Any, ...]]:
    for item in json.loads(path.read_text()):
        values = {v["value_type"]: v["value"] for v in item["sensordatavalues"]}
        measures = {name: number(values.get(vt)) for vt, name in model.MEASURE_COLUMNS.items()}
        pm25 = pm10 = None
        if window == model.WINDOW_24H:
            pm25 = daqi.index_for(measures["pm25"], daqi.PM25_UPPER)
            pm10 = daqi.index_for(measures["pm10"], daqi.PM10_UPPER)
        aqi = daqi.overall(pm25, pm10)
        stamp = datetime.strptime(item["timestamp"], "%Y-%m-%d %H:%M:%S").strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        location, sensor = item["location"], item["sensor"]
        row = {
            "time": stamp,
            "window": window,
            "sensor_id": int(sensor["id"]),
            "location_id": int(location["id"]),
            "country": location.get("country"),
            "sensor_type": sensor["sensor_type"]["name"],
            "indoor": int(location.get("indoor") or 0),
            "latitude": number(location.get("latitude")),
            "longitude": number(location.get("longitude")),
            "altitude": number(location.get("altitude")),
            **measures,
            "aqi_pm25": pm25,
            "aqi_pm10": pm10,
            "aqi": aqi,
            "band": daqi.band_for(aqi),
            "value_count": len(values),
            "hours": None,
            "extra": None,
        }
        yield tuple(row[c] for c in model.COLUMNS)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()
    started = time.monotonic()
    connection = sqlite3.connect(args.db)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(SCHEMA)
    written = 0
    with connection:
        for name, window in FILES.items():
            before = connection.total_changes
            connection.executemany(INSERT, rows_of(args.feeds / name, window))
            written += connection.total_changes - before
    connection.close()
    print(
        json.dumps(
            {
                "written": written,
                "seconds": {"total": round(time.monotonic() - started, 2)},
                "python_peak_mib": round(peak_kib(os.getpid()) / 1024),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
