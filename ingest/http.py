"""The HTTP session every network client of the job uses: retries, backoff, timeouts, User-Agent."""

from __future__ import annotations

from collections.abc import Collection

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ingest import __version__

USER_AGENT = f"aqi-platform-ingest/{__version__} (air-quality monitoring; python-requests)"

#: Statuses worth another try: throttling and server-side failures.
RETRY_STATUSES = (429, 500, 502, 503, 504)


def retrying_session(
    methods: Collection[str] = ("GET", "HEAD"),
    total: int = 4,
    backoff: float = 1.0,
    backoff_max: float = 30.0,
) -> requests.Session:
    """A Session that retries connection errors and RETRY_STATUSES with exponential backoff.

    It honours Retry-After and returns the last response (no exception) when
    retries run out, so callers see the real status.
    """
    retry = Retry(
        total=total,
        connect=total,
        read=total,
        status=total,
        backoff_factor=backoff,
        backoff_max=backoff_max,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset(m.upper() for m in methods),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=8)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session
