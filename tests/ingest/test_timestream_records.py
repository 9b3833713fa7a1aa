"""Timestream records: their shape, and every service limit checked before sending.

Each limit is tested with a record just inside and one just outside it. A record
may break several limits at once, so the tests look for the kind of problem
(the text before ':') that the limit under test produces.
"""

from __future__ import annotations

import math
import pickle
import time

import pytest

from ingest import model
from ingest.sinks import SinkError, open_sink
from ingest.sinks.timestream import (
    COMMON_ATTRIBUTES,
    TableRetention,
    TimestreamSettings,
    TimestreamSink,
    UnencodableReadingError,
    build_record,
    close_clients,
    reason_kind,
    record_problems,
    split_common,
)
from tests.ingest.timestream_helpers import REGION, reading, use_fake_aws

NOW = time.time()
SIX_HOURS = TableRetention(
    memory_store_hours=6, magnetic_store_days=30, magnetic_store_writes=False
)


def kinds(record: dict, retention: TableRetention | None = SIX_HOURS, now: float = NOW) -> set[str]:
    return {reason_kind(p) for p in record_problems(record, retention, now)}


def size(text: str) -> int:
    return len(text.encode())


def record_size(record: dict) -> int:
    """Size as the service meters a record: 8 for time, UTF-8 names and values, 8 per number."""
    dims = sum(size(d["Name"]) + size(d["Value"]) for d in record["Dimensions"])
    measures = sum(
        size(m["Name"]) + (8 if m["Type"] in ("DOUBLE", "BIGINT") else size(m["Value"]))
        for m in record["MeasureValues"]
    )
    return 8 + dims + size(record["MeasureName"]) + measures


def sparse(**overrides) -> dict:
    """A reading with only its key, its count and the given columns."""
    row = dict.fromkeys(model.COLUMNS)
    row.update(time=int(NOW) - 60, window="5m", sensor_id=7, value_count=1)
    row.update(overrides)
    return row


# -- record shape -----------------------------------------------------------------------


def test_record_has_dimensions_measures_types_and_time_in_seconds():
    row = reading(sensor_id=4242, country="GB", indoor=1, extra={"co2": 415.5, "no2": 12.0})
    record = build_record(row)

    assert record["MeasureName"] == model.MEASUREMENT
    assert record["MeasureValueType"] == "MULTI"
    assert record["TimeUnit"] == "SECONDS"
    assert record["Time"] == str(row["time"])
    assert {d["Name"]: d["Value"] for d in record["Dimensions"]} == {
        "window": "24h",
        "sensor_id": "4242",
        "location_id": str(4242 + 50_000),
        "country": "GB",
        "sensor_type": "SDS011",
        "indoor": "1",
    }
    assert all(d["DimensionValueType"] == "VARCHAR" for d in record["Dimensions"])
    measures = {m["Name"]: (m["Type"], m["Value"]) for m in record["MeasureValues"]}
    assert measures == {
        "latitude": ("DOUBLE", "51.5072"),
        "longitude": ("DOUBLE", "-0.1276"),
        "altitude": ("DOUBLE", "11.0"),
        "pm10": ("DOUBLE", "18.4"),
        "pm25": ("DOUBLE", "9.75"),
        "aqi_pm25": ("BIGINT", "1"),
        "aqi_pm10": ("BIGINT", "2"),
        "aqi": ("BIGINT", "2"),
        "band": ("VARCHAR", "Low"),
        "value_count": ("BIGINT", "2"),
        "x_co2": ("DOUBLE", "415.5"),
        "x_no2": ("DOUBLE", "12.0"),
    }
    # reading() is timed now, not at import: a long test run must not age NOW past it.
    assert record_problems(record, SIX_HOURS, time.time()) == []


