"""What every sink provides, and the plumbing that runs a sink on Spark's executors.

A sink receives readings as plain dicts (see :data:`Row`), never Spark rows, so
that its writer is ordinary Python that tests can drive directly.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ingest import model

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

#: One reading, keyed by the names in :data:`ingest.model.COLUMNS`:
#: ``time`` is whole epoch seconds (UTC), ``sensor_id``/``location_id``/``indoor``/
#: ``value_count`` and the indices are ints, measures and location floats, ``band``,
#: ``window``, ``country``, ``sensor_type`` strings, ``extra`` a dict of floats.
#: Any value but ``time``, ``window`` and ``sensor_id`` may be None.
Row = dict[str, Any]

#: Watermarks: (window, sensor_id) -> epoch seconds of the newest stored reading.
Watermarks = dict[tuple[str, int], int]


class SinkError(Exception):
    """A sink cannot be used: bad URL, missing credentials, unreachable store.

    Its message is one line meant for the operator, with no secret in it.
    """


@dataclass
class Rejection:
    """A reading the store refused for good (it is quarantined, not retried)."""

    row: Row
    reason: str


@dataclass
class WriteResult:
    """What writing a set of readings achieved.

    ``failed`` holds one-line errors of batches that could not be written after
    retries (store down, throttled for too long); when it is not empty the cycle
    does not advance its watermarks, so the readings are written again later.
    ``received`` counts the readings handed to the writer and ``marks`` holds the
    newest time among them per (window, sensor_id): what the watermarks advance to.
    """

    written: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    received: int = 0
    marks: Watermarks = field(default_factory=dict)

    def merge(self, other: WriteResult) -> WriteResult:
        marks = dict(self.marks)
        for key, epoch in other.marks.items():
            if epoch > marks.get(key, epoch - 1):
                marks[key] = epoch
        return WriteResult(
            self.written + other.written,
            self.rejected + other.rejected,
            self.failed + other.failed,
            self.received + other.received,
            marks,
        )

    def to_json(self) -> str:
        """The result as JSON text, for an executor to send to the driver."""
        return json.dumps(
            {
                "written": self.written,
                "rejected": [[r.row, r.reason] for r in self.rejected],
                "failed": self.failed,
                "received": self.received,
                "marks": [[w, s, t] for (w, s), t in self.marks.items()],
            },
            default=str,
        )

    @classmethod
    def from_json(cls, text: str) -> WriteResult:
        data = json.loads(text)
        return cls(
            data["written"],
            [Rejection(row, reason) for row, reason in data["rejected"]],
            data["failed"],
            data["received"],
            {(w, int(s)): int(t) for w, s, t in data["marks"]},
        )


class Received:
    """Counts the readings a writer takes from an iterator and their newest time per sensor."""

    def __init__(self) -> None:
        self.count = 0
        self.marks: Watermarks = {}

    def track(self, rows: Iterable[Row]) -> Iterator[Row]:
        marks = self.marks
        for row in rows:
            self.count += 1
            key = (row["window"], row["sensor_id"])
            if row["time"] > marks.get(key, -1):
                marks[key] = row["time"]
            yield row

    def into(self, result: WriteResult) -> WriteResult:
        result.received, result.marks = self.count, self.marks
        return result


class Sink(abc.ABC):
    """A store for readings. Writing the same reading twice must be a no-op."""

    #: The sink URL with any secret removed, for logs.
    display_url: str

    @abc.abstractmethod
    def check(self) -> None:
        """Raises :class:`SinkError` when the store cannot be reached or used."""

    @abc.abstractmethod
    def restore_watermarks(self) -> Watermarks:
        """Newest stored reading per (window, sensor_id); read once at start."""

    @abc.abstractmethod
    def write_rows(self, rows: Iterable[Row]) -> WriteResult:
        """Writes readings from plain dicts (driver or executor side)."""

    def write(self, frame: DataFrame) -> WriteResult:
        """Writes a DataFrame of readings. Remote stores write from the executors."""
        return write_from_executors(frame, self.write_rows)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Releases connections held by the driver."""


def plain_row(row: Row) -> Row:
    """A reading from Arrow's ``to_pylist`` (a map arrives as (key, value) pairs) as a plain dict."""
    extra = row.get(model.EXTRA)
    if extra is not None and not isinstance(extra, dict):
        row[model.EXTRA] = dict(extra)
    return row


#: The one column a partition's writer reports back in.
RESULT_SCHEMA = "result string"


def write_from_executors(
    frame: DataFrame, writer: Callable[[Iterable[Row]], WriteResult]
) -> WriteResult:
    """Runs ``writer`` once per partition on the executors and merges the results.

    The readings reach each partition's Python worker as Arrow batches
    (``mapInArrow``, a DataFrame action, so the counts observed upstream are
    reported). ``writer`` must be picklable (a bound method of a sink whose
    state is plain configuration). Each partition reports back its counts, its
    rejected readings, its failed batches and the newest time per sensor of what
    it was handed; nothing is lost when a partition fails.
    """

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import pyarrow

        received = Received()
        rows = (plain_row(row) for batch in batches for row in batch.to_pylist())
        try:
            result = received.into(writer(received.track(rows)))
        except Exception as exc:  # a partition must report, never kill the job
            result = received.into(WriteResult(failed=[f"{type(exc).__name__}: {exc}"]))
        yield pyarrow.RecordBatch.from_pydict({"result": [result.to_json()]})

    total = WriteResult()
    for part in frame.mapInArrow(run, RESULT_SCHEMA).collect():
        total = total.merge(WriteResult.from_json(part["result"]))
    return total
