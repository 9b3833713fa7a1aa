"""One ingest cycle: fetch, transform, keep only new readings, write, advance watermarks.

Order matters for "no loss, no duplicates": watermarks advance only after the
store accepted the readings (at-least-once), and every sink ignores a reading
it already holds, so a crash between the two only causes a harmless rewrite.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import Any

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType

from ingest import daqi, humidity, model, transform
from ingest.places import PlaceCache, with_places
from ingest.sinks.base import Sink, Watermarks, WriteResult
from ingest.sources import Feed, Source
from ingest.state import Quarantine, WatermarkFile

log = logging.getLogger(__name__)

MARK = "_watermark"
MARK_SCHEMA = StructType(
    [
        StructField("window", StringType(), False),
        StructField("sensor_id", LongType(), False),
        StructField(MARK, LongType(), False),
    ]
)


@dataclass
class Summary:
    """What a cycle's feeds say: for people, printed by ``--summary``."""

    sensors: int
    locations: int
    readings: int
    bands: dict[str, int]
    worst: list[dict[str, Any]]

    def render(self) -> str:
        lines = [
            f"sensors: {self.sensors}  locations: {self.locations}  readings: {self.readings}",
            "DAQI bands (24-hour means, per sensor):",
        ]
        lines += [f"  {band:<10} {count}" for band, count in self.bands.items()]
        lines.append("five worst locations:")
        lines += [
            f"  location {w['location_id']} ({w['country'] or '??'}, "
            f"{_coordinate(w['latitude'])}, {_coordinate(w['longitude'])}): "
            f"DAQI {w['aqi']} {w['band']}, PM2.5 {_number(w['pm25'])}, PM10 {_number(w['pm10'])}"
            for w in self.worst
        ]
        return "\n".join(lines)


def _coordinate(value: float | None) -> str:
    return "?" if value is None else f"{value:.3f}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@dataclass
class CycleReport:
    """Counts and timings of one cycle, logged as one logfmt line."""

    cycle: int
    feeds: int = 0
    not_modified: int = 0
    fetch_errors: list[str] = field(default_factory=list)
    fetched: int = 0
    quarantined: int = 0
    invalid_values: int = 0
    no_index: int = 0
    new: int = 0
    written: int = 0
    rejected: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    summary: Summary | None = None

    @property
    def ok(self) -> bool:
        return not self.failed

    def log_line(self) -> str:
        counts = {
            "cycle": self.cycle,
            "feeds": self.feeds,
            "not_modified": self.not_modified,
            "fetch_errors": len(self.fetch_errors),
            "fetched": self.fetched,
            "new": self.new,
            "written": self.written,
            "rejected": self.rejected,
            "quarantined": self.quarantined,
            "invalid_values": self.invalid_values,
            "no_index": self.no_index,
            "failed_batches": len(self.failed),
        }
        timings = {f"{stage}_s": f"{secs:.2f}" for stage, secs in self.seconds.items()}
        return " ".join(f"{k}={v}" for k, v in {**counts, **timings}.items())


