"""Synthetic archive files in the real Sensor.Community archive layout, for tests and benchmarks.

One CSV per sensor and day, ``YYYY-MM-DD/YYYY-MM-DD_<type>_sensor_<id>.csv``, with
each type's documented header (:data:`ingest.archive.layout.HEADERS`), a reading
about every 150 s, values as the archive writes them (two decimals, empty fields
for missing values). Seeded: the same arguments give the same files.

Sensors share the ids, locations and countries of :mod:`tools.synthetic`, so its
24-hour feed says each sensor's country. Every fifth sensor reports in 18 hours of
a day (just enough for a daily DAQI) and the one after it in 17 (not enough).

    python -m tools.synthetic_archive --sensors 1000 --days 2024-03-01..2024-03-07 --out bench/archive
"""

from __future__ import annotations

import argparse
import gzip
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ingest.archive import layout
from tools.synthetic import CITIES

#: Sensor types of the synthetic network, in turn by sensor id.
TYPES = ("sds011", "bme280", "sps30", "dht22", "pms5003", "laerm", "hpm", "ds18b20")
SECONDS_BETWEEN_READINGS = 150
FULL_DAY = 24
#: Hours of a day the sensors with few readings report in: one at the capture rule, one below.
AT_THE_RULE = 18
BELOW_THE_RULE = 17


def sensor_type(sensor_id: int) -> str:
    return TYPES[sensor_id % len(TYPES)]


def hours_reported(sensor_id: int) -> int:
    """24, or 18 for every fifth sensor, 17 for the next one."""
    return {3: AT_THE_RULE, 4: BELOW_THE_RULE}.get(sensor_id % 5, FULL_DAY)


def place(sensor_id: int) -> tuple[int, float, float]:
    """(location id, latitude, longitude) as tools.synthetic gives the sensor."""
    location_index = sensor_id // 2
    location_id = 10_000 + location_index
    _, lat, lon = CITIES[location_index % len(CITIES)]
    spot = random.Random(location_id)
    return (
        location_id,
        round(lat + spot.uniform(-0.3, 0.3), 3),
        round(lon + spot.uniform(-0.3, 0.3), 3),
    )


def _value(rng: random.Random, column: str, pm25: float) -> str:
    """One value as the archive writes it; empty where the archive leaves it empty."""
    if column in (
        "durP1",
        "ratioP1",
        "durP2",
        "ratioP2",
        "altitude",
        "pressure_sealevel",
        "noise_LA01",
        "noise_LA95",
    ):
        return ""
    generated = {
        "P2": pm25,
        "P1": pm25 * rng.uniform(1.2, 2.0),
        "P0": pm25 * 0.7,
        "P4": pm25 * 1.1,
        "temperature": rng.uniform(-5.0, 25.0),
        "humidity": rng.uniform(30.0, 95.0),
        "pressure": rng.uniform(98_000.0, 103_000.0),
        "noise_LAeq": rng.uniform(35.0, 70.0),
        "noise_LA_min": rng.uniform(30.0, 40.0),
        "noise_LA_max": rng.uniform(60.0, 90.0),
        "TS": rng.uniform(0.4, 0.7),
    }
    return f"{generated.get(column, rng.uniform(10.0, 80.0)):.2f}"


def day_lines(sensor_id: int, day: date, seed: int = 11) -> Iterator[str]:
    """The lines of one sensor's day file, header first."""
    kind = sensor_type(sensor_id)
    header = layout.HEADERS[kind]
    rng = random.Random(f"{seed}-{sensor_id}-{day.isoformat()}")
    location_id, lat, lon = place(sensor_id)
    level = rng.lognormvariate(2.5, 0.6)
    yield layout.SEPARATOR.join(header)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    for second in range(
        rng.randrange(60), 3600 * hours_reported(sensor_id), SECONDS_BETWEEN_READINGS
    ):
        stamp = (start + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S")
        pm25 = level * rng.uniform(0.7, 1.3)
        identity = {
            layout.SENSOR_ID: str(sensor_id),
            layout.SENSOR_TYPE: kind.upper(),
            layout.LOCATION: str(location_id),
            layout.LATITUDE: f"{lat:.3f}",
            layout.LONGITUDE: f"{lon:.3f}",
            layout.TIMESTAMP: stamp,
        }
        yield layout.SEPARATOR.join(identity.get(c) or _value(rng, c, pm25) for c in header)


def file_name(sensor_id: int, day: date) -> str:
    return f"{day.isoformat()}_{sensor_type(sensor_id)}_sensor_{sensor_id}.csv"


def write_archive(
    out: Path, sensors: range, days: list[date], *, gzipped: bool = False, seed: int = 11
) -> list[Path]:
    """Day folders of archive files; ``gzipped``: the older years' ``YEAR/DAY/*.csv.gz``."""
    paths = []
    for day in days:
        folder = out / str(day.year) / day.isoformat() if gzipped else out / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        for sensor_id in sensors:
            text = "\n".join(day_lines(sensor_id, day, seed)) + "\n"
            if gzipped:
                path = folder / (file_name(sensor_id, day) + ".gz")
                path.write_bytes(gzip.compress(text.encode(), mtime=0))
            else:
                path = folder / file_name(sensor_id, day)
                path.write_text(text)
            paths.append(path)
    return paths


def days_of(text: str) -> list[date]:
    """``2024-03-01..2024-03-07`` or one day."""
    first, _, last = text.partition("..")
    return layout.days_between(date.fromisoformat(first), date.fromisoformat(last or first))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sensors", type=int, required=True)
    parser.add_argument("--days", type=days_of, required=True, help="FIRST..LAST or one day")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--gzip", action="store_true", help="YEAR/DAY/*.csv.gz, as older years")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    paths = write_archive(
        args.out, range(1, args.sensors + 1), args.days, gzipped=args.gzip, seed=args.seed
    )
    print(f"wrote {len(paths)} files under {args.out}")


if __name__ == "__main__":
    main()
