"""The HTTP source against a feed server on loopback: conditional GETs, retries, bad answers."""

from __future__ import annotations

import gzip
import json
import sqlite3
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from ingest.cycle import Ingestor
from ingest.http import USER_AGENT
from ingest.sinks.sqlite import SqliteSink
from ingest.sources import HttpSource
from tests.ingest.feeds import pm, record
from tools.loopback_http import LoopbackHTTPServer

FEED = json.dumps([record(1, pm("40", "20")), record(2, pm("5", "5"))]).encode()
#: A real-format feed as a JSON tool saves it (pretty-printed, hand-written records).
PRETTY = (Path(__file__).parent / "fixtures" / "data.json").read_bytes()

# An answer: (status, headers, body, delay seconds)
Answer = tuple[int, dict[str, str], bytes, float]

#: Headers of an answer that tell the server how to break the body, never sent.
SEND_ONLY = "X-Send-Only"  # declare the whole body's Content-Length, send this many bytes, close
CHUNKED = (
    "X-Chunked"  # Transfer-Encoding: chunked in chunks of this many bytes; "cut" stops mid-chunk
)


class FeedServer(LoopbackHTTPServer):
    """Serves scripted answers per path and records the requests it got."""

    def __init__(self) -> None:
        self.script: dict[str, list[Answer]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                answers = server.script.get(self.path) or [(404, {}, b"", 0.0)]
                status, headers, body, delay = answers.pop(0) if len(answers) > 1 else answers[0]
                time.sleep(delay)
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                send_only = headers.pop(SEND_ONLY, None)
                chunked = headers.pop(CHUNKED, None)
                for key, value in headers.items():
                    self.send_header(key, value)
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self._send_chunked(body, chunked)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_only is not None:
                    self.wfile.write(body[: int(send_only)])
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def _send_chunked(self, body: bytes, how: str) -> None:
                size = 1000
                for start in range(0, len(body), size):
                    piece = body[start : start + size]
                    if how == "cut" and start + size >= len(body) // 2:
                        self.wfile.write(f"{len(piece):x}\r\n".encode() + piece[: len(piece) // 2])
                        self.close_connection = True
                        return
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")

            def log_message(self, *_args: object) -> None:
                pass

        super().__init__(Handler)


@pytest.fixture
def server():
    feed_server = FeedServer()
    yield feed_server
    feed_server.stop()


def spooled_records(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def source(server, tmp_path, windows=("24h",), **options):
    return HttpSource(
        server.url, windows, tmp_path / "spool", backoff=0.01, timeout=(2.0, 1.0), **options
    )


def test_conditional_get_and_spool_until_commit(server, tmp_path):
    server.script["/static/v2/data.24h.json"] = [
        (200, {"ETag": '"v1"', "Last-Modified": "Fri, 27 Nov 2026 12:00:00 GMT"}, FEED, 0.0)
    ]
    feeds = source(server, tmp_path)
    first = feeds.fetch()
    assert [f.window for f in first.feeds] == ["24h"]
    assert spooled_records(first.feeds[0].path) == json.loads(FEED)
    assert server.requests[0][1]["User-Agent"] == USER_AGENT
    assert "If-None-Match" not in server.requests[0][1]

    server.script["/static/v2/data.24h.json"] = [(304, {}, b"", 0.0)]
    second = feeds.fetch()
    assert second.not_modified == ["24h"]
    assert server.requests[1][1]["If-None-Match"] == '"v1"'
    assert server.requests[1][1]["If-Modified-Since"] == "Fri, 27 Nov 2026 12:00:00 GMT"
    # Not stored yet: the spooled feed is handed out again.
    assert [f.path for f in second.feeds] == [first.feeds[0].path]
    feeds.commit()
    assert not first.feeds[0].path.exists()
    assert source(server, tmp_path).fetch().feeds == []  # validators survive a restart: 304 again
    assert server.requests[-1][1]["If-None-Match"] == '"v1"'


def test_a_gzip_response_is_decoded_and_every_record_spooled(server, tmp_path):
    server.script["/static/v2/data.json"] = [
        (200, {"Content-Encoding": "gzip", "ETag": '"z"'}, gzip.compress(PRETTY), 0.0)
    ]
    fetched = source(server, tmp_path, windows=("5m",)).fetch()
    assert fetched.errors == [] and fetched.quarantined == []
    assert spooled_records(fetched.feeds[0].path) == json.loads(PRETTY)
    assert "gzip" in server.requests[0][1]["Accept-Encoding"]


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({SEND_ONLY: "2500"}, PRETTY),  # Content-Length not reached
        ({CHUNKED: "cut"}, PRETTY),  # a chunked stream broken off
        ({"Content-Encoding": "gzip", SEND_ONLY: "400"}, gzip.compress(PRETTY)),
    ],
    ids=["content-length", "chunked", "gzip"],
)
def test_a_body_cut_short_is_a_fetch_error_and_the_next_cycle_fetches_again(
    server, tmp_path, headers, body
):
    path = "/static/v2/data.json"
    server.script[path] = [(200, {"ETag": '"cut"', **headers}, body, 0.0)]
    feeds = source(server, tmp_path, windows=("5m",))
    fetched = feeds.fetch()
    assert fetched.feeds == [] and fetched.quarantined == [] and len(fetched.errors) == 1
    assert fetched.errors[0].startswith(server.url) and "Error" in fetched.errors[0]
    spool = tmp_path / "spool"
    assert [p.name for p in spool.rglob("*") if p.is_file()] == []  # nothing half-stored
    server.script[path] = [(200, {"ETag": '"whole"'}, PRETTY, 0.0)]
    again = feeds.fetch()
    assert "If-None-Match" not in server.requests[-1][1]  # the cut body left no validators
    assert again.errors == [] and spooled_records(again.feeds[0].path) == json.loads(PRETTY)


def test_a_whole_chunked_body_is_read(server, tmp_path):
    server.script["/static/v2/data.json"] = [(200, {CHUNKED: "whole"}, PRETTY, 0.0)]
    fetched = source(server, tmp_path, windows=("5m",)).fetch()
    assert fetched.errors == [] and spooled_records(fetched.feeds[0].path) == json.loads(PRETTY)


def test_a_json_body_that_is_no_array_is_one_quarantine_entry(server, tmp_path):
    server.script["/static/v2/data.json"] = [(200, {}, b'{"detail": "Not found."}', 0.0)]
    fetched = source(server, tmp_path, windows=("5m",)).fetch()
    assert fetched.feeds == [] and fetched.errors == []
    assert [q["reason"] for q in fetched.quarantined] == [
        "malformed feed: not a JSON array (it starts with '{')"
    ]


def test_server_errors_are_retried_until_success(server, tmp_path):
    server.script["/static/v2/data.json"] = [
        (503, {}, b"busy", 0.0),
        (502, {}, b"", 0.0),
        (200, {}, FEED, 0.0),
    ]
    fetched = source(server, tmp_path, windows=("5m",)).fetch()
    assert not fetched.errors and len(fetched.feeds) == 1
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((500, {}, b"", 0.0), "HTTP 500"),
        (
            (200, {"Content-Type": "text/html; charset=utf-8"}, b"<html>maintenance</html>", 0.0),
            "got text/html, not JSON",
        ),
        ((200, {}, FEED, 3.0), "ReadTimeout"),
        ((404, {}, b"", 0.0), "HTTP 404"),
    ],
)
def test_failures_become_errors_of_the_cycle(server, tmp_path, answer, message):
    server.script["/static/v2/data.24h.json"] = [answer]
    fetched = source(server, tmp_path).fetch()
    assert fetched.feeds == [] and len(fetched.errors) == 1
    assert message in fetched.errors[0] and fetched.errors[0].startswith(server.url)


