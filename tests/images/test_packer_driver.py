"""`make ami`'s Packer driver: the exact command lines it runs, with a recording
stand-in `packer` executable first on PATH (no Packer, no AWS account here)."""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import image_hosts
import pytest

from tools.hcl import packer as packer_config

REPO = image_hosts.REPO
FOLDER = str(REPO / "packer")
WHEELHOUSE = str(REPO / "build" / "wheelhouse" / "arm64")

STAND_IN = """#!{python}
import json, os, sys
with open(os.environ["PACKER_RECORD"], "a") as record:
    record.write(json.dumps(sys.argv[1:]) + "\\n")
with open(os.environ["PACKER_RECORD"] + ".path", "w") as record:
    record.write(os.environ["PATH"])
print("stand-in packer:", sys.argv[1])
if os.environ.get("PACKER_FAIL_ON") == " ".join(sys.argv[1:3]):
    print("Error: template is invalid", file=sys.stderr)
    sys.exit(1)
"""


def load_driver():
    path = REPO / "scripts" / "images" / "build_amis.py"
    spec = importlib.util.spec_from_file_location("build_amis", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


driver = load_driver()


@pytest.fixture
def packer_record(tmp_path, monkeypatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_in = bin_dir / "packer"
    stand_in.write_text(STAND_IN.format(python=sys.executable))
    stand_in.chmod(0o755)
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")
    monkeypatch.setenv("PACKER_RECORD", str(record))
    return record


def calls(record: Path) -> list[list[str]]:
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


def head_commit() -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_init_once_then_validate_both_images_then_build_each(packer_record, capfd):
    commit = head_commit()
    assert driver.main(["--region", "eu-west-2", "--allow-dirty", "--skip-wheelhouse"]) == 0
    common = ["-var", "region=eu-west-2", "-var", "version=0.1.0", "-var", f"git_commit={commit}"]
    ingest = ["-only=aqi.amazon-ebs.ingest", *common, "-var", f"wheelhouse={WHEELHOUSE}"]
    grafana = ["-only=aqi.amazon-ebs.grafana", *common]
    assert calls(packer_record) == [
        ["init", FOLDER],
        ["validate", *ingest, FOLDER],
        ["validate", *grafana, FOLDER],
        ["build", *ingest, FOLDER],
        ["build", *grafana, FOLDER],
    ]
    # Packer's output is streamed to the user as it comes.
    assert "stand-in packer: build" in capfd.readouterr().out


def test_build_never_passes_the_obsolete_parallel_flag(packer_record):
    driver.main(["--region", "us-east-1", "--images", "grafana", "--allow-dirty"])
    (build,) = [call for call in calls(packer_record) if call[0] == "build"]
    assert not [arg for arg in build if arg.startswith("-parallel")]


def test_options_become_packer_variables_and_var_file(packer_record, tmp_path):
    var_file = tmp_path / "site.pkrvars.hcl"
    var_file.write_text('subnet_id = "subnet-1"\n')
    driver.main(
        [
            "--region",
            "eu-west-1",
            "--images",
            "grafana",
            "--allow-dirty",
            "--instance-type",
            "t4g.medium",
            "--kms-key-id",
            "alias/images",
            "--var-file",
            str(var_file),
        ]
    )
    validate = calls(packer_record)[1]
    assert validate == [
        "validate",
        "-only=aqi.amazon-ebs.grafana",
        "-var",
        "region=eu-west-1",
        "-var",
        "version=0.1.0",
        "-var",
        f"git_commit={head_commit()}",
        "-var",
        "instance_type=t4g.medium",
        "-var",
        "kms_key_id=alias/images",
        f"-var-file={var_file}",
        FOLDER,
    ]


def test_an_invalid_image_stops_before_any_build(packer_record, monkeypatch):
    monkeypatch.setenv("PACKER_FAIL_ON", "validate -only=aqi.amazon-ebs.grafana")
    with pytest.raises(Exception, match=r"RAN: .*packer validate -only=aqi\.amazon-ebs\.grafana"):
        driver.main(["--region", "eu-west-2", "--allow-dirty", "--skip-wheelhouse"])
    assert [call[:2] for call in calls(packer_record)] == [
        ["init", FOLDER],
        ["validate", "-only=aqi.amazon-ebs.ingest"],
        ["validate", "-only=aqi.amazon-ebs.grafana"],
    ]


def test_each_only_pattern_selects_exactly_that_image_build():
    # Packer matches -only against the full build names, BUILD.TYPE.SOURCE.
    names = packer_config.load_folder(Path(FOLDER)).build_names()
    assert sorted(names) == sorted(f"aqi.amazon-ebs.{image}" for image in driver.IMAGES)
    for image in driver.IMAGES:
        assert [n for n in names if fnmatch.fnmatchcase(n, driver.only(image))] == [
            f"aqi.amazon-ebs.{image}"
        ]


def test_a_folder_without_templates_is_refused(tmp_path):
    with pytest.raises(OSError, match="no Packer template"):
        driver.HclPacker(tmp_path)


def test_missing_packer_is_reported_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit, match="install Packer"):
        driver.main(["--region", "eu-west-2", "--allow-dirty"])


def test_region_is_required(packer_record, monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(SystemExit):
        driver.main(["--allow-dirty"])
    assert calls(packer_record) == []


def test_packer_finds_the_venv_ansible_playbook(packer_record, monkeypatch):
    # The stand-in's PATH is the one Packer's ansible provisioner would search.
    monkeypatch.setenv("PATH", f"{packer_record.parent / 'bin'}:/usr/bin:/bin")
    driver.main(["--region", "eu-west-2", "--images", "grafana", "--allow-dirty"])
    path = Path(f"{packer_record}.path").read_text()
    found = shutil.which("ansible-playbook", path=path)
    assert found is not None
    assert Path(found).parent == Path(sys.executable).parent
