"""Archive CSV lines -> readings, in Spark column expressions, with a reason for the bad ones.

Spark's CSV reader cannot read the archive as it is: with ``enforceSchema=true``
(the default) it maps columns by position, so a file of an older header puts one
column's values under another's name; with ``enforceSchema=false`` it checks the
header against the schema, also by position, and a header of another length
fails the whole job. So the files are read as lines (``spark.read.text``: split
across cores, ``.gz`` decompressed) and each line is mapped onto its own file's
header by name. The typed schema is applied afterwards by the feed's own
transform (:func:`ingest.transform.to_readings`): a value that is not a finite
number becomes null and is counted, an unusable line gets a reason.

Line numbers: the scan tags every line with ``monotonically_increasing_id()``,
consecutive within a Spark partition, and one small aggregate gives the first
position of each (file, block). A file smaller than
``spark.sql.files.maxPartitionBytes`` (128 MB, every day file) is one block, so
``position - first + 1`` is its line number; a larger file (a month file) is
split, and its lines are numbered from the block's byte offset.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType

from ingest import model, transform
from ingest.archive import layout

FILE = "_file"
NAME = "_name"
BLOCK = "_block"
POSITION = "_position"
LINE = "_line"
DIGEST = "_digest"
LINE_NUMBER = "_line_number"
HEADER = "_header"
FIRST = "_first_position"
PROBLEM = "_problem"
#: Why a usable line is left out of the means (not an error): outside the
#: requested days, area or country.
SKIPPED = "_skipped"

#: Columns every parsed line keeps besides the reading.
LOCATOR = (FILE, BLOCK, LINE_NUMBER, LINE, DIGEST)


def read_lines(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Every line of the files, with its file, block and position in the scan.

    A byte-order mark and a trailing carriage return are removed; empty lines
    are kept here so that positions stay line numbers. A file that breaks off
    (a gzip stream cut short) gives the lines before the break, and one that
    vanished since the listing gives none: Spark logs either, the run goes on.
    """
    files = spark.read.options(ignoreCorruptFiles=True, ignoreMissingFiles=True)
    return files.text(paths).select(
        F.col("_metadata.file_path").alias(FILE),
        F.col("_metadata.file_name").alias(NAME),
        F.col("_metadata.file_block_start").alias(BLOCK),
        F.monotonically_increasing_id().alias(POSITION),
        F.regexp_replace(F.col("value"), "^\ufeff|\r+$", "").alias(LINE),
    )


def _is_header(line: Column) -> Column:
    return F.lower(F.trim(F.substring_index(line, layout.SEPARATOR, 1))) == layout.SENSOR_ID


def header_names(line: str) -> list[str]:
    """The column names of a header line, with the archive's names made the feed's."""
    names = (name.strip() for name in line.split(layout.SEPARATOR))
    return [layout.VALUE_TYPE_ALIASES.get(name, name) for name in names]


def blocks(spark: SparkSession, lines: DataFrame) -> DataFrame:
    """Per (file, block) of the scan: its first position and its file's header names.

    One small aggregate, collected: a batch has a few thousand files at most.
    """
    header_line = F.when(_is_header(F.col(LINE)), F.struct(POSITION, LINE))
    found = lines.groupBy(FILE, BLOCK).agg(
        F.min(POSITION).alias(FIRST), F.min(header_line)[LINE].alias(HEADER)
    )
    rows = found.collect()
    headers: dict[str, tuple[int, str]] = {}
    for row in rows:
        if row[HEADER] is not None and (
            row[FILE] not in headers or row[BLOCK] < headers[row[FILE]][0]
        ):
            headers[row[FILE]] = (row[BLOCK], row[HEADER])
    table = [
        (
            r[FILE],
            r[BLOCK],
            r[FIRST],
            header_names(headers[r[FILE]][1]) if r[FILE] in headers else None,
        )
        for r in rows
    ]
    schema = f"{FILE} string, {BLOCK} long, {FIRST} long, {HEADER} array<string>"
    return spark.createDataFrame(table, schema)


def _period(name: Column) -> tuple[Column, Column]:
    """First and last UTC day of a file, from its name (a day or a month)."""
    text = F.regexp_extract(name, layout.NAME_DATE, 1)
    first = F.try_to_date(F.when(F.length(text) == 7, F.concat(text, F.lit("-01"))).otherwise(text))
    last = F.when(F.length(text) == 7, F.last_day(first)).otherwise(first)
    return first, last


