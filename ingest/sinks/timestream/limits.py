"""The service limits of Timestream for LiveAnalytics, checked on every record before it is sent.

Timestream checks records on its side and rejects what breaks its limits, but a
local endpoint does not, so every record is validated against them here (see
:func:`record_problems`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

# Service limits of Timestream for LiveAnalytics ("Quotas" in the developer guide).
MAX_RECORDS_PER_WRITE: Final = 100
MAX_DIMENSIONS_PER_RECORD: Final = 128
MAX_MEASURES_PER_RECORD: Final = 256
MAX_DIMENSION_NAME_BYTES: Final = 60
MAX_MEASURE_NAME_BYTES: Final = 256
#: Dimension names and values of one series together.
MAX_DIMENSIONS_BYTES: Final = 2048
#: Measure values of one multi-measure record together.
MAX_MEASURE_VALUES_BYTES: Final = 2048
#: The whole record: time, dimension names and values, measure names and values.
MAX_RECORD_BYTES: Final = 2048
#: One VARCHAR value (the API's StringValue2048; at least one character).
MAX_VARCHAR_BYTES: Final = 2048
#: How far ahead of the service clock a record may be.
MAX_FUTURE_SECONDS: Final = 15 * 60
#: Size the service counts for a timestamp and for a BIGINT or DOUBLE value.
FIXED_VALUE_BYTES: Final = 8
BIGINT_MIN: Final = -(2**63)
BIGINT_MAX: Final = 2**63 - 1

#: Column names Timestream keeps for itself, and the prefixes no name may start with.
SYSTEM_IDENTIFIERS: Final = frozenset(
    {"measure_name", "measure_value", "time", "ts_non_existent_col"}
)
RESERVED_PREFIXES: Final = ("ts_", "measure_name", "measure_value")
#: Reserved keywords of the query language; a column named like one could not be
#: queried without quoting, and the service may refuse it.
_KEYWORD_LINES: Final = (
    "alter and as between by case cast constraint create cross cube current_date",
    "current_time current_timestamp current_user deallocate delete describe distinct drop",
    "else end escape except execute exists extract false for from full group grouping having",
    "in inner insert intersect into is join left like localtime localtimestamp natural",
    "normalize not null on or order outer prepare recursive right rollup select table then",
    "true uescape union unnest using values when where with",
)
RESERVED_KEYWORDS: Final = frozenset(word for line in _KEYWORD_LINES for word in line.split())

_DIGITS = re.compile(r"\d+")

#: How a rejection reason the service gave starts.
SERVICE_REJECTION: Final = "rejected by Timestream"


@dataclass(frozen=True)
class TableRetention:
    """What decides how old a record may be: the table's retention settings."""

    memory_store_hours: int
    magnetic_store_days: int
    magnetic_store_writes: bool

    def oldest_time(self, now: float) -> float:
        """Epoch seconds of the oldest record the table accepts at ``now``."""
        if self.magnetic_store_writes:
            return now - self.magnetic_store_days * 86400
        return now - self.memory_store_hours * 3600


def record_problems(
    record: dict[str, Any], retention: TableRetention | None, now: float
) -> list[str]:
    """Every service limit a full record (as :func:`.records.build_record` makes it) breaks.

    Each problem reads ``"<kind>: <detail>"``. ``retention`` None skips the
    check of the oldest time (the service still enforces it).
    """
    problems: list[str] = []
    dimensions: list[dict[str, str]] = record.get("Dimensions", [])
    measures: list[dict[str, str]] = record.get("MeasureValues", [])

    if len(dimensions) > MAX_DIMENSIONS_PER_RECORD:
        problems.append(f"too many dimensions: {len(dimensions)} > {MAX_DIMENSIONS_PER_RECORD}")
    dimension_bytes = 0
    for dimension in dimensions:
        problems += _name_problems(dimension["Name"], "dimension", MAX_DIMENSION_NAME_BYTES)
        if not dimension["Value"]:
            problems.append(f"empty dimension value: {dimension['Name']}")
        dimension_bytes += _size(dimension["Name"]) + _size(dimension["Value"])
    if dimension_bytes > MAX_DIMENSIONS_BYTES:
        problems.append(f"dimensions too large: {dimension_bytes} > {MAX_DIMENSIONS_BYTES} bytes")

    problems += _name_problems(record.get("MeasureName", ""), "measure", MAX_MEASURE_NAME_BYTES)
    if not measures:
        problems.append("no measure: a multi-measure record needs at least one value")
    if len(measures) > MAX_MEASURES_PER_RECORD:
        problems.append(f"too many measures: {len(measures)} > {MAX_MEASURES_PER_RECORD}")
    value_bytes = 0
    names_bytes = 0
    for measure in measures:
        problems += _name_problems(measure["Name"], "measure", MAX_MEASURE_NAME_BYTES)
        problems += _value_problems(measure)
        value_bytes += _value_size(measure)
        names_bytes += _size(measure["Name"])
    if value_bytes > MAX_MEASURE_VALUES_BYTES:
        problems.append(
            f"measure values too large: {value_bytes} > {MAX_MEASURE_VALUES_BYTES} bytes"
        )

    names = [d["Name"] for d in dimensions] + [m["Name"] for m in measures]
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        problems.append(f"duplicate column names: {', '.join(duplicates)}")

    record_bytes = (
        FIXED_VALUE_BYTES
        + dimension_bytes
        + _size(record.get("MeasureName", ""))
        + names_bytes
        + value_bytes
    )
    if record_bytes > MAX_RECORD_BYTES:
        problems.append(f"record too large: {record_bytes} > {MAX_RECORD_BYTES} bytes")

    problems += _time_problems(record.get("Time", ""), retention, now)
    return problems


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _value_size(measure: dict[str, str]) -> int:
    if measure["Type"] in ("DOUBLE", "BIGINT"):
        return FIXED_VALUE_BYTES
    return _size(measure["Value"])


