"""`make plan/apply/destroy` wrap terraform with the var file, and say clearly
what is missing. A recording stand-in plays terraform."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO

RECORDER = """#!/bin/sh
echo "$*" >> "{log}"
"""


def make(target: str, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path}
    return subprocess.run(
        [shutil.which("make") or "make", "--no-print-directory", "-C", str(REPO), target, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


@pytest.fixture
def fake_terraform(tmp_path: Path) -> tuple[str, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "terraform.log"
    script = bin_dir / "terraform"
    script.write_text(RECORDER.format(log=log))
    script.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin", log


@pytest.mark.parametrize("target", ["plan", "apply", "destroy"])
def test_missing_terraform_is_reported_clearly(target: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = make(target, f"{empty}:/usr/bin:/bin", "TERRAFORM=terraform-not-installed")
    assert result.returncode != 0
    assert "'terraform-not-installed' not found" in result.stderr
    assert "Terraform >= 1.11" in result.stderr


def test_missing_var_file_is_reported(fake_terraform) -> None:
    path, log = fake_terraform
    result = make("plan", path, "TF_VARS=does-not-exist.tfvars")
    assert result.returncode != 0
    assert "cp terraform/terraform.tfvars.example terraform/does-not-exist.tfvars" in result.stderr
    assert not log.exists()


@pytest.mark.parametrize(
    ("target", "verb"), [("plan", "plan"), ("apply", "apply"), ("destroy", "destroy")]
)
def test_targets_run_init_then_the_command_with_the_var_file(fake_terraform, target, verb) -> None:
    path, log = fake_terraform
    result = make(target, path, "TF_VARS=terraform.tfvars.example", "TF_ARGS=-lock-timeout=5m")
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == [
        "-chdir=terraform init -input=false",
        f"-chdir=terraform {verb} -input=false -var-file=terraform.tfvars.example -lock-timeout=5m",
    ]


def test_init_takes_the_backend_settings(fake_terraform) -> None:
    path, log = fake_terraform
    result = make("plan", path, "TF_VARS=terraform.tfvars.example", "TF_BACKEND_CONFIG=backend.hcl")
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines()[0] == (
        "-chdir=terraform init -input=false -backend-config=backend.hcl"
    )
