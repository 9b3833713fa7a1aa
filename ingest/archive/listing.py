"""Where archive files come from: the archive's web server, a local folder, or an S3 mirror.

Every source lists the files of some days (filtered by sensor type and sensor
before anything is downloaded) and hands Spark paths it can read:

- ``https://archive.sensor.community/`` (any base URL): the day index pages
  (HTML autoindex, ``DAY/`` or ``YEAR/DAY/``) are listed with the job's HTTP
  session, and the chosen files are downloaded in parallel to a staging folder,
  deleted again once their batch is stored. Spark reads the staged copies, so
  executors on other hosts need the staging folder on shared storage.
- a local folder: archive CSVs anywhere below it (flat, one folder a day, year
  folders, month files), read in place.
- ``s3://bucket/prefix``: a mirror with the archive's layout below the prefix,
  listed with boto3 and read by Spark directly (EMR reads ``s3://``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urljoin, urlsplit

import requests

from ingest.archive import layout
from ingest.archive.layout import ArchiveFile
from ingest.http import retrying_session

log = logging.getLogger(__name__)

DEFAULT_ARCHIVE_URL = "https://archive.sensor.community/"
#: (connect, read) seconds for index pages and files.
TIMEOUT = (10.0, 120.0)
CHUNK = 1 << 16


@dataclass(frozen=True)
class Selection:
    """Which files a run wants: its days, and optionally sensor types and sensors."""

    first: date
    last: date
    types: frozenset[str] | None = None
    sensors: frozenset[int] | None = None

    def wants(self, file: ArchiveFile) -> bool:
        if file.last_day < self.first or file.first_day > self.last:
            return False
        if self.types is not None and file.sensor_type not in self.types:
            return False
        return not (
            self.sensors is not None
            and file.sensor_id is not None
            and file.sensor_id not in self.sensors
        )


@dataclass
class Listing:
    files: list[ArchiveFile] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Staged:
    """Files ready for Spark (path of each file) and the ones that could not be fetched."""

    paths: dict[ArchiveFile, str] = field(default_factory=dict)
    errors: dict[ArchiveFile, str] = field(default_factory=dict)


class ArchiveSource(Protocol):
    description: str

    def list_files(self, selection: Selection) -> Listing: ...

    def stage(self, files: Sequence[ArchiveFile]) -> Staged: ...

    def release(self, files: Iterable[ArchiveFile]) -> None:
        """Called once the files' rows are stored."""
        ...


def _select(files: Iterable[ArchiveFile], selection: Selection) -> list[ArchiveFile]:
    return sorted({f for f in files if selection.wants(f)})


class FolderSource:
    """Archive CSVs anywhere below a local folder, read in place."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.description = str(root)

    def list_files(self, selection: Selection) -> Listing:
        if not self.root.is_dir():
            return Listing(errors=[f"source folder {self.root} does not exist"])
        found = (
            layout.parse_name(p.name, str(p.resolve()))
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        )
        return Listing(files=_select((f for f in found if f is not None), selection))

    def stage(self, files: Sequence[ArchiveFile]) -> Staged:
        return Staged(paths={f: f.location for f in files})

    def release(self, files: Iterable[ArchiveFile]) -> None:
        """Files are read in place."""


class _Links(HTMLParser):
    """The ``href`` targets of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.extend(unquote(v) for k, v in attrs if k == "href" and v)


def index_names(html: str) -> list[str]:
    """File names linked from an autoindex page (folders and parent links left out)."""
    parser = _Links()
    parser.feed(html)
    names = (link.split("?")[0].rstrip("/").rsplit("/", 1)[-1] for link in parser.links)
    return [n for n in dict.fromkeys(names) if n]


