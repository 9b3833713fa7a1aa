"""The backfill run: list, plan batches, then per batch read, aggregate, store, record.

Batches hold whole units of files: a day's files, or a month's when a month file
of a type is among them (its days must be averaged in one go). A batch's files
are recorded in the manifest only once the store accepted its rows, so nothing
is lost and a rerun adds nothing. A store failure ends the run (exit 1) with
the finished batches recorded; the next run resumes after them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ingest import humidity, model, transform
from ingest.archive import aggregate, read
from ingest.archive.layout import ArchiveFile, days_between
from ingest.archive.listing import ArchiveSource, Selection
from ingest.archive.progress import Progress, Summary, Totals
from ingest.archive.state import Journal, Manifest
from ingest.places import PlaceCache, with_places
from ingest.sinks.base import Sink, WriteResult

log = logging.getLogger(__name__)

#: Bad lines quarantined per batch at most (the rest are counted only).
MAX_QUARANTINED: Final = 100_000


@dataclass(frozen=True)
class Plan:
    """What a run asks for besides its source and sink."""

    first: date
    last: date
    types: frozenset[str] | None = None
    country: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    batch_files: int = 2_000


def units(files: list[ArchiveFile]) -> list[list[ArchiveFile]]:
    """Files grouped so that every sensor-day is averaged in one batch.

    A day's files form a unit; a month file and the same type's day files of
    that month form one too.
    """
    months = {(f.sensor_type, f.first_day.replace(day=1)) for f in files if f.sensor_id is None}
    grouped: dict[tuple[date, str], list[ArchiveFile]] = {}
    for file in files:
        month = file.first_day.replace(day=1)
        if (file.sensor_type, month) in months:
            key = (month, f"month {file.sensor_type}")
        else:
            key = (file.first_day, "day")
        grouped.setdefault(key, []).append(file)
    return [sorted(grouped[key]) for key in sorted(grouped)]


def batches(files: list[ArchiveFile], size: int) -> Iterator[list[ArchiveFile]]:
    """Whole units, about ``size`` files a batch (a bigger unit is a batch of its own)."""
    batch: list[ArchiveFile] = []
    for unit in units(files):
        if batch and len(batch) + len(unit) > size:
            yield batch
            batch = []
        batch.extend(unit)
    if batch:
        yield batch


class Backfill:
    """One run over one source into one sink, on one SparkSession."""

    def __init__(
        self,
        spark: SparkSession,
        source: ArchiveSource,
        sink: Sink,
        journal: Journal,
        plan: Plan,
        *,
        places: PlaceCache,
        countries: DataFrame | None = None,
        sensors: frozenset[int] | None = None,
    ) -> None:
        self.spark = spark
        self.places = places
        self.source = source
        self.sink = sink
        self.journal = journal
        self.plan = plan
        self.countries = countries
        self.selection = Selection(plan.first, plan.last, plan.types, sensors)

    def run(self, stop: threading.Event | None = None) -> Summary:
        started = time.monotonic()
        listing = self.source.list_files(self.selection)
        for error in listing.errors:
            log.warning("%s", error)
        manifest = Manifest(self.journal)
        pending = [
            f for f in listing.files if not manifest.is_finished(f, self.plan.first, self.plan.last)
        ]
        summary = Summary(
            listed=len(listing.files),
            already_done=len(listing.files) - len(pending),
            totals=Totals(),
            seconds=0.0,
            errors=list(listing.errors),
        )
        log.info(
            "backfill %s..%s from %s: %d files, %d finished before, %d to read",
            self.plan.first,
            self.plan.last,
            self.source.description,
            summary.listed,
            summary.already_done,
            len(pending),
        )
        open_days = Counter(d for f in pending for d in self._days(f))
        progress = Progress(len(pending), len(open_days))
        done_files = 0
        try:
            for batch in batches(pending, self.plan.batch_files):
                if stop is not None and stop.is_set():
                    log.info("stopping before the next batch")
                    break
                staged = self.source.stage(batch)
                summary.failed_files += staged.errors.values()
                if staged.paths:
                    totals, result = self._process(list(staged.paths.values()))
                    summary.totals.add(totals)
                    if result.failed:
                        summary.errors += result.failed
                        log.error("store failed; finished batches are kept: %s", result.failed[0])
                        break
                    manifest.finish(staged.paths, self.plan.first, self.plan.last)
                    self.source.release(staged.paths)
                done_files += len(batch)
                for file in staged.paths:
                    open_days.subtract(self._days(file))
                written = summary.totals.hourly_rows + summary.totals.daily_rows
                progress.update(done_files, written, sum(1 for n in open_days.values() if n <= 0))
        finally:
            progress.close()
        summary.seconds = time.monotonic() - started
        return summary

    def _days(self, file: ArchiveFile) -> list[date]:
        """The file's days that the run asks for."""
        return days_between(
            max(file.first_day, self.plan.first), min(file.last_day, self.plan.last)
        )

    def _process(self, paths: list[str]) -> tuple[Totals, WriteResult]:
        """One batch: its files' lines to stored hourly and daily rows."""
        lines = read.read_lines(self.spark, paths)
        parsed = read.parse(
            self.spark,
            lines,
            self.plan.first,
            self.plan.last,
            bbox=self.plan.bbox,
            countries=self.countries,
            country=self.plan.country,
        )
        bad = F.col(read.PROBLEM).isNotNull()
        parsed = (
            parsed.withColumn(read.LINE, F.when(bad, F.col(read.LINE)))
            .repartition("sensor_id")
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        try:
            totals = self._count(parsed)
            good = parsed.where(~bad & F.col(read.SKIPPED).isNull())
            deduped = good.dropDuplicates(["sensor_id", "time", read.DIGEST])
            rows = self._judged(aggregate.hourly_and_daily(deduped), deduped).persist(
                StorageLevel.MEMORY_AND_DISK
            )
            try:
                totals.readings = deduped.count()
                totals.duplicates = (
                    totals.lines - totals.quarantined - totals.skipped - totals.readings
                )
                if totals.quarantined:
                    self._quarantine(parsed.where(bad))
                self._count_rows(rows, totals)
                result = self.sink.write(transform.sink_frame(rows))
            finally:
                rows.unpersist()
        finally:
            parsed.unpersist()
        totals.files = len(paths)
        totals.written = result.written
        totals.rejected = len(result.rejected)
        if result.rejected:
            self.journal.quarantine(
                {
                    "window": r.row.get("window"),
                    "reason": f"rejected by the store: {r.reason}",
                    "record": r.row,
                }
                for r in result.rejected
            )
        return totals, result

    def _judged(self, means: DataFrame, readings: DataFrame) -> DataFrame:
        """The means with what the live job adds: the place of each location and the
        humidity flag, judged on the location's mean humidity of the same hour or day.

        The locations to name are read from the batch's readings (over the persisted
        parse), whose coordinates the means carry, so the lookup does not compute the
        means a second time.
        """
        bare = means.drop(*model.HUMIDITY_COLUMNS, *model.PLACE_COLUMNS)
        named = with_places(
            self.spark, humidity.with_humidity(bare), self.places, locations=readings
        )
        return named.select(*model.COLUMNS)

    @staticmethod
    def _count(parsed: DataFrame) -> Totals:
        bad = F.col(read.PROBLEM).isNotNull()
        counts = parsed.agg(
            F.count(F.lit(1)).alias("lines"),
            F.count(F.when(bad, 1)).alias("bad"),
            F.sum(F.when(~bad, F.col(transform.INVALID))).alias("invalid"),
            F.count(F.when(F.col(read.SKIPPED).isNotNull(), 1)).alias("skipped"),
        ).first()
        assert counts is not None
        return Totals(
            lines=int(counts["lines"]),
            quarantined=int(counts["bad"]),
            invalid_values=int(counts["invalid"] or 0),
            skipped=int(counts["skipped"]),
        )

    @staticmethod
    def _count_rows(rows: DataFrame, totals: Totals) -> None:
        daily = F.col("window") == model.WINDOW_1D
        counts = rows.agg(
            F.count(F.when(~daily, 1)).alias("hourly"),
            F.count(F.when(daily, 1)).alias("daily"),
            F.count(F.when(daily & F.col("aqi").isNotNull(), 1)).alias("indexed"),
            F.sum(F.when(daily, aggregate.below_capture())).alias("below"),
        ).first()
        assert counts is not None
        totals.hourly_rows = int(counts["hourly"])
        totals.daily_rows = int(counts["daily"])
        totals.indexed_days = int(counts["indexed"])
        totals.below_capture = int(counts["below"] or 0)

    def _quarantine(self, bad: DataFrame) -> None:
        entries = (
            _entry(r.asDict())
            for r in bad.select(*read.LOCATOR, read.PROBLEM)
            .limit(MAX_QUARANTINED)
            .toLocalIterator()
        )
        self.journal.quarantine(entries)


def _entry(row: dict[str, Any]) -> dict[str, Any]:
    entry = {
        "source": "archive",
        "file": row[read.FILE],
        "line": row[read.LINE_NUMBER],
        "reason": row[read.PROBLEM],
        "record": row[read.LINE],
    }
    if row[read.BLOCK]:
        entry["block_start"] = row[read.BLOCK]  # a split file: the line counts from this byte
    return entry
