"""Synthetic feeds in the real Sensor.Community v2 shape, for the bundled sample and benchmarks.

Every value is a JSON string, as in the real feeds. The generator is seeded, so
the same arguments give the same files.

    python -m tools.synthetic --sensors 30000 --out bench/feeds/30k
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: (country, latitude, longitude) of a few cities the sensors cluster around.
CITIES = (
    ("DE", 52.52, 13.40),
    ("DE", 48.78, 9.18),
    ("GB", 51.51, -0.13),
    ("FR", 48.86, 2.35),
    ("NL", 52.37, 4.90),
    ("PL", 50.06, 19.94),
    ("BG", 42.70, 23.32),
    ("IT", 45.46, 9.19),
    ("ES", 40.42, -3.70),
    ("UA", 50.45, 30.52),
)

PM_SENSORS = (
    ("SDS011", "Nova Fitness", 14),
    ("SPS30", "Sensirion", 34),
    ("PMS5003", "Plantower", 17),
)
CLIMATE_SENSORS = (("BME280", "Bosch", 17), ("DHT22", "various", 9))


def _value(value_type: str, value: float) -> dict[str, str]:
    return {"value": f"{value:.2f}", "value_type": value_type}


def _record(
    rng: random.Random, record_id: int, sensor_id: int, timestamp: str, scale: float
) -> dict[str, Any]:
    location_index = sensor_id // 2  # a PM sensor and a climate sensor share a location
    location_id = 10_000 + location_index
    country, lat, lon = CITIES[location_index % len(CITIES)]
    spot = random.Random(location_id)  # the same place whatever the feed
    is_pm = sensor_id % 2 == 0
    name, maker, type_id = (PM_SENSORS if is_pm else CLIMATE_SENSORS)[sensor_id % 3 % 2]
    if is_pm:
        pm25 = rng.lognormvariate(2.3, 0.7) * scale
        values = [_value("P1", pm25 * rng.uniform(1.2, 2.0)), _value("P2", pm25)]
        if name == "SPS30":
            values.append(_value("P0", pm25 * 0.7))
    else:
        values = [
            _value("temperature", rng.uniform(-5, 25)),
            _value("humidity", rng.uniform(30, 95)),
        ]
        if name == "BME280":
            values.append(_value("pressure", rng.uniform(98_000, 103_000)))
    return {
        "id": record_id,
        "sampling_rate": None,
        "timestamp": timestamp,
        "location": {
            "id": location_id,
            "latitude": f"{lat + spot.uniform(-0.3, 0.3):.3f}",
            "longitude": f"{lon + spot.uniform(-0.3, 0.3):.3f}",
            "altitude": f"{spot.uniform(0, 400):.1f}",
            "country": country,
            "exact_location": 0,
            "indoor": 0,
        },
        "sensor": {
            "id": sensor_id,
            "pin": "1" if is_pm else "7",
            "sensor_type": {"id": type_id, "name": name, "manufacturer": maker},
        },
        "sensordatavalues": [{"id": record_id * 10 + i, **v} for i, v in enumerate(values)],
    }


def generate(sensors: int, when: datetime, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """Both feeds for ``sensors`` sensors at ``when``: {"data.json": [...], "data.24h.json": [...]}."""
    rng = random.Random(seed)
    stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    five_minutes = [_record(rng, 1_000_000 + i, i, stamp, 1.0) for i in range(1, sensors + 1)]
    daily = [_record(rng, 5_000_000 + i, i, stamp, 0.9) for i in range(1, sensors + 1)]
    return {"data.json": five_minutes, "data.24h.json": daily}


def with_bad_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of a feed with the faults real feeds show, appended after its good records.

    A record without a sensor id, one without a location id, one with an
    unparseable timestamp, a repeated sensor, and values that are not numbers,
    negative or not finite.
    """
    first = records[0]
    broken: list[dict[str, Any]] = [
        {**first, "sensor": {**first["sensor"], "id": None}},
        {**first, "location": {**first["location"], "id": ""}},
        {**first, "timestamp": "yesterday"},
        dict(first),  # the same reading twice
    ]
    odd_values = (("NaN", "-3.10"), ("", "Infinity"), ("twelve", "1e400"))
    for offset, (pm10, pm25) in enumerate(odd_values, start=1):
        source = records[offset * 2]
        broken.append(
            {
                **source,
                "sensordatavalues": [
                    {"value": pm10, "value_type": "P1"},
                    {"value": pm25, "value_type": "P2"},
                ],
            }
        )
    return [*records, *broken]


def write_feeds(out: Path, feeds: dict[str, list[dict[str, Any]]]) -> list[Path]:
    """Writes each feed as one compact JSON array, as the service does."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, records in feeds.items():
        path = out / name
        path.write_text(json.dumps(records, separators=(",", ":")))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensors", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--time", default=None, help="feed timestamp, ISO-8601 UTC (default: now)")
    parser.add_argument("--bad-records", action="store_true", help="append faulty records")
    args = parser.parse_args(argv)
    when = datetime.fromisoformat(args.time) if args.time else datetime.now(UTC)
    feeds = generate(args.sensors, when, args.seed)
    if args.bad_records:
        feeds = {name: with_bad_records(records) for name, records in feeds.items()}
    for path in write_feeds(args.out, feeds):
        print(f"{path} {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
