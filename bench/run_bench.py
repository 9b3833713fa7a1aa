"""`make bench`: one ingest cycle at 30,000 and 300,000 sensors beside a plain Python floor, then the live cadence.

Generates synthetic feeds in the real shape (both windows), then for each size
and store (SQLite, a local InfluxDB) runs, each in a fresh process: the plain
single-process Python loop (the floor) and the Spark job at the shipped driver
memory. Then replays the live cadence (cadence_bench.py) and times the archive backfill
beside a plain Python loop (backfill_bench.py). Prints a Markdown
table with the ratio to the floor, and the cadence's CPU seconds per minute
beside a t4g.small's baseline.

    python bench/run_bench.py [--sizes 30000,300000] [--work bench/work] [--cadence-minutes 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The repository's developer tools are not installed: they sit beside this folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import backfill_bench  # bench/backfill_bench.py: the archive backfill's line

from tools.local_influxdb import LocalInfluxDB
from tools.synthetic import generate, write_feeds

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    memory_kib = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    java = subprocess.run(
        ["java", "-version"], check=False, capture_output=True, text=True
    ).stderr.splitlines()[0]
    import pyspark

    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kib / 1024**2:.0f} GiB, {platform.platform()}, "
        f"Python {platform.python_version()}, {java}, PySpark {pyspark.__version__}"
    )


def run(script: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"{script} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def row(
    label: str, sensors: int, result: dict[str, Any], floor: dict[str, Any] | None = None
) -> str:
    seconds = result["seconds"]
    stages = ", ".join(f"{k} {v:.2f}" for k, v in seconds.items() if k != "total")
    rate = result["written"] / seconds["total"] if seconds["total"] else 0
    jvm = f"{result['jvm_peak_mib']} MiB" if "jvm_peak_mib" in result else "-"
    ratio = f"{seconds['total'] / floor['seconds']['total']:.2f}" if floor else "1 (floor)"
    return (
        f"| {sensors:,} | {label} | {seconds['total']:.2f} | {ratio} | {stages or '-'} "
        f"| {result['cpu_s']:.2f} | {result['written']:,} | {rate:,.0f} | {jvm} "
        f"| {result['python_peak_mib']} MiB |"
    )


def cadence_line(result: dict[str, Any]) -> str:
    total = result["cycle_cpu_s_per_minute"] + result["idle_cpu_s_per_minute"]
    return (
        f"cadence: {result['sensors']:,} sensors, {result['minutes']} minutes (a new 5-minute feed "
        f"every minute, a new 24-hour feed every five): {total:.1f} CPU-s per minute "
        f"(cycles {result['cycle_cpu_s_per_minute']:.1f} + idle {result['idle_cpu_s_per_minute']:.1f}; "
        f"JVM and Python) against a t4g.small's baseline of "
        f"{result['baseline_cpu_s_per_minute']:.0f} CPU-s per minute (20% of 2 vCPUs); "
        f"JVM peak {result['jvm_peak_mib']} MiB, Python peak {result['python_peak_mib']} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30000,300000")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--driver-memory", default="1g", help="Spark driver memory of the job")
    parser.add_argument("--cadence-minutes", type=int, default=10, help="0 skips the replay")
    parser.add_argument("--cadence-sensors", type=int, default=30_000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    when = datetime(2026, 11, 27, 12, tzinfo=UTC)
    memory = ("--driver-memory", args.driver_memory)

    print(f"machine: {machine()}, driver memory {args.driver_memory}", flush=True)
    print(
        f"load average (1/5/15 min) at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    lines = [
        "| sensors | run | total s | x floor | stages (s) | CPU s | rows written | rows/s "
        "| JVM peak | Python peak |",
        "|---:|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    with LocalInfluxDB(args.work / "influxdb") as influx:
        for sensors in sizes:
            feeds = args.work / f"feeds-{sensors}"
            write_feeds(feeds, generate(sensors, when))
            size_mb = sum(p.stat().st_size for p in feeds.glob("*.json")) / 1e6
            print(f"{sensors:,} sensors: {size_mb:.0f} MB of feeds", flush=True)
            stores = {
                "SQLite": (
                    ("--sink", f"sqlite:///{args.work}/{sensors}-{{name}}.db"),
                    ("--db", str(args.work / f"{sensors}-floor.db")),
                ),
                "InfluxDB": (
                    ("--sink", f"influxdb://127.0.0.1:{influx.port}/b{sensors}_{{name}}"),
                    ("--influxdb", influx.url, "--database", f"b{sensors}_floor"),
                ),
            }
            for store, (sink, floor_store) in stores.items():
                floor = run("python_floor.py", "--feeds", str(feeds), *floor_store)
                work = str(args.work / f"{store}-{sensors}")
                result = run(
                    "cycle_bench.py", "--feeds", str(feeds), "--work", work, *sink, *memory
                )
                lines.append(row(f"Spark -> {store}", sensors, result, floor))
                print(lines[-1], flush=True)
                lines.append(row(f"plain Python -> {store} (floor)", sensors, floor))
                print(lines[-1], flush=True)
        cadence = None
        if args.cadence_minutes:
            cadence = run(
                "cadence_bench.py",
                "--sensors",
                str(args.cadence_sensors),
                "--minutes",
                str(args.cadence_minutes),
                "--sink",
                f"sqlite:///{args.work}/cadence.db",
                "--work",
                str(args.work / "cadence"),
                *memory,
            )
    print("\n" + "\n".join(lines))
    if cadence:
        print("\n" + cadence_line(cadence))
    print("\n".join(backfill_bench.report(args.work / "backfill")), flush=True)
    print(
        f"\nload average (1/5/15 min) at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
