"""The backfill of hand-written archive files (tests/ingest/archive_samples/) into SQLite.

Each file follows the archive's documented format (the headers and sample
rows of archive.sensor.community, November 2021) and carries one quirk or rule
edge; the expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import json

import pytest

from tests.ingest.archive_checks import SAMPLES, backfill, daily_problems, stored

FIRST, LAST = "2016-11-08", "2021-11-08"
DAY = "2021-11-08T00:00:00Z"


@pytest.fixture(scope="module")
def run(tmp_path_factory, spark):
    folder = tmp_path_factory.mktemp("samples")
    db, state = folder / "aq.db", folder / "state"
    code = backfill(SAMPLES, db, state, first=FIRST, last=LAST)
    return {"code": code, "db": db, "state": state, "rows": stored(db)}


def test_the_run_succeeds_and_every_daily_index_follows_the_published_rule(run):
    assert run["code"] == 0
    assert daily_problems(run["rows"]) == []


def test_halves_round_up_on_a_full_day(run):
    # 24 hours of 11 and 12 ug/m3 PM2.5 (mean 11.5 -> 12 -> index 2) and 16 and
    # 17 PM10 (mean 16.5 -> 17 -> index 2): a floor would give 1 and 1.
    day = run["rows"][("1d", 92, DAY)]
    assert (day["pm25"], day["pm10"]) == (11.5, 16.5)
    assert (day["aqi_pm25"], day["aqi_pm10"], day["aqi"], day["band"]) == (2, 2, 2, "Low")
    assert (day["value_count"], day["hours"], day["sensor_type"], day["location_id"]) == (
        48,
        24,
        "SDS011",
        16232,
    )
    hours = [r for k, r in run["rows"].items() if k[:2] == ("1h", 92)]
    assert len(hours) == 24
    assert all(
        (h["pm25"], h["pm10"], h["value_count"], h["hours"]) == (11.5, 16.5, 2, 1) for h in hours
    )
    assert all(h["aqi"] is None for h in hours)


def test_quirks_of_one_file_and_too_few_hours_for_an_index(run):
    # CRLF, a byte-order mark, 17 hours of PM2.5 10 and PM10 20, one line twice,
    # "unavailable" PM10, "nan" PM2.5, a negative PM2.5, and the last line cut short:
    # PM2.5 from 17 + 1 readings, PM10 from 17 + 2; no index below 18 hours.
    day = run["rows"][("1d", 93, DAY)]
    assert (day["pm25"], day["pm10"], day["value_count"], day["hours"]) == (10.0, 20.0, 19, 17)
    assert (day["aqi_pm25"], day["aqi_pm10"], day["aqi"], day["band"]) == (None, None, None, None)
    assert sum(1 for k in run["rows"] if k[:2] == ("1h", 93)) == 17


def test_an_older_header_is_matched_by_name_and_18_hours_are_enough(run):
    # sensor_id;...;timestamp;P1;P2 (no dur/ratio columns), 18 hours of PM10 50 and PM2.5 35.5
    day = run["rows"][("1d", 3001, "2016-11-08T00:00:00Z")]
    assert (day["pm25"], day["pm10"], day["hours"]) == (35.5, 50.0, 18)
    assert (day["aqi_pm25"], day["aqi_pm10"], day["aqi"], day["band"]) == (4, 3, 4, "Moderate")


def test_other_sensor_types_load_their_measures(run):
    rows = run["rows"]
    dht = rows[("1d", 95, DAY)]  # -2 and 2 degrees, 80 and 90 %
    assert (dht["temperature"], dht["humidity"], dht["pm25"], dht["aqi"]) == (0.0, 85.0, None, None)
    bme = rows[("1d", 113, DAY)]  # three readings of the documented sample
    assert bme["pressure"] == pytest.approx((98523.84 + 98522.38 + 98522.16) / 3)
    assert bme["temperature"] == pytest.approx((7.24 + 7.21 + 7.23) / 3)
    assert bme["humidity"] == pytest.approx((93.40 + 94.89 + 94.28) / 3)
    assert (bme["pressure_at_sealevel"], bme["altitude"], bme["value_count"]) == (None, None, 3)
    sps = rows[("1d", 18453, DAY)]
    assert sps["pm25"] == pytest.approx((9.30 + 9.40 + 9.92) / 3)
    assert sps["pm1"] == pytest.approx((8.78 + 8.87 + 9.37) / 3)
    assert sps["pm4"] == pytest.approx((9.32 + 9.43 + 9.94) / 3)
    extra = json.loads(sps["extra"])
    assert set(extra) == {"N05", "N1", "N10", "N25", "N4", "TS"}
    assert extra["TS"] == pytest.approx((0.50 + 0.50 + 0.49) / 3)
    assert sps["aqi"] is None  # 2 hours
    noise = rows[("1d", 4048, DAY)]
    assert noise["noise_laeq"] == pytest.approx((48.53 + 38.38 + 46.60) / 3)
    assert noise["noise_la_max"] == pytest.approx((65.80 + 41.30 + 65.59) / 3)
    assert noise["extra"] is None  # noise_LA01 and noise_LA95 are empty


def test_means_carry_their_place_and_the_humidity_flag_of_their_location(run):
    rows = run["rows"]
    # Sensor 92 (SDS011) shares location 16232 (48.800 N, 9.002 E: Leonberg, west of
    # Stuttgart) with the DHT22 95, whose readings alternate 80 and 90 % RH: every
    # hour's and the day's mean humidity is 85 %, at or above the 80 % threshold.
    day = rows[("1d", 92, DAY)]
    assert (day["place"], day["region"], day["country"]) == ("Leonberg", "Baden-Wurttemberg", None)
    assert (day["humid"], day["humid_rh"]) == (1, 85.0)
    hours = [r for k, r in rows.items() if k[:2] == ("1h", 92)]
    assert {(h["humid"], h["humid_rh"]) for h in hours} == {(1, 85.0)}
    # The humidity sensor itself has no PM to flag; sensor 93 next door reports no humidity.
    assert (rows[("1d", 95, DAY)]["humid"], rows[("1d", 95, DAY)]["place"]) == (None, "Leonberg")
    assert (rows[("1d", 93, DAY)]["humid"], rows[("1d", 93, DAY)]["humid_rh"]) == (0, None)
    # No corrected PM without --humidity-kappa; the measured means stay as they are.
    assert day["pm25_rh_corrected"] is None and day["pm25"] == 11.5


def test_a_month_file_stores_only_the_requested_days(run):
    rows = run["rows"]
    assert rows[("1d", 26640, DAY)]["pm25"] == 46.0  # 48 and 44 on the 8th
    assert rows[("1d", 26641, DAY)]["pm10"] == 10.0
    assert not [k for k in rows if k[2].startswith("2021-11-09")]


def test_a_header_only_file_adds_nothing(run):
    assert not [k for k in run["rows"] if k[1] == 94]


def test_bad_lines_are_quarantined_with_their_file_line_and_reason(run):
    entries = [
        json.loads(line)
        for path in sorted((run["state"] / "quarantine").glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    found = {(e["file"].rsplit("/", 1)[-1], e["line"]): e["reason"] for e in entries}
    assert found == {
        (
            "2021-11-08_sds011_sensor_93.csv",
            23,
        ): "4 fields where the header has 12 (a line cut short?)",
        ("2021-11-08_dht22_sensor_95.csv", 50): "timestamp outside the days of the file",
        ("2021-11-08_bme280_sensor_113.csv", 5): "missing or unparseable timestamp",
        ("2021-11-08_bme280_sensor_113.csv", 6): "missing or non-numeric sensor id",
    }
    cut = next(e for e in entries if e["line"] == 23)
    assert cut["record"] == "93;SDS011;16233;48.80"


def test_a_second_run_adds_nothing(run, tmp_path, capsys):
    capsys.readouterr()
    assert backfill(SAMPLES, run["db"], run["state"], first=FIRST, last=LAST) == 0
    again = capsys.readouterr().out
    assert "9 listed, 9 finished before, 0 read" in again
    # without the manifest every file is read again, and the store keeps what it has
    assert backfill(SAMPLES, run["db"], tmp_path / "fresh", first=FIRST, last=LAST) == 0
    fresh = capsys.readouterr().out
    assert "0 finished before, 9 read" in fresh
    assert "lines: 152  readings: 146  quarantined: 4  invalid values: 2  duplicates: 1" in fresh
    assert "outside the selection: 1" in fresh
    assert "rows: 89 hourly, 9 daily (2 with a DAQI, 4 below the capture rule)  written: 0" in fresh
    assert stored(run["db"]) == run["rows"]
