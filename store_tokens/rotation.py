"""Secrets Manager rotation of a token secret: createSecret, setSecret, testSecret, finishSecret.

- createSecret: the store makes a new credential for the secret's role (InfluxDB
  generates a token when it creates an authorization, so the credential exists
  from this step on); it is stored as the AWSPENDING version.
- setSecret: nothing left to do in the store (the credential was made in createSecret).
- testSecret: the pending credential must exist, be limited to the role and be accepted.
- finishSecret: AWSPENDING becomes AWSCURRENT and the old current AWSPREVIOUS; the
  role's credentials that neither holds are deleted. So the previous token keeps
  working until the next rotation, and instances that read the secret earlier
  keep working until they read it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from store_tokens.errors import ProvisionError
from store_tokens.roles import ROLES, Role
from store_tokens.secret_versions import CURRENT, PENDING, SecretVersions
from store_tokens.settings import Settings
from store_tokens.stores import Store

log = logging.getLogger(__name__)

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
StoreFactory = Callable[[], AbstractContextManager[Store]]


def role_of(settings: Settings, arn: str) -> Role:
    for role in ROLES:
        if settings.secret_arn(role) == arn:
            return role
    raise ProvisionError(f"secret {arn} is not a token secret of this function")


def rotate(
    settings: Settings,
    secrets: SecretVersions,
    connect: StoreFactory,
    event: Mapping[str, Any],
) -> None:
    """Runs one step of a rotation event (``SecretId``, ``ClientRequestToken``, ``Step``)."""
    secret_id, token, step = (str(event[key]) for key in ("SecretId", "ClientRequestToken", "Step"))
    if step not in STEPS:
        raise ProvisionError(f"unknown rotation step {step!r}")
    described = secrets.describe(secret_id)
    arn = str(described.get("ARN", secret_id))
    role = role_of(settings, arn)
    if not described.get("RotationEnabled"):
        raise ProvisionError(f"rotation is not enabled on secret {arn}")
    versions: dict[str, list[str]] = described.get("VersionIdsToStages") or {}
    if token not in versions:
        raise ProvisionError(f"secret {arn} has no version {token}")
    if CURRENT in versions[token]:
        log.info("%s: version %s is already current", step, token)
        return
    if PENDING not in versions[token]:
        raise ProvisionError(f"version {token} of secret {arn} is not pending")
    if step == "setSecret":
        log.info("setSecret: the %s credential was made by the store in createSecret", role.name)
        return
    with connect() as store:
        if step == "createSecret":
            if secrets.read(arn, PENDING, token) is None:
                secrets.put(arn, store.create(role), token=token, stages=[PENDING])
                log.info("createSecret: new %s credential stored as pending", role.name)
        elif step == "testSecret":
            pending = secrets.read(arn, PENDING, token)
            if pending is None or not store.works(role, pending):
                raise ProvisionError(f"the pending {role.name} credential of {arn} does not work")
        else:
            _finish(secrets, store, role, arn=arn, token=token, versions=versions)


def _finish(
    secrets: SecretVersions,
    store: Store,
    role: Role,
    *,
    arn: str,
    token: str,
    versions: dict[str, list[str]],
) -> None:
    current = next((v for v, stages in versions.items() if CURRENT in stages), None)
    new = secrets.read(arn, PENDING, token)
    if new is None:
        raise ProvisionError(f"version {token} of secret {arn} holds no value")
    previous = secrets.read(arn, CURRENT) if current else None
    secrets.make_current(arn, token, current)
    removed = store.remove_others(role, [new, *([previous] if previous else [])])
    log.info("finishSecret: %s rotated; %d older credential(s) deleted", role.name, len(removed))
