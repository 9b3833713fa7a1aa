"""The traffic ceiling, HTTPS, the scoped-token function, logs, alerts and the
store limits, read from the configuration and from the stack as rendered for
given settings (hcl_eval), each rule also failing on a broken copy."""

from __future__ import annotations

import json

import pytest

from tools.hcl.terraform import Module, load_tree, sub_blocks

from .conftest import TERRAFORM
from .hcl_eval import Stack

DOMAIN = "air.example.org"
ZONE = "Z0123456789EXAMPLE"


def render(**variables) -> Stack:
    return Stack(TERRAFORM, {"region": "eu-west-2", **variables})


# -- WAF -------------------------------------------------------------------------


def waf_problems(dashboard: Module, root: Module) -> list[str]:
    """On by default, attached to the load balancer, a per-IP rate-based rule
    that blocks, and the allow-list evaluated before every rate limit."""
    problems = []
    if root.variables["waf_enabled"].get("default") is not True:
        problems.append("the WAF is not on by default")
    acl = dashboard.one("resource", "aws_wafv2_web_acl", "this").body
    association = dashboard.one("resource", "aws_wafv2_web_acl_association", "this").body
    if association["resource_arn"] != "${aws_lb.this.arn}":
        problems.append("the web ACL is not attached to the load balancer")
    rules = sub_blocks(acl, "rule")
    rate_rules = []
    for rule in rules:
        statement = rule.get("statement", [{}])[0]
        rate = statement.get("rate_based_statement", [{}])[0]
        if rate:
            if rate.get("aggregate_key_type") != "IP":
                problems.append(f"rate rule {rule['name']} does not count per IP")
            if "block" not in rule.get("action", [{}])[0]:
                problems.append(f"rate rule {rule['name']} does not block")
            rate_rules.append(rule)
    if not rate_rules:
        problems.append("no rate-based rule")
    allow = [r for r in rules if "ip_set_reference_statement" in r.get("statement", [{}])[0]]
    if len(allow) != 1 or "allow" not in allow[0].get("action", [{}])[0]:
        problems.append("no allow-list rule for the load generator")
    elif any(allow[0]["priority"] >= r["priority"] for r in rate_rules):
        problems.append("the allow-list is evaluated after a rate limit")
    return problems


def test_waf_limits_each_address_and_lets_the_allow_list_through(module, root) -> None:
    assert waf_problems(module("dashboard"), root) == []
    dashboard = module("dashboard")
    acl = dashboard.one("resource", "aws_wafv2_web_acl", "this").body
    rates = {
        r["name"]: r["statement"][0]["rate_based_statement"][0]
        for r in sub_blocks(acl, "rule")
        if "rate_based_statement" in r["statement"][0]
    }
    assert rates["requests-per-ip"]["limit"] == "${var.waf_rate_limit}"
    queries = rates["queries-per-ip"]
    assert queries["limit"] == "${var.waf_query_rate_limit}"
    match = queries["scope_down_statement"][0]["byte_match_statement"][0]
    assert (match["search_string"], match["positional_constraint"]) == (
        "/api/ds/query",
        "STARTS_WITH",
    )
    assert (
        dashboard.variables["waf_query_rate_limit"]["default"]
        < (dashboard.variables["waf_rate_limit"]["default"])
    )
    root_call = root.one("module", "", "dashboard").body
    assert root_call["waf_allowed_cidrs"] == "${var.waf_allowed_cidrs}"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            '      name     = "allow-listed-addresses"\n      priority = 0\n',
            '      name     = "allow-listed-addresses"\n      priority = 40\n',
            "the allow-list is evaluated after a rate limit",
            id="allow-list-last",
        ),
        pytest.param(
            '        limit                 = var.waf_rate_limit\n        evaluation_window_sec = 300\n        aggregate_key_type    = "IP"\n',
            '        limit                 = var.waf_rate_limit\n        evaluation_window_sec = 300\n        aggregate_key_type    = "CONSTANT"\n',
            "rate rule requests-per-ip does not count per IP",
            id="rate-not-per-ip",
        ),
    ],
)
def test_waf_rule_fails_on_a_broken_copy(broken_copy, old, new, expected) -> None:
    copy = broken_copy("modules/dashboard/waf.tf", old, new)
    tree = load_tree(copy)
    assert expected in waf_problems(tree[copy / "modules" / "dashboard"], tree[copy])


