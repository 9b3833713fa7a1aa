"""Security defaults: IMDSv2, encryption at rest, closed security groups,
least-privilege IAM, private instances, and each rule failing on a broken copy."""

from __future__ import annotations

import pytest

from tools.hcl.terraform import load_tree

from . import security_rules


def test_imdsv2_is_required_on_every_instance_and_launch_template(tree) -> None:
    assert security_rules.imds_problems(tree) == []


def test_everything_is_encrypted_at_rest(tree) -> None:
    assert security_rules.encryption_problems(tree) == []


def test_only_the_load_balancer_admits_the_internet(tree) -> None:
    assert security_rules.open_ingress_problems(tree) == []


def test_no_wildcard_write_permission(tree) -> None:
    assert security_rules.iam_problems(tree) == []


def test_grafana_admits_only_the_load_balancer_and_the_store_only_the_instances(module) -> None:
    network = module("network")
    rules = {b.name: b.body for b in network.of("resource", "aws_vpc_security_group_ingress_rule")}
    assert set(rules) == {"alb_http", "alb_https", "grafana_from_alb", "store_from_clients"}
    assert rules["grafana_from_alb"]["security_group_id"] == "${aws_security_group.grafana.id}"
    assert (
        rules["grafana_from_alb"]["referenced_security_group_id"] == "${aws_security_group.alb.id}"
    )
    assert rules["store_from_clients"]["for_each"] == {
        "ingest": "${aws_security_group.ingest.id}",
        "grafana": "${aws_security_group.grafana.id}",
        "store-tokens": "${aws_security_group.store_tokens.id}",
    }
    assert not [
        r for r in rules.values() if r["security_group_id"] == "${aws_security_group.ingest.id}"
    ]


def test_instances_live_in_private_subnets_without_public_addresses(module, root) -> None:
    ingest = module("ingest").one("resource", "aws_instance", "this").body
    assert ingest["associate_public_ip_address"] is False
    assert (
        root.one("module", "", "ingest").body["subnet_id"]
        == "${module.network.private_subnet_ids[0]}"
    )
    subnets = module("network").one("resource", "aws_subnet", "public").body
    assert subnets["map_public_ip_on_launch"] is False


def test_grafana_admin_password_is_generated_by_secrets_manager_and_kept_out_of_state(
    module, root
) -> None:
    secret = module("generated-secret")
    generated = secret.one("ephemeral", "aws_secretsmanager_random_password", "this").body
    assert generated["password_length"] == "${var.length}"
    assert secret.variables["length"]["default"] >= 20
    version = secret.one("resource", "aws_secretsmanager_secret_version", "this").body
    assert "secret_string" not in version
    assert (
        version["secret_string_wo"]
        == "${ephemeral.aws_secretsmanager_random_password.this.random_password}"
    )
    # The admin password and Grafana's secret_key both come from this module.
    for call in ("admin_secret", "grafana_secret_key"):
        assert root.one("module", "", call).body["source"] == "./modules/generated-secret"


def test_no_key_pair_and_no_ssh_port(tree) -> None:
    assert security_rules.remote_access_problems(tree) == []


@pytest.mark.parametrize(
    ("relative", "old", "new", "rule", "expected"),
    [
        pytest.param(
            "modules/dashboard/main.tf",
            'http_tokens                 = "required"',
            'http_tokens                 = "optional"',
            security_rules.imds_problems,
            "aws_launch_template.grafana: IMDSv2",
            id="imdsv1-launch-template",
        ),
        pytest.param(
            "modules/ingest/main.tf",
            'http_tokens                 = "required"',
            'http_tokens                 = "optional"',
            security_rules.imds_problems,
            "aws_instance.this: IMDSv2",
            id="imdsv1-instance",
        ),
        pytest.param(
            "modules/network/security_groups.tf",
            "  referenced_security_group_id = aws_security_group.alb.id\n",
            '  cidr_ipv4                    = "0.0.0.0/0"\n',
            security_rules.open_ingress_problems,
            "ingress rule grafana_from_alb admits addresses",
            id="open-security-group",
        ),
        pytest.param(
            "modules/ingest/main.tf",
            'actions   = ["timestream:DescribeTable", "timestream:Select", "timestream:WriteRecords"]',
            'actions   = ["timestream:*"]',
            security_rules.iam_problems,
            "wildcard write action timestream:*",
            id="wildcard-write",
        ),
        pytest.param(
            "modules/instance-agents/main.tf",
            '    resources = [for arn in var.log_group_arns : "${arn}:log-stream:*"]',
            '    resources = ["*"]',
            security_rules.iam_problems,
            "logs:PutLogEvents allowed on every resource",
            id="star-resource",
        ),
        pytest.param(
            "modules/ingest/main.tf",
            "  ami                         = var.ami_id\n",
            '  ami                         = var.ami_id\n  key_name                    = "operator"\n',
            security_rules.remote_access_problems,
            "aws_instance.this: key pair operator",
            id="key-pair",
        ),
        pytest.param(
            "modules/alerts/main.tf",
            "  kms_master_key_id = var.kms_key_arn\n",
            "",
            security_rules.encryption_problems,
            "aws_sns_topic.alerts: no KMS key",
            id="unencrypted-topic",
        ),
        pytest.param(
            "modules/ingest/main.tf",
            "    encrypted             = true",
            "    encrypted             = false",
            security_rules.encryption_problems,
            "aws_instance.this: unencrypted volume",
            id="unencrypted-volume",
        ),
    ],
)
def test_rule_fails_on_a_broken_copy(broken_copy, relative, old, new, rule, expected) -> None:
    copy = broken_copy(relative, old, new)
    problems = rule(load_tree(copy))
    assert any(expected in p for p in problems), problems
