"""The staged arrival profile as numbers: arrivals per stage, pauses and end."""

from __future__ import annotations

import pytest

from locustfiles.arrivals import DASHBOARD_PROFILE, ArrivalSchedule, Stage
from tests.loadtest.reference_profile import (
    REFERENCE,
    REFERENCE_ARRIVALS,
    REFERENCE_SECONDS,
    reference_instants,
)


def test_profile_is_the_reference_profile() -> None:
    assert [(s.duration, s.arrival_rate) for s in DASHBOARD_PROFILE] == REFERENCE
    # The documented totals: 540 users in 590 seconds.
    assert (REFERENCE_ARRIVALS, REFERENCE_SECONDS) == (540, 590)
    schedule = ArrivalSchedule()
    assert (schedule.total_arrivals, schedule.end) == (REFERENCE_ARRIVALS, REFERENCE_SECONDS)


@pytest.mark.parametrize("time_scale", [1.0, 0.1, 0.02])
def test_stepping_through_time_gives_each_stage_its_arrivals(time_scale: float) -> None:
    schedule = ArrivalSchedule(time_scale=time_scale)
    step = 0.01 * time_scale
    start = 0.0
    arrived = 0
    for duration, rate in REFERENCE:
        end = start + duration * time_scale
        times = [start + n * step for n in range(round(duration * time_scale / step))]
        counts = [schedule.arrivals_due(t) for t in times]
        if rate == 0:
            assert set(counts) == {arrived}, f"users arrived during the pause at {start}"
        else:
            # One user at the stage start, then one every 1/rate seconds.
            assert counts[0] == arrived + 1
            per_second = [
                schedule.arrivals_due(start + (k + 1) * time_scale - step / 2)
                - schedule.arrivals_due(start + k * time_scale - step / 2)
                for k in range(duration)
            ]
            assert per_second == [rate] * duration
            assert counts == sorted(counts)
        arrived += duration * rate
        assert schedule.arrivals_due(end - step / 2) == arrived
        start = end
    assert schedule.arrivals_due(start + 1000) == arrived == REFERENCE_ARRIVALS


def test_spawn_rate_follows_the_stage_and_holds_in_pauses() -> None:
    schedule = ArrivalSchedule(time_scale=0.5)
    assert schedule.spawn_rate_at(0) == 2.0  # 1/s at half time
    assert schedule.spawn_rate_at(30) == 2.0  # pause after a 1/s stage
    assert schedule.spawn_rate_at(139.9) == 2.0  # pause after the third 1/s stage
    assert schedule.spawn_rate_at(140) == 4.0  # first 2/s stage (at 280 s), half time
    assert schedule.spawn_rate_at(500) == 4.0  # after the end


def test_drain_holds_users_until_all_finished_or_limit() -> None:
    schedule = ArrivalSchedule(drain_limit=120)
    assert schedule.target(589.9, finished_users=540) == (540, 2.0)
    assert schedule.target(590, finished_users=539) == (540, 2.0)
    assert schedule.target(590, finished_users=540) is None
    assert schedule.target(709.9, finished_users=0) == (540, 2.0)
    assert schedule.target(710, finished_users=0) is None


def test_custom_profile_and_validation() -> None:
    schedule = ArrivalSchedule([Stage(2, 3), Stage(1), Stage(1, 5)], time_scale=2)
    assert schedule.end == 8
    assert [schedule.arrivals_due(t) for t in (0, 3.9, 4, 5.9, 6, 7.9)] == [1, 6, 6, 6, 7, 11]
    with pytest.raises(ValueError, match="fractional"):
        Stage(1.5, 1)
    with pytest.raises(ValueError, match="time_scale"):
        ArrivalSchedule(time_scale=0)
    with pytest.raises(ValueError, match="arrival"):
        ArrivalSchedule([Stage(5)])


def test_arrival_instants_are_evenly_spaced_within_each_stage() -> None:
    schedule = ArrivalSchedule(time_scale=0.5)
    instants = [schedule.arrival_time(n) for n in range(schedule.total_arrivals)]
    assert instants[:3] == [0, 0.5, 1.0]  # 1/s at half time
    assert instants[49] == 24.5
    assert instants[50] == 40.0  # after the 15 s pause
    assert instants[160:163] == [140.0, 140.25, 140.5]  # first 2/s stage (280 s unscaled)
    assert instants[260] == 195.0  # second 2/s stage (390 s unscaled)
    assert instants == pytest.approx(reference_instants(0.5))
    # Each instant is counted by arrivals_due from that instant on.
    assert all(schedule.arrivals_due(t) == n + 1 for n, t in enumerate(instants) if n % 7 == 0)
    assert schedule.arrival_time(REFERENCE_ARRIVALS) == schedule.end
