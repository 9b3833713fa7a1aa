"""Sinks, chosen by URL: sqlite:///PATH, influxdb://HOST:PORT/DB, timestream://DB/TABLE."""

from __future__ import annotations

from urllib.parse import urlsplit

from ingest.sinks.base import Rejection, Row, Sink, SinkError, Watermarks, WriteResult

__all__ = ["Rejection", "Row", "Sink", "SinkError", "Watermarks", "WriteResult", "open_sink"]

USAGE = (
    "use sqlite:///PATH, influxdb://HOST:PORT/DATABASE (influxdbs:// for TLS) "
    "or timestream://DATABASE/TABLE?region=REGION"
)


def open_sink(url: str) -> Sink:
    """The sink a URL names; raises SinkError with a one-line cause when it is wrong."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        from ingest.sinks.sqlite import SqliteSink

        return SqliteSink.from_url(url)
    if scheme in ("influxdb", "influxdbs"):
        from ingest.sinks.influxdb import InfluxSink

        return InfluxSink.from_url(url)
    if scheme == "timestream":
        from ingest.sinks.timestream import TimestreamSink

        return TimestreamSink.from_url(url)
    raise SinkError(f"unsupported sink URL scheme {scheme or '(none)'!r}: {USAGE}")