def _name_problems(name: str, kind: str, max_bytes: int) -> list[str]:
    size = _size(name)
    if size == 0:
        return [f"empty {kind} name"]
    problems = []
    if size > max_bytes:
        problems.append(f"{kind} name too long: {name[:40]}... is {size} > {max_bytes} bytes")
    if name in SYSTEM_IDENTIFIERS or name.startswith(RESERVED_PREFIXES):
        problems.append(f"reserved {kind} name: {name} is a Timestream system identifier")
    elif name.lower() in RESERVED_KEYWORDS:
        problems.append(f"reserved {kind} name: {name} is a reserved keyword")
    if ":" in name:
        problems.append(f"invalid {kind} name: {name[:60]} contains ':'")
    return problems


def _value_problems(measure: dict[str, str]) -> list[str]:
    check = _VALUE_CHECKS.get(measure["Type"])
    if check is None:
        return [f"unsupported measure type: {measure['Name']} is {measure['Type']}"]
    problem = check(measure["Name"], measure["Value"])
    return [problem] if problem else []


def _double_problem(name: str, text: str) -> str | None:
    try:
        number = float(text)
    except ValueError:
        return f"invalid DOUBLE: {name}={text[:40]}"
    return None if math.isfinite(number) else f"non-finite DOUBLE: {name}={text}"


def _bigint_problem(name: str, text: str) -> str | None:
    try:
        integer = int(text)
    except ValueError:
        return f"invalid BIGINT: {name}={text[:40]}"
    return None if BIGINT_MIN <= integer <= BIGINT_MAX else f"BIGINT out of range: {name}={text}"


def _varchar_problem(name: str, text: str) -> str | None:
    size = _size(text)
    if size == 0:
        return f"empty VARCHAR: {name}"
    if size > MAX_VARCHAR_BYTES:
        return f"VARCHAR too long: {name} is {size} > {MAX_VARCHAR_BYTES} bytes"
    return None


_VALUE_CHECKS: Final[dict[str, Callable[[str, str], str | None]]] = {
    "DOUBLE": _double_problem,
    "BIGINT": _bigint_problem,
    "VARCHAR": _varchar_problem,
}


def _time_problems(text: str, retention: TableRetention | None, now: float) -> list[str]:
    try:
        seconds = int(text)
    except ValueError:
        return [f"invalid time: {text[:40]}"]
    if seconds > now + MAX_FUTURE_SECONDS:
        return [
            f"time in the future: {seconds} is more than {MAX_FUTURE_SECONDS} s ahead of {int(now)}"
        ]
    if retention is not None and seconds < retention.oldest_time(now):
        store = "magnetic" if retention.magnetic_store_writes else "memory"
        return [
            f"time too old: {seconds} is before the {store} store retention "
            f"(oldest accepted {int(retention.oldest_time(now))})"
        ]
    return []


def reason_kind(reason: str) -> str:
    """What a rejection reason is about, without the values (for one log line per kind)."""
    if reason.startswith(SERVICE_REJECTION):
        return _DIGITS.sub("N", reason)[:160]
    return reason.split(":", 1)[0]