def test_null_and_empty_values_are_left_out():
    record = build_record(sparse(country="", sensor_type=None, band="", pm25=None, extra=None))
    assert [d["Name"] for d in record["Dimensions"]] == ["window", "sensor_id"]
    assert [m["Name"] for m in record["MeasureValues"]] == ["value_count"]


def test_same_reading_gives_identical_record_with_a_fixed_version():
    row = reading(extra={"b": 1.0, "a": 2.0})
    again = {**row, "extra": {"a": 2.0, "b": 1.0}}
    assert build_record(row) == build_record(again)
    assert build_record(row)["Version"] == build_record(reading(sensor_id=9))["Version"]


def test_common_attributes_are_split_out_of_the_record():
    record = build_record(reading())
    own = split_common(record)
    assert set(own) == {"Dimensions", "MeasureValues", "Time"}
    assert {**own, **COMMON_ATTRIBUTES} == record


def test_a_value_of_the_wrong_type_cannot_be_encoded():
    with pytest.raises(UnencodableReadingError, match="pm25"):
        build_record(reading(pm25="twelve"))
    with pytest.raises(UnencodableReadingError, match="aqi"):
        build_record(reading(aqi=2.5))
    with pytest.raises(UnencodableReadingError, match="time"):
        build_record(reading(time="yesterday"))


def test_every_name_of_the_model_is_a_valid_timestream_name():
    full = reading(
        place="Aberdeen",
        region="Scotland",
        humid=1,
        humid_rh=85.0,
        **dict.fromkeys(model.MEASURES, 1.5),
        **dict.fromkeys(model.CORRECTED.values(), 1.2),
    )
    record = build_record(full)
    names = [d["Name"] for d in record["Dimensions"]] + [m["Name"] for m in record["MeasureValues"]]
    assert names == [
        *model.DIMENSIONS,
        *model.LOCATION,
        *model.MEASURES,
        *model.INDEX_COLUMNS,
        model.BAND_COLUMN,
        model.VALUE_COUNT,
        *model.HUMIDITY_COLUMNS,
        "x_co2",
    ]
    assert record_problems(record, SIX_HOURS, time.time()) == []


# -- one test per limit: just inside, just outside ----------------------------------------


def with_dimension_name(name: str, row: dict | None = None) -> dict:
    record = build_record(row or reading())
    record["Dimensions"][-1]["Name"] = name
    return record


def test_dimension_name_length_limit_is_60_bytes():
    assert "dimension name too long" not in kinds(with_dimension_name("d" * 60))
    assert "dimension name too long" in kinds(with_dimension_name("d" * 61))
    # bytes, not characters: 30 two-byte characters fit, 31 do not
    assert "dimension name too long" not in kinds(with_dimension_name("é" * 30))
    assert "dimension name too long" in kinds(with_dimension_name("é" * 30 + "d"))


def test_measure_name_length_limit_is_256_bytes():
    inside = build_record(sparse(extra={"n" * 254: 1.0}))  # x_ + 254 = 256
    outside = build_record(sparse(extra={"n" * 255: 1.0}))
    assert "measure name too long" not in kinds(inside)
    assert "measure name too long" in kinds(outside)


@pytest.mark.parametrize(
    "name", ["time", "measure_value", "ts_non_existent_col", "ts_zone", "measure_name_x"]
)
def test_system_identifiers_and_reserved_prefixes_are_refused(name):
    assert "reserved dimension name" in kinds(with_dimension_name(name))
    assert "reserved dimension name" not in kinds(with_dimension_name(f"a_{name}"))


def test_reserved_keywords_are_refused_as_names():
    assert "reserved dimension name" in kinds(with_dimension_name("SELECT"))
    assert "reserved dimension name" not in kinds(with_dimension_name("selection"))


def test_a_colon_is_refused_in_a_name():
    assert "invalid measure name" in kinds(build_record(sparse(extra={"pm:2": 1.0})))
    assert "invalid measure name" not in kinds(build_record(sparse(extra={"pm_2": 1.0})))


