"""The report plot renders from the monitor's and Locust's CSVs with the expected series."""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from locustfiles import report
from locustfiles.report import build_figure, read_asg_monitor, read_locust_history, render
from locustfiles.thresholds import DEFAULT_THRESHOLDS, Thresholds
from tests.loadtest.locust_runner import DATA

STATS = DATA / "locust_stats_history.csv"
ASG = DATA / "asg.csv"
T0 = datetime(2026, 11, 29, tzinfo=UTC)


def series_by_label(figure: Figure) -> dict[str, tuple[list[Any], list[Any]]]:
    """The (x, y) data of every line of the figure, by its label."""
    found: dict[str, tuple[list[Any], list[Any]]] = {}
    for axes in figure.axes:
        for line in axes.get_lines():
            xs: Any = line.get_xdata()
            ys: Any = line.get_ydata()
            found[str(line.get_label())] = (list(xs), list(ys))
    return found


def seconds(times: list[datetime]) -> list[int]:
    """Whole seconds since T0."""
    return [round((t - T0).total_seconds()) for t in times]


def test_csvs_are_read_into_series() -> None:
    locust = read_locust_history(STATS)
    assert locust.users == [0, 2, 3, 5]  # the per-request row is left out
    assert locust.rps == [0.0, 6.0, 9.5, 14.0]
    assert locust.p95_ms == [None, 12.0, 31.0, 48.0]
    asg = read_asg_monitor(ASG)
    assert asg.in_service == [1, 1, 2, 0]  # a pending instance is not in service
    assert asg.desired == [1, 2, 2, 0]
    assert asg.cpu["i-0aaa"][1] == [35.0, 72.5, 55.0]
    assert asg.cpu["i-0bbb"][1] == [20.0]  # no CPU while pending


def test_figure_shows_instances_cpu_requests_and_p95_on_one_axis() -> None:
    figure = build_figure(read_locust_history(STATS), read_asg_monitor(ASG), p95_threshold_ms=75)
    series = series_by_label(figure)
    assert {"in service", "desired", "i-0aaa", "i-0bbb", "requests/s", "p95 (ms)"} <= set(series)
    assert series["in service"][1] == [1, 1, 2, 0]
    assert series["i-0aaa"][1] == [35.0, 72.5, 55.0]
    assert series["requests/s"][1] == [0.0, 6.0, 9.5, 14.0]
    p95 = series["p95 (ms)"][1]
    assert p95[0] is None or math.isnan(p95[0])
    assert p95[1:] == [12.0, 31.0, 48.0]
    assert series["p95 threshold"][1] == [75, 75]
    # One time axis: every panel shares x, and both CSVs land on the same seconds.
    first = figure.axes[0]
    assert len(figure.axes) == 5  # three panels, two with a second y axis
    assert all(first.get_shared_x_axes().joined(first, axes) for axes in figure.axes)
    assert seconds(series["requests/s"][0]) == [0, 1, 2, 3]
    assert seconds(series["in service"][0]) == [0, 1, 2, 3]


def test_render_writes_a_png(tmp_path: Path) -> None:
    out = render(STATS, tmp_path / "report.png", ASG)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1100, 850)
    # Without a monitor CSV the Locust panel still renders.
    assert render(STATS, tmp_path / "locust-only.png").stat().st_size > 10_000


def test_threshold_line_defaults_to_the_load_test_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = ["--stats", str(STATS), "--out", "report.png"]
    assert report.parse_args(args).p95_ms == DEFAULT_THRESHOLDS.p95_ms == 75
    assert report.parse_args([*args, "--p95-ms", "50"]).p95_ms == 50
    # A copy of the value in the report would not follow its home.
    monkeypatch.setattr(report, "DEFAULT_THRESHOLDS", Thresholds(40, 60, 0.2))
    assert report.parse_args(args).p95_ms == 40
