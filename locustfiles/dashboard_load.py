"""Locust load test of the air-quality dashboard: the staged profile and its thresholds.

Run from the repository root (``make loadtest`` / ``make loadtest-headless``):

    locust -f locustfiles/dashboard_load.py --host http://127.0.0.1:3000

Users:

* ``PageViewer`` loops over ``GET /dashboards`` and the dashboard page with a
  random measure and location: the pages a visitor opens.
* ``BrowserViewer`` also fetches the dashboard model and sends every panel's
  query through ``POST /api/ds/query`` as a browser does: the load on the store.

Each arriving user runs ``--loops`` loops and then idles; ``StagedArrivalShape``
adds users on the staged profile. At exit the run is checked against the
thresholds and the exit code is 1 when one is missed.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from locust import LoadTestShape, constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.runners import WorkerRunner

from locustfiles.arrivals import (
    DEFAULT_DRAIN_LIMIT,
    DEFAULT_LOOPS,
    DEFAULT_TIME_SCALE,
    ArrivalSchedule,
)
from locustfiles.panel_queries import (
    ALL,
    DashboardError,
    PanelQuery,
    load_dashboard,
    panel_queries,
)
from locustfiles.thresholds import DEFAULT_THRESHOLDS, RunSummary, Thresholds, missed_thresholds

logger = logging.getLogger("dashboard_load")

#: Users due within this many seconds are spawned ahead (Locust ticks the shape
#: once a second and starts each tick's users in one batch); each then waits for
#: its own arrival instant, so arrivals are spread exactly as the profile says.
LOOKAHEAD_SECONDS = 2.0

#: How long an idle user (its loops done) sleeps between checks; the runner
#: stops it at the end of the test.
IDLE_SECONDS = 1.0


def _add_options(parser: Any) -> None:
    """Registers the settings: command line, LOCUST_* variables, and the web UI's form."""
    options: list[tuple[str, str, type, object, str]] = [
        ("dashboard-uid", "LOCUST_DASHBOARD_UID", str, "aqi-influxdb", "Dashboard uid"),
        (
            "dashboard-slug",
            "LOCUST_DASHBOARD_SLUG",
            str,
            "air-quality-monitoring",
            "Dashboard URL slug",
        ),
        (
            "dashboard-file",
            "LOCUST_DASHBOARD_FILE",
            str,
            "dashboard/air-quality-influxdb.json",
            "Dashboard JSON model the panel queries are read from",
        ),
        ("measures", "LOCUST_MEASURES", str, "aqi,pm25,pm10", "Values of var-measure (a,b,..)"),
        (
            "locations",
            "LOCUST_LOCATIONS",
            str,
            "10000,10001,10002",
            "Values of var-location: Sensor.Community location ids (a,b,..)",
        ),
        ("loops", "LOCUST_LOOPS", int, DEFAULT_LOOPS, "Loops each arriving user runs"),
        (
            "time-scale",
            "LOCUST_TIME_SCALE",
            float,
            DEFAULT_TIME_SCALE,
            "Multiplies every stage duration",
        ),
        (
            "drain-limit",
            "LOCUST_DRAIN_LIMIT",
            float,
            DEFAULT_DRAIN_LIMIT,
            "Max seconds to wait for loops after the last stage",
        ),
        (
            "p95-ms",
            "LOCUST_P95_MS",
            float,
            DEFAULT_THRESHOLDS.p95_ms,
            "Threshold: 95th percentile (ms)",
        ),
        (
            "p99-ms",
            "LOCUST_P99_MS",
            float,
            DEFAULT_THRESHOLDS.p99_ms,
            "Threshold: 99th percentile (ms)",
        ),
        (
            "max-error-ratio",
            "LOCUST_MAX_ERROR_RATIO",
            float,
            DEFAULT_THRESHOLDS.max_error_ratio,
            "Threshold: failed/all",
        ),
    ]
    for name, env_var, kind, default, help_text in options:
        parser.add_argument(
            f"--{name}", type=kind, env_var=env_var, default=default, help=help_text
        )


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]
def on_parser(parser: Any, **_: Any) -> None:
    _add_options(parser)


