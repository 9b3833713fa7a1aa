"""``aqi-ingest backfill``: options checked, then the run, the summary and the exit code.

Exit 0 when every listed file was stored, 1 when some could not be fetched or
a store write failed (rerun to resume), 2 for a bad option, 3 when the store
cannot be reached. SIGTERM or Ctrl-C stops after the batch in flight.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from datetime import date
from pathlib import Path

from ingest.archive.backfill import Backfill, Plan
from ingest.archive.listing import ArchiveSource, open_archive
from ingest.archive.state import Journal, StateError, open_journal
from ingest.cli import EXIT_CONFIG, EXIT_UNREACHABLE, ConfigError, StopFlag
from ingest.sinks import Sink, SinkError, open_sink
from ingest.sources import DEFAULT_BASE_URL

log = logging.getLogger("aqi-ingest")

MAX_DOWNLOADS = 64
_TYPE = re.compile(r"^[a-z0-9_-]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def day_of(text: str | None, option: str) -> date:
    if not text:
        raise ConfigError(f"{option} is required (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} must be a day YYYY-MM-DD, not {text!r}") from None


def types_of(text: str) -> frozenset[str] | None:
    types = frozenset(t.strip().lower() for t in text.split(",") if t.strip())
    bad = sorted(t for t in types if not _TYPE.match(t))
    if bad:
        raise ConfigError(f"--types takes sensor type names such as sds011,bme280, not {bad[0]!r}")
    return types or None


def country_of(text: str) -> str | None:
    country = text.strip().upper()
    if country and not _COUNTRY.match(country):
        raise ConfigError(f"--country takes a two-letter country code such as GB, not {text!r}")
    return country or None


def bbox_of(text: str) -> tuple[float, float, float, float] | None:
    if not text.strip():
        return None
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(
            f"--bbox takes MIN_LON,MIN_LAT,MAX_LON,MAX_LAT in degrees, not {text!r}"
        ) from None
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ConfigError(f"--bbox corners are out of range or in the wrong order: {text!r}")
    return min_lon, min_lat, max_lon, max_lat


def count_of(text: str, option: str, most: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{option} must be a whole number, not {text!r}") from None
    if not 1 <= value <= most:
        raise ConfigError(f"{option} must be from 1 to {most}, not {value}")
    return value


def plan_of(args: argparse.Namespace) -> Plan:
    first, last = day_of(args.__dict__["from"], "--from"), day_of(args.to, "--to")
    if last < first:
        raise ConfigError(f"--to ({last}) is before --from ({first})")
    return Plan(
        first=first,
        last=last,
        types=types_of(args.types),
        country=country_of(args.country),
        bbox=bbox_of(args.bbox),
        batch_files=count_of(args.batch_files, "--batch-files", 1_000_000),
    )


def backfill(args: argparse.Namespace) -> int:
    try:
        plan = plan_of(args)
        downloads = count_of(args.downloads, "--downloads", MAX_DOWNLOADS)
        sink = open_sink(args.sink)
        journal = open_journal(args.state_dir)
    except (ConfigError, SinkError, StateError) as exc:
        print(f"aqi-ingest: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        sink.check()
    except SinkError as exc:
        print(f"aqi-ingest: error: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    if args.staging_dir:
        staging = Path(args.staging_dir)
    elif args.state_dir.startswith("s3://"):
        staging = Path("staging")  # the driver's working folder
    else:
        staging = Path(args.state_dir) / "staging"
    source = open_archive(args.source, staging, workers=downloads)
    stop = StopFlag()
    with stop.installed():
        return _run(args, plan, source=source, sink=sink, journal=journal, stop=stop)


def _run(
    args: argparse.Namespace,
    plan: Plan,
    *,
    source: ArchiveSource,
    sink: Sink,
    journal: Journal,
    stop: StopFlag,
) -> int:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from ingest.archive.locations import LocationsError, sensor_countries
    from ingest.places import PlaceCache
    from ingest.spark import build_session

    owned = SparkSession.getActiveSession() is None
    try:
        spark = build_session(
            args.master, app_name="aqi-backfill", ui=args.spark_ui, driver_memory=args.driver_memory
        )
    except Exception as exc:  # no Java, bad master URL: one line, no traceback
        print(
            f"aqi-ingest: error: cannot start Spark ({args.master}): {str(exc).splitlines()[0]}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    try:
        with stop.installed():  # SparkContext took SIGINT when it started
            countries = sensors = None
            if plan.country or args.locations:
                try:
                    countries = sensor_countries(spark, args.locations or DEFAULT_BASE_URL)
                except LocationsError as exc:
                    print(f"aqi-ingest: error: {exc}", file=sys.stderr)
                    return EXIT_CONFIG
                if plan.country:
                    chosen = countries.where(F.col("country") == plan.country).collect()
                    sensors = frozenset(int(r["sensor_id"]) for r in chosen)
            # The place cache sits beside a local state; on a cluster with its
            # state on S3, in the driver's working folder (a look-up is cheap).
            places = PlaceCache(Path("." if args.state_dir.startswith("s3://") else args.state_dir))
            run = Backfill(
                spark,
                source,
                sink,
                journal,
                plan,
                places=places,
                countries=countries,
                sensors=sensors,
            )
            try:
                summary = run.run(stop.event)
            except StateError as exc:
                print(f"aqi-ingest: error: {exc}", file=sys.stderr)
                return 1
            print(summary.render(), flush=True)
            return 0 if summary.ok else 1
    finally:
        sink.close()
        if owned:
            spark.stop()
