"""A stand-in for the InfluxDB 2 HTTP API (what Timestream for InfluxDB runs), on loopback.

No InfluxDB 2 server is installable here, so this follows the documented API
(https://docs.influxdata.com/influxdb/v2/api/): ``POST /api/v2/signin`` with
Basic auth sets a session cookie; orgs, buckets and authorizations need that
session; ``/api/v2/write``, ``GET /api/v2/buckets/{id}`` and the 1.x
compatibility ``/write`` and ``/query`` take ``Authorization: Token ...`` and
check the token's permissions like the server does (``/ping`` needs none) (an inactive or deleted
token is refused with 401, a token without the permission with 403). It
validates the request shapes the provisioner and the sink send and records
every call. It is a stub: passing against it proves the calls follow the
documentation, not that a real server accepts them.
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ADMIN = ("admin", "admin-pass-Ω")
ORG = {"id": "0a1b2c3d4e5f6071", "name": "aqi"}
BUCKET = {"id": "9f8e7d6c5b4a3921", "name": "aq", "orgID": ORG["id"], "retentionRules": []}
OTHER_BUCKET = {"id": "1111222233334444", "name": "other", "orgID": ORG["id"], "retentionRules": []}
SESSION = "influxdb-oss-session"


@dataclass
class StubState:
    buckets: list[dict[str, Any]] = field(
        default_factory=lambda: [json.loads(json.dumps(b)) for b in (BUCKET, OTHER_BUCKET)]
    )
    authorizations: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    writes: list[tuple[str, bytes]] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def token(self, header: str | None) -> dict[str, Any] | None:
        if not header or not header.startswith("Token "):
            return None
        value = header.removeprefix("Token ")
        return next((a for a in self.authorizations if a["token"] == value), None)

    def bucket_named(self, name: str | None) -> dict[str, Any] | None:
        return next((b for b in self.buckets if b["name"] == name), None)


def _allows(auth: dict[str, Any], action: str, bucket_id: str) -> bool:
    return any(
        p["action"] == action
        and p["resource"].get("type") == "buckets"
        and p["resource"].get("id") in (None, bucket_id)
        for p in auth["permissions"]
    )


class InfluxTwoStub:
    """``with InfluxTwoStub() as stub: stub.url``; ``stub.state`` holds what it stored."""

    def __init__(self) -> None:
        self.state = StubState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def _reply(self, status: int, body: Any = None, cookie: str | None = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if cookie:
                    self.send_header("Set-Cookie", f"{SESSION}={cookie}; Path=/; HttpOnly")
                self.end_headers()
                self.wfile.write(data)

            def _admin(self) -> bool:
                cookie = self.headers.get("Cookie", "")
                return any(f"{SESSION}={s}" in cookie for s in state.sessions)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _route(self, method: str) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                state.calls.append((method, url.path))
                body = self._body()
                path = url.path
                if (method, path) == ("POST", "/api/v2/signin"):
                    expected = "Basic " + base64.b64encode(":".join(ADMIN).encode()).decode()
                    if self.headers.get("Authorization") != expected:
                        return self._reply(
                            401, {"code": "unauthorized", "message": "unauthorized access"}
                        )
                    session = secrets.token_hex(8)
                    state.sessions.add(session)
                    return self._reply(204, cookie=session)
                if (method, path) == ("POST", "/api/v2/signout"):
                    return self._reply(204)
                if path == "/ping":  # served without authentication
                    return self._reply(204)
                if path in ("/api/v2/write", "/write"):
                    return self._write(method, path, query, body)
                if path == "/query":
                    return self._query(query)
                if path.startswith("/api/v2/buckets/") and method == "GET" and not self._admin():
                    return self._bucket_by_token(path.rsplit("/", 1)[1])
                if not self._admin():
                    return self._reply(
                        401, {"code": "unauthorized", "message": "unauthorized access"}
                    )
                return self._admin_route(method, path, query, body)

            def _write(self, method: str, path: str, query: dict[str, str], body: bytes) -> None:
                if method != "POST":
                    return self._reply(405)
                auth = state.token(self.headers.get("Authorization"))
                if auth is None or auth["status"] != "active":
                    return self._reply(
                        401, {"code": "unauthorized", "message": "unauthorized access"}
                    )
                name = query.get("bucket") if path == "/api/v2/write" else query.get("db")
                if path == "/api/v2/write" and query.get("org") != ORG["name"]:
                    return self._reply(
                        400, {"code": "invalid", "message": "organization not found"}
                    )
                bucket = state.bucket_named(name)
                if bucket is None:
                    return self._reply(
                        404, {"code": "not found", "message": f"bucket {name!r} not found"}
                    )
                if not _allows(auth, "write", bucket["id"]):
                    return self._reply(
                        403, {"code": "forbidden", "message": "insufficient permissions for write"}
                    )
                if body:
                    state.writes.append((auth["id"], body))
                return self._reply(204)

            def _query(self, query: dict[str, str]) -> None:
                auth = state.token(self.headers.get("Authorization"))
                if auth is None or auth["status"] != "active":
                    return self._reply(
                        401, {"code": "unauthorized", "message": "unauthorized access"}
                    )
                bucket = state.bucket_named(query.get("db"))
                if bucket is None or not _allows(auth, "read", bucket["id"]):
                    return self._reply(
                        403, {"code": "forbidden", "message": "insufficient permissions"}
                    )
                return self._reply(200, {"results": [{"statement_id": 0}]})

            def _bucket_by_token(self, bucket_id: str) -> None:
                auth = state.token(self.headers.get("Authorization"))
                if auth is None or auth["status"] != "active":
                    return self._reply(
                        401, {"code": "unauthorized", "message": "unauthorized access"}
                    )
                bucket = next((b for b in state.buckets if b["id"] == bucket_id), None)
                if bucket is None or not _allows(auth, "read", bucket_id):
                    return self._reply(404, {"code": "not found", "message": "bucket not found"})
                return self._reply(200, bucket)

            def _admin_route(
                self, method: str, path: str, query: dict[str, str], body: bytes
            ) -> None:
                if (method, path) == ("GET", "/api/v2/orgs"):
                    orgs = [ORG] if query.get("org") == ORG["name"] else []
                    return self._reply(200, {"orgs": orgs})
                if (method, path) == ("GET", "/api/v2/buckets"):
                    found = [
                        b
                        for b in state.buckets
                        if b["name"] == query.get("name") and b["orgID"] == query.get("orgID")
                    ]
                    return self._reply(200, {"buckets": found})
                if method == "PATCH" and path.startswith("/api/v2/buckets/"):
                    bucket = next(
                        (b for b in state.buckets if b["id"] == path.rsplit("/", 1)[1]), None
                    )
                    if bucket is None:
                        return self._reply(404, {"code": "not found"})
                    update = json.loads(body)
                    for rule in update.get("retentionRules", []):
                        if rule.get("type") != "expire" or not isinstance(
                            rule.get("everySeconds"), int
                        ):
                            return self._reply(
                                400, {"code": "invalid", "message": "bad retention rule"}
                            )
                    bucket.update(update)
                    return self._reply(200, bucket)
                if (method, path) == ("POST", "/api/v2/authorizations"):
                    return self._create_authorization(json.loads(body))
                if (method, path) == ("GET", "/api/v2/authorizations"):
                    found = [a for a in state.authorizations if a["orgID"] == query.get("orgID")]
                    return self._reply(200, {"authorizations": found})
                if path.startswith("/api/v2/authorizations/"):
                    auth_id = path.rsplit("/", 1)[1]
                    auth = next((a for a in state.authorizations if a["id"] == auth_id), None)
                    if auth is None:
                        return self._reply(
                            404, {"code": "not found", "message": "authorization not found"}
                        )
                    if method == "GET":
                        return self._reply(200, auth)
                    if method == "DELETE":
                        state.authorizations.remove(auth)
                        return self._reply(204)
                return self._reply(404, {"code": "not found", "message": "path not found"})

            def _create_authorization(self, request: dict[str, Any]) -> None:
                if request.get("orgID") != ORG["id"] or not request.get("permissions"):
                    return self._reply(
                        400, {"code": "invalid", "message": "orgID and permissions required"}
                    )
                for permission in request["permissions"]:
                    resource = permission.get("resource") or {}
                    if permission.get("action") not in ("read", "write") or not resource.get(
                        "type"
                    ):
                        return self._reply(400, {"code": "invalid", "message": "bad permission"})
                created = {
                    "id": f"{next(state.ids):016x}",
                    "token": secrets.token_urlsafe(24),
                    "status": "active",
                    "orgID": request["orgID"],
                    "description": request.get("description", ""),
                    "permissions": request["permissions"],
                }
                state.authorizations.append(created)
                return self._reply(201, created)

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def do_PATCH(self) -> None:
                self._route("PATCH")

            def do_DELETE(self) -> None:
                self._route("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> InfluxTwoStub:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
