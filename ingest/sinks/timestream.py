"""Amazon Timestream for LiveAnalytics sink: one multi-measure record per reading.

URL: ``timestream://DATABASE/TABLE?region=REGION`` with optional ``endpoint=URL``
(a local endpoint such as moto; passed to boto3 as ``endpoint_url``),
``retry_mode=adaptive|standard``, ``max_attempts=N`` (retries after the first
call, botocore's ``retries.max_attempts``) and ``workers=N`` (WriteRecords calls
in flight per process). Credentials come from the default AWS chain only (the
instance profile on EC2), never from the URL.

Timestream checks records on its side and rejects what breaks its limits, but a
local endpoint does not, so every record is validated here against the service
limits before it is sent (see :func:`record_problems`).
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ingest import model
from ingest.sinks.base import Rejection, Row, Sink, SinkError, Watermarks, WriteResult

log = logging.getLogger(__name__)

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
}
EXTRA_PREFIX: Final = "x_"

RETRY_MODES: Final = ("adaptive", "standard")
DEFAULT_RETRY_MODE: Final = "adaptive"
DEFAULT_MAX_ATTEMPTS: Final = 6
MAX_MAX_ATTEMPTS: Final = 20
DEFAULT_WORKERS: Final = 4
MAX_WORKERS: Final = 16
CONNECT_TIMEOUT_SECONDS: Final = 5.0
READ_TIMEOUT_SECONDS: Final = 30.0
URL_PARAMETERS: Final = ("region", "endpoint", "retry_mode", "max_attempts", "workers")

_RESOURCE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,256}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_DIGITS = re.compile(r"\d+")
_SERVICE_REJECTION = "rejected by Timestream"


# ---------------------------------------------------------------------------
# Records


class UnencodableReadingError(ValueError):
    """A reading holds a value that has no Timestream encoding (e.g. text for a number)."""


def build_record(row: Row) -> dict[str, Any]:
    """The multi-measure record of one reading, with every attribute in it.

    Dimensions are :data:`ingest.model.DIMENSIONS` with a value (as text);
    measures are the non-null location and measure columns (DOUBLE), the DAQI
    indices and ``value_count`` (BIGINT), ``band`` (VARCHAR) and each ``extra``
    entry as ``x_<name>`` (DOUBLE). The attributes in :data:`COMMON_ATTRIBUTES`
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


# ---------------------------------------------------------------------------
# Validation against the service limits


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
    """Every service limit a full record (as from :func:`build_record`) breaks.

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
    if reason.startswith(_SERVICE_REJECTION):
        return _DIGITS.sub("N", reason)[:160]
    return reason.split(":", 1)[0]


# ---------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class TimestreamSettings:
    """Where and how to write; plain data, so the sink pickles to Spark executors."""

    database: str
    table: str
    region: str
    endpoint_url: str | None = None
    retry_mode: str = DEFAULT_RETRY_MODE
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    workers: int = DEFAULT_WORKERS

    @classmethod
    def from_url(cls, url: str) -> TimestreamSettings:
        """Parses a ``timestream://`` URL; raises SinkError with a one-line cause."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise SinkError(f"bad Timestream sink URL: {exc}") from None
        if parts.scheme.lower() != "timestream":
            raise SinkError("bad Timestream sink URL: the scheme must be timestream://")
        if parts.username is not None or parts.password is not None:
            raise SinkError(
                "bad Timestream sink URL: credentials are not accepted in the URL "
                "(the default AWS credential chain is used)"
            )
        if port is not None:
            raise SinkError("bad Timestream sink URL: use endpoint=URL for a custom endpoint")
        database = parts.netloc  # case kept: Timestream names are case sensitive
        table = parts.path[1:] if parts.path.startswith("/") else parts.path
        _check_resource_name("database", database)
        _check_resource_name("table", table)
        if parts.fragment:
            raise SinkError("bad Timestream sink URL: unexpected #fragment")
        params = _query_parameters(parts.query)
        region = params.get("region", "")
        if not region:
            raise SinkError(
                "bad Timestream sink URL: region is required "
                "(timestream://DATABASE/TABLE?region=REGION)"
            )
        _check_region(region)
        endpoint_url = params.get("endpoint") or None
        if endpoint_url is not None:
            _check_endpoint(endpoint_url)
        retry_mode = params.get("retry_mode", DEFAULT_RETRY_MODE)
        if retry_mode not in RETRY_MODES:
            raise SinkError(
                f"bad Timestream sink URL: retry_mode must be one of {', '.join(RETRY_MODES)}"
            )
        return cls(
            database=database,
            table=table,
            region=region,
            endpoint_url=endpoint_url,
            retry_mode=retry_mode,
            max_attempts=_int_parameter(
                params, "max_attempts", DEFAULT_MAX_ATTEMPTS, 0, MAX_MAX_ATTEMPTS
            ),
            workers=_int_parameter(params, "workers", DEFAULT_WORKERS, 1, MAX_WORKERS),
        )

    @property
    def display_url(self) -> str:
        url = f"timestream://{self.database}/{self.table}?region={self.region}"
        if self.endpoint_url:
            url += f"&endpoint={self.endpoint_url}"
        return url

    @property
    def table_label(self) -> str:
        return f"{self.database}.{self.table}"

    def client_config(self) -> Any:
        """botocore settings: retry mode and attempts, timeouts, one connection per worker."""
        return Config(
            region_name=self.region,
            retries={"mode": self.retry_mode, "max_attempts": self.max_attempts},
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            max_pool_connections=max(10, self.workers),
            user_agent_extra="aqi-ingest",
        )


