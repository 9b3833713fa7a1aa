"""Feed intake: a JSON array, from an HTTP body or a saved file, to JSON Lines in the spool.

The array is read as a stream with ijson (yajl2_c backend), so memory stays flat
whatever the feed's size, and any valid layout works: compact or pretty-printed,
CRLF, a UTF-8 byte order mark, trailing whitespace. Each element that is a JSON
object becomes one line of the spool file, the form Spark's JSON reader splits
across cores. What cannot become a line is quarantined with its reason:

- an element that is not an object (one entry each);
- a feed that is no JSON array at all: empty, an HTML page, a JSON object (one entry);
- a feed that breaks off (a saved file cut short): its complete records are kept
  and the cut one is one entry.

Errors of the byte stream itself (an HTTP body cut short) are not handled here:
they propagate, and nothing of that feed is spooled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import orjson

#: Bytes asked of the source at a time.
CHUNK = 1 << 16
BOM = b"\xef\xbb\xbf"
#: How much of a broken feed's text a quarantine entry keeps.
PREVIEW_BYTES = 2048
#: How much of the end of the input is kept to find the record a broken feed stops in.
TAIL_BYTES = 4 * PREVIEW_BYTES
#: Elements that are not objects get one entry each up to this many, then one for the rest.
MAX_ELEMENT_ENTRIES = 1000
SPOOL_SUFFIX = ".jsonl"

_WHITESPACE = b" \t\r\n"
#: Where an object may start in JSON text: the search for the cut record of a broken feed.
_OBJECT_START = re.compile(r"\{")


@dataclass
class Intake:
    """What reading one feed gave: records spooled, quarantine entries, the input's digest."""

    window: str
    records: int = 0
    path: Path | None = None
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    size: int = 0
    digest: str = ""

    def quarantine(self, reason: str, record: str) -> None:
        self.quarantined.append({"window": self.window, "reason": reason, "record": record})


class _Stream:
    """The feed's bytes as ijson reads them: BOM dropped, every byte hashed and counted."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""
        self.hash = hashlib.sha256()
        self.size = 0
        #: The end of what was read, to find the record a broken feed stops in.
        self.tail = b""

    def _next(self) -> bytes:
        data = next(self._chunks, b"")
        self.hash.update(data)
        self.size += len(data)
        return data

    def start(self) -> bytes:
        """Reads up to the first byte that is not whitespace; returns the text from there."""
        head = b""
        while len(head) < len(BOM) and BOM.startswith(head):  # it may still be a BOM
            data = self._next()
            if not data:
                break
            head += data
        body = head.removeprefix(BOM).lstrip(_WHITESPACE)
        while not body and (data := self._next()):
            body = data.lstrip(_WHITESPACE)
        self._pending = self.tail = body
        return body

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing first, to see bytes or text
            return b""
        data, self._pending = self._pending, b""
        while not data:
            data = self._next()
            if not data:
                return b""
            self.tail = (self.tail + data)[-TAIL_BYTES:]
        return data

    def drain(self) -> None:
        """Reads the rest: the digest covers the whole feed, and a broken download shows."""
        while self._next():
            pass


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _number(value: object) -> str:
    """Non-integer JSON numbers keep their text (ijson gives them as Decimal)."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def encode(value: object) -> bytes:
    """One compact JSON text without newline; integers beyond 64 bits fall back to json."""
    try:
        return orjson.dumps(value, default=_number)
    except orjson.JSONEncodeError:
        return json.dumps(
            value, default=_number, separators=(",", ":"), ensure_ascii=False
        ).encode()


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "a number"


def cut_record(tail: bytes) -> str:
    """The text of the record a feed breaks off in: the last object of ``tail`` left open.

    ``tail`` is the end of what was read. Objects that close (earlier records, or
    parts of them when the tail starts inside a record) are skipped whole; the
    first one that does not close is the cut record.
    """
    text = _text(tail)
    decoder = json.JSONDecoder()
    position = 0
    while match := _OBJECT_START.search(text, position):
        try:
            _, end = decoder.raw_decode(text, match.start())
        except ValueError:
            return text[match.start() :][-PREVIEW_BYTES:]
        position = end
    return text[-PREVIEW_BYTES:].strip()


def spool(chunks: Iterable[bytes], folder: Path, window: str) -> Intake:
    """Reads one feed from ``chunks`` and writes its records to a new file in ``folder``.

    The file (``<time in ns>.jsonl``) appears complete or not at all: it is written
    under a temporary name, synced and renamed. A feed with no record leaves no
    file. An exception of ``chunks`` (a broken download) propagates and leaves no file.
    """
    intake = Intake(window)
    stream = _Stream(chunks)
    first = stream.start()
    if not first.startswith(b"["):
        preview = b""
        while len(preview) < PREVIEW_BYTES and (data := stream.read()):
            preview += data
        what = "empty" if not first else f"not a JSON array (it starts with {_text(first[:1])!r})"
        intake.quarantine(f"malformed feed: {what}", _text(preview[:PREVIEW_BYTES]))
        stream.drain()
    else:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".intake-")
        try:
            with os.fdopen(handle, "wb", buffering=1 << 20) as out:
                _write_records(stream, out, intake)
                out.flush()
                os.fsync(out.fileno())
            if intake.records:
                intake.path = folder / f"{time.time_ns()}{SPOOL_SUFFIX}"
                os.replace(temporary, intake.path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    intake.size, intake.digest = stream.size, stream.hash.hexdigest()
    return intake


def _write_records(stream: _Stream, out: BinaryIO, intake: Intake) -> None:
    odd = 0
    try:
        for element in ijson.items(stream, "item", buf_size=CHUNK):
            if isinstance(element, dict):
                out.write(encode(element))
                out.write(b"\n")
                intake.records += 1
                continue
            odd += 1
            if odd <= MAX_ELEMENT_ENTRIES:
                intake.quarantine(
                    f"malformed record: {_kind(element)}, not a JSON object",
                    _text(encode(element)[:PREVIEW_BYTES]),
                )
    except ijson.JSONError as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        intake.quarantine(
            f"malformed feed: it breaks off after {intake.records} complete records ({problem})",
            cut_record(stream.tail),
        )
        stream.drain()
    if odd > MAX_ELEMENT_ENTRIES:
        intake.quarantine(
            f"malformed records: {odd - MAX_ELEMENT_ENTRIES} more elements that are not JSON objects",
            "",
        )


def file_chunks(path: Path) -> Iterator[bytes]:
    """A saved file's bytes, CHUNK at a time."""
    with path.open("rb") as source:
        while data := source.read(CHUNK):
            yield data


def file_digest(path: Path) -> str:
    """SHA-256 of a file, the same digest :func:`spool` reports for it."""
    digest = hashlib.sha256()
    for data in file_chunks(path):
        digest.update(data)
    return digest.hexdigest()
