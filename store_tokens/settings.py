"""The Lambda function's environment (set by Terraform), read once per invocation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from store_tokens.errors import ProvisionError
from store_tokens.roles import Role

#: The store's HTTP APIs: "v2" is InfluxDB 2 (Timestream for InfluxDB), "v1" InfluxDB 1.x.
API_VERSIONS = ("v2", "v1")

REQUIRED = (
    "AQI_INFLUXDB_URL",
    "AQI_INFLUXDB_ADMIN_SECRET_ARN",
    "AQI_INFLUXDB_ORG",
    "AQI_INFLUXDB_BUCKET",
    "AQI_INFLUXDB_RETENTION_DAYS",
    "AQI_INGEST_TOKEN_SECRET_ARN",
    "AQI_GRAFANA_TOKEN_SECRET_ARN",
)


@dataclass(frozen=True)
class Settings:
    url: str
    admin_secret_arn: str
    organization: str
    bucket: str
    #: Days the bucket keeps data; 0 keeps everything.
    retention_days: int
    ingest_secret_arn: str
    grafana_secret_arn: str
    api: str = "v2"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        missing = [name for name in REQUIRED if not env.get(name)]
        if missing:
            raise ProvisionError(f"missing setting(s): {', '.join(missing)}")
        try:
            days = int(env["AQI_INFLUXDB_RETENTION_DAYS"])
        except ValueError:
            days = -1
        if days < 0:
            raise ProvisionError(
                "AQI_INFLUXDB_RETENTION_DAYS must be a whole number of days (0: keep everything)"
            )
        api = env.get("AQI_INFLUXDB_API", "v2")
        if api not in API_VERSIONS:
            raise ProvisionError(f"AQI_INFLUXDB_API must be one of {', '.join(API_VERSIONS)}")
        return cls(
            url=env["AQI_INFLUXDB_URL"].rstrip("/"),
            admin_secret_arn=env["AQI_INFLUXDB_ADMIN_SECRET_ARN"],
            organization=env["AQI_INFLUXDB_ORG"],
            bucket=env["AQI_INFLUXDB_BUCKET"],
            retention_days=days,
            ingest_secret_arn=env["AQI_INGEST_TOKEN_SECRET_ARN"],
            grafana_secret_arn=env["AQI_GRAFANA_TOKEN_SECRET_ARN"],
            api=api,
        )

    def secret_arn(self, role: Role) -> str:
        return {"ingest": self.ingest_secret_arn, "grafana": self.grafana_secret_arn}[role.name]
