#!/usr/bin/python3
"""First-boot setup of the air-quality Grafana instance, run before grafana-server.

Reads the settings Terraform wrote to /etc/aqi-grafana/deploy.env (passed in as
environment variables by the systemd unit), then:

1. provisions the datasource and dashboard of the chosen store engine
   (``influxdb`` or ``liveanalytics``) and removes the other one;
2. reads from Secrets Manager, with the instance profile, the Grafana admin
   password and Grafana's ``secret_key`` (there are no defaults: without them
   Grafana does not start) and, for InfluxDB, the Grafana token secret, whose
   ``token`` may only read the bucket (the token provisioner made it; this
   setup never signs in to InfluxDB and never sees the store's admin secret);
3. writes everything grafana-server needs to a root-only environment file under
   /run (memory only), which the grafana-server drop-in loads: Grafana's own
   settings as ``GF_<SECTION>_<KEY>`` overrides, and the inputs of the
   provisioning files (``AQI_*``, ``AWS_REGION``).

With ``--refresh`` (aqi-grafana-refresh.timer, twice a day) it does the same
again and restarts grafana-server when what it wrote changed: a rotated
Grafana token reaches the datasource before the previous one is deleted (at
the next rotation).

Exit codes: 0 on success, 2 for a configuration error, 3 when a secret cannot be
read. The cause is one line on stderr; secrets never are.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

ENGINES = ("influxdb", "liveanalytics")
DATASOURCE_FILES = {"influxdb": "influxdb.yaml", "liveanalytics": "timestream.yaml"}
#: Each engine's alert rules (dashboard/provisioning/alert-rules/), named like its datasource.
ALERT_RULE_FILES = DATASOURCE_FILES
DASHBOARD_FILES = {
    "influxdb": "air-quality-influxdb.json",
    "liveanalytics": "air-quality-timestream.json",
}
DEFAULT_BUCKET = "aq"
#: deploy.env names every deployment sets, whatever the engine.
REQUIRED = (
    "AWS_REGION",
    "AQI_GRAFANA_ADMIN_SECRET_ARN",
    "AQI_GRAFANA_SECRET_KEY_ARN",
    "AQI_ALERT_TOPIC_ARN",
)
ENGINE_REQUIRED = {
    "influxdb": ("AQI_INFLUXDB_URL", "AQI_INFLUXDB_SECRET_ARN"),
    "liveanalytics": ("AQI_TIMESTREAM_DATABASE", "AQI_TIMESTREAM_TABLE"),
}


class SetupError(Exception):
    """A failure with a one-line cause; ``code`` is the process exit code."""

    def __init__(self, message: str, code: int = 3) -> None:
        super().__init__(message)
        self.code = code


def grafana_variable(section: str, key: str) -> str:
    """The environment variable that overrides ``[section] key`` of grafana.ini:
    GF_<SECTION>_<KEY>, upper case, dots and dashes as underscores."""
    return "GF_" + "_".join(
        part.upper().replace(".", "_").replace("-", "_") for part in (section, key)
    )


@dataclass(frozen=True)
class Paths:
    """Where the available files are and where the active ones go."""

    available: Path = Path("/usr/share/aqi-grafana")
    datasources: Path = Path("/etc/grafana/provisioning/datasources")
    dashboards: Path = Path("/var/lib/grafana/dashboards")
    alert_rules: Path = Path("/etc/grafana/provisioning/alerting")
    env_file: Path = Path("/run/aqi-grafana/grafana.env")


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "false").strip().lower()
    if value not in ("true", "false"):
        raise SetupError(f"{name} must be true or false", 2)
    return value == "true"


@dataclass(frozen=True)
class Settings:
    """The deploy.env variables this setup uses."""

    engine: str
    region: str
    admin_secret_arn: str
    secret_key_arn: str
    alert_topic_arn: str
    anonymous: bool = False
    cookie_secure: bool = False
    root_url: str = ""
    influxdb_url: str = ""
    influxdb_database: str = DEFAULT_BUCKET
    influxdb_secret_arn: str = ""
    timestream_database: str = ""
    timestream_table: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        engine = env.get("AQI_STORE_ENGINE", "")
        if engine not in ENGINES:
            raise SetupError(f"AQI_STORE_ENGINE must be one of {', '.join(ENGINES)}", 2)
        missing = [name for name in (*REQUIRED, *ENGINE_REQUIRED[engine]) if not env.get(name)]
        if missing:
            raise SetupError(f"missing setting(s): {', '.join(missing)}", 2)
        root_url = env.get("AQI_GRAFANA_ROOT_URL", "").strip()
        if root_url and (
            urlsplit(root_url).scheme not in ("http", "https") or not urlsplit(root_url).hostname
        ):
            raise SetupError("AQI_GRAFANA_ROOT_URL must be an http:// or https:// URL", 2)
        cookie_secure = _flag(env, "AQI_GRAFANA_COOKIE_SECURE")
        if cookie_secure and not root_url.startswith("https://"):
            # Browsers drop a secure cookie over plain HTTP: nobody could sign in.
            raise SetupError(
                "AQI_GRAFANA_COOKIE_SECURE=true needs an https:// AQI_GRAFANA_ROOT_URL", 2
            )
        return cls(
            engine=engine,
            region=env["AWS_REGION"],
            admin_secret_arn=env["AQI_GRAFANA_ADMIN_SECRET_ARN"],
            secret_key_arn=env["AQI_GRAFANA_SECRET_KEY_ARN"],
            alert_topic_arn=env["AQI_ALERT_TOPIC_ARN"],
            anonymous=_flag(env, "AQI_GRAFANA_ANONYMOUS"),
            cookie_secure=cookie_secure,
            root_url=root_url,
            influxdb_url=env.get("AQI_INFLUXDB_URL", "").rstrip("/"),
            influxdb_database=env.get("AQI_INFLUXDB_DATABASE") or DEFAULT_BUCKET,
            influxdb_secret_arn=env.get("AQI_INFLUXDB_SECRET_ARN", ""),
            timestream_database=env.get("AQI_TIMESTREAM_DATABASE", ""),
            timestream_table=env.get("AQI_TIMESTREAM_TABLE", ""),
        )


SecretReader = Callable[[str], str]


def secrets_manager_reader(region: str) -> SecretReader:
    """Returns a function reading a secret's string with the default credential chain."""
    client = boto3.client(
        "secretsmanager", region_name=region, config=Config(retries={"mode": "standard"})
    )

    def read(arn: str) -> str:
        try:
            value = client.get_secret_value(SecretId=arn).get("SecretString")
        except Exception as error:
            raise SetupError(f"cannot read secret {arn}: {type(error).__name__}") from None
        if not value or not value.strip():
            raise SetupError(f"secret {arn} has no string value")
        return str(value).strip()

    return read


