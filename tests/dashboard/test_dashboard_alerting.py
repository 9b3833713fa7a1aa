"""The alerting files: Grafana's provisioning schema, and each rule's query on real InfluxDB data.

The schema comes from outside this repository: the rule, query and policy keys
from grafana-foundation-sdk's alerting models (generated from Grafana's API
schema; the file format moves orgId, folder and name to the group), the SNS
settings from grafana/alerting's SNS receiver (receivers/sns/config.go:
api_url, sigv4{region, access_key, secret_key, profile, role_arn}, topic_arn,
phone_number, target_arn, subject, message, attributes). Server-side
expressions (reduce, threshold) are evaluated here as Grafana evaluates them:
the last non-null value of each series, compared with the threshold.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from grafana_foundation_sdk.models import alerting as sdk

from dashboard import alerting, generate
from dashboard.engines import ENGINES
from tests.dashboard.conftest import PROVISIONING_DIR
from tests.dashboard.grafana_influxql import expand
from tests.dashboard.grafana_provisioning import expand_env, query_text, rules

SNS_SETTINGS = {
    "api_url",
    "sigv4",
    "topic_arn",
    "phone_number",
    "target_arn",
    "subject",
    "message",
    "attributes",
}
SIGV4 = {"region", "access_key", "secret_key", "profile", "role_arn"}
#: Group keys of the file format (Grafana's alerting file provisioning docs).
GROUP_KEYS = {"orgId", "name", "folder", "interval", "rules"}


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((PROVISIONING_DIR / name).read_text())


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.key)
def test_grafana_reads_every_rule_back_as_generated(engine):
    # Grafana's environment holds names such as timeFilter only by accident: the
    # rules must come through its interpolation unchanged whatever it holds.
    environment = {"timeFilter": "x", "__timeFilter": "x", "labels": "x", "values": "x"}
    read = rules(engine.key, environment)
    queries = [q["model"] for r in read for q in r["data"] if q["datasourceUid"] != "__expr__"]
    assert [query_text(m) for m in queries] == [
        engine.queries.alert_high,
        engine.queries.alert_stalled,
    ]
    assert "$labels.place" in read[0]["annotations"]["summary"]


def test_an_unescaped_macro_is_lost_to_grafanas_interpolation():
    assert expand_env("WHERE $timeFilter AND $$timeFilter", {}) == "WHERE  AND $timeFilter"


def sdk_keys(cls: type) -> set[str]:
    """The JSON keys a foundation-sdk model writes, read from its ``to_json``."""
    return set(
        re.findall(
            r'payload\["(\w+)"\]', Path(__import__("inspect").getsourcefile(cls)).read_text()
        )
    )


def test_files_are_what_the_generator_writes():
    for path, text in generate.outputs():
        assert path.read_text(encoding="utf-8") == text, path.name
    committed = {
        str(path.relative_to(PROVISIONING_DIR))
        for folder in (alerting.ALERTING, alerting.RULES)
        for path in (PROVISIONING_DIR / folder).glob("*.yaml")
    }
    assert committed == set(alerting.files())


def test_every_engine_has_its_rules_beside_its_datasource():
    """Installing one engine: its datasource file and the rules file of the same name."""
    datasources = {p.name for p in (PROVISIONING_DIR / "datasources").glob("*.yaml")}
    rules = {p.name for p in (PROVISIONING_DIR / alerting.RULES).glob("*.yaml")}
    assert rules == datasources == {f"{engine.key}.yaml" for engine in ENGINES}
    for engine in ENGINES:
        source = yaml.safe_load(
            (PROVISIONING_DIR / "datasources" / f"{engine.key}.yaml").read_text()
        )
        (group,) = load(f"{alerting.RULES}/{engine.key}.yaml")["groups"]
        uids = {q["datasourceUid"] for r in group["rules"] for q in r["data"]} - {"__expr__"}
        assert uids == {source["datasources"][0]["uid"]}
    # Everything under alerting/ is for every engine: no rule there.
    for path in (PROVISIONING_DIR / alerting.ALERTING).glob("*.yaml"):
        assert "groups" not in yaml.safe_load(path.read_text()), path.name


@pytest.mark.parametrize("engine", ENGINES, ids=lambda e: e.key)
def test_rules_follow_grafanas_schema(engine):
    config = load(f"{alerting.RULES}/{engine.key}.yaml")
    assert config["apiVersion"] == 1
    (group,) = config["groups"]
    assert set(group) == GROUP_KEYS
    rule_keys = {"uid", "title", "condition", "data", "noDataState", "execErrState", "for"}
    allowed = rule_keys | {"annotations", "labels", "isPaused"}
    for rule in group["rules"]:
        assert rule_keys <= set(rule) <= allowed, rule["title"]
        assert allowed - {"uid"} <= set(sdk.Rule().to_json()) | {
            "annotations",
            "labels",
            "isPaused",
            "uid",
        }
        assert rule["noDataState"] in ("OK", "Alerting", "NoData", "KeepLast")
        assert rule["execErrState"] in ("Alerting", "Error", "OK", "KeepLast")
        refs = [q["refId"] for q in rule["data"]]
        assert rule["condition"] in refs
        for query in rule["data"]:
            assert set(query) <= set(sdk.Query().to_json()) | {
                "refId",
                "relativeTimeRange",
                "datasourceUid",
                "model",
            }
            kept = sdk.Query.from_json(query).to_json()
            assert set(kept) == set(query), query["refId"]
        sources = {q["datasourceUid"] for q in rule["data"]} - {"__expr__"}
        assert sources == {engine.datasource_uid}


def test_a_misspelled_rule_key_is_caught():
    broken = {"refId": "A", "datasourceUID": "x", "model": {}}
    assert set(sdk.Query.from_json(broken).to_json()) != set(broken)


def test_contact_point_is_sns_on_the_topic_with_the_instance_role():
    config = load(f"{alerting.ALERTING}/contact-points.yaml")
    (point,) = config["contactPoints"]
    (receiver,) = point["receivers"]
    assert receiver["type"] == "sns"
    assert set(receiver["settings"]) <= SNS_SETTINGS
    assert set(receiver["settings"]["sigv4"]) <= SIGV4
    assert not {"access_key", "secret_key"} & set(receiver["settings"]["sigv4"])
    env = {
        "AQI_ALERT_TOPIC_ARN": "arn:aws:sns:eu-west-2:123456789012:aqi-alerts",
        "AWS_REGION": "eu-west-2",
    }
    settings = yaml.safe_load(expand_env(yaml.safe_dump(receiver["settings"]), env))
    assert settings["topic_arn"] == env["AQI_ALERT_TOPIC_ARN"]
    assert settings["sigv4"] == {"region": "eu-west-2"}
    (policy,) = config["policies"]
    assert policy["receiver"] == point["name"]
    assert set(policy) - {"orgId"} <= set(
        sdk.NotificationPolicy(
            receiver="x", group_by=[], group_wait="", group_interval="", repeat_interval=""
        ).to_json()
    )


def test_notification_names_the_place_and_its_band():
    (group,) = load(f"{alerting.RULES}/influxdb.yaml")["groups"]
    summary = next(r for r in group["rules"] if r["uid"] == "aqi-daqi-high")["annotations"][
        "summary"
    ]
    text = expand_env(summary, {})  # no environment name: every $ is escaped
    assert "$labels.place" in text and "$labels.location_id" in text
    assert "ge $values.B.Value 10.0 }}Very High" in text and "ge $values.B.Value 7.0 }}High" in text


def _model(rule_uid: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rule = next(r for r in rules("influxdb") if r["uid"] == rule_uid)
    return rule, rule["data"]


def evaluate(store_query, rule_uid: str, now_s: int) -> list[tuple[dict[str, str], float]] | None:
    """Runs the rule's query A over its relative range and applies B (last) and C.

    Returns the firing series (labels, value), or None for no data.
    """
    _, data = _model(rule_uid)
    query, reduce, threshold = data
    span = query["relativeTimeRange"]["from"]
    text = expand(query["model"]["query"], {}, (now_s - span) * 1000, now_s * 1000)
    series = store_query(text)
    if not series:
        return None
    (condition,) = threshold["model"]["conditions"]
    kind, (bound,) = condition["evaluator"]["type"], condition["evaluator"]["params"]
    assert reduce["model"]["reducer"] == "last"
    firing = []
    for one in series:
        values = [v[1] for v in one["values"] if v[1] is not None]
        last = values[-1]
        if (kind == "gt" and last > bound) or (kind == "lt" and last < bound):
            firing.append((one.get("tags") or {}, last))
    return firing


def test_high_rule_fires_for_a_high_location_but_not_a_humid_one(loaded_store):
    firing = evaluate(loaded_store.query, "aqi-daqi-high", int(time.time()))
    assert firing == [({"country": "DE", "location_id": "202", "place": "Mitte"}, 10)]
    # 505 (Aberdeen) is High too (8), but at 95 % RH: flagged humid, left out.


def test_stalled_rule_is_quiet_while_readings_arrive(loaded_store):
    rule, _ = _model("aqi-ingest-stalled")
    assert evaluate(loaded_store.query, "aqi-ingest-stalled", int(time.time())) == []
    assert rule["noDataState"] == "Alerting"


def test_stalled_rule_fires_when_nothing_arrived_for_15_minutes(influxdb):
    database = "aq_alert_stalled"
    influxdb.drop_database(database)
    influxdb.create_database(database)
    old = int(time.time()) - 16 * 60
    line = f"air_quality,window=5m,sensor_id=1,location_id=1 pm25=1.0,value_count=1i {old}"
    response = requests.post(
        f"{influxdb.url}/write", params={"db": database, "precision": "s"}, data=line, timeout=10
    )
    assert response.status_code == 204
    result = evaluate(
        lambda q: list(influxdb.query(q, database, epoch="s")),
        "aqi-ingest-stalled",
        int(time.time()),
    )
    assert result is None  # no data -> the rule's noDataState: Alerting
