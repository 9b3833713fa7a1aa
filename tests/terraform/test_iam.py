"""Every AWS call of the platform is granted by the Terraform policies, on the
right resource and with nothing more, for both engines; the rendered policies
pass parliament; and each rule fails on a broken copy (iam_check has the
sources of the calls)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from . import iam_db
from .aws_calls import calls_in_file
from .conftest import REPO, TERRAFORM
from .iam_check import ROLES, Deployment, allows, grant_problems, lint, query_action, sql_kind

ENGINES = ("influxdb", "liveanalytics")


@pytest.fixture(scope="module", params=ENGINES)
def deployment(request: pytest.FixtureRequest) -> Deployment:
    return Deployment(TERRAFORM, request.param)


def test_every_call_is_granted_on_its_resource_and_nothing_more(deployment) -> None:
    assert deployment.needs()
    assert grant_problems(deployment) == []


def test_every_principal_has_its_policies(deployment) -> None:
    policies = deployment.policies()
    expected = {"ingest", "grafana"} | ({"store-tokens"} if deployment.influxdb else set())
    assert set(policies) == expected
    assert all(policies.values())


def test_rendered_policies_pass_parliament(deployment) -> None:
    findings = {
        principal: [f for policy in policies for f in lint(policy)]
        for principal, policies in deployment.policies().items()
    }
    assert findings == {principal: [] for principal in findings}


def admin_secret_readers(deployment: Deployment) -> set[str]:
    """Every role of the stack (not only the known principals) that may read the admin secret."""
    admin = deployment.stack.module("module.store").output("influxdb_secret_arn")
    return {
        role
        for role, policies in deployment.stack.role_policies().items()
        for policy in policies
        for statement in policy["Statement"]
        if allows(statement, "secretsmanager:GetSecretValue", admin, None)
    }


#: The stack with the optional archive backfill on (its job role is one more reader).
WITH_BACKFILL = {"backfill_enabled": True, "backfill_mirror_bucket": "aqi-archive-mirror"}


def test_no_instance_or_job_may_read_the_influxdb_admin_secret() -> None:
    deployment = Deployment(TERRAFORM, "influxdb", **WITH_BACKFILL)
    admin = deployment.stack.module("module.store").output("influxdb_secret_arn")
    assert deployment.env["store-tokens"]["AQI_INFLUXDB_ADMIN_SECRET_ARN"] == admin
    assert admin_secret_readers(deployment) == {ROLES["store-tokens"]}
    for role in ("ingest", "grafana"):
        assert admin not in deployment.env[role].values()
    # The backfill's driver writes with the ingest job's write-only token.
    [application] = deployment.stack.resources("aws_emrserverless_application")
    [runtime] = application.blocks("runtime_configuration")
    driver_secret = runtime["properties"]["spark.emr-serverless.driverEnv.AQI_INFLUXDB_SECRET_ARN"]
    assert driver_secret == deployment.env["ingest"]["AQI_INFLUXDB_SECRET_ARN"] != admin


def test_the_admin_secret_check_fails_when_the_backfill_gets_the_admin_secret(tmp_path) -> None:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform*"))
    main = copy / "main.tf"
    text = main.read_text()
    wanted = "influxdb_secret_arn  = local.influxdb ? module.store_tokens[0].ingest_token_secret_arn : null\n  timestream_table_arn = module.store.timestream_table_arn"
    assert wanted in text
    main.write_text(
        text.replace(
            wanted,
            "influxdb_secret_arn  = module.store.influxdb_secret_arn\n  timestream_table_arn = module.store.timestream_table_arn",
        )
    )
    broken = Deployment(copy, "influxdb", **WITH_BACKFILL)
    assert "module.backfill[0].aws_iam_role.job" in admin_secret_readers(broken)


def test_the_ingest_job_and_grafana_get_different_scoped_tokens() -> None:
    deployment = Deployment(TERRAFORM, "influxdb")
    ingest = deployment.env["ingest"]["AQI_INFLUXDB_SECRET_ARN"]
    grafana = deployment.env["grafana"]["AQI_INFLUXDB_SECRET_ARN"]
    lambda_env = deployment.env["store-tokens"]
    assert (
        lambda_env["AQI_INGEST_TOKEN_SECRET_ARN"],
        lambda_env["AQI_GRAFANA_TOKEN_SECRET_ARN"],
    ) == (
        ingest,
        grafana,
    )
    assert ingest != grafana


def test_the_watermark_query_is_the_action_select_from_the_database() -> None:
    # The action database, not this repository, says which action a Query needs.
    assert "timestream:Select" in iam_db.actions_for("timestream-query", "Query")
    assert query_action("select from table") == "timestream:Select"
    assert query_action("select 1") == "timestream:SelectValues"
    from ingest.sinks.timestream.watermarks import watermark_query

    assert sql_kind(watermark_query("aqi", "air_quality", 24)) == "select from table"
    assert iam_db.actions_for("secretsmanager", "GetSecretValue") == [
        "secretsmanager:GetSecretValue"
    ]
    assert iam_db.action("timestream:DescribeEndpoints").has_resource_type is False


def test_the_scanner_follows_clients_paginators_and_endpoint_discovery(tmp_path: Path) -> None:
    source = tmp_path / "job.py"
    source.write_text(
        "import boto3\n"
        "client = boto3.client('secretsmanager')\n"
        "def read(arn):\n"
        "    return client.get_secret_value(SecretId=arn)\n"
        "class Sink:\n"
        "    def client(self, service):\n"
        "        return boto3.client(service)\n"
        "    def run(self):\n"
        "        self.client('timestream-query').get_paginator('query').paginate(QueryString='x')\n"
        "        self.client('timestream-write').close()\n"
    )
    calls = {(c.service, c.operation, c.implicit) for c in calls_in_file(source, tmp_path)}
    assert calls == {
        ("secretsmanager", "GetSecretValue", False),
        ("timestream-query", "Query", False),
        ("timestream-query", "DescribeEndpoints", True),
    }


def test_the_scanner_follows_a_function_that_returns_a_client(tmp_path: Path) -> None:
    source = tmp_path / "rotate.py"
    source.write_text(
        "import boto3\n"
        "def secrets():\n"
        "    return boto3.session.Session().client(service_name='secretsmanager')\n"
        "def finish(arn):\n"
        "    client = secrets()\n"
        "    client.update_secret_version_stage(SecretId=arn)\n"
        "    secrets().put_secret_value(SecretId=arn)\n"
    )
    calls = {c.operation for c in calls_in_file(source, tmp_path)}
    assert calls == {"UpdateSecretVersionStage", "PutSecretValue"}


def test_the_scanner_refuses_a_client_whose_calls_it_cannot_follow(tmp_path: Path) -> None:
    source = tmp_path / "job.py"
    source.write_text(
        "import boto3\nCLIENTS = [boto3.client('sns')]\nCLIENTS[0].publish(TopicArn='x')\n"
    )
    with pytest.raises(ValueError, match="creates an AWS client whose calls are not followed"):
        calls_in_file(source, tmp_path)


def test_the_scanner_refuses_a_method_that_is_no_operation(tmp_path: Path) -> None:
    source = tmp_path / "job.py"
    source.write_text("import boto3\nboto3.client('sns').publish_everything()\n")
    with pytest.raises(ValueError, match="sns client has no method publish_everything"):
        calls_in_file(source, tmp_path)


def test_the_store_tokens_calls_come_from_its_code_when_present() -> None:
    deployment = Deployment(TERRAFORM, "influxdb")
    calls = deployment.code_calls("store-tokens")
    operations = {(c.service, c.operation) for c in calls if not c.implicit}
    assert ("secretsmanager", "GetSecretValue") in operations
    if (REPO / "store_tokens").exists():
        assert all(not c.where.startswith("store_tokens (agreed") for c in calls)


# -- broken copies ------------------------------------------------------------------


def broken(broken_copy, engine: str, relative: str, old: str, new: str) -> list[str]:
    copy = broken_copy(relative, old, new)
    return grant_problems(Deployment(copy, engine))


def test_removing_select_from_the_ingest_policy_fails(broken_copy) -> None:
    problems = broken(
        broken_copy,
        "liveanalytics",
        "modules/ingest/main.tf",
        '"timestream:DescribeTable", "timestream:Select", "timestream:WriteRecords"',
        '"timestream:DescribeTable", "timestream:WriteRecords"',
    )
    table = "arn:aws:timestream:eu-west-2:123456789012:database/aqi/table/air_quality"
    assert [p.split(" (")[0] for p in problems] == [
        f"ingest: timestream:Select on {table} not granted"
    ]
    assert "Query at ingest/sinks/timestream/sink.py:" in problems[0]


@pytest.mark.parametrize(
    ("engine", "relative", "old", "new", "expected"),
    [
        pytest.param(
            "influxdb",
            "main.tf",
            "  influxdb_secret_arn        = local.influxdb ? module.store_tokens[0].grafana_token_secret_arn : null\n",
            "  influxdb_secret_arn        = module.store.influxdb_secret_arn\n",
            "grafana/ReadGrafanaSecrets: resource arn:aws:secretsmanager:eu-west-2:123456789012:secret:READONLY-InfluxDB",
            id="grafana-reads-the-admin-secret",
        ),
        pytest.param(
            "liveanalytics",
            "modules/dashboard/iam.tf",
            '["timestream:DescribeTable", "timestream:ListMeasures", "timestream:Select"]',
            '["timestream:DeleteTable", "timestream:DescribeTable", "timestream:ListMeasures", "timestream:Select"]',
            "grafana/QueryAirQualityTable: timestream:DeleteTable is granted but no call needs it",
            id="action-no-call-needs",
        ),
        pytest.param(
            "influxdb",
            "modules/ingest/main.tf",
            '      resources = [statement.value]\n    }\n  }\n\n  dynamic "statement" {\n    for_each = local.influxdb ? [var.kms_key_arn] : []',
            '      resources = ["*"]\n    }\n  }\n\n  dynamic "statement" {\n    for_each = local.influxdb ? [var.kms_key_arn] : []',
            "ingest/ReadIngestToken: secretsmanager:GetSecretValue on * although it has a resource type",
            id="star-where-a-resource-type-exists",
        ),
        pytest.param(
            "influxdb",
            "modules/instance-agents/main.tf",
            '    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]',
            '    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]',
            "ingest/ShipLogEvents: logs:CreateLogGroup is granted but no call needs it",
            id="agent-creates-log-groups",
        ),
        pytest.param(
            "influxdb",
            "modules/store-tokens/main.tf",
            '      "secretsmanager:PutSecretValue",\n',
            "",
            "store-tokens: secretsmanager:PutSecretValue on arn:aws:secretsmanager:eu-west-2:123456789012:secret:aqi/influxdb-",
            id="rotation-cannot-write",
        ),
        pytest.param(
            "liveanalytics",
            "modules/dashboard/iam.tf",
            '      values   = ["sns.${local.region}.${local.dns_suffix}"]',
            '      values   = ["s3.${local.region}.${local.dns_suffix}"]',
            "grafana: kms:GenerateDataKey on arn:aws:kms:",
            id="kms-through-the-wrong-service",
        ),
        pytest.param(
            "influxdb",
            "modules/dashboard/iam.tf",
            """    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.${local.dns_suffix}"]
    }
