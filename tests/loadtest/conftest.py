"""Fixtures of the load test suite: the Grafana stand-in on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loadtest.locust_runner import TEST_DASHBOARD_UID
from tests.loadtest.target_server import TargetServer


@pytest.fixture(scope="module")
def target_server() -> Iterator[TargetServer]:
    """A fast keep-alive server on 127.0.0.1, started and stopped by the tests."""
    server = TargetServer(TEST_DASHBOARD_UID).start()
    yield server
    server.stop()
