"""Steps the Locust shape class through a fake clock (run in a subprocess: Locust patches gevent).

Reads ``{"time_scale": .., "drain_limit": .., "steps": [[seconds, finished_users], ...]}``
on stdin and prints the shape's tick for every step as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from locustfiles.dashboard_load import STATE, LoadSettings, StagedArrivalShape
from locustfiles.thresholds import Thresholds


def main() -> None:
    request = json.load(sys.stdin)
    STATE.settings = LoadSettings(
        dashboard_uid="aqi-air-quality",
        dashboard_slug="air-quality",
        dashboard_file=Path("unused.json"),
        measures=("pm25",),
        locations=("1",),
        loops=100,
        time_scale=request["time_scale"],
        drain_limit=request["drain_limit"],
        thresholds=Thresholds(),
    )
    shape = StagedArrivalShape()
    shape.reset_time()
    clock = {"now": 0.0}
    shape.get_run_time = lambda: clock["now"]  # type: ignore[method-assign]
    ticks = []
    for now, finished in request["steps"]:
        clock["now"] = now
        STATE.finished_users = finished
        ticks.append(shape.tick())
    json.dump(ticks, sys.stdout)


if __name__ == "__main__":
    main()