def read_token(raw: str) -> str:
    """The ``token`` of the Grafana token secret (JSON ``{"token": ..., "authorization_id": ...}``)."""
    try:
        secret = json.loads(raw)
    except json.JSONDecodeError:
        raise SetupError("the InfluxDB token secret is not JSON") from None
    if not isinstance(secret, dict) or not secret.get("token"):
        raise SetupError("the InfluxDB token secret holds no token")
    return str(secret["token"])


def enable_engine(engine: str, paths: Paths) -> None:
    """Makes the engine's datasource, dashboard and alert rules the only provisioned ones."""
    for folder, files, kind in (
        (paths.datasources, DATASOURCE_FILES, "datasources"),
        (paths.dashboards, DASHBOARD_FILES, "dashboards"),
        (paths.alert_rules, ALERT_RULE_FILES, "alert-rules"),
    ):
        folder.mkdir(parents=True, exist_ok=True)
        for other, name in files.items():
            if other != engine:
                (folder / name).unlink(missing_ok=True)
        source = paths.available / kind / files[engine]
        if not source.is_file():
            raise SetupError(f"{source} is missing from the image", 2)
        target = folder / files[engine]
        shutil.copyfile(source, target)
        target.chmod(0o644)


def quote_env_value(value: str) -> str:
    """Quotes a value for a systemd EnvironmentFile (double quotes, C-style escapes)."""
    if "\n" in value or "\r" in value or "\0" in value:
        raise SetupError("a setting contains a line break or NUL", 2)
    escaped = "".join("\\" + char if char in '\\"`$' else char for char in value)
    return f'"{escaped}"'


