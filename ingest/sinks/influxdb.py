"""InfluxDB through its v1 API: line protocol to ``/write``, InfluxQL on ``/query``.

Timestream for InfluxDB (InfluxDB 2.x) serves the same two endpoints for 1.x
clients: the bucket is the database, with retention policy ``autogen``.
Writing a point again with the same measurement, tags and time overwrites it
with the same values, so rewrites are no-ops.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from ingest import model
from ingest.http import retrying_session
from ingest.sinks.base import Rejection, Row, Sink, SinkError, Watermarks, WriteResult
from ingest.sinks.influx_auth import InfluxTokens

log = logging.getLogger(__name__)

BATCH_LINES = 5_000
DEFAULT_ORGANIZATION = "aqi"
TIMEOUT = (5.0, 60.0)

_FLOAT_FIELDS = (*model.LOCATION, *model.MEASURES)
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

    Tags are the model's dimensions that have a value; measures and location are
    float fields, indices, value_count and hours integer fields, band a string field,
    extra value types ``x_<name>`` float fields.
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
        f"{name}={int(row[name])}i" for name in model.INDEX_COLUMNS if row.get(name) is not None
    )
    if row.get(model.BAND_COLUMN):
        fields.append(f"{model.BAND_COLUMN}={_string_field(str(row[model.BAND_COLUMN]))}")
    fields.append(f"{model.VALUE_COUNT}={int(row.get(model.VALUE_COUNT) or 0)}i")
    if row.get(model.HOURS) is not None:
        fields.append(f"{model.HOURS}={int(row[model.HOURS])}i")
    for name, value in sorted((row.get(model.EXTRA) or {}).items()):
        if value is not None and (text := _float(value)) is not None:
            fields.append(f"{_key('x_' + name)}={text}")
    measurement = model.MEASUREMENT.translate(_MEASUREMENT_ESCAPES)
    return f"{measurement}{tags} {','.join(fields)} {int(row['time'])}"


@dataclass(frozen=True)
class Credentials:
    """Token, or username and password (with the InfluxDB 2 organization). Never printed."""

    token: str | None = None
    username: str | None = None
    password: str | None = None
    organization: str = DEFAULT_ORGANIZATION

    def __repr__(self) -> str:
        return "Credentials(<hidden>)"

    def apply(self, session: requests.Session) -> None:
        if self.token:
            session.headers["Authorization"] = f"Token {self.token}"
        elif self.username is not None and self.password is not None:
            session.auth = (self.username, self.password)

    @classmethod
    def from_environment(cls) -> Credentials:
        """AQI_INFLUXDB_TOKEN, or AQI_INFLUXDB_USERNAME/PASSWORD, or AQI_INFLUXDB_SECRET_ARN."""
        env = os.environ
        if env.get("AQI_INFLUXDB_TOKEN"):
            return cls(token=env["AQI_INFLUXDB_TOKEN"])
        if env.get("AQI_INFLUXDB_USERNAME"):
            return cls(
                username=env["AQI_INFLUXDB_USERNAME"],
                password=env.get("AQI_INFLUXDB_PASSWORD", ""),
                organization=env.get("AQI_INFLUXDB_ORG", DEFAULT_ORGANIZATION),
            )
        if env.get("AQI_INFLUXDB_SECRET_ARN"):
            return cls.from_secret(env["AQI_INFLUXDB_SECRET_ARN"])
        return cls()

    @classmethod
    def from_secret(cls, secret_id: str) -> Credentials:
        """Reads a Secrets Manager secret (JSON with ``token``, or ``username`` and ``password``)."""
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client = boto3.client("secretsmanager", config=Config(retries={"mode": "standard"}))
            secret: dict[str, Any] = json.loads(
                client.get_secret_value(SecretId=secret_id)["SecretString"]
            )
        except (BotoCoreError, ClientError, ValueError, KeyError) as exc:
            raise SinkError(
                f"cannot read InfluxDB credentials from secret {secret_id}: {exc}"
            ) from exc
        if secret.get("token"):
            return cls(token=str(secret["token"]))
        if secret.get("username") and secret.get("password"):
            return cls(
                username=str(secret["username"]),
                password=str(secret["password"]),
                organization=str(secret.get("organization") or DEFAULT_ORGANIZATION),
            )
        raise SinkError(f"secret {secret_id} holds neither 'token' nor 'username' and 'password'")


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
            raise SinkError(
                f"InfluxDB at {self.base_url} refused the credentials (HTTP {response.status_code})"
            )
        response.raise_for_status()
        result = response.json()["results"][0]
        if "error" in result:
            raise SinkError(f"InfluxDB query failed: {result['error']}")
        return list(result.get("series", []))

    def _sign_in(self) -> None:
        """With a username and password on InfluxDB 2, switches to a token for the bucket."""
        credentials = self.credentials
        if credentials.token or credentials.username is None or credentials.password is None:
            return
        tokens = InfluxTokens(retrying_session(methods=("GET",)), self.base_url, TIMEOUT)
        token = tokens.bucket_token(
            credentials.username, credentials.password, credentials.organization, self.database
        )
        if token is not None:
            self.credentials = Credentials(token=token)
            self.close()

    def check(self) -> None:
        self._sign_in()
        try:
            ping = self.session.get(f"{self.base_url}/ping", timeout=TIMEOUT)
            if ping.status_code != 204:
                raise SinkError(
                    f"InfluxDB at {self.base_url} answered /ping with HTTP {ping.status_code}"
                )
            names = {v[0] for s in self._query("SHOW DATABASES") for v in s.get("values", [])}
            if self.database not in names:
                log.info("creating InfluxDB database %s", self.database)
                self._query(f'CREATE DATABASE "{self.database}"', method="POST")
        except requests.RequestException as exc:
            raise SinkError(
                f"cannot reach InfluxDB at {self.base_url}: {type(exc).__name__}"
            ) from exc

    def restore_watermarks(self) -> Watermarks:
        series = self._query(
            f'SELECT last("{model.VALUE_COUNT}") FROM "{model.MEASUREMENT}" GROUP BY "window", "sensor_id"'
        )
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