def test_an_unreachable_host_is_an_error_not_a_crash(tmp_path):
    from tools.local_influxdb import free_port

    feeds = HttpSource(f"http://127.0.0.1:{free_port()}/", ("24h",), tmp_path, backoff=0.01)
    fetched = feeds.fetch()
    assert fetched.feeds == [] and "ConnectionError" in fetched.errors[0]


def test_the_pending_spool_is_bounded(server, tmp_path):
    server.script["/static/v2/data.24h.json"] = [(200, {}, FEED, 0.0)]
    feeds = source(server, tmp_path, max_pending=2)
    for _ in range(3):
        fetched = feeds.fetch()
    assert len(fetched.feeds) == 2 and len(list((tmp_path / "spool" / "24h").glob("*.jsonl"))) == 2


class FlakySink(SqliteSink):
    """The embedded store, locked for its first write as a store outage would be."""

    failures = 0

    def _connect(self) -> sqlite3.Connection:
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database is locked")
        return super()._connect()


def test_a_store_outage_keeps_the_feed_for_the_next_cycle(server, spark, tmp_path):
    server.script["/static/v2/data.24h.json"] = [
        (200, {"ETag": '"a"'}, FEED, 0.0),
        (304, {}, b"", 0.0),
    ]
    sink = FlakySink(tmp_path / "aq.db")
    sink.check()
    ingestor = Ingestor(spark, source(server, tmp_path), sink, tmp_path / "state")
    sink.failures = 1
    first = ingestor.run_cycle()
    assert (first.new, first.written) == (2, 0)
    assert first.failed == [f"SQLite write to {sink.path} failed: database is locked"]
    second = ingestor.run_cycle()  # the server now says 304: the spooled copy is used
    assert (second.not_modified, second.new, second.written, second.failed) == (1, 2, 2, [])
    assert len(sink.restore_watermarks()) == 2
    assert ingestor.run_cycle().new == 0
