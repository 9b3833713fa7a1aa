"""Builds the ingest and Grafana AMIs with Packer: ``make ami``.

packer/ is one Packer configuration (common.pkr.hcl, and images.pkr.hcl with one
build of one source per image); ``-only='aqi.amazon-ebs.<image>'`` selects one
image. Drives Packer through
python-packer: ``packer init`` once, ``packer validate`` for every image, then
``packer build`` for each in turn, so that no image is built while another one's
configuration is invalid. python-packer 0.1.2 predates HCL2: it takes one
template file, has no ``init``, its ``validate`` hides failures, and its
``build`` adds ``-parallel=true`` (a flag Packer no longer has) unless told not
to; ``HclPacker`` fills those gaps and nothing more.

Usage: build_amis.py --region REGION [--images ingest,grafana] [--var-file FILE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import packer  # python-packer

REPO = Path(__file__).resolve().parents[2]
PACKER_FOLDER = REPO / "packer"
IMAGES = ("ingest", "grafana")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_wheelhouse  # noqa: E402 - the sibling script, importable once its folder is on the path


class HclPacker(packer.Packer):  # type: ignore[misc]
    """python-packer's client, completed for HCL2 configuration folders."""

    def __init__(self, folder: Path, **options: Any) -> None:
        templates = sorted(folder.glob("*.pkr.hcl"))
        if not templates:
            raise OSError(f"no Packer template (*.pkr.hcl) in {folder}")
        # python-packer checks for a template file; Packer reads the whole folder.
        super().__init__(str(templates[0]), **options)
        self.packerfile = str(folder)

    def init(self) -> Any:
        """``packer init FOLDER``: installs the plugins the configuration requires."""
        self.packer_cmd = self.packer.init
        self._add_opt(self.packerfile)
        return self.packer_cmd()

    def validate(self, syntax_only: bool = False) -> Any:
        """``packer validate``; raises on an invalid configuration (the base class swallows it)."""
        self.packer_cmd = self.packer.validate
        self._add_opt("-syntax-only" if syntax_only else None)
        self._append_base_arguments()
        self._add_opt(self.packerfile)
        return self.packer_cmd()

    def build(
        self,
        parallel: bool = False,
        debug: bool = False,
        force: bool = False,
        machine_readable: bool = False,
    ) -> Any:
        """``packer build`` without python-packer's obsolete ``-parallel=true``."""
        return super().build(
            parallel=parallel, debug=debug, force=force, machine_readable=machine_readable
        )


def project_version() -> str:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    return str(pyproject["project"]["version"])


def git_commit(allow_dirty: bool) -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    if git("status", "--porcelain", "--untracked-files=no") and not allow_dirty:
        raise SystemExit(
            "the working tree has uncommitted changes: the GitCommit tag would not describe "
            "the image (commit first, or pass --allow-dirty)"
        )
    return git("rev-parse", "HEAD")


#: Name of the build block in packer/images.pkr.hcl; its sources are named by image.
BUILD = "aqi"


def only(image: str) -> str:
    """Packer's ``-only`` value of one image: the full name of its source in the build."""
    return f"{BUILD}.amazon-ebs.{image}"


def packer_client(
    image: str | None,
    variables: Mapping[str, str],
    var_file: str | None,
    executable: str,
) -> HclPacker:
    """A client for one image's build (``-only``), or for the whole folder (no image)."""
    return HclPacker(
        PACKER_FOLDER,
        only=[only(image)] if image else None,
        vars=dict(variables),
        var_file=var_file,
        exec_path=executable,
        # Binary file objects, not callbacks: sh 1.11 inspects callbacks with an
        # API Python 3.11 removed, and writes bytes. Packer's output streams through.
        out_iter=sys.stdout.buffer,
        err_iter=sys.stderr.buffer,
    )


def build_images(
    variables: Mapping[str, Mapping[str, str]], var_file: str | None, executable: str
) -> None:
    """init once, validate every image, then build each (``variables`` per image),
    printing Packer's output as it goes."""
    print("==> packer init", flush=True)
    packer_client(None, {}, None, executable).init()
    clients = {
        image: packer_client(image, image_variables, var_file, executable)
        for image, image_variables in variables.items()
    }
    for step in ("validate", "build"):
        for image, client in clients.items():
            print(f"==> {image}: packer {step}", flush=True)
            getattr(client, step)()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"))
    parser.add_argument("--images", default=",".join(IMAGES))
    parser.add_argument("--var-file", help="a .pkrvars.hcl file with more variables")
    parser.add_argument("--instance-type", help="t4g build instance type")
    parser.add_argument("--kms-key-id", help="KMS key encrypting the volumes and images")
    parser.add_argument("--subnet-id", help="subnet of the build instance")
    parser.add_argument("--packer", default="packer", help="Packer executable")
    parser.add_argument("--allow-dirty", action="store_true")
    parser.add_argument(
        "--skip-wheelhouse", action="store_true", help="reuse build/wheelhouse/arm64"
    )
    args = parser.parse_args(argv)
    if not args.region:
        parser.error("--region (or AWS_REGION) is required")
    images = [name for name in args.images.split(",") if name]
    unknown = sorted(set(images) - set(IMAGES))
    if unknown:
        parser.error(f"unknown image(s): {', '.join(unknown)}")
    if shutil.which(args.packer) is None:
        raise SystemExit(
            f"{args.packer!r} not found: install Packer >= 1.10 (https://developer.hashicorp.com/"
            "packer/install) and the AWS credentials of the target account"
        )
    # Packer runs ansible-playbook, and the suites run pytest, from this venv.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    variables = {
        "region": args.region,
        "version": project_version(),
        "git_commit": git_commit(args.allow_dirty),
    }
    for name in ("instance_type", "kms_key_id", "subnet_id"):
        if getattr(args, name):
            variables[name] = getattr(args, name)
    if "ingest" in images:
        wheelhouse = REPO / "build" / "wheelhouse" / "arm64"
        if not args.skip_wheelhouse:
            build_wheelhouse.build("arm64", wheelhouse)
        variables_ingest = {**variables, "wheelhouse": str(wheelhouse)}
    build_images(
        {image: variables_ingest if image == "ingest" else variables for image in images},
        args.var_file,
        args.packer,
    )
    print(f"manifest: {REPO / 'build' / 'packer' / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
