"""The Lambda entry point: ``store_tokens.handler.handle``.

Events:

- ``{"action": "provision"}`` (Terraform's ``aws_lambda_invocation`` at apply):
  applies the bucket retention and makes sure each token secret holds a
  working, scoped credential.
- A Secrets Manager rotation event (``SecretId``, ``ClientRequestToken``,
  ``Step``) for either token secret.
"""

from __future__ import annotations

import logging
import os
from functools import partial
from typing import Any

from store_tokens.errors import ProvisionError
from store_tokens.provision import provision
from store_tokens.rotation import rotate
from store_tokens.secret_versions import SecretVersions
from store_tokens.settings import Settings
from store_tokens.stores import connected

ROTATION_KEYS = ("SecretId", "ClientRequestToken", "Step")

logging.getLogger().setLevel(logging.INFO)


def handle(event: dict[str, Any], _context: object = None) -> dict[str, Any]:
    settings = Settings.from_env(os.environ)
    secrets = SecretVersions()
    if event.get("action") == "provision":
        with connected(settings, secrets) as store:
            return provision(settings, secrets, store)
    if all(key in event for key in ROTATION_KEYS):
        rotate(settings, secrets, partial(connected, settings, secrets), event)
        return {"step": event["Step"]}
    raise ProvisionError("unknown event: expected action=provision or a rotation step")
