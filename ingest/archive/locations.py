"""Each sensor's country, from a v2 feed: the archive's files carry no country.

The feed (``data.24h.json`` under the feeds' base URL, or a saved feed file) is
read with the live job's own source and transform; a sensor that is not in it
has no country.
"""

from __future__ import annotations

import tempfile
from functools import reduce
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ingest import model, transform
from ingest.sources import open_source


class LocationsError(Exception):
    """The feed that gives the countries cannot be read."""


def sensor_countries(spark: SparkSession, feed: str) -> DataFrame:
    """(sensor_id, country) of every sensor of the feed that has a country."""
    with tempfile.TemporaryDirectory(prefix="aqi-locations-") as spool:
        source = open_source(feed, [model.WINDOW_24H], Path(spool))
        fetched = source.fetch()
        if fetched.errors or not fetched.feeds:
            cause = "; ".join(fetched.errors) or "no feed"
            raise LocationsError(f"cannot read the sensors' countries from {feed}: {cause}")
        raw = reduce(
            DataFrame.unionByName,
            (transform.read_feed(spark, str(f.path), f.window) for f in fetched.feeds),
        )
        readings = transform.to_readings(raw).where(
            F.col(transform.REASON).isNull() & F.col("country").isNotNull()
        )
        countries = readings.groupBy("sensor_id").agg(F.max("country").alias("country"))
        return countries.localCheckpoint()