@dataclass(frozen=True)
class LoadSettings:
    """The test's settings, read from Locust's parsed options."""

    dashboard_uid: str
    dashboard_slug: str
    dashboard_file: Path
    measures: tuple[str, ...]
    locations: tuple[str, ...]
    loops: int
    time_scale: float
    drain_limit: float
    thresholds: Thresholds

    @classmethod
    def from_environment(cls, environment: Environment) -> LoadSettings:
        options = environment.parsed_options
        if options is None:
            raise RuntimeError("the dashboard load test needs Locust's parsed options")
        measures = tuple(m.strip() for m in options.measures.split(",") if m.strip())
        locations = tuple(loc.strip() for loc in options.locations.split(",") if loc.strip())
        if not measures or not locations:
            raise ValueError("--measures and --locations need at least one value each")
        if options.loops < 1:
            raise ValueError("--loops must be at least 1")
        if not options.time_scale > 0 or options.drain_limit < 0:
            raise ValueError("--time-scale must be > 0 and --drain-limit >= 0")
        return cls(
            dashboard_uid=options.dashboard_uid,
            dashboard_slug=options.dashboard_slug,
            dashboard_file=Path(options.dashboard_file),
            measures=measures,
            locations=locations,
            loops=options.loops,
            time_scale=options.time_scale,
            drain_limit=options.drain_limit,
            thresholds=Thresholds(options.p95_ms, options.p99_ms, options.max_error_ratio),
        )


class _RunState:
    """Per-process state of a run: settings, dashboard model, users spawned and done."""

    settings: LoadSettings | None = None
    dashboard: dict[str, Any] | None = None
    spawned_users = 0
    finished_users = 0


STATE = _RunState()


@events.init.add_listener  # type: ignore[untyped-decorator]
def on_init(environment: Environment, **_: Any) -> None:
    """Checks the settings and the dashboard before any user starts (exit code 2 if wrong)."""
    if environment.parsed_options is None:
        return
    try:
        STATE.settings = LoadSettings.from_environment(environment)
        if any(issubclass(user, BrowserViewer) for user in environment.user_classes):
            STATE.dashboard = load_dashboard(STATE.settings.dashboard_file)
            panel_queries(STATE.dashboard, {}, now_ms=0)
    except (DashboardError, ValueError) as err:
        logger.error("%s", err)
        raise SystemExit(2) from None


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def on_test_start(environment: Environment, **_: Any) -> None:
    """Each run reads the settings afresh (the web UI can change them between runs)."""
    if environment.parsed_options is not None:
        STATE.settings = LoadSettings.from_environment(environment)
        STATE.dashboard = None
    STATE.spawned_users = 0
    STATE.finished_users = 0


class DashboardVisitor(FastHttpUser):
    """A visitor that runs its loop ``--loops`` times, then idles until the test ends."""

    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        if STATE.settings is None:
            STATE.settings = LoadSettings.from_environment(self.environment)
        self.settings = STATE.settings
        self.loops_left = self.settings.loops
        self.wait_for_arrival()

    def wait_for_arrival(self) -> None:
        """Sleeps until this user's arrival instant on the profile (when run by the shape)."""
        shape = self.environment.shape_class
        if not isinstance(shape, StagedArrivalShape) or shape.schedule is None:
            return
        index = STATE.spawned_users
        STATE.spawned_users += 1
        delay = shape.schedule.arrival_time(index) - shape.get_run_time()  # type: ignore[no-untyped-call]
        if delay > 0:
            time.sleep(delay)

    @task
    def visit(self) -> None:
        if self.loops_left <= 0:
            time.sleep(IDLE_SECONDS)
            return
        measure = random.choice(self.settings.measures)
        location = random.choice(self.settings.locations)
        self.view(measure, location)
        self.loops_left -= 1
        if self.loops_left == 0:
            STATE.finished_users += 1

    def view(self, measure: str, location: str) -> None:
        """One loop of the visitor."""
        self.open_pages(measure, location)

    def open_pages(self, measure: str, location: str) -> None:
        settings = self.settings
        self.client.get("/dashboards", name="/dashboards")
        query = urlencode(
            {f"var-{name}": value for name, value in selection(measure, location).items()}
        )
        path = f"/d/{settings.dashboard_uid}/{settings.dashboard_slug}"
        self.client.get(f"{path}?{query}", name=path)


