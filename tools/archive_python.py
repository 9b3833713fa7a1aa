"""The backfill's hourly and daily means in plain Python, one file at a time.

A second implementation of the rule of ``aqi-ingest backfill`` with nothing in
common with the Spark one but :func:`ingest.daqi.index_for`: the standard
library's csv reader, Decimal sums. ``make bench`` times it beside Spark, and
the tests compare every row Spark stores with it.

    python -m tools.archive_python ARCHIVE_FOLDER
"""

from __future__ import annotations

import argparse
import csv
import gzip
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

from ingest import daqi

#: Archive column -> stored measure (the airrohr names: P1 is PM10, P2 PM2.5).
MEASURES = {
    "P0": "pm1",
    "P1": "pm10",
    "P2": "pm25",
    "P4": "pm4",
    "temperature": "temperature",
    "humidity": "humidity",
    "pressure": "pressure",
    "pressure_sealevel": "pressure_at_sealevel",
    "noise_LAeq": "noise_laeq",
    "noise_LA_min": "noise_la_min",
    "noise_LA_max": "noise_la_max",
}
NOT_NEGATIVE = ("pm1", "pm10", "pm25", "pm4")
NOT_VALUES = ("sensor_id", "sensor_type", "location", "lat", "lon", "timestamp", "altitude")
CAPTURE_HOURS = 18


@dataclass
class Sums:
    count: int = 0
    total: Decimal = Decimal(0)
    hours: set[datetime] = field(default_factory=set)

    def mean(self) -> float:
        return float(self.total) / self.count


@dataclass
class Period:
    """The sums of one sensor in one hour or day: {value name: Sums}."""

    values: dict[str, Sums] = field(default_factory=dict)
    newest: tuple[datetime, str, str] | None = None  # (time, sensor type, location)


def _open(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _value(text: str) -> Decimal | None:
    """A finite number, or None."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def readings(path: Path) -> Iterator[tuple[int, datetime, str, str, dict[str, Decimal]]]:
    """(sensor_id, time, type, location, values) of the usable lines of one file, duplicates once."""
    seen: set[tuple[str, ...]] = set()
    with _open(path) as handle:
        rows = csv.reader(handle, delimiter=";")
        header = next(rows, None)
        if header is None:
            return
        for fields in rows:
            if len(fields) != len(header) or tuple(fields) in seen:
                continue
            seen.add(tuple(fields))
            record = dict(zip(header, fields, strict=True))
            try:
                sensor = int(record["sensor_id"])
                int(record["location"])
                stamp = datetime.fromisoformat(record["timestamp"])
            except (KeyError, ValueError):
                continue
            values = {}
            for name, text in record.items():
                if name in NOT_VALUES or not text.strip():
                    continue
                value = _value(text)
                measure = MEASURES.get(name, f"x:{name}")
                if value is not None and not (measure in NOT_NEGATIVE and value < 0):
                    values[measure] = value
            yield sensor, stamp, record.get("sensor_type", ""), record.get("location", ""), values


def in_file_days(path: Path, stamp: datetime) -> bool:
    """Whether a reading's day belongs to the file (its day, or its month)."""
    date_part = path.name.split("_", 1)[0]
    return stamp.date().isoformat().startswith(date_part)


def means(paths: list[Path]) -> dict[tuple[str, int, datetime], dict[str, object]]:
    """{(window, sensor_id, period start): row} for every file."""
    periods: dict[tuple[str, int, datetime], Period] = {}
    for path in paths:
        for sensor, stamp, kind, location, values in readings(path):
            if not in_file_days(path, stamp) or not values:
                continue
            hour = stamp.replace(minute=0, second=0, microsecond=0)
            for window, start in (("1h", hour), ("1d", hour.replace(hour=0))):
                period = periods.setdefault((window, sensor, start), Period())
                for name, value in values.items():
                    sums = period.values.setdefault(name, Sums())
                    sums.count += 1
                    sums.total += value
                    sums.hours.add(hour)
                period.newest = max(
                    period.newest or (stamp, kind, location), (stamp, kind, location)
                )
    return {key: _row(key[0], period) for key, period in periods.items()}


def _row(window: str, period: Period) -> dict[str, object]:
    row: dict[str, object] = {
        name: sums.mean() for name, sums in period.values.items() if not name.startswith("x:")
    }
    row["extra"] = {
        name[2:]: sums.mean() for name, sums in period.values.items() if name.startswith("x:")
    }
    row["value_count"] = max(s.count for s in period.values.values())
    row["hours"] = max(len(s.hours) for s in period.values.values())
    assert period.newest is not None
    row["sensor_type"], row["location_id"] = period.newest[1], int(period.newest[2])
    indices = {}
    for measure, upper in (("pm25", daqi.PM25_UPPER), ("pm10", daqi.PM10_UPPER)):
        sums = period.values.get(measure)
        enough = window == "1d" and sums is not None and len(sums.hours) >= CAPTURE_HOURS
        indices[measure] = daqi.index_for(sums.mean(), upper) if enough and sums else None
    row["aqi_pm25"], row["aqi_pm10"] = indices["pm25"], indices["pm10"]
    row["aqi"] = daqi.overall(indices["pm25"], indices["pm10"])
    row["band"] = daqi.band_for(row["aqi"])  # type: ignore[arg-type]
    return row


def archive_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.csv*") if p.is_file())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("archive", type=Path)
    args = parser.parse_args(argv)
    files = archive_files(args.archive)
    started = time.monotonic()
    rows = means(files)
    seconds = time.monotonic() - started
    print(
        f"{len(files)} files, {len(rows)} rows in {seconds:.2f} s ({len(files) / max(seconds, 1e-9):.1f} files/s)"
    )


if __name__ == "__main__":
    main()