def _check_resource_name(kind: str, name: str) -> None:
    if not name:
        raise SinkError(
            f"bad Timestream sink URL: the {kind} name is missing "
            "(timestream://DATABASE/TABLE?region=REGION)"
        )
    if not _RESOURCE_NAME.fullmatch(name):
        raise SinkError(
            f"bad Timestream sink URL: {kind} name {name[:60]!r} must be 3-256 characters "
            "of A-Z a-z 0-9 _ . -"
        )


def _query_parameters(query: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise SinkError("bad Timestream sink URL: malformed query string") from None
    params: dict[str, str] = {}
    for key, value in pairs:
        if key not in URL_PARAMETERS:
            raise SinkError(
                f"bad Timestream sink URL: unknown parameter {key[:40]!r} "
                f"(allowed: {', '.join(URL_PARAMETERS)})"
            )
        if key in params:
            raise SinkError(f"bad Timestream sink URL: parameter {key} given twice")
        params[key] = value
    return params


def _check_region(region: str) -> None:
    if not _REGION.fullmatch(region):
        raise SinkError(f"bad Timestream sink URL: {region[:40]!r} is not an AWS region name")
    offered = boto3.session.Session().get_available_regions("timestream-write")
    if offered and region not in offered:
        raise SinkError(
            f"bad Timestream sink URL: Timestream for LiveAnalytics is not offered in {region} "
            f"(offered: {', '.join(sorted(offered))})"
        )


def _check_endpoint(endpoint: str) -> None:
    try:
        parts = urlsplit(endpoint)
        _ = parts.port
    except ValueError:
        raise SinkError("bad Timestream sink URL: endpoint is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SinkError("bad Timestream sink URL: endpoint must be an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise SinkError("bad Timestream sink URL: credentials are not accepted in the endpoint")


def _int_parameter(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise SinkError(
            f"bad Timestream sink URL: {name} must be a whole number from {low} to {high}"
        )
    return int(text)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        text = f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:300]


# ---------------------------------------------------------------------------
# The sink


@dataclass
class _Batch:
    """Up to 100 valid readings and their records, written by one WriteRecords call."""

    rows: list[Row]
    records: list[dict[str, Any]]


#: boto3 clients of this process, shared by every sink copy with the same settings
#: (Spark unpickles a sink per task; its Python workers are reused across tasks).
_CLIENTS: dict[tuple[int, TimestreamSettings, str], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def process_client(settings: TimestreamSettings, service: str) -> Any:
    """This process's ``timestream-write`` or ``timestream-query`` client for ``settings``."""
    key = (os.getpid(), settings, service)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            kwargs: dict[str, Any] = {
                "region_name": settings.region,
                "config": settings.client_config(),
            }
            if settings.endpoint_url:
                # Explicit: with only AWS_ENDPOINT_URL* set, endpoint discovery
                # would still send the calls to the AWS host.
                kwargs["endpoint_url"] = settings.endpoint_url
            # A session per client: sessions are not thread-safe, clients are.
            client = boto3.session.Session().client(service, **kwargs)
            _CLIENTS[key] = client
        return client


def close_clients(settings: TimestreamSettings | None = None) -> None:
    """Closes this process's clients (of ``settings`` only, when given)."""
    with _CLIENTS_LOCK:
        for key in [k for k in _CLIENTS if settings is None or k[1] == settings]:
            _CLIENTS.pop(key).close()


class TimestreamSink(Sink):
    """Writes readings to a Timestream for LiveAnalytics table.

    The sink is plain data (its settings and the table retention that
    :meth:`check` read), so it pickles to Spark executors; boto3 clients are
    created lazily, once per process (:func:`process_client`).
    """

    def __init__(self, settings: TimestreamSettings) -> None:
        self.settings = settings
        self.display_url = settings.display_url
        self.retention: TableRetention | None = None

    @classmethod
    def from_url(cls, url: str) -> TimestreamSink:
        return cls(TimestreamSettings.from_url(url))

    def client(self, service: str) -> Any:
        """The process's ``timestream-write`` or ``timestream-query`` client."""
        return process_client(self.settings, service)

    def close(self) -> None:
        close_clients(self.settings)

    # -- Sink API -----------------------------------------------------------

    def check(self) -> None:
        """Describes the table and keeps its retention for validating record times."""
        self.retention = self._describe_retention()

    def _describe_retention(self) -> TableRetention:
        s = self.settings
        try:
            table = self.client("timestream-write").describe_table(
                DatabaseName=s.database, TableName=s.table
            )["Table"]
        except (ClientError, BotoCoreError) as exc:
            raise SinkError(
                f"cannot reach Timestream table {s.table_label} in {s.region}: {_one_line(exc)}"
            ) from exc
        status = table.get("TableStatus", "ACTIVE")
        if status != "ACTIVE":
            raise SinkError(f"Timestream table {s.table_label} in {s.region} is {status}")
        retention = table.get("RetentionProperties", {})
        magnetic = table.get("MagneticStoreWriteProperties") or {}
        return TableRetention(
            memory_store_hours=int(retention.get("MemoryStoreRetentionPeriodInHours", 6)),
            magnetic_store_days=int(retention.get("MagneticStoreRetentionPeriodInDays", 73000)),
            magnetic_store_writes=bool(magnetic.get("EnableMagneticStoreWrites", False)),
        )

    def write_rows(self, rows: Iterable[Row]) -> WriteResult:
        """Validates, batches (100 per call) and writes readings, several calls at once."""
        now = time.time()
        retention = self._retention_for_writes()
        invalid: list[Rejection] = []
        sent = WriteResult()
        workers = self.settings.workers
        in_flight: set[Future[WriteResult]] = set()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="timestream") as pool:
            for batch in self._batches(rows, retention, now, invalid):
                in_flight.add(pool.submit(self._write_batch, batch))
                if len(in_flight) >= 2 * workers:
                    done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    sent = _merge_done(sent, done)
            sent = _merge_done(sent, in_flight)
        result = WriteResult(rejected=invalid).merge(sent)
        _log_outcome(self.settings.table_label, result)
        return result

    def restore_watermarks(self) -> Watermarks:
        """Newest stored time per (window, sensor_id), from one paginated query."""
        s = self.settings
        query = watermark_query(s.database, s.table, self._watermark_lookback_hours())
        marks: Watermarks = {}
        try:
            paginator = self.client("timestream-query").get_paginator("query")
            for page in paginator.paginate(QueryString=query):
                for window, sensor_id, newest in _scalar_rows(page):
                    key = (window, int(sensor_id))
                    marks[key] = max(marks.get(key, 0), parse_timestamp(newest))
        except (ClientError, BotoCoreError) as exc:
            raise SinkError(
                f"cannot read watermarks from Timestream table {s.table_label} in {s.region}: "
                f"{_one_line(exc)}"
            ) from exc
        except ValueError as exc:
            raise SinkError(
                f"unexpected watermark row from Timestream table {s.table_label}: {exc}"
            ) from exc
        return marks

    # -- internals ----------------------------------------------------------

    def _retention_for_writes(self) -> TableRetention | None:
        if self.retention is None:
            try:
                self.retention = self._describe_retention()
            except SinkError as exc:
                log.warning("%s; record times are checked by the service only", exc)
        return self.retention

    def _watermark_lookback_hours(self) -> int | None:
        retention = self.retention
        if retention is None or retention.magnetic_store_writes:
            return None
        return retention.memory_store_hours

    def _batches(
        self,
        rows: Iterable[Row],
        retention: TableRetention | None,
        now: float,
        rejected: list[Rejection],
    ) -> Iterator[_Batch]:
        batch = _Batch([], [])
        for row in rows:
            try:
                record = build_record(row)
            except UnencodableReadingError as exc:
                rejected.append(Rejection(row, str(exc)))
                continue
            problems = record_problems(record, retention, now)
            if problems:
                rejected.append(Rejection(row, "; ".join(problems)))
                continue
            batch.rows.append(row)
            batch.records.append(split_common(record))
            if len(batch.records) == MAX_RECORDS_PER_WRITE:
                yield batch
                batch = _Batch([], [])
        if batch.records:
            yield batch

    def _write_batch(self, batch: _Batch) -> WriteResult:
        s = self.settings
        try:
            self.client("timestream-write").write_records(
                DatabaseName=s.database,
                TableName=s.table,
                CommonAttributes=COMMON_ATTRIBUTES,
                Records=batch.records,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "RejectedRecordsException":
                return _partially_written(batch, exc.response.get("RejectedRecords") or [], s)
            return _failed(batch, s, exc)
        except Exception as exc:  # endpoint down, timeouts, no credentials: re-sent later
            return _failed(batch, s, exc)
        return WriteResult(written=len(batch.records))


def _partially_written(
    batch: _Batch, rejected_records: list[dict[str, Any]], settings: TimestreamSettings
) -> WriteResult:
    """The readings of a batch the service refused; the others were written."""
    rejected: dict[int, Rejection] = {}
    for entry in rejected_records:
        index = entry.get("RecordIndex")
        if not isinstance(index, int) or not 0 <= index < len(batch.rows) or index in rejected:
            continue
        reason = f"{_SERVICE_REJECTION}: {' '.join(str(entry.get('Reason', '')).split())}"
        if entry.get("ExistingVersion") is not None:
            reason += f" (existing version {entry['ExistingVersion']})"
        rejected[index] = Rejection(batch.rows[index], reason)
    if not rejected:
        return WriteResult(
            failed=[
                f"WriteRecords to {settings.table_label} rejected records without saying "
                f"which; {len(batch.rows)} readings will be written again"
            ]
        )
    return WriteResult(
        written=len(batch.rows) - len(rejected),
        rejected=[rejected[i] for i in sorted(rejected)],
    )


def _failed(batch: _Batch, settings: TimestreamSettings, exc: BaseException) -> WriteResult:
    return WriteResult(
        failed=[
            f"WriteRecords of {len(batch.rows)} readings to {settings.table_label} "
            f"in {settings.region} failed: {_one_line(exc)}"
        ]
    )


def _merge_done(result: WriteResult, done: Iterable[Future[WriteResult]]) -> WriteResult:
    for future in done:
        result = result.merge(future.result())
    return result


def _log_outcome(table: str, result: WriteResult) -> None:
    kinds = Counter(reason_kind(r.reason) for r in result.rejected)
    for kind, count in sorted(kinds.items()):
        log.warning("Timestream %s: %d readings rejected: %s", table, count, kind)
    for failure in result.failed:
        log.warning("Timestream %s: %s", table, failure)


# ---------------------------------------------------------------------------
# Watermarks


def quote_identifier(name: str) -> str:
    """A Timestream query identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def watermark_query(database: str, table: str, lookback_hours: int | None = None) -> str:
    """Newest time per (window, sensor_id) of the readings stored in a table."""
    window = quote_identifier("window")
    sensor = quote_identifier("sensor_id")
    measure = model.MEASUREMENT.replace("'", "''")
    where = f"measure_name = '{measure}'"
    if lookback_hours is not None:
        where += f" AND time >= ago({int(lookback_hours)}h)"
    return (
        f"SELECT {window}, {sensor}, max(time) AS newest "
        f"FROM {quote_identifier(database)}.{quote_identifier(table)} "
        f"WHERE {where} GROUP BY {window}, {sensor}"
    )


def _scalar_rows(page: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    for row in page.get("Rows", []):
        values = [datum.get("ScalarValue") for datum in row.get("Data", [])]
        if len(values) != 3:
            raise ValueError(f"expected 3 columns, got {len(values)}")
        window, sensor_id, newest = values
        if window is None or sensor_id is None or newest is None:
            continue
        yield window, sensor_id, newest


def parse_timestamp(text: str) -> int:
    """Whole epoch seconds of a Timestream TIMESTAMP (``2026-11-28 10:05:00.000000000``)."""
    whole = text.split(".", 1)[0]
    moment = datetime.strptime(whole, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return int(moment.timestamp())
