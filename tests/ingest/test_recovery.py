"""Crashes at any point lose nothing and duplicate nothing; SIGTERM or Ctrl-C finishes the cycle in flight."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest import cli
from ingest.cycle import Ingestor
from ingest.sinks.sqlite import SqliteSink
from ingest.sources import FileSource
from ingest.state import WatermarkFile
from tools.synthetic import generate, write_feeds

SENSORS = 300


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    from datetime import UTC, datetime

    folder = tmp_path_factory.mktemp("feeds")
    write_feeds(folder, generate(SENSORS, datetime(2026, 11, 27, 12, tzinfo=UTC)))
    return folder


def stored(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT window, sensor_id, time FROM air_quality ORDER BY 1, 2, 3"
        ).fetchall()


def expected_keys() -> int:
    return 2 * SENSORS  # every sensor in both windows, once


def ingestor(spark, feeds, tmp_path, sink=None):
    sink = sink or SqliteSink(tmp_path / "aq.db")
    sink.check()
    source = FileSource(str(feeds), ("5m", "24h"), tmp_path / "state" / "spool")
    return Ingestor(spark, source, sink, tmp_path / "state")


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs."""


def test_crash_after_the_write_before_the_state(spark, feeds, tmp_path, monkeypatch):
    save = WatermarkFile.save

    def save_then_die_on_advance(self, marks):
        if marks:  # the cycle advancing the watermarks: the process dies first
            raise Crash
        save(self, marks)

    with monkeypatch.context() as patch:
        patch.setattr(WatermarkFile, "save", save_then_die_on_advance)
        with pytest.raises(Crash):
            ingestor(spark, feeds, tmp_path).run_cycle()
    assert len(stored(tmp_path / "aq.db")) == expected_keys()
    assert WatermarkFile(tmp_path / "state").load() == {}  # the stale state survived the crash
    report = ingestor(spark, feeds, tmp_path).run_cycle()
    assert report.new == expected_keys() and report.written == 0  # rewritten, ignored by the key
    rows = stored(tmp_path / "aq.db")
    assert len(rows) == len(set(rows)) == expected_keys()
    assert len(WatermarkFile(tmp_path / "state").load()) == expected_keys()


def test_lost_state_is_rebuilt_from_the_store(spark, feeds, tmp_path):
    ingestor(spark, feeds, tmp_path).run_cycle()
    (tmp_path / "state" / "watermarks.json").unlink()
    assert ingestor(spark, feeds, tmp_path).run_cycle().new == 0
    assert len(stored(tmp_path / "aq.db")) == expected_keys()


def test_crash_in_the_middle_of_a_write(spark, feeds, tmp_path):
    class DyingSink(SqliteSink):
        def _insert(self, batches):
            rows = [row for batch in batches for row in batch]
            super()._insert([rows[: len(rows) // 3]])
            raise Crash

    with pytest.raises(Crash):
        ingestor(spark, feeds, tmp_path, DyingSink(tmp_path / "aq.db")).run_cycle()
    assert 0 < len(stored(tmp_path / "aq.db")) < expected_keys()
    report = ingestor(spark, feeds, tmp_path).run_cycle()
    assert report.new == expected_keys() and report.written == 2 * expected_keys() // 3
    rows = stored(tmp_path / "aq.db")
    assert len(rows) == len(set(rows)) == expected_keys()


def start_job(feeds: Path, tmp_path: Path, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "ingest.cli",
        "run",
        "--source",
        str(feeds),
        "--interval",
        "10",
        "--sink",
        f"sqlite:///{tmp_path / 'aq.db'}",
        "--state-dir",
        str(tmp_path / "state"),
        *extra,
    ]
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    # A process group of its own, as a job started from a terminal has.
    return subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )


def wait_for(process: subprocess.Popen, text: str, timeout: float = 180) -> list[str]:
    """Reads the job's log until a line contains text."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line)
        if text in line:
            return lines
    process.kill()
    raise AssertionError(f"never saw {text!r}; log:\n{''.join(lines)[-3000:]}")


def systemd_stop(job: subprocess.Popen) -> None:
    """What ``systemctl stop`` does with KillMode=mixed: SIGTERM to the main process."""
    job.send_signal(signal.SIGTERM)


def ctrl_c(job: subprocess.Popen) -> None:
    """What a terminal does on Ctrl-C: SIGINT to every process of the foreground group."""
    os.killpg(job.pid, signal.SIGINT)


@pytest.mark.slow
@pytest.mark.parametrize(("stop", "name"), [(systemd_stop, "SIGTERM"), (ctrl_c, "SIGINT")])
def test_a_stop_signal_finishes_the_cycle_in_flight_and_exits_zero(feeds, tmp_path, stop, name):
    job = start_job(feeds, tmp_path)
    wait_for(job, "ingesting")  # the cycle starts right after this line
    stop(job)
    log = "".join(wait_for(job, "stopped after"))
    assert job.wait(timeout=120) == 0
    assert 0 <= log.find(f"received {name}") < log.find("cycle=1 ")  # stopped while in flight
    assert "cycle=2 " not in log and "Traceback" not in log
    assert len(stored(tmp_path / "aq.db")) == expected_keys()


@pytest.mark.parametrize("number", cli.STOP_SIGNALS)
def test_a_stop_signal_sets_the_flag_and_the_previous_handlers_come_back(number):
    before = {n: signal.getsignal(n) for n in cli.STOP_SIGNALS}
    stop = cli.StopFlag()
    with stop.installed():
        signal.raise_signal(number)  # neither ends the process nor raises KeyboardInterrupt
        assert stop.event.wait(5)
    assert {n: signal.getsignal(n) for n in cli.STOP_SIGNALS} == before


@pytest.mark.slow
def test_sigkill_at_any_moment_then_restart_loses_and_duplicates_nothing(feeds, tmp_path):
    job = start_job(feeds, tmp_path)
    wait_for(job, "ingesting")
    time.sleep(1.5)  # somewhere inside the cycle: reading, transforming or writing
    job.kill()
    job.wait(timeout=60)
    again = start_job(feeds, tmp_path, "--once")
    assert again.wait(timeout=300) == 0, again.stderr.read()[-3000:]
    rows = stored(tmp_path / "aq.db")
    assert len(rows) == len(set(rows)) == expected_keys()
