"""The Grafana image's first-boot setup (ansible/roles/grafana/files/aqi_grafana_setup.py).

Secrets Manager is moto's in-process mock; the InfluxDB 2 API is a stub HTTP
server on loopback that checks sign-in, cookies and the authorization requests.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import boto3
import image_hosts
import pytest
from moto import mock_aws

REGION = "eu-west-2"
ADMIN_PASSWORD = 'p4ss "word" with $HOME, `backticks` and \\ backslash'


def load_setup() -> ModuleType:
    path = image_hosts.REPO / "ansible/roles/grafana/files/aqi_grafana_setup.py"
    spec = importlib.util.spec_from_file_location("aqi_grafana_setup", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


setup = load_setup()


class InfluxStub(BaseHTTPRequestHandler):
    """A small InfluxDB 2 API: sign-in by Basic auth, then cookie-authenticated calls."""

    state: ClassVar[dict] = {}

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def _reply(self, status: int, body: object | None = None, headers: dict | None = None):
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _signed_in(self) -> bool:
        return "session=s1" in self.headers.get("Cookie", "")

    def _handle(self, method: str) -> None:
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.state["calls"].append((method, url.path, query, body))
        if (method, url.path) == ("POST", "/api/v2/signin"):
            expected = base64.b64encode(b"admin:influx-pass").decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                return self._reply(401, {"code": "unauthorized"})
            return self._reply(204, headers={"Set-Cookie": "session=s1; Path=/"})
        if (method, url.path) == ("POST", "/api/v2/signout"):
            return self._reply(204)
        if not self._signed_in():
            return self._reply(401, {"code": "unauthorized"})
        if (method, url.path) == ("GET", "/api/v2/orgs"):
            orgs = [org for org in self.state["orgs"] if org["name"] == query.get("org")]
            return self._reply(200, {"orgs": orgs})
        if (method, url.path) == ("GET", "/api/v2/buckets"):
            buckets = [
                bucket
                for bucket in self.state["buckets"]
                if bucket["name"] == query.get("name") and bucket["orgID"] == query.get("orgID")
            ]
            return self._reply(200, {"buckets": buckets})
        if (method, url.path) == ("GET", "/api/v2/authorizations"):
            return self._reply(200, {"authorizations": self.state["authorizations"]})
        if (method, url.path) == ("POST", "/api/v2/authorizations"):
            token = f"token-{len(self.state['authorizations']) + 1}"
            created = {**body, "id": token, "token": token, "status": "active"}
            self.state["authorizations"].append(created)
            return self._reply(201, created)
        return self._reply(404, {"code": "not found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")


@pytest.fixture
def influx() -> Iterator[tuple[str, dict]]:
    state = {
        "calls": [],
        "orgs": [{"id": "org1", "name": "aqi"}],
        "buckets": [{"id": "bucket1", "name": "aq", "orgID": "org1"}],
        "authorizations": [],
    }
    handler = type("Handler", (InfluxStub,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()
    server.server_close()


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)

        def create(name: str, value: str) -> str:
            return client.create_secret(Name=name, SecretString=value)["ARN"]

        yield {
            "admin": create("grafana-admin", ADMIN_PASSWORD),
            "influx_userpass": create(
                "influx-userpass",
                json.dumps(
                    {
                        "username": "admin",
                        "password": "influx-pass",
                        "organization": "aqi",
                        "bucket": "aq",
                    }
                ),
            ),
            "influx_token": create("influx-token", json.dumps({"token": "given-token"})),
        }


@pytest.fixture
def paths(tmp_path: Path):
    available = tmp_path / "available"
    for kind, names in (
        ("datasources", ("influxdb.yaml", "timestream.yaml")),
        ("dashboards", ("air-quality-influxdb.json", "air-quality-timestream.json")),
    ):
        (available / kind).mkdir(parents=True)
        for name in names:
            (available / kind / name).write_text(f"content of {name}\n")
    return setup.Paths(
        available=available,
        datasources=tmp_path / "provisioning" / "datasources",
        dashboards=tmp_path / "dashboards",
        env_file=tmp_path / "run" / "aqi-grafana" / "grafana.env",
    )


def unquote(quoted: str) -> str:
    """systemd's reading of a double-quoted EnvironmentFile value: a backslash
    before one of " \\ ` $ yields that character, before any other keeps both."""
    assert quoted[0] == quoted[-1] == '"'
    value, chars = [], iter(quoted[1:-1])
    for char in chars:
        if char == "\\":
            following = next(chars)
            value.append(following if following in '"\\`$' else char + following)
        else:
            assert char != '"', "unescaped quote inside the value"
            value.append(char)
    return "".join(value)


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        name, quoted = line.split("=", 1)
        values[name] = unquote(quoted)
    return values


