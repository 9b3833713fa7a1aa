#!/usr/bin/python3
"""First-boot setup of the air-quality Grafana instance, run before grafana-server.

Reads the settings Terraform wrote to /etc/aqi-grafana/deploy.env (passed in as
environment variables by the systemd unit), then:

1. provisions the datasource and dashboard of the chosen store engine
   (``influxdb`` or ``liveanalytics``) and removes the other one;
2. reads the Grafana admin password from Secrets Manager with the instance
   profile (there is no default password: without it Grafana does not start);
3. for InfluxDB, reads the store's secret: a ``token`` is used as is; a
   ``username``/``password`` pair (the secret Timestream for InfluxDB creates)
   signs in to the InfluxDB 2 API and gets a read-only token for the bucket,
   reusing the one made on an earlier boot;
4. writes everything grafana-server needs to a root-only environment file under
   /run (memory only), which the grafana-server drop-in loads.

Exit codes: 0 on success, 2 for a configuration error, 3 when a secret or the
InfluxDB API cannot be read. The cause is one line on stderr; secrets never are.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests

ENGINES = ("influxdb", "liveanalytics")
DATASOURCE_FILES = {"influxdb": "influxdb.yaml", "liveanalytics": "timestream.yaml"}
DASHBOARD_FILES = {
    "influxdb": "air-quality-influxdb.json",
    "liveanalytics": "air-quality-timestream.json",
}
#: Description of the read-only InfluxDB authorization this setup creates and reuses.
TOKEN_DESCRIPTION = "aqi-grafana read-only"
DEFAULT_ORGANIZATION = "aqi"
DEFAULT_BUCKET = "aq"
HTTP_TIMEOUT = 15


class SetupError(Exception):
    """A failure with a one-line cause; ``code`` is the process exit code."""

    def __init__(self, message: str, code: int = 3) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Paths:
    """Where the available files are and where the active ones go."""

    available: Path = Path("/usr/share/aqi-grafana")
    datasources: Path = Path("/etc/grafana/provisioning/datasources")
    dashboards: Path = Path("/var/lib/grafana/dashboards")
    env_file: Path = Path("/run/aqi-grafana/grafana.env")


@dataclass(frozen=True)
class Settings:
    """The deploy.env variables this setup uses."""

    engine: str
    region: str
    admin_secret_arn: str
    anonymous: bool
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
        missing = [
            name for name in ("AWS_REGION", "AQI_GRAFANA_ADMIN_SECRET_ARN") if not env.get(name)
        ]
        if engine == "influxdb":
            missing += [
                name
                for name in ("AQI_INFLUXDB_URL", "AQI_INFLUXDB_SECRET_ARN")
                if not env.get(name)
            ]
        else:
            missing += [
                name
                for name in ("AQI_TIMESTREAM_DATABASE", "AQI_TIMESTREAM_TABLE")
                if not env.get(name)
            ]
        if missing:
            raise SetupError(f"missing setting(s): {', '.join(missing)}", 2)
        anonymous = env.get("AQI_GRAFANA_ANONYMOUS", "false").strip().lower()
        if anonymous not in ("true", "false"):
            raise SetupError("AQI_GRAFANA_ANONYMOUS must be true or false", 2)
        return cls(
            engine=engine,
            region=env["AWS_REGION"],
            admin_secret_arn=env["AQI_GRAFANA_ADMIN_SECRET_ARN"],
            anonymous=anonymous == "true",
            influxdb_url=env.get("AQI_INFLUXDB_URL", "").rstrip("/"),
            influxdb_database=env.get("AQI_INFLUXDB_DATABASE") or DEFAULT_BUCKET,
            influxdb_secret_arn=env.get("AQI_INFLUXDB_SECRET_ARN", ""),
            timestream_database=env.get("AQI_TIMESTREAM_DATABASE", ""),
            timestream_table=env.get("AQI_TIMESTREAM_TABLE", ""),
        )


SecretReader = Callable[[str], str]


def secrets_manager_reader(region: str) -> SecretReader:
    """Returns a function reading a secret's string with the default credential chain."""
    client = boto3.client("secretsmanager", region_name=region)

    def read(arn: str) -> str:
        try:
            value = client.get_secret_value(SecretId=arn).get("SecretString")
        except Exception as error:
            raise SetupError(f"cannot read secret {arn}: {type(error).__name__}") from None
        if not value:
            raise SetupError(f"secret {arn} has no string value")
        return str(value)

    return read


