"""Fixtures of the dashboard tests: the committed files, and a store loaded by the ingest job."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the dashboard generator lives beside ingest/, not installed
    sys.path.insert(0, str(ROOT))

from tests.dashboard.feed import Snapshots, archive_rows, snapshots_now, write_feed  # noqa: E402

DASHBOARD_DIR = ROOT / "dashboard"
PROVISIONING_DIR = DASHBOARD_DIR / "provisioning"


@pytest.fixture(scope="session")
def committed() -> dict[str, dict[str, Any]]:
    """The committed dashboard JSON per engine key."""
    return {
        key: json.loads((DASHBOARD_DIR / f"air-quality-{key}.json").read_text(encoding="utf-8"))
        for key in ("influxdb", "timestream")
    }


@dataclass(frozen=True)
class LoadedStore:
    """An InfluxDB database the ingest job filled from the fixture feed."""

    server: Any
    database: str
    snaps: Snapshots

    def query(self, q: str) -> list[dict[str, object]]:
        return list(self.server.query(q, self.database, epoch="s"))


@pytest.fixture(scope="session")
def loaded_store(spark, influxdb, tmp_path_factory: pytest.TempPathFactory) -> LoadedStore:
    """Runs one ingest cycle (the real job, in-process) on the fixture feed into InfluxDB."""
    from ingest import cli

    database = "aq_dashboard"
    influxdb.drop_database(database)
    influxdb.create_database(database)
    snaps = snapshots_now()
    feed = write_feed(tmp_path_factory.mktemp("dashboard-feed"), snaps)
    state = tmp_path_factory.mktemp("dashboard-state")
    code = cli.main(
        [
            "run",
            "--once",
            "--source",
            str(feed),
            "--sink",
            f"influxdb://127.0.0.1:{influxdb.port}/{database}",
            "--state-dir",
            str(state),
        ]
    )
    assert code == 0, f"ingest cycle exited {code}"
    from ingest.sinks.influxdb import InfluxSink

    archive = InfluxSink.from_url(f"influxdb://127.0.0.1:{influxdb.port}/{database}")
    written = archive.write_rows(archive_rows(snaps))
    assert written.written == len(archive_rows(snaps)) and not written.rejected
    return LoadedStore(influxdb, database, snaps)
