"""A throwaway InfluxDB 1.x on loopback (Debian's ``influxd``), for tests and benchmarks.

It speaks the v1 API that Timestream for InfluxDB also serves (``/write``,
``/query``). Data lives in a folder given by the caller.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

CONFIG = """
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{root}/meta"
[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false
  max-series-per-database = 0
  max-values-per-tag = 0
[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = {auth}
  log-enabled = false
[monitor]
  store-enabled = false
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalInfluxDB:
    """``with LocalInfluxDB(folder) as db: db.url`` starts influxd and stops it on exit.

    ``admin=(user, password)`` turns on authentication (``auth-enabled``) and creates
    that admin user once the server runs: InfluxDB then enforces users and their GRANTs.
    """

    def __init__(
        self, root: Path, host: str = "127.0.0.1", admin: tuple[str, str] | None = None
    ) -> None:
        self.root = root
        self.host = host
        self.admin = admin
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> LocalInfluxDB:
        influxd = shutil.which("influxd")
        if influxd is None:
            raise RuntimeError(
                "influxd not found: install Debian's influxdb package (make influxdb)"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "influxdb.conf"
        config.write_text(
            CONFIG.format(
                root=self.root,
                http_port=self.port,
                rpc_port=free_port(),
                auth="true" if self.admin else "false",
            )
        )
        log = (self.root / "influxd.log").open("wb")
        self._process = subprocess.Popen(
            [influxd, "run", "-config", str(config), "-pidfile", str(self.root / "influxd.pid")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{self.url}/ping", timeout=1).status_code == 204:
                    self._create_admin()
                    return self
            except requests.ConnectionError:
                pass
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = (self.root / "influxd.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"influxd did not start:\n{tail}")
            time.sleep(0.1)

    def _create_admin(self) -> None:
        """With no user yet, InfluxDB accepts this one statement without credentials."""
        if self.admin is None:
            return
        user, password = self.admin
        escaped = password.replace("\\", "\\\\").replace("'", "\\'")
        statement = f"CREATE USER \"{user}\" WITH PASSWORD '{escaped}' WITH ALL PRIVILEGES"
        requests.post(f"{self.url}/query", params={"q": statement}, timeout=30).raise_for_status()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None

    def query(self, statement: str, db: str, epoch: str = "s") -> list[dict[str, Any]]:
        """Runs an InfluxQL statement and returns its series (empty list when none)."""
        response = requests.get(
            f"{self.url}/query", params={"q": statement, "db": db, "epoch": epoch}, timeout=60
        )
        response.raise_for_status()
        result = response.json()["results"][0]
        if "error" in result:
            raise RuntimeError(f"InfluxQL error for {statement!r}: {result['error']}")
        return list(result.get("series", []))

    def create_database(self, db: str) -> None:
        requests.post(f"{self.url}/query", params={"q": f'CREATE DATABASE "{db}"'}, timeout=30)

    def drop_database(self, db: str) -> None:
        requests.post(f"{self.url}/query", params={"q": f'DROP DATABASE "{db}"'}, timeout=30)

    def __enter__(self) -> LocalInfluxDB:
        return self.start()

    def __exit__(
        self,
        _kind: type[BaseException] | None,
        _error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        self.stop()