""",
            '    actions   = ["kms:Decrypt"]\n    resources = [var.kms_key_arn]\n',
            "grafana/DecryptSecretsThroughSecretsManager: KMS use without a kms:ViaService condition",
            id="kms-without-its-service",
        ),
    ],
)
def test_rule_fails_on_a_broken_policy(broken_copy, engine, relative, old, new, expected) -> None:
    problems = broken(broken_copy, engine, relative, old, new)
    assert any(expected in p for p in problems), problems


def test_a_new_call_in_the_code_without_a_grant_fails(tmp_path: Path) -> None:
    copy = tmp_path / "repo" / "ingest"
    shutil.copytree(REPO / "ingest", copy, ignore=shutil.ignore_patterns("__pycache__"))
    sink = copy / "sinks" / "influx_auth.py"
    text = sink.read_text()
    old = 'client.get_secret_value(SecretId=secret_id)["SecretString"]'
    assert text.count(old) == 1
    sink.write_text(
        text.replace(old, f'{old} if client.describe_secret(SecretId=secret_id) else ""')
    )
    problems = grant_problems(Deployment(TERRAFORM, "influxdb", code={"ingest": copy}))
    assert any(
        p.startswith("ingest: secretsmanager:DescribeSecret on arn:aws:secretsmanager:")
        and "ingest/sinks/influx_auth.py" in p
        for p in problems
    ), problems


def test_parliament_flags_a_policy_with_a_mismatched_resource() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [
                    "arn:aws:timestream:eu-west-2:123456789012:database/aqi/table/air_quality"
                ],
            }
        ],
    }
    assert any(f.startswith("RESOURCE_MISMATCH") for f in lint(policy))
