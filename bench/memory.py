"""Peak memory of a process, for the benchmark's figures."""

from __future__ import annotations

from pathlib import Path


def peak_kib(pid: int) -> int:
    """VmHWM (peak resident memory) of a process, in KiB.

    Not getrusage's ru_maxrss: that survives execve, so a child would report its
    parent's peak.
    """
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
