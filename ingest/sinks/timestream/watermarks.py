"""Watermarks from a Timestream table: the query, its result rows and their timestamps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ingest import model


def quote_identifier(name: str) -> str:
    """A Timestream query identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def watermark_query(database: str, table: str, lookback_hours: int | None = None) -> str:
    """Newest time per (window, sensor_id) of the readings stored in a table."""
    window = quote_identifier("window")
    sensor = quote_identifier("sensor_id")
    measure = model.MEASUREMENT.replace("'", "''")
    where = f"measure_name = '{measure}'"
    if lookback_hours is not None:
        where += f" AND time >= ago({int(lookback_hours)}h)"
    return (
        f"SELECT {window}, {sensor}, max(time) AS newest "
        f"FROM {quote_identifier(database)}.{quote_identifier(table)} "
        f"WHERE {where} GROUP BY {window}, {sensor}"
    )


def scalar_rows(page: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    for row in page.get("Rows", []):
        values = [datum.get("ScalarValue") for datum in row.get("Data", [])]
        if len(values) != 3:
            raise ValueError(f"expected 3 columns, got {len(values)}")
        window, sensor_id, newest = values
        if window is None or sensor_id is None or newest is None:
            continue
        yield window, sensor_id, newest


def parse_timestamp(text: str) -> int:
    """Whole epoch seconds of a Timestream TIMESTAMP (``2026-11-28 10:05:00.000000000``)."""
    whole = text.split(".", 1)[0]
    moment = datetime.strptime(whole, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return int(moment.timestamp())
