"""The InfluxDB sink's credentials: a scoped token or a 1.x user, re-read from the secret
when the store refuses them mid-run. It never signs in to InfluxDB 2 itself.

InfluxDB 2 is the documented-API stub of tests/store_tokens/influx2_stub.py (it
checks token permissions like the server); InfluxDB 1.x is Debian's real influxd
with authentication on. Secrets Manager is moto (a mock).
"""

from __future__ import annotations

import json
import secrets

import boto3
import pytest
import requests
from moto import mock_aws

import ingest.sinks.base
from ingest.sinks import SinkError
from ingest.sinks.influxdb import REFUSED, Credentials, CredentialsRefusedError, InfluxSink
from tests.ingest.test_influxdb_sink import reading
from tests.ingest.timestream_helpers import FAKE_AWS_ENV
from tests.store_tokens.influx2_stub import BUCKET, ORG, InfluxTwoStub

REGION = "eu-west-2"


def token_for(stub: InfluxTwoStub, *actions: str, bucket: dict = BUCKET) -> str:
    """An authorization made directly in the stub (as the token provisioner would)."""
    token = secrets.token_urlsafe(16)
    stub.state.authorizations.append(
        {
            "id": f"{len(stub.state.authorizations) + 1:016x}",
            "token": token,
            "status": "active",
            "orgID": ORG["id"],
            "description": "test",
            "permissions": [
                {
                    "action": action,
                    "resource": {"type": "buckets", "id": bucket["id"], "orgID": ORG["id"]},
                }
                for action in actions
            ],
        }
    )
    return token


@pytest.fixture
def stub():
    with InfluxTwoStub() as server:
        yield server


@pytest.fixture
def secretsmanager(monkeypatch):
    for name, value in {**FAKE_AWS_ENV, "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def sink_for(url: str, credentials: Credentials, database: str = "aq") -> InfluxSink:
    host_port = url.removeprefix("http://")
    sink = InfluxSink.from_url(f"influxdb://{host_port}/{database}")
    sink.credentials = credentials
    return sink


def test_a_write_only_token_starts_and_writes_without_reading(stub):
    sink = sink_for(stub.url, Credentials(token=token_for(stub, "write")))
    sink.check()
    assert sink.restore_watermarks() == {}  # the token may not read: start from none
    assert sink.write_rows([reading()]).written == 1
    assert stub.state.writes[0][1].startswith(b"air_quality,window=24h")
    # The job never calls the InfluxDB 2 sign-in or token API.
    assert not [path for _, path in stub.state.calls if path.startswith("/api/v2/")]


def test_a_read_only_token_is_refused_at_start(stub):
    sink = sink_for(stub.url, Credentials(token=token_for(stub, "read")))
    with pytest.raises(CredentialsRefusedError, match="for writing to aq") as error:
        sink.check()
    assert "\n" not in str(error.value)


def test_a_token_of_another_bucket_is_refused_at_start(stub):
    other = {"id": "1111222233334444"}
    sink = sink_for(stub.url, Credentials(token=token_for(stub, "write", bucket=other)))
    with pytest.raises(CredentialsRefusedError, match="HTTP 403"):
        sink.check()


def test_the_token_of_the_secret_is_used(secretsmanager, monkeypatch):
    arn = secretsmanager.create_secret(
        Name="ingest-token", SecretString=json.dumps({"token": "t-1", "authorization_id": "a1"})
    )["ARN"]
    monkeypatch.setenv("AQI_INFLUXDB_SECRET_ARN", arn)
    sink = InfluxSink.from_url("influxdbs://db.example:8086/aq")
    assert sink.session.headers["Authorization"] == "Token t-1"
    assert sink.credentials.secret_id == arn and "t-1" not in repr(sink.credentials)


def test_a_secret_without_token_or_user_is_a_clear_error(secretsmanager, monkeypatch):
    arn = secretsmanager.create_secret(
        Name="empty", SecretString=json.dumps({"organization": "aqi"})
    )["ARN"]
    monkeypatch.setenv("AQI_INFLUXDB_SECRET_ARN", arn)
    with pytest.raises(SinkError, match="neither 'token' nor 'username' and 'password'"):
        InfluxSink.from_url("influxdb://db.example:8086/aq")


def in_process_executors(monkeypatch):
    """Runs the executors' writer in this process (the rotation logic is on the driver)."""
    monkeypatch.setattr(
        ingest.sinks.base, "write_from_executors", lambda rows, writer: writer(rows)
    )


def test_a_rotated_token_is_read_again_once_and_the_write_repeated(
    stub, secretsmanager, monkeypatch
):
    in_process_executors(monkeypatch)
    old, new = token_for(stub, "write"), token_for(stub, "write")
    arn = secretsmanager.create_secret(
        Name="ingest-token", SecretString=json.dumps({"token": old})
    )["ARN"]
    sink = sink_for(stub.url, Credentials.from_secret(arn))
    sink.check()
    # The provisioner rotates twice: the old token is deleted, the secret holds the new one.
    secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps({"token": new}))
    stub.state.authorizations[:] = [a for a in stub.state.authorizations if a["token"] != old]

    result = sink.write([reading()])

    assert result.failed == [] and result.written == 1
    assert sink.credentials.token == new
    assert [auth for auth, _ in stub.state.writes] == [stub.state.token(f"Token {new}")["id"]]


