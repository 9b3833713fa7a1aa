"""From raw Sensor.Community feeds to readings with the DAQI, in Spark column expressions.

No Python UDF: every step is a native expression, so it runs in the JVM on every
executor. Values arrive as JSON strings and are cast with ``try_cast`` (a bad
value becomes null and is counted, never an error that stops the cycle).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, LongType, StringType, StructField, StructType

from ingest import daqi, model

if TYPE_CHECKING:
    from pyspark import RDD

CORRUPT = "_corrupt_record"
RECORD = "_record"
REASON = "reason"
INVALID = "invalid_values"

#: Options of Spark's JSON reader for a spooled feed: a record that does not fit
#: :data:`FEED_SCHEMA` is kept whole, its line in ``_corrupt_record``.
READER_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
#: Bytes of a feed per block the driver ships to the executors.
SHIP_BLOCK = 8 << 20

_TEXT = StringType()
_NUMBER = LongType()

#: One record of the v2 feed. Ids are JSON numbers; everything else the service
#: sends as strings ("12.30") is read as a string and cast afterwards, so an odd
#: value is counted, never an error. A record whose shape does not fit keeps its
#: text in ``_corrupt_record`` and is quarantined alone.
FEED_SCHEMA = StructType(
    [
        StructField("id", _NUMBER),
        StructField("timestamp", _TEXT),
        StructField(
            "location",
            StructType(
                [
                    StructField("id", _NUMBER),
                    StructField("latitude", _TEXT),
                    StructField("longitude", _TEXT),
                    StructField("altitude", _TEXT),
                    StructField("country", _TEXT),
                    StructField("indoor", _NUMBER),
                ]
            ),
        ),
        StructField(
            "sensor",
            StructType(
                [
                    StructField("id", _NUMBER),
                    StructField("pin", _TEXT),
                    StructField(
                        "sensor_type",
                        StructType(
                            [
                                StructField("id", _NUMBER),
                                StructField("name", _TEXT),
                                StructField("manufacturer", _TEXT),
                            ]
                        ),
                    ),
                ]
            ),
        ),
        StructField(
            "sensordatavalues",
            ArrayType(StructType([StructField("value", _TEXT), StructField("value_type", _TEXT)])),
        ),
        StructField(CORRUPT, _TEXT),
    ]
)

TIMESTAMP_FORMAT = "yyyy-MM-dd HH:mm:ss"

#: Pollutants that get an index, with their columns and bounds.
_INDEXED = (("aqi_pm25", "pm25", daqi.PM25_UPPER), ("aqi_pm10", "pm10", daqi.PM10_UPPER))


def read_feed(
    spark: SparkSession,
    path: str,
    window: str,
    ship_from_driver: bool | None = None,
    *,
    with_text: bool = False,
) -> DataFrame:
    """One spooled feed (JSON Lines, one record per line) as raw records tagged with its window.

    Spark's JSON reader parses the lines with :data:`FEED_SCHEMA` (no inference)
    and splits the file across cores; a record that does not fit keeps its line
    in ``_corrupt_record`` and is quarantined alone. ``with_text`` also keeps
    every record's line in ``_record``, for the quarantine.

    The spool is on the driver. In local mode Spark reads it in place; on a
    cluster (or with ``ship_from_driver``) the driver sends the lines along,
    compressed, so executors on other hosts need no shared storage.
    """
    if ship_from_driver is None:
        ship_from_driver = not (spark.sparkContext.master or "local").startswith("local")
    lines = _lines_from_driver(spark, path) if ship_from_driver else None
    if with_text:
        text = (
            spark.createDataFrame(lines.map(lambda line: (line,)), "value string")
            if lines is not None
            else spark.read.text(path)
        )
        parsed = F.from_json("value", FEED_SCHEMA, READER_OPTIONS).alias("_parsed")
        records = text.select(parsed, F.col("value").alias(RECORD)).select("_parsed.*", RECORD)
    else:
        reader = spark.read.schema(FEED_SCHEMA).options(**READER_OPTIONS)
        records = reader.json(lines if lines is not None else path)
    return records.withColumn("window", F.lit(window))


def _lines_from_driver(spark: SparkSession, path: str) -> RDD[str]:
    """The lines of a spooled feed as an RDD built from the driver's copy."""
    blocks = list(_compressed_blocks(Path(path)))
    return spark.sparkContext.parallelize(blocks, max(1, len(blocks))).flatMap(_block_lines)


