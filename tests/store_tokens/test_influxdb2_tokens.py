"""The provisioner on InfluxDB 2 (Timestream for InfluxDB): the documented-API stub and moto.

What passes here: the calls follow the InfluxDB 2 and Secrets Manager APIs as
documented, the tokens carry exactly one permission, and the stub (which checks
permissions like the server) accepts and refuses them accordingly. No real
InfluxDB 2 or Secrets Manager is involved.
"""

from __future__ import annotations

import json

import pytest
import requests

from store_tokens import handler
from store_tokens.errors import ProvisionError
from store_tokens.roles import GRAFANA, INGEST
from tests.store_tokens.conftest import RETENTION_DAYS, secret
from tests.store_tokens.influx2_stub import BUCKET, ORG

LINE = b"air_quality,window=5m,sensor_id=1 pm25=3.0 1795780800"


def write(url: str, token: str, bucket: str = "aq", body: bytes = LINE) -> int:
    return requests.post(
        f"{url}/write",
        params={"db": bucket, "precision": "s"},
        data=body,
        headers={"Authorization": f"Token {token}"},
        timeout=10,
    ).status_code


def query(url: str, token: str, bucket: str = "aq") -> int:
    return requests.get(
        f"{url}/query",
        params={"db": bucket, "q": "SELECT * FROM air_quality"},
        headers={"Authorization": f"Token {token}"},
        timeout=10,
    ).status_code


def test_provision_makes_a_write_only_and_a_read_only_token(aws, stub, v2_env):
    outcome = handler.handle({"action": "provision"})

    assert outcome["ingest"]["credential"] == outcome["grafana"]["credential"] == "created"
    ingest, grafana = secret(aws, v2_env["ingest"]), secret(aws, v2_env["grafana"])
    assert set(ingest) == set(grafana) == {"token", "authorization_id"}
    by_id = {a["id"]: a for a in stub.state.authorizations}
    bucket = {"type": "buckets", "id": BUCKET["id"], "orgID": ORG["id"]}
    assert by_id[ingest["authorization_id"]]["permissions"] == [
        {"action": "write", "resource": bucket}
    ]
    assert by_id[grafana["authorization_id"]]["permissions"] == [
        {"action": "read", "resource": bucket}
    ]
    # The stub checks permissions as the server does.
    assert write(stub.url, ingest["token"]) == 204
    assert query(stub.url, ingest["token"]) == 403
    assert write(stub.url, ingest["token"], bucket="other") == 403
    assert query(stub.url, grafana["token"]) == 200
    assert write(stub.url, grafana["token"]) == 403
    assert query(stub.url, grafana["token"], bucket="other") == 403


def test_provision_applies_the_bucket_retention(aws, stub, v2_env):
    handler.handle({"action": "provision"})
    aq = stub.state.bucket_named("aq")
    assert aq["retentionRules"] == [{"type": "expire", "everySeconds": RETENTION_DAYS * 86_400}]
    assert stub.state.bucket_named("other")["retentionRules"] == []


def test_zero_days_sets_infinite_retention(aws, stub, v2_env, monkeypatch):
    monkeypatch.setenv("AQI_INFLUXDB_RETENTION_DAYS", "0")
    handler.handle({"action": "provision"})
    assert stub.state.bucket_named("aq")["retentionRules"] == [
        {"type": "expire", "everySeconds": 0}
    ]


def test_the_result_terraform_stores_holds_no_secret(aws, stub, v2_env):
    outcome = json.dumps(handler.handle({"action": "provision"}))
    for arn in (v2_env["ingest"], v2_env["grafana"]):
        assert secret(aws, arn)["token"] not in outcome
    assert "admin-pass" not in outcome


def test_a_second_apply_keeps_working_tokens(aws, stub, v2_env):
    handler.handle({"action": "provision"})
    before = secret(aws, v2_env["ingest"])
    outcome = handler.handle({"action": "provision"})
    assert outcome["ingest"] == outcome["grafana"] == {"credential": "kept", "removed": 0}
    assert secret(aws, v2_env["ingest"]) == before
    assert len(stub.state.authorizations) == 2


