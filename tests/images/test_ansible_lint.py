"""The playbooks pass ansible-lint's production profile (offline) and Ansible's syntax check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import image_hosts
import pytest

ANSIBLE = image_hosts.REPO / "ansible"
BIN = Path(sys.executable).parent


def ansible_lint(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ansible-lint"), "--offline", "--nocolor"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"},
        check=False,
    )


def test_roles_pass_the_production_profile():
    result = ansible_lint(ANSIBLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


def test_lint_rejects_a_short_module_name(tmp_path):
    copy = tmp_path / "ansible"
    shutil.copytree(ANSIBLE, copy)
    tasks = copy / "roles" / "ingest" / "tasks" / "main.yml"
    tasks.write_text(tasks.read_text().replace("ansible.builtin.group:", "group:", 1))
    result = ansible_lint(copy)
    assert result.returncode != 0
    assert "fqcn" in result.stdout + result.stderr


@pytest.mark.parametrize("playbook", ["ingest.yml", "grafana.yml"])
def test_playbooks_pass_the_syntax_check(playbook):
    result = subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "--syntax-check",
            "-i",
            "inventories/rehearsal.yml",
            playbook,
        ],
        cwd=ANSIBLE,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg")},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
