"""Builders of feed records in Sensor.Community's v2 shape, for the ingest tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STAMP = "2026-11-27 12:00:00"


def record(
    sensor_id: Any = 1,
    values: dict[str, str] | None = None,
    *,
    location_id: Any = 100,
    timestamp: str = STAMP,
    country: str = "GB",
    latitude: str = "51.500",
    longitude: str = "-0.120",
    sensor_type: str = "SDS011",
) -> dict[str, Any]:
    """One feed record; every value a string, as the service sends them."""
    return {
        "id": 1_000_000 + (sensor_id if isinstance(sensor_id, int) else 0),
        "sampling_rate": None,
        "timestamp": timestamp,
        "location": {
            "id": location_id,
            "latitude": latitude,
            "longitude": longitude,
            "altitude": "20.0",
            "country": country,
            "exact_location": 0,
            "indoor": 0,
        },
        "sensor": {
            "id": sensor_id,
            "pin": "1",
            "sensor_type": {"id": 14, "name": sensor_type, "manufacturer": "Nova Fitness"},
        },
        "sensordatavalues": [
            {"id": i, "value": v, "value_type": k}
            for i, (k, v) in enumerate((values or {}).items())
        ],
    }


def pm(pm25: str | None, pm10: str | None) -> dict[str, str]:
    """Values of a PM sensor: P2 is PM2.5, P1 is PM10."""
    values = {}
    if pm10 is not None:
        values["P1"] = pm10
    if pm25 is not None:
        values["P2"] = pm25
    return values


def write(
    folder: Path,
    daily: list[dict[str, Any]] | None = None,
    five_minutes: list[dict[str, Any]] | None = None,
) -> Path:
    """Writes data.24h.json and/or data.json into folder, as the service names them."""
    folder.mkdir(parents=True, exist_ok=True)
    if daily is not None:
        (folder / "data.24h.json").write_text(json.dumps(daily))
    if five_minutes is not None:
        (folder / "data.json").write_text(json.dumps(five_minutes))
    return folder


def spooled(path: Path, window: str) -> str:
    """A saved feed through the intake: the path of its JSON Lines spool file (beside it)."""
    from ingest import intake

    result = intake.spool(intake.file_chunks(path), path.parent / f"spool-{path.name}", window)
    assert result.path is not None, result.quarantined
    return str(result.path)
