"""InfluxDB 1.x: the same two credentials as users with one GRANT each, through InfluxQL.

For a store that speaks only the 1.x API (``/query``, ``/write``, basic auth).
The admin user of the admin secret creates, for each role, a user with a random
password and a single privilege on the database (``GRANT WRITE`` for the
ingest, ``GRANT READ`` for Grafana), sets the retention of the database's
``autogen`` policy, and drops the users no secret needs any more.
"""

from __future__ import annotations

import secrets
from base64 import b64encode
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from store_tokens.errors import ProvisionError
from store_tokens.http import json_body, pool_manager
from store_tokens.roles import Role

if TYPE_CHECKING:
    import urllib3

#: InfluxDB 1.x's default shard group duration for a retention period (its documented
#: table): under 2 days -> 1 h, up to 6 months -> 1 day, longer -> 7 days.
SHARD_DURATIONS = ((2, "1h"), (183, "1d"))
PRIVILEGES = {"write": "WRITE", "read": "READ"}


def shard_duration(days: int) -> str:
    """The shard group duration InfluxDB would choose for a retention of ``days``."""
    for limit, duration in SHARD_DURATIONS:
        if days < limit:
            return duration
    return "7d"


def _identifier(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _basic(username: str, password: str) -> str:
    return "Basic " + b64encode(f"{username}:{password}".encode()).decode()


class InfluxV1Store:
    """The database's credentials on InfluxDB 1.x, managed by its admin user."""

    def __init__(self, url: str, database: str, http: urllib3.PoolManager | None = None) -> None:
        self.url = url
        self.database = database
        self.http = http or pool_manager()
        self._admin_auth: str | None = None

    def sign_in(self, username: str, password: str) -> None:
        self._admin_auth = _basic(username, password)
        self.query("SHOW USERS")  # fails now, with a clear cause, on a wrong password

    def close(self) -> None:
        self._admin_auth = None

    def _send(
        self, method: str, path: str, query: Mapping[str, str], auth: str, body: bytes | None = None
    ) -> urllib3.BaseHTTPResponse:
        try:
            return self.http.request(
                method,
                f"{self.url}{path}?{urlencode(query)}",
                body=body,
                headers={"Authorization": auth},
            )
        except Exception as error:  # urllib3's MaxRetryError and friends
            raise ProvisionError(
                f"InfluxDB {path}: {type(error).__name__} (store unreachable?)"
            ) from None

    def query(self, statement: str, auth: str | None = None) -> list[dict[str, Any]]:
        """Runs one statement (as the admin unless ``auth`` is given); returns its series."""
        credentials = auth or self._admin_auth
        if credentials is None:
            raise ProvisionError("not signed in to InfluxDB")
        response = self._send("POST", "/query", {"q": statement, "db": self.database}, credentials)
        body = json_body(response) or {}
        if response.status in (401, 403):
            raise ProvisionError(f"InfluxDB refused the statement (HTTP {response.status})")
        if response.status >= 400:
            raise ProvisionError(
                f"InfluxDB /query: HTTP {response.status}: {str(body.get('error', ''))[:200]}"
            )
        result = (body.get("results") or [{}])[0]
        if "error" in result:
            raise ProvisionError(f"InfluxDB statement failed: {str(result['error'])[:200]}")
        return list(result.get("series") or [])

    def apply_retention(self, days: int) -> None:
        """Creates the database if missing and sets its ``autogen`` policy to ``days``
        (0: ``INF``, keep everything)."""
        database = _identifier(self.database)
        self.query(f"CREATE DATABASE {database}")
        duration = f"{days}d SHARD DURATION {shard_duration(days)}" if days else "INF"
        self.query(f'ALTER RETENTION POLICY "autogen" ON {database} DURATION {duration}')

    def create(self, role: Role) -> dict[str, str]:
        username = f"{role.user_prefix}{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(32)
        self.query(f"CREATE USER {_identifier(username)} WITH PASSWORD {_string(password)}")
        self.query(
            f"GRANT {PRIVILEGES[role.action]} ON {_identifier(self.database)} TO {_identifier(username)}"
        )
        return {"username": username, "password": password}

    def grants(self, username: str) -> dict[str, str]:
        series = self.query(f"SHOW GRANTS FOR {_identifier(username)}")
        return {
            str(database): str(privilege)
            for item in series
            for database, privilege in item.get("values") or []
        }

    def works(self, role: Role, secret: Mapping[str, Any]) -> bool:
        """True when the user exists with exactly the role's one privilege and can use it."""
        username, password = secret.get("username"), secret.get("password")
        if not username or not password:
            return False
        if str(username) not in self._users():
            return False
        wanted = {self.database: PRIVILEGES[role.action]}
        if self.grants(str(username)) != wanted:
            return False
        auth = _basic(str(username), str(password))
        if role.action == "write":
            # An empty write checks the privilege and stores nothing.
            response = self._send(
                "POST", "/write", {"db": self.database, "precision": "s"}, auth, b""
            )
            return response.status == 204
        try:
            self.query("SHOW MEASUREMENTS", auth=auth)
        except ProvisionError:
            return False
        return True

    def _users(self) -> set[str]:
        return {
            str(row[0]) for item in self.query("SHOW USERS") for row in item.get("values") or []
        }

    def remove_others(self, role: Role, keep: Iterable[Mapping[str, Any]]) -> list[str]:
        kept = {str(secret.get("username")) for secret in keep}
        removed = []
        for name in sorted(self._users()):
            if name.startswith(role.user_prefix) and name not in kept:
                self.query(f"DROP USER {_identifier(name)}")
                removed.append(name)
        return removed
