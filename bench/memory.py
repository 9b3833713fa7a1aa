"""Peak memory and CPU time of processes, for the benchmark's figures (from /proc)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_TICK = os.sysconf("SC_CLK_TCK")


def peak_kib(pid: int) -> int:
    """VmHWM (peak resident memory) of a process, in KiB.

    Not getrusage's ru_maxrss: that survives execve, so a child would report its
    parent's peak.
    """
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _stat(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces: the fields after it follow the last ")".
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree_cpu_seconds(root: int) -> float:
    """User and system CPU seconds of a process and all its descendants, live or reaped.

    For the ingest job that is the Python driver, the JVM it started and Spark's
    Python workers. A reaped child's time is in its parent's cutime/cstime.
    """
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [child for child, parent in parents.items() if parent == pid and child not in tree]
    total = 0
    for pid in tree:
        try:
            fields = _stat(pid)
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / _TICK


def jvm_pid(spark: Any) -> int:
    """The process id of a SparkSession's JVM."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    return int(jvm.java.lang.ProcessHandle.current().pid())
