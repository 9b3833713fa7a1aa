"""The backfill of a generated archive against a plain-Python reference, from a folder and over HTTP.

The archive (tools.synthetic_archive) has eight sensor types, sensors with 24,
18 and 17 hours a day, one day in day folders and one as the older years'
gzipped year folders. tools.archive_python computes every mean and index with
the csv module and Decimal sums; Spark must store exactly its rows.
"""

from __future__ import annotations

import gzip
import threading
from datetime import UTC, date, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.ingest.archive_checks import backfill, daily_problems, stored
from tools import archive_python, synthetic, synthetic_archive

SENSORS = range(1, 17)
DAYS = [date(2024, 3, 1), date(2024, 3, 2)]
FIRST, LAST = "2024-03-01", "2024-03-02"


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """Day 1 in a day folder, day 2 gzipped in its year folder."""
    root = tmp_path_factory.mktemp("archive")
    synthetic_archive.write_archive(root, SENSORS, DAYS[:1])
    synthetic_archive.write_archive(root, SENSORS, DAYS[1:], gzipped=True)
    return root


@pytest.fixture(scope="module")
def reference(archive) -> dict:
    """{(window, sensor_id, ISO time): row} from the plain-Python implementation."""
    rows = archive_python.means(archive_python.archive_files(archive))
    return {(w, s, t.strftime("%Y-%m-%dT%H:%M:%SZ")): row for (w, s, t), row in rows.items()}


@pytest.fixture(scope="module")
def from_folder(archive, tmp_path_factory, spark) -> dict:
    folder = tmp_path_factory.mktemp("folder-run")
    assert backfill(archive, folder / "aq.db", folder / "state", first=FIRST, last=LAST) == 0
    return stored(folder / "aq.db")


COMPARED = ("pm1", "pm10", "pm25", "pm4", "temperature", "humidity", "pressure", "noise_laeq")
COMPARED += ("noise_la_min", "noise_la_max", "aqi_pm25", "aqi_pm10", "aqi", "band")
COMPARED += ("value_count", "hours", "sensor_type", "location_id")


def test_spark_stores_the_rows_of_the_plain_python_reference(from_folder, reference):
    import json

    assert set(from_folder) == set(reference)
    for key, want in reference.items():
        got = from_folder[key]
        for column in COMPARED:
            assert got[column] == want.get(column), (key, column)
        assert json.loads(got["extra"] or "{}") == want["extra"], key
    assert daily_problems(from_folder) == []


def test_the_archive_covers_both_sides_of_the_capture_rule(from_folder):
    daily = [r for k, r in from_folder.items() if k[0] == "1d" and r["pm25"] is not None]
    assert {r["hours"] for r in daily} >= {24, 18, 17}
    assert all((r["aqi"] is not None) == (r["hours"] >= 18) for r in daily)
    kinds = {r["sensor_type"] for k, r in from_folder.items() if k[0] == "1d"}
    assert kinds == {t.upper() for t in synthetic_archive.TYPES}


@pytest.fixture(scope="module")
def web_archive(archive):
    """The archive folder behind Python's own file server, whose folder pages are autoindex pages."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(archive))
    handler.log_message = lambda *_: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_the_archive_url_is_listed_downloaded_and_gives_the_same_rows(
    web_archive, from_folder, tmp_path, spark
):
    db, state = tmp_path / "aq.db", tmp_path / "state"
    assert backfill(web_archive, db, state, "--downloads", "4", first=FIRST, last=LAST) == 0
    assert stored(db) == from_folder
    assert not list((state / "staging").rglob("*.csv*"))  # stored, then removed


def test_filters_by_type_area_and_country(archive, tmp_path, spark):
    # the synthetic live feed of the same sensors says each sensor's country
    records = synthetic.generate(len(SENSORS), datetime(2024, 3, 1, tzinfo=UTC))["data.24h.json"]
    feed = synthetic.write_feeds(tmp_path / "feed", {"data.24h.json": records})[0]
    countries = {r["sensor"]["id"]: r["location"]["country"] for r in records}
    db = tmp_path / "aq.db"
    code = backfill(
        archive,
        db,
        tmp_path / "state",
        "--types",
        "SDS011,bme280,sps30",
        "--country",
        "DE",
        "--locations",
        str(feed),
        "--bbox",
        "0,45,20,55",
        first=FIRST,
        last=LAST,
    )
    assert code == 0
    sensors = {k[1] for k in stored(db)}
    expected = {
        s
        for s in SENSORS
        if synthetic_archive.sensor_type(s) in {"sds011", "bme280", "sps30"}
        and countries.get(s) == "DE"
        and 45 <= synthetic_archive.place(s)[1] <= 55
        and 0 <= synthetic_archive.place(s)[2] <= 20
    }
    assert expected and sensors == expected
    rows = stored(db)
    assert {r["country"] for r in rows.values()} == {"DE"}


def test_a_gzipped_file_cut_short_keeps_its_readable_lines(tmp_path, spark):
    folder = tmp_path / "archive" / "2024" / "2024-03-01"
    folder.mkdir(parents=True)
    text = "\n".join(synthetic_archive.day_lines(2, DAYS[0])) + "\n"
    data = gzip.compress(text.encode())
    name = synthetic_archive.file_name(2, DAYS[0]) + ".gz"
    (folder / name).write_bytes(data[: len(data) // 2])
    (folder / "README.txt").write_text("not an archive file")
    db = tmp_path / "aq.db"
    assert backfill(tmp_path / "archive", db, tmp_path / "state", first=FIRST, last=FIRST) == 0
    hours = [k for k in stored(db) if k[0] == "1h"]
    assert 0 < len(hours) < 24
