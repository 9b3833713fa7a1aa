"""Base of both images: updates, time sync, no SSH, SSM and CloudWatch agents, logs (testinfra suite).

Runs against the rehearsal's root folders by default, or the Packer build
instance with ``--hosts``.
"""

from __future__ import annotations

import json

import image_hosts
import pytest

testinfra_hosts = [image_hosts.chroot_host("ingest"), image_hosts.chroot_host("grafana")]

CLOUDWATCH_CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"


def test_security_updates_are_applied_daily(host):
    assert host.package("unattended-upgrades").is_installed
    periodic = host.file("/etc/apt/apt.conf.d/20auto-upgrades").content_string
    assert 'APT::Periodic::Update-Package-Lists "1";' in periodic
    assert 'APT::Periodic::Unattended-Upgrade "1";' in periodic


def test_no_security_update_is_pending(host):
    # Every package the Debian security archive fixed is at its fixed version.
    pending = host.run("apt-get -s -o Debug::NoLocking=1 upgrade | grep -c '^Inst ' || true")
    assert pending.stdout.strip() == "0", pending.stdout


def test_time_is_synced_from_the_amazon_time_sync_service(host):
    assert host.package("chrony").is_installed
    assert host.service("chrony").is_enabled
    sources = host.file("/etc/chrony/sources.d/amazon-time-sync.sources").content_string
    assert "server 169.254.169.123 prefer iburst" in sources


def test_no_ssh_server_can_start(host):
    # Operators come in through SSM Session Manager; the SSH server is masked.
    for unit in ("ssh.service", "ssh.socket", "sshd.service"):
        link = host.file(f"/etc/systemd/system/{unit}")
        assert link.is_symlink and link.linked_to == "/dev/null", unit


def test_ssh_accepts_keys_only(host):
    drop_in = host.file("/etc/ssh/sshd_config.d/00-aqi-hardening.conf")
    assert drop_in.user == "root" and drop_in.mode == 0o644
    settings = dict(
        line.split(None, 1)
        for line in drop_in.content_string.splitlines()
        if line and not line.startswith("#")
    )
    assert settings == {
        "PasswordAuthentication": "no",
        "KbdInteractiveAuthentication": "no",
        "PermitEmptyPasswords": "no",
        "PermitRootLogin": "no",
    }


def test_no_account_has_a_usable_password(host):
    shadow = host.file("/etc/shadow").content_string
    for line in shadow.splitlines():
        name, password = line.split(":")[:2]
        assert password[:1] in ("!", "*"), f"{name} has a password"


def test_cloudwatch_agent_publishes_memory_and_cpu(host):
    config = json.loads(host.file(CLOUDWATCH_CONFIG).content_string)
    collected = config["metrics"]["metrics_collected"]
    assert collected["mem"]["measurement"] == ["mem_used_percent"]
    assert collected["cpu"]["measurement"] == ["cpu_usage_user"]
    assert collected["cpu"]["totalcpu"] is True
    dimensions = config["metrics"]["append_dimensions"]
    assert dimensions["AutoScalingGroupName"] == "${aws:AutoScalingGroupName}"
    assert dimensions["InstanceId"] == "${aws:InstanceId}"
    assert ["AutoScalingGroupName"] in config["metrics"]["aggregation_dimensions"]


def test_cloudwatch_agent_is_installed_and_enabled(host, rehearsal):
    if rehearsal:
        pytest.skip("the agent package comes from S3, not reachable in the rehearsal")
    assert host.package("amazon-cloudwatch-agent").is_installed
    assert host.service("amazon-cloudwatch-agent").is_enabled


def test_ssm_agent_is_installed_and_enabled(host, rehearsal):
    if rehearsal:
        pytest.skip("the agent package comes from S3, not reachable in the rehearsal")
    assert host.package("amazon-ssm-agent").is_installed
    assert host.service("amazon-ssm-agent").is_enabled


def test_cloudwatch_agent_user_may_read_the_log_files(host):
    user = host.user("cwagent")
    assert user.exists and user.uid < 1000 and "adm" in user.groups
    assert user.shell == "/usr/sbin/nologin" and user.password in ("!", "*")
    folder = host.file("/var/log/aqi")
    assert (folder.user, folder.group, folder.mode) == ("root", "adm", 0o750)


def test_rsyslog_files_the_product_lines_and_its_configuration_is_valid(host):
    assert host.package("rsyslog").is_installed and host.service("rsyslog").is_enabled
    check = host.run("rsyslogd -N1 -f /etc/rsyslog.conf")
    assert check.rc == 0, check.stdout + check.stderr
    rules = host.file("/etc/rsyslog.d/20-aqi.conf").content_string
    assert '"aqi-cloudwatch-logs"' in rules and "/var/log/aqi/boot.log" in rules


def test_logrotate_rotates_the_product_logs(host):
    assert host.package("logrotate").is_installed
    check = host.run("logrotate --debug /etc/logrotate.d/aqi")
    assert check.rc == 0, check.stderr
    assert "/var/log/aqi/*.log" in check.stderr


def test_the_logs_configuration_is_written_at_boot(host):
    unit = host.file("/etc/systemd/system/aqi-cloudwatch-logs.service").content_string
    assert "Before=amazon-cloudwatch-agent.service" in unit
    assert host.service("aqi-cloudwatch-logs").is_enabled
    listed = json.loads(host.file("/etc/aqi-cloudwatch-logs.json").content_string)
    assert {
        "path": "/var/log/cloud-init-output.log",
        "group": "system",
        "stream": "cloud-init-output",
    } in listed
    # Nothing is rendered before deploy.env exists.
    assert not host.file(
        "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.d/aqi-logs.json"
    ).exists


def test_services_may_start_when_the_image_boots(host):
    # The bake forbids service starts with policy-rc.d; it must not stay behind.
    assert not host.file("/usr/sbin/policy-rc.d").exists
    assert not host.file("/etc/dpkg/dpkg.cfg.d/aqi-bake-unsafe-io").exists
