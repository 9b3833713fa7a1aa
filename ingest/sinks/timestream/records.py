"""Timestream records: one multi-measure record per reading, and its encoding."""

from __future__ import annotations

from typing import Any, Final

from ingest import model
from ingest.sinks.base import Row

#: Every record carries the same version: rewriting a reading sends an identical
#: record, which Timestream accepts as a no-op; a different value for a stored
#: reading is rejected (its version is not higher) instead of overwriting it.
RECORD_VERSION: Final = 1

#: Attributes shared by every record, sent once per WriteRecords as CommonAttributes.
COMMON_ATTRIBUTES: Final[dict[str, Any]] = {
    "MeasureName": model.MEASUREMENT,
    "MeasureValueType": "MULTI",
    "TimeUnit": "SECONDS",
    "Version": RECORD_VERSION,
}

#: Measure value type of every fixed column, in storage order; ``extra`` entries
#: follow as ``x_<name>`` DOUBLE measures.
MEASURE_TYPES: Final[dict[str, str]] = {
    **dict.fromkeys(model.LOCATION, "DOUBLE"),
    **dict.fromkeys(model.MEASURES, "DOUBLE"),
    **dict.fromkeys(model.INDEX_COLUMNS, "BIGINT"),
    model.BAND_COLUMN: "VARCHAR",
    model.VALUE_COUNT: "BIGINT",
    model.HUMID: "BIGINT",
    model.HUMID_RH: "DOUBLE",
    **dict.fromkeys(model.CORRECTED.values(), "DOUBLE"),
    model.HOURS: "BIGINT",
}
EXTRA_PREFIX: Final = "x_"


class UnencodableReadingError(ValueError):
    """A reading holds a value that has no Timestream encoding (e.g. text for a number)."""


def build_record(row: Row) -> dict[str, Any]:
    """The multi-measure record of one reading, with every attribute in it.

    Dimensions are :data:`ingest.model.DIMENSIONS` with a value (as text);
    measures are the non-null location and measure columns (DOUBLE), the DAQI
    indices, ``value_count`` and ``hours`` (BIGINT), ``band`` (VARCHAR), the humidity
    flag (BIGINT), the humidity it was judged on and the corrected PM (DOUBLE),
    and each ``extra`` entry as ``x_<name>`` (DOUBLE). The attributes in :data:`COMMON_ATTRIBUTES`
    are included; :func:`split_common` moves them out for a WriteRecords call.
    Raises :class:`UnencodableReadingError` for a value that is not of its column's type.
    """
    dimensions = [
        {"Name": name, "Value": text, "DimensionValueType": "VARCHAR"}
        for name in model.DIMENSIONS
        if (text := _dimension_text(row.get(name))) is not None
    ]
    measures: list[dict[str, str]] = []
    for name, kind in MEASURE_TYPES.items():
        _add_measure(measures, name, row.get(name), kind)
    extra = row.get(model.EXTRA) or {}
    for key in sorted(extra):
        _add_measure(measures, f"{EXTRA_PREFIX}{key}", extra[key], "DOUBLE")
    return {
        **COMMON_ATTRIBUTES,
        "Dimensions": dimensions,
        "MeasureValues": measures,
        "Time": _time_text(row.get("time")),
    }


def split_common(record: dict[str, Any]) -> dict[str, Any]:
    """The record without the attributes WriteRecords receives as CommonAttributes."""
    for key, value in COMMON_ATTRIBUTES.items():
        if record.get(key) != value:
            raise ValueError(f"record {key} is {record.get(key)!r}, expected {value!r}")
    return {key: value for key, value in record.items() if key not in COMMON_ATTRIBUTES}


def _dimension_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text or None


def _add_measure(measures: list[dict[str, str]], name: str, value: Any, kind: str) -> None:
    if value is None:
        return
    try:
        if kind == "DOUBLE":
            if isinstance(value, bool):
                raise TypeError("a boolean is not a number")
            text = repr(float(value))
        elif kind == "BIGINT":
            text = str(_as_integer(value))
        else:
            text = str(value)
            if not text:
                return
    except (TypeError, ValueError) as exc:
        raise UnencodableReadingError(
            f"unencodable value: {name}={value!r} is not {kind} ({exc})"
        ) from exc
    measures.append({"Name": name, "Value": text, "Type": kind})


def _as_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError("not a whole number")


def _time_text(value: Any) -> str:
    try:
        return str(_as_integer(value))
    except (TypeError, ValueError) as exc:
        raise UnencodableReadingError(
            f"unencodable value: time={value!r} is not whole epoch seconds"
        ) from exc
