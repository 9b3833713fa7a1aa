"""Grafana alerting, provisioned from files: two rules per engine, the SNS contact point, the policy.

Written as Grafana's file provisioning format (``apiVersion: 1``; ``groups``,
``contactPoints``, ``policies``). Grafana expands ``$NAME`` from its
environment in every string value of these files, the query models included
(pkg/services/provisioning/values: ``$$`` is a literal ``$``, an unknown name
becomes empty), so every literal ``$`` of a rule (the query macros such as
``$timeFilter``, the template's ``$labels``) is written ``$$`` (:func:`literal`).
The topic comes from ``$AQI_ALERT_TOPIC_ARN`` and requests are signed with the
instance profile (``sigv4`` with a region only).
"""

from __future__ import annotations

from typing import Any

from dashboard.engines import ENGINES, Engine
from ingest import daqi

Json = dict[str, Any]

FOLDER = "Air quality"
GROUP = "air-quality"
CONTACT_POINT = "air-quality-sns"
#: Rules are evaluated this often.
INTERVAL = "5m"
#: The newest reading of each location within this span counts for the DAQI rule.
HIGH_SPAN_SECONDS = 1800
#: No reading stored for this long means ingest has stalled.
STALL_SECONDS = 900
#: The first index of the High band: a location at or above it alerts.
HIGH_INDEX = daqi.BAND_UPPER["Moderate"] + 1
EXPR = {"type": "__expr__", "uid": "__expr__"}


def literal(value: Any) -> Any:
    """``value`` with every ``$`` of its strings doubled: Grafana's provisioning reads it back as is."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {key: literal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [literal(item) for item in value]
    return value


def _band_text(value: str) -> str:
    """Go template naming the band of an index ``value`` (High or above), from the DAQI table."""
    bands = [b for b in daqi.BAND_ORDER if daqi.BAND_UPPER[b] >= HIGH_INDEX]
    firsts = {b: min(i for i, name in daqi.BANDS.items() if name == b) for b in bands}
    text = ""
    for n, band in enumerate(reversed(bands)):
        keyword = "if" if n == 0 else "else if"
        text += f"{{{{ {keyword} ge {value} {firsts[band]}.0 }}}}{band}"
    return text + "{{ end }}"


def _query(engine: Engine, query: str, seconds: int) -> Json:
    target = engine.target(query)
    return {
        "refId": "A",
        "relativeTimeRange": {"from": seconds, "to": 0},
        "datasourceUid": engine.datasource_uid,
        "model": {**target, "intervalMs": 60000, "maxDataPoints": 43200},
    }


def _reduce_and_threshold(kind: str, bound: float) -> list[Json]:
    return [
        {
            "refId": "B",
            "datasourceUid": EXPR["uid"],
            "model": {
                "refId": "B",
                "datasource": dict(EXPR),
                "type": "reduce",
                "expression": "A",
                "reducer": "last",
                "settings": {"mode": "dropNN"},
            },
        },
        {
            "refId": "C",
            "datasourceUid": EXPR["uid"],
            "model": {
                "refId": "C",
                "datasource": dict(EXPR),
                "type": "threshold",
                "expression": "B",
                "conditions": [{"evaluator": {"type": kind, "params": [bound]}}],
            },
        },
    ]


def _rule(
    uid: str,
    title: str,
    data: list[Json],
    *,
    no_data: str,
    severity: str,
    summary: str,
    description: str,
) -> Json:
    return {
        "uid": uid,
        "title": title,
        "condition": "C",
        "data": data,
        "noDataState": no_data,
        "execErrState": "Error",
        "for": "0s",
        "isPaused": False,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    }


def rules(engine: Engine) -> Json:
    """The rule group of ``engine``: a location at High or above, and a stalled ingest."""
    value = "$values.B.Value"
    place = "{{ with $labels.place }}{{ . }}{{ else }}unnamed place{{ end }}"
    where = f"{place}, {{{{ $labels.country }}}} (location {{{{ $labels.location_id }}}})"
    high = _rule(
        "aqi-daqi-high",
        "DAQI High at a location",
        [
            _query(engine, engine.queries.alert_high, HIGH_SPAN_SECONDS),
            *_reduce_and_threshold("gt", HIGH_INDEX - 0.5),
        ],
        no_data="OK",
        severity="warning",
        summary=f'{where}: DAQI {{{{ printf "%.0f" {value} }}}} {_band_text(value)}',
        description=(
            f"The newest 24-hour DAQI of the location within {HIGH_SPAN_SECONDS // 60} "
            f"minutes is {HIGH_INDEX} or more. Readings flagged humid are left out: "
            "optical sensors over-read in fog."
        ),
    )
    stalled = _rule(
        "aqi-ingest-stalled",
        "Ingest stalled",
        [
            _query(engine, engine.queries.alert_stalled, STALL_SECONDS),
            *_reduce_and_threshold("lt", 1),
        ],
        no_data="Alerting",
        severity="critical",
        summary=f"No new reading stored for {STALL_SECONDS // 60} minutes: ingest has stalled",
        description="Check the ingest instance: its service, its log and the store.",
    )
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": GROUP,
                "folder": FOLDER,
                "interval": INTERVAL,
                "rules": [literal(high), literal(stalled)],
            }
        ],
    }


def contact_points() -> Json:
    """The SNS contact point and the policy that sends every alert to it."""
    return {
        "apiVersion": 1,
        "contactPoints": [
            {
                "orgId": 1,
                "name": CONTACT_POINT,
                "receivers": [
                    {
                        "uid": "aqi-sns",
                        "type": "sns",
                        "disableResolveMessage": False,
                        "settings": {
                            "topic_arn": "${AQI_ALERT_TOPIC_ARN}",
                            "sigv4": {"region": "${AWS_REGION}"},
                            "subject": "[Air quality] {{ .CommonLabels.alertname }}",
                            "message": (
                                "{{ range .Alerts }}{{ .Status }}: {{ .Annotations.summary }}\n"
                                "{{ end }}"
                            ),
                        },
                    }
                ],
            }
        ],
        "policies": [
            {
                "orgId": 1,
                "receiver": CONTACT_POINT,
                "group_by": ["grafana_folder", "alertname"],
                "group_wait": "30s",
                "group_interval": "5m",
                "repeat_interval": "4h",
            }
        ],
    }


#: Folders under ``dashboard/provisioning/``: the contact point and policy, for
#: every engine (installed into Grafana's ``provisioning/alerting/`` as they are);
#: and one rules file per engine, named like its datasource file, of which only
#: the engine in use is installed there (the other engine's rules would query a
#: datasource that is not provisioned).
ALERTING = "alerting"
RULES = "alert-rules"


def files() -> dict[str, Json]:
    """File path (under dashboard/provisioning/) -> content."""
    found = {f"{ALERTING}/contact-points.yaml": contact_points()}
    for engine in ENGINES:
        found[f"{RULES}/{engine.key}.yaml"] = rules(engine)
    return found
