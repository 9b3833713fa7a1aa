"""What the provisioner needs from a store, and how it connects to the configured one."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from typing import Any, Protocol

from store_tokens.errors import ProvisionError
from store_tokens.influx_api import InfluxV2Store
from store_tokens.influxql_users import InfluxV1Store
from store_tokens.roles import Role
from store_tokens.secret_versions import SecretVersions
from store_tokens.settings import Settings


class Store(Protocol):
    """A store whose credentials the provisioner manages (InfluxDB 2 or 1.x)."""

    def apply_retention(self, days: int) -> None: ...

    def create(self, role: Role) -> dict[str, str]:
        """A new credential for the role, as the JSON its secret holds."""
        ...

    def works(self, role: Role, secret: Mapping[str, Any]) -> bool:
        """Whether the secret's credential exists, is limited to the role, and is accepted."""
        ...

    def remove_others(self, role: Role, keep: Iterable[Mapping[str, Any]]) -> list[str]:
        """Deletes the role's credentials that none of ``keep`` holds."""
        ...


@contextmanager
def connected(settings: Settings, secrets: SecretVersions) -> Iterator[Store]:
    """The configured store, signed in with the admin secret (read here, used only here)."""
    admin = secrets.read(settings.admin_secret_arn)
    if not admin or not admin.get("username") or not admin.get("password"):
        raise ProvisionError(
            f"admin secret {settings.admin_secret_arn} holds no username and password"
        )
    store: InfluxV2Store | InfluxV1Store
    if settings.api == "v2":
        store = InfluxV2Store(settings.url, settings.organization, settings.bucket)
    else:
        store = InfluxV1Store(settings.url, settings.bucket)
    with closing(store):
        store.sign_in(str(admin["username"]), str(admin["password"]))
        yield store
