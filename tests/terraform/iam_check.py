"""Every AWS call of the platform, the IAM permission it needs, and whether the
Terraform policies grant exactly that.

The calls come from three kinds of source:

- the Python code that runs on AWS, read from its source (``aws_calls``): the
  ingest job (``ingest/``), Grafana's first-boot setup
  (``ansible/roles/grafana/files/``) and the token provisioner
  (``store_tokens/``, the Lambda function);
- the programs the images run whose code is not here, from their
  documentation: the Grafana Timestream data source, Grafana's SNS contact
  point, the CloudWatch agent and the SSM agent;
- what AWS services do with a principal's role: Lambda writing the function's
  logs and attaching it to the VPC, KMS use behind a service that encrypts
  with the stack's key.

Each operation becomes IAM actions through the AWS IAM action database
(``iam_db``), each aimed at the resource the principal is told to use: the
ARNs in its deploy.env or its Lambda environment, as Terraform renders them
(``hcl_eval``). The check then asks of each principal's rendered policies that
every need is granted, and that every granted action and resource serves a
need, with ``*`` only for actions that have no resource type.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from . import iam_db
from .aws_calls import Call, calls_in
from .hcl_eval import ACCOUNT, REGION, Resource, Stack

REPO = Path(__file__).resolve().parents[2]

#: The principals of the stack: their IAM role in the rendered tree.
ROLES = {
    "ingest": "module.ingest.aws_iam_role.this",
    "grafana": "module.dashboard.aws_iam_role.grafana",
    "store-tokens": "module.store_tokens[0].aws_iam_role.function",
}

#: The code each principal runs, and for the ingest job which sink package a
#: store engine uses (the other sink's calls do not happen).
CODE = {
    "ingest": REPO / "ingest",
    "grafana": REPO / "ansible" / "roles" / "grafana" / "files",
    "store-tokens": REPO / "store_tokens",
}
SINK_CODE = {"influxdbs": "ingest/sinks/influxdb", "timestream": "ingest/sinks/timestream"}

#: The token provisioner's calls as agreed between its code and this stack,
#: used while its package is not in the tree: the admin secret is only read,
#: the token secrets are rotated (Secrets Manager's rotation steps).
STORE_TOKENS_INTERFACE = [
    ("secretsmanager", "GetSecretValue"),
    ("secretsmanager", "DescribeSecret"),
    ("secretsmanager", "PutSecretValue"),
    ("secretsmanager", "UpdateSecretVersionStage"),
]

# Documented calls of programs whose code is not in this repository. Each
# entry: (principal or "instances", IAM action, resource kind, source).
#: Grafana Timestream data source (grafana/timestream-datasource): Query for the
#: panels (SELECT ... FROM the table) and its health check (SELECT 1),
#: CancelQuery, SHOW MEASURES and DESCRIBE of the table for the query editor,
#: endpoint discovery; its README lists the same permissions.
TIMESTREAM_DATASOURCE = [
    ("timestream-query", "Query", "select from table"),
    ("timestream-query", "Query", "select 1"),
    ("timestream-query", "Query", "list measures"),
    ("timestream-query", "CancelQuery", None),
    ("timestream-write", "DescribeTable", None),
]
#: Grafana's SNS contact point publishes with the instance credentials.
SNS_CONTACT_POINT = [("sns", "Publish", None)]
#: CloudWatch agent (CloudWatchAgentServerPolicy without what it needs only to
#: create groups or set their retention, which Terraform owns): metrics, the
#: instance tags for the AutoScalingGroupName dimension, log streams and events.
CLOUDWATCH_AGENT_ACTIONS = ["cloudwatch:PutMetricData", "ec2:DescribeTags"]
CLOUDWATCH_AGENT_LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]
#: SSM agent for Session Manager ("Create a custom IAM role for Session
#: Manager", without session logging): registration and the message channels.
SSM_AGENT_ACTIONS = ["ssm:UpdateInstanceInformation"]
SESSION_MANAGER_ACTIONS = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]
#: What Lambda does with a VPC function's execution role
#: (AWSLambdaVPCAccessExecutionRole) and with its log group.
LAMBDA_VPC_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]
LAMBDA_LOG_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]
#: KMS actions the caller needs when a service uses a customer managed key on
#: its behalf (Secrets Manager, SNS, Timestream and Lambda encryption guides).
KMS_BEHIND = {
    "secretsmanager:GetSecretValue": ("secretsmanager", ["kms:Decrypt"]),
    "secretsmanager:PutSecretValue": ("secretsmanager", ["kms:GenerateDataKey"]),
    "sns:Publish": ("sns", ["kms:Decrypt", "kms:GenerateDataKey"]),
    "timestream:Select": ("timestream", ["kms:Decrypt", "kms:DescribeKey"]),
    "timestream:DescribeTable": ("timestream", ["kms:Decrypt", "kms:DescribeKey"]),
    "timestream:ListMeasures": ("timestream", ["kms:Decrypt", "kms:DescribeKey"]),
    "timestream:WriteRecords": (
        "timestream",
        ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
    ),
}

EXAMPLE_INSTANCE = "i-0123456789abcdef0"
EXAMPLE_ENI = "eni-0123456789abcdef0"


@dataclass(frozen=True, order=True)
class Need:
    """One IAM action a principal needs on one resource ("*" for none)."""

    principal: str
    action: str
    resource: str
    why: str
    via: str | None = None  # kms:ViaService, for KMS use behind a service


def query_action(kind: str) -> str:
    """The IAM action of a Timestream Query, by what the statement does, from the
    database's descriptions ("select from table", "select 1", "list measures")."""
    candidates = iam_db.actions_for("timestream-query", "Query")
    found = [a for a in candidates if kind in iam_db.action(a).description.lower()]
    if len(found) != 1:
        raise KeyError(f"Query {kind!r}: {found or candidates}")
    return found[0]


