"""InfluxDB 2 (Timestream for InfluxDB): sign-in, organization, bucket, retention, authorizations.

The one place of the product that calls the InfluxDB 2 API. Signed in with the
admin user of the store's admin secret (a session cookie from
``POST /api/v2/signin``), it creates authorizations whose only permission is
``write`` or ``read`` on the one bucket, checks them, deletes the ones no
secret needs any more, and sets the bucket's retention rule. InfluxDB makes the
token of an authorization when it creates it; the token is never listed in
logs or errors.
"""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Iterable, Mapping
from contextlib import suppress
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from store_tokens.errors import ProvisionError
from store_tokens.http import json_body, pool_manager
from store_tokens.roles import Role

if TYPE_CHECKING:
    import urllib3

#: Seconds in a day, for the bucket's expire rule.
DAY = 86_400


class InfluxV2Store:
    """The bucket's credentials on InfluxDB 2, managed through a signed-in admin session."""

    def __init__(
        self,
        url: str,
        organization: str,
        bucket: str,
        http: urllib3.PoolManager | None = None,
    ) -> None:
        self.url = url
        self.organization = organization
        self.bucket_name = bucket
        self.http = http or pool_manager()
        self._cookie: str | None = None
        self._org_id: str | None = None
        self._bucket_id: str | None = None

    # -- plumbing --------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
    ) -> urllib3.BaseHTTPResponse:
        target = f"{self.url}{path}" + (f"?{urlencode(query)}" if query else "")
        sent = dict(headers or {})
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        try:
            return self.http.request(method, target, body=payload, headers=sent)
        except Exception as error:  # urllib3's MaxRetryError and friends: one line, no URL query
            raise ProvisionError(
                f"InfluxDB {method} {path}: {type(error).__name__} (store unreachable?)"
            ) from None

    def _admin(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        allow: Iterable[int] = (),
    ) -> urllib3.BaseHTTPResponse:
        """A call with the admin session; any status >= 400 not in ``allow`` is an error."""
        if self._cookie is None:
            raise ProvisionError("not signed in to InfluxDB")
        response = self._request(
            method, path, query=query, body=body, headers={"Cookie": self._cookie}
        )
        if response.status >= 400 and response.status not in set(allow):
            raise ProvisionError(f"InfluxDB {method} {path}: HTTP {response.status}")
        return response

    # -- session ---------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> None:
        basic = b64encode(f"{username}:{password}".encode()).decode()
        response = self._request(
            "POST", "/api/v2/signin", headers={"Authorization": f"Basic {basic}"}
        )
        if response.status in (401, 403):
            raise ProvisionError(f"InfluxDB at {self.url} refused the admin username or password")
        if response.status >= 400:
            raise ProvisionError(f"InfluxDB sign-in at {self.url}: HTTP {response.status}")
        cookie: SimpleCookie = SimpleCookie()
        for header in response.headers.getlist("Set-Cookie"):
            cookie.load(header)
        if not cookie:
            raise ProvisionError(f"InfluxDB sign-in at {self.url} returned no session cookie")
        self._cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookie.items())

    def close(self) -> None:
        if self._cookie is not None:
            with suppress(ProvisionError):  # the session expires on its own
                self._request("POST", "/api/v2/signout", headers={"Cookie": self._cookie})
            self._cookie = None

    # -- organization and bucket -----------------------------------------------

    def org_id(self) -> str:
        if self._org_id is None:
            found = json_body(self._admin("GET", "/api/v2/orgs", query={"org": self.organization}))
            orgs = (found or {}).get("orgs") or []
            if not orgs:
                raise ProvisionError(f"InfluxDB organization {self.organization!r} not found")
            self._org_id = str(orgs[0]["id"])
        return self._org_id

    def bucket(self) -> dict[str, Any]:
        query = {"name": self.bucket_name, "orgID": self.org_id()}
        found = json_body(self._admin("GET", "/api/v2/buckets", query=query))
        buckets = (found or {}).get("buckets") or []
        if not buckets:
            raise ProvisionError(
                f"InfluxDB bucket {self.bucket_name!r} not found in organization {self.organization!r}"
            )
        bucket: dict[str, Any] = buckets[0]
        self._bucket_id = str(bucket["id"])
        return bucket

    def bucket_id(self) -> str:
        return self._bucket_id or str(self.bucket()["id"])

    def apply_retention(self, days: int) -> None:
        """Sets the bucket's expire rule to ``days`` (InfluxDB deletes older data);
        0 keeps everything (``everySeconds`` 0 is InfluxDB's infinite retention)."""
        rule = {"type": "expire", "everySeconds": days * DAY}
        bucket = self.bucket()
        if [rule] == [
            {"type": r.get("type"), "everySeconds": r.get("everySeconds")}
            for r in bucket.get("retentionRules") or []
        ]:
            return
        self._admin(
            "PATCH", f"/api/v2/buckets/{quote(self.bucket_id())}", body={"retentionRules": [rule]}
        )

    # -- authorizations ---------------------------------------------------------

    def permissions(self, role: Role) -> list[dict[str, Any]]:
        """The one permission of a role: its action on this bucket, nothing else."""
        resource = {"type": "buckets", "id": self.bucket_id(), "orgID": self.org_id()}
        return [{"action": role.action, "resource": resource}]

    def create(self, role: Role) -> dict[str, str]:
        """A new authorization for the role; returns the secret payload (token, authorization_id)."""
        created = json_body(
            self._admin(
                "POST",
                "/api/v2/authorizations",
                body={
                    "orgID": self.org_id(),
                    "description": role.description,
                    "permissions": self.permissions(role),
                },
            )
        )
        if not isinstance(created, dict) or not created.get("token") or not created.get("id"):
            raise ProvisionError("InfluxDB created an authorization without a token or id")
        return {"token": str(created["token"]), "authorization_id": str(created["id"])}

    def _authorization(self, authorization_id: str) -> dict[str, Any] | None:
        response = self._admin(
            "GET", f"/api/v2/authorizations/{quote(authorization_id)}", allow=(404,)
        )
        found = json_body(response)
        return found if response.status == 200 and isinstance(found, dict) else None

    def works(self, role: Role, secret: Mapping[str, Any]) -> bool:
        """True when the secret's authorization is active, has exactly the role's permission,
        and its token is accepted for the role's action."""
        token, authorization_id = secret.get("token"), secret.get("authorization_id")
        if not token or not authorization_id:
            return False
        found = self._authorization(str(authorization_id))
        if found is None or found.get("status") != "active":
            return False
        if found.get("token") not in (None, "", token):
            return False  # the secret names another authorization's id
        if _permission_keys(found.get("permissions") or []) != _permission_keys(
            self.permissions(role)
        ):
            return False
        return self._token_accepted(role, str(token))

    def _token_accepted(self, role: Role, token: str) -> bool:
        headers = {"Authorization": f"Token {token}"}
        if role.action == "write":
            # An empty write is accepted (204) since InfluxDB 2.1; it stores nothing.
            response = self._request(
                "POST",
                "/api/v2/write",
                query={"org": self.organization, "bucket": self.bucket_name, "precision": "s"},
                headers=headers,
                raw=b"",
            )
            return response.status == 204
        response = self._request(
            "GET", f"/api/v2/buckets/{quote(self.bucket_id())}", headers=headers
        )
        return response.status == 200

    def remove_others(self, role: Role, keep: Iterable[Mapping[str, Any]]) -> list[str]:
        """Deletes the role's authorizations that no kept secret names; returns their ids."""
        kept = {str(secret.get("authorization_id")) for secret in keep}
        listed = json_body(
            self._admin("GET", "/api/v2/authorizations", query={"orgID": self.org_id()})
        )
        removed = []
        for auth in (listed or {}).get("authorizations") or []:
            if auth.get("description") == role.description and str(auth.get("id")) not in kept:
                self._admin(
                    "DELETE", f"/api/v2/authorizations/{quote(str(auth['id']))}", allow=(404,)
                )
                removed.append(str(auth["id"]))
        return removed


def _permission_keys(permissions: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {
        (
            str(p.get("action", "")),
            str((p.get("resource") or {}).get("type", "")),
            str((p.get("resource") or {}).get("id", "")),
        )
        for p in permissions
    }
