"""What a backfill tells its operator: a progress line while it runs, a summary at the end."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import TextIO

log = logging.getLogger(__name__)


@dataclass
class Totals:
    """Counts of a run (or of one batch, merged into the run's)."""

    files: int = 0
    lines: int = 0
    readings: int = 0
    quarantined: int = 0
    invalid_values: int = 0
    duplicates: int = 0
    skipped: int = 0
    hourly_rows: int = 0
    daily_rows: int = 0
    indexed_days: int = 0
    below_capture: int = 0
    written: int = 0
    rejected: int = 0

    def add(self, other: Totals) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


@dataclass
class Summary:
    """The final report of a run."""

    listed: int
    already_done: int
    totals: Totals
    seconds: float
    failed_files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed_files and not self.errors

    def render(self) -> str:
        t = self.totals
        rate = self.seconds or 1e-9
        lines = [
            f"files: {self.listed} listed, {self.already_done} finished before, {t.files} read, "
            f"{len(self.failed_files)} not fetched",
            f"lines: {t.lines}  readings: {t.readings}  quarantined: {t.quarantined}  "
            f"invalid values: {t.invalid_values}  duplicates: {t.duplicates}  "
            f"outside the selection: {t.skipped}",
            f"rows: {t.hourly_rows} hourly, {t.daily_rows} daily ({t.indexed_days} with a DAQI, "
            f"{t.below_capture} below the capture rule)  written: {t.written}  rejected: {t.rejected}",
            f"time: {_duration(self.seconds)}  {t.files / rate:.1f} files/s  {t.lines / rate:.0f} lines/s",
        ]
        lines += [f"error: {e}" for e in self.errors]
        lines += [f"not fetched: {e}" for e in self.failed_files[:20]]
        if len(self.failed_files) > 20:
            lines.append(f"... and {len(self.failed_files) - 20} more not fetched")
        return "\n".join(lines)


def _duration(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


class Progress:
    """``files 120/500 (24%)  rows 45,000  days 3/31  9.8 files/s  ETA 0:00:38``.

    On a terminal the line is redrawn in place; otherwise it is logged once per batch.
    """

    def __init__(self, files: int, days: int, stream: TextIO | None = None) -> None:
        self.files = files
        self.days = days
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._width = 0

    def line(self, files_done: int, rows: int, days_done: int) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = files_done / elapsed
        remaining = self.files - files_done
        eta = _duration(remaining / rate) if rate > 0 else "?"
        share = 100 * files_done // self.files if self.files else 100
        return (
            f"files {files_done}/{self.files} ({share}%)  rows {rows:,}  "
            f"days {days_done}/{self.days}  {rate:.1f} files/s  ETA {eta}"
        )

    def update(self, files_done: int, rows: int, days_done: int) -> None:
        text = self.line(files_done, rows, days_done)
        if self.tty:
            self.stream.write("\r" + text.ljust(self._width))
            self.stream.flush()
            self._width = len(text)
        else:
            log.info("%s", text)

    def close(self) -> None:
        if self.tty and self._width:
            self.stream.write("\n")
            self.stream.flush()