def sql_kind(sql: str) -> str:
    """What a Timestream statement does, in the words of the action database."""
    text = " ".join(sql.split()).upper()
    if text.startswith("SHOW MEASURES"):
        return "list measures"
    if text.startswith("SELECT") and " FROM " in text:
        return "select from table"
    if text.startswith("SELECT"):
        return "select 1"
    raise ValueError(f"unknown Timestream statement: {sql[:60]}")


def table_arn(database: str, table: str, region: str = REGION) -> str:
    return f"arn:aws:timestream:{region}:{ACCOUNT}:database/{database}/table/{table}"


class Deployment:
    """The rendered stack of one engine: environments, resources and policies."""

    def __init__(
        self,
        terraform: Path,
        engine: str,
        code: dict[str, Path] | None = None,
        **variables: Any,
    ) -> None:
        self.engine = engine
        self.code = {**CODE, **(code or {})}
        self.stack = Stack(terraform, {"region": REGION, "timestream_engine": engine, **variables})
        boot = self.stack.module("module.boot_config")
        self.env = {"ingest": boot.local("ingest_env"), "grafana": boot.local("grafana_env")}
        self.influxdb = engine == "influxdb"
        if self.influxdb:
            [function] = self.stack.resources("aws_lambda_function")
            self.function = function
            [environment] = function.blocks("environment")
            self.env["store-tokens"] = environment["variables"]

    def policies(self) -> dict[str, list[dict[str, Any]]]:
        roles = self.stack.role_policies()
        return {p: roles.get(address, []) for p, address in ROLES.items() if p in self.env}

    # -- which key encrypts what --------------------------------------------

    def encryption_keys(self) -> dict[str, str]:
        """Resource ARN -> the customer managed key that encrypts it."""
        keys: dict[str, str] = {}
        for type_, arg in (
            ("aws_secretsmanager_secret", "kms_key_id"),
            ("aws_sns_topic", "kms_master_key_id"),
        ):
            for resource in self.stack.resources(type_):
                key = resource.argument(arg)
                if key:
                    keys[resource.attr("arn")] = key
        for database in self.stack.resources("aws_timestreamwrite_database"):
            for table in self.stack.resources("aws_timestreamwrite_table"):
                key = database.argument("kms_key_id")
                if key and table.argument("database_name") == database.argument("database_name"):
                    keys[table.attr("arn")] = key
        return keys

    # -- the needs ----------------------------------------------------------

    def code_calls(self, principal: str) -> list[Call]:
        folder = self.code[principal]
        if not folder.exists():
            if principal != "store-tokens":
                raise FileNotFoundError(folder)
            return [
                Call(s, o, "store_tokens (agreed interface)") for s, o in STORE_TOKENS_INTERFACE
            ]
        # The checkout the folder is in (a copy keeps the repository's layout).
        checkout = folder.parents[len(CODE[principal].relative_to(REPO).parts) - 1]
        calls = calls_in(folder, checkout)
        if principal == "ingest":
            scheme = urlparse(self.env["ingest"]["AQI_SINK"]).scheme
            others = [path for s, path in SINK_CODE.items() if s != scheme]
            calls = [c for c in calls if not c.where.startswith(tuple(others))]
        return calls

    def needs(self) -> list[Need]:
        needs: list[Need] = []
        for principal in self.env:
            needs += self._code_needs(principal)
        needs += self._instance_needs("ingest")
        needs += self._instance_needs("grafana")
        needs += self._grafana_datasource_needs()
        if self.influxdb:
            needs += self._lambda_service_needs()
        needs += self._kms_needs(needs)
        return sorted(set(needs))

    def _secrets_in(self, principal: str) -> list[str]:
        return sorted(
            v
            for v in self.env[principal].values()
            if isinstance(v, str) and v.startswith("arn:aws:secretsmanager:")
        )

    def _code_needs(self, principal: str) -> list[Need]:
        needs = []
        for call in self.code_calls(principal):
            for name in self._call_actions(call, principal):
                for resource in self._resources(principal, name, call):
                    needs.append(
                        Need(principal, name, resource, f"{call.operation} at {call.where}")
                    )
        return needs

    def _call_actions(self, call: Call, principal: str) -> list[str]:
        if call.service == "timestream-query" and call.operation == "Query":
            if principal != "ingest":
                raise ValueError(f"{call.where}: a Query whose statement is not known")
            from ingest.sinks.timestream.watermarks import watermark_query

            database, table = self._ingest_table()
            return [query_action(sql_kind(watermark_query(database, table, None)))]
        return iam_db.actions_for(call.service, call.operation)

    def _ingest_table(self) -> tuple[str, str]:
        sink = urlparse(self.env["ingest"]["AQI_SINK"])
        return sink.netloc, sink.path.strip("/")

    def _resources(self, principal: str, action_name: str, call: Call) -> list[str]:
        action = iam_db.action(action_name)
        if not action.required_types:
            return ["*"]
        env = self.env[principal]
        if action.required_types == {"Secret"}:
            if principal == "store-tokens":
                tokens = [env["AQI_INGEST_TOKEN_SECRET_ARN"], env["AQI_GRAFANA_TOKEN_SECRET_ARN"]]
                admin = (
                    [env["AQI_INFLUXDB_ADMIN_SECRET_ARN"]]
                    if action_name.endswith(":GetSecretValue")
                    else []
                )
                return tokens + admin
            return self._secrets_in(principal)
        if action.required_types == {"table"} and principal == "ingest":
            database, table = self._ingest_table()
            region = parse_qs(urlparse(env["AQI_SINK"]).query)["region"][0]
            return [table_arn(database, table, region)]
        raise ValueError(f"{call.where}: no resource known for {action_name} of {principal}")

    def _instance_needs(self, principal: str) -> list[Need]:
        env = self.env[principal]
        prefix = env["AQI_LOG_GROUP_PREFIX"]
        groups = [f"{prefix}/{principal}", f"{prefix}/system"]
        needs = [Need(principal, a, "*", "CloudWatch agent") for a in CLOUDWATCH_AGENT_ACTIONS]
        for group in groups:
            stream = (
                f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:{EXAMPLE_INSTANCE}"
            )
            needs += [
                Need(principal, a, stream, "CloudWatch agent logs")
                for a in CLOUDWATCH_AGENT_LOG_ACTIONS
            ]
        instance = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{EXAMPLE_INSTANCE}"
        needs += [Need(principal, a, instance, "SSM agent") for a in SSM_AGENT_ACTIONS]
        needs += [Need(principal, a, "*", "Session Manager") for a in SESSION_MANAGER_ACTIONS]
        return needs

    def _grafana_datasource_needs(self) -> list[Need]:
        env = self.env["grafana"]
        needs = []
        for service, operation, _ in SNS_CONTACT_POINT:
            for name in iam_db.actions_for(service, operation):
                needs.append(Need("grafana", name, env["AQI_ALERT_TOPIC_ARN"], "SNS contact point"))
        if self.engine != "liveanalytics":
            return needs
        table = table_arn(env["AQI_TIMESTREAM_DATABASE"], env["AQI_TIMESTREAM_TABLE"])
        for service, operation, kind in TIMESTREAM_DATASOURCE:
            names = [query_action(kind)] if kind else iam_db.actions_for(service, operation)
            for name in names:
                resource = table if iam_db.action(name).required_types else "*"
                needs.append(Need("grafana", name, resource, f"Timestream data source {operation}"))
            discovery = "DescribeEndpoints"
            for name in iam_db.actions_for(service, discovery):
                needs.append(Need("grafana", name, "*", "Timestream endpoint discovery"))
        return needs

    def _lambda_service_needs(self) -> list[Need]:
        function: Resource = self.function
        [logging] = function.blocks("logging_config")
        group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{logging['log_group']}"
        needs = [
            Need("store-tokens", a, f"{group}:log-stream:2026/12/01/[$LATEST]0123", "Lambda logs")
            for a in LAMBDA_LOG_ACTIONS
        ]
        [vpc] = function.blocks("vpc_config")
        ec2 = f"arn:aws:ec2:{REGION}:{ACCOUNT}"
        for name in LAMBDA_VPC_ACTIONS:
            action = iam_db.action(name)
            if not action.resource_types:
                needs.append(Need("store-tokens", name, "*", "Lambda VPC attachment"))
                continue
            resources = {"network-interface": [f"{ec2}:network-interface/{EXAMPLE_ENI}"]}
            resources["subnet"] = [f"{ec2}:subnet/{s}" for s in vpc["subnet_ids"]]
            resources["security-group"] = [
                f"{ec2}:security-group/{g}" for g in vpc["security_group_ids"]
            ]
            for type_ in sorted(action.resource_types):
                if type_ in resources and (
                    type_ in action.required_types or type_ == "security-group"
                ):
                    needs += [
                        Need("store-tokens", name, r, "Lambda VPC attachment")
                        for r in resources[type_]
                    ]
        key = function.argument("kms_key_arn")
        if key:
            needs.append(Need("store-tokens", "kms:Decrypt", key, "Lambda environment", "lambda"))
        return needs

    def _kms_needs(self, needs: Iterable[Need]) -> list[Need]:
        keys = self.encryption_keys()
        out = []
        for need in needs:
            if need.action in KMS_BEHIND and need.resource in keys:
                service, actions = KMS_BEHIND[need.action]
                out += [
                    Need(
                        need.principal, a, keys[need.resource], f"{need.action} with a CMK", service
                    )
                    for a in actions
                ]
        return out


