"""Local state of the job: per-sensor watermarks and the quarantine.

Watermarks say, per (window, sensor_id), the time of the newest reading the
store holds. They live in one JSON file replaced atomically, so a crash leaves
either the old or the new file, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.sinks.base import Watermarks

FORMAT_VERSION = 1


def atomic_write(path: Path, text: str) -> None:
    """Writes a file so that readers see the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


class WatermarkFile:
    """``STATE_DIR/watermarks.json``: {"version": 1, "watermarks": {window: {sensor_id: epoch}}}."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "watermarks.json"

    def load(self) -> Watermarks | None:
        """The saved watermarks, or None when there is no state yet."""
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"state file {self.path} is unreadable ({exc}); move it away to rebuild it from the store"
            ) from exc
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"state file {self.path} has unknown version {data.get('version')!r}")
        return {
            (window, int(sensor)): int(epoch)
            for window, sensors in data["watermarks"].items()
            for sensor, epoch in sensors.items()
        }

    def save(self, marks: Watermarks) -> None:
        nested: dict[str, dict[str, int]] = {}
        for (window, sensor), epoch in marks.items():
            nested.setdefault(window, {})[str(sensor)] = epoch
        atomic_write(self.path, json.dumps({"version": FORMAT_VERSION, "watermarks": nested}))


class Quarantine:
    """``STATE_DIR/quarantine/YYYY-MM-DD.jsonl``: records that could not be stored, with why.

    A record that stays broken in the live feed (or a saved feed read again) is
    quarantined once: entries already in the files of the last days are skipped.
    """

    def __init__(self, state_dir: Path, remember_days: int = 2) -> None:
        self.folder = state_dir / "quarantine"
        self._seen: set[str] = set()
        for path in sorted(self.folder.glob("*.jsonl"))[-remember_days:]:
            with path.open() as lines:
                for line in lines:
                    try:
                        self._seen.add(json.loads(line)["digest"])
                    except (ValueError, KeyError, TypeError):
                        continue

    @staticmethod
    def _digest(entry: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode()).hexdigest()[
            :32
        ]

    def add(self, entries: Iterable[dict[str, Any]]) -> int:
        """Appends the entries not quarantined before; returns how many were new."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        lines = []
        for entry in entries:
            digest = self._digest(entry)
            if digest not in self._seen:
                self._seen.add(digest)
                lines.append(
                    json.dumps({"quarantined_at": now, "digest": digest, **entry}, default=str)
                )
        if not lines:
            return 0
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / f"{now[:10]}.jsonl").open("a") as out:
            out.write("\n".join(lines) + "\n")
            out.flush()
            os.fsync(out.fileno())
        return len(lines)
