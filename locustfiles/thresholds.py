"""Pass/fail thresholds of a load test run, independent of Locust."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Thresholds:
    """Limits a run must stay within: response-time percentiles and the error ratio."""

    p95_ms: float
    p99_ms: float
    max_error_ratio: float

    def __post_init__(self) -> None:
        if self.p95_ms <= 0 or self.p99_ms <= 0:
            raise ValueError("percentile thresholds must be > 0 ms")
        if not 0 <= self.max_error_ratio <= 1:
            raise ValueError("max_error_ratio must be between 0 and 1")


#: The published limits: the load test's defaults and the report's p95 line.
DEFAULT_THRESHOLDS: Final = Thresholds(p95_ms=75.0, p99_ms=100.0, max_error_ratio=0.01)


@dataclass(frozen=True)
class RunSummary:
    """What a run measured over all its requests."""

    requests: int
    p95_ms: float
    p99_ms: float
    error_ratio: float


def missed_thresholds(thresholds: Thresholds, summary: RunSummary) -> list[str]:
    """One line per missed threshold (empty when the run passed)."""
    if summary.requests == 0:
        return ["no requests were made"]
    missed = []
    if summary.p95_ms > thresholds.p95_ms:
        missed.append(f"p95 {summary.p95_ms:g} ms > {thresholds.p95_ms:g} ms")
    if summary.p99_ms > thresholds.p99_ms:
        missed.append(f"p99 {summary.p99_ms:g} ms > {thresholds.p99_ms:g} ms")
    if summary.error_ratio > thresholds.max_error_ratio:
        missed.append(f"error ratio {summary.error_ratio:.2%} > {thresholds.max_error_ratio:.2%}")
    return missed
