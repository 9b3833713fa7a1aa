"""Runs the dashboard load test, or a module that imports Locust, in a subprocess.

The load test only ever targets loopback.

Locust monkey-patches the standard library with gevent when imported, so it is
only ever imported in subprocesses, never in the pytest process.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
LOCUSTFILE = "locustfiles/dashboard_load.py"
#: The test dashboard: two panels with queries (one in a collapsed row).
TEST_DASHBOARD = DATA / "dashboard.json"
TEST_DASHBOARD_UID = "aqi-air-quality"


@dataclass(frozen=True)
class LocustRun:
    returncode: int
    output: str
    results: Path

    def history(self) -> list[dict[str, str]]:
        """Aggregated rows of the stats history CSV."""
        with (self.results / "locust_stats_history.csv").open(newline="") as handle:
            return [row for row in csv.DictReader(handle) if row["Name"] == "Aggregated"]


def run_locust(url: str, results: Path, *args: str, timeout: float = 180) -> LocustRun:
    """Runs the load test headless against ``url`` with the test dashboard."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"load tests only target loopback, not {url}")
    results.mkdir(parents=True, exist_ok=True)
    proc = run_python(
        "locust",
        *("-f", LOCUSTFILE, "--headless", "--host", url, "--only-summary"),
        *("--dashboard-file", str(TEST_DASHBOARD), "--dashboard-uid", TEST_DASHBOARD_UID),
        *("--csv", str(results / "locust"), "--csv-full-history"),
        *("--html", str(results / "report.html")),
        *args,
        timeout=timeout,
    )
    return LocustRun(proc.returncode, proc.stdout + proc.stderr, results)


def run_module(module: str, request: object, timeout: float = 60) -> Any:
    """Runs ``python -m module`` with ``request`` as JSON on stdin and returns its JSON output."""
    proc = run_python(module, stdin=json.dumps(request), timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{module} exited {proc.returncode}: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout)


def run_python(
    module: str, *args: str, timeout: float, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m module args`` at the repository root, its output captured.

    Settings come from the arguments only, never from a developer's LOCUST_* variables.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        input=stdin,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
