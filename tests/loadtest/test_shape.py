"""The Locust LoadTestShape stepped through time reproduces the staged profile.

The expected arrivals are computed here from the reference table alone, not
from the schedule code: stage by stage, users arrive at the stage start and then
every 1/rate seconds. The shape asks Locust for the users due within its
lookahead (2 s); each user then waits for its own instant.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.loadtest.locust_runner import ROOT

REFERENCE = [
    (50, 1),
    (30, 0),
    (50, 1),
    (60, 0),
    (60, 1),
    (30, 0),
    (50, 2),
    (60, 0),
    (60, 2),
    (60, 0),
    (80, 2),
]
LOOKAHEAD = 2.0


def reference_instants(time_scale: float) -> list[float]:
    instants, start = [], 0.0
    for duration, rate in REFERENCE:
        instants += [start + k * time_scale / rate for k in range(duration * rate)]
        start += duration * time_scale
    return instants


def step_shape(time_scale: float, drain_limit: float, steps: list[tuple[float, int]]) -> list:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.loadtest.step_shape"],
        input=json.dumps({"time_scale": time_scale, "drain_limit": drain_limit, "steps": steps}),
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(proc.stdout)


def test_shape_ticks_follow_the_profile():
    instants = reference_instants(1.0)
    assert len(instants) == 540
    times = [t / 4 for t in range(0, 590 * 4)]
    ticks = step_shape(1.0, 60, [(t, 0) for t in times])
    for t, (users, rate) in zip(times, ticks, strict=True):
        assert users == sum(i <= t + LOOKAHEAD + 1e-9 for i in instants), f"at {t}s"
        assert rate == (2 if t >= 280 else 1), f"at {t}s"
    # Pauses add nobody: the count is flat from lookahead before a pause to its end.
    users = dict(zip(times, (tick[0] for tick in ticks), strict=True))
    for pause_start, pause_end in [(50, 80), (130, 190), (250, 280), (330, 390), (450, 510)]:
        window = [
            users[t] for t in times if pause_start - LOOKAHEAD + 1 <= t < pause_end - LOOKAHEAD
        ]
        assert len(set(window)) == 1, (pause_start, sorted(set(window)))


def test_shape_drains_then_stops_and_scales_time():
    steps = [(589.75, 0), (590, 0), (600, 539), (600, 540), (649.9, 0), (650, 0)]
    assert step_shape(1.0, 60, steps) == [[540, 2], [540, 2], [540, 2], None, [540, 2], None]
    # At a tenth of the time, the same arrivals come ten times faster.
    instants = reference_instants(0.1)
    steps = [(2.0, 0), (4.0, 0), (30.0, 0), (59.0, 0), (59.0, 540)]
    expected = [
        [sum(i <= t + LOOKAHEAD + 1e-9 for i in instants), 10 if t < 28 else 20]
        for t, _ in steps[:4]
    ]
    assert step_shape(0.1, 5, steps) == [*expected, None]
    assert expected[1][0] == 50  # all of the first stage by 5 s, incl. lookahead
