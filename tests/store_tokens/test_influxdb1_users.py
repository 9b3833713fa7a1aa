"""The provisioner's 1.x mode against a real InfluxDB with authentication on.

Debian's influxd 1.6.7 (``auth-enabled = true``) enforces the users and GRANTs
the provisioner makes; every allowed and refused request below is answered by
the server itself. Secrets Manager is moto (a mock).
"""

from __future__ import annotations

import itertools

import pytest
import requests

from store_tokens import handler
from store_tokens.influxql_users import shard_duration
from tests.store_tokens.conftest import RETENTION_DAYS, lambda_env, secret

_names = itertools.count()
LINE = "air_quality,window=5m,sensor_id=1 pm25=3.0 1795780800"


@pytest.fixture
def v1(monkeypatch, aws, secured_influxdb):
    """The function's environment on the real server, with a database of its own per test."""
    database = f"aq_tokens_{next(_names)}"
    arns = lambda_env(monkeypatch, aws, secured_influxdb.url, "v1", secured_influxdb.admin)
    monkeypatch.setenv("AQI_INFLUXDB_BUCKET", database)
    admin("CREATE DATABASE other", secured_influxdb)
    return secured_influxdb, database, arns


def admin(statement: str, server) -> list:
    response = requests.post(
        f"{server.url}/query", params={"q": statement}, auth=server.admin, timeout=30
    )
    response.raise_for_status()
    return response.json()["results"][0].get("series", [])


def write(url: str, credential: dict, database: str) -> int:
    return requests.post(
        f"{url}/write",
        params={"db": database, "precision": "s"},
        data=LINE,
        auth=(credential["username"], credential["password"]),
        timeout=30,
    ).status_code


def read(url: str, credential: dict, database: str) -> int:
    return requests.get(
        f"{url}/query",
        params={"db": database, "q": "SELECT * FROM air_quality"},
        auth=(credential["username"], credential["password"]),
        timeout=30,
    ).status_code


def test_the_write_user_cannot_read_and_the_read_user_cannot_write(aws, v1):
    server, database, arns = v1
    url = server.url
    handler.handle({"action": "provision"})
    ingest, grafana = secret(aws, arns["ingest"]), secret(aws, arns["grafana"])

    assert write(url, ingest, database) == 204
    assert read(url, ingest, database) == 403
    assert write(url, ingest, "other") == 403
    assert read(url, ingest, "other") == 403

    assert read(url, grafana, database) == 200
    assert write(url, grafana, database) == 403
    assert read(url, grafana, "other") == 403
    assert write(url, grafana, "other") == 403
    # And the read user sees what the write user wrote.
    rows = requests.get(
        f"{url}/query",
        params={"db": database, "q": "SELECT pm25 FROM air_quality"},
        auth=(grafana["username"], grafana["password"]),
        timeout=30,
    ).json()["results"][0]["series"][0]["values"]
    assert rows == [["2026-11-27T12:00:00Z", 3]]


def test_the_users_are_not_admins(aws, v1):
    server, _, arns = v1
    handler.handle({"action": "provision"})
    users = {row[0]: row[1] for row in admin("SHOW USERS", server)[0]["values"]}
    for arn in (arns["ingest"], arns["grafana"]):
        assert users[secret(aws, arn)["username"]] is False


def test_retention_is_applied_to_the_autogen_policy(aws, v1):
    server, database, _ = v1
    handler.handle({"action": "provision"})
    (series,) = admin(f'SHOW RETENTION POLICIES ON "{database}"', server)
    policy = dict(zip(series["columns"], series["values"][0], strict=True))
    assert policy["name"] == "autogen"
    assert policy["duration"] == f"{RETENTION_DAYS * 24}h0m0s"
    assert policy["shardGroupDuration"] == "24h0m0s"


def test_zero_days_keeps_everything(aws, v1, monkeypatch):
    server, database, _ = v1
    handler.handle({"action": "provision"})
    monkeypatch.setenv("AQI_INFLUXDB_RETENTION_DAYS", "0")
    handler.handle({"action": "provision"})
    (series,) = admin(f'SHOW RETENTION POLICIES ON "{database}"', server)
    assert dict(zip(series["columns"], series["values"][0], strict=True))["duration"] == "0s"


@pytest.mark.parametrize(("days", "shard"), [(1, "1h"), (2, "1d"), (182, "1d"), (183, "7d")])
def test_shard_duration_follows_influxdb_defaults(days, shard):
    assert shard_duration(days) == shard


def test_a_user_granted_more_is_replaced(aws, v1):
    # A broken copy of the rule: someone granted the write user ALL on the database.
    server, database, arns = v1
    url = server.url
    handler.handle({"action": "provision"})
    old = secret(aws, arns["ingest"])
    admin(f'GRANT ALL ON "{database}" TO "{old["username"]}"', server)
    assert read(url, old, database) == 200
    outcome = handler.handle({"action": "provision"})
    assert outcome["ingest"]["credential"] == "created"
    new = secret(aws, arns["ingest"])
    assert write(url, new, database) == 204 and read(url, new, database) == 403


def test_rotation_keeps_the_previous_user_until_the_next_one(aws, v1, rotation):
    server, database, arns = v1
    url = server.url
    handler.handle({"action": "provision"})
    first = secret(aws, arns["ingest"])
    rotation(arns["ingest"])
    second = secret(aws, arns["ingest"])
    assert second["username"] != first["username"]
    assert write(url, first, database) == 204
    assert write(url, second, database) == 204
    rotation(arns["ingest"])
    assert write(url, first, database) == 401  # dropped at the second rotation
    assert write(url, second, database) == 204
    assert write(url, secret(aws, arns["ingest"]), database) == 204
