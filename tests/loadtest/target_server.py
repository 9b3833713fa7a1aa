"""A small Grafana stand-in on loopback for the load test: fast, keep-alive, switchable.

Serves ``/dashboards``, ``/d/<uid>/<slug>``, ``/api/dashboards/uid/<uid>`` and
``POST /api/ds/query``; counts requests per route and checks every query body
(datasource uid, refId, no uninterpolated dashboard variable). ``delay_ms``
makes every response slow; ``error_every`` answers every n-th request with 500.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: A dashboard variable or a range variable of Grafana's frontend left in a query.
UNRESOLVED = re.compile(
    r"\$\{?(measure|country|place|location|__from|__to)\b|\[\[(measure|country|place|location)"
)


class TargetServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # every arriving user opens a connection

    def __init__(self, dashboard_uid: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.dashboard_uid = dashboard_uid
        self.delay_ms = 0.0
        self.error_every = 0
        self.hits: Counter[str] = Counter()
        self.bad_queries: list[str] = []
        self.query_bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._count = 0
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> TargetServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=10)

    def reset(self, delay_ms: float = 0.0, error_every: int = 0) -> None:
        with self._lock:
            self.delay_ms, self.error_every = delay_ms, error_every
            self.hits.clear()
            self.bad_queries.clear()
            self.query_bodies.clear()
            self._count = 0

    def record(self, route: str) -> bool:
        """Counts a request; True when it must be answered with an error."""
        with self._lock:
            self.hits[route] += 1
            self._count += 1
            return bool(self.error_every) and self._count % self.error_every == 0


class _Handler(BaseHTTPRequestHandler):
    server: TargetServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> str:
        path = self.path.split("?", 1)[0]
        uid = self.server.dashboard_uid
        if path == "/dashboards":
            return "dashboards"
        if path.startswith(f"/d/{uid}/"):
            return "dashboard_page"
        if path == f"/api/dashboards/uid/{uid}":
            return "dashboard_model"
        if path == "/api/ds/query":
            return "ds_query"
        return "unknown"

    def _serve(self, route: str, payload: bytes) -> None:
        failing = self.server.record(route)
        if self.server.delay_ms:
            time.sleep(self.server.delay_ms / 1000)
        if failing:
            self._reply(500, b'{"message":"switched to error"}', "application/json")
        elif route == "unknown":
            self._reply(404, b'{"message":"not found"}', "application/json")
        elif route == "ds_query":
            status, body = self._query(payload)
            self._reply(status, json.dumps(body).encode(), "application/json")
        elif route == "dashboard_model":
            model = {"dashboard": {"uid": self.server.dashboard_uid}}
            self._reply(200, json.dumps(model).encode(), "application/json")
        else:
            self._reply(200, b"<!doctype html><title>Grafana</title>", "text/html")

    def _query(self, payload: bytes) -> tuple[int, dict[str, Any]]:
        try:
            body = json.loads(payload)
            queries = body["queries"]
            int(body["from"]), int(body["to"])
            results = {}
            for query in queries:
                if not query["datasource"]["uid"] or UNRESOLVED.search(json.dumps(query)):
                    raise ValueError(f"bad query {query}")
                results[query["refId"]] = {"status": 200, "frames": []}
        except (KeyError, TypeError, ValueError) as err:
            self.server.bad_queries.append(str(err))
            return 400, {"message": str(err)}
        self.server.query_bodies.append(body)
        return 200, {"results": results}

    def do_GET(self) -> None:
        self._serve(self._route(), b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self._serve(self._route(), self.rfile.read(length))
