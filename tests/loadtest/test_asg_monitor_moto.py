"""The ASG monitor against moto's mock of EC2, Auto Scaling and CloudWatch (no AWS account)."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from locustfiles.asg_monitor import COLUMNS, AsgMonitor, MonitorError, main

REGION = "eu-west-2"
GROUP = "aqi-grafana"


@pytest.fixture(scope="module")
def mock_account() -> Iterator[tuple[boto3.session.Session, str]]:
    """moto's mock of AWS with a subnet and a launch template (built once: image lookups are slow)."""
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "mock")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.delenv("AWS_PROFILE", raising=False)
        session = boto3.session.Session(region_name=REGION)
        ec2 = session.client("ec2")
        image = ec2.describe_images()["Images"][0]["ImageId"]
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(
            VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a"
        )["Subnet"]["SubnetId"]
        ec2.create_launch_template(
            LaunchTemplateName="aqi-grafana",
            LaunchTemplateData={"ImageId": image, "InstanceType": "t4g.small"},
        )
        yield session, subnet


@pytest.fixture
def mocked_aws(
    mock_account: tuple[boto3.session.Session, str], request: pytest.FixtureRequest
) -> boto3.session.Session:
    """A fresh two-instance Auto Scaling group named GROUP in the mocked account."""
    session, subnet = mock_account
    autoscaling = session.client("autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=GROUP,
        LaunchTemplate={"LaunchTemplateName": "aqi-grafana"},
        MinSize=1,
        MaxSize=4,
        DesiredCapacity=2,
        VPCZoneIdentifier=subnet,
    )
    request.addfinalizer(
        lambda: autoscaling.delete_auto_scaling_group(AutoScalingGroupName=GROUP, ForceDelete=True)
    )
    return session


def instance_ids(session: boto3.session.Session) -> list[str]:
    group = session.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[GROUP]
    )["AutoScalingGroups"][0]
    return sorted(i["InstanceId"] for i in group["Instances"])


def put_metric(
    session: boto3.session.Session,
    namespace: str,
    name: str,
    instance_id: str,
    value: float,
    age_minutes: float,
) -> None:
    session.client("cloudwatch").put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                "Timestamp": datetime.now(UTC) - timedelta(minutes=age_minutes),
                "Value": value,
            }
        ],
    )


def test_mock_poll_reads_instances_states_and_latest_metrics(
    mocked_aws: boto3.session.Session,
) -> None:
    first, second = instance_ids(mocked_aws)
    put_metric(mocked_aws, "AWS/EC2", "CPUUtilization", first, 12.5, age_minutes=4)
    put_metric(mocked_aws, "AWS/EC2", "CPUUtilization", first, 63.25, age_minutes=1)
    put_metric(mocked_aws, "CWAgent", "mem_used_percent", first, 41.0, age_minutes=1)
    put_metric(mocked_aws, "AWS/EC2", "CPUUtilization", second, 7.0, age_minutes=2)
    # A metric of another instance or namespace must not leak into these rows.
    put_metric(mocked_aws, "AWS/EC2", "CPUUtilization", "i-0000000000000000", 99.0, 1)

    rows = AsgMonitor(GROUP, session=mocked_aws).poll()

    assert [r["instance_id"] for r in rows] == [first, second]
    assert {r["group"] for r in rows} == {GROUP}
    assert {r["desired_capacity"] for r in rows} == {"2"}
    assert {(r["lifecycle_state"], r["health_status"], r["instance_state"]) for r in rows} == {
        ("InService", "Healthy", "running")
    }
    assert (rows[0]["cpu_percent"], rows[0]["memory_percent"]) == ("63.25", "41.00")
    assert (rows[1]["cpu_percent"], rows[1]["memory_percent"]) == ("7.00", "")
    assert set(rows[0]) == set(COLUMNS)


def test_mock_poll_follows_scaling_and_lifecycle_changes(mocked_aws: boto3.session.Session) -> None:
    autoscaling = mocked_aws.client("autoscaling")
    monitor = AsgMonitor(GROUP, session=mocked_aws)
    first, _ = instance_ids(mocked_aws)
    autoscaling.enter_standby(
        AutoScalingGroupName=GROUP, InstanceIds=[first], ShouldDecrementDesiredCapacity=False
    )
    rows = monitor.poll()
    states = {r["instance_id"]: r["lifecycle_state"] for r in rows}
    assert states[first] == "Standby"
    # Capacity was not decremented: a replacement instance keeps two in service.
    assert sorted(states.values()) == ["InService", "InService", "Standby"]
    autoscaling.set_desired_capacity(AutoScalingGroupName=GROUP, DesiredCapacity=4)
    rows = monitor.poll()
    assert {r["desired_capacity"] for r in rows} == {"4"}
    assert sum(r["lifecycle_state"] == "InService" for r in rows) == 4
    assert {r["instance_state"] for r in rows} == {"running"}


def test_mock_run_appends_polls_to_csv_until_stopped(
    mocked_aws: boto3.session.Session, tmp_path: Path
) -> None:
    out = tmp_path / "asg.csv"
    monitor = AsgMonitor(GROUP, session=mocked_aws)
    assert monitor.run(out, interval=0, stop=threading.Event(), polls=3) == 3
    assert monitor.run(out, interval=0, stop=threading.Event(), polls=1) == 1
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4 * 2  # 4 polls x 2 instances, one header
    assert out.read_text().count("timestamp,group") == 1
    # A stop request ends the loop without waiting for the interval.
    stop = threading.Event()
    stop.set()
    assert monitor.run(out, interval=3600, stop=stop) == 0


def test_mock_missing_group_is_an_error_and_exit_code_2(
    mocked_aws: boto3.session.Session, tmp_path: Path
) -> None:
    with pytest.raises(MonitorError, match="not found"):
        AsgMonitor("absent-group", session=mocked_aws).poll()
    assert (
        main(["--group", "absent-group", "--out", str(tmp_path / "x.csv"), "--region", REGION]) == 2
    )


def test_mock_cli_writes_polls_with_standard_retries(
    mocked_aws: boto3.session.Session, tmp_path: Path
) -> None:
    out = tmp_path / "asg.csv"
    args = ["--group", GROUP, "--out", str(out), "--interval", "0", "--polls", "2"]
    assert main([*args, "--region", REGION]) == 0
    assert len(out.read_text().splitlines()) == 1 + 2 * 2
    retries = AsgMonitor(GROUP, session=mocked_aws).cloudwatch.meta.config.retries
    assert retries == {"mode": "standard", "total_max_attempts": 10}
