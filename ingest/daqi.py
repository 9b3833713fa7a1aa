"""The UK Daily Air Quality Index (DAQI) for particles.

The official table is on whole ug/m3. The product rule: round the 24-hour mean
concentration to the nearest whole ug/m3, halves up, then band it, so that no
value falls between bands (11.4 -> 11 -> index 1, 11.5 -> 12 -> index 2). A negative, non-numeric or non-finite concentration
has no index. The overall index is the higher of the PM2.5 and PM10 indices.

The table lives here once; the Spark transform builds its column expressions
from it and :func:`index_for` is the same rule in plain Python.
"""

from __future__ import annotations

import math
from typing import Final

#: Upper bound (inclusive, whole ug/m3) of indices 1..9; 10 is everything above.
PM25_UPPER: Final = (11, 23, 35, 41, 47, 53, 58, 64, 70)
PM10_UPPER: Final = (16, 33, 50, 58, 66, 75, 83, 91, 100)

MAX_INDEX: Final = 10

#: Band name of each index.
BANDS: Final[dict[int, str]] = {
    **dict.fromkeys((1, 2, 3), "Low"),
    **dict.fromkeys((4, 5, 6), "Moderate"),
    **dict.fromkeys((7, 8, 9), "High"),
    10: "Very High",
}

#: Band names from the lowest indices to the highest.
BAND_ORDER: Final = tuple(dict.fromkeys(BANDS[index] for index in sorted(BANDS)))

#: Upper bound (inclusive) of each band's indices, in band order.
BAND_UPPER: Final[dict[str, int]] = {
    band: max(index for index, name in BANDS.items() if name == band) for band in BAND_ORDER
}

#: Official DAQI colours of each index (Defra).
COLOURS: Final[dict[int, str]] = {
    1: "#9CFF9C",
    2: "#31FF00",
    3: "#31CF00",
    4: "#FFFF00",
    5: "#FFCF00",
    6: "#FF9A00",
    7: "#FF6464",
    8: "#FF0000",
    9: "#990000",
    10: "#CE30FF",
}

#: Health advice for the general population, per band (Defra).
ADVICE: Final[dict[str, str]] = {
    "Low": "Enjoy your usual outdoor activities.",
    "Moderate": "Enjoy your usual outdoor activities.",
    "High": "Anyone experiencing discomfort such as sore eyes, cough or sore throat "
    "should consider reducing activity, particularly outdoors.",
    "Very High": "Reduce physical exertion, particularly outdoors, especially if you "
    "experience symptoms such as cough or sore throat.",
}


def index_for(value: float | str | None, upper: tuple[int, ...]) -> int | None:
    """DAQI index (1..10) of a concentration, or None when it has none."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number < 0:
        return None
    for index, limit in enumerate(rounding_limits(upper), start=1):
        if number < limit:
            return index
    return MAX_INDEX


def rounding_limits(upper: tuple[int, ...]) -> tuple[float, ...]:
    """Exclusive limits on the raw concentration, one per index 1..9.

    Rounding half up then comparing with a whole bound B is the same as
    comparing the raw value with B + 0.5 (``round(v) <= B  <=>  v < B + 0.5``),
    which is exact in floating point and cannot overflow, so Spark and Python
    share this form.
    """
    return tuple(bound + 0.5 for bound in upper)


def overall(pm25_index: int | None, pm10_index: int | None) -> int | None:
    """The higher of the two indices; None when neither exists."""
    present = [i for i in (pm25_index, pm10_index) if i is not None]
    return max(present) if present else None


def band_for(index: int | None) -> str | None:
    """Band name of an index, or None."""
    return BANDS.get(index) if index is not None else None
