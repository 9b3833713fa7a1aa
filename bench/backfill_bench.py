"""The backfill line of `make bench`: archive files per second on local[*] beside a plain Python loop.

Generates an archive (tools.synthetic_archive: one file per sensor and day, a
reading every 150 s) and, in a fresh process, backfills it into SQLite with
Spark after a warm-up batch; then times tools.archive_python (the csv module,
one file after another) over the same files. Prints one JSON line per run;
:func:`report` turns them into the rows of the benchmark's table.

    python bench/backfill_bench.py --sensors 400 --days 2 --work bench/work/backfill
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools import archive_python, synthetic_archive

HERE = Path(__file__).resolve().parent
FIRST_DAY = date(2024, 3, 1)
#: `make bench` sizes: BENCH_BACKFILL=SENSORS,DAYS overrides.
DEFAULT_SIZE = (400, 2)


def spark_run(archive: Path, warmup: Path, work: Path, days: int) -> dict[str, float]:
    """Backfills ``archive`` into SQLite on local[*] after a warm-up on ``warmup``."""
    from ingest.archive.backfill import Backfill, Plan
    from ingest.archive.listing import open_archive
    from ingest.archive.state import open_journal
    from ingest.cli import SHARED_OPTIONS
    from ingest.places import PlaceCache
    from ingest.sinks import open_sink
    from ingest.spark import build_session

    shipped = SHARED_OPTIONS["--driver-memory"][2]  # the job's default, as the image runs it
    spark = build_session("local[*]", app_name="aqi-bench-backfill", driver_memory=shipped)
    last = date.fromordinal(FIRST_DAY.toordinal() + days - 1)
    results = {}
    for name, source in (("warmup", warmup), ("archive", archive)):
        sink = open_sink(f"sqlite:///{work / name}.db")
        sink.check()
        plan = Plan(FIRST_DAY, last, batch_files=1_000_000)
        run = Backfill(
            spark,
            open_archive(str(source), work / "staging"),
            sink,
            open_journal(str(work / f"state-{name}")),
            plan,
            places=PlaceCache(work / f"state-{name}"),
        )
        started = time.monotonic()
        summary = run.run()
        results = {
            "files": summary.totals.files,
            "lines": summary.totals.lines,
            "rows": summary.totals.hourly_rows + summary.totals.daily_rows,
            "seconds": time.monotonic() - started,
        }
    spark.stop()
    return results


def python_run(archive: Path) -> dict[str, float]:
    files = archive_python.archive_files(archive)
    started = time.monotonic()
    rows = archive_python.means(files)
    seconds = time.monotonic() - started
    lines = sum(max(0, len(p.read_text().splitlines()) - 1) for p in files)
    return {"files": len(files), "lines": lines, "rows": len(rows), "seconds": seconds}


def report(work: Path) -> list[str]:
    """Runs both in fresh processes; returns Markdown table rows."""
    sensors, days = (
        int(v)
        for v in os.environ.get("BENCH_BACKFILL", ",".join(map(str, DEFAULT_SIZE))).split(",")
    )
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    rows = [
        "",
        f"Backfill of {sensors} sensors x {days} days of archive files (one a sensor a day):",
        "",
        "| run | files | archive lines | rows written | total s | files/s | lines/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, mode in (
        ("Spark local[*] -> SQLite", "spark"),
        ("plain Python loop (csv)", "python"),
    ):
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--mode",
                mode,
                "--sensors",
                str(sensors),
                "--days",
                str(days),
                "--work",
                str(work),
            ],
            check=False,
            capture_output=True,
            text=True,
            env=env,
        )
        if done.returncode != 0:
            raise SystemExit(f"backfill bench ({mode}) failed:\n{done.stderr[-3000:]}")
        r = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(
            f"| {label} | {r['files']:,} | {r['lines']:,} | {r['rows']:,} | {r['seconds']:.1f} "
            f"| {r['files'] / r['seconds']:,.1f} | {r['lines'] / r['seconds']:,.0f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mode", choices=("spark", "python"), required=True)
    parser.add_argument("--sensors", type=int, default=DEFAULT_SIZE[0])
    parser.add_argument("--days", type=int, default=DEFAULT_SIZE[1])
    parser.add_argument("--work", type=Path, default=HERE / "work" / "backfill")
    args = parser.parse_args()
    archive = args.work / f"archive-{args.sensors}x{args.days}"
    if not archive.exists():
        days = [date.fromordinal(FIRST_DAY.toordinal() + n) for n in range(args.days)]
        synthetic_archive.write_archive(archive, range(1, args.sensors + 1), days)
    if args.mode == "python":
        result = python_run(archive)
    else:
        warmup = args.work / "archive-warmup"
        if not warmup.exists():
            synthetic_archive.write_archive(warmup, range(1, 9), [FIRST_DAY])
        result = spark_run(archive, warmup, args.work / f"spark-{os.getpid()}", args.days)
    result["python_peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
