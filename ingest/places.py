"""Place names of locations: the nearest named place and its region, from the coordinates.

The offline reverse geocoder ``reverse_geocode`` ships GeoNames' places of
1,000 inhabitants or more with their first-level region and finds the nearest
one. It knows no distance limit, so a point far from every place (at sea,
the 0,0 of an unset GPS) would get a far-away name: beyond
:data:`MAX_DISTANCE_KM` a location gets no place.

Geocoding happens once per location and set of coordinates, never per
reading: the driver looks up only the locations not yet in the cache
(``STATE_DIR/places.json``, kept across cycles and restarts), in one batch,
and Spark joins the names back onto the readings.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

from ingest.state import atomic_write

log = logging.getLogger(__name__)

#: A location farther than this from the nearest known place gets no place name.
MAX_DISTANCE_KM: Final = 25.0
EARTH_RADIUS_KM: Final = 6371.0
CACHE_VERSION: Final = 1

#: The label of a location in the dashboard's menus, part by part: a column
#: with the text used when it is missing, or literal text. ``Aberdeen, GB
#: (location 3121)``. The InfluxDB sink writes it as a field and the
#: Timestream dashboard builds it in SQL, both from these parts.
LABEL_PARTS: Final[tuple[tuple[str, str | None] | str, ...]] = (
    ("place", "unnamed place"),
    ", ",
    ("country", "??"),
    " (location ",
    ("location_id", None),
    ")",
)


@dataclass(frozen=True)
class Place:
    """What the geocoder says about one point; both None when nothing is near."""

    place: str | None
    region: str | None


NOWHERE: Final = Place(None, None)


def label(row: dict[str, Any]) -> str:
    """The label of a reading's location, from :data:`LABEL_PARTS`."""
    text = []
    for part in LABEL_PARTS:
        if isinstance(part, str):
            text.append(part)
        else:
            column, missing = part
            value = row.get(column)
            text.append(str(value) if value not in (None, "") else str(missing))
    return "".join(text)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance of two (latitude, longitude) points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def geocode(points: list[tuple[float, float]]) -> list[Place]:
    """The place and region of each (latitude, longitude), in one look-up."""
    if not points:
        return []
    import reverse_geocode

    found = reverse_geocode.search(points)
    places = []
    for point, hit in zip(points, found, strict=True):
        near = distance_km(point, (hit["latitude"], hit["longitude"])) <= MAX_DISTANCE_KM
        places.append(Place(hit.get("city") or None, hit.get("state") or None) if near else NOWHERE)
    return places


Location = tuple[int, float, float]


def _key(location: Location) -> str:
    location_id, latitude, longitude = location
    return f"{location_id}:{latitude!r}:{longitude!r}"


class PlaceCache:
    """``STATE_DIR/places.json``: {"version": 1, "places": {"id:lat:lon": [place, region]}}.

    Keyed by location id and coordinates: a location that moves is looked up
    again. An unreadable file is set aside as empty (it only saves look-ups).
    """

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "places.json"
        self.known: dict[str, Place] = {}
        try:
            data = json.loads(self.path.read_text())
            if data.get("version") == CACHE_VERSION:
                self.known = {k: Place(*v) for k, v in data["places"].items()}
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning(
                "place cache %s unreadable (%s): places are looked up again", self.path, exc
            )
        self.lookups = 0

    def resolve(self, locations: Iterable[Location]) -> dict[Location, Place]:
        """The place of each location; those not cached are geocoded in one batch and saved."""
        wanted = list(dict.fromkeys(locations))
        missing = [loc for loc in wanted if _key(loc) not in self.known]
        if missing:
            for location, place in zip(
                missing, geocode([(lat, lon) for _, lat, lon in missing]), strict=True
            ):
                self.known[_key(location)] = place
            self.lookups += len(missing)
            self.save()
            log.info("geocoded %d new locations", len(missing))
        return {loc: self.known[_key(loc)] for loc in wanted}

    def save(self) -> None:
        places = {k: [p.place, p.region] for k, p in sorted(self.known.items())}
        atomic_write(self.path, json.dumps({"version": CACHE_VERSION, "places": places}))


_PLACE_SCHEMA = StructType(
    [
        StructField("location_id", LongType()),
        StructField("latitude", DoubleType()),
        StructField("longitude", DoubleType()),
        StructField("place", StringType()),
        StructField("region", StringType()),
    ]
)


def with_places(
    spark: SparkSession,
    readings: DataFrame,
    cache: PlaceCache,
    *,
    locations: DataFrame | None = None,
) -> DataFrame:
    """Adds ``place`` and ``region`` to readings (null without coordinates or a place near).

    The locations to look up are collected from ``locations`` (by default the
    readings themselves): a frame with the same locations whose plan the caller
    wants run only once (an observed one) passes an unobserved equal.
    """
    located = F.col("latitude").isNotNull() & F.col("longitude").isNotNull()
    source = readings if locations is None else locations
    rows = (
        source.where(located & F.col("location_id").isNotNull())
        .select("location_id", "latitude", "longitude")
        .distinct()
        .collect()
    )
    resolved = cache.resolve(
        (int(r["location_id"]), float(r["latitude"]), float(r["longitude"])) for r in rows
    )
    names = spark.createDataFrame(
        [(*location, p.place, p.region) for location, p in resolved.items()], _PLACE_SCHEMA
    )
    return readings.join(F.broadcast(names), ["location_id", "latitude", "longitude"], "left")
