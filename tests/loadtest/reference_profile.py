"""The dashboard's reference traffic profile, written by hand from the load test's documentation.

The tests derive what the schedule and the shape must do from this table alone,
never from the profile in ``locustfiles.arrivals``.
"""

from __future__ import annotations

#: (seconds, new users per second) per stage; rate 0 is a pause.
REFERENCE: list[tuple[int, int]] = [
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

#: Users the whole profile brings.
REFERENCE_ARRIVALS = sum(duration * rate for duration, rate in REFERENCE)
#: Seconds from the first arrival stage's start to the last one's end.
REFERENCE_SECONDS = sum(duration for duration, _ in REFERENCE)


def reference_instants(time_scale: float) -> list[float]:
    """When each user arrives: at its stage's start, then one every 1/rate (scaled) seconds."""
    instants: list[float] = []
    start = 0.0
    for duration, rate in REFERENCE:
        instants += [start + k * time_scale / rate for k in range(duration * rate)]
        start += duration * time_scale
    return instants
