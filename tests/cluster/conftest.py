"""A real Spark standalone cluster on loopback for the whole test session.

A master and two workers (one core, 1 GiB each) started from pyspark's own
``spark-class``, every port on 127.0.0.1, stopped by pid at the end. The
cluster's log files stay in the session's temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyspark
import pytest
import requests

from tests.conftest import free_port

SPARK_HOME = Path(pyspark.__file__).resolve().parent
WORKERS = 2
STARTUP_SECONDS = 300


@dataclass
class Cluster:
    master: str
    web_ui: str
    logs: Path
    processes: list[subprocess.Popen[bytes]]

    def alive_workers(self) -> int:
        try:
            state = requests.get(f"{self.web_ui}/json/", timeout=5).json()
        except (requests.RequestException, ValueError):
            return 0
        return int(state.get("aliveworkers", 0))


def _start(logs: Path, name: str, *arguments: str) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "SPARK_HOME": str(SPARK_HOME),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
    }
    with (logs / f"{name}.log").open("wb") as log:
        return subprocess.Popen(
            [str(SPARK_HOME / "bin" / "spark-class"), *arguments],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    logs = tmp_path_factory.mktemp("spark-cluster")
    port, ui_port = free_port(), free_port()
    master = _start(
        logs,
        "master",
        "org.apache.spark.deploy.master.Master",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--webui-port",
        str(ui_port),
    )
    found = Cluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}", logs, [master])
    try:
        for number in range(WORKERS):
            work = logs / f"worker-{number}"
            work.mkdir()
            found.processes.append(
                _start(
                    logs,
                    f"worker-{number}",
                    "org.apache.spark.deploy.worker.Worker",
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    "1",
                    "--memory",
                    "1g",
                    "--webui-port",
                    str(free_port()),
                    "--work-dir",
                    str(work),
                    found.master,
                )
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while found.alive_workers() < WORKERS:
            dead = [p.args for p in found.processes if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                text = "".join(p.read_text(errors="replace")[-1500:] for p in logs.glob("*.log"))
                pytest.fail(f"the Spark standalone cluster did not start ({dead}):\n{text}")
            time.sleep(1)
        yield found
    finally:
        for process in reversed(found.processes):
            _stop(process)