def influx_env(arns: dict[str, str], url: str, secret: str) -> dict[str, str]:
    return {
        "AQI_STORE_ENGINE": "influxdb",
        "AWS_REGION": REGION,
        "AQI_GRAFANA_ADMIN_SECRET_ARN": arns["admin"],
        "AQI_GRAFANA_ANONYMOUS": "true",
        "AQI_INFLUXDB_URL": url + "/",
        "AQI_INFLUXDB_DATABASE": "aq",
        "AQI_INFLUXDB_SECRET_ARN": arns[secret],
    }


def test_username_password_secret_gets_a_read_only_bucket_token(secrets, influx, paths):
    url, state = influx
    setup.run(influx_env(secrets, url, "influx_userpass"), paths)

    values = read_env_file(paths.env_file)
    assert values["GF_SECURITY_ADMIN_PASSWORD"] == ADMIN_PASSWORD
    assert values["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert values["AQI_INFLUXDB_TOKEN"] == "token-1"
    assert values["AQI_INFLUXDB_URL"] == url
    assert values["AQI_INFLUXDB_DATABASE"] == "aq"
    assert paths.env_file.stat().st_mode & 0o777 == 0o600
    (created,) = state["authorizations"]
    assert created["orgID"] == "org1"
    assert created["permissions"] == [
        {"action": "read", "resource": {"type": "buckets", "id": "bucket1", "orgID": "org1"}}
    ]
    steps = [call[:2] for call in state["calls"]]
    assert (steps[0], steps[-1]) == (("POST", "/api/v2/signin"), ("POST", "/api/v2/signout"))


def test_a_later_boot_reuses_the_read_only_token(secrets, influx, paths):
    url, state = influx
    env = influx_env(secrets, url, "influx_userpass")
    setup.run(env, paths)
    setup.run(env, paths)
    assert len(state["authorizations"]) == 1
    assert read_env_file(paths.env_file)["AQI_INFLUXDB_TOKEN"] == "token-1"


def test_a_token_secret_is_used_without_calling_influxdb(secrets, influx, paths):
    url, state = influx
    setup.run(influx_env(secrets, url, "influx_token"), paths)
    assert read_env_file(paths.env_file)["AQI_INFLUXDB_TOKEN"] == "given-token"
    assert state["calls"] == []


def test_influxdb_engine_provisions_only_its_datasource_and_dashboard(secrets, influx, paths):
    url, _ = influx
    paths.datasources.mkdir(parents=True)
    (paths.datasources / "timestream.yaml").write_text("stale")
    setup.run(influx_env(secrets, url, "influx_token"), paths)
    assert sorted(p.name for p in paths.datasources.iterdir()) == ["influxdb.yaml"]
    assert sorted(p.name for p in paths.dashboards.iterdir()) == ["air-quality-influxdb.json"]
    assert (paths.datasources / "influxdb.yaml").read_text() == "content of influxdb.yaml\n"


def test_liveanalytics_engine_provisions_timestream_and_no_token(secrets, paths):
    paths.dashboards.mkdir(parents=True)
    (paths.dashboards / "air-quality-influxdb.json").write_text("{}")
    env = {
        "AQI_STORE_ENGINE": "liveanalytics",
        "AWS_REGION": REGION,
        "AQI_GRAFANA_ADMIN_SECRET_ARN": secrets["admin"],
        "AQI_TIMESTREAM_DATABASE": "aqi",
        "AQI_TIMESTREAM_TABLE": "air_quality",
    }
    setup.run(env, paths)
    values = read_env_file(paths.env_file)
    assert values["AQI_TIMESTREAM_DATABASE"] == "aqi"
    assert values["AQI_TIMESTREAM_TABLE"] == "air_quality"
    assert values["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert "AQI_INFLUXDB_TOKEN" not in values
    assert sorted(p.name for p in paths.datasources.iterdir()) == ["timestream.yaml"]
    assert sorted(p.name for p in paths.dashboards.iterdir()) == ["air-quality-timestream.json"]


def test_missing_admin_secret_stops_the_setup_without_writing(
    secrets, influx, paths, monkeypatch, capsys
):
    url, _ = influx
    env = influx_env(secrets, url, "influx_userpass")
    env["AQI_GRAFANA_ADMIN_SECRET_ARN"] = secrets["admin"].replace("grafana-admin", "absent")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(setup, "Paths", lambda: paths)
    assert setup.main() == 3
    assert not paths.env_file.exists()
    assert "cannot read secret" in capsys.readouterr().err


def test_wrong_influxdb_password_is_an_error_not_a_silent_empty_token(secrets, influx, paths):
    url, state = influx
    state["calls"].clear()
    env = influx_env(secrets, url, "influx_userpass")
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=secrets["influx_userpass"],
        SecretString=json.dumps({"username": "admin", "password": "wrong"}),
    )
    with pytest.raises(setup.SetupError, match="HTTP 401"):
        setup.run(env, paths)
    assert not paths.env_file.exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "AQI_STORE_ENGINE"),
        ({"AQI_STORE_ENGINE": "mysql"}, "AQI_STORE_ENGINE"),
        ({"AQI_STORE_ENGINE": "influxdb", "AWS_REGION": REGION}, "AQI_GRAFANA_ADMIN_SECRET_ARN"),
        (
            {
                "AQI_STORE_ENGINE": "liveanalytics",
                "AWS_REGION": REGION,
                "AQI_GRAFANA_ADMIN_SECRET_ARN": "arn",
                "AQI_TIMESTREAM_DATABASE": "aqi",
                "AQI_TIMESTREAM_TABLE": "air_quality",
                "AQI_GRAFANA_ANONYMOUS": "yes",
            },
            "AQI_GRAFANA_ANONYMOUS",
        ),
    ],
)
def test_configuration_errors_exit_2(env, message):
    with pytest.raises(setup.SetupError, match=message) as error:
        setup.Settings.from_env(env)
    assert error.value.code == 2


