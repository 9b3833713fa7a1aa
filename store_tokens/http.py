"""The HTTP client of the store APIs: urllib3 with retries, backoff and timeouts."""

from __future__ import annotations

import json
from typing import Any

import urllib3
from urllib3.util.retry import Retry

USER_AGENT = "aqi-platform-store-tokens (air-quality monitoring; urllib3)"
#: Statuses worth another try: throttling and server-side failures.
RETRY_STATUSES = (429, 500, 502, 503, 504)
#: Only requests that change nothing, or set the same state again, are retried
#: after they reached the server. A POST is retried on connection errors only.
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})


def pool_manager() -> urllib3.PoolManager:
    """A PoolManager that retries connection errors and RETRY_STATUSES with exponential backoff.

    TLS certificates are verified against the system's CA store (urllib3's default).
    """
    retry = Retry(
        total=5,
        connect=5,
        read=2,
        status=5,
        backoff_factor=0.5,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    return urllib3.PoolManager(
        retries=retry,
        timeout=urllib3.Timeout(connect=5.0, read=30.0),
        headers={"User-Agent": USER_AGENT},
    )


def json_body(response: urllib3.BaseHTTPResponse) -> Any:
    """The decoded JSON body, or None for an empty or non-JSON body."""
    if not response.data:
        return None
    try:
        return json.loads(response.data)
    except ValueError:
        return None
