"""The backfill and the live cycle on a real Spark standalone cluster give the rows of local mode.

The cluster (tests/cluster/conftest.py) has a master and two one-core workers
on loopback. One driver process on it runs ``aqi-ingest backfill`` over
archive files (the hand-written samples and a generated archive) and
``aqi-ingest run --once`` over the bundled sample feeds, into SQLite and into
the tests' InfluxDB; the same four commands run in local mode in this process.
Every stored row must be the same.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from ingest import cli
from tests.ingest.archive_checks import SAMPLES
from tools import synthetic_archive

REPO = Path(__file__).resolve().parents[2]
SAMPLE_FEEDS = REPO / "ingest" / "sample"
FIRST, LAST = "2016-11-08", "2024-03-01"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cluster-archive")
    shutil.copytree(SAMPLES, root, dirs_exist_ok=True)
    synthetic_archive.write_archive(root, range(1, 11), [date(2024, 3, 1)])
    return root


def commands(archive: Path, folder: Path, influx: str) -> list[list[str]]:
    """backfill and run --once, each into SQLite and into InfluxDB, with their own state."""
    db = f"sqlite:///{folder / 'aq.db'}"
    backfill = ["backfill", "--source", str(archive), "--from", FIRST, "--to", LAST]
    live = ["run", "--once", "--source", str(SAMPLE_FEEDS)]
    return [
        [*backfill, "--sink", db, "--state-dir", str(folder / "state-archive-sqlite")],
        [*backfill, "--sink", influx, "--state-dir", str(folder / "state-archive-influx")],
        [*live, "--sink", db, "--state-dir", str(folder / "state-live-sqlite")],
        [*live, "--sink", influx, "--state-dir", str(folder / "state-live-influx")],
    ]


@pytest.fixture(scope="module")
def on_cluster(cluster, archive, influxdb, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("on-cluster")
    influx = f"influxdb://127.0.0.1:{influxdb.port}/aq_cluster"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.cluster.driver",
            cluster.master,
            json.dumps(commands(archive, folder, influx)),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
        env={**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable},
    )
    return {"result": result, "db": folder / "aq.db", "influx": "aq_cluster"}


@pytest.fixture(scope="module")
def in_local_mode(spark, archive, influxdb, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("local-mode")
    influx = f"influxdb://127.0.0.1:{influxdb.port}/aq_local"
    codes = [cli.main(command) for command in commands(archive, folder, influx)]
    return {"codes": codes, "db": folder / "aq.db", "influx": "aq_local"}


def sqlite_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT * FROM air_quality ORDER BY window, sensor_id, time"
        ).fetchall()


def influx_points(influxdb, database: str) -> list:
    series = influxdb.query('SELECT * FROM "air_quality" GROUP BY *', database)
    return sorted(
        (json.dumps(s["tags"], sort_keys=True), s["columns"], s["values"]) for s in series
    )


def test_the_four_commands_succeed_on_the_cluster_and_in_local_mode(on_cluster, in_local_mode):
    result = on_cluster["result"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [0, 0, 0, 0]
    assert in_local_mode["codes"] == [0, 0, 0, 0]


def test_the_executors_ran_on_the_workers(on_cluster, cluster):
    assert on_cluster["result"].returncode == 0
    executors = list(cluster.logs.glob("worker-*/app-*/*/stderr"))
    assert {p.parts[-4] for p in executors} == {"worker-0", "worker-1"}


def test_sqlite_holds_the_same_rows(on_cluster, in_local_mode):
    cluster_rows = sqlite_rows(on_cluster["db"])
    assert cluster_rows == sqlite_rows(in_local_mode["db"])
    windows = {row[1] for row in cluster_rows}
    assert windows == {"1h", "1d", "5m", "24h"}


def test_influxdb_holds_the_same_points(on_cluster, in_local_mode, influxdb):
    cluster_points = influx_points(influxdb, on_cluster["influx"])
    assert cluster_points and cluster_points == influx_points(influxdb, in_local_mode["influx"])
    windows = {json.loads(tags)["window"] for tags, _, _ in cluster_points}
    assert windows == {"1h", "1d", "5m", "24h"}


def test_influxdb_gets_the_daily_means_index_and_hours_with_their_types(in_local_mode, influxdb):
    # sensor 92 of the hand-written samples: PM2.5 11.5 and PM10 16.5 over 24 hours -> index 2
    (series,) = influxdb.query(
        "SELECT pm25, pm10, aqi, band, hours, value_count FROM air_quality "
        "WHERE \"window\" = '1d' AND sensor_id = '92'",
        in_local_mode["influx"],
    )
    assert series["values"] == [[1636329600, 11.5, 16.5, 2, "Low", 24, 48]]
    (types,) = influxdb.query('SHOW FIELD KEYS FROM "air_quality"', in_local_mode["influx"])
    kinds = dict(types["values"])
    assert (kinds["aqi"], kinds["hours"], kinds["pm25"]) == ("integer", "integer", "float")
