"""The whole job on the embedded store: `aqi-ingest run --once` in-process, on the shared session."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ingest import cli, daqi
from tests.ingest.feeds import STAMP, pm, record, write

SAMPLE = Path(__file__).resolve().parents[2] / "ingest" / "sample"


def run_once(source, db, state, *extra):
    return cli.main(
        [
            "run",
            "--once",
            "--source",
            str(source),
            "--sink",
            f"sqlite:///{db}",
            "--state-dir",
            str(state),
            *extra,
        ]
    )


def rows(db, query="SELECT * FROM air_quality"):
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(r) for r in connection.execute(query)]


def expected_indices(feed_path):
    """The DAQI of every usable reading of a feed, from the plain-Python rule."""
    expected = {}
    for item in json.loads(feed_path.read_text()):
        sensor = item["sensor"]["id"]
        if (
            not isinstance(sensor, int)
            or not item["location"]["id"]
            or item["timestamp"] != STAMP_SAMPLE
        ):
            continue
        values = {v["value_type"]: v["value"] for v in item["sensordatavalues"]}
        pm25 = daqi.index_for(values.get("P2"), daqi.PM25_UPPER)
        pm10 = daqi.index_for(values.get("P1"), daqi.PM10_UPPER)
        expected[sensor] = (
            pm25,
            pm10,
            daqi.overall(pm25, pm10),
            daqi.band_for(daqi.overall(pm25, pm10)),
        )
    return expected


STAMP_SAMPLE = "2026-11-27 12:00:00"


def test_sample_gives_the_rule_for_every_sensor_and_a_second_run_adds_nothing(tmp_path, capsys):
    db, state = tmp_path / "aq.db", tmp_path / "state"
    assert run_once(SAMPLE, db, state, "--summary") == 0
    stored = rows(db)
    daily = {r["sensor_id"]: r for r in stored if r["window"] == "24h"}
    expected = expected_indices(SAMPLE / "data.24h.json")
    assert set(daily) == set(expected) and len(daily) == 200
    for sensor, (pm25, pm10, aqi, band) in expected.items():
        got = daily[sensor]
        assert (got["aqi_pm25"], got["aqi_pm10"], got["aqi"], got["band"]) == (
            pm25,
            pm10,
            aqi,
            band,
        ), sensor
    assert all(r["aqi"] is None for r in stored if r["window"] == "5m")
    assert {r["time"] for r in stored} == {"2026-11-27T12:00:00Z"}
    summary = capsys.readouterr().out
    assert "sensors: 200" in summary and "five worst locations:" in summary

    assert run_once(SAMPLE, db, state) == 0
    assert len(rows(db)) == len(stored) == 400
    quarantine = [
        json.loads(line)
        for f in (state / "quarantine").glob("*.jsonl")
        for line in f.read_text().splitlines()
    ]
    assert (
        len(quarantine) == 6
    )  # three unusable records in each feed, quarantined once (by the first run)
    assert {q["reason"] for q in quarantine} == {
        "missing or non-numeric sensor id",
        "missing or non-numeric location id",
        "missing or unparseable timestamp",
    }


def test_without_state_the_watermarks_come_back_from_the_store(tmp_path):
    db = tmp_path / "aq.db"
    write(tmp_path / "feed", daily=[record(1, pm("10", "10")), record(2, pm("60", "10"))])
    assert run_once(tmp_path / "feed", db, tmp_path / "state1") == 0
    before = rows(db)
    # A new state folder: no watermarks file, so they are read from the store once.
    assert run_once(tmp_path / "feed", db, tmp_path / "state2") == 0
    assert rows(db) == before
    marks = json.loads((tmp_path / "state2" / "watermarks.json").read_text())["watermarks"]
    assert set(marks["24h"]) == {"1", "2"}


def test_newer_readings_are_added_and_older_ones_skipped(tmp_path):
    db, state = tmp_path / "aq.db", tmp_path / "state"
    feed = tmp_path / "feed"
    write(feed, daily=[record(1, pm("10", "10"), timestamp="2026-11-27 12:00:00")])
    assert run_once(feed, db, state) == 0
    write(
        feed,
        daily=[
            record(1, pm("30", "10"), timestamp="2026-11-27 12:05:00"),
            record(2, pm("5", "5"), timestamp="2026-11-27 11:00:00"),
        ],
    )
    assert run_once(feed, db, state) == 0
    write(
        feed, daily=[record(1, pm("99", "99"), timestamp="2026-11-27 11:59:00")]
    )  # older than stored
    assert run_once(feed, db, state) == 0
    got = [
        (r["sensor_id"], r["time"], r["aqi"])
        for r in rows(db, "SELECT * FROM air_quality ORDER BY sensor_id, time")
    ]
    assert got == [
        (1, "2026-11-27T12:00:00Z", 1),
        (1, "2026-11-27T12:05:00Z", 3),
        (2, "2026-11-27T11:00:00Z", 1),
    ]


def test_duplicated_sensors_and_absurd_values(tmp_path):
    db, state = tmp_path / "aq.db", tmp_path / "state"
    same = record(1, pm("10", "10"))
    write(
        tmp_path / "feed",
        daily=[same, same, record(2, pm("1e12", "-1")), record(3, pm("5", "5"), latitude="999")],
    )
    assert run_once(tmp_path / "feed", db, state) == 0
    got = {r["sensor_id"]: r for r in rows(db)}
    assert sorted(got) == [1, 2, 3]
    assert (
        got[2]["pm25"],
        got[2]["aqi_pm25"],
        got[2]["pm10"],
        got[2]["aqi_pm10"],
        got[2]["aqi"],
    ) == (1e12, 10, -1.0, None, 10)
    assert got[3]["latitude"] is None


@pytest.mark.parametrize(("content", "expected_rows"), [("[]", 0), ('[{"id": 1, "timest', 0)])
def test_empty_and_truncated_feeds_do_not_fail_the_cycle(tmp_path, content, expected_rows):
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "data.24h.json").write_text(content)
    assert run_once(feed, tmp_path / "aq.db", tmp_path / "state") == 0
    assert len(rows(tmp_path / "aq.db")) == expected_rows


def test_a_file_of_any_name_is_read_as_24_hour_means(tmp_path):
    path = tmp_path / "saved-feed.json"
    path.write_text(json.dumps([record(1, pm("36", "10"), timestamp=STAMP)]))
    assert run_once(path, tmp_path / "aq.db", tmp_path / "state") == 0
    assert [(r["window"], r["aqi"]) for r in rows(tmp_path / "aq.db")] == [("24h", 4)]
    assert run_once(f"5m={path}", tmp_path / "aq2.db", tmp_path / "state2") == 0
    assert [(r["window"], r["aqi"]) for r in rows(tmp_path / "aq2.db")] == [("5m", None)]


FIXTURES = Path(__file__).parent / "fixtures"

#: What the hand-written feeds of fixtures/ say, read off the files by hand: (window,
#: sensor, time) -> the stored columns that carry a value. P1 is PM10, P2 is PM2.5;
#: 24-hour PM2.5 35.50 rounds to 36 (index 4), PM10 58.40 to 58 (index 4); PM2.5
#: 11.50 rounds to 12 (index 2), PM10 11.49 to 11 (index 1). Places are the cities at
#: the coordinates (Stuttgart, London, Amsterdam, Krakow, Hamburg). The SDS011 3001
#: shares location 2001 with the BME280 3003, whose 88.42 % RH at 12:00:09 is 2 s and
#: 142 s from its two 5-minute readings: both humid (RH >= 80 %); no 24-hour record
#: reports humidity, so the 24-hour PM rows are not flagged; non-PM rows get no flag.
EXPECTED = {
    ("5m", 3001, "2026-11-27T12:00:07Z"): {"place": "Stuttgart", "region": "Baden-Wurttemberg", "humid": 1, "humid_rh": 88.42, "sensor_type": "SDS011", "location_id": 2001, "country": "DE", "indoor": 0, "latitude": 48.778, "longitude": 9.18, "altitude": 245.3, "pm10": 14.2, "pm25": 6.8, "value_count": 2},
    ("5m", 3001, "2026-11-27T12:02:31Z"): {"place": "Stuttgart", "region": "Baden-Wurttemberg", "humid": 1, "humid_rh": 88.42, "sensor_type": "SDS011", "location_id": 2001, "country": "DE", "indoor": 0, "latitude": 48.778, "longitude": 9.18, "altitude": 245.3, "pm10": 15.05, "pm25": 7.33, "value_count": 2},
    ("5m", 3003, "2026-11-27T12:00:09Z"): {"place": "Stuttgart", "region": "Baden-Wurttemberg", "sensor_type": "BME280", "location_id": 2001, "country": "DE", "indoor": 0, "latitude": 48.778, "longitude": 9.18, "altitude": 245.3, "temperature": 3.71, "humidity": 88.42, "pressure": 98213.75, "pressure_at_sealevel": 101103.06, "value_count": 4},
    ("5m", 3002, "2026-11-27T12:01:44Z"): {"place": "London", "region": "England", "humid": 0, "sensor_type": "SPS30", "location_id": 2002, "country": "GB", "latitude": 51.507, "longitude": -0.128, "altitude": 11.0, "pm1": 4.1, "pm10": 6.92, "pm25": 5.87, "pm4": 6.55, "value_count": 10, "extra": '{"N05": 27.64, "N1": 32.9, "N10": 33.55, "N25": 33.41, "N4": 33.52, "TS": 0.53}'},
    ("5m", 3004, "2026-11-27T12:02:02Z"): {"place": "Amsterdam", "region": "North Holland", "sensor_type": "BMP280", "location_id": 2003, "country": "NL", "indoor": 1, "latitude": 52.371, "longitude": 4.896, "temperature": 19.8, "pressure": 101772.0, "value_count": 2},
    ("5m", 3005, "2026-11-27T12:02:15Z"): {"place": "Kraków", "region": "Lesser Poland", "sensor_type": "DHT22", "location_id": 2004, "latitude": 50.061, "longitude": 19.937, "temperature": -1.8, "humidity": 44.3, "value_count": 2},
    ("5m", 3006, "2026-11-27T12:02:20Z"): {"place": "Hamburg", "region": "Hamburg", "sensor_type": "DNMS (Laerm)", "location_id": 2005, "country": "DE", "indoor": 0, "latitude": 53.551, "longitude": 9.994, "altitude": 8.2, "noise_laeq": 52.61, "noise_la_min": 44.02, "noise_la_max": 71.38, "value_count": 3},
    ("24h", 3001, "2026-11-27T12:00:00Z"): {"place": "Stuttgart", "region": "Baden-Wurttemberg", "humid": 0, "sensor_type": "SDS011", "location_id": 2001, "country": "DE", "indoor": 0, "latitude": 48.778, "longitude": 9.18, "altitude": 245.3, "pm10": 58.4, "pm25": 35.5, "aqi_pm25": 4, "aqi_pm10": 4, "aqi": 4, "band": "Moderate", "value_count": 2},
    ("24h", 3002, "2026-11-27T12:00:00Z"): {"place": "London", "region": "England", "humid": 0, "sensor_type": "SPS30", "location_id": 2002, "country": "GB", "latitude": 51.507, "longitude": -0.128, "altitude": 11.0, "pm1": 3.02, "pm10": 11.49, "pm25": 11.5, "pm4": 11.5, "aqi_pm25": 2, "aqi_pm10": 1, "aqi": 2, "band": "Low", "value_count": 10, "extra": '{"N05": 20.1, "N1": 24.44, "N10": 25.02, "N25": 24.9, "N4": 25.0, "TS": 0.61}'},
}  # fmt: skip


def saved_by_a_json_tool(folder, layout):
    """The fixture feeds in another layout an ordinary tool writes."""
    folder.mkdir()
    for name in ("data.json", "data.24h.json"):
        text = (FIXTURES / name).read_text()
        if layout == "tabs, sorted keys, BOM, CRLF":
            text = json.dumps(json.loads(text), indent="\t", sort_keys=True)
            (folder / name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
        else:
            (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("layout", ["pretty-printed by hand", "tabs, sorted keys, BOM, CRLF"])
def test_a_real_feed_saved_by_a_json_tool_stores_every_reading(tmp_path, layout):
    feeds = saved_by_a_json_tool(tmp_path / "feeds", layout)
    assert run_once(feeds, tmp_path / "aq.db", tmp_path / "state") == 0
    stored = {(r["window"], r["sensor_id"], r["time"]): r for r in rows(tmp_path / "aq.db")}
    assert set(stored) == set(EXPECTED)
    for key, expected in EXPECTED.items():
        got = {c: v for c, v in stored[key].items() if v is not None}
        assert got == {"window": key[0], "sensor_id": key[1], "time": key[2], **expected}, key
    assert not (tmp_path / "state" / "quarantine").exists()