def selection(measure: str, location: str) -> dict[str, str]:
    """The variables a visitor's page sets: the measure, and the location whatever its
    country and place (All of both, as a link to one location would select them)."""
    return {"measure": measure, "country": ALL, "place": ALL, "location": location}


class PageViewer(DashboardVisitor):
    """Opens the dashboard list and the dashboard page."""


class BrowserViewer(DashboardVisitor):
    """Opens the pages, fetches the dashboard model and runs every panel's query."""

    def view(self, measure: str, location: str) -> None:
        self.open_pages(measure, location)
        uid = self.settings.dashboard_uid
        self.client.get(f"/api/dashboards/uid/{uid}", name="/api/dashboards/uid/[uid]")
        if STATE.dashboard is None:
            STATE.dashboard = load_dashboard(self.settings.dashboard_file)
        now_ms = int(time.time() * 1000)
        overrides = selection(measure, location)
        for panel in panel_queries(STATE.dashboard, overrides, now_ms):
            self.query_panel(panel)

    def query_panel(self, panel: PanelQuery) -> None:
        source = panel.body["queries"][0]["datasource"]
        headers = {
            "X-Dashboard-Uid": self.settings.dashboard_uid,
            "X-Panel-Id": str(panel.panel_id),
            "X-Datasource-Uid": source["uid"],
            "X-Plugin-Id": panel.datasource_type,
        }
        with self.client.post(
            f"/api/ds/query?ds_type={panel.datasource_type}",
            json=panel.body,
            headers=headers,
            name=f"/api/ds/query [{panel.title}]",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            try:
                results = response.json().get("results", {})
            except ValueError:
                response.failure("response is not JSON")
                return
            errors = [
                r["error"] for r in results.values() if isinstance(r, dict) and r.get("error")
            ]
            if errors:
                response.failure(f"query error: {errors[0]}")


class StagedArrivalShape(LoadTestShape):
    """Adds users on the staged arrival profile, scaled by ``--time-scale``."""

    schedule: ArrivalSchedule | None = None

    def reset_time(self) -> None:
        super().reset_time()  # type: ignore[no-untyped-call]
        self.schedule = None

    def tick(self) -> tuple[int, float] | None:
        if self.schedule is None:
            if self.runner is None:
                raise RuntimeError("the shape runs inside a Locust runner")
            if self.runner.environment.parsed_options is not None:
                STATE.settings = LoadSettings.from_environment(self.runner.environment)
            if STATE.settings is None:
                raise RuntimeError("the dashboard load test needs Locust's parsed options")
            self.schedule = ArrivalSchedule(
                time_scale=STATE.settings.time_scale, drain_limit=STATE.settings.drain_limit
            )
        return self.schedule.target(
            self.get_run_time(),  # type: ignore[no-untyped-call]
            STATE.finished_users,
            lookahead=LOOKAHEAD_SECONDS,
        )


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def check_thresholds(environment: Environment, **_: Any) -> None:
    """Sets the exit code: 1 when a threshold is missed or a user raised, else 0.

    Workers leave it to the master, which holds the totals.
    """
    if isinstance(environment.runner, WorkerRunner) or STATE.settings is None:
        return
    total = environment.stats.total
    summary = RunSummary(
        requests=total.num_requests,
        p95_ms=total.get_response_time_percentile(0.95) or 0,
        p99_ms=total.get_response_time_percentile(0.99) or 0,
        error_ratio=total.fail_ratio,
    )
    missed = missed_thresholds(STATE.settings.thresholds, summary)
    for line in missed:
        logger.error("threshold missed: %s", line)
    if not missed:
        logger.info(
            "thresholds met: p95 %g ms, p99 %g ms, error ratio %.2f%% over %d requests",
            summary.p95_ms,
            summary.p99_ms,
            summary.error_ratio * 100,
            summary.requests,
        )
    exceptions = environment.runner.exceptions if environment.runner else {}
    environment.process_exit_code = 1 if missed or exceptions else 0
