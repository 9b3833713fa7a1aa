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

if TYPE_CHECKING:
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
    """

    written: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def merge(self, other: WriteResult) -> WriteResult:
        return WriteResult(
            self.written + other.written,
            self.rejected + other.rejected,
            self.failed + other.failed,
        )


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


def spark_row_to_dict(row: Any) -> Row:
    """A Spark Row of the sink frame as a plain reading dict."""
    data: Row = row.asDict(recursive=False)
    extra = data.get("extra")
    if extra is not None and not isinstance(extra, dict):
        data["extra"] = dict(extra)
    return data


def write_from_executors(
    frame: DataFrame, writer: Callable[[Iterable[Row]], WriteResult]
) -> WriteResult:
    """Runs ``writer`` once per partition on the executors and merges the results.

    ``writer`` must be picklable (a bound method of a sink whose state is plain
    configuration). Each partition reports back its counts, its rejected
    readings and its failed batches; nothing is lost when a partition fails.
    """

    def run(partition: Iterable[Any]) -> Iterator[str]:
        try:
            result = writer(spark_row_to_dict(r) for r in partition)
        except Exception as exc:  # a partition must report, never kill the job
            result = WriteResult(failed=[f"{type(exc).__name__}: {exc}"])
        yield json.dumps(
            {
                "written": result.written,
                "rejected": [[r.row, r.reason] for r in result.rejected],
                "failed": result.failed,
            },
            default=str,
        )

    total = WriteResult()
    for payload in frame.rdd.mapPartitions(run).collect():
        part = json.loads(payload)
        total = total.merge(
            WriteResult(
                part["written"],
                [Rejection(row, reason) for row, reason in part["rejected"]],
                part["failed"],
            )
        )
    return total
