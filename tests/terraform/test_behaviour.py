"""The behaviour the stack promises, read from the configuration: scaling,
health checks, listeners, and both engines wired end to end."""

from __future__ import annotations

import pytest

from tools.hcl.terraform import sub_blocks


def default(module, name):
    return module.variables[name]["default"]


@pytest.fixture(scope="module")
def dashboard(module):
    return module("dashboard")


def test_asg_runs_1_to_5_instances_with_elb_health_checks(dashboard, root) -> None:
    asg = dashboard.one("resource", "aws_autoscaling_group", "grafana").body
    assert asg["min_size"] == "${var.min_size}" and asg["max_size"] == "${var.max_size}"
    assert (default(dashboard, "min_size"), default(dashboard, "max_size")) == (1, 5)
    assert (default(root, "grafana_min_size"), default(root, "grafana_max_size")) == (1, 5)
    assert asg["health_check_type"] == "ELB"
    assert asg["vpc_zone_identifier"] == "${var.private_subnet_ids}"
    assert asg["target_group_arns"] == ["${aws_lb_target_group.grafana.arn}"]


def test_scale_out_alarm_is_cpu_above_60_for_3_one_minute_periods(dashboard) -> None:
    alarm = dashboard.one("resource", "aws_cloudwatch_metric_alarm", "cpu_high").body
    assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (
        "AWS/EC2",
        "CPUUtilization",
        "Average",
    )
    assert alarm["period"] == 60
    assert alarm["evaluation_periods"] == alarm["datapoints_to_alarm"] == "${var.scale_out_minutes}"
    assert default(dashboard, "scale_out_minutes") == 3
    assert alarm["threshold"] == "${var.scale_out_cpu_percent}"
    assert default(dashboard, "scale_out_cpu_percent") == 60
    assert alarm["comparison_operator"] == "GreaterThanThreshold"
    assert alarm["dimensions"] == {"AutoScalingGroupName": "${aws_autoscaling_group.grafana.name}"}
    assert alarm["alarm_actions"] == ["${aws_autoscaling_policy.scale_out.arn}"]


def test_scale_in_alarm_is_cpu_below_42_for_15_minutes(dashboard) -> None:
    alarm = dashboard.one("resource", "aws_cloudwatch_metric_alarm", "cpu_low").body
    assert alarm["statistic"] == "Average" and alarm["metric_name"] == "CPUUtilization"
    assert alarm["period"] * default(dashboard, "scale_in_minutes") == 15 * 60
    assert alarm["evaluation_periods"] == alarm["datapoints_to_alarm"] == "${var.scale_in_minutes}"
    assert alarm["threshold"] == "${var.scale_in_cpu_percent}"
    assert default(dashboard, "scale_in_cpu_percent") == 42
    assert alarm["comparison_operator"] == "LessThanThreshold"
    assert alarm["alarm_actions"] == ["${aws_autoscaling_policy.scale_in.arn}"]


@pytest.mark.parametrize(("policy", "step"), [("scale_out", 1), ("scale_in", -1)])
def test_scaling_policies_step_one_instance_with_150s_cooldown(dashboard, policy, step) -> None:
    body = dashboard.one("resource", "aws_autoscaling_policy", policy).body
    assert body["adjustment_type"] == "ChangeInCapacity"
    assert body["policy_type"] == "SimpleScaling"
    assert body["scaling_adjustment"] == step
    assert body["cooldown"] == "${var.cooldown_seconds}"
    assert default(dashboard, "cooldown_seconds") == 150
    asg = dashboard.one("resource", "aws_autoscaling_group", "grafana").body
    assert asg["default_cooldown"] == "${var.cooldown_seconds}"


def test_launch_template_has_1_minute_monitoring_for_the_alarms(dashboard) -> None:
    template = dashboard.one("resource", "aws_launch_template", "grafana").body
    assert template["monitoring"] == [{"enabled": True}]
    assert default(dashboard, "instance_type").startswith("t4g.")


def test_target_group_checks_grafana_health_on_port_3000(dashboard, module) -> None:
    group = dashboard.one("resource", "aws_lb_target_group", "grafana").body
    assert group["port"] == "${var.grafana_port}" and group["protocol"] == "HTTP"
    assert default(dashboard, "grafana_port") == 3000
    assert default(module("network"), "grafana_port") == 3000
    [check] = group["health_check"]
    assert (check["path"], check["matcher"], check["port"]) == (
        "/api/health",
        "200",
        "traffic-port",
    )


def test_http_listener_forwards_or_redirects_to_https(dashboard) -> None:
    http = dashboard.one("resource", "aws_lb_listener", "http").body
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    [action] = http["default_action"]
    assert action["type"] == '${local.tls ? "redirect" : "forward"}'
    assert action["target_group_arn"] == "${local.tls ? null : aws_lb_target_group.grafana.arn}"
    [redirect] = sub_blocks(action, "redirect")
    assert (redirect["port"], redirect["protocol"], redirect["status_code"]) == (
        "443",
        "HTTPS",
        "HTTP_301",
    )
    assert dashboard.locals["tls"] == "${local.domain || var.certificate_arn != null}"
    assert dashboard.locals["domain"] == "${var.domain_name != null}"


