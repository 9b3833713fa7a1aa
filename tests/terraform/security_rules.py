"""Security rules of the stack, as functions over a parsed tree so that each one
can be shown to fail on a broken copy. Each returns a list of problems."""

from __future__ import annotations

from pathlib import Path

from tools.hcl.terraform import Module, sub_blocks

from . import iam_db

Tree = dict[Path, Module]

#: Read-only action prefixes (everything else counts as a write).
READ_VERBS = ("Describe", "Get", "List", "Select")
ANYWHERE = {"0.0.0.0/0", "::/0"}


def _resources(tree: Tree, kind: str, type_: str):
    for module in tree.values():
        for block in module.of(kind, type_):
            yield module, block


def imds_problems(tree: Tree) -> list[str]:
    """Every instance and launch template requires IMDSv2 session tokens."""
    problems = []
    seen = 0
    for type_ in ("aws_instance", "aws_launch_template"):
        for _, block in _resources(tree, "resource", type_):
            seen += 1
            options = block.body.get("metadata_options", [])
            if len(options) != 1 or options[0].get("http_tokens") != "required":
                problems.append(
                    f"{type_}.{block.name}: IMDSv2 (http_tokens = required) not enforced"
                )
            elif options[0].get("http_put_response_hop_limit") != 1:
                problems.append(f"{type_}.{block.name}: metadata hop limit must be 1")
    if seen == 0:
        problems.append("no instance or launch template found")
    return problems


def encryption_problems(tree: Tree) -> list[str]:
    """Volumes, secrets, logs and the LiveAnalytics database are encrypted at rest."""
    problems = []
    for _, block in _resources(tree, "resource", "aws_instance"):
        for volume in block.body.get("root_block_device", []) + block.body.get(
            "ebs_block_device", []
        ):
            if volume.get("encrypted") is not True:
                problems.append(f"aws_instance.{block.name}: unencrypted volume")
    for _, block in _resources(tree, "resource", "aws_launch_template"):
        for mapping in block.body.get("block_device_mappings", []):
            for ebs in mapping.get("ebs", []):
                if ebs.get("encrypted") is not True:
                    problems.append(f"aws_launch_template.{block.name}: unencrypted volume")
    for type_ in (
        "aws_timestreamwrite_database",
        "aws_secretsmanager_secret",
        "aws_cloudwatch_log_group",
    ):
        for _, block in _resources(tree, "resource", type_):
            if not block.body.get("kms_key_id"):
                problems.append(f"{type_}.{block.name}: no KMS key")
    for type_, argument in (
        ("aws_sns_topic", "kms_master_key_id"),
        ("aws_lambda_function", "kms_key_arn"),
    ):
        for _, block in _resources(tree, "resource", type_):
            if not block.body.get(argument):
                problems.append(f"{type_}.{block.name}: no KMS key")
    for module, block in _resources(tree, "resource", "aws_s3_bucket"):
        sse = [
            b
            for b in module.of("resource", "aws_s3_bucket_server_side_encryption_configuration")
            if b.body["bucket"] == f"${{aws_s3_bucket.{block.name}.id}}"
        ]
        if not sse:
            problems.append(f"aws_s3_bucket.{block.name}: no server-side encryption")
    for _, block in _resources(tree, "resource", "aws_kms_key"):
        if block.body.get("enable_key_rotation") is not True:
            problems.append(f"aws_kms_key.{block.name}: no key rotation")
    return problems


def _is_anywhere(module: Module, rule: dict, for_each: object) -> bool:
    cidrs = [rule.get("cidr_ipv4"), rule.get("cidr_ipv6"), *rule.get("cidr_blocks", [])]
    if rule.get("cidr_ipv4") == "${each.value}" and isinstance(for_each, str):
        variable = for_each.removeprefix("${toset(var.").removesuffix(")}")
        cidrs += module.variables.get(variable, {}).get("default", [])
    return any(c in ANYWHERE for c in cidrs if isinstance(c, str))


def open_ingress_problems(tree: Tree) -> list[str]:
    """Only the load balancer admits the internet, and only on 80 and 443.

    Everything else admits other security groups only."""
    problems = []
    for module in tree.values():
        rules = [
            (b.name, b.body, b.body.get("for_each"))
            for b in module.of("resource", "aws_vpc_security_group_ingress_rule")
        ]
        rules += [
            (f"{b.name}.ingress", r, None)
            for b in module.of("resource", "aws_security_group")
            for r in sub_blocks(b.body, "ingress")
        ]
        rules += [
            (b.name, b.body, b.body.get("for_each"))
            for b in module.of("resource", "aws_security_group_rule")
            if b.body.get("type") == "ingress"
        ]
        for name, rule, for_each in rules:
            if (
                not _is_anywhere(module, rule, for_each)
                and "cidr_ipv4" not in rule
                and "cidr_blocks" not in rule
            ):
                continue
            public_alb = rule.get(
                "security_group_id"
            ) == "${aws_security_group.alb.id}" and rule.get("from_port") == rule.get(
                "to_port"
            ) in ("${local.http_port}", "${local.https_port}")
            if not public_alb:
                problems.append(
                    f"{module.path.name}: ingress rule {name} admits addresses, not a security group"
                )
        for block in module.of("resource", "aws_default_security_group"):
            if sub_blocks(block.body, "ingress") or sub_blocks(block.body, "egress"):
                problems.append(f"{module.path.name}: the default security group must stay closed")
    return problems


def _policy_statements(tree: Tree):
    for module, block in _resources(tree, "data", "aws_iam_policy_document"):
        for statement in sub_blocks(block.body, "statement"):
            yield f"{module.path.name}/{block.name}", statement


def iam_problems(tree: Tree) -> list[str]:
    """No allowed write action is a wildcard; "*" resources only for actions that the
    IAM action database lists without a resource type.

    The one exception is the account statement of the KMS key policy, AWS's
    default that hands the key to IAM policies."""
    problems = []
    for where, statement in _policy_statements(tree):
        if statement.get("effect", "Allow") != "Allow":
            continue
        principals = statement.get("principals", [])
        if any(
            "iam::${data.aws_caller_identity.current.account_id}:root" in str(p) for p in principals
        ):
            continue
        actions = statement.get("actions", [])
        for action in actions:
            verb = action.split(":", 1)[-1]
            if "*" in action and not verb.startswith(READ_VERBS):
                problems.append(f"{where}: wildcard write action {action}")
        resources = statement.get("resources", [])
        if isinstance(resources, list) and "*" in resources and not principals:
            for action in actions:
                if "*" in action or iam_db.action(action).has_resource_type:
                    problems.append(f"{where}: {action} allowed on every resource")
    return problems


def remote_access_problems(tree: Tree) -> list[str]:
    """No key pair on any instance or launch template and no port 22 anywhere:
    shells go through SSM Session Manager."""
    problems = []
    for type_ in ("aws_instance", "aws_launch_template"):
        for _, block in _resources(tree, "resource", type_):
            if "key_name" in block.body:
                problems.append(f"{type_}.{block.name}: key pair {block.body['key_name']}")
    for module in tree.values():
        for block in module.of("resource", "aws_vpc_security_group_ingress_rule"):
            ports = {block.body.get("from_port"), block.body.get("to_port")}
            if 22 in ports or block.body.get("ip_protocol") in ("-1", "all"):
                problems.append(f"{module.path.name}: ingress rule {block.name} admits SSH")
    return problems