def test_waf_off_by_default_fails(broken_copy) -> None:
    copy = broken_copy(
        "variables.tf",
        'variable "waf_enabled" {\n  description = "WAF web ACL on the load balancer: per-IP rate limits and AWS\'s known-bad-inputs rules."\n  type        = bool\n  default     = true',
        'variable "waf_enabled" {\n  description = "WAF web ACL on the load balancer: per-IP rate limits and AWS\'s known-bad-inputs rules."\n  type        = bool\n  default     = false',
    )
    tree = load_tree(copy)
    assert "the WAF is not on by default" in waf_problems(
        tree[copy / "modules" / "dashboard"], tree[copy]
    )


# -- HTTPS and the URL --------------------------------------------------------------


def test_a_domain_gets_https_its_url_and_secure_cookies() -> None:
    stack = render(domain_name=DOMAIN, route53_zone_id=ZONE)
    dashboard = stack.module("module.dashboard")
    assert stack.root.output("dashboard_url") == f"https://{DOMAIN}"
    grafana = stack.module("module.boot_config").local("grafana_env")
    assert grafana["AQI_GRAFANA_ROOT_URL"] == f"https://{DOMAIN}/"
    assert grafana["AQI_GRAFANA_COOKIE_SECURE"] == "true"
    [certificate] = dashboard.resource("aws_acm_certificate", "this")
    assert (certificate.argument("domain_name"), certificate.argument("validation_method")) == (
        DOMAIN,
        "DNS",
    )
    [alias] = dashboard.resource("aws_route53_record", "dashboard")
    assert (alias.argument("name"), alias.argument("type"), alias.argument("zone_id")) == (
        DOMAIN,
        "A",
        ZONE,
    )
    [target] = alias.blocks("alias")
    lb = dashboard.resource("aws_lb", "this")
    assert target["name"] == lb.attr("dns_name") and target["zone_id"] == lb.attr("zone_id")
    [https] = dashboard.resource("aws_lb_listener", "https")
    assert https.argument("certificate_arn") == certificate.attr("arn")


def test_without_a_domain_the_url_is_the_load_balancers_over_http() -> None:
    stack = render()
    dashboard = stack.module("module.dashboard")
    url = stack.root.output("dashboard_url")
    assert url == f"http://{dashboard.resource('aws_lb', 'this').attr('dns_name')}"
    grafana = stack.module("module.boot_config").local("grafana_env")
    assert grafana["AQI_GRAFANA_COOKIE_SECURE"] == "false"
    assert dashboard.resource("aws_acm_certificate", "this") == []
    assert dashboard.resource("aws_lb_listener", "https") == []


def test_validation_records_go_to_the_zone_and_validate_the_certificate(module) -> None:
    dashboard = module("dashboard")
    records = dashboard.one("resource", "aws_route53_record", "validation").body
    assert records["zone_id"] == "${var.route53_zone_id}"
    assert "domain_validation_options" in records["for_each"]
    validation = dashboard.one("resource", "aws_acm_certificate_validation", "this").body
    assert validation["validation_record_fqdns"] == (
        "${[for record in aws_route53_record.validation : record.fqdn]}"
    )


def test_the_admin_secret_and_the_secret_key_are_generated_write_only() -> None:
    stack = render()
    grafana = stack.module("module.boot_config").local("grafana_env")
    for call in ("module.admin_secret", "module.grafana_secret_key"):
        secret = stack.module(call)
        assert secret.resource("aws_secretsmanager_secret", "this").attr("arn") in grafana.values()
        version = secret.resource("aws_secretsmanager_secret_version", "this")
        assert (
            "secret_string" not in version.body.attrs and "secret_string_wo" in version.body.attrs
        )


def test_anonymous_access_is_one_variable() -> None:
    for value, text in ((True, "true"), (False, "false")):
        grafana = render(grafana_anonymous_access=value).module("module.boot_config")
        assert grafana.local("grafana_env")["AQI_GRAFANA_ANONYMOUS"] == text


# -- the token function -------------------------------------------------------------

