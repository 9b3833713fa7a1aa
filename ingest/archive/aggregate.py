"""Hourly and daily means of archive readings, and the DAQI of a calendar day.

Per sensor and UTC hour (window ``1h``) and UTC day (window ``1d``), each
measure is the mean of the period's finite readings; particulate matter counts
only non-negative readings. A daily PM2.5 or PM10 mean gets its DAQI index only
when its readings fall in at least :data:`MIN_HOURS` distinct hours of the day
(the UK rule of 75 % data capture for a daily mean); otherwise the mean is
stored with no index. The index is the rule of :mod:`ingest.daqi` through
:func:`ingest.transform.index_column` and :func:`ingest.transform.band_column`.

Sums are taken in decimal, which is exact and so independent of the order
Spark adds partial sums in: the same readings give the same bits on any master.
Daily sums are added up from the hourly ones, and a value's hours are the hourly
groups it has, so no distinct count is needed.
"""

from __future__ import annotations

from functools import reduce
from typing import Final

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from ingest import daqi, model, transform

#: Hours of a day a daily mean must cover to get an index (18 of 24, 75 %).
MIN_HOURS: Final = 18

#: Measures that cannot be negative: the particulate matter columns (P0, P1, P2, P4).
PARTICULATE: Final = tuple(model.MEASURE_COLUMNS[t] for t in ("P0", "P1", "P2", "P4"))

#: (index column, measure, bounds) of the pollutants that get an index.
INDEXED: Final = (
    (model.INDEX_COLUMNS[0], "pm25", daqi.PM25_UPPER),
    (model.INDEX_COLUMNS[1], "pm10", daqi.PM10_UPPER),
)

#: Exact sums: 9 decimal places hold every archive value (they have at most 3).
_EXACT = "decimal(28,9)"
_PERIOD = "_period"
_NEWEST = "_newest"
_COUNT = "_count"
_SUM = "_sum"
_HOURS = "_hours"
#: Columns a mean computes; every other column of the model (location, sensor
#: type, country, ...) is taken from the period's newest reading.
_COMPUTED: Final = frozenset(
    {
        "time",
        "window",
        "sensor_id",
        *model.MEASURES,
        *model.INDEX_COLUMNS,
        model.BAND_COLUMN,
        model.VALUE_COUNT,
        model.HOURS,
        model.EXTRA,
    }
)


def _entries(readings: DataFrame) -> Column:
    """A reading's usable values as (key, is_extra, value) entries."""
    measures = F.array(
        *(
            F.struct(F.lit(m).alias("key"), F.lit(False).alias("is_extra"), F.col(m).alias("value"))
            for m in model.MEASURES
        )
    )
    extra = F.transform(
        F.map_entries(F.col(model.EXTRA)),
        lambda e: F.struct(
            e["key"].alias("key"), F.lit(True).alias("is_extra"), e["value"].alias("value")
        ),
    )
    return F.filter(
        F.concat(measures, extra),
        lambda e: (
            e["value"].isNotNull()
            & (e["is_extra"] | ~e["key"].isin(list(PARTICULATE)) | (e["value"] >= 0))
        ),
    )


def hourly_sums(readings: DataFrame) -> DataFrame:
    """Per sensor, UTC hour and value: how many readings, their exact sum, the newest reading.

    ``readings`` are deduplicated readings with the model's columns.
    """
    carried = [c for c in model.COLUMNS if c not in _COMPUTED and c in readings.columns]
    entries = readings.select(
        "sensor_id",
        F.date_trunc("hour", "time").alias(_PERIOD),
        F.struct("time", *carried).alias(_NEWEST),
        F.inline(_entries(readings)),
    )
    return entries.groupBy("sensor_id", _PERIOD, "key", "is_extra").agg(
        F.count("value").alias(_COUNT),
        F.sum(F.col("value").cast(_EXACT)).alias(_SUM),
        F.lit(1).alias(_HOURS),
        F.max(_NEWEST).alias(_NEWEST),
    )


