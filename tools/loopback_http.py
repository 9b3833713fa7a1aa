"""A threaded HTTP server on 127.0.0.1 for the feed servers of the tests and the benchmark."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: Where the feeds sit on data.sensor.community, and so on the stand-ins.
FEED_PATH = "/static/v2/"


class LoopbackHTTPServer:
    """Serves ``handler`` on a free loopback port from a daemon thread until :meth:`stop`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """The feeds' base URL on this server."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{FEED_PATH}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
