"""`make backfill-aws`: the packed environment and the exact aws command lines.

Recording stand-ins play ``terraform`` (the stack's outputs) and ``aws`` (it
logs its arguments and answers start-job-run). The pack step is real: pip
fetches the arm64 / CPython 3.11 wheels from the package index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from datetime import date
from pathlib import Path

import pytest

from tools import backfill_aws

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build" / "backfill"

OUTPUTS = {
    "backfill_application_id": "00fkq3abcd123456",
    "backfill_application_arn": "arn:aws:emr-serverless:eu-west-2:123456789012:/applications/00fkq3abcd123456",
    "backfill_job_role_arn": "arn:aws:iam::123456789012:role/aqi-backfill-20261201",
    "backfill_bucket": "aqi-backfill-20261201",
    "backfill_archive_source": "s3://aqi-archive-mirror/sensor-community",
    "ingest_sink_url": "influxdbs://aqi-abc.eu-west-2.timestream-influxdb.amazonaws.com:8086/aq",
}

TERRAFORM = """#!/bin/sh
echo "$*" >> "{log}"
[ "$*" = "-chdir=terraform output -json" ] && cat "{outputs}"
"""
AWS = """#!/bin/sh
echo "$*" >> "{log}"
case "$*" in
  *start-job-run*) echo '{{"applicationId": "00fkq3abcd123456", "jobRunId": "00fkq9jobrun0001"}}' ;;
esac
"""


def stand_ins(tmp_path: Path, outputs: dict) -> tuple[str, Path, Path]:
    folder = tmp_path / "bin"
    folder.mkdir()
    values = tmp_path / "outputs.json"
    values.write_text(json.dumps({k: {"value": v, "type": "string"} for k, v in outputs.items()}))
    terraform_log, aws_log = tmp_path / "terraform.log", tmp_path / "aws.log"
    for name, text, log in (("terraform", TERRAFORM, terraform_log), ("aws", AWS, aws_log)):
        script = folder / name
        script.write_text(text.format(log=log, outputs=values))
        script.chmod(0o755)
    return f"{folder}:{Path(sys.executable).parent}:/usr/bin:/bin", terraform_log, aws_log


def make(path: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("make") or "make", "--no-print-directory", "-C", str(REPO), *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "PATH": path},
    )


@pytest.fixture(scope="module")
def submitted(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("aws")
    path, terraform_log, aws_log = stand_ins(tmp, OUTPUTS)
    result = make(
        path,
        "backfill-aws",
        "FROM=2024-01-01",
        "TO=2024-01-31",
        "BACKFILL_ARGS=--types sds011,sps30",
    )
    return {"result": result, "terraform": terraform_log, "aws": aws_log}


@pytest.mark.slow
def test_the_job_run_is_submitted_with_the_stacks_outputs(submitted):
    result = submitted["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert submitted["terraform"].read_text().splitlines() == ["-chdir=terraform output -json"]
    bucket = OUTPUTS["backfill_bucket"]
    assert submitted["aws"].read_text().splitlines() == [
        f"s3 cp --only-show-errors build/backfill/pyenv.tar.gz s3://{bucket}/job/pyenv.tar.gz",
        f"s3 cp --only-show-errors build/backfill/backfill_job.py s3://{bucket}/job/backfill_job.py",
        "emr-serverless start-job-run --region eu-west-2 --application-id 00fkq3abcd123456 "
        f"--execution-role-arn {OUTPUTS['backfill_job_role_arn']} --name backfill-2024-01-01-2024-01-31 "
        "--job-driver file://build/backfill/job-driver.json --output json",
    ]
    assert "job run 00fkq9jobrun0001 started" in result.stdout
    driver = json.loads((BUILD / "job-driver.json").read_text())["sparkSubmit"]
    assert driver["entryPoint"] == f"s3://{bucket}/job/backfill_job.py"
    assert driver["entryPointArguments"] == [
        "--source",
        OUTPUTS["backfill_archive_source"],
        "--from",
        "2024-01-01",
        "--to",
        "2024-01-31",
        "--sink",
        OUTPUTS["ingest_sink_url"],
        "--state-dir",
        f"s3://{bucket}/state",
        "--master",
        "",
        "--types",
        "sds011,sps30",
    ]


ELF = b"\x7fELF"
EM_AARCH64 = 183


@pytest.mark.slow
def test_the_environment_holds_the_package_and_arm64_wheels_but_no_pyspark(submitted):
    assert submitted["result"].returncode == 0
    with tarfile.open(BUILD / "pyenv.tar.gz") as tar:
        names = tar.getnames()
        # Every ELF file (extension modules and the libraries wheels bundle) is
        # built for arm64: its header's e_machine is EM_AARCH64 (183).
        machines = {}
        for member in tar.getmembers():
            if member.isfile() and (head := tar.extractfile(member).read(20)).startswith(ELF):
                machines[member.name] = int.from_bytes(head[18:20], "little")
    tops = {n.split("/")[0] for n in names}
    assert {"ingest", "requests", "urllib3", "boto3", "botocore", "charset_normalizer"} <= tops
    assert {"pyarrow", "pandas", "numpy", "scipy", "reverse_geocode", "ijson", "orjson"} <= tops
    assert "ingest/archive/backfill.py" in names and "ingest/cli.py" in names
    assert not [t for t in tops if t.startswith("pyspark")]
    assert machines and {n for n, m in machines.items() if m != EM_AARCH64} == set()
    extensions = [n for n in machines if ".cpython-" in n]
    assert extensions and all(".cpython-311-aarch64-linux-gnu.so" in n for n in extensions)
    assert not [n for n in names if n.startswith("tests/") or n.startswith("tools/")]


@pytest.mark.slow
def test_the_entry_point_runs_the_backfill_command(submitted):
    entry = BUILD / "backfill_job.py"
    result = subprocess.run(
        [sys.executable, str(entry), "--from", "2024-01-31", "--to", "2024-01-01"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 2
    assert "aqi-ingest: error: --to (2024-01-01) is before --from (2024-01-31)" in result.stderr


def test_no_days_is_an_error_before_anything_runs(tmp_path):
    path, terraform_log, aws_log = stand_ins(tmp_path, OUTPUTS)
    result = make(path, "backfill-aws", "FROM=2024-01-01")
    assert result.returncode != 0
    assert "make backfill-aws FROM=YYYY-MM-DD TO=YYYY-MM-DD" in result.stderr
    assert not terraform_log.exists() and not aws_log.exists()


def test_a_stack_without_the_backfill_says_how_to_enable_it(tmp_path, monkeypatch):
    path, _, aws_log = stand_ins(tmp_path, {**OUTPUTS, "backfill_application_id": None})
    monkeypatch.setenv("PATH", path)
    with pytest.raises(SystemExit, match="set backfill_enabled = true"):
        backfill_aws.submit(tmp_path, date(2024, 1, 1), date(2024, 1, 2), [])
    assert not aws_log.exists()