def influxdb_credentials(raw: str) -> dict[str, str]:
    """Parses the InfluxDB secret: JSON with ``token``, or ``username`` and ``password``."""
    try:
        secret = json.loads(raw)
    except json.JSONDecodeError:
        raise SetupError("the InfluxDB secret is not JSON") from None
    if not isinstance(secret, dict):
        raise SetupError("the InfluxDB secret is not a JSON object")
    if secret.get("token") or (secret.get("username") and secret.get("password")):
        return {str(key): str(value) for key, value in secret.items()}
    raise SetupError("the InfluxDB secret holds neither token nor username/password")


class InfluxDBTokens:
    """Gets a read-only token for one bucket through the InfluxDB 2 API."""

    def __init__(self, url: str, session: requests.Session | None = None) -> None:
        self.url = url
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(
                method, f"{self.url}{path}", timeout=HTTP_TIMEOUT, **kwargs
            )
        except requests.RequestException as error:
            raise SetupError(f"InfluxDB {method} {path}: {type(error).__name__}") from None
        if response.status_code >= 400:
            raise SetupError(f"InfluxDB {method} {path}: HTTP {response.status_code}")
        return response

    def read_token(self, username: str, password: str, organization: str, bucket: str) -> str:
        """Signs in, finds or creates the read-only authorization, signs out."""
        self._call("POST", "/api/v2/signin", auth=(username, password))
        try:
            orgs = self._call("GET", "/api/v2/orgs", params={"org": organization}).json()
            if not orgs.get("orgs"):
                raise SetupError(f"InfluxDB organization {organization!r} not found")
            org_id = orgs["orgs"][0]["id"]
            buckets = self._call(
                "GET", "/api/v2/buckets", params={"name": bucket, "orgID": org_id}
            ).json()
            if not buckets.get("buckets"):
                raise SetupError(f"InfluxDB bucket {bucket!r} not found")
            bucket_id = buckets["buckets"][0]["id"]
            wanted = [
                {
                    "action": "read",
                    "resource": {"type": "buckets", "id": bucket_id, "orgID": org_id},
                }
            ]
            existing = self._call("GET", "/api/v2/authorizations", params={"orgID": org_id}).json()
            for auth in existing.get("authorizations", []):
                if (
                    auth.get("description") == TOKEN_DESCRIPTION
                    and auth.get("status") == "active"
                    and auth.get("token")
                    and _same_permissions(auth.get("permissions", []), wanted)
                ):
                    return str(auth["token"])
            created = self._call(
                "POST",
                "/api/v2/authorizations",
                json={"orgID": org_id, "description": TOKEN_DESCRIPTION, "permissions": wanted},
            ).json()
            token = created.get("token")
            if not token:
                raise SetupError("InfluxDB returned an authorization without a token")
            return str(token)
        finally:
            with contextlib.suppress(requests.RequestException):
                self.session.post(f"{self.url}/api/v2/signout", timeout=HTTP_TIMEOUT)


def _same_permissions(actual: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> bool:
    def key(permission: dict[str, Any]) -> tuple[str, str, str]:
        resource = permission.get("resource", {})
        return (permission.get("action", ""), resource.get("type", ""), resource.get("id", ""))

    return sorted(map(key, actual)) == sorted(map(key, wanted))


def enable_engine(engine: str, paths: Paths) -> None:
    """Makes the engine's datasource and dashboard the only provisioned ones."""
    for folder, files, kind in (
        (paths.datasources, DATASOURCE_FILES, "datasources"),
        (paths.dashboards, DASHBOARD_FILES, "dashboards"),
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
    """The variables grafana-server gets: its own GF_* and the provisioning inputs."""
    admin_password = read_secret(settings.admin_secret_arn).strip()
    if not admin_password:
        raise SetupError("the Grafana admin secret is empty")
    values = {
        "GF_SECURITY_ADMIN_PASSWORD": admin_password,
        "GF_AUTH_ANONYMOUS_ENABLED": "true" if settings.anonymous else "false",
        "AWS_REGION": settings.region,
    }
    if settings.engine == "influxdb":
        credentials = influxdb_credentials(read_secret(settings.influxdb_secret_arn))
        token = credentials.get("token") or InfluxDBTokens(settings.influxdb_url).read_token(
            credentials["username"],
            credentials["password"],
            credentials.get("organization") or DEFAULT_ORGANIZATION,
            credentials.get("bucket") or settings.influxdb_database,
        )
        values |= {
            "AQI_INFLUXDB_URL": settings.influxdb_url,
            "AQI_INFLUXDB_DATABASE": settings.influxdb_database,
            "AQI_INFLUXDB_TOKEN": token,
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


def main() -> int:
    try:
        values = run(os.environ, Paths())
    except SetupError as error:
        print(f"aqi-grafana-setup: {error}", file=sys.stderr)
        return error.code
    engine = os.environ["AQI_STORE_ENGINE"]
    print(f"aqi-grafana-setup: engine={engine} wrote {', '.join(sorted(values))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
