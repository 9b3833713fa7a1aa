"""Amazon Timestream for LiveAnalytics sink: one multi-measure record per reading.

The sink URL and its parameters: :mod:`ingest.sinks.timestream.settings`.
"""

from ingest.sinks.timestream.limits import TableRetention, reason_kind, record_problems
from ingest.sinks.timestream.records import (
    COMMON_ATTRIBUTES,
    MEASURE_TYPES,
    UnencodableReadingError,
    build_record,
    split_common,
)
from ingest.sinks.timestream.settings import TimestreamSettings
from ingest.sinks.timestream.sink import TimestreamSink, close_clients, process_client
from ingest.sinks.timestream.watermarks import parse_timestamp, watermark_query

__all__ = [
    "COMMON_ATTRIBUTES",
    "MEASURE_TYPES",
    "TableRetention",
    "TimestreamSettings",
    "TimestreamSink",
    "UnencodableReadingError",
    "build_record",
    "close_clients",
    "parse_timestamp",
    "process_client",
    "reason_kind",
    "record_problems",
    "split_common",
    "watermark_query",
]
