"""`make bench`: one ingest cycle at 30,000 and 300,000 sensors, beside a plain Python floor.

Generates synthetic feeds in the real shape (both windows), then for each size
runs, each in a fresh process: the Spark job into SQLite, the Spark job into a
local InfluxDB, and the plain single-process Python loop into SQLite. Prints a
Markdown table with the machine it ran on.

    python bench/run_bench.py [--sizes 30000,300000] [--work bench/work]
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

# The repository's developer tools are not installed: they sit beside this folder.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
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


def run(script: str, *args: str) -> dict:
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
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(label: str, sensors: int, result: dict) -> str:
    seconds = result["seconds"]
    stages = ", ".join(f"{k} {v:.2f}" for k, v in seconds.items() if k != "total")
    rate = result["written"] / seconds["total"] if seconds["total"] else 0
    jvm = f"{result['jvm_peak_mib']} MiB" if "jvm_peak_mib" in result else "-"
    return (
        f"| {sensors:,} | {label} | {seconds['total']:.2f} | {stages or '-'} | {result['written']:,} "
        f"| {rate:,.0f} | {jvm} | {result['python_peak_mib']} MiB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30000,300000")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    when = datetime(2026, 11, 27, 12, tzinfo=UTC)

    print(f"machine: {machine()}", flush=True)
    print(
        f"load average (1/5/15 min) at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    lines = [
        "| sensors | run | total s | stages (s) | rows written | rows/s | JVM peak | Python peak |",
        "|---:|---|---:|---|---:|---:|---:|---:|",
    ]
    with LocalInfluxDB(args.work / "influxdb") as influx:
        for sensors in sizes:
            feeds = args.work / f"feeds-{sensors}"
            write_feeds(feeds, generate(sensors, when))
            size_mb = sum(p.stat().st_size for p in feeds.glob("*.json")) / 1e6
            print(f"{sensors:,} sensors: {size_mb:.0f} MB of feeds", flush=True)
            runs = {
                "Spark -> SQLite": (
                    "cycle_bench.py",
                    "--sink",
                    f"sqlite:///{args.work}/{sensors}-{{name}}.db",
                ),
                "Spark -> InfluxDB": (
                    "cycle_bench.py",
                    "--sink",
                    f"influxdb://127.0.0.1:{influx.port}/b{sensors}_{{name}}",
                ),
            }
            for label, (script, *sink) in runs.items():
                result = run(
                    script,
                    "--feeds",
                    str(feeds),
                    "--work",
                    str(args.work / f"{label[9:]}-{sensors}"),
                    *sink,
                )
                lines.append(row(label, sensors, result))
                print(lines[-1], flush=True)
            floor = run(
                "python_floor.py",
                "--feeds",
                str(feeds),
                "--db",
                str(args.work / f"{sensors}-floor.db"),
            )
            lines.append(row("plain Python -> SQLite (floor)", sensors, floor))
            print(lines[-1], flush=True)
    print("\n" + "\n".join(lines))
    import backfill_bench  # bench/backfill_bench.py: the archive backfill's line

    print("\n".join(backfill_bench.report(args.work / "backfill")), flush=True)
    print(
        f"\nload average (1/5/15 min) at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