def daily_sums(hourly: DataFrame) -> DataFrame:
    """:func:`hourly_sums` added up per UTC day; the hours are the day's hours with that value."""
    return hourly.groupBy(
        "sensor_id", F.date_trunc("day", _PERIOD).alias(_PERIOD), "key", "is_extra"
    ).agg(
        F.sum(_COUNT).alias(_COUNT),
        F.sum(_SUM).alias(_SUM),
        F.count(F.lit(1)).alias(_HOURS),
        F.max(_NEWEST).alias(_NEWEST),
    )


def means(sums: DataFrame, window: str) -> DataFrame:
    """One row per sensor and period of ``window``, in :data:`ingest.model.COLUMNS` order.

    ``sums`` come from :func:`hourly_sums` (``1h``) or :func:`daily_sums` (``1d``).
    ``value_count`` is how many readings the row's best covered value has, and
    ``hours`` in how many distinct hours its readings fall.
    """
    mean = F.col(_SUM).cast("double") / F.col(_COUNT)
    measure = ~F.col("is_extra")
    wide = sums.groupBy("sensor_id", _PERIOD).agg(
        *(F.max(F.when(measure & (F.col("key") == m), mean)).alias(m) for m in model.MEASURES),
        *(
            F.max(F.when(measure & (F.col("key") == m), F.col(_HOURS))).alias(f"_hours_{m}")
            for _, m, _ in INDEXED
        ),
        F.map_from_entries(
            F.array_sort(F.collect_list(F.when(F.col("is_extra"), F.struct("key", mean))))
        ).alias(model.EXTRA),
        F.max(_COUNT).cast("int").alias(model.VALUE_COUNT),
        F.max(_HOURS).cast("int").alias(model.HOURS),
        F.max(_NEWEST).alias(_NEWEST),
    )
    newest = sums.schema[_NEWEST].dataType
    assert isinstance(newest, StructType)
    carried = [f.name for f in newest.fields if f.name != "time"]
    columns: dict[str, Column] = {
        "time": F.col(_PERIOD),
        "window": F.lit(window),
        "sensor_id": F.col("sensor_id"),
        **{c: F.col(f"{_NEWEST}.{c}") for c in carried},
        **{m: F.col(m) for m in model.MEASURES},
        **_indices(window),
        model.VALUE_COUNT: F.col(model.VALUE_COUNT),
        model.HOURS: F.col(model.HOURS),
        model.EXTRA: F.col(model.EXTRA),
    }
    absent = {c: F.lit(None) for c in model.COLUMNS if c not in columns}
    columns = {**columns, **absent}
    return wide.select(*(columns[c].alias(c) for c in model.COLUMNS))


def hourly_and_daily(readings: DataFrame) -> DataFrame:
    """The ``1h`` and ``1d`` rows of deduplicated readings, one frame."""
    hourly = hourly_sums(readings)
    return means(hourly, model.WINDOW_1H).unionByName(means(daily_sums(hourly), model.WINDOW_1D))


def _indices(window: str) -> dict[str, Column]:
    """The DAQI columns: daily means with enough hours only, null otherwise."""
    indices: dict[str, Column] = {}
    for index_name, measure, upper in INDEXED:
        enough = F.col(f"_hours_{measure}") >= MIN_HOURS
        index = transform.index_column(F.col(measure), upper)
        indices[index_name] = (
            F.when(enough, index) if window == model.WINDOW_1D else F.lit(None).cast("int")
        )
    overall = F.greatest(*indices.values())
    indices[model.INDEX_COLUMNS[2]] = overall
    indices[model.BAND_COLUMN] = transform.band_column(overall)
    return indices


def below_capture() -> Column:
    """On daily rows: 1 when PM2.5 or PM10 has a mean but no index (too few hours)."""
    missing = [
        F.col(measure).isNotNull() & F.col(index_name).isNull()
        for index_name, measure, _ in INDEXED
    ]
    return F.when(reduce(lambda a, b: a | b, missing), 1).otherwise(0)
