"""The Grafana image's first-boot setup (ansible/roles/grafana/files/aqi_grafana_setup.py).

Secrets Manager is moto's in-process mock (it stores values, it enforces no
permission). The setup makes no InfluxDB call at all: it reads the Grafana
token secret, which the token provisioner (store_tokens) keeps.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import boto3
import grafana_rules
import image_hosts
import pytest
from moto import mock_aws

from tests.dashboard.grafana_provisioning import names_read
from tests.ingest.timestream_helpers import FAKE_AWS_ENV

REGION = "eu-west-2"
ADMIN_PASSWORD = 'p4ss "word" with $HOME, `backticks` and \\ backslash'
SECRET_KEY = "sk-0123456789abcdef$x"
GRAFANA_TOKEN = "grafana-read-token=="
TOPIC = "arn:aws:sns:eu-west-2:123456789012:aqi-alerts"


SETUP_PROGRAM = image_hosts.REPO / "ansible/roles/grafana/files/aqi_grafana_setup.py"
setup = image_hosts.load_program(SETUP_PROGRAM)


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for name, value in {**FAKE_AWS_ENV, "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("secretsmanager", region_name=REGION)

        def create(name: str, value: str) -> str:
            return client.create_secret(Name=name, SecretString=value)["ARN"]

        yield {
            "admin": create("grafana-admin", ADMIN_PASSWORD),
            "secret_key": create("grafana-secret-key", SECRET_KEY),
            "influx_token": create(
                "aqi-grafana-influxdb-token",
                json.dumps({"token": GRAFANA_TOKEN, "authorization_id": "0000000000000002"}),
            ),
            # The shape of the store's admin secret: the setup must refuse it.
            "influx_admin": create(
                "influxdb-admin",
                json.dumps(
                    {
                        "username": "admin",
                        "password": "influx-pass",
                        "organization": "aqi",
                        "bucket": "aq",
                    }
                ),
            ),
        }


@pytest.fixture
def paths(tmp_path: Path):
    available = tmp_path / "available"
    for kind, names in (
        ("datasources", ("influxdb.yaml", "timestream.yaml")),
        ("dashboards", ("air-quality-influxdb.json", "air-quality-timestream.json")),
        ("alert-rules", ("influxdb.yaml", "timestream.yaml")),
    ):
        (available / kind).mkdir(parents=True)
        for name in names:
            (available / kind / name).write_text(f"content of {kind}/{name}\n")
    return setup.Paths(
        available=available,
        datasources=tmp_path / "provisioning" / "datasources",
        dashboards=tmp_path / "dashboards",
        alert_rules=tmp_path / "provisioning" / "alerting",
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


def influx_env(arns: dict[str, str], secret: str = "influx_token") -> dict[str, str]:
    return {
        "AQI_STORE_ENGINE": "influxdb",
        "AWS_REGION": REGION,
        "AQI_GRAFANA_ADMIN_SECRET_ARN": arns["admin"],
        "AQI_GRAFANA_SECRET_KEY_ARN": arns["secret_key"],
        "AQI_ALERT_TOPIC_ARN": TOPIC,
        "AQI_GRAFANA_ANONYMOUS": "true",
        "AQI_GRAFANA_ROOT_URL": "https://air.example.org/",
        "AQI_GRAFANA_COOKIE_SECURE": "true",
        "AQI_INFLUXDB_URL": "https://db.example:8086/",
        "AQI_INFLUXDB_DATABASE": "aq",
        "AQI_INFLUXDB_SECRET_ARN": arns[secret],
    }


def assert_root_only(path: Path) -> None:
    """The rule of the environment file: a regular file only root may read or write."""
    info = path.stat()
    assert stat.S_ISREG(info.st_mode)
    assert info.st_mode & 0o077 == 0, f"{path} is readable by others: {oct(info.st_mode & 0o777)}"


def test_influxdb_engine_gets_the_read_token_and_grafana_settings(secrets, paths):
    setup.run(influx_env(secrets), paths)

    values = read_env_file(paths.env_file)
    assert values["GF_SECURITY_ADMIN_PASSWORD"] == ADMIN_PASSWORD
    assert values["GF_SECURITY_SECRET_KEY"] == SECRET_KEY
    assert values["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert values["GF_SECURITY_COOKIE_SECURE"] == "true"
    assert values["GF_SERVER_ROOT_URL"] == "https://air.example.org/"
    assert values["AQI_ALERT_TOPIC_ARN"] == TOPIC
    assert values["AQI_INFLUXDB_TOKEN"] == GRAFANA_TOKEN
    assert values["AQI_INFLUXDB_URL"] == "https://db.example:8086"
    assert values["AQI_INFLUXDB_DATABASE"] == "aq"
    assert_root_only(paths.env_file)


def test_every_grafana_variable_is_a_documented_override(secrets, paths):
    written = setup.run(influx_env(secrets), paths)
    overrides = [name for name in written if name.startswith("GF_")]
    assert overrides
    unknown = [name for name in overrides if name not in grafana_rules.OVERRIDES]
    assert unknown == [], f"not GF_<SECTION>_<KEY> of a documented setting: {unknown}"


def test_a_misspelt_override_is_caught():
    # A broken copy of the rule: the key name loses its underscore.
    assert "GF_SECURITY_SECRETKEY" not in grafana_rules.OVERRIDES
    assert grafana_rules.OVERRIDES["GF_AUTH_ANONYMOUS_ENABLED"] == ("auth.anonymous", "enabled")


def test_a_broken_copy_that_writes_a_world_readable_file_fails_the_rule(secrets, paths, tmp_path):
    broken_path = tmp_path / "broken_setup.py"
    broken_path.write_text(SETUP_PROGRAM.read_text().replace("0o600", "0o644"))
    broken = image_hosts.load_program(broken_path)
    broken_paths = broken.Paths(
        available=paths.available,
        datasources=paths.datasources,
        dashboards=paths.dashboards,
        env_file=paths.env_file,
    )
    broken.run(influx_env(secrets), broken_paths)
    with pytest.raises(AssertionError, match="readable by others"):
        assert_root_only(paths.env_file)


def test_the_setup_reads_no_store_admin_secret(secrets, paths):
    # Pointed at a secret of the admin secret's shape, the setup refuses it: it
    # never signs in to InfluxDB with a username and password.
    with pytest.raises(setup.SetupError, match="holds no token"):
        setup.run(influx_env(secrets, "influx_admin"), paths)
    assert not paths.env_file.exists()


def test_the_setup_reads_exactly_its_three_secrets(secrets, paths):
    read: list[str] = []
    reader = setup.secrets_manager_reader(REGION)

    def recording(arn: str) -> str:
        read.append(arn)
        return reader(arn)

    setup.run(influx_env(secrets), paths, recording)
    assert sorted(read) == sorted(
        [secrets["admin"], secrets["secret_key"], secrets["influx_token"]]
    )


def test_the_setup_module_makes_no_http_call():
    source = SETUP_PROGRAM.read_text()
    imported = set(re.findall(r"^(?:from|import) (\w+)", source, re.MULTILINE))
    assert imported.isdisjoint({"requests", "urllib3", "http", "socket"}), imported


def test_influxdb_engine_provisions_only_its_datasource_dashboard_and_rules(secrets, paths):
    paths.datasources.mkdir(parents=True)
    (paths.datasources / "timestream.yaml").write_text("stale")
    paths.alert_rules.mkdir(parents=True)
    (paths.alert_rules / "timestream.yaml").write_text("stale")
    (paths.alert_rules / "contact-points.yaml").write_text("baked, both engines")
    setup.run(influx_env(secrets), paths)
    assert sorted(p.name for p in paths.datasources.iterdir()) == ["influxdb.yaml"]
    assert sorted(p.name for p in paths.dashboards.iterdir()) == ["air-quality-influxdb.json"]
    assert sorted(p.name for p in paths.alert_rules.iterdir()) == [
        "contact-points.yaml",
        "influxdb.yaml",
    ]
    assert (paths.datasources / "influxdb.yaml").read_text() == (
        "content of datasources/influxdb.yaml\n"
    )
    assert (paths.alert_rules / "influxdb.yaml").read_text() == (
        "content of alert-rules/influxdb.yaml\n"
    )


def liveanalytics_env(arns: dict[str, str]) -> dict[str, str]:
    return {
        "AQI_STORE_ENGINE": "liveanalytics",
        "AWS_REGION": REGION,
        "AQI_GRAFANA_ADMIN_SECRET_ARN": arns["admin"],
        "AQI_GRAFANA_SECRET_KEY_ARN": arns["secret_key"],
        "AQI_ALERT_TOPIC_ARN": TOPIC,
        "AQI_TIMESTREAM_DATABASE": "aqi",
        "AQI_TIMESTREAM_TABLE": "air_quality",
    }


def test_liveanalytics_engine_provisions_timestream_and_no_token(secrets, paths):
    paths.dashboards.mkdir(parents=True)
    (paths.dashboards / "air-quality-influxdb.json").write_text("{}")
    setup.run(liveanalytics_env(secrets), paths)
    values = read_env_file(paths.env_file)
    assert values["AQI_TIMESTREAM_DATABASE"] == "aqi"
    assert values["AQI_TIMESTREAM_TABLE"] == "air_quality"
    assert values["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert values["GF_SECURITY_COOKIE_SECURE"] == "false"
    assert "GF_SERVER_ROOT_URL" not in values
    assert "AQI_INFLUXDB_TOKEN" not in values
    assert sorted(p.name for p in paths.datasources.iterdir()) == ["timestream.yaml"]
    assert sorted(p.name for p in paths.dashboards.iterdir()) == ["air-quality-timestream.json"]
    assert sorted(p.name for p in paths.alert_rules.iterdir()) == ["timestream.yaml"]


@pytest.mark.parametrize("missing", ["admin", "secret_key"])
def test_a_missing_secret_stops_the_setup_without_writing(
    secrets, paths, monkeypatch, capsys, missing
):
    env = influx_env(secrets)
    name = {"admin": "AQI_GRAFANA_ADMIN_SECRET_ARN", "secret_key": "AQI_GRAFANA_SECRET_KEY_ARN"}[
        missing
    ]
    env[name] = secrets[missing] + "-absent"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(setup, "Paths", lambda: paths)
    assert setup.main([]) == 3
    assert not paths.env_file.exists()
    err = capsys.readouterr().err
    assert "cannot read secret" in err and err.count("\n") == 1
    assert ADMIN_PASSWORD not in err and SECRET_KEY not in err


VALID = {
    "AQI_STORE_ENGINE": "liveanalytics",
    "AWS_REGION": REGION,
    "AQI_GRAFANA_ADMIN_SECRET_ARN": "arn-admin",
    "AQI_GRAFANA_SECRET_KEY_ARN": "arn-key",
    "AQI_ALERT_TOPIC_ARN": TOPIC,
    "AQI_TIMESTREAM_DATABASE": "aqi",
    "AQI_TIMESTREAM_TABLE": "air_quality",
}


def test_the_valid_settings_are_accepted():
    assert setup.Settings.from_env(VALID).engine == "liveanalytics"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "AQI_STORE_ENGINE"),
        ({"AQI_STORE_ENGINE": "mysql"}, "AQI_STORE_ENGINE"),
        ({"AQI_STORE_ENGINE": "influxdb", "AWS_REGION": REGION}, "AQI_GRAFANA_ADMIN_SECRET_ARN"),
        (dict(VALID, AQI_GRAFANA_SECRET_KEY_ARN=""), "AQI_GRAFANA_SECRET_KEY_ARN"),
        (dict(VALID, AQI_ALERT_TOPIC_ARN=""), "AQI_ALERT_TOPIC_ARN"),
        (dict(VALID, AQI_GRAFANA_ANONYMOUS="yes"), "AQI_GRAFANA_ANONYMOUS"),
        (dict(VALID, AQI_GRAFANA_COOKIE_SECURE="1"), "AQI_GRAFANA_COOKIE_SECURE"),
        (dict(VALID, AQI_GRAFANA_ROOT_URL="air.example.org"), "AQI_GRAFANA_ROOT_URL"),
        (
            dict(VALID, AQI_GRAFANA_COOKIE_SECURE="true", AQI_GRAFANA_ROOT_URL="http://x.example/"),
            "needs an https:// AQI_GRAFANA_ROOT_URL",
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
def test_setup_provides_every_variable_the_datasource_reads(engine, datasource, secrets, tmp_path):
    # The real provisioning files of dashboard/: Grafana expands ${NAME} and $NAME
    # from the environment the setup writes; a name it does not write would stay empty.
    provisioning = image_hosts.REPO / "dashboard" / "provisioning"
    available = tmp_path / "available"
    for kind in ("datasources", "dashboards", "alert-rules"):
        (available / kind).mkdir(parents=True)
    for name in ("influxdb.yaml", "timestream.yaml"):
        for kind in ("datasources", "alert-rules"):
            shutil.copyfile(provisioning / kind / name, available / kind / name)
    for name in ("air-quality-influxdb.json", "air-quality-timestream.json"):
        shutil.copyfile(image_hosts.REPO / "dashboard" / name, available / "dashboards" / name)
    paths = setup.Paths(
        available=available,
        datasources=tmp_path / "datasources",
        dashboards=tmp_path / "dashboards",
        alert_rules=tmp_path / "alerting",
        env_file=tmp_path / "grafana.env",
    )
    env = influx_env(secrets) | {
        "AQI_STORE_ENGINE": engine,
        "AQI_TIMESTREAM_DATABASE": "aqi",
        "AQI_TIMESTREAM_TABLE": "air_quality",
    }
    setup.run(env, paths)
    # The engine's datasource and alert rules, and the alerting files both engines use.
    files = [
        paths.datasources / datasource,
        paths.alert_rules / datasource,
        *sorted((provisioning / "alerting").glob("*.yaml")),
    ]
    settings = "\n".join(
        line
        for path in files
        for line in path.read_text().splitlines()
        if not line.lstrip().startswith("#")
    )
    referenced = names_read(settings)
    assert referenced, "the provisioning files read no variable"
    written = read_env_file(paths.env_file)
    assert referenced <= set(written), referenced - set(written)
    assert all(written[name] for name in referenced)


def test_a_refresh_after_a_rotation_restarts_grafana_once(secrets, paths):
    restarts: list[int] = []
    env = influx_env(secrets)
    setup.run(env, paths)
    assert setup.refresh(env, paths, restart=lambda: restarts.append(1)) is False
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=secrets["influx_token"],
        SecretString=json.dumps({"token": "rotated-token", "authorization_id": "3"}),
    )
    assert setup.refresh(env, paths, restart=lambda: restarts.append(1)) is True
    assert restarts == [1]
    assert read_env_file(paths.env_file)["AQI_INFLUXDB_TOKEN"] == "rotated-token"
    assert_root_only(paths.env_file)


def test_unknown_arguments_are_a_usage_error(capsys):
    assert setup.main(["--now"]) == 2
    assert "usage" in capsys.readouterr().err