def _compressed_blocks(path: Path) -> Iterator[bytes]:
    """The file in zlib-compressed blocks of whole lines (about SHIP_BLOCK bytes each)."""
    with path.open("rb") as source:
        while block := source.read(SHIP_BLOCK):
            block += source.readline()
            yield zlib.compress(block, 1)


def _block_lines(block: bytes) -> list[str]:
    """The lines of one shipped block (only \\n ends a line: JSON escapes the others)."""
    return [line for line in zlib.decompress(block).decode("utf-8").split("\n") if line]


def _feed_time(text: Column) -> Column:
    """The feed's "YYYY-MM-DD HH:MM:SS" (UTC), or an ISO-8601 timestamp; null when neither."""
    return F.coalesce(F.try_to_timestamp(text, F.lit(TIMESTAMP_FORMAT)), F.try_to_timestamp(text))


def _number(column: Column) -> Column:
    """A finite double, or null (non-numeric, NaN and infinities are null)."""
    value = column.try_cast("double")
    return F.when(~F.isnan(value) & (F.abs(value) < float("inf")), value)


def _bad_number(column: Column) -> Column:
    """1 when a value is present but not a finite number, else 0."""
    return F.when(column.isNotNull() & _number(column).isNull(), 1).otherwise(0)


def _in_range(column: Column, bound: float) -> Column:
    value = _number(column)
    return F.when(F.abs(value) <= bound, value)


def index_column(concentration: Column, upper: tuple[int, ...]) -> Column:
    """DAQI index 1..10 of a concentration column; null when negative or missing."""
    limits = daqi.rounding_limits(upper)
    banded = reduce(
        lambda expr, item: expr.when(concentration < item[1], item[0]),
        enumerate(limits[1:], start=2),
        F.when(concentration < limits[0], 1),
    ).otherwise(daqi.MAX_INDEX)
    return F.when(concentration >= 0, banded).cast("int")


def band_column(index: Column) -> Column:
    """Band name of an overall index column (:data:`ingest.daqi.BAND_UPPER`)."""
    (first, first_upper), *middle, (top, _) = daqi.BAND_UPPER.items()
    expr = reduce(
        lambda acc, item: acc.when(index <= item[1], item[0]),
        middle,
        F.when(index <= first_upper, first),
    )
    return F.when(index.isNotNull(), expr.otherwise(top))


