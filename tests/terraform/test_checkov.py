"""checkov over terraform/: no failed check, every skip carries a reason, and
the broken copies (IMDSv1, an open security group, an unencrypted alert topic,
the token function outside the VPC) are rejected."""

from __future__ import annotations

import re

from .conftest import TERRAFORM, in_folder


def test_no_failed_check(checkov_report) -> None:
    failed = [(c["check_id"], c["resource"]) for c in in_folder(checkov_report["failed"], "stack")]
    assert failed == []
    assert len(in_folder(checkov_report["passed"], "stack")) > 150


def test_every_skip_is_inline_with_a_reason(checkov_report) -> None:
    skipped = in_folder(checkov_report["skipped"], "stack")
    assert skipped
    for check in skipped:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) > 30, check["check_id"]
    inline = re.findall(
        r"#checkov:skip=([A-Z0-9_]+):(.*)",
        "\n".join(p.read_text() for p in TERRAFORM.rglob("*.tf")),
    )
    assert inline and all(len(reason.strip()) > 30 for _, reason in inline)


def test_imdsv1_copy_fails(checkov_report) -> None:
    failed = {c["check_id"] for c in in_folder(checkov_report["failed"], "imdsv1")}
    assert "CKV_AWS_79" in failed


def test_open_security_group_copy_fails(checkov_report) -> None:
    failed = {c["check_id"] for c in in_folder(checkov_report["failed"], "open_sg")}
    assert failed & {"CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"}, failed


def test_unencrypted_alert_topic_copy_fails(checkov_report) -> None:
    failed = {c["check_id"] for c in in_folder(checkov_report["failed"], "plain_topic")}
    assert "CKV_AWS_26" in failed


def test_token_function_outside_the_vpc_copy_fails(checkov_report) -> None:
    failed = {c["check_id"] for c in in_folder(checkov_report["failed"], "lambda_outside_vpc")}
    assert "CKV_AWS_117" in failed
