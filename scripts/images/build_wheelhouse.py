"""Builds the wheelhouse the ingest image installs from, offline, with hashes.

The folder holds this repository's wheel and every pinned runtime dependency for
one target architecture, plus ``requirements.txt`` naming each wheel by exact
version and sha256. The image runs ``pip install --no-index --require-hashes``
against it, so what is installed is exactly what was built here.

Wheels are built for the controller first (pip reuses its wheel cache, so the
large pure-python pyspark wheel is built once per machine). For another target
architecture, every wheel that is not pure python is swapped for the matching
manylinux binary wheel from the index.

Usage: build_wheelhouse.py --arch {amd64,arm64} --out DIR
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.utils import parse_wheel_filename

REPO = Path(__file__).resolve().parents[2]

#: Debian 12 ships CPython 3.11: the image's venv runs it.
PYTHON_VERSION = "3.11"

#: manylinux platform tags for each Debian architecture (glibc 2.36 on Debian 12): pip
#: takes a wheel tagged with any of them (pyarrow ships manylinux_2_28 wheels only).
PLATFORMS = {
    "amd64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
}
MACHINES = {"x86_64": "amd64", "aarch64": "arm64"}


def pip(*args: str) -> None:
    """Runs pip of the interpreter running this script, echoing the command."""
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    print("+ pip " + " ".join(args), flush=True)
    subprocess.run(command, check=True)


def is_pure(wheel: Path) -> bool:
    """True when every tag of the wheel is platform independent."""
    _, _, _, tags = parse_wheel_filename(wheel.name)
    return all(tag.platform == "any" for tag in tags)


def swap_for_target(wheel: Path, arch: str, dest: Path) -> Path:
    """Replaces a binary wheel with the same release built for ``arch``."""
    name, version, _, _ = parse_wheel_filename(wheel.name)
    with tempfile.TemporaryDirectory() as tmp:
        pip(
            "download",
            "--no-deps",
            "--only-binary=:all:",
            *(option for tag in PLATFORMS[arch] for option in ("--platform", tag)),
            "--python-version",
            PYTHON_VERSION,
            "--implementation",
            "cp",
            "--dest",
            tmp,
            f"{name}=={version}",
        )
        (downloaded,) = Path(tmp).glob("*.whl")
        target = dest / downloaded.name
        shutil.move(downloaded, target)
    wheel.unlink()
    return target


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_requirements(wheelhouse: Path) -> Path:
    """Writes ``requirements.txt``: one ``name==version --hash=sha256:...`` line per wheel."""
    lines = []
    for wheel in sorted(wheelhouse.glob("*.whl")):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        lines.append(f"{name}=={version} --hash=sha256:{sha256(wheel)}")
    requirements = wheelhouse / "requirements.txt"
    requirements.write_text("\n".join(lines) + "\n")
    return requirements


def source_files(repo: Path = REPO) -> list[str]:
    """The files of the working tree git tracks or would track (nothing it ignores)."""
    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
    ).stdout.decode()
    return sorted(name for name in listed.split("\0") if name and (repo / name).is_file())


def copy_source(dest: Path, repo: Path = REPO) -> Path:
    """A clean copy of the source tree to build the wheel from.

    setuptools never empties the checkout's ``build/lib``: a wheel built in place
    would ship modules deleted since an earlier build.
    """
    for name in source_files(repo):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / name, target)
    return dest


def build(arch: str, out: Path) -> Path:
    """Builds the wheelhouse for ``arch`` into ``out`` (replacing its content)."""
    host = MACHINES.get(platform.machine())
    if host is None:
        raise SystemExit(f"unsupported build machine {platform.machine()}")
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="aqi-wheel-source-") as source:
        pip("wheel", "--wheel-dir", str(staging), str(copy_source(Path(source))))
    if arch != host:
        for wheel in sorted(staging.glob("*.whl")):
            if not is_pure(wheel):
                swap_for_target(wheel, arch, staging)
    write_requirements(staging)
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(PLATFORMS), required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    wheelhouse = build(args.arch, args.out.resolve())
    wheels = sorted(wheelhouse.glob("*.whl"))
    print(f"wheelhouse {wheelhouse}: {len(wheels)} wheels for {args.arch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
