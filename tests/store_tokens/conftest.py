"""Fixtures of the token provisioner's tests.

- Secrets Manager is moto's in-process mock (it stores versions and stages; it
  validates almost nothing else). Its ``rotate_secret`` drives the four rotation
  steps; the Lambda service that would run them is played by ``rotation``,
  which hands each step's event to ``store_tokens.handler.handle``.
- InfluxDB 2 is the documented-API stub of ``influx2_stub``.
- InfluxDB 1.x is Debian's real ``influxd`` with authentication on
  (``secured_influxdb`` of tests/conftest.py), so users and GRANTs are enforced
  by the server itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from store_tokens import handler
from tests.ingest.timestream_helpers import FAKE_AWS_ENV
from tests.store_tokens.influx2_stub import ADMIN, InfluxTwoStub

REGION = "eu-west-2"
RETENTION_DAYS = 30
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:aqi-store-tokens"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {**FAKE_AWS_ENV, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def stub() -> Iterator[InfluxTwoStub]:
    with InfluxTwoStub() as server:
        yield server


def lambda_env(
    monkeypatch: pytest.MonkeyPatch, secretsmanager: Any, url: str, api: str, admin: tuple[str, str]
) -> dict[str, str]:
    """Creates the admin secret and the two token secrets (no value yet, as Terraform
    creates them) and sets the function's environment; returns the ARNs."""
    arns = {
        "admin": secretsmanager.create_secret(
            Name="influxdb-admin",
            SecretString=json.dumps(
                {"username": admin[0], "password": admin[1], "organization": "aqi", "bucket": "aq"}
            ),
        )["ARN"],
        "ingest": secretsmanager.create_secret(Name="aqi-ingest-influxdb-token")["ARN"],
        "grafana": secretsmanager.create_secret(Name="aqi-grafana-influxdb-token")["ARN"],
    }
    for name, value in {
        "AQI_INFLUXDB_URL": url,
        "AQI_INFLUXDB_ADMIN_SECRET_ARN": arns["admin"],
        "AQI_INFLUXDB_ORG": "aqi",
        "AQI_INFLUXDB_BUCKET": "aq",
        "AQI_INFLUXDB_RETENTION_DAYS": str(RETENTION_DAYS),
        "AQI_INGEST_TOKEN_SECRET_ARN": arns["ingest"],
        "AQI_GRAFANA_TOKEN_SECRET_ARN": arns["grafana"],
        "AQI_INFLUXDB_API": api,
    }.items():
        monkeypatch.setenv(name, value)
    return arns


@pytest.fixture
def v2_env(monkeypatch, aws, stub) -> dict[str, str]:
    return lambda_env(monkeypatch, aws, stub.url, "v2", ADMIN)


class _LambdaFunction:
    """What moto's Lambda backend returns for the rotation function: it runs the handler."""

    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def get_function(self, _arn: str) -> object:
        return self

    def invoke(self, _arn: str, qualifier: object, body: str, **_kwargs: object) -> bytes:
        event = json.loads(body)
        self.calls.append(event["Step"])
        return json.dumps(handler.handle(event)).encode()


@pytest.fixture
def rotation(monkeypatch, aws) -> Callable[[str], list[str]]:
    """``rotation(arn)`` rotates a secret now through Secrets Manager (moto) and the
    handler; returns the steps that ran."""
    import moto.awslambda.utils

    calls: list[str] = []
    function = _LambdaFunction(calls)
    monkeypatch.setattr(moto.awslambda.utils, "get_backend", lambda *_args: function)

    def rotate(arn: str) -> list[str]:
        calls.clear()
        aws.rotate_secret(
            SecretId=arn,
            RotationLambdaARN=FUNCTION_ARN,
            RotationRules={"AutomaticallyAfterDays": 30},
        )
        return list(calls)

    return rotate


def secret(secretsmanager: Any, arn: str, stage: str = "AWSCURRENT") -> dict[str, Any]:
    return json.loads(
        secretsmanager.get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"]
    )
