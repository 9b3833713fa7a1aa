"""Where the InfluxDB sink's credentials come from, and reading them again after a rotation.

- ``AQI_INFLUXDB_TOKEN``: an API token, sent as ``Authorization: Token ...``
  (InfluxDB 2 / Timestream for InfluxDB through its 1.x-compatible API).
- ``AQI_INFLUXDB_USERNAME`` / ``AQI_INFLUXDB_PASSWORD``: an InfluxDB 1.x user, as basic auth.
- ``AQI_INFLUXDB_SECRET_ARN``: a Secrets Manager secret whose JSON holds ``token``
  (the ingest token secret the token provisioner keeps: write-only, one bucket)
  or ``username`` and ``password`` (a 1.x user).

The job never signs in to InfluxDB 2 with a username and password and never
sees the store's admin secret: making tokens is the token provisioner's job
(``store_tokens``). A token read from a secret can be read again when the store
refuses it (the secret was rotated).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from ingest.sinks.base import SinkError


@dataclass(frozen=True)
class Credentials:
    """A token, or a 1.x username and password, and the secret they came from. Never printed."""

    token: str | None = None
    username: str | None = None
    password: str | None = None
    #: The Secrets Manager secret they were read from (None when set in the environment).
    secret_id: str | None = None

    def __repr__(self) -> str:
        return "Credentials(<hidden>)"

    def apply(self, session: requests.Session) -> None:
        if self.token:
            session.headers["Authorization"] = f"Token {self.token}"
        elif self.username is not None and self.password is not None:
            session.auth = (self.username, self.password)

    @property
    def rereadable(self) -> bool:
        """True when a rotated value can be fetched again (they came from a secret)."""
        return self.secret_id is not None

    def reread(self) -> Credentials:
        """The secret's current value (the same credentials when they came from the environment)."""
        return Credentials.from_secret(self.secret_id) if self.secret_id else self

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Credentials:
        """AQI_INFLUXDB_TOKEN, or AQI_INFLUXDB_USERNAME/PASSWORD, or AQI_INFLUXDB_SECRET_ARN."""
        env = os.environ if env is None else env
        if env.get("AQI_INFLUXDB_TOKEN"):
            return cls(token=env["AQI_INFLUXDB_TOKEN"])
        if env.get("AQI_INFLUXDB_USERNAME"):
            return cls(
                username=env["AQI_INFLUXDB_USERNAME"], password=env.get("AQI_INFLUXDB_PASSWORD", "")
            )
        if env.get("AQI_INFLUXDB_SECRET_ARN"):
            return cls.from_secret(env["AQI_INFLUXDB_SECRET_ARN"])
        return cls()

    @classmethod
    def from_secret(cls, secret_id: str) -> Credentials:
        """Reads a Secrets Manager secret (JSON with ``token``, or ``username`` and ``password``)."""
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            client = boto3.client("secretsmanager", config=Config(retries={"mode": "standard"}))
            secret: Any = json.loads(client.get_secret_value(SecretId=secret_id)["SecretString"])
        except (BotoCoreError, ClientError, ValueError, KeyError) as exc:
            raise SinkError(
                f"cannot read InfluxDB credentials from secret {secret_id}: {type(exc).__name__}"
            ) from exc
        if not isinstance(secret, dict):
            raise SinkError(f"secret {secret_id} does not hold a JSON object")
        if secret.get("token"):
            return cls(token=str(secret["token"]), secret_id=secret_id)
        if secret.get("username") and secret.get("password"):
            return cls(
                username=str(secret["username"]),
                password=str(secret["password"]),
                secret_id=secret_id,
            )
        raise SinkError(f"secret {secret_id} holds neither 'token' nor 'username' and 'password'")
