"""Provisioning files: datasources from the environment, no secret, the dashboard provider."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.dashboard.conftest import PROVISIONING_DIR

ENV = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def load(relative: str) -> dict[str, Any]:
    return yaml.safe_load((PROVISIONING_DIR / relative).read_text())


def expand_env(value: Any, env: dict[str, str]) -> Any:
    """Grafana's provisioning lookup: ``${NAME}`` and ``$NAME`` from the environment."""
    if isinstance(value, str):
        return ENV.sub(lambda m: env[m.group(1) or m.group(2)], value)
    if isinstance(value, dict):
        return {k: expand_env(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, env) for v in value]
    return value


def env_names(value: Any) -> set[str]:
    text = yaml.safe_dump(value)
    return {a or b for a, b in ENV.findall(text)}


SAMPLE_ENV = {
    "AQI_INFLUXDB_URL": "https://influx.example:8086",
    "AQI_INFLUXDB_DATABASE": "aq",
    "AQI_INFLUXDB_TOKEN": "sample-token",
    "AWS_REGION": "eu-west-2",
    "AQI_TIMESTREAM_DATABASE": "aqi",
    "AQI_TIMESTREAM_TABLE": "air_quality",
}


def test_influxdb_datasource_reads_its_settings_from_the_environment():
    config = load("datasources/influxdb.yaml")
    assert config["apiVersion"] == 1
    (source,) = config["datasources"]
    assert env_names(source) == {"AQI_INFLUXDB_URL", "AQI_INFLUXDB_DATABASE", "AQI_INFLUXDB_TOKEN"}
    ready = expand_env(source, SAMPLE_ENV)
    assert (ready["uid"], ready["type"], ready["access"]) == ("aqi-influxdb", "influxdb", "proxy")
    assert ready["url"] == "https://influx.example:8086"
    assert ready["jsonData"]["version"] == "InfluxQL"
    assert ready["jsonData"]["dbName"] == "aq"
    assert ready["jsonData"]["httpHeaderName1"] == "Authorization"
    assert ready["secureJsonData"]["httpHeaderValue1"] == "Token sample-token"
    assert ready["editable"] is False


def test_timestream_datasource_uses_the_instance_role():
    config = load("datasources/timestream.yaml")
    (source,) = config["datasources"]
    ready = expand_env(source, SAMPLE_ENV)
    assert (ready["uid"], ready["type"]) == ("aqi-timestream", "grafana-timestream-datasource")
    assert ready["jsonData"] == {
        "authType": "default",
        "defaultRegion": "eu-west-2",
        "defaultDatabase": "aqi",
        "defaultTable": "air_quality",
        "defaultMeasure": "air_quality",
    }
    assert "secureJsonData" not in source  # no keys: the instance profile signs requests


def test_no_secret_is_written_in_a_provisioning_file():
    for path in sorted(PROVISIONING_DIR.rglob("*.yaml")):
        config = yaml.safe_load(path.read_text())
        for source in config.get("datasources", []):
            for key, value in (source.get("secureJsonData") or {}).items():
                assert ENV.search(str(value)), f"{path.name}: {key} is not from the environment"
            for key in ("password", "basicAuthPassword", "user"):
                assert key not in source, f"{path.name}: {key}"


def test_no_datasource_claims_to_be_the_default():
    for path in sorted((PROVISIONING_DIR / "datasources").glob("*.yaml")):
        for source in yaml.safe_load(path.read_text())["datasources"]:
            assert not source.get("isDefault"), path.name


def test_dashboard_provider_loads_files_from_the_dashboards_folder():
    config = load("dashboards/air-quality.yaml")
    assert config["apiVersion"] == 1
    (provider,) = config["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    assert provider["allowUiUpdates"] is False and provider["disableDeletion"] is True
    assert not env_names(provider)


def test_dashboard_files_hold_no_environment_lookup():
    # Grafana does not expand the environment in dashboard files: only $variables belong there.
    for path in sorted(Path(PROVISIONING_DIR.parent).glob("air-quality-*.json")):
        assert "$__env" not in path.read_text()
