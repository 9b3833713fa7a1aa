"""The Timestream sink: per-process clients, validated batches, concurrent WriteRecords calls."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ingest.sinks.base import Rejection, Row, Sink, SinkError, Watermarks, WriteResult
from ingest.sinks.timestream.limits import (
    MAX_RECORDS_PER_WRITE,
    SERVICE_REJECTION,
    TableRetention,
    reason_kind,
    record_problems,
)
from ingest.sinks.timestream.records import (
    COMMON_ATTRIBUTES,
    UnencodableReadingError,
    build_record,
    split_common,
)
from ingest.sinks.timestream.settings import TimestreamSettings
from ingest.sinks.timestream.watermarks import parse_timestamp, scalar_rows, watermark_query

# The sink logs as ingest.sinks.timestream, the package it belongs to.
log = logging.getLogger(__package__)


@dataclass
class _Batch:
    """Up to MAX_RECORDS_PER_WRITE valid readings and their records, for one WriteRecords call."""

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
        """Validates and batches readings, then writes them, several WriteRecords calls at once."""
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
                for window, sensor_id, newest in scalar_rows(page):
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
        reason = f"{SERVICE_REJECTION}: {' '.join(str(entry.get('Reason', '')).split())}"
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


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        text = f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:300]
