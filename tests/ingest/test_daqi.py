"""The DAQI rule at every band edge, in plain Python and in the Spark expressions."""

from __future__ import annotations

import math

import pytest
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from ingest import cycle, daqi, transform

# (concentration as the feed sends it, PM2.5 index, PM10 index)
CASES = [
    ("0", 1, 1),
    ("11.4", 1, 1),
    ("11.49", 1, 1),
    ("11.5", 2, 1),
    ("16.4", 2, 1),
    ("16.5", 2, 2),
    ("23.4", 2, 2),
    ("23.5", 3, 2),
    ("33.5", 3, 3),
    ("35.4", 3, 3),
    ("35.5", 4, 3),
    ("41.5", 5, 3),
    ("47.5", 6, 3),
    ("50.4", 6, 3),
    ("50.5", 6, 4),
    ("53.5", 7, 4),
    ("58.4", 7, 4),
    ("58.5", 8, 5),
    ("64.5", 9, 5),
    ("66.5", 9, 6),
    ("70.4", 9, 6),
    ("70.5", 10, 6),
    ("75.5", 10, 7),
    ("83.5", 10, 8),
    ("91.5", 10, 9),
    ("100.4", 10, 9),
    ("100.5", 10, 10),
    ("1e9", 10, 10),
    ("1e308", 10, 10),
    ("-0.1", None, None),
    ("-12", None, None),
    ("NaN", None, None),
    ("Infinity", None, None),
    ("-Infinity", None, None),
    ("1e400", None, None),
    ("", None, None),
    ("twelve", None, None),
    (None, None, None),
]

# Every whole-number edge of the official table: the last value of each band and
# the first of the next, for both pollutants.
EDGES = [
    (str(bound + delta), upper, index + (delta > 0))
    for upper in (daqi.PM25_UPPER, daqi.PM10_UPPER)
    for index, bound in enumerate(upper, start=1)
    for delta in (0, 1)
]


@pytest.mark.parametrize(("value", "pm25", "pm10"), CASES)
def test_python_rule(value, pm25, pm10):
    assert daqi.index_for(value, daqi.PM25_UPPER) == pm25
    assert daqi.index_for(value, daqi.PM10_UPPER) == pm10


@pytest.mark.parametrize(("value", "upper", "expected"), EDGES)
def test_python_rule_whole_number_edges(value, upper, expected):
    assert daqi.index_for(value, upper) == expected


def test_no_value_falls_between_bands():
    """Every hundredth from 0 to 120 gets exactly one index, and indices never go down."""
    for upper in (daqi.PM25_UPPER, daqi.PM10_UPPER):
        previous = 1
        for hundredths in range(12_001):
            index = daqi.index_for(hundredths / 100, upper)
            assert index is not None and previous <= index <= previous + 1
            previous = index
        assert previous == 10


def test_overall_and_band():
    assert daqi.overall(3, 7) == 7
    assert daqi.overall(None, 4) == 4
    assert daqi.overall(None, None) is None
    assert [daqi.band_for(i) for i in (1, 3, 4, 6, 7, 9, 10)] == [
        "Low",
        "Low",
        "Moderate",
        "Moderate",
        "High",
        "High",
        "Very High",
    ]


def test_spark_expressions_agree_with_the_rule(spark):
    """The Spark columns give the same index as the Python rule on every case and edge."""
    values = [c[0] for c in CASES] + [e[0] for e in EDGES]
    frame = spark.createDataFrame(
        [(v,) for v in values], StructType([StructField("v", StringType())])
    )
    number = transform._number(F.col("v"))
    rows = frame.select(
        "v",
        transform.index_column(number, daqi.PM25_UPPER).alias("pm25"),
        transform.index_column(number, daqi.PM10_UPPER).alias("pm10"),
    ).collect()
    assert len(rows) == len(values)
    for row in rows:
        assert row["pm25"] == daqi.index_for(row["v"], daqi.PM25_UPPER), row
        assert row["pm10"] == daqi.index_for(row["v"], daqi.PM10_UPPER), row


def test_spark_band_names(spark):
    frame = spark.range(0, 12).withColumn("i", F.when(F.col("id") > 0, F.col("id")))
    got = {
        r["i"]: r["b"]
        for r in frame.select("i", transform.band_column(F.col("i")).alias("b")).collect()
    }
    for index in range(1, 11):
        assert got[index] == daqi.band_for(index)
    assert got[None] is None
    assert math.isclose(daqi.rounding_limits((11,))[0], 11.5)


# Defra's DAQI table by hand: each band with its indices, from the lowest band up.
OFFICIAL_BANDS = {"Low": (1, 2, 3), "Moderate": (4, 5, 6), "High": (7, 8, 9), "Very High": (10,)}


def test_band_facts_follow_the_official_table():
    assert {i: band for band, indices in OFFICIAL_BANDS.items() for i in indices} == daqi.BANDS
    assert tuple(OFFICIAL_BANDS) == daqi.BAND_ORDER
    assert {band: indices[-1] for band, indices in OFFICIAL_BANDS.items()} == daqi.BAND_UPPER
    assert tuple(daqi.ADVICE) == tuple(OFFICIAL_BANDS)


def daily_readings(spark, rows):
    """Readings as the summary sees them: (sensor_id, aqi, band) with the other columns filled."""
    return spark.createDataFrame(
        [(s, s, "GB", 51.5, -0.1, 10.0, 20.0, aqi, band) for s, aqi, band in rows],
        "sensor_id long, location_id long, country string, latitude double, longitude double, "
        "pm25 double, pm10 double, aqi int, band string",
    )


def test_the_summary_counts_every_band_in_order(spark):
    rows = [(1, 2, "Low"), (2, 3, "Low"), (3, 8, "High"), (4, None, None)]
    summary = cycle.summarize(daily_readings(spark, rows))
    assert summary.bands == {"Low": 2, "Moderate": 0, "High": 1, "Very High": 0}
    assert [w["aqi"] for w in summary.worst] == [8, 3, 2]


def test_spark_bands_and_the_summary_take_the_bands_from_the_daqi_table(spark, monkeypatch):
    """Another table in ingest.daqi changes both: neither keeps a copy of the bands."""
    monkeypatch.setattr(daqi, "BAND_UPPER", {"Clean": 5, "Dirty": 10})
    monkeypatch.setattr(daqi, "BAND_ORDER", ("Clean", "Dirty"))
    frame = spark.range(1, 11).select("id", transform.band_column(F.col("id")).alias("b"))
    assert {r["id"]: r["b"] for r in frame.collect()} == {
        i: "Clean" if i <= 5 else "Dirty" for i in range(1, 11)
    }
    summary = cycle.summarize(daily_readings(spark, [(1, 7, "Dirty")]))
    assert summary.bands == {"Clean": 0, "Dirty": 1}