#: The Lambda environment agreed with the store_tokens package.
TOKEN_FUNCTION_ENV = {
    "AQI_INFLUXDB_URL",
    "AQI_INFLUXDB_ADMIN_SECRET_ARN",
    "AQI_INFLUXDB_ORG",
    "AQI_INFLUXDB_BUCKET",
    "AQI_INFLUXDB_RETENTION_DAYS",
    "AQI_INGEST_TOKEN_SECRET_ARN",
    "AQI_GRAFANA_TOKEN_SECRET_ARN",
}


def test_the_token_function_runs_in_the_private_subnets_with_the_agreed_settings() -> None:
    stack = render(influxdb_retention_days=120, influxdb_token_rotation_days=14)
    tokens = stack.module("module.store_tokens[0]")
    function = tokens.resource("aws_lambda_function", "this")
    assert (function.argument("runtime"), function.argument("architectures")) == (
        "python3.12",
        ["arm64"],
    )
    assert function.argument("handler") == "store_tokens.handler.handle"
    assert function.argument("filename") == "../build/lambda/store-tokens.zip"
    [vpc] = function.blocks("vpc_config")
    network = stack.module("module.network")
    assert vpc["subnet_ids"] == network.output("private_subnet_ids")
    assert vpc["security_group_ids"] == [network.output("store_tokens_security_group_id")]
    [environment] = function.blocks("environment")
    env = environment["variables"]
    assert set(env) == TOKEN_FUNCTION_ENV
    store = stack.module("module.store")
    assert env["AQI_INFLUXDB_URL"] == f"https://{store.output('influxdb_endpoint')}:8086"
    assert (env["AQI_INFLUXDB_ORG"], env["AQI_INFLUXDB_BUCKET"]) == ("aqi", "aq")
    assert env["AQI_INFLUXDB_RETENTION_DAYS"] == "120"
    assert env["AQI_INFLUXDB_ADMIN_SECRET_ARN"] == store.output("influxdb_secret_arn")
    invocation = tokens.resource("aws_lambda_invocation", "provision")
    assert json.loads(invocation.argument("input")) == {"action": "provision"}
    assert invocation.argument("triggers")["retention_days"] == "120"
    rotations = tokens.resource("aws_secretsmanager_secret_rotation", "token")
    assert set(rotations) == {"ingest", "grafana"}
    for name, rotation in rotations.items():
        assert rotation.argument("rotation_lambda_arn") == function.attr("arn")
        assert rotation.blocks("rotation_rules") == [{"automatically_after_days": 14}]
        secret = tokens.resource("aws_secretsmanager_secret", "token")[name]
        assert rotation.argument("secret_id") == secret.attr("id")
    permissions = tokens.resource("aws_lambda_permission", "secrets_manager")
    assert {p.argument("principal") for p in permissions.values()} == {
        "secretsmanager.amazonaws.com"
    }
    assert {p.argument("source_arn") for p in permissions.values()} == {
        s.attr("arn") for s in tokens.resource("aws_secretsmanager_secret", "token").values()
    }


def test_the_token_function_reaches_the_influxdb_port(module) -> None:
    network = module("network")
    rules = {b.name: b.body for b in network.of("resource", "aws_vpc_security_group_ingress_rule")}
    assert (
        rules["store_from_clients"]["for_each"]["store-tokens"]
        == "${aws_security_group.store_tokens.id}"
    )
    egress = {b.name: b.body for b in network.of("resource", "aws_vpc_security_group_egress_rule")}
    assert egress["to_store"]["for_each"]["store-tokens"] == "${aws_security_group.store_tokens.id}"
    assert "store-tokens" not in egress["http_out"]["for_each"]


def test_liveanalytics_creates_no_token_function() -> None:
    stack = render(timestream_engine="liveanalytics")
    assert stack.root.module("store_tokens") == []
    assert stack.resources("aws_lambda_function") == []


# -- logs, alerts, store limits -------------------------------------------------------


