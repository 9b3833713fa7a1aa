"""Local state of the job: per-sensor watermarks and the quarantine.

Watermarks say, per (window, sensor_id), the time of the newest reading the
store holds. They live in one JSON file replaced atomically, so a crash leaves
either the old or the new file, never half of one.
"""

from __future__ import annotations

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
    """``STATE_DIR/quarantine/YYYY-MM-DD.jsonl``: records that could not be stored, with why."""

    def __init__(self, state_dir: Path) -> None:
        self.folder = state_dir / "quarantine"

    def add(self, entries: Iterable[dict[str, Any]]) -> int:
        """Appends entries (each gets the time it was quarantined); returns how many."""
        now = datetime.now(UTC)
        lines = [
            json.dumps({"quarantined_at": now.isoformat(timespec="seconds"), **e}, default=str)
            for e in entries
        ]
        if not lines:
            return 0
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / f"{now:%Y-%m-%d}.jsonl").open("a") as out:
            out.write("\n".join(lines) + "\n")
            out.flush()
            os.fsync(out.fileno())
        return len(lines)
