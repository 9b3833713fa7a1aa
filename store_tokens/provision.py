"""The ``provision`` action (run by Terraform at apply): retention, then one working credential per role."""

from __future__ import annotations

import logging
from typing import Any

from store_tokens.roles import ROLES
from store_tokens.secret_versions import PENDING, PREVIOUS, SecretVersions
from store_tokens.settings import Settings
from store_tokens.stores import Store

log = logging.getLogger(__name__)


def provision(settings: Settings, secrets: SecretVersions, store: Store) -> dict[str, Any]:
    """Applies the bucket retention; for each role keeps the secret's credential when it
    works, else creates one and stores it as the secret's current version; then removes
    the role's credentials that no version of its secret holds. Returns what it did
    (no secret in it: Terraform keeps the result in its state)."""
    store.apply_retention(settings.retention_days)
    outcome: dict[str, Any] = {"retention_days": settings.retention_days}
    for role in ROLES:
        arn = settings.secret_arn(role)
        current = secrets.read(arn)
        if current is not None and store.works(role, current):
            action = "kept"
        else:
            current = store.create(role)
            secrets.put(arn, current)
            action = "created"
        keep = [current, *(v for stage in (PREVIOUS, PENDING) if (v := secrets.read(arn, stage)))]
        removed = store.remove_others(role, keep)
        log.info("%s credential %s; %d unused removed", role.name, action, len(removed))
        outcome[role.name] = {"credential": action, "removed": len(removed)}
    return outcome