def test_a_deleted_token_is_replaced(aws, stub, v2_env):
    handler.handle({"action": "provision"})
    old = secret(aws, v2_env["ingest"])
    stub.state.authorizations[:] = [
        a for a in stub.state.authorizations if a["id"] != old["authorization_id"]
    ]
    outcome = handler.handle({"action": "provision"})
    assert outcome["ingest"]["credential"] == "created"
    assert outcome["grafana"]["credential"] == "kept"
    new = secret(aws, v2_env["ingest"])
    assert new["token"] != old["token"] and write(stub.url, new["token"]) == 204


def test_a_token_with_more_than_its_permission_is_not_kept(aws, stub, v2_env):
    # A broken copy of the rule: the ingest secret names a token that may also read.
    handler.handle({"action": "provision"})
    ingest = secret(aws, v2_env["ingest"])
    auth = next(a for a in stub.state.authorizations if a["id"] == ingest["authorization_id"])
    auth["permissions"].append({**auth["permissions"][0], "action": "read"})
    assert query(stub.url, ingest["token"]) == 200
    outcome = handler.handle({"action": "provision"})
    assert outcome["ingest"]["credential"] == "created"
    replacement = secret(aws, v2_env["ingest"])
    assert query(stub.url, replacement["token"]) == 403
    assert write(stub.url, replacement["token"]) == 204


def test_rotation_keeps_the_previous_token_until_the_next_one(aws, stub, v2_env, rotation):
    handler.handle({"action": "provision"})
    first = secret(aws, v2_env["ingest"])

    assert rotation(v2_env["ingest"]) == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    second = secret(aws, v2_env["ingest"])
    assert second["token"] != first["token"]
    assert secret(aws, v2_env["ingest"], "AWSPREVIOUS") == first
    # An instance that read the secret before the rotation keeps writing.
    assert write(stub.url, first["token"]) == 204
    assert write(stub.url, second["token"]) == 204

    rotation(v2_env["ingest"])
    third = secret(aws, v2_env["ingest"])
    assert write(stub.url, first["token"]) == 401  # deleted at the second rotation
    assert write(stub.url, second["token"]) == 204
    assert write(stub.url, third["token"]) == 204
    ingest_tokens = [a for a in stub.state.authorizations if a["description"] == INGEST.description]
    assert {a["id"] for a in ingest_tokens} == {
        second["authorization_id"],
        third["authorization_id"],
    }
    # The other role's token is untouched.
    grafana = [a for a in stub.state.authorizations if a["description"] == GRAFANA.description]
    assert len(grafana) == 1


def test_rotating_the_read_token_tests_it_reads(aws, stub, v2_env, rotation):
    handler.handle({"action": "provision"})
    rotation(v2_env["grafana"])
    token = secret(aws, v2_env["grafana"])["token"]
    assert query(stub.url, token) == 200 and write(stub.url, token) == 403
    assert ("GET", f"/api/v2/buckets/{BUCKET['id']}") in stub.state.calls


def test_rotation_of_another_secret_is_refused(aws, stub, v2_env, rotation):
    with pytest.raises(ProvisionError, match="not a token secret"):
        rotation(v2_env["admin"])


def test_a_wrong_admin_password_is_a_one_line_error(aws, stub, v2_env):
    aws.put_secret_value(
        SecretId=v2_env["admin"],
        SecretString=json.dumps({"username": "admin", "password": "wrong-password-123"}),
    )
    with pytest.raises(ProvisionError) as error:
        handler.handle({"action": "provision"})
    assert "refused the admin username or password" in str(error.value)
    assert "wrong-password-123" not in str(error.value) and "\n" not in str(error.value)


def test_an_unreachable_store_is_a_one_line_error(aws, v2_env, monkeypatch):
    from tools.local_influxdb import free_port

    monkeypatch.setenv("AQI_INFLUXDB_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ProvisionError, match="unreachable"):
        handler.handle({"action": "provision"})


def test_an_unknown_event_is_refused(aws, v2_env):
    with pytest.raises(ProvisionError, match="unknown event"):
        handler.handle({"action": "drop-everything"})
