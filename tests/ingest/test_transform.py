"""The Spark transform on small feeds: mapping, cleaning, quarantine reasons, windows."""

from __future__ import annotations

import json

import pytest

from ingest import transform
from tests.ingest.feeds import pm, record, spooled, write


def readings_of(spark, folder, window="24h", name="data.24h.json"):
    raw = transform.read_feed(spark, spooled(folder / name, window), window)
    return {
        (r["sensor_id"], r["reason"]): r
        for r in transform.with_index(transform.to_readings(raw)).collect()
    }


def test_p1_is_pm10_and_p2_is_pm25(spark, tmp_path):
    write(tmp_path, daily=[record(1, pm(pm25="12.0", pm10="80.0"))])
    row = readings_of(spark, tmp_path)[(1, None)]
    assert (row["pm25"], row["pm10"]) == (12.0, 80.0)
    assert (row["aqi_pm25"], row["aqi_pm10"], row["aqi"], row["band"]) == (2, 7, 7, "High")


def test_five_minute_rows_carry_measures_without_an_index(spark, tmp_path):
    write(tmp_path, five_minutes=[record(1, pm(pm25="90", pm10="150"))])
    row = readings_of(spark, tmp_path, "5m", "data.json")[(1, None)]
    assert row["pm25"] == 90.0
    assert (row["aqi_pm25"], row["aqi_pm10"], row["aqi"], row["band"]) == (None, None, None, None)


def test_every_field_of_the_model(spark, tmp_path):
    values = {
        "P0": "1.5",
        "P1": "20.1",
        "P2": "10.2",
        "P4": "11.0",
        "temperature": "-4.25",
        "humidity": "81.3",
        "pressure": "101325.00",
        "pressure_at_sealevel": "102000.5",
        "noise_LAeq": "55.2",
        "noise_LA_min": "40.0",
        "noise_LA_max": "70.9",
        "counts_per_minute": "33",
        "weird": "abc",
    }
    write(
        tmp_path,
        daily=[
            record(
                7,
                values,
                location_id=70,
                country="DE",
                latitude="52.1",
                longitude="13.4",
                sensor_type="SPS30",
            )
        ],
    )
    row = readings_of(spark, tmp_path)[(7, None)]
    assert row["location_id"] == 70 and row["country"] == "DE" and row["sensor_type"] == "SPS30"
    assert (row["latitude"], row["longitude"], row["altitude"], row["indoor"]) == (
        52.1,
        13.4,
        20.0,
        0,
    )
    assert (row["pm1"], row["pm4"], row["temperature"], row["humidity"]) == (1.5, 11.0, -4.25, 81.3)
    assert (row["pressure"], row["pressure_at_sealevel"]) == (101325.0, 102000.5)
    assert (row["noise_laeq"], row["noise_la_min"], row["noise_la_max"]) == (55.2, 40.0, 70.9)
    assert row["extra"] == {"counts_per_minute": 33.0}
    assert row["value_count"] == 13
    assert row[transform.INVALID] == 1  # "weird": "abc"


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (record(None, pm("1", "1")), "missing or non-numeric sensor id"),
        (record("abc", pm("1", "1")), "missing or non-numeric sensor id"),
        (record(5, pm("1", "1"), location_id=None), "missing or non-numeric location id"),
        (record(5, pm("1", "1"), timestamp="28/11/2026 10:00"), "missing or unparseable timestamp"),
        (record(5, pm("1", "1"), timestamp=""), "missing or unparseable timestamp"),
    ],
)
def test_unusable_records_get_a_reason_and_keep_their_content(spark, tmp_path, broken, reason):
    write(tmp_path, daily=[record(1, pm("5", "5")), broken])
    raw = transform.read_feed(
        spark, spooled(tmp_path / "data.24h.json", "24h"), "24h", with_text=True
    )
    rows = transform.quarantine_frame(raw).collect()
    assert [r["reason"] for r in rows] == [reason]
    assert json.loads(rows[0]["record"])["sensordatavalues"][0]["value"] == "1"


