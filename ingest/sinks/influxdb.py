"""InfluxDB through its v1 API: line protocol to ``/write``, InfluxQL on ``/query``.

Timestream for InfluxDB (InfluxDB 2.x) serves the same two endpoints for 1.x
clients: the bucket is the database, with retention policy ``autogen``.
Writing a point again with the same measurement, tags and time overwrites it
with the same values, so rewrites are no-ops.

The sink needs only the permission to write its database (the ingest token of
a deployment is write-only): a start with credentials that may not read begins
with no watermarks, which only rewrites the points the feeds still hold. When
the store refuses the credentials during a run, the sink reads its secret once
more (it may have been rotated) and writes again before reporting the failure.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from ingest import model, places
from ingest.http import retrying_session
from ingest.sinks.base import Rejection, Row, Sink, SinkError, Watermarks, WriteResult
from ingest.sinks.influx_auth import Credentials

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)

__all__ = ["Credentials", "CredentialsRefusedError", "InfluxSink", "to_line"]

BATCH_LINES = 5_000
TIMEOUT = (5.0, 60.0)
#: How every refusal of the credentials starts (the driver recognises it in a write's failures).
REFUSED = "InfluxDB refused the credentials"

_FLOAT_FIELDS = (*model.LOCATION, *model.MEASURES, model.HUMID_RH, *model.CORRECTED.values())
_INTEGER_FIELDS = (*model.INDEX_COLUMNS, model.HUMID)
#: String field with the location's menu label (ingest.places.label): InfluxQL
#: cannot join tag values into text, so the dashboard's location menu reads it.
LABEL_FIELD = "location_label"
_TAG_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": " ", "\r": " "})
_MEASUREMENT_ESCAPES = str.maketrans({",": r"\,", " ": r"\ ", "\n": " ", "\r": " "})


def _key(text: str) -> str:
    return text.translate(_TAG_ESCAPES)


def _string_field(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{escaped}"'


def _float(value: float) -> str | None:
    return repr(float(value)) if math.isfinite(value) else None


def to_line(row: Row) -> str:
    """One reading as a line of line protocol (time in seconds).

    Tags are the model's dimensions that have a value; measures, location, the
    humidity judged on and the corrected PM are float fields, indices, the humid
    flag, value_count and hours integer fields, band and the location label string
    fields, extra value types ``x_<name>`` float fields.
    """
    tags = "".join(
        f",{name}={_key(str(row[name]))}"
        for name in model.DIMENSIONS
        if row.get(name) is not None and str(row[name]) != ""
    )
    fields: list[str] = []
    for name in _FLOAT_FIELDS:
        value = row.get(name)
        if value is not None and (text := _float(value)) is not None:
            fields.append(f"{name}={text}")
    fields.extend(
        f"{name}={int(row[name])}i" for name in _INTEGER_FIELDS if row.get(name) is not None
    )
    if row.get(model.BAND_COLUMN):
        fields.append(f"{model.BAND_COLUMN}={_string_field(str(row[model.BAND_COLUMN]))}")
    if row.get("location_id") is not None:
        fields.append(f"{LABEL_FIELD}={_string_field(places.label(row))}")
    fields.append(f"{model.VALUE_COUNT}={int(row.get(model.VALUE_COUNT) or 0)}i")
    if row.get(model.HOURS) is not None:
        fields.append(f"{model.HOURS}={int(row[model.HOURS])}i")
    for name, value in sorted((row.get(model.EXTRA) or {}).items()):
        if value is not None and (text := _float(value)) is not None:
            fields.append(f"{_key('x_' + name)}={text}")
    measurement = model.MEASUREMENT.translate(_MEASUREMENT_ESCAPES)
    return f"{measurement}{tags} {','.join(fields)} {int(row['time'])}"


class CredentialsRefusedError(SinkError):
    """The store answered 401 or 403: the credentials are wrong, or lack the permission."""


class InfluxSink(Sink):
    """``influxdb://HOST:PORT/DATABASE`` (HTTP) or ``influxdbs://...`` (TLS), ``?rp=POLICY``."""

    def __init__(
        self, base_url: str, database: str, retention_policy: str | None, credentials: Credentials
    ) -> None:
        self.base_url = base_url
        self.database = database
        self.retention_policy = retention_policy
        self.credentials = credentials
        self.display_url = f"{base_url}/{database}"
        self._session: requests.Session | None = None

    @classmethod
    def from_url(cls, url: str) -> InfluxSink:
        parts = urlsplit(url)
        if parts.username or parts.password:
            raise SinkError(
                "credentials do not belong in the InfluxDB URL: set AQI_INFLUXDB_TOKEN, "
                "AQI_INFLUXDB_USERNAME/AQI_INFLUXDB_PASSWORD or AQI_INFLUXDB_SECRET_ARN"
            )
        database = unquote(parts.path.strip("/"))
        try:
            port = parts.port or 8086
        except ValueError as exc:
            raise SinkError(f"bad InfluxDB URL {parts.scheme}://{parts.hostname}: {exc}") from exc
        if not parts.hostname or not database or "/" in database:
            raise SinkError(f"bad InfluxDB URL {url!r}: use influxdb://HOST:PORT/DATABASE")
        scheme = "https" if parts.scheme == "influxdbs" else "http"
        policy = parse_qs(parts.query).get("rp", [None])[0]
        return cls(
            f"{scheme}://{parts.hostname}:{port}", database, policy, Credentials.from_environment()
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_session"] = None  # sessions are per process
        return state

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = retrying_session(methods=("GET", "POST"), total=5, backoff=0.5)
            self.credentials.apply(self._session)
        return self._session

    def _query(self, statement: str, method: str = "GET") -> list[dict[str, Any]]:
        params = {"q": statement, "db": self.database, "epoch": "s"}
        response = self.session.request(
            method, f"{self.base_url}/query", params=params, timeout=TIMEOUT
        )
        if response.status_code in (401, 403):
            raise CredentialsRefusedError(
                f"{REFUSED} at {self.base_url} (HTTP {response.status_code}): {_error_text(response)}"
            )
        response.raise_for_status()
        result = response.json()["results"][0]
        if "error" in result:
            if re.search(r"authoriz|permission", str(result["error"]), re.IGNORECASE):
                raise CredentialsRefusedError(f"{REFUSED} at {self.base_url}: {result['error']}")
            raise SinkError(f"InfluxDB query failed: {result['error']}")
        return list(result.get("series", []))

    def check(self) -> None:
        """Pings the store and makes an empty write, which checks the write permission and
        stores nothing; creates the database when the server says it is missing (InfluxDB
        1.x, credentials allowed to create it)."""
        try:
            ping = self.session.get(f"{self.base_url}/ping", timeout=TIMEOUT)
            if ping.status_code != 204:
                raise SinkError(
                    f"InfluxDB at {self.base_url} answered /ping with HTTP {ping.status_code}"
                )
            probe = self._post([])
            if probe.status_code == 404:
                log.info("creating InfluxDB database %s", self.database)
                self._query(f'CREATE DATABASE "{self.database}"', method="POST")
                probe = self._post([])
        except requests.RequestException as exc:
            raise SinkError(
                f"cannot reach InfluxDB at {self.base_url}: {type(exc).__name__}"
            ) from exc
        if probe.status_code in (401, 403):
            raise CredentialsRefusedError(
                f"{REFUSED} for writing to {self.database} at {self.base_url} "
                f"(HTTP {probe.status_code}): {_error_text(probe)}"
            )
        if probe.status_code != 204:
            raise SinkError(
                f"InfluxDB at {self.base_url} answered a test write to {self.database} with "
                f"HTTP {probe.status_code}: {_error_text(probe)}"
            )

    def restore_watermarks(self) -> Watermarks:
        try:
            series = self._query(
                f'SELECT last("{model.VALUE_COUNT}") FROM "{model.MEASUREMENT}" GROUP BY "window", "sensor_id"'
            )
        except CredentialsRefusedError:
            log.info(
                "the InfluxDB credentials may not read %s (a write-only token): no watermarks "
                "restored; the first cycle rewrites the points the feeds still hold, which "
                "changes nothing stored",
                self.database,
            )
            return {}
        marks: Watermarks = {}
        for item in series:
            tags = item.get("tags", {})
            if tags.get("window") and tags.get("sensor_id"):
                marks[(tags["window"], int(tags["sensor_id"]))] = int(item["values"][0][0])
        return marks

    def _post(self, lines: list[str]) -> requests.Response:
        params = {"db": self.database, "precision": "s"}
        if self.retention_policy:
            params["rp"] = self.retention_policy
        return self.session.post(
            f"{self.base_url}/write", params=params, data="\n".join(lines).encode(), timeout=TIMEOUT
        )

    def _write_batch(self, rows: list[Row], lines: list[str]) -> WriteResult:
        """Posts one batch; on a 400, splits it until the refused lines are isolated.

        InfluxDB stores the good lines of a partial write, so resending them while
        splitting only rewrites the same points.
        """
        try:
            response = self._post(lines)
        except requests.RequestException as exc:
            return WriteResult(failed=[f"InfluxDB write failed: {type(exc).__name__}: {exc}"])
        if response.status_code == 204:
            return WriteResult(written=len(rows))
        if response.status_code in (401, 403):
            return WriteResult(failed=[f"{REFUSED} (HTTP {response.status_code})"])
        if response.status_code == 400:
            reason = _error_text(response)
            if len(rows) == 1 or _dropped(reason) == len(rows):
                # Every line refused (a limit reached, a wrong type throughout): no
                # need to split the batch to find them.
                return WriteResult(rejected=[Rejection(row, reason) for row in rows])
            half = len(rows) // 2
            first = self._write_batch(rows[:half], lines[:half])
            return first.merge(self._write_batch(rows[half:], lines[half:]))
        return WriteResult(
            failed=[f"InfluxDB write failed: HTTP {response.status_code}: {_error_text(response)}"]
        )

    def write_rows(self, rows: Iterable[Row]) -> WriteResult:
        result = WriteResult()
        iterator: Iterator[Row] = iter(rows)
        while batch := list(islice(iterator, BATCH_LINES)):
            result = result.merge(self._write_batch(batch, [to_line(r) for r in batch]))
        if result.rejected:
            log.warning(
                "InfluxDB refused %d readings: %s", len(result.rejected), result.rejected[0].reason
            )
        return result

    def write(self, frame: DataFrame) -> WriteResult:
        """Writes from the executors; when the store refused the credentials and they came
        from a secret, reads the secret once more and, if it changed, writes again."""
        result = super().write(frame)
        if not self.credentials.rereadable or not any(
            failure.startswith(REFUSED) for failure in result.failed
        ):
            return result
        fresh = self.credentials.reread()
        if fresh == self.credentials:
            log.error("InfluxDB refused the credentials and their secret has not changed")
            return result
        log.warning("InfluxDB refused the credentials: the secret was rotated, writing again")
        self.credentials = fresh
        self.close()
        return super().write(frame)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def _dropped(reason: str) -> int | None:
    """How many lines a "partial write" error says InfluxDB dropped."""
    match = re.search(r"dropped=(\d+)", reason)
    return int(match.group(1)) if match else None


def _error_text(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", response.text))[:300]
    except ValueError:
        return response.text[:300]