def test_https_listener_exists_only_with_a_certificate_and_a_modern_policy(dashboard) -> None:
    https = dashboard.one("resource", "aws_lb_listener", "https").body
    assert https["count"] == "${local.tls ? 1 : 0}"
    assert (https["port"], https["protocol"]) == (443, "HTTPS")
    assert https["certificate_arn"] == "${local.certificate_arn}"
    assert dashboard.locals["certificate_arn"] == (
        "${local.managed_certificate ? aws_acm_certificate_validation.this[0].certificate_arn"
        " : var.certificate_arn}"
    )
    assert https["ssl_policy"] == "${var.ssl_policy}"
    assert default(dashboard, "ssl_policy").startswith("ELBSecurityPolicy-TLS13-1-2")


def test_load_balancer_drops_invalid_headers_and_has_deletion_protection_variable(
    dashboard, root
) -> None:
    alb = dashboard.one("resource", "aws_lb", "this").body
    assert alb["drop_invalid_header_fields"] is True
    assert alb["internal"] is False
    assert alb["subnets"] == "${var.public_subnet_ids}"
    assert alb["enable_deletion_protection"] == "${var.deletion_protection}"
    assert root.variables["alb_deletion_protection"]["type"] == "bool"
    call = root.one("module", "", "dashboard").body
    assert call["deletion_protection"] == "${var.alb_deletion_protection}"


def test_root_outputs_dashboard_url_ingest_instance_and_store_endpoint(root) -> None:
    outputs = root.outputs
    assert outputs["dashboard_url"]["value"] == "${module.dashboard.url}"
    assert outputs["ingest_instance_id"]["value"] == "${module.ingest.instance_id}"
    assert outputs["store_endpoint"]["value"] == "${module.store.endpoint}"


def test_engine_is_one_variable_defaulting_to_influxdb(root) -> None:
    engine = root.variables["timestream_engine"]
    assert engine["default"] == "influxdb"
    assert (
        'contains(["influxdb", "liveanalytics"], var.timestream_engine)'
        in engine["validation"][0]["condition"]
    )
    for name in ("store", "boot_config", "ingest", "dashboard"):
        assert root.one("module", "", name).body["engine"] == "${var.timestream_engine}"


def test_store_creates_exactly_one_engine(module) -> None:
    store = module("store")
    assert store.locals["influxdb"] == '${var.engine == "influxdb"}'
    assert store.locals["liveanalytics"] == '${var.engine == "liveanalytics"}'
    influx = store.one("resource", "aws_timestreaminfluxdb_db_instance", "this").body
    assert influx["count"] == "${local.influxdb ? 1 : 0}"
    assert influx["publicly_accessible"] is False
    assert influx["vpc_security_group_ids"] == ["${var.security_group_id}"]
    assert (store.locals["influxdb_organization"], store.locals["influxdb_bucket"]) == ("aqi", "aq")
    for kind in ("aws_timestreamwrite_database", "aws_timestreamwrite_table"):
        assert store.one("resource", kind, "this").body["count"] == "${local.liveanalytics ? 1 : 0}"
    assert (store.locals["timestream_database"], store.locals["timestream_table"]) == (
        "aqi",
        "air_quality",
    )
    table = store.one("resource", "aws_timestreamwrite_table", "this").body
    [retention] = table["retention_properties"]
    assert retention == {
        "memory_store_retention_period_in_hours": "${var.memory_retention_hours}",
        "magnetic_store_retention_period_in_days": "${var.magnetic_retention_days}",
    }


def test_store_outputs_feed_the_boot_settings_and_the_profiles(root) -> None:
    boot = root.one("module", "", "boot_config").body
    assert boot["influxdb_endpoint"] == "${module.store.influxdb_endpoint}"
    assert boot["ingest_token_secret_arn"] == (
        "${local.influxdb ? module.store_tokens[0].ingest_token_secret_arn : null}"
    )
    assert boot["grafana_token_secret_arn"] == (
        "${local.influxdb ? module.store_tokens[0].grafana_token_secret_arn : null}"
    )
    assert boot["timestream_table"] == "${module.store.timestream_table}"
    assert boot["region"] == "${var.region}"
    ingest = root.one("module", "", "ingest").body
    assert ingest["user_data"] == "${module.boot_config.ingest_user_data}"
    assert ingest["influxdb_secret_arn"] == boot["ingest_token_secret_arn"]
    assert ingest["timestream_table_arn"] == "${module.store.timestream_table_arn}"
    dashboard = root.one("module", "", "dashboard").body
    assert dashboard["user_data"] == "${module.boot_config.grafana_user_data}"
    assert dashboard["influxdb_secret_arn"] == boot["grafana_token_secret_arn"]
    assert dashboard["timestream_table_arn"] == "${module.store.timestream_table_arn}"


def test_store_secret_output_is_the_one_the_service_creates(module) -> None:
    outputs = module("store").outputs
    assert "influx_auth_parameters_secret_arn" in outputs["influxdb_secret_arn"]["value"]


def test_images_are_looked_up_by_name_and_tags_or_passed_in(module, root) -> None:
    image = module("image")
    ami = image.one("data", "aws_ami", "this").body
    assert ami["count"] == "${var.ami_id == null ? 1 : 0}"
    assert ami["owners"] == ["self"] and ami["most_recent"] is True
    filters = {f["name"]: f["values"] for f in ami["filter"]}
    assert filters["name"] == ['aqi-${var.role}-${coalesce(var.image_version, "*")}-*']
    assert filters["tag:Project"] == ["aqi-platform"]
    assert filters["tag:Role"] == ["${var.role}"]
    assert root.one("module", "", "ingest_image").body["role"] == "ingest"
    assert root.one("module", "", "grafana_image").body["role"] == "grafana"
    assert root.one("module", "", "ingest_image").body["ami_id"] == "${var.ingest_ami_id}"
