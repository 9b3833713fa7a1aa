"""The job at the live cadence: CPU seconds per minute, beside a t4g.small's baseline.

A loopback HTTP server plays data.sensor.community: a new 5-minute feed every
minute and a new 24-hour feed every five minutes, gzip-encoded, with ETags (304
while a feed has not changed). Successive feeds look like the live ones: each
sensor measures about every 145 s, so a 5-minute feed holds the measurements of
the last five minutes (about two per sensor), and only part of them are new
since the feed of the minute before. The job runs one cycle per simulated
minute, back to back, and its CPU time (the Python driver, the JVM and Spark's
Python workers, from /proc) is summed. The first minute fills the store and is
not counted. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from memory import jvm_pid, peak_kib, tree_cpu_seconds

from ingest.cycle import Ingestor
from ingest.sinks import open_sink
from ingest.sources import FEED_FILES, HttpSource
from ingest.spark import build_session

# The repository's developer tools are not installed: they sit beside this folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.loopback_http import LoopbackHTTPServer
from tools.synthetic import _record

#: Seconds between two measurements of one sensor on the live network.
REPORT_EVERY = 145
FIVE_MINUTES = 300
#: A t4g.small earns CPU credits for 20% of its 2 vCPUs: 24 CPU-seconds a minute.
BASELINE_CPU_S_PER_MINUTE = 0.20 * 2 * 60
STAMP = "%Y-%m-%d %H:%M:%S"


def measurements(phase: float, since: float, until: float) -> list[float]:
    """Times (seconds from the start) in (since, until] a sensor measured at."""
    first = math.floor((since - phase) / REPORT_EVERY) + 1
    last = math.floor((until - phase) / REPORT_EVERY)
    return [phase + k * REPORT_EVERY for k in range(first, last + 1)]


def live_feeds(sensors: int, start: datetime, minutes: int, seed: int = 11) -> dict[str, bytes]:
    """gzip bodies: ``5m-<minute>`` for every minute, ``24h-<minute>`` every five minutes."""
    rng = random.Random(seed)
    phases = [rng.uniform(0, REPORT_EVERY) for _ in range(sensors + 1)]
    bodies: dict[str, bytes] = {}
    for minute in range(minutes + 1):
        now = minute * 60.0
        five: list[dict[str, Any]] = []
        daily: list[dict[str, Any]] = []
        for sensor in range(1, sensors + 1):
            for t in measurements(phases[sensor], now - FIVE_MINUTES, now):
                stamp = (start + timedelta(seconds=int(t))).strftime(STAMP)
                five.append(_record(rng, 1_000_000 + len(five), sensor, stamp, 1.0))
            if minute % 5 == 0:
                latest = measurements(phases[sensor], now - REPORT_EVERY, now)[-1]
                stamp = (start + timedelta(seconds=int(latest))).strftime(STAMP)
                daily.append(_record(rng, 5_000_000 + sensor, sensor, stamp, 0.9))
        bodies[f"5m-{minute}"] = gzip.compress(json.dumps(five, separators=(",", ":")).encode(), 6)
        if daily:
            bodies[f"24h-{minute}"] = gzip.compress(
                json.dumps(daily, separators=(",", ":")).encode(), 6
            )
    return bodies


class LiveServer(LoopbackHTTPServer):
    """Serves the current body of each feed, gzip-encoded, with an ETag and 304s."""

    def __init__(self) -> None:
        self.current: dict[str, bytes] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = server.current.get(self.path.rsplit("/", 1)[-1])
                if body is None:
                    self.send_error(404)
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        super().__init__(Handler)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sensors", type=int, default=30_000)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--sink", required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--driver-memory", default="1g")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    args = parser.parse_args()

    bodies = live_feeds(args.sensors, datetime(2026, 11, 27, 12, tzinfo=UTC), args.minutes)
    server = LiveServer()
    spark = build_session("local[*]", app_name="aqi-cadence", driver_memory=args.driver_memory)
    sink = open_sink(args.sink)
    sink.check()
    source = HttpSource(server.url, ("5m", "24h"), args.work / "state" / "spool")
    ingestor = Ingestor(spark, source, sink, args.work / "state")
    daily = ""
    cycles: list[dict[str, Any]] = []
    cpu_total = 0.0
    try:
        for minute in range(args.minutes + 1):
            daily = f"24h-{minute}" if f"24h-{minute}" in bodies else daily
            server.current = {
                FEED_FILES["5m"]: bodies[f"5m-{minute}"],
                FEED_FILES["24h"]: bodies[daily],
            }
            cpu = tree_cpu_seconds(os.getpid())
            report = ingestor.run_cycle()
            used = tree_cpu_seconds(os.getpid()) - cpu
            if report.failed or report.fetch_errors:
                raise SystemExit(f"cycle failed: {report.failed[:3]} {report.fetch_errors[:3]}")
            if minute:  # minute 0 fills the store: not the steady state
                cpu_total += used
                cycles.append({"new": report.new, "cpu_s": round(used, 2), "feeds": report.feeds})
        cpu = tree_cpu_seconds(os.getpid())
        time.sleep(args.idle_seconds)
        idle_per_minute = (tree_cpu_seconds(os.getpid()) - cpu) * 60 / args.idle_seconds
        jvm = jvm_pid(spark)
        print(
            json.dumps(
                {
                    "sensors": args.sensors,
                    "minutes": args.minutes,
                    "cycles": cycles,
                    "cycle_cpu_s_per_minute": round(cpu_total / args.minutes, 2),
                    "idle_cpu_s_per_minute": round(idle_per_minute, 2),
                    "baseline_cpu_s_per_minute": BASELINE_CPU_S_PER_MINUTE,
                    "jvm_peak_mib": round(peak_kib(jvm) / 1024),
                    "python_peak_mib": round(peak_kib(os.getpid()) / 1024),
                }
            ),
            flush=True,
        )
    finally:
        sink.close()
        spark.stop()
        server.stop()


if __name__ == "__main__":
    main()
