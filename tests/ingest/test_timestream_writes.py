"""Timestream sink calls, without network: botocore's Stubber and injected HTTP answers.

The Stubber answers before botocore's retry loop, so the retry tests inject HTTP
answers where botocore sends the signed request instead: the real standard-mode
retry logic runs around them (its back-off sleeps are recorded, not slept).
"""

from __future__ import annotations

import logging
import threading
import time
import types

import pytest
from botocore.stub import ANY, Stubber

from ingest.sinks import SinkError
from ingest.sinks.timestream import (
    COMMON_ATTRIBUTES,
    TableRetention,
    TimestreamSink,
    build_record,
    close_clients,
    parse_timestamp,
    split_common,
    watermark_query,
)
from tests.ingest.timestream_helpers import (
    REGION,
    HttpAnswers,
    ParamsRecorder,
    reading,
    readings,
    throttled,
    use_fake_aws,
    written,
)
from tools.local_influxdb import free_port

RETENTION = TableRetention(
    memory_store_hours=6, magnetic_store_days=30, magnetic_store_writes=False
)


@pytest.fixture(autouse=True)
def fake_aws(monkeypatch):
    use_fake_aws(monkeypatch)
    yield
    close_clients()  # each test starts with fresh clients and handlers


def make_sink(**settings) -> TimestreamSink:
    query = "&".join(f"{k}={v}" for k, v in {"workers": 1, **settings}.items())
    url = f"timestream://aqi/air_quality?region={REGION}&endpoint=http://127.0.0.1:9&{query}"
    sink = TimestreamSink.from_url(url)
    sink.retention = RETENTION
    return sink


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Back-off delays botocore asks for, recorded instead of slept."""
    delays: list[float] = []
    # Only botocore's own view of the time module is replaced: patching
    # time.sleep itself would also hit the threads Spark's Java bridge runs.
    monkeypatch.setattr("botocore.endpoint.time", types.SimpleNamespace(sleep=delays.append))
    return delays


def ingested(count: int) -> dict:
    return {"RecordsIngested": {"Total": count, "MemoryStore": count, "MagneticStore": 0}}


# -- batching and the request ---------------------------------------------------------------


def test_250_readings_are_sent_as_100_100_50_with_common_attributes():
    sink = make_sink()
    client = sink.client("timestream-write")
    calls = ParamsRecorder().attach(client)
    rows = readings(250)
    with Stubber(client) as stub:
        for count in (100, 100, 50):
            stub.add_response("write_records", ingested(count))
        result = sink.write_rows(iter(rows))
        stub.assert_no_pending_responses()

    assert (result.written, result.rejected, result.failed) == (250, [], [])
    assert [len(c["Records"]) for c in calls.calls] == [100, 100, 50]
    for call in calls.calls:
        assert call["DatabaseName"] == "aqi"
        assert call["TableName"] == "air_quality"
        assert call["CommonAttributes"] == {
            "MeasureName": "air_quality",
            "MeasureValueType": "MULTI",
            "TimeUnit": "SECONDS",
            "Version": 1,
        }
    sent = [record for call in calls.calls for record in call["Records"]]
    assert sent == [split_common(build_record(row)) for row in rows]
    assert all(set(r) == {"Dimensions", "MeasureValues", "Time"} for r in sent)


def test_invalid_readings_are_rejected_and_never_sent():
    sink = make_sink()
    client = sink.client("timestream-write")
    calls = ParamsRecorder().attach(client)
    too_old = reading(sensor_id=2, age=7 * 3600)
    not_finite = reading(sensor_id=3, pm25=float("nan"))
    not_a_number = reading(sensor_id=4, pm10="n/a")
    good = [reading(sensor_id=1), reading(sensor_id=5)]
    rows = [good[0], too_old, not_finite, not_a_number, good[1]]
    with Stubber(client) as stub:
        stub.add_response("write_records", ingested(2))
        result = sink.write_rows(rows)

    assert result.written == 2
    assert result.failed == []
    assert [(r.row["sensor_id"], r.reason.split(":")[0]) for r in result.rejected] == [
        (2, "time too old"),
        (3, "non-finite DOUBLE"),
        (4, "unencodable value"),
    ]
    sent_sensors = [
        d["Value"]
        for record in calls.calls[0]["Records"]
        for d in record["Dimensions"]
        if d["Name"] == "sensor_id"
    ]
    assert sent_sensors == ["1", "5"]


def test_rejections_are_kept_while_batches_complete():
    sink = make_sink(workers=1)  # at most two batches in flight: results merge early
    client = sink.client("timestream-write")
    rows = readings(450)
    rows.insert(10, reading(sensor_id=9001, pm25=float("nan")))
    rows.append(reading(sensor_id=9002, pm25=float("nan")))
    with Stubber(client) as stub:
        for count in (100, 100, 100, 100, 50):
            stub.add_response("write_records", ingested(count))
        result = sink.write_rows(iter(rows))
    assert result.written == 450
    assert [r.row["sensor_id"] for r in result.rejected] == [9001, 9002]


def test_nothing_to_write_makes_no_call():
    sink = make_sink()
    with Stubber(sink.client("timestream-write")) as stub:
        result = sink.write_rows([])
        stub.assert_no_pending_responses()
    assert (result.written, result.rejected, result.failed) == (0, [], [])


# -- rejected records -------------------------------------------------------------------------


def test_rejected_records_map_back_to_their_readings(caplog):
    sink = make_sink()
    client = sink.client("timestream-write")
    bad = reading(sensor_id=99, pm25=float("inf"))  # rejected locally: shifts nothing
    rows = [bad, *readings(5, first_sensor=10)]  # batch index i is rows[i + 1]
    duplicate = (
        "A record with the same dimensions, timestamp and measure name but a different "
        "measure value already exists."
    )
    old = "The record timestamp is outside the time range [1795800000, 1795820000) of the memory store."
    with Stubber(client) as stub:
        stub.add_client_error(
            "write_records",
            service_error_code="RejectedRecordsException",
            service_message="One or more records have been rejected.",
            http_status_code=419,
            modeled_fields={
                "RejectedRecords": [
                    {"RecordIndex": 1, "Reason": duplicate, "ExistingVersion": 1},
                    {"RecordIndex": 3, "Reason": old},
                    {"RecordIndex": 4, "Reason": old.replace("1795820000", "1795820060")},
                ]
            },
        )
        with caplog.at_level(logging.WARNING, logger="ingest.sinks.timestream"):
            result = sink.write_rows(rows)

    assert result.written == 2  # sensors 10 and 12 were ingested
    assert result.failed == []
    by_sensor = {r.row["sensor_id"]: r.reason for r in result.rejected}
    assert set(by_sensor) == {99, 11, 13, 14}
    assert by_sensor[11].startswith("rejected by Timestream: A record with the same dimensions")
    assert by_sensor[11].endswith("(existing version 1)")
    assert "outside the time range" in by_sensor[13]
    assert by_sensor[99].startswith("non-finite DOUBLE")
    # one log line per kind of reason, not per reading
    lines = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    assert len(lines) == 3
    assert any(
        " 2 readings rejected: rejected by Timestream: The record timestamp" in x for x in lines
    )


def test_rejection_without_record_indices_fails_the_batch_for_a_later_retry():
    sink = make_sink()
    with Stubber(sink.client("timestream-write")) as stub:
        stub.add_client_error("write_records", "RejectedRecordsException", "rejected", 419)
        result = sink.write_rows(readings(3))
    assert result.written == 0
    assert result.rejected == []
    assert len(result.failed) == 1


# -- retries and failures -------------------------------------------------------------------


def test_throttled_call_is_retried_by_botocore_and_nothing_is_lost(sleeps):
    sink = make_sink(retry_mode="standard", max_attempts=4)
    client = sink.client("timestream-write")
    answers = HttpAnswers(lambda attempt, body: throttled() if attempt <= 2 else written(40))
    with answers.installed(client):
        result = sink.write_rows(readings(40))

    assert answers.attempts == 3
    assert len(sleeps) == 2  # a back-off before each retry
    assert (result.written, result.rejected, result.failed) == (40, [], [])
    assert all(len(body["Records"]) == 40 for body in answers.bodies)
    assert answers.bodies[0] == answers.bodies[2]  # the same records re-sent


def test_batch_throttled_for_too_long_fails_with_nothing_written(sleeps):
    sink = make_sink(retry_mode="standard", max_attempts=2)
    client = sink.client("timestream-write")
    answers = HttpAnswers(lambda attempt, body: throttled())
    with answers.installed(client):
        result = sink.write_rows(readings(150))

    assert answers.attempts == 2 * 3  # two batches, each tried once plus two retries
    assert result.written == 0
    assert result.rejected == []
    assert len(result.failed) == 2
    for line in result.failed:
        assert "ThrottlingException" in line
        assert "aqi.air_quality" in line
        assert "\n" not in line
    assert sorted(int(line.split()[2]) for line in result.failed) == [50, 100]


def test_endpoint_down_fails_the_batches_with_nothing_written():
    port = free_port()  # nothing listens there
    sink = TimestreamSink.from_url(
        f"timestream://aqi/air_quality?region={REGION}&endpoint=http://127.0.0.1:{port}"
        "&max_attempts=0&retry_mode=standard"
    )
    sink.retention = RETENTION
    result = sink.write_rows(readings(120))
    assert result.written == 0
    assert len(result.failed) == 2
    assert all("Could not connect to the endpoint URL" in line for line in result.failed)


def test_several_batches_are_in_flight_at_once():
    sink = make_sink(workers=4)
    client = sink.client("timestream-write")

    def slow_success(attempt, body):
        time.sleep(0.2)
        return written(len(body["Records"]))

    answers = HttpAnswers(slow_success)
    threads_before = threading.active_count()
    with answers.installed(client):
        result = sink.write_rows(readings(400))

    assert result.written == 400
    assert answers.attempts == 4
    assert answers.most_in_flight >= 2  # not one after the other
    assert threading.active_count() <= threads_before  # the pool is shut down after the call


def test_client_uses_the_configured_retry_mode_timeouts_and_endpoint():
    sink = make_sink(retry_mode="adaptive", max_attempts=7, workers=12)
    client = sink.client("timestream-write")
    # botocore keeps max_attempts (retries) as total attempts, the first call included
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 8}
    assert client.meta.config.connect_timeout == 5.0
    assert client.meta.config.read_timeout == 30.0
    assert client.meta.config.max_pool_connections == 12
    assert client.meta.endpoint_url == "http://127.0.0.1:9"
    assert client.meta.region_name == REGION


# -- check ------------------------------------------------------------------------------------


def describe(memory_hours: int, magnetic_days: int, magnetic_writes: bool) -> dict:
    return {
        "Table": {
            "TableName": "air_quality",
            "DatabaseName": "aqi",
            "TableStatus": "ACTIVE",
            "RetentionProperties": {
                "MemoryStoreRetentionPeriodInHours": memory_hours,
                "MagneticStoreRetentionPeriodInDays": magnetic_days,
            },
            "MagneticStoreWriteProperties": {"EnableMagneticStoreWrites": magnetic_writes},
        }
    }


def test_check_remembers_the_retention_and_validates_with_it():
    sink = make_sink()
    sink.retention = None
    client = sink.client("timestream-write")
    with Stubber(client) as stub:
        stub.add_response(
            "describe_table",
            describe(2, 10, False),
            {"DatabaseName": "aqi", "TableName": "air_quality"},
        )
        sink.check()
        stub.add_response("write_records", ingested(1))
        result = sink.write_rows([reading(sensor_id=1, age=3 * 3600), reading(sensor_id=2)])
    assert sink.retention == TableRetention(2, 10, False)
    assert result.written == 1
    assert result.rejected[0].reason.startswith("time too old")


def test_check_reports_a_missing_table_in_one_line():
    sink = make_sink()
    with Stubber(sink.client("timestream-write")) as stub:
        stub.add_client_error(
            "describe_table", "ResourceNotFoundException", "The table air_quality does not exist."
        )
        with pytest.raises(SinkError) as error:
            sink.check()
    assert str(error.value) == (
        "cannot reach Timestream table aqi.air_quality in eu-west-1: "
        "ResourceNotFoundException: The table air_quality does not exist."
    )


def test_check_without_credentials_is_a_sink_error(monkeypatch):
    use_fake_aws(monkeypatch, credentials=False)
    sink = make_sink()
    with pytest.raises(
        SinkError,
        match=r"^cannot reach Timestream table aqi\.air_quality in eu-west-1: NoCredentialsError",
    ):
        sink.check()


def test_check_with_endpoint_down_is_a_sink_error():
    port = free_port()
    sink = TimestreamSink.from_url(
        f"timestream://aqi/air_quality?region={REGION}&endpoint=http://127.0.0.1:{port}&max_attempts=0"
    )
    with pytest.raises(SinkError, match="EndpointConnectionError") as error:
        sink.check()
    assert "\n" not in str(error.value)


# -- watermarks -------------------------------------------------------------------------------


def query_page(rows: list[tuple], token: str | None = None) -> dict:
    page = {
        "QueryId": "q-1",
        "ColumnInfo": [
            {"Name": "window", "Type": {"ScalarType": "VARCHAR"}},
            {"Name": "sensor_id", "Type": {"ScalarType": "VARCHAR"}},
            {"Name": "newest", "Type": {"ScalarType": "TIMESTAMP"}},
        ],
        "Rows": [
            {"Data": [{"ScalarValue": v} if v is not None else {"NullValue": True} for v in row]}
            for row in rows
        ],
    }
    if token:
        page["NextToken"] = token
    return page


def test_restore_watermarks_reads_every_page_of_one_query():
    sink = make_sink()
    client = sink.client("timestream-query")
    query = watermark_query("aqi", "air_quality", 6)
    with Stubber(client) as stub:
        stub.add_response(
            "query",
            query_page(
                [
                    ("5m", "1001", "2026-11-28 00:05:00.000000000"),
                    ("24h", "1001", "2026-11-28 00:00:00.000000000"),
                ],
                token="page-2",
            ),
            {"QueryString": query},
        )
        stub.add_response(
            "query", query_page([], token="page-3"), {"QueryString": query, "NextToken": "page-2"}
        )
        stub.add_response(
            "query",
            query_page(
                [
                    ("5m", "77", "2026-11-27 23:59:59.123456789"),
                    ("5m", None, "2026-11-27 23:00:00.000000000"),
                ]
            ),
            {"QueryString": query, "NextToken": "page-3"},
        )
        marks = sink.restore_watermarks()
        stub.assert_no_pending_responses()

    assert marks == {
        ("5m", 1001): 1795824300,
        ("24h", 1001): 1795824000,
        ("5m", 77): 1795823999,
    }


def test_watermark_query_quotes_identifiers_and_groups_by_series():
    query = watermark_query("aq-db", "air.quality", None)
    assert query.startswith('SELECT "window", "sensor_id", max(time)')
    assert 'FROM "aq-db"."air.quality"' in query
    assert "measure_name = 'air_quality'" in query
    assert query.endswith('GROUP BY "window", "sensor_id"')
    assert "ago(" not in query
    assert "time >= ago(6h)" in watermark_query("aqi", "air_quality", 6)


def test_watermarks_look_back_over_the_magnetic_store_when_it_takes_writes():
    sink = make_sink()
    sink.retention = TableRetention(6, 30, True)
    with Stubber(sink.client("timestream-query")) as stub:
        stub.add_response(
            "query", query_page([]), {"QueryString": watermark_query("aqi", "air_quality", None)}
        )
        assert sink.restore_watermarks() == {}


def test_query_error_is_a_sink_error():
    sink = make_sink()
    with Stubber(sink.client("timestream-query")) as stub:
        stub.add_client_error(
            "query", "AccessDeniedException", "not authorized to perform: timestream:Select"
        )
        with pytest.raises(SinkError, match="AccessDeniedException") as error:
            sink.restore_watermarks()
    assert str(error.value).startswith(
        "cannot read watermarks from Timestream table aqi.air_quality"
    )


def test_timestamps_parse_as_utc_epoch_seconds():
    assert parse_timestamp("1970-01-01 00:00:00.000000000") == 0
    assert parse_timestamp("2026-11-28 00:05:00") == 1795824300
    with pytest.raises(ValueError):
        parse_timestamp("yesterday")


def test_common_attributes_match_the_service_shape():
    """botocore's own validation accepts the request a batch makes (no network)."""
    sink = make_sink()
    client = sink.client("timestream-write")
    with Stubber(client) as stub:
        stub.add_response(
            "write_records",
            ingested(1),
            {
                "DatabaseName": "aqi",
                "TableName": "air_quality",
                "CommonAttributes": COMMON_ATTRIBUTES,
                "Records": ANY,
            },
        )
        assert sink.write_rows([reading()]).written == 1
