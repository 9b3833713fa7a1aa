"""The settings a run really applies: the locustfile's options as Locust's own parser reads them.

The published defaults are the ones of the load test's documentation (Settings);
each option's default must also come from its one home (``DEFAULT_THRESHOLDS``,
the ``DEFAULT_*`` constants of ``locustfiles.arrivals``), so that a new value
there changes the run.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from locustfiles.arrivals import DEFAULT_DRAIN_LIMIT, DEFAULT_LOOPS, DEFAULT_TIME_SCALE
from locustfiles.thresholds import DEFAULT_THRESHOLDS
from tests.loadtest.locust_runner import ROOT, run_module

PUBLISHED_THRESHOLDS = {"p95_ms": 75, "p99_ms": 100, "max_error_ratio": 0.01}
PUBLISHED_PROFILE = {"loops": 100, "time_scale": 1, "drain_limit": 600}


def applied_settings(
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
) -> dict[str, Any]:
    request = {"args": list(args), "env": env or {}, "defaults": defaults or {}}
    settings: dict[str, Any] = run_module("tests.loadtest.locust_settings", request)
    return settings


def profile(settings: dict[str, Any]) -> dict[str, Any]:
    return {name: settings[name] for name in PUBLISHED_PROFILE}


def test_defaults_are_the_published_ones_from_their_home() -> None:
    settings = applied_settings()
    assert settings["thresholds"] == PUBLISHED_THRESHOLDS == asdict(DEFAULT_THRESHOLDS)
    home = {
        "loops": DEFAULT_LOOPS,
        "time_scale": DEFAULT_TIME_SCALE,
        "drain_limit": DEFAULT_DRAIN_LIMIT,
    }
    assert profile(settings) == PUBLISHED_PROFILE == home


def test_option_defaults_follow_their_home() -> None:
    # A copy of a default in the locustfile would keep the published value here.
    thresholds = {"p95_ms": 40, "p99_ms": 60, "max_error_ratio": 0.2}
    new_profile = {"loops": 7, "time_scale": 0.5, "drain_limit": 30}
    settings = applied_settings(defaults={"thresholds": thresholds, **new_profile})
    assert settings["thresholds"] == thresholds
    assert profile(settings) == new_profile


def test_command_line_and_environment_override_the_defaults() -> None:
    settings = applied_settings(
        ("--p95-ms", "120", "--loops", "3"),
        env={"LOCUST_MAX_ERROR_RATIO": "0.05", "LOCUST_DRAIN_LIMIT": "45"},
    )
    assert settings["thresholds"] == {"p95_ms": 120, "p99_ms": 100, "max_error_ratio": 0.05}
    assert profile(settings) == {"loops": 3, "time_scale": 1, "drain_limit": 45}


def test_default_dashboard_settings_match_the_default_dashboard_file() -> None:
    settings = applied_settings()
    dashboard = json.loads((ROOT / settings["dashboard_file"]).read_text())
    assert dashboard["uid"] == settings["dashboard_uid"]
    (measure,) = [v for v in dashboard["templating"]["list"] if v["name"] == "measure"]
    allowed = {option["value"] for option in measure["options"]}
    assert set(settings["measures"]) <= allowed