def test_at_most_128_dimensions():
    def with_dimensions(count: int) -> dict:
        record = build_record(sparse())
        record["Dimensions"] = [{"Name": f"d{i}", "Value": "v"} for i in range(count)]
        return record

    assert "too many dimensions" not in kinds(with_dimensions(128))
    assert "too many dimensions" in kinds(with_dimensions(129))


def test_dimension_names_and_values_at_most_2048_bytes():
    base = build_record(sparse(country="x"))
    others = sum(size(d["Name"]) + size(d["Value"]) for d in base["Dimensions"]) - 1
    room = 2048 - others  # what the country value may use
    assert "dimensions too large" not in kinds(build_record(sparse(country="x" * room)))
    assert "dimensions too large" in kinds(build_record(sparse(country="x" * (room + 1))))


def test_at_most_256_measures():
    fixed = len(build_record(sparse())["MeasureValues"])  # value_count

    def with_measures(count: int) -> dict:
        extra = {f"m{i}": 1.0 for i in range(count - fixed)}
        return build_record(sparse(extra=extra))

    assert len(with_measures(256)["MeasureValues"]) == 256
    assert "too many measures" not in kinds(with_measures(256))
    assert "too many measures" in kinds(with_measures(257))


def test_measure_values_at_most_2048_bytes():
    # value_count is 8 bytes; the band string takes the rest
    assert "measure values too large" not in kinds(build_record(sparse(band="b" * 2040)))
    assert "measure values too large" in kinds(build_record(sparse(band="b" * 2041)))


def test_a_varchar_value_is_at_most_2048_bytes():
    assert "VARCHAR too long" not in kinds(build_record(sparse(band="b" * 2048)))
    assert "VARCHAR too long" in kinds(build_record(sparse(band="b" * 2049)))


def test_record_at_most_2048_bytes():
    probe = build_record(sparse(band="b"))
    room = 2048 - (record_size(probe) - 1)  # band length that makes exactly 2048 bytes
    inside = build_record(sparse(band="b" * room))
    outside = build_record(sparse(band="b" * (room + 1)))
    assert record_size(inside) == 2048
    assert "record too large" not in kinds(inside)
    assert "record too large" in kinds(outside)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_double_must_be_finite(value):
    assert "non-finite DOUBLE" in kinds(build_record(sparse(pm25=value)))


def test_largest_finite_double_is_accepted():
    assert kinds(build_record(sparse(pm25=1.7976931348623157e308))) == set()


def test_bigint_must_fit_in_64_bits():
    assert "BIGINT out of range" not in kinds(build_record(sparse(value_count=2**63 - 1)))
    assert "BIGINT out of range" in kinds(build_record(sparse(value_count=2**63)))
    assert "BIGINT out of range" not in kinds(build_record(sparse(value_count=-(2**63))))
    assert "BIGINT out of range" in kinds(build_record(sparse(value_count=-(2**63) - 1)))


def test_time_must_be_within_the_memory_store_retention():
    oldest = int(NOW) - 6 * 3600
    assert "time too old" not in kinds(build_record(sparse(time=oldest + 1)))
    assert "time too old" in kinds(build_record(sparse(time=oldest - 1)))


def test_time_older_than_memory_store_is_accepted_with_magnetic_store_writes():
    magnetic = TableRetention(
        memory_store_hours=6, magnetic_store_days=30, magnetic_store_writes=True
    )
    oldest = int(NOW) - 30 * 86400
    assert "time too old" not in kinds(build_record(sparse(time=oldest + 1)), magnetic)
    assert "time too old" in kinds(build_record(sparse(time=oldest - 1)), magnetic)


def test_time_at_most_15_minutes_ahead():
    assert "time in the future" not in kinds(build_record(sparse(time=int(NOW) + 900)))
    assert "time in the future" in kinds(build_record(sparse(time=int(NOW) + 901)))


