"""A backfill killed with SIGKILL between or during batches resumes, and loses and duplicates nothing.

The real command runs in its own process over a generated archive of three days,
one day a batch. It is killed (SIGKILL to its process group) as soon as the
manifest records its first batch, then run again to the end; the store must then
hold exactly the rows of a run that was never interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from tests.ingest.archive_checks import backfill, stored
from tools import synthetic_archive

DAYS = [date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)]
FIRST, LAST = "2024-03-01", "2024-03-03"
SENSORS = range(1, 9)


def start(archive: Path, folder: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "ingest.cli",
        "backfill",
        "--source",
        str(archive),
        "--from",
        FIRST,
        "--to",
        LAST,
        "--sink",
        f"sqlite:///{folder / 'aq.db'}",
        "--state-dir",
        str(folder / "state"),
        "--batch-files",
        "1",
        "--master",
        "local[2]",
    ]
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    return subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )


@pytest.mark.slow
def test_a_killed_run_resumes_and_ends_with_the_rows_of_an_uninterrupted_one(
    tmp_path, spark, capsys
):
    archive = tmp_path / "archive"
    synthetic_archive.write_archive(archive, SENSORS, DAYS)
    interrupted = tmp_path / "interrupted"
    manifest = interrupted / "state" / "backfill" / "manifest.jsonl"
    job = start(archive, interrupted)
    deadline = time.monotonic() + 1200
    while not (manifest.exists() and manifest.read_text().count("\n") >= len(SENSORS)):
        assert job.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "no batch finished in 20 minutes"
        time.sleep(0.2)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait(timeout=60)
    finished = manifest.read_text().count("\n")
    assert len(SENSORS) <= finished < len(SENSORS) * len(DAYS)

    capsys.readouterr()
    assert (
        backfill(archive, interrupted / "aq.db", interrupted / "state", first=FIRST, last=LAST) == 0
    )
    resumed = capsys.readouterr().out
    assert f"{finished} finished before, {len(SENSORS) * len(DAYS) - finished} read" in resumed

    whole = tmp_path / "whole"
    assert backfill(archive, whole / "aq.db", whole / "state", first=FIRST, last=LAST) == 0
    assert stored(interrupted / "aq.db") == stored(whole / "aq.db")
    assert len(stored(whole / "aq.db")) > 0
