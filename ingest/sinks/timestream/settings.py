"""Where and how the Timestream for LiveAnalytics sink writes: its URL and client settings.

URL: ``timestream://DATABASE/TABLE?region=REGION`` with optional ``endpoint=URL``
(a local endpoint such as moto; passed to boto3 as ``endpoint_url``),
``retry_mode=adaptive|standard``, ``max_attempts=N`` (retries after the first
call, botocore's ``retries.max_attempts``) and ``workers=N`` (WriteRecords calls
in flight per process). Credentials come from the default AWS chain only (the
instance profile on EC2), never from the URL.

Every record is checked against the service limits before it is sent
(:mod:`ingest.sinks.timestream.limits`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import boto3
from botocore.config import Config

from ingest.sinks.base import SinkError

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
        """botocore settings: retry mode and attempts, timeouts, a connection for every worker."""
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
