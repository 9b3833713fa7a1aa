"""The function's environment: required names, the retention, the API choice."""

from __future__ import annotations

import pytest

from store_tokens.errors import ProvisionError
from store_tokens.settings import REQUIRED, Settings

VALID = {name: f"value-{name}" for name in REQUIRED} | {"AQI_INFLUXDB_RETENTION_DAYS": "400"}


def test_the_agreed_names_are_read():
    settings = Settings.from_env(VALID | {"AQI_INFLUXDB_URL": "https://db.example:8086/"})
    assert settings.url == "https://db.example:8086"
    assert settings.retention_days == 400
    assert settings.api == "v2"
    assert settings.ingest_secret_arn == VALID["AQI_INGEST_TOKEN_SECRET_ARN"]


@pytest.mark.parametrize("name", REQUIRED)
def test_each_setting_is_required(name):
    with pytest.raises(ProvisionError, match=name):
        Settings.from_env({k: v for k, v in VALID.items() if k != name})


def test_zero_days_keeps_everything():
    assert Settings.from_env(VALID | {"AQI_INFLUXDB_RETENTION_DAYS": "0"}).retention_days == 0


@pytest.mark.parametrize("days", ["-3", "thirty", "1.5"])
def test_retention_must_be_whole_days(days):
    with pytest.raises(ProvisionError, match="RETENTION_DAYS"):
        Settings.from_env(VALID | {"AQI_INFLUXDB_RETENTION_DAYS": days})


def test_an_unknown_api_is_refused():
    with pytest.raises(ProvisionError, match="AQI_INFLUXDB_API"):
        Settings.from_env(VALID | {"AQI_INFLUXDB_API": "v3"})
