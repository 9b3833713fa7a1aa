"""Where feeds come from: Sensor.Community over HTTP, or saved files replayed.

A source hands the cycle local files (Spark reads them with its JSON reader).
The HTTP source spools each download to the state folder and deletes it only
once its readings are stored.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urljoin

import requests

from ingest import model
from ingest.http import retrying_session
from ingest.state import atomic_write

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://data.sensor.community/static/v2/"

#: File name of each window's feed on data.sensor.community.
FEED_FILES = {model.WINDOW_5M: "data.json", model.WINDOW_24H: "data.24h.json"}

#: (connect, read) seconds. The 24-hour feed is tens of MB.
TIMEOUT = (10.0, 120.0)
CHUNK = 1 << 20


@dataclass(frozen=True)
class Feed:
    """One feed file ready for Spark."""

    window: str
    path: Path


@dataclass
class Fetched:
    """What a fetch produced: feeds to process, feeds unchanged since last time, errors."""

    feeds: list[Feed] = field(default_factory=list)
    not_modified: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Source(Protocol):
    def fetch(self) -> Fetched: ...

    def commit(self) -> None:
        """Called once the readings of the last fetch are stored."""


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

    ``WINDOW=PATH`` (``24h=feed.json``) names the window of a file explicitly.
    """

    def __init__(self, location: str, windows: Sequence[str]) -> None:
        window, sep, path = location.partition("=")
        self.forced_window = window if sep and window in model.WINDOWS else None
        self.path = Path(path if self.forced_window else location)
        self.windows = tuple(windows)

    def fetch(self) -> Fetched:
        if not self.path.exists():
            return Fetched(errors=[f"source {self.path} does not exist"])
        files = sorted(self.path.glob("*.json")) if self.path.is_dir() else [self.path]
        feeds = [
            Feed(self.forced_window or window_of(p), p)
            for p in files
            if (self.forced_window or window_of(p)) in self.windows
        ]
        if not feeds:
            return Fetched(errors=[f"no feed for windows {','.join(self.windows)} in {self.path}"])
        return Fetched(feeds=feeds)

    def commit(self) -> None:
        """Files need no bookkeeping: watermarks skip what was already stored."""


class HttpSource:
    """The live feeds under a base URL, fetched with conditional GETs.

    Each download is spooled to ``SPOOL/<window>/<time>.json`` and stays there
    until the cycle that read it has stored its readings (``commit``): a store
    outage or a crash keeps the feeds for the next cycle instead of losing them.
    """

    def __init__(
        self,
        base_url: str,
        windows: Sequence[str],
        spool_dir: Path,
        *,
        max_pending: int = 120,
        timeout: tuple[float, float] = TIMEOUT,
        backoff: float = 1.0,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.windows = tuple(windows)
        self.spool_dir = spool_dir
        self.max_pending = max_pending
        self.timeout = timeout
        self.validators_path = spool_dir / "validators.json"
        self.session = retrying_session(backoff=backoff)
        self._validators: dict[str, dict[str, str]] = self._load_validators()
        self._handed_out: list[Path] = []

    def _load_validators(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.validators_path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

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
                if not self._download(window, url):
                    fetched.not_modified.append(window)
            except (requests.RequestException, OSError, ValueError) as exc:
                fetched.errors.append(f"{url}: {type(exc).__name__}: {exc}")
            fetched.feeds.extend(Feed(window, p) for p in self._pending(window))
        self._handed_out = [f.path for f in fetched.feeds]
        return fetched

    def _pending(self, window: str) -> list[Path]:
        """Spooled feeds not yet stored, oldest first; the oldest beyond the cap are dropped."""
        files = sorted((self.spool_dir / window).glob("*.json"))
        for dropped in files[: max(0, len(files) - self.max_pending)]:
            log.warning(
                "dropping spooled feed %s: more than %d feeds pending", dropped, self.max_pending
            )
            dropped.unlink(missing_ok=True)
        return files[-self.max_pending :]

    def _download(self, window: str, url: str) -> bool:
        """Downloads a changed feed into the spool; False when the server says it has not changed."""
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
            folder = self.spool_dir / window
            folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".download-")
            try:
                with os.fdopen(handle, "wb") as out:
                    for chunk in response.iter_content(CHUNK):
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, folder / f"{time.time_ns()}.json")
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
            self._validators[window] = {
                "etag": response.headers.get("ETag", ""),
                "last_modified": response.headers.get("Last-Modified", ""),
            }
        atomic_write(self.validators_path, json.dumps(self._validators))
        return True

    def commit(self) -> None:
        for path in self._handed_out:
            path.unlink(missing_ok=True)
        self._handed_out = []


def open_source(location: str, windows: Sequence[str], spool_dir: Path) -> Source:
    """An HttpSource for http(s) URLs, else a FileSource."""
    if location.startswith(("http://", "https://")):
        return HttpSource(location, windows, spool_dir)
    return FileSource(location, windows)
