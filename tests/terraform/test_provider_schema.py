"""Provider-schema validation (AWS provider 6.25 and random, from the cdktf
packages) and reference checks: most of what `terraform validate` catches."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.hcl.terraform import Module, load_tree

from . import static_checks
from .conftest import TERRAFORM


def all_problems(tree: dict[Path, Module], schema) -> list[str]:
    problems: list[str] = []
    for path, module in tree.items():
        found = (
            static_checks.check_provider_schema(module, schema)
            + static_checks.check_references(module, schema)
            + static_checks.check_module_calls(module, tree)
            + static_checks.check_language_blocks(module)
        )
        problems += [f"{path.relative_to(path.parents[len(path.parts) - 2])}: {p}" for p in found]
    return problems


def test_schema_is_the_aws_provider_6(schema) -> None:
    assert "aws_timestreaminfluxdb_db_instance" in schema.resources
    assert schema.resources["aws_timestreaminfluxdb_db_instance"]["password"]["required"] is True
    assert "secret_string_wo" in schema.resources["aws_secretsmanager_secret_version"]
    assert "random_password" in schema.resources


def test_every_type_argument_block_and_reference_is_valid(tree, schema) -> None:
    # every module folder is parsed, the root and each of terraform/modules/
    assert set(tree) == {TERRAFORM, *(p.parent for p in TERRAFORM.glob("modules/*/*.tf"))}
    assert all_problems(tree, schema) == []


def test_every_module_checks_its_resources(tree, schema) -> None:
    checked = {b.type for m in tree.values() for b in m.blocks if b.kind in ("resource", "data")}
    builtin = set(static_checks.BUILTIN_RESOURCES)
    assert checked <= set(schema.resources) | set(schema.data_sources) | builtin
    assert len(checked) > 40


@pytest.mark.parametrize(
    ("relative", "old", "new", "expected"),
    [
        pytest.param(
            "modules/dashboard/load_balancer.tf",
            "drop_invalid_header_fields = true",
            "drop_invalid_headers_fields = true",
            "unknown argument 'drop_invalid_headers_fields'",
            id="misspelled-argument",
        ),
        pytest.param(
            "modules/dashboard/load_balancer.tf",
            '    matcher             = "200"',
            '    matchers            = "200"',
            "health_check: unknown argument 'matchers'",
            id="misspelled-nested-argument",
        ),
        pytest.param(
            "modules/store/main.tf",
            "  organization           = local.influxdb_organization\n",
            "",
            "missing required argument 'organization'",
            id="missing-required-argument",
        ),
        pytest.param(
            "modules/ingest/main.tf",
            'resource "aws_instance" "this"',
            'resource "aws_ec2_instance" "this"',
            "resource aws_ec2_instance.this: unknown resource type",
            id="unknown-resource-type",
        ),
        pytest.param(
            "modules/network/main.tf",
            "  map_public_ip_on_launch = false\n",
            "  map_public_ip_on_launch = false\n  ingress_rule {\n    port = 1\n  }\n",
            "unknown argument 'ingress_rule'",
            id="unknown-block",
        ),
        pytest.param(
            "modules/store/outputs.tf",
            ".influx_auth_parameters_secret_arn",
            ".influx_auth_secret_arn",
            "has no attribute 'influx_auth_secret_arn'",
            id="unknown-attribute",
        ),
        pytest.param(
            "main.tf",
            "  kms_key_arn        = module.key.key_arn\n}",
            "  kms_key_arns       = module.key.key_arn\n}",
            "network has no variable 'kms_key_arns'",
            id="unknown-module-input",
        ),
        pytest.param(
            "outputs.tf",
            "module.ingest.instance_id",
            "module.ingest.instance",
            "ingest has no such output",
            id="unknown-module-output",
        ),
        pytest.param(
            "modules/ingest/main.tf",
            "ami                         = var.ami_id",
            "ami                         = var.image_id",
            "undeclared variable var.image_id",
            id="undeclared-variable",
        ),
    ],
)
def test_validation_fails_on_a_broken_copy(
    broken_copy, schema, relative, old, new, expected
) -> None:
    copy = broken_copy(relative, old, new)
    problems = all_problems(load_tree(copy), schema)
    assert any(expected in p for p in problems), problems


def test_required_module_input_missing_is_reported(broken_copy, schema) -> None:
    copy = broken_copy(
        "main.tf", "  user_data            = module.boot_config.ingest_user_data\n", ""
    )
    problems = all_problems(load_tree(copy), schema)
    assert any("module ingest: missing required input 'user_data'" in p for p in problems)


def test_the_real_tree_is_what_was_checked() -> None:
    assert (TERRAFORM / "modules" / "dashboard" / "load_balancer.tf").read_text().count(
        "drop_invalid_header_fields = true"
    ) == 1
