"""One driver process on a Spark master that runs ``aqi-ingest`` commands one after another.

    python -m tests.cluster.driver spark://127.0.0.1:7077 '[["backfill", ...], ["run", "--once", ...]]'

Each command goes through :func:`ingest.cli.main` exactly as the console script
does; they share the one SparkSession (a cold driver costs a minute on these
machines), whose executors run on the cluster's workers. Prints the exit codes
as a JSON list and exits with the highest.
"""

from __future__ import annotations

import json
import sys

from ingest import cli
from ingest.spark import build_session


def main(argv: list[str]) -> int:
    master, commands = argv[0], json.loads(argv[1])
    spark = build_session(master, app_name="aqi-cluster-tests")
    try:
        codes = [cli.main(command) for command in commands]
    finally:
        spark.stop()
    print(json.dumps(codes), flush=True)
    return max(codes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
