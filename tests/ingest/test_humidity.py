"""The humidity flag and the opt-in correction, at the threshold's edges, in Python and Spark.

Expected values are computed by hand from the published rule (flag at 80 % RH
or above) and from Crilley et al. (2018)'s growth factor in its original
form C = 1 + (kappa / 1.65) / (-1 + 1 / a_w), not from the module's own form.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from pyspark.sql.types import (
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from ingest import humidity, model

T0 = 1_795_000_000


def paper_factor(rh: float, kappa: float) -> float:
    """Crilley et al. (2018), eq. as printed, with a_w = RH / 100."""
    return 1 + (kappa / 1.65) / (-1 + 1 / (rh / 100))


@pytest.mark.parametrize(
    ("rh", "flag"),
    [
        (79.9, 0),
        (79.99999, 0),
        (80.0, 1),
        (80.00001, 1),
        (100.0, 1),
        (0.0, 0),
        (None, 0),  # no humidity: not flagged
        (-0.1, 0),  # a faulty sensor's value is not used
        (100.1, 0),
        (math.nan, 0),
    ],
)
def test_flag_at_the_threshold_edges(rh, flag):
    assert humidity.is_humid(rh) == flag


def test_threshold_is_the_published_sds011_level():
    # Badura et al. (2018): SDS011 overestimates above 80 % RH.
    assert humidity.THRESHOLD_RH == 80.0


@pytest.mark.parametrize(
    ("pm", "rh", "kappa", "expected"),
    [
        # 0.4 / 1.65 = 0.242424..., times 80/20 = 4: C = 1.969697, 50 / C = 25.384615
        (50.0, 80.0, 0.4, 25.384615),
        # at 50 %: C = 1.242424, 30 / C = 24.146341
        (30.0, 50.0, 0.4, 24.146341),
        (30.0, 0.0, 0.4, 30.0),  # dry air: no growth
        (30.0, 100.0, 0.4, None),  # saturation: no factor
        (None, 80.0, 0.4, None),
        (30.0, None, 0.4, None),
    ],
)
def test_correction_by_hand(pm, rh, kappa, expected):
    value = humidity.corrected(pm, rh, kappa)
    if expected is None:
        assert value is None
    else:
        assert value == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("rh", [1.0, 35.0, 80.0, 95.0, 99.9])
def test_growth_factor_is_the_papers_formula(rh):
    assert humidity.growth_factor(rh, 0.4) == pytest.approx(paper_factor(rh, 0.4))


_SCHEMA = StructType(
    [
        StructField("window", StringType()),
        StructField("sensor_id", LongType()),
        StructField("time", TimestampType()),
        StructField("location_id", LongType()),
        StructField("pm25", DoubleType()),
        StructField("pm10", DoubleType()),
        StructField("humidity", DoubleType()),
    ]
)


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC).replace(tzinfo=None)


#: (window, sensor, offset s, location, pm25, pm10, humidity)
ROWS = [
    ("5m", 1, 0, 10, 20.0, 30.0, None),  # PM at location 10
    ("5m", 2, 0, 10, None, None, 80.0),  # its DHT22: exactly at the threshold
    ("5m", 3, 0, 11, 20.0, 30.0, None),
    ("5m", 4, 0, 11, None, None, 79.9),  # just below
    ("5m", 5, 0, 12, 20.0, 30.0, None),
    ("5m", 6, 300, 12, None, None, 95.0),  # 300 s later: still matched
    ("5m", 7, 0, 13, 20.0, 30.0, None),
    ("5m", 8, 301, 13, None, None, 95.0),  # 301 s later: too far
    ("5m", 9, 0, 14, 20.0, 30.0, None),  # no humidity at all
    ("24h", 10, 0, 15, 20.0, 30.0, None),
    ("5m", 11, 0, 15, None, None, 90.0),  # other window: not matched
    ("5m", 12, 0, 16, 20.0, 30.0, None),
    ("5m", 13, 200, 16, None, None, 85.0),  # farther
    ("5m", 14, -100, 16, None, None, 70.0),  # nearer: wins
    ("5m", 15, 0, 17, 20.0, 30.0, None),
    ("5m", 16, 0, 17, None, None, 250.0),  # sensor fault: unusable
    ("5m", 17, 0, 18, 20.0, None, 81.0),  # a sensor reporting both
]


@pytest.fixture(scope="module")
def frame(spark):
    rows = [(w, s, _at(dt), loc, a, b, h) for w, s, dt, loc, a, b, h in ROWS]
    return spark.createDataFrame(rows, _SCHEMA)


def flags(frame, kappa=None) -> dict[int, tuple]:
    out = humidity.with_humidity(frame, kappa).collect()
    return {
        r["sensor_id"]: (
            r[model.HUMID],
            r[model.HUMID_RH],
            *(r[c] for c in model.CORRECTED.values()),
        )
        for r in out
    }


def test_spark_flags_pm_readings_by_their_locations_humidity(frame):
    got = flags(frame)
    expected = {
        1: (1, 80.0),
        3: (0, 79.9),
        5: (1, 95.0),
        7: (0, None),
        9: (0, None),
        10: (0, None),
        12: (0, 70.0),
        15: (0, None),
        17: (1, 81.0),
    }
    for sensor, (flag, rh) in expected.items():
        assert got[sensor][:2] == (flag, rh), sensor
    for sensor in (2, 4, 6, 8, 11, 13, 14, 16):  # humidity sensors carry no PM: no flag
        assert got[sensor][:2] == (None, None), sensor
    assert all(value[2:] == (None, None) for value in got.values())  # correction is off
    assert len(got) == len(ROWS)  # no reading lost or doubled by the match


def test_spark_correction_is_opt_in_and_matches_python(frame):
    got = flags(frame, kappa=0.4)
    pm25, pm10 = got[1][2:]
    assert pm25 == pytest.approx(20.0 / paper_factor(80.0, 0.4))
    assert pm10 == pytest.approx(30.0 / paper_factor(80.0, 0.4))
    assert got[17][2:] == (pytest.approx(humidity.corrected(20.0, 81.0, 0.4)), None)
    assert got[9][2:] == (None, None)  # no humidity: nothing to correct


def test_spark_and_python_agree_around_the_threshold(spark):
    values = [0.0, 50.0, 79.9, 79.999, 80.0, 80.001, 99.0, 100.0]
    rows = []
    for i, rh in enumerate(values):
        rows.append(("5m", 100 + i, _at(0), 100 + i, 10.0, None, None))
        rows.append(("5m", 200 + i, _at(0), 100 + i, None, None, rh))
    got = flags(spark.createDataFrame(rows, _SCHEMA), kappa=0.4)
    for i, rh in enumerate(values):
        flag, judged, pm25, _ = got[100 + i]
        assert (flag, judged) == (humidity.is_humid(rh), rh)
        expected = humidity.corrected(10.0, rh, 0.4)
        assert pm25 == (None if expected is None else pytest.approx(expected)), rh