class Ingestor:
    """Runs cycles against one source and one sink, with one SparkSession."""

    def __init__(
        self,
        spark: SparkSession,
        source: Source,
        sink: Sink,
        state_dir: Path,
        *,
        humidity_kappa: float | None = None,
    ) -> None:
        self.spark = spark
        self.source = source
        self.sink = sink
        self.marks_file = WatermarkFile(state_dir)
        self.quarantine = Quarantine(state_dir)
        self.places = PlaceCache(state_dir)
        self.humidity_kappa = humidity_kappa
        self.cycles = 0
        marks = self.marks_file.load()
        if marks is None:
            marks = sink.restore_watermarks()
            log.info("no state file: restored %d watermarks from %s", len(marks), sink.display_url)
            self.marks_file.save(marks)
        self.marks: Watermarks = marks
        self.marks_frame = self._marks_frame()

    def _marks_frame(self) -> DataFrame:
        """The watermarks as a DataFrame for the join, handed to Spark as one Arrow table."""
        import pyarrow as pa

        keys = list(self.marks)
        table = pa.table(
            {
                "window": pa.array([k[0] for k in keys], pa.string()),
                "sensor_id": pa.array([k[1] for k in keys], pa.int64()),
                MARK: pa.array(list(self.marks.values()), pa.int64()),
            }
        )
        return self.spark.createDataFrame(table, MARK_SCHEMA)

    def run_cycle(self, summary: bool = False) -> CycleReport:
        self.cycles += 1
        report = CycleReport(cycle=self.cycles)
        started = time.monotonic()
        with _timed(report, "fetch"):
            fetched = self.source.fetch()
        report.feeds, report.not_modified = len(fetched.feeds), len(fetched.not_modified)
        report.fetch_errors = fetched.errors
        for error in fetched.errors:
            log.warning("fetch failed: %s", error)
        report.quarantined = self.quarantine.add(fetched.quarantined)
        if fetched.feeds:
            self._process(fetched.feeds, report, summary)
        report.seconds["total"] = time.monotonic() - started
        return report

    def _process(self, feeds: list[Feed], report: CycleReport, summary: bool) -> None:
        """One Spark job reads the spooled feeds and writes the new readings (and counts them)."""
        with _timed(report, "store"):
            raw = reduce(
                DataFrame.unionByName,
                (transform.read_feed(self.spark, str(f.path), f.window) for f in feeds),
            )
            readings = transform.with_index(transform.to_readings(raw))
            valid_rows = F.col(transform.REASON).isNull()
            totals = Observation()
            observed = readings.observe(
                totals,
                F.count(F.lit(1)).alias("fetched"),
                F.sum(F.when(~valid_rows, 1).otherwise(0)).alias("quarantined"),
                F.sum(F.when(valid_rows, F.col(transform.INVALID)).otherwise(0)).alias("invalid"),
                F.sum(F.when(valid_rows, transform.missing_index()).otherwise(0)).alias("no_index"),
            )
            valid = observed.where(valid_rows).dropDuplicates(list(model.KEY))
            # Humidity is matched over the whole feed. The places are looked up from
            # the unobserved readings, so that the observed plan runs once, in the write.
            judged = humidity.with_humidity(valid, self.humidity_kappa)
            named = with_places(
                self.spark,
                self._only_new(judged),
                self.places,
                locations=self._only_new(readings.where(valid_rows)),
            )
            result = self.sink.write(transform.sink_frame(named))
            counts = totals.get
        report.fetched = int(counts["fetched"])
        report.invalid_values = int(counts["invalid"] or 0)
        report.no_index = int(counts["no_index"] or 0)
        report.new = result.received
        if counts["quarantined"]:
            with _timed(report, "quarantine"):
                report.quarantined += self._quarantine_unusable(feeds)
        self._record(result, report)
        if summary:  # before the commit deletes the spooled feeds it reads
            report.summary = summarize(valid)
        if report.ok:
            with _timed(report, "state"):
                self._advance(result.marks)
                self.source.commit()

    def _quarantine_unusable(self, feeds: list[Feed]) -> int:
        """Reads the feeds again with each record's line, for the unusable ones."""
        raw = reduce(
            DataFrame.unionByName,
            (transform.read_feed(self.spark, str(f.path), f.window, with_text=True) for f in feeds),
        )
        rows = transform.quarantine_frame(raw).collect()
        return self.quarantine.add(r.asDict() for r in rows)

    def _only_new(self, readings: DataFrame) -> DataFrame:
        """Readings newer than the sensor's watermark (all of them for an unknown sensor)."""
        joined = readings.join(F.broadcast(self.marks_frame), ["window", "sensor_id"], "left")
        newer = F.col(MARK).isNull() | (F.unix_seconds("time") > F.col(MARK))
        return joined.where(newer).drop(MARK)

    def _record(self, result: WriteResult, report: CycleReport) -> None:
        report.written = result.written
        report.rejected = len(result.rejected)
        report.failed = result.failed
        for failure in result.failed:
            log.error("write failed, readings kept for the next cycle: %s", failure)
        if result.rejected:
            report.quarantined += self.quarantine.add(
                {
                    "window": r.row.get("window"),
                    "reason": f"rejected by the store: {r.reason}",
                    "record": r.row,
                }
                for r in result.rejected
            )

    def _advance(self, changed: Watermarks) -> None:
        """Moves watermarks to the newest stored reading per sensor, on disk then in Spark."""
        if not changed:
            return
        self.marks.update(changed)
        self.marks_file.save(self.marks)
        self.marks_frame = self._marks_frame()


def summarize(readings: DataFrame) -> Summary:
    """Sensors, readings, DAQI band counts and the five worst locations of a cycle's feeds."""
    counts = readings.agg(
        F.countDistinct("sensor_id").alias("sensors"),
        F.countDistinct("location_id").alias("locations"),
        F.count(F.lit(1)).alias("readings"),
    ).first()
    assert counts is not None
    daily = readings.where(F.col("aqi").isNotNull())
    by_band = {r["band"]: int(r["count"]) for r in daily.groupBy("band").count().collect()}
    bands = {band: by_band.get(band, 0) for band in daqi.BAND_ORDER}
    worst = (
        daily.groupBy("location_id")
        .agg(
            F.max_by(
                F.struct("aqi", "band", "country", "latitude", "longitude", "pm25", "pm10"), "aqi"
            ).alias("w")
        )
        .select("location_id", "w.*")
        .orderBy(F.desc("aqi"), F.desc_nulls_last("pm25"), "location_id")
        .limit(5)
        .collect()
    )
    return Summary(
        sensors=int(counts["sensors"]),
        locations=int(counts["locations"]),
        readings=int(counts["readings"]),
        bands=bands,
        worst=[r.asDict() for r in worst],
    )


@contextmanager
def _timed(report: CycleReport, stage: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        report.seconds[stage] = report.seconds.get(stage, 0.0) + time.monotonic() - started
