"""Plots a load test run: instances in service, CPU per instance, requests/s and p95.

Reads the ASG monitor's CSV and Locust's ``*_stats_history.csv`` (written with
``--csv-full-history``) and draws them on one time axis into a PNG:

    python -m locustfiles.report --stats results/locust_stats_history.csv \
        --asg results/asg.csv --out results/report.png
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
from matplotlib.figure import Figure

from locustfiles.thresholds import DEFAULT_THRESHOLDS

AGGREGATED = "Aggregated"


@dataclass
class LocustSeries:
    """Locust's aggregated stats over time."""

    time: list[datetime] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    rps: list[float] = field(default_factory=list)
    p95_ms: list[float | None] = field(default_factory=list)


@dataclass
class AsgSeries:
    """The Auto Scaling group over time: per poll, and per instance."""

    time: list[datetime] = field(default_factory=list)
    in_service: list[int] = field(default_factory=list)
    desired: list[int] = field(default_factory=list)
    cpu: dict[str, tuple[list[datetime], list[float]]] = field(default_factory=dict)


def read_locust_history(path: Path) -> LocustSeries:
    """The ``Aggregated`` rows of a Locust stats history CSV."""
    series = LocustSeries()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] != AGGREGATED:
                continue
            series.time.append(datetime.fromtimestamp(int(row["Timestamp"]), UTC))
            series.users.append(int(row["User Count"]))
            series.rps.append(float(row["Requests/s"]))
            p95 = row.get("95%", "N/A")
            series.p95_ms.append(None if p95 in ("N/A", "", None) else float(p95))
    return series


def read_asg_monitor(path: Path) -> AsgSeries:
    """Instances in service and CPU per instance from the ASG monitor's CSV."""
    polls: dict[datetime, list[dict[str, str]]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            polls[datetime.fromisoformat(row["timestamp"])].append(row)
    series = AsgSeries()
    cpu: dict[str, tuple[list[datetime], list[float]]] = {}
    for when in sorted(polls):
        rows = polls[when]
        series.time.append(when)
        series.in_service.append(sum(r["lifecycle_state"] == "InService" for r in rows))
        series.desired.append(int(rows[0]["desired_capacity"] or 0))
        for row in rows:
            if row["instance_id"] and row["cpu_percent"]:
                times, values = cpu.setdefault(row["instance_id"], ([], []))
                times.append(when)
                values.append(float(row["cpu_percent"]))
    series.cpu = cpu
    return series


def build_figure(
    locust: LocustSeries, asg: AsgSeries | None, p95_threshold_ms: float | None
) -> Figure:
    """Three panels sharing the time axis: instances, CPU per instance, requests/s and p95.

    ``p95_threshold_ms`` draws the threshold as a line on the p95 panel (None: no line).
    """
    figure = Figure(figsize=(11, 8.5), layout="constrained")
    ax_instances, ax_cpu, ax_rps = figure.subplots(3, 1, sharex=True)
    figure.suptitle("Dashboard load test")

    ax_users = ax_instances.twinx()
    ax_users.plot(
        locust.time, locust.users, color="tab:gray", alpha=0.6, label="Locust users (arrived)"
    )
    ax_users.set_ylabel("users")
    if asg is not None and asg.time:
        ax_instances.step(
            asg.time, asg.in_service, where="post", color="tab:green", label="in service"
        )
        ax_instances.step(
            asg.time, asg.desired, where="post", color="tab:olive", ls="--", label="desired"
        )
        for instance_id, (times, values) in sorted(asg.cpu.items()):
            ax_cpu.plot(times, values, marker=".", label=instance_id)
    else:
        for ax in (ax_instances, ax_cpu):
            ax.text(0.5, 0.5, "no ASG monitor data", ha="center", transform=ax.transAxes)
    ax_instances.set_ylabel("instances")
    ax_instances.set_ylim(bottom=0)
    ax_instances.yaxis.get_major_locator().set_params(integer=True)
    handles, labels = ax_instances.get_legend_handles_labels()
    more_handles, more_labels = ax_users.get_legend_handles_labels()
    ax_instances.legend(handles + more_handles, labels + more_labels, loc="upper left")
    ax_instances.set_title("Auto Scaling group")

    ax_cpu.set_ylabel("CPU %")
    ax_cpu.set_ylim(0, 100)
    ax_cpu.set_title("CPU per instance")
    if ax_cpu.get_legend_handles_labels()[0]:
        ax_cpu.legend(loc="upper left", fontsize="small")

    ax_rps.plot(locust.time, locust.rps, color="tab:blue", label="requests/s")
    ax_rps.set_ylabel("requests/s")
    ax_rps.set_ylim(bottom=0)
    ax_p95 = ax_rps.twinx()
    ax_p95.plot(locust.time, locust.p95_ms, color="tab:red", label="p95 (ms)")
    if p95_threshold_ms is not None:
        ax_p95.axhline(p95_threshold_ms, color="tab:red", ls=":", label="p95 threshold")
    ax_p95.set_ylabel("p95 ms")
    ax_p95.set_ylim(bottom=0)
    handles, labels = ax_rps.get_legend_handles_labels()
    more_handles, more_labels = ax_p95.get_legend_handles_labels()
    ax_rps.legend(handles + more_handles, labels + more_labels, loc="upper left")
    ax_rps.set_title("Locust")
    ax_rps.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))  # type: ignore[no-untyped-call]
    ax_rps.set_xlabel("time (UTC)")
    return figure


def render(
    stats: Path,
    out: Path,
    asg: Path | None = None,
    p95_threshold_ms: float | None = DEFAULT_THRESHOLDS.p95_ms,
) -> Path:
    """Writes the PNG report and returns its path."""
    figure = build_figure(
        read_locust_history(stats),
        read_asg_monitor(asg) if asg is not None else None,
        p95_threshold_ms,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100)
    return out


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stats", type=Path, required=True, help="Locust *_stats_history.csv")
    parser.add_argument("--asg", type=Path, help="ASG monitor CSV (optional)")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write")
    parser.add_argument(
        "--p95-ms",
        type=float,
        default=DEFAULT_THRESHOLDS.p95_ms,
        help="p95 threshold line in ms (default: %(default)g, the load test's threshold)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    asg = args.asg if args.asg is not None and args.asg.exists() else None
    print(render(args.stats, args.out, asg, args.p95_ms))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
