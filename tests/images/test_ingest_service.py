"""The ingest service running on the booted image (testinfra suite, marker ``booted``).

By default the booted rehearsal: the baked root folder under systemd-nspawn,
with deploy.env pointing the job at a copy of ingest/sample and a SQLite sink.
Against a live instance: ``AQI_IMAGE_RUNNING=1 pytest --hosts=ssh://...``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time

import image_hosts
import pytest

testinfra_hosts = [image_hosts.booted_host()]

pytestmark = pytest.mark.booted

# The job logs one line per cycle: "... cycle=N ... written=ROWS ...".
CYCLE = re.compile(r"\bcycle=(\d+)\b.*\bwritten=(\d+)\b")
UNIT = "aqi-ingest"
# Waits for the first cycle and for a restart. Spark under qemu (the arm64
# rehearsal on an amd64 machine) is several times slower: AQI_IMAGE_WAIT_SCALE=5.
WAIT_SCALE = float(os.environ.get("AQI_IMAGE_WAIT_SCALE", "1"))
CYCLE_TIMEOUT = 300 * WAIT_SCALE
RESTART_TIMEOUT = 120 * WAIT_SCALE


def journal(host) -> str:
    return host.run(f"journalctl -u {UNIT} -o cat --no-pager").stdout


def sqlite_sink(host) -> str | None:
    """The SQLite file of AQI_SINK in deploy.env (None for another sink)."""
    deploy = host.file("/etc/aqi-ingest/deploy.env")
    for line in deploy.content_string.splitlines() if deploy.exists else []:
        if line.startswith("AQI_SINK=sqlite:///"):
            return line.removeprefix("AQI_SINK=sqlite:///")
    return None


def test_unit_passes_systemd_verification(host):
    result = host.run(f"systemd-analyze verify /etc/systemd/system/{UNIT}.service")
    assert result.rc == 0, result.stderr


def test_service_is_active_as_its_own_user(host):
    assert host.service(UNIT).is_running
    main_pid = host.check_output(f"systemctl show -p MainPID --value {UNIT}")
    assert main_pid != "0"
    assert host.check_output(f"ps -o user= -p {main_pid}") == "aqi-ingest"
    # Every process of the service (the Python job and its Spark JVM) runs as that user.
    children = host.check_output(f"ps -o user:32=,comm= --ppid {main_pid}").splitlines()
    assert any(line.split()[1] == "java" for line in children), children
    users = {line.split()[0] for line in children}
    assert users == {"aqi-ingest"}


def test_service_completes_a_cycle_into_its_sink(host):
    deadline = time.monotonic() + CYCLE_TIMEOUT
    cycles: list[tuple[str, str]] = []
    while not cycles and time.monotonic() < deadline:
        time.sleep(5)
        cycles = CYCLE.findall(journal(host))
    assert cycles, f"no cycle= line in the journal:\n{journal(host)[-3000:]}"
    sink = sqlite_sink(host)
    if sink is None:
        return
    count = host.run(
        'python3 -c \'import sqlite3, sys; print(sqlite3.connect("file:" + sys.argv[1] '
        '+ "?mode=ro", uri=True).execute("select count(*) from air_quality").fetchone()[0])\' '
        + sink
    )
    assert count.rc == 0, count.stderr
    written = sum(int(rows) for _, rows in CYCLE.findall(journal(host)))
    assert written > 0
    # Each logged write is in the file (a cycle may have finished since the journal read).
    assert int(count.stdout) >= written


def test_systemd_restarts_the_job_when_it_dies(host):
    before = host.check_output(f"systemctl show -p MainPID --value {UNIT}")
    host.run(f"kill -KILL {before}")
    deadline = time.monotonic() + RESTART_TIMEOUT
    after = before
    while time.monotonic() < deadline:
        time.sleep(3)
        after = host.check_output(f"systemctl show -p MainPID --value {UNIT}")
        if after not in ("0", before):
            break
    assert after not in ("0", before)
    assert host.service(UNIT).is_running
    assert int(host.check_output(f"systemctl show -p NRestarts --value {UNIT}")) >= 1


def test_systemd_reads_the_grafana_environment_file_unchanged(host, tmp_path):
    # Both images share the Debian 12 base: its systemd parses the file the
    # Grafana first-boot setup writes for grafana-server, quotes and all.
    setup = image_hosts.load_program(
        image_hosts.REPO / "ansible/roles/grafana/files/aqi_grafana_setup.py"
    )
    values = {
        "GF_SECURITY_ADMIN_PASSWORD": 'p4ss "word" $HOME `id` \\ end',
        "AQI_INFLUXDB_TOKEN": "abc-_DEF==",
        "AQI_CHECK_SPACES": "  padded value  ",
    }
    setup.write_env_file(tmp_path / "grafana.env", values)
    unit = (
        "[Service]\nType=oneshot\nEnvironmentFile=/run/aqi-env-check.env\n"
        "ExecStart=/usr/bin/env\nStandardOutput=file:/run/aqi-env-check.out\n"
    )
    for content, target in (
        ((tmp_path / "grafana.env").read_text(), "/run/aqi-env-check.env"),
        (unit, "/run/systemd/system/aqi-env-check.service"),
    ):
        encoded = base64.b64encode(content.encode()).decode()
        host.check_output(f"echo {encoded} | base64 -d > {target}")
    host.check_output("systemctl daemon-reload && systemctl start aqi-env-check.service")
    output = host.run("cat /run/aqi-env-check.out").stdout  # unstripped: trailing spaces count
    seen = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    for name, value in values.items():
        assert seen.get(name) == value, name


LOG_FILE = "/var/log/aqi/ingest.log"
AGENT_LOGS = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.d/aqi-logs.json"


def wait_for_cycle_line(host, path: str) -> str:
    deadline = time.monotonic() + CYCLE_TIMEOUT
    content = ""
    while time.monotonic() < deadline:
        content = host.run(f"cat {path}").stdout
        if CYCLE.search(content):
            return content
        time.sleep(5)
    raise AssertionError(f"no cycle= line in {path}:\n{content[-2000:]}")


def test_the_job_lines_reach_the_file_the_cloudwatch_agent_ships(host):
    wait_for_cycle_line(host, LOG_FILE)
    log = host.file(LOG_FILE)
    assert (log.user, log.group, log.mode) == ("root", "adm", 0o640)
    # The agent runs as cwagent, a member of adm.
    readable = host.run(f"runuser -u cwagent -- head -c 64 {LOG_FILE}")
    assert readable.rc == 0 and readable.stdout, readable.stderr
    # Filed by rsyslog with the job's identifier, and kept out of the general syslog.
    assert " aqi-ingest[" in host.file(LOG_FILE).content_string
    syslog = host.run("cat /var/log/syslog").stdout
    assert "cycle=" not in syslog


def test_logrotate_starts_a_fresh_file_that_rsyslog_writes(host):
    wait_for_cycle_line(host, LOG_FILE)
    rotated = host.run("logrotate --force /etc/logrotate.d/aqi")
    assert rotated.rc == 0, rotated.stderr
    assert host.file(f"{LOG_FILE}.1").exists
    # rsyslog reopened its file: the next cycle lands in the new one.
    wait_for_cycle_line(host, LOG_FILE)


def test_the_agent_is_pointed_at_the_deployment_log_groups_at_boot(host):
    assert host.run("systemctl is-active aqi-cloudwatch-logs").stdout.strip() == "active"
    config = json.loads(host.file(AGENT_LOGS).content_string)
    groups = {
        entry["file_path"]: entry["log_group_name"]
        for entry in config["logs"]["logs_collected"]["files"]["collect_list"]
    }
    prefix = image_hosts.BOOTED_LOG_GROUP_PREFIX
    assert groups[LOG_FILE] == f"{prefix}/ingest"
    assert groups["/var/log/cloud-init-output.log"] == f"{prefix}/system"
    assert groups["/var/log/aqi/boot.log"] == f"{prefix}/system"
    # (boot.log.1 when logrotate has run since the boot)
    boot_log = host.run("cat /var/log/aqi/boot.log /var/log/aqi/boot.log.1 2>/dev/null").stdout
    assert " aqi-cloudwatch-logs[" in boot_log and "aqi-cloudwatch-logs: ships" in boot_log


def test_no_ssh_server_runs_or_may_start(host):
    assert host.run("systemctl is-enabled ssh.service").stdout.strip() == "masked"
    listening = host.run("cat /proc/net/tcp /proc/net/tcp6").stdout.splitlines()[1:]
    # Local address :0016 (port 22) in state 0A (LISTEN).
    assert not [
        line for line in listening if line.split()[1].endswith(":0016") and line.split()[3] == "0A"
    ]