def test_a_record_needs_a_measure():
    assert "no measure" in kinds(build_record(sparse(value_count=None)))


def test_a_dimension_and_a_measure_cannot_share_a_name():
    record = with_dimension_name("pm25", sparse())
    assert "duplicate column names" not in kinds(record)
    record["MeasureValues"].append({"Name": "pm25", "Value": "1.0", "Type": "DOUBLE"})
    assert "duplicate column names" in kinds(record)


# -- URL ----------------------------------------------------------------------------------


def test_url_with_every_setting():
    sink = open_sink(
        f"timestream://AqDb/air_quality?region={REGION}&endpoint=http://127.0.0.1:4566"
        "&retry_mode=standard&max_attempts=3&workers=2"
    )
    assert isinstance(sink, TimestreamSink)
    assert sink.settings == TimestreamSettings(
        database="AqDb",
        table="air_quality",
        region=REGION,
        endpoint_url="http://127.0.0.1:4566",
        retry_mode="standard",
        max_attempts=3,
        workers=2,
    )
    assert sink.display_url.startswith("timestream://AqDb/air_quality?region=eu-west-1")


@pytest.mark.parametrize(
    ("url", "cause"),
    [
        (f"timestream://aqi?region={REGION}", "table name is missing"),
        (f"timestream://aqi/?region={REGION}", "table name is missing"),
        ("timestream://aqi/air_quality", "region is required"),
        ("timestream://aqi/air_quality?region=", "region is required"),
        ("timestream://aqi/air_quality?region=London", "not an AWS region"),
        ("timestream://aqi/air_quality?region=eu-west-2", "not offered in eu-west-2"),
        (f"timestream://aqi/a/b?region={REGION}", "table name"),
        (f"timestream://AKIAX:hunter2@aqi/air_quality?region={REGION}", "credentials"),
        (f"timestream://aqi/air_quality?region={REGION}&retry_mode=legacy", "retry_mode"),
        (f"timestream://aqi/air_quality?region={REGION}&max_attempts=lots", "max_attempts"),
        (f"timestream://aqi/air_quality?region={REGION}&max_attempts=21", "max_attempts"),
        (f"timestream://aqi/air_quality?region={REGION}&workers=0", "workers"),
        (f"timestream://aqi/air_quality?region={REGION}&endpoint=localhost", "endpoint"),
        (f"timestream://aqi/air_quality?region={REGION}&secret_key=abc", "unknown parameter"),
        (f"timestream://aqi/air_quality?region={REGION}&region=us-east-1", "twice"),
        (f"timestream://aqi:443/air_quality?region={REGION}", "endpoint=URL"),
    ],
)
def test_bad_url_is_a_one_line_sink_error_without_secrets(url, cause):
    with pytest.raises(SinkError) as error:
        TimestreamSink.from_url(url)
    message = str(error.value)
    assert cause in message
    assert "\n" not in message
    assert "hunter2" not in message


# -- pickling to executors ------------------------------------------------------------------


def test_sink_pickles_as_plain_settings_and_shares_one_client_per_process(monkeypatch):
    use_fake_aws(monkeypatch)
    sink = TimestreamSink.from_url(
        f"timestream://aqi/air_quality?region={REGION}&endpoint=http://127.0.0.1:9"
    )
    sink.retention = SIX_HOURS
    client = sink.client("timestream-write")
    try:
        copy = pickle.loads(pickle.dumps(sink))

        assert vars(copy) == {
            "settings": sink.settings,
            "display_url": sink.display_url,
            "retention": SIX_HOURS,
        }
        assert copy.client("timestream-write") is client  # created once per process
        assert copy.client("timestream-query") is not client
        assert client.meta.endpoint_url == "http://127.0.0.1:9"
    finally:
        close_clients(sink.settings)
    assert sink.client("timestream-write") is not client  # closed clients are replaced
    close_clients(sink.settings)