class HttpSource:
    """The archive's web server: day index pages listed, chosen files staged locally."""

    def __init__(self, base_url: str, staging: Path, *, workers: int = 8) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.staging = staging
        self.workers = max(1, workers)
        self.description = self.base_url
        self.session = retrying_session()

    def _index(self, day: date) -> tuple[str, list[str]] | str:
        """(page URL, names) of a day's index page, or an error line."""
        candidates = (
            layout.DAY_FOLDER.format(day=day.isoformat()),
            layout.YEAR_DAY_FOLDER.format(year=day.year, day=day.isoformat()),
        )
        for folder in candidates:
            url = urljoin(self.base_url, folder)
            try:
                response = self.session.get(url, timeout=TIMEOUT)
            except requests.RequestException as exc:
                return f"cannot list {url}: {type(exc).__name__}: {exc}"
            if response.status_code == 404:
                continue
            if response.status_code != 200:
                return f"cannot list {url}: HTTP {response.status_code}"
            return url, index_names(response.text)
        return f"no index page for {day.isoformat()} under {self.base_url}"

    def list_files(self, selection: Selection) -> Listing:
        listing = Listing()
        days = layout.days_between(selection.first, selection.last)
        with ThreadPoolExecutor(self.workers) as pool:
            for day, page in zip(days, pool.map(self._index, days), strict=True):
                if isinstance(page, str):
                    listing.errors.append(page)
                    continue
                url, names = page
                found = (layout.parse_name(n, urljoin(url, n)) for n in names)
                # a day page holds that day's files only
                listing.files.extend(
                    f for f in found if f is not None and f.first_day == f.last_day == day
                )
        listing.files = _select(listing.files, selection)
        return listing

    def _staged_path(self, file: ArchiveFile) -> Path:
        return self.staging / file.first_day.isoformat() / file.name

    def _download(self, file: ArchiveFile) -> str | None:
        """Stages one file; returns an error line, or None."""
        target = self._staged_path(file)
        if target.exists():  # staged by an earlier, interrupted run (renamed only when complete)
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.session.get(file.location, timeout=TIMEOUT, stream=True) as response:
                if response.status_code != 200:
                    return f"cannot download {file.location}: HTTP {response.status_code}"
                if "html" in response.headers.get("Content-Type", "").lower():
                    return f"cannot download {file.location}: the server sent an HTML page"
                handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{file.name}-")
                try:
                    # a .gz file is kept as sent; a plain file compressed for the transfer is unpacked
                    chunks = response.raw.stream(
                        CHUNK, decode_content=not file.name.endswith(".gz")
                    )
                    with os.fdopen(handle, "wb") as out:
                        for chunk in chunks:
                            out.write(chunk)
                    os.replace(temporary, target)
                finally:
                    if os.path.exists(temporary):
                        os.unlink(temporary)
        except (requests.RequestException, OSError) as exc:
            return f"cannot download {file.location}: {type(exc).__name__}: {exc}"
        return None

    def stage(self, files: Sequence[ArchiveFile]) -> Staged:
        staged = Staged()
        with ThreadPoolExecutor(self.workers) as pool:
            for file, error in zip(files, pool.map(self._download, files), strict=True):
                if error is None:
                    staged.paths[file] = str(self._staged_path(file).resolve())
                else:
                    staged.errors[file] = error
        return staged

    def release(self, files: Iterable[ArchiveFile]) -> None:
        for file in files:
            path = self._staged_path(file)
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # other files of the day are still staged
                path.parent.rmdir()


class S3Source:
    """A mirror in S3 with the archive's layout below ``s3://bucket/prefix``."""

    def __init__(self, url: str, client: Any = None) -> None:
        parts = urlsplit(url)
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.description = url
        if client is None:
            import boto3

            client = boto3.client("s3")
        self.client = client

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def _prefixes(self, selection: Selection) -> list[str]:
        """Key prefixes that hold the selection's files, in any of the archive's layouts."""
        prefixes = []
        months = sorted(
            {(d.year, d.month) for d in layout.days_between(selection.first, selection.last)}
        )
        for day in layout.days_between(selection.first, selection.last):
            text = day.isoformat()
            prefixes += [
                self._key(layout.DAY_FOLDER.format(day=text)),
                self._key(layout.YEAR_DAY_FOLDER.format(year=day.year, day=text)),
                self._key(f"{text}_"),  # a flat mirror
            ]
        for year, month in months:
            text = f"{year:04d}-{month:02d}"
            prefixes += [self._key(f"csv_per_month/{text}/"), self._key(f"{text}_")]
        return prefixes

    def list_files(self, selection: Selection) -> Listing:
        listing = Listing()
        paginator = self.client.get_paginator("list_objects_v2")
        for prefix in self._prefixes(selection):
            try:
                for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                    for item in page.get("Contents", []):
                        key = item["Key"]
                        found = layout.parse_name(
                            key.rsplit("/", 1)[-1], f"s3://{self.bucket}/{key}"
                        )
                        if found is not None:
                            listing.files.append(found)
            except Exception as exc:  # botocore's errors: one line per prefix, never a crash
                listing.errors.append(f"cannot list s3://{self.bucket}/{prefix}: {exc}")
        listing.files = _select(listing.files, selection)
        return listing

    def stage(self, files: Sequence[ArchiveFile]) -> Staged:
        return Staged(paths={f: f.location for f in files})

    def release(self, files: Iterable[ArchiveFile]) -> None:
        """Spark reads the mirror directly."""


def open_archive(source: str, staging: Path, *, workers: int = 8) -> ArchiveSource:
    """The source a ``--source`` value names: an http(s) URL, an s3:// URL or a folder."""
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        return HttpSource(source, staging, workers=workers)
    if scheme == "s3":
        return S3Source(source)
    return FolderSource(Path(source))
