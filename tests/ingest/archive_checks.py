"""Helpers of the backfill tests: running the command, reading the store, the DAQI table."""

from __future__ import annotations

import sqlite3
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from ingest import cli

SAMPLES = Path(__file__).resolve().parent / "archive_samples"

#: The UK DAQI table for particles (whole ug/m3, upper bounds of indices 1..9),
#: copied from the published table (Defra), not from ingest.daqi.
PM25_TABLE = (11, 23, 35, 41, 47, 53, 58, 64, 70)
PM10_TABLE = (16, 33, 50, 58, 66, 75, 83, 91, 100)
BANDS = {1: "Low", 2: "Low", 3: "Low", 4: "Moderate", 5: "Moderate", 6: "Moderate"}
BANDS.update({7: "High", 8: "High", 9: "High", 10: "Very High"})


def table_index(mean: float, table: tuple[int, ...]) -> int:
    """The index of a daily mean: rounded to a whole ug/m3, halves up, then banded."""
    whole = int(Decimal(repr(mean)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return next((i for i, top in enumerate(table, start=1) if whole <= top), 10)


def backfill(source: Path | str, db: Path, state: Path, *extra: str, first: str, last: str) -> int:
    """``aqi-ingest backfill`` in this process (on the tests' SparkSession)."""
    return cli.main(
        [
            "backfill",
            "--source",
            str(source),
            "--from",
            first,
            "--to",
            last,
            "--sink",
            f"sqlite:///{db}",
            "--state-dir",
            str(state),
            *extra,
        ]
    )


def stored(db: Path, where: str = "1=1") -> dict[tuple[str, int, str], dict[str, Any]]:
    """{(window, sensor_id, time): row} of the archive windows."""
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(
            f"SELECT * FROM air_quality WHERE window IN ('1h', '1d') AND {where}"
        ).fetchall()
    return {(r["window"], r["sensor_id"], r["time"]): dict(r) for r in rows}


def daily_problems(rows: dict[tuple[str, int, str], dict[str, Any]]) -> list[str]:
    """Daily rows whose DAQI breaks the published rule or the capture rule (18 hours)."""
    problems = []
    for (window, sensor, time), row in rows.items():
        if window != "1d":
            continue
        for index, measure, table in (
            ("aqi_pm25", "pm25", PM25_TABLE),
            ("aqi_pm10", "pm10", PM10_TABLE),
        ):
            mean = row[measure]
            want = table_index(mean, table) if mean is not None and row["hours"] >= 18 else None
            if row[index] != want:
                problems.append(f"{sensor} {time}: {index} {row[index]}, the rule says {want}")
        present = [i for i in (row["aqi_pm25"], row["aqi_pm10"]) if i is not None]
        overall = max(present) if present else None
        if row["aqi"] != overall or row["band"] != (BANDS[overall] if overall else None):
            problems.append(f"{sensor} {time}: overall {row['aqi']} {row['band']}")
    return problems
