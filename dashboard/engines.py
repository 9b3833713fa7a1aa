"""The two store engines a dashboard can target: datasource, query text and target shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dashboard.queries import INFLUX_ALL, INFLUXQL, TIMESTREAM_ALL, TIMESTREAM_SQL, Queries

Json = dict[str, Any]

#: Datasource uids, shared with the provisioning files (README.md, configuration reference).
INFLUXDB_UID = "aqi-influxdb"
TIMESTREAM_UID = "aqi-timestream"
INFLUXDB_TYPE = "influxdb"
TIMESTREAM_TYPE = "grafana-timestream-datasource"


@dataclass(frozen=True)
class Engine:
    """One store engine: how its panels reach the data."""

    #: Short name, used in file names and uids.
    key: str
    #: Name shown in the dashboard title.
    label: str
    datasource_type: str
    datasource_uid: str
    queries: Queries
    #: What a selection variable's "All" puts in the query text.
    all_value: str

    @property
    def datasource(self) -> Json:
        return {"type": self.datasource_type, "uid": self.datasource_uid}

    def target(
        self, query: str, *, table: bool = False, alias: str = "", ref_id: str = "A"
    ) -> Json:
        """A panel target running ``query`` (``table``: one frame with a row per point)."""
        if self.datasource_type == INFLUXDB_TYPE:
            target: Json = {
                "refId": ref_id,
                "datasource": self.datasource,
                "rawQuery": True,
                "query": query,
                "resultFormat": "table" if table else "time_series",
            }
            if alias:
                target["alias"] = alias
            return target
        return {"refId": ref_id, "datasource": self.datasource, "rawQuery": query}

    def split_by(self, column: str) -> list[Json]:
        """Transformations that give each value of ``column`` its own series.

        InfluxDB does it with ``GROUP BY``; Timestream returns one frame, which
        Grafana's "partition by values" splits.
        """
        if self.datasource_type == INFLUXDB_TYPE:
            return []
        return [{"id": "partitionByValues", "options": {"fields": [column], "keepFields": False}}]

    def variable_query(self, query: str) -> Any:
        """The ``query`` of a query variable, in the form each datasource saves it.

        Grafana's InfluxDB datasource keeps an object (its variable editor's query);
        the Timestream plugin's ``metricFindQuery`` takes the raw text.
        """
        if self.datasource_type == INFLUXDB_TYPE:
            return {"refId": "InfluxVariableQueryEditor-VariableQuery", "query": query}
        return query


INFLUXDB = Engine(
    key="influxdb",
    label="InfluxDB",
    datasource_type=INFLUXDB_TYPE,
    datasource_uid=INFLUXDB_UID,
    queries=INFLUXQL,
    all_value=INFLUX_ALL,
)

TIMESTREAM = Engine(
    key="timestream",
    label="Timestream",
    datasource_type=TIMESTREAM_TYPE,
    datasource_uid=TIMESTREAM_UID,
    queries=TIMESTREAM_SQL,
    all_value=TIMESTREAM_ALL,
)

ENGINES = (INFLUXDB, TIMESTREAM)
