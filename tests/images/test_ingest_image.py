"""The ingest image (testinfra suite): the job, its user, its configuration, its unit.

Runs against the rehearsal's root folder by default, or the Packer build instance
with ``--hosts``. test_ingest_service.py checks the running service.
"""

from __future__ import annotations

import re
import tomllib

import image_hosts
from packaging.utils import canonicalize_name

testinfra_hosts = [image_hosts.chroot_host("ingest")]

UNIT = "/etc/systemd/system/aqi-ingest.service"
VENV = "/opt/aqi-ingest/venv"


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
        pins[canonicalize_name(name)] = version
    pins[canonicalize_name(pyproject["project"]["name"])] = pyproject["project"]["version"]
    return pins


def test_java_17_runtime_is_installed(host):
    assert host.package("openjdk-17-jre-headless").is_installed
    assert host.file(
        "/usr/lib/jvm/java-17-openjdk-"
        + host.system_info.arch.replace("x86_64", "amd64").replace("aarch64", "arm64")
        + "/bin/java"
    ).is_file


def test_service_user_is_a_locked_system_account(host):
    user = host.user("aqi-ingest")
    assert user.exists
    assert user.uid < 1000
    assert user.shell == "/usr/sbin/nologin"
    assert user.home == "/var/lib/aqi-ingest"
    assert user.password in ("!", "*")


def test_venv_holds_exactly_the_pinned_job(host):
    installed = host.run(
        f"{VENV}/bin/python -m pip list --format=freeze --disable-pip-version-check"
    )
    assert installed.rc == 0, installed.stderr
    # pip prints each distribution's own spelling (reverse_geocode); compare names
    # the way PEP 503 does, so that spelling is not read as a missing package.
    versions = {
        canonicalize_name(name): version
        for name, version in (line.split("==") for line in installed.stdout.split())
    }
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


def test_no_deployment_settings_are_baked(host):
    assert not host.file("/etc/aqi-ingest/deploy.env").exists
    assert not host.file("/var/lib/aqi-ingest/air_quality.db").exists
    leftovers = host.run(
        "find /tmp /var/tmp -maxdepth 1 -name 'ansible*' -o -maxdepth 1 -name '*wheelhouse*'"
    )
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
