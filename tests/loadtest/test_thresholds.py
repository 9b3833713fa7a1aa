"""Threshold decisions: which limits a run missed."""

from __future__ import annotations

import pytest

from locustfiles.thresholds import RunSummary, Thresholds, missed_thresholds

DEFAULTS = Thresholds()


def test_defaults_are_the_published_limits():
    assert (DEFAULTS.p95_ms, DEFAULTS.p99_ms, DEFAULTS.max_error_ratio) == (75, 100, 0.01)


def test_a_run_at_the_limits_passes():
    assert missed_thresholds(DEFAULTS, RunSummary(1000, 75, 100, 0.01)) == []


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (RunSummary(1000, 76, 90, 0), ["p95 76 ms > 75 ms"]),
        (RunSummary(1000, 70, 101, 0), ["p99 101 ms > 100 ms"]),
        (RunSummary(1000, 10, 20, 0.0125), ["error ratio 1.25% > 1.00%"]),
        (RunSummary(0, 0, 0, 0), ["no requests were made"]),
    ],
)
def test_each_missed_threshold_is_named(summary, expected):
    assert missed_thresholds(DEFAULTS, summary) == expected


def test_all_misses_are_reported_and_limits_are_settings():
    strict = Thresholds(p95_ms=20, p99_ms=30, max_error_ratio=0)
    missed = missed_thresholds(strict, RunSummary(10, 25, 35, 0.1))
    assert [line.split()[0] for line in missed] == ["p95", "p99", "error"]
    with pytest.raises(ValueError):
        Thresholds(max_error_ratio=2)
