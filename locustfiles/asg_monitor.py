"""Polls an Auto Scaling group into a CSV while a load test runs.

Every ``--interval`` seconds, one row per instance of the group: its lifecycle
state (Pending, InService, Terminating ...), health, EC2 state, and the latest
CloudWatch CPU and memory utilisation. Rows are appended and flushed as they
come, until SIGINT/SIGTERM (or ``--polls``). Credentials come from the default
AWS chain (an instance profile, SSO, environment): never from arguments.

    python -m locustfiles.asg_monitor --group aqi-grafana --out results/asg.csv
"""

from __future__ import annotations

import argparse
import csv
import logging
import signal
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

logger = logging.getLogger("asg_monitor")

COLUMNS = (
    "timestamp",
    "group",
    "desired_capacity",
    "instance_id",
    "lifecycle_state",
    "health_status",
    "instance_state",
    "cpu_percent",
    "memory_percent",
)

#: CloudWatch limit of queries in one GetMetricData call.
_MAX_QUERIES = 500


class MonitorError(Exception):
    """The group cannot be monitored (e.g. it does not exist)."""


@dataclass(frozen=True)
class Metric:
    """A per-instance CloudWatch metric (dimension ``InstanceId``)."""

    namespace: str
    name: str


#: EC2's own CPU metric (1-minute with detailed monitoring, else 5-minute).
CPU_METRIC = Metric("AWS/EC2", "CPUUtilization")
#: The CloudWatch agent's memory metric, published with an ``InstanceId`` dimension.
MEMORY_METRIC = Metric("CWAgent", "mem_used_percent")


def aws_config() -> Config:
    """Client config: standard retry mode (backoff on throttling and transient errors)."""
    return Config(retries={"mode": "standard", "total_max_attempts": 10})


class AsgMonitor:
    """Reads one Auto Scaling group's instances and their metrics."""

    def __init__(
        self,
        group: str,
        *,
        session: boto3.session.Session | None = None,
        cpu_metric: Metric = CPU_METRIC,
        memory_metric: Metric = MEMORY_METRIC,
        period: int = 60,
        lookback: timedelta = timedelta(minutes=10),
    ) -> None:
        session = session or boto3.session.Session()
        config = aws_config()
        self.group = group
        self.autoscaling = session.client("autoscaling", config=config)
        self.ec2 = session.client("ec2", config=config)
        self.cloudwatch = session.client("cloudwatch", config=config)
        self.cpu_metric = cpu_metric
        self.memory_metric = memory_metric
        self.period = period
        self.lookback = lookback

    def poll(self, now: datetime | None = None) -> list[dict[str, str]]:
        """One row per instance (one row with an empty instance id when there is none)."""
        now = now or datetime.now(UTC)
        groups = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[self.group])
        if not groups["AutoScalingGroups"]:
            raise MonitorError(f"Auto Scaling group {self.group!r} not found")
        group = groups["AutoScalingGroups"][0]
        instances = sorted(group["Instances"], key=lambda i: i["InstanceId"])
        ids = [i["InstanceId"] for i in instances]
        states = self._instance_states(ids)
        cpu = self._latest(self.cpu_metric, ids, now)
        memory = self._latest(self.memory_metric, ids, now)
        base = {
            "timestamp": now.isoformat(timespec="seconds"),
            "group": self.group,
            "desired_capacity": str(group["DesiredCapacity"]),
        }
        if not instances:
            return [{**base, **dict.fromkeys(COLUMNS[3:], "")}]
        return [
            {
                **base,
                "instance_id": i["InstanceId"],
                "lifecycle_state": i["LifecycleState"],
                "health_status": i.get("HealthStatus", ""),
                "instance_state": states.get(i["InstanceId"], ""),
                "cpu_percent": _fmt(cpu.get(i["InstanceId"])),
                "memory_percent": _fmt(memory.get(i["InstanceId"])),
            }
            for i in instances
        ]

    def _instance_states(self, ids: Sequence[str]) -> dict[str, str]:
        if not ids:
            return {}
        states = {}
        paginator = self.ec2.get_paginator("describe_instances")
        for page in paginator.paginate(InstanceIds=list(ids)):
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    states[instance["InstanceId"]] = instance["State"]["Name"]
        return states

    def _latest(self, metric: Metric, ids: Sequence[str], now: datetime) -> dict[str, float]:
        """Latest average of ``metric`` per instance over the lookback window."""
        latest: dict[str, float] = {}
        for chunk in _chunks(list(ids), _MAX_QUERIES):
            queries = [
                {
                    "Id": f"m{n}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": metric.namespace,
                            "MetricName": metric.name,
                            "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                        },
                        "Period": self.period,
                        "Stat": "Average",
                    },
                    "ReturnData": True,
                }
                for n, instance_id in enumerate(chunk)
            ]
            by_id = {f"m{n}": instance_id for n, instance_id in enumerate(chunk)}
            paginator = self.cloudwatch.get_paginator("get_metric_data")
            for page in paginator.paginate(
                MetricDataQueries=queries,
                StartTime=now - self.lookback,
                EndTime=now,
                ScanBy="TimestampDescending",
            ):
                for result in page["MetricDataResults"]:
                    instance_id = by_id[result["Id"]]
                    if result["Values"] and instance_id not in latest:
                        # Newest first: the first value seen is the latest.
                        latest[instance_id] = float(result["Values"][0])
        return latest

    def run(self, out: Path, interval: float, stop: threading.Event, polls: int = 0) -> int:
        """Appends rows to ``out`` every ``interval`` s until ``stop`` (or ``polls`` polls)."""
        out.parent.mkdir(parents=True, exist_ok=True)
        new_file = not out.exists() or out.stat().st_size == 0
        done = 0
        with out.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            if new_file:
                writer.writeheader()
            while not stop.is_set():
                try:
                    writer.writerows(self.poll())
                    handle.flush()
                except MonitorError:
                    raise
                except Exception as err:  # a missed poll must not end the monitor
                    logger.warning("poll failed: %s", err)
                done += 1
                if polls and done >= polls:
                    break
                stop.wait(interval)
        return done


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", required=True, help="Auto Scaling group name")
    parser.add_argument("--out", type=Path, required=True, help="CSV file (appended)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
    parser.add_argument("--region", help="AWS region (default: the AWS config's)")
    parser.add_argument("--polls", type=int, default=0, help="stop after N polls (0: never)")
    parser.add_argument(
        "--period", type=int, default=60, help="CloudWatch period in seconds (60 for EC2)"
    )
    parser.add_argument(
        "--memory-namespace", default=MEMORY_METRIC.namespace, help="namespace of memory metric"
    )
    parser.add_argument(
        "--memory-metric", default=MEMORY_METRIC.name, help="per-instance memory metric name"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = parse_args(argv)
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        logger.info("signal %d: stopping after this poll", signum)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    monitor = AsgMonitor(
        args.group,
        session=boto3.session.Session(region_name=args.region),
        memory_metric=Metric(args.memory_namespace, args.memory_metric),
        period=args.period,
    )
    try:
        polls = monitor.run(args.out, args.interval, stop, polls=args.polls)
    except MonitorError as err:
        logger.error("%s", err)
        return 2
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    logger.info("%d polls written to %s", polls, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
