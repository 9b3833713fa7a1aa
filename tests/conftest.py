"""Fixtures shared by every test folder: one SparkSession and one InfluxDB server.

Both are session-scoped: a cold SparkSession costs 10-15 s on a 2-core machine,
and InfluxDB starts in well under a second but needs a data folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


@pytest.fixture(scope="session")
def spark():  # noqa: ANN201 - pyspark types are optional at collection time
    from ingest.spark import build_session

    session = build_session("local[2]", app_name="aqi-tests", ui=False)
    yield session
    session.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class InfluxServer:
    """A running InfluxDB 1.x on loopback (speaks the v1 API Timestream for InfluxDB serves)."""

    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def query(self, q: str, db: str, epoch: str = "s") -> list[dict[str, object]]:
        """Runs an InfluxQL query and returns its series (empty list when none)."""
        resp = requests.get(
            f"{self.url}/query", params={"q": q, "db": db, "epoch": epoch}, timeout=30
        )
        resp.raise_for_status()
        result = resp.json()["results"][0]
        if "error" in result:
            raise AssertionError(f"InfluxQL error for {q!r}: {result['error']}")
        return list(result.get("series", []))

    def create_database(self, db: str) -> None:
        requests.post(f"{self.url}/query", params={"q": f'CREATE DATABASE "{db}"'}, timeout=30)

    def drop_database(self, db: str) -> None:
        requests.post(f"{self.url}/query", params={"q": f'DROP DATABASE "{db}"'}, timeout=30)


INFLUX_CONFIG = """
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{root}/meta"
[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
[monitor]
  store-enabled = false
"""


@pytest.fixture(scope="session")
def influxdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    """Starts Debian's influxd on a free loopback port for the whole test run."""
    influxd = shutil.which("influxd")
    if influxd is None:
        pytest.fail("influxd not found: `make test` installs Debian's influxdb package")
    root = tmp_path_factory.mktemp("influxdb")
    http_port, rpc_port = free_port(), free_port()
    config = root / "influxdb.conf"
    config.write_text(INFLUX_CONFIG.format(root=root, http_port=http_port, rpc_port=rpc_port))
    log = (root / "influxd.log").open("w")
    proc = subprocess.Popen(
        [influxd, "run", "-config", str(config), "-pidfile", str(root / "influxd.pid")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = InfluxServer("127.0.0.1", http_port)
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{server.url}/ping", timeout=1).status_code == 204:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"influxd did not start: {Path(log.name).read_text()[-2000:]}")
        time.sleep(0.1)
    yield server
    proc.terminate()
    proc.wait(timeout=30)
    log.close()
