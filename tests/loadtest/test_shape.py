"""The Locust LoadTestShape stepped through time reproduces the staged profile.

The expected arrivals are computed here from the reference table alone, not
from the schedule code: stage by stage, users arrive at the stage start and then
every 1/rate seconds. The shape asks Locust for the users due within its
lookahead (read from the locustfile); each user then waits for its own instant.
"""

from __future__ import annotations

from typing import Any

from tests.loadtest.locust_runner import run_module
from tests.loadtest.reference_profile import (
    REFERENCE_ARRIVALS,
    REFERENCE_SECONDS,
    reference_instants,
)


def step_shape(
    time_scale: float, drain_limit: float, steps: list[tuple[float, int]]
) -> tuple[float, list[Any]]:
    """The shape's lookahead and its tick at each (seconds, finished users) step."""
    request = {"time_scale": time_scale, "drain_limit": drain_limit, "steps": steps}
    reply = run_module("tests.loadtest.step_shape", request)
    return reply["lookahead"], reply["ticks"]


def due(instants: list[float], t: float, lookahead: float) -> int:
    """Users that arrive by ``t`` plus the lookahead."""
    return sum(i <= t + lookahead + 1e-9 for i in instants)


def test_shape_ticks_follow_the_profile() -> None:
    instants = reference_instants(1.0)
    assert len(instants) == REFERENCE_ARRIVALS
    times = [t / 4 for t in range(0, REFERENCE_SECONDS * 4)]
    lookahead, ticks = step_shape(1.0, 60, [(t, 0) for t in times])
    assert lookahead > 0
    for t, (users, rate) in zip(times, ticks, strict=True):
        assert users == due(instants, t, lookahead), f"at {t}s"
        assert rate == (2 if t >= 280 else 1), f"at {t}s"
    # Pauses add nobody: the count is flat from lookahead before a pause to its end.
    users = dict(zip(times, (tick[0] for tick in ticks), strict=True))
    for pause_start, pause_end in [(50, 80), (130, 190), (250, 280), (330, 390), (450, 510)]:
        window = [
            users[t] for t in times if pause_start - lookahead + 1 <= t < pause_end - lookahead
        ]
        assert len(set(window)) == 1, (pause_start, sorted(set(window)))


def test_shape_drains_then_stops_and_scales_time() -> None:
    steps = [(589.75, 0), (590, 0), (600, 539), (600, 540), (649.9, 0), (650, 0)]
    everyone = [REFERENCE_ARRIVALS, 2]
    _, ticks = step_shape(1.0, 60, steps)
    assert ticks == [everyone, everyone, everyone, None, everyone, None]
    # At a tenth of the time, the same arrivals come ten times faster.
    instants = reference_instants(0.1)
    steps = [(2.0, 0), (4.0, 0), (30.0, 0), (59.0, 0), (59.0, REFERENCE_ARRIVALS)]
    lookahead, ticks = step_shape(0.1, 5, steps)
    expected = [[due(instants, t, lookahead), 10 if t < 28 else 20] for t, _ in steps[:4]]
    assert ticks == [*expected, None]
    assert expected[3][0] == REFERENCE_ARRIVALS
