"""The embedded default store: one SQLite file, written from the driver.

Table ``air_quality`` holds every column of the data model; its primary key
(window, sensor_id, time) makes writing the same reading twice a no-op.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ingest import model
from ingest.sinks.base import Row, Sink, SinkError, Watermarks, WriteResult, spark_row_to_dict

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
BATCH_ROWS = 10_000

_TYPES = {
    "time": "TEXT NOT NULL",
    "window": "TEXT NOT NULL",
    "sensor_id": "INTEGER NOT NULL",
    "location_id": "INTEGER",
    "country": "TEXT",
    "sensor_type": "TEXT",
    "indoor": "INTEGER",
    "aqi_pm25": "INTEGER",
    "aqi_pm10": "INTEGER",
    "aqi": "INTEGER",
    "band": "TEXT",
    "value_count": "INTEGER NOT NULL",
    "hours": "INTEGER",
    "extra": "TEXT",
}

SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {model.MEASUREMENT} (\n  "
    + ",\n  ".join(f"{c} {_TYPES.get(c, 'REAL')}" for c in model.COLUMNS)
    + f",\n  PRIMARY KEY ({', '.join(model.KEY)})\n) WITHOUT ROWID"
)
INDEXES = (
    f"CREATE INDEX IF NOT EXISTS {model.MEASUREMENT}_location_time "
    f"ON {model.MEASUREMENT} (location_id, time)",
    f"CREATE INDEX IF NOT EXISTS {model.MEASUREMENT}_time ON {model.MEASUREMENT} (time)",
)
INSERT = (
    f"INSERT OR IGNORE INTO {model.MEASUREMENT} ({', '.join(model.COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in model.COLUMNS)})"
)


def iso_time(epoch_seconds: int) -> str:
    """Epoch seconds as the ISO-8601 UTC text stored in the ``time`` column."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime(TIME_FORMAT)


def epoch_time(text: str) -> int:
    """The inverse of :func:`iso_time`."""
    return int(datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC).timestamp())


def _as_tuple(row: Row) -> tuple[Any, ...]:
    values = []
    for column in model.COLUMNS:
        value = row.get(column)
        if column == "time":
            value = iso_time(int(row["time"]))
        elif column == model.EXTRA:
            value = json.dumps(value, sort_keys=True) if value else None
        values.append(value)
    return tuple(values)


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    """Adds the model's columns that a file made by an older version lacks (as nulls)."""
    present = {row[1] for row in connection.execute(f"PRAGMA table_info({model.MEASUREMENT})")}
    for column in model.COLUMNS:
        if column not in present:
            kind = _TYPES.get(column, "REAL").replace(" NOT NULL", "")
            connection.execute(f"ALTER TABLE {model.MEASUREMENT} ADD COLUMN {column} {kind}")


class SqliteSink(Sink):
    """``sqlite:///relative.db`` or ``sqlite:////absolute.db``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.display_url = f"sqlite:///{path}"

    @classmethod
    def from_url(cls, url: str) -> SqliteSink:
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise SinkError(
                f"bad SQLite URL {url!r}: use sqlite:///relative/path.db or sqlite:////abs/path.db"
            )
        return cls(Path(unquote(parts.path[1:])))

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    def check(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as connection:
                connection.execute(SCHEMA)
                _add_missing_columns(connection)
                for statement in INDEXES:
                    connection.execute(statement)
            connection.close()
        except (OSError, sqlite3.Error) as exc:
            raise SinkError(f"cannot open SQLite store {self.path}: {exc}") from exc

    def restore_watermarks(self) -> Watermarks:
        connection = self._connect()
        try:
            rows = connection.execute(
                f"SELECT window, sensor_id, MAX(time) FROM {model.MEASUREMENT} GROUP BY window, sensor_id"
            ).fetchall()
        finally:
            connection.close()
        return {(window, int(sensor)): epoch_time(latest) for window, sensor, latest in rows}

    def write_rows(self, rows: Iterable[Row]) -> WriteResult:
        """Inserts in batches, one transaction each; existing readings are left as they are."""
        written = 0
        iterator: Iterator[Row] = iter(rows)
        connection = self._connect()
        try:
            while batch := [_as_tuple(r) for r in islice(iterator, BATCH_ROWS)]:
                with connection:
                    before = connection.total_changes
                    connection.executemany(INSERT, batch)
                    written += connection.total_changes - before
        except sqlite3.Error as exc:
            return WriteResult(
                written=written, failed=[f"SQLite write to {self.path} failed: {exc}"]
            )
        finally:
            connection.close()
        return WriteResult(written=written)

    def write(self, frame: DataFrame) -> WriteResult:
        """An embedded file has one writer: rows stream to the driver, a partition at a time."""
        return self.write_rows(
            spark_row_to_dict(r) for r in frame.toLocalIterator(prefetchPartitions=True)
        )
