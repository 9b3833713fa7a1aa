"""The Timestream sink over HTTP against a moto server on 127.0.0.1, and through Spark.

moto is a mock: it stores what WriteRecords sends and validates almost nothing
(no limits, no duplicates, empty query results). These tests prove the wire
path: URL to client, endpoint, signing, request shape, the records that arrive,
and the executor path with the sink pickled to Spark's Python workers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.server import ThreadedMotoServer
from moto.timestreamwrite.models import timestreamwrite_backends

from ingest import model
from ingest.sinks import SinkError, open_sink
from ingest.sinks.timestream import (
    TableRetention,
    TimestreamSink,
    build_record,
    close_clients,
    split_common,
)
from tests.ingest.timestream_helpers import (
    FAKE_AWS_ENV,
    REGION,
    ParamsRecorder,
    reading,
    readings,
    use_fake_aws,
)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def table(moto_endpoint, monkeypatch) -> Iterator[tuple[str, str]]:
    """A fresh database and table on the moto server (memory store: 12 hours)."""
    use_fake_aws(monkeypatch)
    database = f"aqi-{uuid.uuid4().hex[:8]}"
    admin = boto3.client("timestream-write", region_name=REGION, endpoint_url=moto_endpoint)
    admin.create_database(DatabaseName=database)
    admin.create_table(
        DatabaseName=database,
        TableName="air_quality",
        RetentionProperties={
            "MemoryStoreRetentionPeriodInHours": 12,
            "MagneticStoreRetentionPeriodInDays": 30,
        },
    )
    yield database, "air_quality"
    close_clients()


def stored(database: str, table: str) -> list[dict]:
    backend = timestreamwrite_backends[DEFAULT_ACCOUNT_ID][REGION]
    return list(backend.databases[database].tables[table].records)


def sink_for(endpoint: str, database: str, table: str) -> TimestreamSink:
    sink = open_sink(f"timestream://{database}/{table}?region={REGION}&endpoint={endpoint}")
    assert isinstance(sink, TimestreamSink)
    return sink


def test_readings_arrive_over_http_as_multi_measure_records(moto_endpoint, table):
    database, name = table
    sink = sink_for(moto_endpoint, database, name)
    sink.check()
    assert sink.retention == TableRetention(12, 30, False)

    calls = ParamsRecorder().attach(sink.client("timestream-write"))
    rows = readings(130, first_sensor=500)
    too_old = reading(sensor_id=999, age=13 * 3600)
    result = sink.write_rows([*rows, too_old])

    assert (result.written, result.failed) == (130, [])
    assert [r.row["sensor_id"] for r in result.rejected] == [999]
    records = stored(database, name)
    assert len(records) == 130
    by_sensor = {int(record["Dimensions"][1]["Value"]): record for record in records}
    assert by_sensor == {row["sensor_id"]: split_common(build_record(row)) for row in rows}
    first = by_sensor[500]
    assert {d["Name"]: d["Value"] for d in first["Dimensions"]}["sensor_id"] == "500"
    assert {m["Name"]: m["Type"] for m in first["MeasureValues"]}["band"] == "VARCHAR"
    assert first["Time"] == str(rows[0]["time"])
    # moto drops CommonAttributes; what was sent holds them once per call
    assert [len(c["Records"]) for c in calls.calls] in ([100, 30], [30, 100])
    assert all(c["CommonAttributes"]["TimeUnit"] == "SECONDS" for c in calls.calls)


def test_check_of_a_missing_table_is_a_sink_error(moto_endpoint, table):
    database, _ = table
    sink = sink_for(moto_endpoint, database, "no_such_table")
    with pytest.raises(SinkError, match=f"cannot reach Timestream table {database}.no_such_table"):
        sink.check()


def test_watermark_query_runs_over_http(moto_endpoint, table):
    database, name = table
    sink = sink_for(moto_endpoint, database, name)
    assert sink.restore_watermarks() == {}  # moto answers every query with no rows


@pytest.mark.slow
def test_spark_frame_is_written_from_the_executors(spark, moto_endpoint, table):
    from pyspark.sql import types as T

    database, name = table
    sink = sink_for(moto_endpoint, database, name)
    sink.check()

    schema = T.StructType(
        [
            T.StructField("time", T.LongType()),
            T.StructField("window", T.StringType()),
            T.StructField("sensor_id", T.LongType()),
            T.StructField("location_id", T.LongType()),
            T.StructField("country", T.StringType()),
            T.StructField("sensor_type", T.StringType()),
            T.StructField("indoor", T.IntegerType()),
            *(T.StructField(c, T.StringType()) for c in model.PLACE_COLUMNS),
            *(T.StructField(c, T.DoubleType()) for c in (*model.LOCATION, *model.MEASURES)),
            *(T.StructField(c, T.IntegerType()) for c in model.INDEX_COLUMNS),
            T.StructField("band", T.StringType()),
            T.StructField("value_count", T.IntegerType()),
            T.StructField("hours", T.IntegerType()),
            T.StructField("extra", T.MapType(T.StringType(), T.DoubleType())),
            T.StructField(model.HUMID, T.IntegerType()),
            *(T.StructField(c, T.DoubleType()) for c in model.HUMIDITY_COLUMNS[1:]),
        ]
    )
    assert tuple(schema.fieldNames()) == model.COLUMNS
    rows = [*readings(9, first_sensor=700), reading(sensor_id=799, pm25=float("inf"))]
    data = spark.sparkContext.parallelize([tuple(r[c] for c in model.COLUMNS) for r in rows], 2)
    frame = spark.createDataFrame(data, schema)
    assert frame.rdd.getNumPartitions() == 2

    # Python workers get the fake credentials from the context's executor environment.
    environment = spark.sparkContext.environment
    saved = dict(environment)
    environment.update(FAKE_AWS_ENV)
    try:
        result = sink.write(frame)
    finally:
        environment.clear()
        environment.update(saved)

    assert result.failed == []
    assert result.written == 9
    assert [(r.row["sensor_id"], r.reason.split(":")[0]) for r in result.rejected] == [
        (799, "non-finite DOUBLE")
    ]
    records = stored(database, name)
    sensors = sorted(
        int(d["Value"]) for r in records for d in r["Dimensions"] if d["Name"] == "sensor_id"
    )
    assert sensors == list(range(700, 709))
    expected = {r["sensor_id"]: split_common(build_record(r)) for r in rows[:9]}
    for record in records:
        sensor = int(next(d["Value"] for d in record["Dimensions"] if d["Name"] == "sensor_id"))
        assert record == expected[sensor]
