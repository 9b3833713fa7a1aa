"""Secrets Manager calls of the provisioner: read a version, store a new one, move the stages."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from store_tokens.errors import ProvisionError

CURRENT, PENDING, PREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"


def client() -> Any:
    """A Secrets Manager client with the adaptive retry mode (backs off when throttled)."""
    return boto3.client(
        "secretsmanager", config=Config(retries={"mode": "adaptive", "max_attempts": 8})
    )


class SecretVersions:
    """JSON secrets by version and stage. Values are never logged nor put in errors."""

    def __init__(self) -> None:
        self.client = client()

    def read(
        self, secret_id: str, stage: str = CURRENT, version: str | None = None
    ) -> dict[str, Any] | None:
        """The JSON object of one version; None when the secret has no such version."""
        options: dict[str, str] = {"SecretId": secret_id}
        if version:
            options["VersionId"] = version
        options["VersionStage"] = stage
        try:
            raw = self.client.get_secret_value(**options)["SecretString"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise ProvisionError(f"cannot read secret {secret_id}: {_code(error)}") from None
        except BotoCoreError as error:
            raise ProvisionError(
                f"cannot read secret {secret_id}: {type(error).__name__}"
            ) from None
        try:
            value = json.loads(raw)
        except ValueError:
            raise ProvisionError(f"secret {secret_id} does not hold JSON") from None
        if not isinstance(value, dict):
            raise ProvisionError(f"secret {secret_id} does not hold a JSON object")
        return value

    def put(
        self,
        secret_id: str,
        value: dict[str, Any],
        token: str | None = None,
        stages: list[str] | None = None,
    ) -> None:
        """Stores a new version (AWSCURRENT unless ``stages`` says otherwise)."""
        options: dict[str, Any] = {"SecretId": secret_id, "SecretString": json.dumps(value)}
        if token:
            options["ClientRequestToken"] = token
        if stages:
            options["VersionStages"] = stages
        try:
            self.client.put_secret_value(**options)
        except (BotoCoreError, ClientError) as error:
            raise ProvisionError(
                f"cannot store a version of secret {secret_id}: {_code(error)}"
            ) from None

    def describe(self, secret_id: str) -> dict[str, Any]:
        try:
            described: dict[str, Any] = self.client.describe_secret(SecretId=secret_id)
        except (BotoCoreError, ClientError) as error:
            raise ProvisionError(f"cannot describe secret {secret_id}: {_code(error)}") from None
        return described

    def make_current(self, secret_id: str, version: str, current: str | None) -> None:
        """Moves AWSCURRENT to ``version`` (Secrets Manager labels the old one AWSPREVIOUS)
        and takes AWSPENDING off it, so no rotation looks unfinished."""
        options = {"SecretId": secret_id, "VersionStage": CURRENT, "MoveToVersionId": version}
        if current:
            options["RemoveFromVersionId"] = current
        try:
            self.client.update_secret_version_stage(**options)
            self.client.update_secret_version_stage(
                SecretId=secret_id, VersionStage=PENDING, RemoveFromVersionId=version
            )
        except (BotoCoreError, ClientError) as error:
            raise ProvisionError(
                f"cannot promote the new version of {secret_id}: {_code(error)}"
            ) from None


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__
