"""A bucket token from InfluxDB 2 (Timestream for InfluxDB) for a username and password.

The v1 API that the sink writes to accepts a token, not the password of an
InfluxDB 2 user. Given the user's credentials (the secret Timestream for InfluxDB
creates holds username, password, organization and bucket), the job signs in
once at start and uses a token scoped to read and write its one bucket: an
existing one it made before, or a new one.
"""

from __future__ import annotations

import contextlib
from typing import Any

import requests

from ingest.sinks.base import SinkError

TOKEN_DESCRIPTION = "aqi-ingest: read and write the air-quality bucket"


class InfluxTokens:
    """Talks to the InfluxDB 2 API with a signed-in session."""

    def __init__(
        self, session: requests.Session, base_url: str, timeout: tuple[float, float]
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.timeout = timeout

    def _call(self, method: str, path: str, **options: Any) -> requests.Response:
        try:
            response = self.session.request(
                method, f"{self.base_url}{path}", timeout=self.timeout, **options
            )
        except requests.RequestException as exc:
            raise SinkError(f"InfluxDB {method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise SinkError(f"InfluxDB {method} {path}: HTTP {response.status_code}")
        return response

    def bucket_token(
        self, username: str, password: str, organization: str, bucket: str
    ) -> str | None:
        """The bucket's read/write token, or None when the server has no InfluxDB 2 sign-in (1.x)."""
        try:
            signin = self.session.post(
                f"{self.base_url}/api/v2/signin", auth=(username, password), timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise SinkError(
                f"cannot reach InfluxDB at {self.base_url}: {type(exc).__name__}"
            ) from exc
        if signin.status_code == 404:
            return None
        if signin.status_code in (401, 403):
            raise SinkError(f"InfluxDB at {self.base_url} refused the username or password")
        if signin.status_code >= 400:
            raise SinkError(f"InfluxDB sign-in at {self.base_url}: HTTP {signin.status_code}")
        try:
            return self._token(organization, bucket)
        finally:
            with contextlib.suppress(requests.RequestException):
                self.session.post(f"{self.base_url}/api/v2/signout", timeout=self.timeout)

    def _token(self, organization: str, bucket: str) -> str:
        orgs = (
            self._call("GET", "/api/v2/orgs", params={"org": organization}).json().get("orgs") or []
        )
        if not orgs:
            raise SinkError(f"InfluxDB organization {organization!r} not found")
        org_id = orgs[0]["id"]
        buckets = (
            self._call("GET", "/api/v2/buckets", params={"name": bucket, "orgID": org_id})
            .json()
            .get("buckets")
            or []
        )
        if not buckets:
            raise SinkError(
                f"InfluxDB bucket {bucket!r} not found in organization {organization!r}"
            )
        resource = {"type": "buckets", "id": buckets[0]["id"], "orgID": org_id}
        wanted = [{"action": action, "resource": resource} for action in ("read", "write")]
        listed = self._call("GET", "/api/v2/authorizations", params={"orgID": org_id}).json()
        for auth in listed.get("authorizations") or []:
            if (
                auth.get("description") == TOKEN_DESCRIPTION
                and auth.get("status") == "active"
                and auth.get("token")
                and _permission_set(auth.get("permissions") or []) == _permission_set(wanted)
            ):
                return str(auth["token"])
        created = self._call(
            "POST",
            "/api/v2/authorizations",
            json={"orgID": org_id, "description": TOKEN_DESCRIPTION, "permissions": wanted},
        ).json()
        if not created.get("token"):
            raise SinkError("InfluxDB created an authorization without a token")
        return str(created["token"])


def _permission_set(permissions: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {
        (
            p.get("action", ""),
            p.get("resource", {}).get("type", ""),
            p.get("resource", {}).get("id", ""),
        )
        for p in permissions
    }
