"""The ingest image (testinfra suite): the job, its user, its unit, and a real cycle.

Runs against the rehearsal's root folder and its booted system by default, or the
Packer build instance with ``--hosts`` (where the ``booted`` checks are skipped:
the service is enabled there but never started before the AMI is registered).
"""

from __future__ import annotations

import re
import time
import tomllib

import image_hosts
import pytest

testinfra_hosts = [image_hosts.chroot_host("ingest"), image_hosts.booted_host()]

UNIT = "/etc/systemd/system/aqi-ingest.service"
VENV = "/opt/aqi-ingest/venv"
CYCLE = re.compile(r"^cycle=(\d+)\b.*\bwritten=(\d+)\b", re.MULTILINE)


def unit_settings(host) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in host.file(UNIT).content_string.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def pinned_runtime_dependencies() -> dict[str, str]:
    pyproject = tomllib.loads((image_hosts.REPO / "pyproject.toml").read_text())
    pins = {}
    for requirement in pyproject["project"]["dependencies"]:
        name, version = requirement.split("==")
        pins[name.lower()] = version
    pins[pyproject["project"]["name"]] = pyproject["project"]["version"]
    return pins


def test_java_17_runtime_is_installed(host):
    assert host.package("openjdk-17-jre-headless").is_installed
    assert host.file("/usr/lib/jvm/java-17-openjdk-" + host.system_info.arch.replace(
        "x86_64", "amd64").replace("aarch64", "arm64") + "/bin/java").is_file


def test_service_user_is_a_locked_system_account(host):
    user = host.user("aqi-ingest")
    assert user.exists
    assert user.uid < 1000
    assert user.shell == "/usr/sbin/nologin"
    assert user.home == "/var/lib/aqi-ingest"
    assert user.password in ("!", "*")


def test_venv_holds_exactly_the_pinned_job(host):
    installed = host.run(f"{VENV}/bin/python -m pip list --format=freeze --disable-pip-version-check")
    assert installed.rc == 0, installed.stderr
    versions = dict(line.lower().split("==") for line in installed.stdout.split())
    for name, version in pinned_runtime_dependencies().items():
        assert versions.get(name) == version, f"{name}: {versions.get(name)} != {version}"
    venv = host.file(VENV)
    assert venv.user == "root" and venv.mode == 0o755


def test_job_command_is_installed(host):
    assert host.file(f"{VENV}/bin/aqi-ingest").is_file
    check = host.run(f"{VENV}/bin/python -c 'import ingest.model; print(ingest.model.MEASUREMENT)'")
    assert check.stdout.strip() == "air_quality", check.stderr


def test_baked_defaults_follow_the_configuration_contract(host):
    env_file = host.file("/etc/aqi-ingest/ingest.env")
    assert (env_file.user, env_file.group, env_file.mode) == ("root", "aqi-ingest", 0o640)
    values = dict(
        line.split("=", 1)
        for line in env_file.content_string.splitlines()
        if line and not line.startswith("#")
    )
    assert values["AQI_STATE_DIR"] == "/var/lib/aqi-ingest"
    assert values["AQI_SINK"] == "sqlite:////var/lib/aqi-ingest/air_quality.db"
    assert values["SPARK_LOCAL_IP"] == "127.0.0.1"
    assert not [name for name in values if re.search("PASSWORD|TOKEN|SECRET_ACCESS", name)]


def test_no_deployment_settings_are_baked(host, host_id):
    if image_hosts.is_booted(host_id):
        pytest.skip("the booted rehearsal mounts its own deploy.env")
    assert not host.file("/etc/aqi-ingest/deploy.env").exists
    assert not host.file("/var/lib/aqi-ingest/air_quality.db").exists
    leftovers = host.run("find /tmp /var/tmp -maxdepth 1 -name 'ansible*' -o -maxdepth 1 "
                         "-name '*wheelhouse*'")
    assert leftovers.stdout.strip() == ""


def test_state_folder_belongs_to_the_service_user(host):
    state = host.file("/var/lib/aqi-ingest")
    assert state.is_directory
    assert (state.user, state.group, state.mode) == ("aqi-ingest", "aqi-ingest", 0o750)


def test_unit_runs_the_job_supervised_and_hardened(host):
    unit = unit_settings(host)
    assert unit["ExecStart"] == [f"{VENV}/bin/aqi-ingest run"]
    assert unit["User"] == ["aqi-ingest"]
    assert unit["Restart"] == ["always"]
    assert unit["KillMode"] == ["mixed"]
    assert unit["NoNewPrivileges"] == ["yes"]
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["PrivateTmp"] == ["yes"]
    assert unit["StateDirectory"] == ["aqi-ingest"]
    assert unit["EnvironmentFile"] == [
        "/etc/aqi-ingest/ingest.env",
        "-/etc/aqi-ingest/deploy.env",
    ]
    assert "nohup" not in host.file(UNIT).content_string
    assert host.service("aqi-ingest").is_enabled


@pytest.mark.booted
def test_unit_passes_systemd_verification(host):
    result = host.run("systemd-analyze verify /etc/systemd/system/aqi-ingest.service")
    assert result.rc == 0, result.stderr


@pytest.mark.booted
def test_service_is_active_as_its_own_user(host):
    service = host.service("aqi-ingest")
    assert service.is_running
    main_pid = host.check_output("systemctl show -p MainPID --value aqi-ingest")
    assert main_pid != "0"
    assert host.check_output(f"ps -o user= -p {main_pid}") == "aqi-ingest"
    # The Spark JVM is part of the service too, under the same user.
    java = host.run("ps -C java -o user= | sort -u")
    assert java.stdout.split() in ([], ["aqi-ingest"])


@pytest.mark.booted
def test_service_completes_a_cycle_into_its_sink(host):
    deadline = time.monotonic() + 300
    cycles: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        journal = host.run("journalctl -u aqi-ingest -o cat --no-pager").stdout
        cycles = CYCLE.findall(journal)
        if cycles:
            break
        time.sleep(5)
    assert cycles, f"no cycle= line in the journal:\n{journal[-3000:]}"
    rows = host.check_output(
        "python3 -c \"import sqlite3; print(sqlite3.connect('file:/var/lib/aqi-ingest/"
        "rehearsal.db?mode=ro', uri=True).execute('select count(*) from air_quality')"
        '.fetchone()[0])"'
    )
    written = sum(int(count) for _, count in CYCLE.findall(
        host.run("journalctl -u aqi-ingest -o cat --no-pager").stdout))
    assert int(rows) > 0
    assert int(rows) >= written > 0


@pytest.mark.booted
def test_systemd_restarts_the_job_when_it_dies(host):
    before = host.check_output("systemctl show -p MainPID --value aqi-ingest")
    host.run(f"kill -KILL {before}")
    deadline = time.monotonic() + 60
    after = before
    while time.monotonic() < deadline:
        after = host.check_output("systemctl show -p MainPID --value aqi-ingest")
        if after not in ("0", before):
            break
        time.sleep(2)
    assert after not in ("0", before)
    assert host.service("aqi-ingest").is_running
    restarts = host.check_output("systemctl show -p NRestarts --value aqi-ingest")
    assert int(restarts) >= 1
