"""``make backfill-env`` and ``make backfill-aws``: the backfill as an EMR Serverless job run.

EMR Serverless brings Spark 4 and Amazon Linux 2023's Python 3.11 on arm64; the
job needs only this repository's ``ingest`` package and its runtime dependencies
besides. ``pack`` installs those as wheels for that platform (``pip install
--target --platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64
--python-version 3.11 --only-binary=:all:``, pyspark left out: the release has its own), copies the
package beside them and archives the folder as ``pyenv.tar.gz``; the
application unpacks it as ``./pyenv`` on the driver and every executor and puts
it on ``PYTHONPATH`` (terraform/modules/backfill). ``submit`` reads the stack's
outputs, uploads the archive and the entry point, and starts a job run.

    python -m tools.backfill_aws pack --out build/backfill
    python -m tools.backfill_aws submit --build build/backfill --from 2024-01-01 --to 2024-01-31
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
#: The job's platforms: EMR Serverless arm64 workers, Amazon Linux 2023's CPython 3.11.
#: Its glibc 2.34 runs wheels of either tag (pyarrow ships manylinux_2_28 wheels only).
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
PYTHON_VERSION = "3.11"
#: Provided by the EMR release, never packed.
PROVIDED = ("pyspark",)
ENVIRONMENT = "pyenv.tar.gz"
ENTRY_POINT = "backfill_job.py"
ENTRY_POINT_TEXT = '''"""EMR Serverless entry point: aqi-ingest backfill with the job run's arguments."""

import sys

from ingest.cli import main

sys.exit(main(["backfill", *sys.argv[1:]]))
'''
#: Executor shape of a job run (EMR Serverless workers: 4 vCPU, 16 GB by default).
SPARK_PARAMETERS = (
    "--conf spark.executor.cores=4 --conf spark.executor.memory=12g "
    "--conf spark.driver.cores=2 --conf spark.driver.memory=6g "
    "--conf spark.dynamicAllocation.maxExecutors=16"
)


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    print("+ " + " ".join(command), flush=True)
    return subprocess.run(command, check=True, text=True, **kwargs)


def requirements() -> list[str]:
    """The pinned runtime dependencies of pyproject.toml that the job must bring."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [d for d in project["dependencies"] if not d.startswith(PROVIDED)]


def package_files() -> list[str]:
    """The files of ``ingest/`` git tracks or would track."""
    listed = subprocess.run(
        [
            "git",
            "-C",
            str(REPO),
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "ingest",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return sorted(n for n in listed.split("\0") if n.endswith(".py") and (REPO / n).is_file())


def pack(out: Path) -> Path:
    """Builds ``out/pyenv.tar.gz`` and ``out/backfill_job.py``; returns the archive."""
    folder = out / "pyenv"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    platform = [
        *(option for tag in PLATFORMS for option in ("--platform", tag)),
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
    ]
    run([*pip, "--target", str(folder), "--only-binary=:all:", *platform, *requirements()])
    for name in package_files():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    archive = out / ENVIRONMENT
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            if "__pycache__" not in path.parts:
                tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    (out / ENTRY_POINT).write_text(ENTRY_POINT_TEXT)
    print(f"packed {archive} ({archive.stat().st_size // 1024} KiB)")
    return archive


def outputs(terraform: str = "terraform") -> dict[str, Any]:
    """The root module's outputs (``terraform output -json``), values only."""
    text = run([terraform, "-chdir=terraform", "output", "-json"], capture_output=True).stdout
    return {name: item.get("value") for name, item in json.loads(text).items()}


def job_driver(stack: dict[str, Any], first: date, last: date, extra: list[str]) -> dict[str, Any]:
    """The ``--job-driver`` of a job run over ``first``..``last``."""
    bucket = stack["backfill_bucket"]
    arguments = [
        "--source",
        stack["backfill_archive_source"],
        "--from",
        first.isoformat(),
        "--to",
        last.isoformat(),
        "--sink",
        stack["ingest_sink_url"],
        "--state-dir",
        f"s3://{bucket}/state",
        "--master",
        "",  # the one EMR Serverless sets
        *extra,
    ]
    return {
        "sparkSubmit": {
            "entryPoint": f"s3://{bucket}/job/{ENTRY_POINT}",
            "entryPointArguments": arguments,
            "sparkSubmitParameters": SPARK_PARAMETERS,
        }
    }


def submit(
    build: Path, first: date, last: date, extra: list[str], terraform: str = "terraform"
) -> str:
    """Uploads the environment and entry point, starts a job run; returns its ID."""
    stack = outputs(terraform)
    if not stack.get("backfill_application_id"):
        raise SystemExit(
            "error: the stack has no backfill application: set backfill_enabled = true "
            "(and backfill_mirror_bucket) in terraform/terraform.tfvars, then make apply"
        )
    bucket = stack["backfill_bucket"]
    region = stack["backfill_application_arn"].split(":")[3]
    for name in (ENVIRONMENT, ENTRY_POINT):
        run(
            [
                "aws",
                "s3",
                "cp",
                "--only-show-errors",
                str(build / name),
                f"s3://{bucket}/job/{name}",
            ]
        )
    driver = build / "job-driver.json"
    driver.write_text(json.dumps(job_driver(stack, first, last, extra), indent=2))
    started = run(
        [
            "aws",
            "emr-serverless",
            "start-job-run",
            "--region",
            region,
            "--application-id",
            stack["backfill_application_id"],
            "--execution-role-arn",
            stack["backfill_job_role_arn"],
            "--name",
            f"backfill-{first.isoformat()}-{last.isoformat()}",
            "--job-driver",
            f"file://{driver}",
            "--output",
            "json",
        ],
        capture_output=True,
    )
    job = json.loads(started.stdout)["jobRunId"]
    print(
        f"job run {job} started; follow it with: aws emr-serverless get-job-run --region {region} "
        f"--application-id {stack['backfill_application_id']} --job-run-id {job}"
    )
    return str(job)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day YYYY-MM-DD: {text!r}") from None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    packing = commands.add_parser("pack", help="build pyenv.tar.gz and the entry point")
    packing.add_argument("--out", type=Path, required=True)
    submitting = commands.add_parser("submit", help="upload and start a job run")
    submitting.add_argument("--build", type=Path, required=True)
    submitting.add_argument("--from", dest="first", type=_day, required=True)
    submitting.add_argument("--to", dest="last", type=_day, required=True)
    submitting.add_argument("--terraform", default="terraform", help="the terraform command")
    args, extra = parser.parse_known_args(argv)
    if args.command == "pack":
        pack(args.out)
    else:
        if args.last < args.first:
            parser.error("--to is before --from")
        submit(args.build, args.first, args.last, extra, args.terraform)


if __name__ == "__main__":
    main()