def parse(
    spark: SparkSession,
    lines: DataFrame,
    first_day: date,
    last_day: date,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    countries: DataFrame | None = None,
    country: str | None = None,
) -> DataFrame:
    """Data lines -> one row per reading with :data:`PROBLEM` set on the bad ones.

    Rows keep :data:`LOCATOR` (file, block, line number, text and a digest of the
    text for duplicates) and :data:`SKIPPED` for usable readings outside the
    requested days, ``bbox`` (min lon, min lat, max lon, max lat) or ``country``
    (``countries`` maps sensor_id to country).
    """
    with_blocks = lines.join(F.broadcast(blocks(spark, lines)), [FILE, BLOCK], "left")
    data = with_blocks.where(~_is_header(F.col(LINE)) & (F.trim(F.col(LINE)) != ""))
    fields = F.split(F.col(LINE), layout.SEPARATOR, -1)
    header = F.col(HEADER)
    fits = header.isNotNull() & (F.size(fields) == F.size(header))
    record = F.when(fits, F.map_from_arrays(header, fields))
    first, last = _period(F.col(NAME))
    shaped = data.select(
        F.col(FILE),
        F.col(BLOCK),
        (F.col(POSITION) - F.col(FIRST) + 1).alias(LINE_NUMBER),
        F.col(LINE),
        F.xxhash64(F.col(LINE)).alias(DIGEST),
        first.alias("_first_day"),
        last.alias("_last_day"),
        F.when(header.isNull(), F.lit("no header line in the file"))
        .when(
            ~fits,
            F.format_string(
                "%d fields where the header has %d (a line cut short?)",
                F.size(fields),
                F.size(header),
            ),
        )
        .alias(PROBLEM),
        record.alias("_record"),
    )
    readings = transform.to_readings(
        _as_feed_records(shaped), carry=(*LOCATOR, "_first_day", "_last_day", PROBLEM)
    )
    day = F.to_date(F.col("time"))
    outside_file = day.isNotNull() & ((day < F.col("_first_day")) | (day > F.col("_last_day")))
    problem = F.coalesce(
        F.col(PROBLEM),
        F.col(transform.REASON),
        F.when(outside_file, F.lit("timestamp outside the days of the file")),
    )
    skipped = F.when(
        (day < F.lit(first_day)) | (day > F.lit(last_day)), F.lit("outside the requested days")
    )
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        inside = F.col("longitude").between(min_lon, max_lon) & F.col("latitude").between(
            min_lat, max_lat
        )
        skipped = skipped.when(~F.coalesce(inside, F.lit(False)), F.lit("outside the area"))
    parsed = readings.withColumn(PROBLEM, problem).drop(transform.REASON, "_first_day", "_last_day")
    if countries is not None:
        parsed = parsed.drop("country").join(F.broadcast(countries), "sensor_id", "left")
        if country is not None:
            skipped = skipped.when(
                F.coalesce(F.col("country"), F.lit("")) != country, F.lit("outside the country")
            )
    return parsed.withColumn(SKIPPED, F.when(F.col(PROBLEM).isNull(), skipped))


def _as_feed_records(shaped: DataFrame) -> DataFrame:
    """Archive records in the shape of the v2 feed's records, for the feed's transform."""
    record = F.col("_record")
    text = StringType()
    values = F.map_filter(
        record,
        lambda name, value: ~name.isin(list(layout.IDENTITY)) & (F.trim(value) != ""),
    )
    return shaped.select(
        F.lit(model.WINDOW_1D).alias("window"),
        F.trim(record[layout.TIMESTAMP]).alias("timestamp"),
        F.struct(
            F.trim(record[layout.LOCATION]).try_cast(LongType()).alias("id"),
            record[layout.LATITUDE].alias("latitude"),
            record[layout.LONGITUDE].alias("longitude"),
            record[layout.ALTITUDE].alias("altitude"),
            F.lit(None).cast(text).alias("country"),
            F.lit(None).cast(LongType()).alias("indoor"),
        ).alias("location"),
        F.struct(
            F.trim(record[layout.SENSOR_ID]).try_cast(LongType()).alias("id"),
            F.lit(None).cast(text).alias("pin"),
            F.struct(
                F.lit(None).cast(LongType()).alias("id"),
                record[layout.SENSOR_TYPE].alias("name"),
                F.lit(None).cast(text).alias("manufacturer"),
            ).alias("sensor_type"),
        ).alias("sensor"),
        F.transform(
            F.map_entries(values),
            lambda entry: F.struct(
                F.trim(entry["value"]).alias("value"), entry["key"].alias("value_type")
            ),
        ).alias("sensordatavalues"),
        F.lit(None).cast(text).alias(transform.CORRUPT),
        *LOCATOR,
        "_first_day",
        "_last_day",
        PROBLEM,
    )