@pytest.mark.parametrize("value", ["plain", 'a "b" c', "$HOME ${X} `id`", "back\\slash", " pad "])
def test_env_values_round_trip_through_double_quotes(value):
    assert unquote(setup.quote_env_value(value)) == value


def test_env_values_with_line_breaks_are_refused():
    with pytest.raises(setup.SetupError):
        setup.quote_env_value("two\nlines")


@pytest.mark.parametrize(
    ("engine", "datasource"), [("influxdb", "influxdb.yaml"), ("liveanalytics", "timestream.yaml")]
)
def test_setup_provides_every_variable_the_datasource_reads(
    engine, datasource, secrets, influx, tmp_path
):
    # The real provisioning files of dashboard/: Grafana expands ${NAME} from the
    # environment the setup writes; a name it does not write would stay empty.
    url, _ = influx
    provisioning = image_hosts.REPO / "dashboard" / "provisioning" / "datasources"
    available = tmp_path / "available"
    (available / "datasources").mkdir(parents=True)
    (available / "dashboards").mkdir(parents=True)
    for name in ("influxdb.yaml", "timestream.yaml"):
        shutil.copyfile(provisioning / name, available / "datasources" / name)
    for name in ("air-quality-influxdb.json", "air-quality-timestream.json"):
        shutil.copyfile(image_hosts.REPO / "dashboard" / name, available / "dashboards" / name)
    paths = setup.Paths(
        available=available,
        datasources=tmp_path / "datasources",
        dashboards=tmp_path / "dashboards",
        env_file=tmp_path / "grafana.env",
    )
    env = influx_env(secrets, url, "influx_token") | {
        "AQI_STORE_ENGINE": engine,
        "AQI_TIMESTREAM_DATABASE": "aqi",
        "AQI_TIMESTREAM_TABLE": "air_quality",
    }
    setup.run(env, paths)
    lines = (paths.datasources / datasource).read_text().splitlines()
    settings = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    referenced = set(re.findall(r"\$\{(\w+)\}", settings))
    assert referenced, "the datasource reads no variable"
    written = read_env_file(paths.env_file)
    assert referenced <= set(written), referenced - set(written)
    assert all(written[name] for name in referenced)
