"""Username and password on InfluxDB 2: the job signs in and writes with a bucket token.

The InfluxDB 2 API is a stub on 127.0.0.1 that follows its documented routes
(no InfluxDB 2 server is installable here); the 1.x path runs on the real server.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ingest.sinks import SinkError
from ingest.sinks.influx_auth import TOKEN_DESCRIPTION
from ingest.sinks.influxdb import Credentials, InfluxSink
from tests.ingest.test_influxdb_sink import reading

USER, PASSWORD = "admin", "s3cret-pass"


class InfluxTwoStub:
    """Sign-in, orgs, buckets, authorizations, and a /write that wants the token."""

    def __init__(self) -> None:
        self.authorizations: list[dict] = []
        self.created = 0
        self.writes: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: dict | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if self.path.startswith("/api/v2/signin") and status == 204:
                    self.send_header("Set-Cookie", "influxdb-oss-session=abc; Path=/")
                self.end_headers()
                self.wfile.write(data)

            def _signed_in(self) -> bool:
                return "influxdb-oss-session=abc" in self.headers.get("Cookie", "")

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if path == "/api/v2/signin":
                    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                    return self._send(204 if self.headers.get("Authorization") == expected else 401)
                if path == "/api/v2/signout":
                    return self._send(204)
                if path == "/api/v2/authorizations" and self._signed_in():
                    request = json.loads(body)
                    stub.created += 1
                    auth = {**request, "status": "active", "token": f"tok-{stub.created}"}
                    stub.authorizations.append(auth)
                    return self._send(201, auth)
                if path == "/write" and self.headers.get("Authorization") == "Token tok-1":
                    stub.writes.append(body.decode())
                    return self._send(204)
                return self._send(401, {"code": "unauthorized"})

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if parts.path == "/ping":
                    return self._send(204)
                if parts.path == "/query" and self.headers.get("Authorization") == "Token tok-1":
                    return self._send(200, {"results": [{"series": [{"values": [["aq"]]}]}]})
                if not self._signed_in():
                    return self._send(401)
                if parts.path == "/api/v2/orgs":
                    orgs = [{"id": "org1", "name": "aqi"}] if query.get("org") == ["aqi"] else []
                    return self._send(200, {"orgs": orgs})
                if parts.path == "/api/v2/buckets":
                    buckets = [{"id": "bkt1", "name": "aq"}] if query.get("name") == ["aq"] else []
                    return self._send(200, {"buckets": buckets})
                if parts.path == "/api/v2/authorizations":
                    return self._send(200, {"authorizations": stub.authorizations})
                return self._send(404)

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]


@pytest.fixture
def stub():
    server = InfluxTwoStub()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def sink_for(port: int, password: str = PASSWORD, database: str = "aq") -> InfluxSink:
    sink = InfluxSink.from_url(f"influxdb://127.0.0.1:{port}/{database}")
    sink.credentials = Credentials(username=USER, password=password, organization="aqi")
    return sink


def test_signs_in_makes_a_bucket_token_and_writes_with_it(stub):
    sink = sink_for(stub.port)
    sink.check()
    assert sink.credentials.token == "tok-1" and sink.credentials.password is None
    [auth] = stub.authorizations
    assert auth["description"] == TOKEN_DESCRIPTION and auth["orgID"] == "org1"
    assert {(p["action"], p["resource"]["id"]) for p in auth["permissions"]} == {
        ("read", "bkt1"),
        ("write", "bkt1"),
    }
    assert sink.write_rows([reading()]).written == 1
    assert stub.writes and stub.writes[0].startswith("air_quality,window=24h")


def test_a_second_start_reuses_the_token(stub):
    sink_for(stub.port).check()
    again = sink_for(stub.port)
    again.check()
    assert again.credentials.token == "tok-1" and stub.created == 1


@pytest.mark.parametrize(
    ("password", "database", "message"),
    [
        ("wrong", "aq", "refused the username or password"),
        (PASSWORD, "other", "bucket 'other' not found"),
    ],
)
def test_bad_credentials_or_bucket_are_one_line_errors(stub, password, database, message):
    with pytest.raises(SinkError, match=message) as error:
        sink_for(stub.port, password, database).check()
    assert PASSWORD not in str(error.value) and "\n" not in str(error.value)


def test_influxdb_1_keeps_basic_auth(influxdb):
    sink = sink_for(influxdb.port, database="aq_basic")
    sink.check()
    assert sink.credentials.token is None and sink.session.auth == (USER, PASSWORD)
    assert sink.write_rows([reading()]).written == 1
