"""Where feeds come from: Sensor.Community over HTTP, or saved files replayed.

Either way each feed goes through the intake (:mod:`ingest.intake`) into the spool,
``STATE_DIR/spool/<window>/<time>.jsonl``, as JSON Lines for Spark. A spooled feed
stays there until the cycle that read it has stored its readings (``commit``), so
a store outage or a crash keeps it for the next cycle instead of losing it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin

import requests

from ingest import intake, model
from ingest.http import retrying_session
from ingest.state import atomic_write

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://data.sensor.community/static/v2/"

#: File name of each window's feed on data.sensor.community.
FEED_FILES = {model.WINDOW_5M: "data.json", model.WINDOW_24H: "data.24h.json"}

#: (connect, read) seconds. The 24-hour feed is tens of MB.
TIMEOUT = (10.0, 120.0)
#: Bytes of the HTTP body handed to the intake at a time.
CHUNK = 1 << 16
#: Spooled feeds kept per window while the store cannot take them.
MAX_PENDING = 120


@dataclass(frozen=True)
class Feed:
    """One spooled feed (JSON Lines) ready for Spark."""

    window: str
    path: Path


@dataclass
class Fetched:
    """What a fetch produced: feeds to process, unchanged feeds, errors, quarantine entries."""

    feeds: list[Feed] = field(default_factory=list)
    not_modified: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: What the intake could not spool: {"window", "reason", "record"} each.
    quarantined: list[dict[str, Any]] = field(default_factory=list)


class Source(Protocol):
    def fetch(self) -> Fetched: ...

    def commit(self) -> None:
        """Called once the readings of the last fetch are stored."""


class Spool:
    """``SPOOL/<window>/*.jsonl``: feeds read and not yet stored, handed out oldest first."""

    def __init__(
        self, folder: Path, windows: Sequence[str], max_pending: int = MAX_PENDING
    ) -> None:
        self.root = folder
        self.windows = tuple(windows)
        self.max_pending = max_pending
        self._handed_out: list[Path] = []

    def folder(self, window: str) -> Path:
        return self.root / window

    def take(self, chunks: Any, window: str, fetched: Fetched) -> intake.Intake:
        """Runs the intake of one feed into the window's folder; its quarantine goes to ``fetched``."""
        result = intake.spool(chunks, self.folder(window), window)
        fetched.quarantined.extend(result.quarantined)
        return result

    def pending(self, window: str) -> list[Path]:
        """Spooled feeds not yet stored, oldest first; the oldest beyond the cap are dropped."""
        files = sorted(self.folder(window).glob(f"*{intake.SPOOL_SUFFIX}"))
        for dropped in files[: max(0, len(files) - self.max_pending)]:
            log.warning(
                "dropping spooled feed %s: more than %d feeds pending", dropped, self.max_pending
            )
            dropped.unlink(missing_ok=True)
        return files[-self.max_pending :]

    def hand_out(self, fetched: Fetched) -> None:
        """Adds every pending feed to ``fetched``; ``commit`` deletes exactly these.

        Raw downloads (``*.json``) that an earlier version of the job left
        pending go through the intake first.
        """
        for window in self.windows:
            for raw in sorted(self.folder(window).glob("*.json")):
                self.take(intake.file_chunks(raw), window, fetched)
                raw.unlink()
        fetched.feeds.extend(Feed(w, p) for w in self.windows for p in self.pending(w))
        self._handed_out = [f.path for f in fetched.feeds]

    def commit(self) -> None:
        for path in self._handed_out:
            path.unlink(missing_ok=True)
        self._handed_out = []


def window_of(path: Path) -> str:
    """The window a saved feed holds, by its name.

    ``data.json``, ``*5m*`` and ``*.min.*`` (the service's names for 5-minute means)
    are 5-minute means; any other name, ``data.24h.json`` included, is taken as
    24-hour means, the feed the DAQI is defined on. ``5m=PATH`` overrides.
    """
    name = path.name
    if "24h" not in name and (
        name == FEED_FILES[model.WINDOW_5M] or "5m" in name or ".min." in name
    ):
        return model.WINDOW_5M
    return model.WINDOW_24H


class FileSource:
    """A saved feed file, or a folder of them (``*.json``, sorted by name).

    ``WINDOW=PATH`` (``24h=feed.json``) names the window of a file explicitly. A
    file whose size, modification time and SHA-256 are those of a file already
    stored is not read again (like an HTTP 304); its fingerprints live in
    ``SPOOL/files.json``.
    """

    def __init__(
        self,
        location: str,
        windows: Sequence[str],
        spool_dir: Path,
        *,
        max_pending: int = MAX_PENDING,
    ) -> None:
        window, sep, path = location.partition("=")
        self.forced_window = window if sep and window in model.WINDOWS else None
        self.path = Path(path if self.forced_window else location)
        self.windows = tuple(windows)
        self.spool = Spool(spool_dir, windows, max_pending)
        self.fingerprints_path = spool_dir / "files.json"
        self._fingerprints: dict[str, dict[str, Any]] = _load_json(self.fingerprints_path)

    def _files(self) -> list[tuple[Path, str]]:
        files = sorted(self.path.glob("*.json")) if self.path.is_dir() else [self.path]
        named = ((p, self.forced_window or window_of(p)) for p in files)
        return [(p, w) for p, w in named if w in self.windows]

    def fetch(self) -> Fetched:
        fetched = Fetched()
        if not self.path.exists():
            fetched.errors.append(f"source {self.path} does not exist")
        elif not (files := self._files()):
            fetched.errors.append(f"no feed for windows {','.join(self.windows)} in {self.path}")
        else:
            for path, window in files:
                try:
                    self._take(path, window, fetched)
                except OSError as exc:
                    fetched.errors.append(f"{path}: {exc}")
            atomic_write(self.fingerprints_path, json.dumps(self._fingerprints))
        self.spool.hand_out(fetched)
        return fetched

    def _take(self, path: Path, window: str, fetched: Fetched) -> None:
        """Spools one file unless it is the one already read (stored, or still pending)."""
        stat = path.stat()
        key = str(path.resolve())
        known = self._fingerprints.get(key)
        same = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "window": window}
        if (
            known
            and all(known.get(k) == v for k, v in same.items())
            and known.get("digest") == intake.file_digest(path)
        ):
            if known.get("stored"):
                fetched.not_modified.append(window)
            return  # read before and not stored yet: its spooled feed is still pending
        result = self.spool.take(intake.file_chunks(path), window, fetched)
        if result.size == stat.st_size:  # else it changed while being read: read it again next time
            self._fingerprints[key] = {**same, "digest": result.digest, "stored": not result.path}

    def commit(self) -> None:
        """The handed-out feeds are stored: their files count as read from now on."""
        for known in self._fingerprints.values():
            known["stored"] = True
        atomic_write(self.fingerprints_path, json.dumps(self._fingerprints))
        self.spool.commit()


class HttpSource:
    """The live feeds under a base URL, fetched with conditional GETs.

    The body is read as a stream through the intake (urllib3 decodes a gzip
    response). A body cut short (connection lost, Content-Length not reached, a
    broken chunked stream) is a fetch error: nothing of it is spooled and its
    validators are not saved, so the next cycle fetches it again.
    """

    def __init__(
        self,
        base_url: str,
        windows: Sequence[str],
        spool_dir: Path,
        *,
        max_pending: int = MAX_PENDING,
        timeout: tuple[float, float] = TIMEOUT,
        backoff: float = 1.0,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.windows = tuple(windows)
        self.spool = Spool(spool_dir, windows, max_pending)
        self.timeout = timeout
        self.validators_path = spool_dir / "validators.json"
        self.session = retrying_session(backoff=backoff)
        self._validators: dict[str, dict[str, str]] = _load_json(self.validators_path)

    def _conditional_headers(self, window: str) -> dict[str, str]:
        saved = self._validators.get(window, {})
        headers = {}
        if saved.get("etag"):
            headers["If-None-Match"] = saved["etag"]
        if saved.get("last_modified"):
            headers["If-Modified-Since"] = saved["last_modified"]
        return headers

    def fetch(self) -> Fetched:
        fetched = Fetched()
        for window in self.windows:
            url = urljoin(self.base_url, FEED_FILES[window])
            try:
                if not self._download(window, url, fetched):
                    fetched.not_modified.append(window)
            except (requests.RequestException, OSError, ValueError) as exc:
                fetched.errors.append(f"{url}: {type(exc).__name__}: {exc}")
        self.spool.hand_out(fetched)
        return fetched

    def _download(self, window: str, url: str, fetched: Fetched) -> bool:
        """Spools a changed feed; False when the server says it has not changed."""
        with self.session.get(
            url, headers=self._conditional_headers(window), timeout=self.timeout, stream=True
        ) as response:
            if response.status_code == 304:
                return False
            if response.status_code != 200:
                raise ValueError(f"HTTP {response.status_code}")
            kind = response.headers.get("Content-Type", "")
            if "html" in kind:
                raise ValueError(f"got {kind.split(';')[0]}, not JSON (an error page?)")
            self.spool.take(response.iter_content(CHUNK), window, fetched)
            self._validators[window] = {
                "etag": response.headers.get("ETag", ""),
                "last_modified": response.headers.get("Last-Modified", ""),
            }
        atomic_write(self.validators_path, json.dumps(self._validators))
        return True

    def commit(self) -> None:
        self.spool.commit()


def _load_json(path: Path) -> dict[str, Any]:
    """A small state file of the sources as a dict; empty when missing or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def open_source(location: str, windows: Sequence[str], spool_dir: Path) -> Source:
    """An HttpSource for http(s) URLs, else a FileSource."""
    if location.startswith(("http://", "https://")):
        return HttpSource(location, windows, spool_dir)
    return FileSource(location, windows, spool_dir)
