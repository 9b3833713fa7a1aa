"""The staged arrival profile of the dashboard load test, independent of Locust.

A stage either brings new users at a fixed rate (``arrival_rate`` users per
second) or pauses (rate 0). Every user that arrives runs its loop a fixed number
of times and then idles, so the number of users Locust keeps alive is the
number of arrivals so far. The profile ends when the last stage is over and
every user has finished its loops (or a drain limit has passed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Stage:
    """One stage: ``duration`` seconds of arrivals at ``arrival_rate`` users/s (0: a pause)."""

    duration: float
    arrival_rate: float = 0.0

    def __post_init__(self) -> None:
        if self.duration <= 0 or self.arrival_rate < 0:
            raise ValueError(f"invalid stage {self}: duration > 0 and arrival_rate >= 0")
        arrivals = self.duration * self.arrival_rate
        if abs(arrivals - round(arrivals)) > 1e-9:
            raise ValueError(f"stage {self} brings a fractional number of users ({arrivals})")

    @property
    def arrivals(self) -> int:
        return round(self.duration * self.arrival_rate)


#: The dashboard's reference profile: six arrival stages separated by pauses,
#: 540 users in 590 s.
DASHBOARD_PROFILE: tuple[Stage, ...] = (
    Stage(50, 1),
    Stage(30),
    Stage(50, 1),
    Stage(60),
    Stage(60, 1),
    Stage(30),
    Stage(50, 2),
    Stage(60),
    Stage(60, 2),
    Stage(60),
    Stage(80, 2),
)

#: Loops each arriving user runs before it idles.
DEFAULT_LOOPS: Final = 100
#: Multiplies every stage duration (1: the profile in real time).
DEFAULT_TIME_SCALE: Final = 1.0
#: Seconds after the last stage to wait for users still running their loops.
DEFAULT_DRAIN_LIMIT: Final = 600.0


@dataclass(frozen=True)
class ScheduledStage:
    """A stage placed on the (scaled) time axis."""

    start: float
    end: float
    arrival_rate: float
    arrivals: int
    arrivals_before: int


class ArrivalSchedule:
    """Target user counts over time for a staged profile.

    ``time_scale`` multiplies every duration: 0.1 replays the profile ten times
    faster with the same arrivals per stage (so ten times the arrival rate).
    Within an arrival stage the k-th user (from 0) arrives at
    ``start + k / rate``, so a stage of N users at rate r spans N / r seconds.
    """

    def __init__(
        self,
        stages: Sequence[Stage] = DASHBOARD_PROFILE,
        time_scale: float = DEFAULT_TIME_SCALE,
        drain_limit: float = DEFAULT_DRAIN_LIMIT,
    ) -> None:
        if not stages:
            raise ValueError("a profile needs at least one stage")
        if not time_scale > 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale}")
        if drain_limit < 0:
            raise ValueError(f"drain_limit must be >= 0, got {drain_limit}")
        self.drain_limit = drain_limit
        scheduled: list[ScheduledStage] = []
        start = 0.0
        before = 0
        for stage in stages:
            end = start + stage.duration * time_scale
            scheduled.append(
                ScheduledStage(start, end, stage.arrival_rate / time_scale, stage.arrivals, before)
            )
            start, before = end, before + stage.arrivals
        self.stages: tuple[ScheduledStage, ...] = tuple(scheduled)
        self.end = start
        self.total_arrivals = before
        if self.total_arrivals == 0:
            raise ValueError("a profile needs at least one arrival")

    def arrivals_due(self, elapsed: float) -> int:
        """How many users have arrived ``elapsed`` seconds into the run."""
        for stage in self.stages:
            if elapsed < stage.start:
                return stage.arrivals_before
            if elapsed < stage.end:
                if stage.arrivals == 0:
                    return stage.arrivals_before
                # 1e-9 absorbs float error at exact arrival instants.
                due = math.floor((elapsed - stage.start) * stage.arrival_rate + 1e-9) + 1
                return stage.arrivals_before + min(stage.arrivals, due)
        return self.total_arrivals

    def spawn_rate_at(self, elapsed: float) -> float:
        """Arrival rate of the stage in progress; in a pause, that of the last arrival stage."""
        rate = next(s.arrival_rate for s in self.stages if s.arrivals)
        for stage in self.stages:
            if elapsed < stage.start:
                break
            if stage.arrivals:
                rate = stage.arrival_rate
        return rate

    def arrival_time(self, index: int) -> float:
        """When the ``index``-th user (from 0) arrives, in seconds from the start."""
        if index < 0:
            raise ValueError(f"index must be >= 0, got {index}")
        for stage in self.stages:
            if index < stage.arrivals_before + stage.arrivals:
                return stage.start + (index - stage.arrivals_before) / stage.arrival_rate
        return self.end

    def target(
        self, elapsed: float, finished_users: int, lookahead: float = 0.0
    ) -> tuple[int, float] | None:
        """(users, spawn rate) Locust should run now, or None when the test is over.

        ``lookahead`` counts the users due within that many seconds, so that
        they can be started ahead and wait for their own arrival instant. After
        the last stage the user count holds (the drain) until every user has
        finished its loops or ``drain_limit`` seconds have passed.
        """
        if elapsed >= self.end and (
            finished_users >= self.total_arrivals or elapsed >= self.end + self.drain_limit
        ):
            return None
        return self.arrivals_due(elapsed + lookahead), self.spawn_rate_at(elapsed)
