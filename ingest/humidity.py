"""The humidity flag of PM readings, and the opt-in hygroscopic growth correction.

Optical PM sensors (SDS011, PMS5003 and the like) have no dryer at the inlet:
particles take up water and fog droplets are counted as particles, so the
reported mass rises steeply at high relative humidity. Published evaluations:

- Jayaratne et al. (2018), Atmos. Meas. Tech. 11, 4883-4890, doi:10.5194/amt-11-4883-2018:
  Plantower PMS1003, significant increases in particle number and mass above
  about 75 % RH; in fog PM10 read 46 % above a dried reference.
- Badura et al. (2018), J. Sensors 2018, 5096540, doi:10.1155/2018/5096540:
  SDS011 (and OPC-N2) beside a TEOM in Wroclaw, clear overestimation above 80 % RH.
- Crilley et al. (2018), Atmos. Meas. Tech. 11, 709-720, doi:10.5194/amt-11-709-2018:
  Alphasense OPC-N2, large positive artefacts above about 85 % RH, and a
  correction from kappa-Koehler theory (used here, opt-in).

:data:`THRESHOLD_RH` is 80 %: the level measured for the SDS011, the most
common sensor of the network, between the other two findings. The humidity
comes from another sensor of the same node (DHT22, BME280: another sensor id
at the same location id), so a PM reading is judged on the humidity its
location reported in the same feed and window, nearest in time within
:data:`MATCH_SECONDS`.

This module is the one home of the threshold and the formula: the Python
functions and the Spark columns below use the same constants.
"""

from __future__ import annotations

import math
from functools import reduce
from typing import Final

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ingest import model

#: A PM reading is flagged humid at this relative humidity (percent) or above.
THRESHOLD_RH: Final = 80.0

#: A humidity reading counts for a PM reading of the same location and window
#: at most this far apart in time (a node reports about every 145 s).
MATCH_SECONDS: Final = 300

#: Hygroscopicity parameter kappa suggested for the opt-in correction; the right
#: value depends on the aerosol's composition (Crilley et al. 2020, AMT 13, 1181).
SUGGESTED_KAPPA: Final = 0.4

#: Particle density (g/cm3) in Crilley et al. (2018)'s form of the correction.
PARTICLE_DENSITY: Final = 1.65

#: Largest kappa the option accepts (sea salt is about 1.3).
MAX_KAPPA: Final = 2.0


def is_humid(relative_humidity: float | None) -> int:
    """The flag of a PM reading: 1 at or above :data:`THRESHOLD_RH`, else 0.

    Without a usable humidity the reading is not flagged (0); the humidity it
    was judged on, stored beside the flag, is then null.
    """
    if relative_humidity is None or not usable(relative_humidity):
        return 0
    return 1 if relative_humidity >= THRESHOLD_RH else 0


def usable(relative_humidity: float | None) -> bool:
    """A relative humidity between 0 and 100 % (a sensor fault reads outside it)."""
    return (
        relative_humidity is not None
        and math.isfinite(relative_humidity)
        and 0.0 <= relative_humidity <= 100.0
    )


def growth_factor(relative_humidity: float, kappa: float) -> float | None:
    """Crilley et al. (2018)'s mass growth factor C = 1 + (kappa / 1.65) / (-1 + 1 / a_w).

    ``a_w`` is the water activity, taken as RH / 100. Written here as the equal
    1 + (kappa / 1.65) * RH / (100 - RH), which is defined at 0 % RH (C = 1) and
    grows without bound towards saturation: at 100 % RH there is none.
    """
    if not usable(relative_humidity) or relative_humidity >= 100.0:
        return None
    return 1.0 + (kappa / PARTICLE_DENSITY) * relative_humidity / (100.0 - relative_humidity)


def corrected(pm: float | None, relative_humidity: float | None, kappa: float) -> float | None:
    """The measured concentration divided by the growth factor; None when it has none."""
    if pm is None or relative_humidity is None:
        return None
    factor = growth_factor(relative_humidity, kappa)
    return None if factor is None else pm / factor


def humid_column(relative_humidity: Column) -> Column:
    """:func:`is_humid` as a Spark column, for humidities already known to be usable or null."""
    return F.when(relative_humidity >= THRESHOLD_RH, 1).otherwise(0)


def corrected_column(pm: Column, relative_humidity: Column, kappa: float) -> Column:
    """:func:`corrected` as a Spark column, for humidities already known to be usable."""
    wet = F.try_divide(relative_humidity, F.lit(100.0) - relative_humidity)
    factor = F.lit(1.0) + F.lit(kappa / PARTICLE_DENSITY) * wet
    return F.when(relative_humidity < 100.0, pm / factor)


_PM = ("pm25", "pm10")
_KEY = list(model.KEY)


def with_humidity(readings: DataFrame, kappa: float | None = None) -> DataFrame:
    """Adds :data:`ingest.model.HUMIDITY_COLUMNS` to readings of one cycle.

    Each reading with PM gets the usable humidity that its location reported
    in the same window nearest in time (at most :data:`MATCH_SECONDS` apart;
    a reading that carries its own humidity uses it), the flag, and with a
    ``kappa`` the corrected PM columns. Readings without PM get nulls.
    """
    has_pm = reduce(lambda a, b: a | b, (F.col(c).isNotNull() for c in _PM))
    humidities = readings.where(
        F.col("humidity").between(0.0, 100.0) & F.col("location_id").isNotNull()
    ).select(
        F.col("window").alias("_h_window"),
        F.col("location_id").alias("_h_location"),
        F.unix_seconds("time").alias("_h_time"),
        F.col("humidity").alias("_h_rh"),
    )
    pm = readings.where(has_pm).select(*_KEY, "location_id")
    distance = F.abs(F.unix_seconds(F.col("time")) - F.col("_h_time"))
    matched = (
        pm.join(
            humidities,
            (F.col("window") == F.col("_h_window"))
            & (F.col("location_id") == F.col("_h_location"))
            & (distance <= MATCH_SECONDS),
        )
        .groupBy(*_KEY)
        .agg(F.min_by("_h_rh", F.struct(distance, F.col("_h_rh"))).alias(model.HUMID_RH))
    )
    flagged = readings.join(matched, _KEY, "left")
    rh = F.col(model.HUMID_RH)
    flagged = flagged.withColumn(model.HUMID, F.when(has_pm, humid_column(rh)).cast("int"))
    for measure, name in model.CORRECTED.items():
        value = corrected_column(F.col(measure), rh, kappa) if kappa is not None else F.lit(None)
        flagged = flagged.withColumn(name, value.cast("double"))
    return flagged
