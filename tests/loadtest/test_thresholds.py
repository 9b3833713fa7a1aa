"""Threshold decisions: which limits a run missed."""

from __future__ import annotations

import pytest

from locustfiles.thresholds import RunSummary, Thresholds, missed_thresholds

LIMITS = Thresholds(p95_ms=75, p99_ms=100, max_error_ratio=0.01)


def test_a_run_at_the_limits_passes() -> None:
    assert missed_thresholds(LIMITS, RunSummary(1000, 75, 100, 0.01)) == []


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (RunSummary(1000, 76, 90, 0), ["p95 76 ms > 75 ms"]),
        (RunSummary(1000, 70, 101, 0), ["p99 101 ms > 100 ms"]),
        (RunSummary(1000, 10, 20, 0.0125), ["error ratio 1.25% > 1.00%"]),
        (RunSummary(0, 0, 0, 0), ["no requests were made"]),
    ],
)
def test_each_missed_threshold_is_named(summary: RunSummary, expected: list[str]) -> None:
    assert missed_thresholds(LIMITS, summary) == expected


def test_all_misses_are_reported_and_limits_are_settings() -> None:
    strict = Thresholds(p95_ms=20, p99_ms=30, max_error_ratio=0)
    missed = missed_thresholds(strict, RunSummary(10, 25, 35, 0.1))
    assert [line.split()[0] for line in missed] == ["p95", "p99", "error"]


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"p95_ms": 0, "p99_ms": 100, "max_error_ratio": 0.01}, "must be > 0 ms"),
        ({"p95_ms": 75, "p99_ms": -1, "max_error_ratio": 0.01}, "must be > 0 ms"),
        ({"p95_ms": 75, "p99_ms": 100, "max_error_ratio": 2}, "between 0 and 1"),
    ],
)
def test_impossible_limits_are_refused(limits: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Thresholds(**limits)
