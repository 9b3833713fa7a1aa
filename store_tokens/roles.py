"""The two credentials the provisioner makes, and what each may do on the bucket."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    """One consumer of the store: its name, the one action it may take, how it is labelled."""

    name: str
    #: The InfluxDB permission action on the bucket: "write" or "read".
    action: str

    @property
    def description(self) -> str:
        """Label of the role's InfluxDB 2 authorizations (how the provisioner finds its own)."""
        return f"aqi-{self.name}: {self.action} only, air-quality bucket"

    @property
    def user_prefix(self) -> str:
        """Prefix of the role's InfluxDB 1.x user names."""
        return f"aqi_{self.name}_"


INGEST = Role("ingest", "write")
GRAFANA = Role("grafana", "read")
ROLES = (INGEST, GRAFANA)
