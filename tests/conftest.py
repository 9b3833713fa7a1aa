"""Fixtures shared by every test folder: one SparkSession and the InfluxDB servers.

Both are session-scoped: a cold SparkSession costs 10-15 s on a 2-core machine,
and InfluxDB starts in well under a second but needs a data folder.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from tools.local_influxdb import LocalInfluxDB, free_port

__all__ = ["free_port"]

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# Spark's Python workers run the interpreter of the tests (the project venv).
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


@pytest.fixture(scope="session")
def spark():
    from ingest.spark import build_session

    session = build_session("local[2]", app_name="aqi-tests", ui=False)
    yield session
    session.stop()


def _running(server: LocalInfluxDB) -> Iterator[LocalInfluxDB]:
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(f"{exc} (`make test` installs Debian's influxdb package)")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def influxdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalInfluxDB]:
    """Debian's influxd on a free loopback port for the whole test run.

    ``.url``, ``.port``, ``.query(statement, db)``, ``.create_database(db)``,
    ``.drop_database(db)``.
    """
    yield from _running(LocalInfluxDB(tmp_path_factory.mktemp("influxdb")))


@pytest.fixture(scope="session")
def secured_influxdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalInfluxDB]:
    """Debian's influxd with ``auth-enabled = true``; ``.admin`` is its admin user and password
    (quotes and backslashes on purpose)."""
    yield from _running(
        LocalInfluxDB(tmp_path_factory.mktemp("influxdb-auth"), admin=("root", "r00t-'q\\-pass"))
    )
