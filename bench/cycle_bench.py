"""One timed ingest cycle in a fresh process: warm the session, then run the big feeds.

Prints one JSON line with the stages, counts, CPU time and peak memory. run_bench.py
runs it once per (size, store) so that each JVM's peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from memory import jvm_pid, peak_kib, tree_cpu_seconds
from pyspark.sql import SparkSession

from ingest.cycle import Ingestor
from ingest.sinks import open_sink
from ingest.sources import FileSource
from ingest.spark import build_session

# The repository's developer tools are not installed: they sit beside this folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.synthetic import generate, write_feeds

WARM_UP_SENSORS = 2_000
WARM_UP_CYCLES = 3


def cycle(spark: SparkSession, feeds: Path, sink_url: str, state: Path) -> dict[str, Any]:
    sink = open_sink(sink_url)
    sink.check()
    source = FileSource(str(feeds), ("5m", "24h"), state / "spool")
    ingestor = Ingestor(spark, source, sink, state)
    report = ingestor.run_cycle()
    sink.close()
    if report.failed:
        raise SystemExit(f"cycle failed: {report.failed[:3]}")
    return {
        "fetched": report.fetched,
        "written": report.written,
        "seconds": {k: round(v, 2) for k, v in report.seconds.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=Path, required=True)
    parser.add_argument("--sink", required=True, help="sink URL with {name} for a fresh store")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--driver-memory", default="1g")
    args = parser.parse_args()

    spark = build_session("local[*]", app_name="aqi-bench", driver_memory=args.driver_memory)
    started = time.monotonic()
    for number in range(WARM_UP_CYCLES):  # the JVM compiles the hot paths on the first cycles
        warm_feeds = args.work / f"warm-up-feeds-{number}"
        when = datetime(2026, 11, 27, 11, number, tzinfo=UTC)
        write_feeds(warm_feeds, generate(WARM_UP_SENSORS, when, seed=3 + number))
        name = f"warmup{number}"
        cycle(spark, warm_feeds, args.sink.format(name=name), args.work / f"{name}-state")
    warm_up = time.monotonic() - started

    cpu = tree_cpu_seconds(os.getpid())
    measured = cycle(spark, args.feeds, args.sink.format(name="measured"), args.work / "state")
    jvm = jvm_pid(spark)
    measured.update(
        warm_up_s=round(warm_up, 2),
        cpu_s=round(tree_cpu_seconds(os.getpid()) - cpu, 2),
        jvm_peak_mib=round(peak_kib(jvm) / 1024),
        python_peak_mib=round(peak_kib(os.getpid()) / 1024),
    )
    print(json.dumps(measured), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
