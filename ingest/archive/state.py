"""The backfill's state: the manifest of finished files and the quarantine of bad lines.

The state folder is a local path (``STATE_DIR/backfill/manifest.jsonl``, appended
and synced once per batch, and the job's quarantine ``STATE_DIR/quarantine/``) or an
``s3://bucket/prefix`` on a cluster whose driver has no lasting disk (one object per
batch under ``PREFIX/backfill/manifest/`` and ``PREFIX/backfill/quarantine/``).

A batch's files enter the manifest only after the store accepted its rows, so a
run killed at any moment resumes at the first unfinished batch, and the batch
it was writing is written again: every store ignores a row it already holds.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from ingest.archive.layout import ArchiveFile
from ingest.state import Quarantine

MANIFEST = "manifest"
QUARANTINE = "quarantine"


class StateError(Exception):
    """The state cannot be read or written; one line for the operator."""


class Journal(Protocol):
    """Durable, append-only JSON-lines records of one kind."""

    description: str

    def append(self, kind: str, records: list[dict[str, Any]]) -> None: ...

    def read(self, kind: str) -> Iterator[dict[str, Any]]: ...

    def quarantine(self, entries: Iterable[dict[str, Any]]) -> int:
        """Stores bad lines; returns how many were stored."""
        ...


def _records(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The JSON objects of some lines; a line cut short by a crash is skipped."""
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record


class LocalJournal:
    """``STATE_DIR/backfill/<kind>.jsonl``; the quarantine is the job's own."""

    def __init__(self, state_dir: Path) -> None:
        self.folder = state_dir / "backfill"
        self.description = str(state_dir)
        self._quarantine = Quarantine(state_dir)

    def append(self, kind: str, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with (self.folder / f"{kind}.jsonl").open("a", encoding="utf-8") as out:
                out.write("".join(json.dumps(r, default=str) + "\n" for r in records))
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise StateError(f"cannot write the backfill state in {self.folder}: {exc}") from exc

    def read(self, kind: str) -> Iterator[dict[str, Any]]:
        path = self.folder / f"{kind}.jsonl"
        try:
            with path.open(encoding="utf-8", errors="replace") as lines:
                yield from _records(lines)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StateError(f"cannot read the backfill state {path}: {exc}") from exc

    def quarantine(self, entries: Iterable[dict[str, Any]]) -> int:
        try:
            return self._quarantine.add(entries)
        except OSError as exc:
            raise StateError(f"cannot write the quarantine in {self.description}: {exc}") from exc


class S3Journal:
    """``s3://bucket/prefix``: one object per append, ``PREFIX/backfill/<kind>/<time>-<id>.jsonl``."""

    def __init__(self, url: str, client: Any = None) -> None:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise StateError(f"bad state URL {url!r}: use s3://BUCKET/PREFIX or a folder")
        self.bucket = parts.netloc
        self.prefix = "/".join(p for p in (parts.path.strip("/"), "backfill") if p)
        self.description = url
        if client is None:
            import boto3

            client = boto3.client("s3")
        self.client = client

    def _key(self, kind: str) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return f"{self.prefix}/{kind}/{stamp}-{uuid.uuid4().hex[:8]}.jsonl"

    def append(self, kind: str, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        body = "".join(json.dumps(r, default=str) + "\n" for r in records).encode()
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(kind), Body=body)
        except Exception as exc:  # botocore raises many kinds; the run must say which, once
            raise StateError(
                f"cannot write the backfill state to {self.description}: {exc}"
            ) from exc

    def read(self, kind: str) -> Iterator[dict[str, Any]]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=f"{self.prefix}/{kind}/"
            )
            for page in pages:
                for item in page.get("Contents", []):
                    body = self.client.get_object(Bucket=self.bucket, Key=item["Key"])["Body"]
                    yield from _records(body.read().decode("utf-8", "replace").splitlines())
        except Exception as exc:  # as in append
            raise StateError(
                f"cannot read the backfill state from {self.description}: {exc}"
            ) from exc

    def quarantine(self, entries: Iterable[dict[str, Any]]) -> int:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        records = [{"quarantined_at": now, **e} for e in entries]
        self.append(QUARANTINE, records)
        return len(records)


def open_journal(state: str) -> Journal:
    """The journal of a state folder or ``s3://`` URL."""
    if state.startswith("s3://"):
        return S3Journal(state)
    return LocalJournal(Path(state))


class Manifest:
    """Which files are finished, and for which of their days.

    A day file covers its day; a month file is read whole but only the requested
    days are stored, so it is finished for the days a run stored.
    """

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._done: dict[str, list[tuple[date, date]]] = {}
        for record in journal.read(MANIFEST):
            try:
                first, last = (
                    date.fromisoformat(record["first"]),
                    date.fromisoformat(record["last"]),
                )
                self._done.setdefault(str(record["file"]), []).append((first, last))
            except (KeyError, TypeError, ValueError):
                continue

    def __len__(self) -> int:
        return len(self._done)

    def is_finished(self, file: ArchiveFile, first: date, last: date) -> bool:
        """True when the file's days within ``first``..``last`` were all stored before."""
        need_first, need_last = max(file.first_day, first), min(file.last_day, last)
        return any(a <= need_first and need_last <= b for a, b in self._done.get(file.location, []))

    def finish(self, files: Iterable[ArchiveFile], first: date, last: date) -> None:
        """Records files as stored (durably, before it returns)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        records = []
        for file in files:
            covered = (max(file.first_day, first), min(file.last_day, last))
            self._done.setdefault(file.location, []).append(covered)
            records.append(
                {
                    "file": file.location,
                    "first": covered[0].isoformat(),
                    "last": covered[1].isoformat(),
                    "finished_at": now,
                }
            )
        self.journal.append(MANIFEST, records)
