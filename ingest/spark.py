"""The SparkSession the ingest job runs on: one long-lived session per process."""

from __future__ import annotations

import os

from pyspark.sql import SparkSession


def build_session(
    master: str = "local[*]",
    app_name: str = "aqi-ingest",
    ui: bool = False,
    driver_memory: str = "1g",
) -> SparkSession:
    """A session with the settings the transform relies on.

    In local mode everything binds to loopback; the UI is off unless asked for.
    An empty master keeps the one spark-submit set (EMR, YARN, Kubernetes).
    """
    builder = SparkSession.builder.master(master) if master else SparkSession.builder
    builder = (
        builder.appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.mapKeyDedupPolicy", "LAST_WIN")
        .config("spark.sql.shuffle.partitions", str(max(4, 2 * (os.cpu_count() or 2))))
        .config("spark.ui.enabled", str(ui).lower())
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", driver_memory)
    )
    if master.startswith("local"):
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config(
            "spark.driver.host", "127.0.0.1"
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session
