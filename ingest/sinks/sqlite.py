"""The embedded default store: one SQLite file, written from the driver.

Table ``air_quality`` holds every column of the data model; its primary key
(window, sensor_id, time) makes writing the same reading twice a no-op.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ingest import model
from ingest.sinks.base import Row, Sink, SinkError, Watermarks, WriteResult

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)

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
    "place": "TEXT",
    "region": "TEXT",
    "humid": "INTEGER",
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


def missing_columns(connection: sqlite3.Connection) -> list[str]:
    """Model columns an existing table lacks (it was made by an older version)."""
    present = {row[1] for row in connection.execute(f"PRAGMA table_info({model.MEASUREMENT})")}
    return [c for c in model.COLUMNS if c not in present]


def add_columns(connection: sqlite3.Connection) -> list[str]:
    """Adds the missing model columns to an existing table (null in the old rows)."""
    added = missing_columns(connection)
    for column in added:
        connection.execute(
            f"ALTER TABLE {model.MEASUREMENT} ADD COLUMN {column} {_TYPES.get(column, 'REAL')}"
        )
    return added


def iso_time(epoch_seconds: int) -> str:
    """Epoch seconds as the ISO-8601 UTC text stored in the ``time`` column."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime(TIME_FORMAT)


def epoch_time(text: str) -> int:
    """The inverse of :func:`iso_time`."""
    return int(datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC).timestamp())


def _extra_text(extra: Any) -> str | None:
    """The ``extra`` map (a dict, or Arrow's (key, value) pairs) as the stored JSON text."""
    return json.dumps(dict(extra), sort_keys=True) if extra else None


def _as_tuple(row: Row) -> tuple[Any, ...]:
    values = []
    for column in model.COLUMNS:
        value = row.get(column)
        if column == "time":
            value = iso_time(int(row["time"]))
        elif column == model.EXTRA:
            value = _extra_text(value)
        values.append(value)
    return tuple(values)


def _arrow_tuples(table: pa.Table) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of a table of readings as the tuples :func:`_as_tuple` makes, a batch at a time.

    Column by column: each is converted to Python once, the time as text by
    Arrow's own strftime.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    for start in range(0, table.num_rows, BATCH_ROWS):
        part = table.slice(start, BATCH_ROWS)
        columns = []
        for column in model.COLUMNS:
            if column == "time":
                stamps = pc.cast(part["time"], pa.timestamp("s", tz="UTC"))
                columns.append(pc.strftime(stamps, format=TIME_FORMAT).to_pylist())
            elif column == model.EXTRA:
                columns.append([_extra_text(v) for v in part[column].to_pylist()])
            else:
                columns.append(part[column].to_pylist())
        yield list(zip(*columns, strict=True))


def _arrow_marks(table: pa.Table) -> Watermarks:
    """Newest time per (window, sensor_id) of a table of readings."""
    latest = table.group_by(["window", "sensor_id"]).aggregate([("time", "max")]).to_pydict()
    return {
        (w, s): t
        for w, s, t in zip(latest["window"], latest["sensor_id"], latest["time_max"], strict=True)
    }


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
                for column in add_columns(connection):
                    log.info("SQLite store %s: added column %s", self.path, column)
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
        """Inserts readings from dicts; existing readings are left as they are."""
        iterator: Iterator[Row] = iter(rows)
        return self._insert(
            batch
            for batch in iter(lambda: [_as_tuple(r) for r in islice(iterator, BATCH_ROWS)], [])
        )

    def _insert(self, batches: Iterable[list[tuple[Any, ...]]]) -> WriteResult:
        """Inserts in batches, one transaction each."""
        written = 0
        connection: sqlite3.Connection | None = None
        try:
            connection = self._connect()
            for batch in batches:
                with connection:
                    before = connection.total_changes
                    connection.executemany(INSERT, batch)
                    written += connection.total_changes - before
        except sqlite3.Error as exc:
            return WriteResult(
                written=written, failed=[f"SQLite write to {self.path} failed: {exc}"]
            )
        finally:
            if connection is not None:
                connection.close()
        return WriteResult(written=written)

    def write(self, frame: DataFrame) -> WriteResult:
        """An embedded file has one writer: the readings come to the driver as Arrow, in one job."""
        table = frame.toArrow()
        result = self._insert(_arrow_tuples(table))
        result.received, result.marks = table.num_rows, _arrow_marks(table)
        return result
