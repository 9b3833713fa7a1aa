"""Steps the Locust shape class through a fake clock (run in a subprocess: Locust patches gevent).

Reads ``{"time_scale": .., "drain_limit": .., "steps": [[seconds, finished_users], ...]}``
on stdin and prints ``{"lookahead": seconds, "ticks": [...]}``: the shape's
lookahead and its tick for every step, as JSON.
"""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace

from locustfiles.dashboard_load import LOOKAHEAD_SECONDS, STATE, StagedArrivalShape
from tests.loadtest.locust_settings import parse_options


def main() -> None:
    request = json.load(sys.stdin)
    options = parse_options(
        ["--time-scale", str(request["time_scale"]), "--drain-limit", str(request["drain_limit"])]
    )
    shape = StagedArrivalShape()  # type: ignore[no-untyped-call]
    shape.runner = SimpleNamespace(environment=SimpleNamespace(parsed_options=options))  # type: ignore[assignment]
    shape.reset_time()
    clock = {"now": 0.0}
    shape.get_run_time = lambda: clock["now"]  # type: ignore[method-assign]
    ticks = []
    for now, finished in request["steps"]:
        clock["now"] = now
        STATE.finished_users = finished
        ticks.append(shape.tick())
    json.dump({"lookahead": LOOKAHEAD_SECONDS, "ticks": ticks}, sys.stdout)


if __name__ == "__main__":
    main()
