"""Place names from coordinates: known places, points far from any place, the cache, the join."""

from __future__ import annotations

import json

import pytest
from pyspark.sql.types import DoubleType, LongType, StructField, StructType

from ingest import places
from ingest.places import NOWHERE, Place, PlaceCache


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ((57.14, -2.09), Place("Aberdeen", "Scotland")),
        ((48.78, 9.18), Place("Stuttgart", "Baden-Wurttemberg")),
        ((51.5074, -0.1278), Place("London", "England")),
        ((45.0, -30.0), NOWHERE),  # mid-Atlantic: the nearest place is 700 km away
        ((0.0, 0.0), NOWHERE),  # an unset GPS, in the Gulf of Guinea
    ],
)
def test_known_coordinates(point, expected):
    assert places.geocode([point]) == [expected]


def test_one_batch_keeps_the_order():
    assert [p.place for p in places.geocode([(48.78, 9.18), (57.14, -2.09)])] == [
        "Stuttgart",
        "Aberdeen",
    ]
    assert places.geocode([]) == []


def test_distance_of_london_and_paris():
    # Great-circle distance of the two city centres: about 344 km.
    assert places.distance_km((51.5074, -0.1278), (48.8566, 2.3522)) == pytest.approx(343.5, abs=1)


def test_label_reads_place_country_and_location():
    row = {"place": "Aberdeen", "country": "GB", "location_id": 3121}
    assert places.label(row) == "Aberdeen, GB (location 3121)"
    assert places.label({"location_id": 7}) == "unnamed place, ?? (location 7)"


def test_cache_geocodes_each_location_once(tmp_path, monkeypatch):
    calls: list[list[tuple[float, float]]] = []

    def fake(points):
        calls.append(points)
        return [Place(f"p{lat}", "r") for lat, _ in points]

    monkeypatch.setattr(places, "geocode", fake)
    cache = PlaceCache(tmp_path)
    first = cache.resolve([(1, 50.0, 1.0), (2, 51.0, 2.0), (1, 50.0, 1.0)])
    assert first[(1, 50.0, 1.0)] == Place("p50.0", "r")
    assert calls == [[(50.0, 1.0), (51.0, 2.0)]]  # one batch, each location once
    again = PlaceCache(tmp_path)  # a restart reads the file
    again.resolve([(1, 50.0, 1.0), (2, 51.0, 2.0)])
    assert len(calls) == 1
    again.resolve([(1, 52.0, 1.0)])  # the location moved: looked up again
    assert calls[-1] == [(52.0, 1.0)]


def test_unreadable_cache_starts_empty(tmp_path, monkeypatch):
    (tmp_path / "places.json").write_text("{not json")
    monkeypatch.setattr(places, "geocode", lambda points: [NOWHERE for _ in points])
    cache = PlaceCache(tmp_path)
    assert cache.known == {}
    cache.resolve([(1, 0.0, 0.0)])
    assert json.loads((tmp_path / "places.json").read_text())["places"] == {
        "1:0.0:0.0": [None, None]
    }


def test_spark_join_names_each_reading(spark, tmp_path):
    schema = StructType(
        [
            StructField("location_id", LongType()),
            StructField("latitude", DoubleType()),
            StructField("longitude", DoubleType()),
            StructField("pm25", DoubleType()),
        ]
    )
    rows = [
        (3121, 57.14, -2.09, 1.0),
        (3121, 57.14, -2.09, 2.0),
        (55, None, None, 3.0),  # no coordinates: no place
        (66, 45.0, -30.0, 4.0),  # at sea
    ]
    cache = PlaceCache(tmp_path)
    named = places.with_places(spark, spark.createDataFrame(rows, schema), cache)
    got = sorted((r["pm25"], r["place"], r["region"]) for r in named.collect())
    assert got == [
        (1.0, "Aberdeen", "Scotland"),
        (2.0, "Aberdeen", "Scotland"),
        (3.0, None, None),
        (4.0, None, None),
    ]
    assert cache.lookups == 2  # two located places, each once
