"""The ways readings reach a writer agree: Arrow to the driver, rows on the executors, plain dicts."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ingest import humidity, transform
from ingest.places import PlaceCache, with_places
from ingest.sinks.base import Received, Rejection, WriteResult, plain_row, write_from_executors
from ingest.sinks.sqlite import SqliteSink
from tests.ingest.feeds import spooled

FIXTURES = Path(__file__).parent / "fixtures"
#: The later record of sensor 3001 in fixtures/data.json: 2026-11-27 12:02:31 UTC.
LATER = int(datetime(2026, 11, 27, 12, 2, 31, tzinfo=UTC).timestamp())


def fixture_frame(spark, tmp_path):
    frames = []
    for name, window in (("data.json", "5m"), ("data.24h.json", "24h")):
        path = tmp_path / name
        path.write_bytes((FIXTURES / name).read_bytes())
        raw = transform.read_feed(spark, spooled(path, window), window)
        frames.append(transform.with_index(transform.to_readings(raw)))
    readings = humidity.with_humidity(frames[0].unionByName(frames[1]))
    return transform.sink_frame(with_places(spark, readings, PlaceCache(tmp_path)))


def table(db):
    with sqlite3.connect(db) as connection:
        return sorted(connection.execute("SELECT * FROM air_quality").fetchall())


def test_arrow_and_dict_rows_store_the_same_table_and_marks(spark, tmp_path):
    frame = fixture_frame(spark, tmp_path)
    by_arrow, by_rows = SqliteSink(tmp_path / "a.db"), SqliteSink(tmp_path / "b.db")
    for sink in (by_arrow, by_rows):
        sink.check()
    arrow = by_arrow.write(frame)
    rows = [plain_row(r) for r in frame.toArrow().to_pylist()]
    received = Received()
    dicts = received.into(by_rows.write_rows(received.track(rows)))
    assert table(by_arrow.path) == table(by_rows.path)
    assert len(table(by_arrow.path)) == 9
    assert (arrow.written, arrow.received) == (dicts.written, dicts.received) == (9, 9)
    assert arrow.marks == dicts.marks
    assert arrow.marks[("5m", 3001)] == LATER  # the later of the sensor's two records
    assert any(
        r["extra"]
        == {"N05": 27.64, "N1": 32.9, "N10": 33.55, "N25": 33.41, "N4": 33.52, "TS": 0.53}
        for r in rows
    )


def test_executor_partitions_report_their_rows_and_marks(spark, tmp_path):
    frame = fixture_frame(spark, tmp_path).repartition(3)
    seen = []

    def writer(rows):
        rows = list(rows)
        seen.append(len(rows))
        return WriteResult(written=len(rows), rejected=[Rejection(r, "no") for r in rows[:1]])

    result = write_from_executors(frame, writer)
    assert (result.written, result.received) == (9, 9)
    assert len(result.rejected) == 3 and all(r.reason == "no" for r in result.rejected)
    assert result.marks[("5m", 3001)] == LATER
    assert len(result.marks) == 8  # 7 sensors in the 5-minute feed, 2 in the daily, one shared id


def test_a_failing_partition_reports_what_it_was_handed(spark, tmp_path):
    def writer(rows):
        next(iter(rows))
        raise RuntimeError("store down")

    result = write_from_executors(fixture_frame(spark, tmp_path).coalesce(1), writer)
    assert result.failed == ["RuntimeError: store down"] and result.written == 0


def test_results_merge_keeping_the_newest_mark_and_survive_json():
    first = WriteResult(2, [], [], 2, {("5m", 1): 100, ("24h", 1): 50})
    second = WriteResult(
        1, [Rejection({"window": "5m"}, "bad")], ["x"], 3, {("5m", 1): 90, ("5m", 2): 7}
    )
    merged = first.merge(second)
    assert merged.marks == {("5m", 1): 100, ("24h", 1): 50, ("5m", 2): 7}
    assert (merged.written, merged.received, merged.failed) == (3, 5, ["x"])
    again = WriteResult.from_json(merged.to_json())
    assert again.marks == merged.marks and again.rejected[0].reason == "bad"