# -- the check --------------------------------------------------------------------


def allows(statement: dict[str, Any], action: str, resource: str, via: str | None) -> bool:
    """Whether one rendered statement grants ``action`` on ``resource`` (through ``via``)."""
    if statement.get("Effect") != "Allow":
        return False
    actions = statement.get("Action", [])
    if not any(iam_db.arn_matches(a.lower(), action.lower()) for a in actions):
        return False
    if not any(iam_db.arn_matches(r, resource) for r in statement.get("Resource", [])):
        return False
    if via is not None:
        services = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
        if services is not None and not any(s.startswith(f"{via}.") for s in services):
            return False
    return True


def grant_problems(deployment: Deployment) -> list[str]:
    """Needs not granted, grants no need uses, and "*" where the action has a resource type."""
    problems: list[str] = []
    needs = deployment.needs()
    for principal, policies in deployment.policies().items():
        statements = [s for p in policies for s in p["Statement"]]
        mine = [n for n in needs if n.principal == principal]
        for need in mine:
            if not any(allows(s, need.action, need.resource, need.via) for s in statements):
                problems.append(
                    f"{principal}: {need.action} on {need.resource} not granted ({need.why})"
                )
        for statement in statements:
            if statement.get("Effect") != "Allow":
                continue
            sid = statement.get("Sid", "?")
            via = statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
            if any(a.startswith("kms:") for a in statement.get("Action", [])) and not via:
                problems.append(f"{principal}/{sid}: KMS use without a kms:ViaService condition")
            for action in statement.get("Action", []):
                if "*" in action:
                    problems.append(f"{principal}/{sid}: wildcard action {action}")
                    continue
                used = [n for n in mine if n.action == action]
                if not used:
                    problems.append(f"{principal}/{sid}: {action} is granted but no call needs it")
                    continue
                if "*" in statement.get("Resource", []) and iam_db.action(action).has_resource_type:
                    problems.append(
                        f"{principal}/{sid}: {action} on * although it has a resource type"
                    )
            for resource in statement.get("Resource", []):
                serves = [
                    n
                    for n in mine
                    if n.action in statement.get("Action", [])
                    and iam_db.arn_matches(resource, n.resource)
                ]
                if not serves:
                    problems.append(f"{principal}/{sid}: resource {resource} serves no need")
    return problems


def lint(policy: dict[str, Any]) -> list[str]:
    """parliament's findings on one policy, as text."""
    from parliament import analyze_policy_string

    analysed = analyze_policy_string(json.dumps(policy))
    return [f"{f.issue}: {f.detail}" for f in analysed.findings]