def write_env_file(path: Path, values: Mapping[str, str]) -> None:
    """Writes ``KEY="value"`` lines to a root-only file, replacing it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as stream:
        for name in sorted(values):
            stream.write(f"{name}={quote_env_value(values[name])}\n")
    temporary.chmod(0o600)
    temporary.replace(path)


def grafana_environment(settings: Settings, read_secret: SecretReader) -> dict[str, str]:
    """The variables grafana-server gets: its own settings and the provisioning inputs."""
    values = {
        grafana_variable("security", "admin_password"): read_secret(settings.admin_secret_arn),
        grafana_variable("security", "secret_key"): read_secret(settings.secret_key_arn),
        grafana_variable("security", "cookie_secure"): str(settings.cookie_secure).lower(),
        grafana_variable("auth.anonymous", "enabled"): str(settings.anonymous).lower(),
        "AWS_REGION": settings.region,
        "AQI_ALERT_TOPIC_ARN": settings.alert_topic_arn,
    }
    if settings.root_url:
        values[grafana_variable("server", "root_url")] = settings.root_url
    if settings.engine == "influxdb":
        values |= {
            "AQI_INFLUXDB_URL": settings.influxdb_url,
            "AQI_INFLUXDB_DATABASE": settings.influxdb_database,
            "AQI_INFLUXDB_TOKEN": read_token(read_secret(settings.influxdb_secret_arn)),
        }
    else:
        values |= {
            "AQI_TIMESTREAM_DATABASE": settings.timestream_database,
            "AQI_TIMESTREAM_TABLE": settings.timestream_table,
        }
    return values


def run(
    env: Mapping[str, str], paths: Paths, read_secret: SecretReader | None = None
) -> dict[str, str]:
    """Does the whole setup; returns the variables written (for logging their names)."""
    settings = Settings.from_env(env)
    reader = read_secret or secrets_manager_reader(settings.region)
    values = grafana_environment(settings, reader)
    enable_engine(settings.engine, paths)
    write_env_file(paths.env_file, values)
    return values


def restart_grafana() -> None:
    """Restarts grafana-server if it runs (it reads its environment only at start)."""
    subprocess.run(["systemctl", "try-restart", "grafana-server.service"], check=True, timeout=120)


def refresh(
    env: Mapping[str, str],
    paths: Paths,
    read_secret: SecretReader | None = None,
    restart: Callable[[], None] = restart_grafana,
) -> bool:
    """Runs the setup again; restarts Grafana when the environment file changed."""
    before = paths.env_file.read_bytes() if paths.env_file.exists() else None
    run(env, paths, read_secret)
    if paths.env_file.read_bytes() == before:
        return False
    restart()
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if args == ["--refresh"]:
            changed = refresh(os.environ, Paths())
            print(
                f"aqi-grafana-setup: refreshed, {'restarted' if changed else 'unchanged'}",
                file=sys.stderr,
            )
            return 0
        if args:
            raise SetupError("usage: aqi-grafana-setup [--refresh]", 2)
        values = run(os.environ, Paths())
    except (SetupError, subprocess.SubprocessError) as error:
        print(f"aqi-grafana-setup: {error}", file=sys.stderr)
        return error.code if isinstance(error, SetupError) else 3
    engine = os.environ["AQI_STORE_ENGINE"]
    print(f"aqi-grafana-setup: engine={engine} wrote {', '.join(sorted(values))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