def test_bad_values_are_nulled_counted_and_get_no_index(spark, tmp_path):
    write(
        tmp_path,
        daily=[
            record(1, pm(pm25="NaN", pm10="-3")),
            record(2, pm(pm25="", pm10="Infinity")),
            record(3, pm(pm25="1e400", pm10="twelve")),
        ],
    )
    rows = readings_of(spark, tmp_path)
    assert rows[(1, None)]["pm25"] is None and rows[(1, None)]["pm10"] == -3.0
    assert [rows[(i, None)]["aqi"] for i in (1, 2, 3)] == [None, None, None]
    assert [rows[(i, None)][transform.INVALID] for i in (1, 2, 3)] == [1, 2, 2]


def test_missing_index_counts_present_daily_pm_values_without_an_index(spark, tmp_path):
    """Negative PM values have no index; a missing one is not counted, nor are 5-minute rows."""
    write(
        tmp_path / "daily",
        daily=[
            record(1, pm(pm25="-1", pm10="-2")),
            record(2, pm(pm25="-1", pm10="20")),
            record(3, pm(pm25="5", pm10=None)),
            record(4, pm(pm25="NaN", pm10="7")),
        ],
    )
    write(tmp_path / "5m", five_minutes=[record(5, pm(pm25="-1", pm10="-2"))])
    daily = spooled(tmp_path / "daily" / "data.24h.json", "24h")
    five_minutes = spooled(tmp_path / "5m" / "data.json", "5m")
    raw = transform.read_feed(spark, daily, "24h").unionByName(
        transform.read_feed(spark, five_minutes, "5m")
    )
    readings = transform.with_index(transform.to_readings(raw))
    counted = readings.select("sensor_id", transform.missing_index().alias("n")).collect()
    assert {r["sensor_id"]: r["n"] for r in counted} == {1: 2, 2: 1, 3: 0, 4: 0, 5: 0}


def test_out_of_range_coordinates_are_dropped(spark, tmp_path):
    write(tmp_path, daily=[record(1, pm("5", "5"), latitude="123.0", longitude="abc")])
    row = readings_of(spark, tmp_path)[(1, None)]
    assert (row["latitude"], row["longitude"]) == (None, None)


def test_a_record_of_the_wrong_shape_is_quarantined_alone(spark, tmp_path):
    odd = record(2, pm("5", "5"))
    odd["location"]["altitude"] = {"value": 3}
    odd["sensordatavalues"] = "none"
    (tmp_path / "data.24h.json").write_text(json.dumps([record(1, pm("5", "5")), odd]))
    path = spooled(tmp_path / "data.24h.json", "24h")
    raw = transform.read_feed(spark, path, "24h", with_text=True)
    quarantined = {r["record"]: r["reason"] for r in transform.quarantine_frame(raw).collect()}
    assert quarantined == {
        json.dumps(odd, separators=(",", ":")): "malformed record: a field has the wrong type",
    }
    readings = transform.to_readings(transform.read_feed(spark, path, "24h"))
    assert [r["sensor_id"] for r in readings.where("reason is null").collect()] == [1]


def test_a_feed_shipped_from_the_driver_reads_the_same(spark, tmp_path):
    """On a cluster the driver sends the spooled lines: the records come out the same."""
    write(
        tmp_path,
        daily=[record(1, pm("12", "80")), record(None, pm("1", "1")), record(2, pm("5", "5"))],
    )
    path = spooled(tmp_path / "data.24h.json", "24h")
    columns = ["window", "timestamp", "sensor", "sensordatavalues", transform.CORRUPT]
    for with_text in (False, True):
        in_place = transform.read_feed(
            spark, path, "24h", ship_from_driver=False, with_text=with_text
        )
        shipped = transform.read_feed(
            spark, path, "24h", ship_from_driver=True, with_text=with_text
        )
        assert shipped.rdd.getNumPartitions() >= 1
        assert sorted(map(str, shipped.select(columns).collect())) == sorted(
            map(str, in_place.select(columns).collect())
        )
        assert len(shipped.collect()) == 3


def test_shipped_blocks_end_at_line_ends_and_keep_every_line(tmp_path, monkeypatch):
    """Blocks are cut at line ends only, and a line separator JSON leaves raw (U+2028) is no line end."""
    lines = [
        json.dumps({"id": i, "name": "a\u2028b" if i % 7 else "x" * 50}, ensure_ascii=False)
        for i in range(500)
    ]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(transform, "SHIP_BLOCK", 1000)
    blocks = list(transform._compressed_blocks(path))
    assert len(blocks) > 10
    assert [line for b in blocks for line in transform._block_lines(b)] == lines
