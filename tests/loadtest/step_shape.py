"""Steps the Locust shape class through a fake clock (run in a subprocess: Locust patches gevent).

Reads ``{"time_scale": .., "drain_limit": .., "steps": [[seconds, finished_users], ...]}``
on stdin and prints the shape's tick for every step as JSON.
"""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace

from locust.argument_parser import get_parser

from locustfiles.dashboard_load import STATE, StagedArrivalShape


def main() -> None:
    request = json.load(sys.stdin)
    # The locustfile's own options, parsed by Locust's parser as on the command line.
    options = get_parser(default_config_files=[]).parse_args(
        [
            "--time-scale",
            str(request["time_scale"]),
            "--drain-limit",
            str(request["drain_limit"]),
        ]
    )
    shape = StagedArrivalShape()
    shape.runner = SimpleNamespace(environment=SimpleNamespace(parsed_options=options))  # type: ignore[assignment]
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