def to_readings(raw: DataFrame, *, carry: Sequence[str] = ()) -> DataFrame:
    """Raw feed rows -> one row per reading, with a ``reason`` for the unusable ones.

    Rows whose ``reason`` is not null belong in the quarantine; the others carry
    every column of :data:`ingest.model.COLUMNS` but the DAQI ones (added by
    :func:`with_index`), plus ``invalid_values`` (how many values could not be used).
    The ``carry`` columns of ``raw`` are passed through unchanged.
    """
    values = F.filter("sensordatavalues", lambda v: v["value_type"].isNotNull())
    known = list(model.MEASURE_COLUMNS)
    # Higher-order functions run interpreted, not compiled: each is evaluated once
    # per record in its own projection, and the measures are map look-ups after it.
    unpacked = raw.select(
        "window",
        "timestamp",
        "location",
        "sensor",
        CORRUPT,
        F.map_from_entries(
            F.transform(values, lambda v: F.struct(v["value_type"], v["value"]))
        ).alias("_values"),
        F.coalesce(F.size(values), F.lit(0)).alias(model.VALUE_COUNT),
        *carry,
    ).withColumn("_extra", F.map_filter("_values", lambda k, _v: ~k.isin(known)))
    by_type = F.col("_values")
    extra_raw = F.col("_extra")

    time = _feed_time(F.col("timestamp"))
    columns: dict[str, Column] = {
        "window": F.col("window"),
        "sensor_id": F.col("sensor.id"),
        "location_id": F.col("location.id"),
        "country": F.nullif(F.trim(F.col("location.country")), F.lit("")),
        "sensor_type": F.nullif(F.trim(F.col("sensor.sensor_type.name")), F.lit("")),
        "indoor": F.col("location.indoor").try_cast("int"),
        "latitude": _in_range(F.col("location.latitude"), 90.0),
        "longitude": _in_range(F.col("location.longitude"), 180.0),
        "altitude": _number(F.col("location.altitude")),
    }
    for value_type, name in model.MEASURE_COLUMNS.items():
        columns[name] = _number(by_type[value_type])
    columns[model.VALUE_COUNT] = F.col(model.VALUE_COUNT)
    columns[model.HOURS] = F.lit(None).cast("int")  # archive means only
    columns[model.EXTRA] = F.map_filter(
        F.transform_values(extra_raw, lambda _k, v: _number(v)), lambda _k, v: v.isNotNull()
    )
    invalid = [_bad_number(by_type[t]) for t in model.MEASURE_COLUMNS]
    invalid.append(
        F.size(F.map_filter(extra_raw, lambda _k, v: _number(v).isNull() & v.isNotNull()))
    )
    columns[INVALID] = reduce(lambda a, b: a + b, invalid)

    return unpacked.select(
        time.alias("time"),
        *(expr.alias(name) for name, expr in columns.items()),
        _reason(unpacked).alias(REASON),
        *carry,
    )


def _reason(raw: DataFrame) -> Column:
    """Why a raw record cannot be stored, or null when it can."""
    return (
        F.when(raw["sensor"]["id"].isNull(), "missing or non-numeric sensor id")
        .when(raw["location"]["id"].isNull(), "missing or non-numeric location id")
        .when(_feed_time(raw["timestamp"]).isNull(), "missing or unparseable timestamp")
        .when(raw[CORRUPT].isNotNull(), "malformed record: a field has the wrong type")
    )


def with_index(readings: DataFrame) -> DataFrame:
    """Adds the DAQI columns: computed from 24-hour means only, null on 5-minute rows."""
    is_daily = F.col("window") == model.WINDOW_24H
    indexed = readings
    for index_name, measure, upper in _INDEXED:
        indexed = indexed.withColumn(
            index_name, F.when(is_daily, index_column(F.col(measure), upper))
        )
    indexed = indexed.withColumn("aqi", F.greatest("aqi_pm25", "aqi_pm10"))
    return indexed.withColumn(model.BAND_COLUMN, band_column(F.col("aqi")))


def missing_index() -> Column:
    """On rows of :func:`with_index`: how many 24-hour PM values are present but got no index."""
    daily = F.col("window") == model.WINDOW_24H
    return reduce(
        lambda a, b: a + b,
        (
            F.when(daily & F.col(measure).isNotNull() & F.col(index).isNull(), 1).otherwise(0)
            for index, measure, _ in _INDEXED
        ),
    )


def sink_frame(readings: DataFrame) -> DataFrame:
    """The columns every sink stores, in model order, with time as epoch seconds."""
    return readings.select(
        F.unix_seconds("time").alias("time"),
        *(F.col(c) for c in model.COLUMNS if c != "time"),
    )


def quarantine_frame(raw: DataFrame) -> DataFrame:
    """Raw records that cannot be stored, with their reason and their original text."""
    return (
        raw.withColumn(REASON, _reason(raw))
        .where(F.col(REASON).isNotNull())
        .select("window", REASON, F.col(RECORD).alias("record"))
    )