def test_the_log_groups_exist_encrypted_with_a_retention() -> None:
    stack = render(log_retention_days=90)
    groups = stack.module("module.log_groups").resource("aws_cloudwatch_log_group", "this")
    prefix = stack.module("module.boot_config").local("ingest_env")["AQI_LOG_GROUP_PREFIX"]
    assert prefix == "/aqi"
    assert {k: g.argument("name") for k, g in groups.items()} == {
        "ingest": f"{prefix}/ingest",
        "grafana": f"{prefix}/grafana",
        "system": f"{prefix}/system",
        "store-tokens": f"{prefix}/store-tokens",
        "waf": "aws-waf-logs-aqi",
    }
    [function] = stack.resources("aws_lambda_function")
    assert function.blocks("logging_config")[0]["log_group"] == f"{prefix}/store-tokens"
    [waf_logs] = stack.resources("aws_wafv2_web_acl_logging_configuration")
    assert waf_logs.argument("log_destination_configs") == [groups["waf"].attr("arn")]
    key = stack.module("module.key").resource("aws_kms_key", "this").attr("arn")
    assert {g.argument("kms_key_id") for g in groups.values()} == {key}
    assert {g.argument("retention_in_days") for g in groups.values()} == {90}


def test_the_alert_topic_is_encrypted_and_mails_only_when_asked() -> None:
    for email, subscriptions in ((None, 0), ("ops@example.org", 1)):
        stack = render(alert_email=email)
        alerts = stack.module("module.alerts")
        topic = alerts.resource("aws_sns_topic", "alerts")
        assert topic.argument("kms_master_key_id") == stack.module("module.key").output("key_arn")
        found = alerts.resource("aws_sns_topic_subscription", "email")
        assert len(found) == subscriptions
        assert all(s.argument("endpoint") == email for s in found)
        grafana = stack.module("module.boot_config").local("grafana_env")
        assert grafana["AQI_ALERT_TOPIC_ARN"] == topic.attr("arn")


def test_the_disk_alarm_watches_the_instance_and_notifies_the_topic() -> None:
    stack = render()
    store = stack.module("module.store")
    [alarm] = store.resource("aws_cloudwatch_metric_alarm", "influxdb_disk")
    [instance] = store.resource("aws_timestreaminfluxdb_db_instance", "this")
    assert (alarm.argument("namespace"), alarm.argument("metric_name")) == (
        "AWS/TimestreamInfluxDB",
        "DiskUtilization",
    )
    assert alarm.argument("dimensions") == {"DbInstanceName": instance.argument("name")}
    assert alarm.argument("threshold") == 75
    assert alarm.argument("comparison_operator") == "GreaterThanOrEqualToThreshold"
    assert alarm.argument("alarm_actions") == [stack.module("module.alerts").output("topic_arn")]
    assert (
        render(timestream_engine="liveanalytics")
        .module("module.store")
        .resource("aws_cloudwatch_metric_alarm", "influxdb_disk")
        == []
    )


def test_liveanalytics_partitions_on_location_and_caps_query_compute() -> None:
    stack = render(timestream_engine="liveanalytics", liveanalytics_max_query_tcu=8)
    store = stack.module("module.store")
    [table] = store.resource("aws_timestreamwrite_table", "this")
    [schema] = table.body.of("schema")
    [key] = schema.body.of("composite_partition_key")
    scope = store.scope()
    assert {k: scope.eval(v) for k, v in key.body.attrs.items()} == {
        "type": "DIMENSION",
        "name": "location_id",
        "enforcement_in_record": "OPTIONAL",
    }
    [tcu] = store.resource("terraform_data", "max_query_tcu")
    assert tcu.argument("input") == 8
    [provisioner] = tcu.body.of("provisioner")
    assert provisioner.labels == ["local-exec"]
    text = scope.eval(provisioner.body.attrs["command"])
    assert "timestream-query update-account-settings" in text and "--max-query-tcu 8" in text
    assert "--region eu-west-2" in text


def test_the_location_dimension_is_one_the_writer_sends() -> None:
    from ingest.model import DIMENSIONS

    assert "location_id" in DIMENSIONS


def test_without_the_waf_or_influxdb_no_service_log_groups() -> None:
    stack = render(waf_enabled=False, timestream_engine="liveanalytics")
    groups = stack.module("module.log_groups").resource("aws_cloudwatch_log_group", "this")
    assert set(groups) == {"ingest", "grafana", "system"}
    assert stack.resources("aws_wafv2_web_acl") == []