def test_a_refusal_with_an_unchanged_secret_fails_and_keeps_the_readings(
    stub, secretsmanager, monkeypatch
):
    in_process_executors(monkeypatch)
    token = token_for(stub, "write")
    arn = secretsmanager.create_secret(
        Name="ingest-token", SecretString=json.dumps({"token": token})
    )["ARN"]
    sink = sink_for(stub.url, Credentials.from_secret(arn))
    stub.state.authorizations.clear()  # revoked, and no new secret value
    result = sink.write([reading()])
    assert result.written == 0 and result.failed == [f"{REFUSED} (HTTP 401)"]


def test_a_token_from_the_environment_is_not_read_again(stub, monkeypatch):
    in_process_executors(monkeypatch)
    sink = sink_for(stub.url, Credentials(token="revoked"))
    result = sink.write([reading()])
    assert result.failed == [f"{REFUSED} (HTTP 401)"]


@pytest.fixture
def influx1_users(secured_influxdb):
    """A write-only and a read-only 1.x user on database aq_auth (the server enforces them)."""
    url, admin = secured_influxdb.url, secured_influxdb.admin
    for statement in (
        "CREATE DATABASE aq_auth",
        "CREATE USER writer_only WITH PASSWORD 'w-pass'",
        "GRANT WRITE ON aq_auth TO writer_only",
        "CREATE USER reader_only WITH PASSWORD 'r-pass'",
        "GRANT READ ON aq_auth TO reader_only",
    ):
        requests.post(
            f"{url}/query", params={"q": statement}, auth=admin, timeout=30
        ).raise_for_status()
    return url


def test_influxdb_1_write_only_user_writes_with_basic_auth(influx1_users):
    sink = sink_for(
        influx1_users, Credentials(username="writer_only", password="w-pass"), "aq_auth"
    )
    sink.check()
    assert sink.session.auth == ("writer_only", "w-pass")
    assert sink.restore_watermarks() == {}  # the server answers 403 to its SELECT
    assert sink.write_rows([reading()]).written == 1


def test_influxdb_1_read_only_user_or_wrong_password_is_refused(influx1_users):
    for credentials in (
        Credentials(username="reader_only", password="r-pass"),
        Credentials(username="writer_only", password="wrong"),
    ):
        with pytest.raises(CredentialsRefusedError) as error:
            sink_for(influx1_users, credentials, "aq_auth").check()
        assert "w-pass" not in str(error.value) and "wrong" not in str(error.value)


def test_the_job_runs_a_cycle_with_a_write_only_token(stub, monkeypatch, tmp_path, spark):
    # The whole job on Spark, as on the ingest instance: check, no watermarks, write.
    from ingest import cli
    from tests.ingest.feeds import pm, record, write

    feed = write(tmp_path / "feed", daily=[record(1, pm("12", "80"), location_id=100)])
    monkeypatch.setenv("AQI_INFLUXDB_TOKEN", token_for(stub, "write"))
    sink = f"influxdb://{stub.url.removeprefix('http://')}/aq"
    options = {"--source": str(feed), "--sink": sink, "--state-dir": str(tmp_path / "s")}
    assert cli.main(["run", "--once", *(word for pair in options.items() for word in pair)]) == 0
    written = b"\n".join(body for _, body in stub.state.writes)
    assert written.startswith(b"air_quality,window=24h,sensor_id=1,") and b"aqi=7i" in written
