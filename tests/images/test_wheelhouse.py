"""The wheel the ingest image installs is built from the source tree as it is, nothing else."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "build_wheelhouse", REPO / "scripts" / "images" / "build_wheelhouse.py"
)
assert _spec and _spec.loader
wheelhouse = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wheelhouse)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_the_copy_leaves_out_what_git_ignores(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "ingest").mkdir(parents=True)
    (repo / "ingest" / "__init__.py").write_text("")
    (repo / ".gitignore").write_text("/build/\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    (repo / "ingest" / "new_module.py").write_text("")  # untracked, not ignored: kept
    stale = repo / "build" / "lib" / "ingest" / "deleted_module.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("")

    copy = wheelhouse.copy_source(tmp_path / "copy", repo)

    assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file()) == [
        ".gitignore",
        "ingest/__init__.py",
        "ingest/new_module.py",
    ]


def test_the_wheel_holds_exactly_the_modules_of_the_tree(tmp_path: Path) -> None:
    stale = REPO / "build" / "lib" / "ingest" / "module_deleted_long_ago.py"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("")
    try:
        source = wheelhouse.copy_source(tmp_path / "source")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "--wheel-dir",
                str(tmp_path / "wheels"),
                str(source),
            ],
            check=True,
            capture_output=True,
        )
    finally:
        stale.unlink()
    (wheel,) = (tmp_path / "wheels").glob("aqi_platform-*.whl")
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".py")}
    tree = {str(p.relative_to(REPO)) for p in (REPO / "ingest").rglob("*.py")}
    assert shipped == tree
