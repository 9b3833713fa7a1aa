"""The Lambda package: what it holds, that it is reproducible, that the runtime can run it."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

from tools import lambda_zip

REPO = Path(__file__).resolve().parents[2]
#: What the Lambda Python runtime provides beside the standard library.
RUNTIME = {"boto3", "botocore", "urllib3"}


def test_the_zip_holds_every_module_and_nothing_else(tmp_path):
    out = tmp_path / "store-tokens.zip"
    names = lambda_zip.build(out)
    on_disk = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "store_tokens").glob("*.py"))
    assert names == on_disk
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == on_disk
        assert "store_tokens/handler.py" in archive.namelist()


def test_the_zip_is_reproducible(tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    lambda_zip.build(first)
    lambda_zip.build(second)
    assert first.read_bytes() == second.read_bytes()


def test_modules_import_only_the_standard_library_and_the_runtime(tmp_path):
    out = tmp_path / "store-tokens.zip"
    lambda_zip.build(out)
    imported: set[str] = set()
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            tree = ast.parse(archive.read(name))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    imported.add(node.module.split(".")[0])
    outside = imported - sys.stdlib_module_names - RUNTIME - {"store_tokens"}
    assert outside == set(), outside


def test_the_handler_loads_from_the_zip_alone(tmp_path):
    out = tmp_path / "store-tokens.zip"
    lambda_zip.build(out)
    # Like the runtime: the package comes from the zip, not from this checkout.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import store_tokens.handler as h; print(h.__file__); print(callable(h.handle))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", script, str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    where, is_callable = result.stdout.split()
    assert where.startswith(str(out)) and is_callable == "True"


def test_make_builds_it_before_plan_and_apply():
    database = subprocess.run(
        ["make", "-C", str(REPO), "-pq", "--no-print-directory", "plan"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    rules = {
        line.split(":", 1)[0]: line.split(":", 1)[1].split()
        for line in database.splitlines()
        if line[:1].isalpha() and ":" in line and not line.startswith(("#", "\t"))
    }
    assert "store-tokens-zip" in rules["plan"]
    assert "store-tokens-zip" in rules["apply"]
    assert "build/lambda/store-tokens.zip" in rules["store-tokens-zip"]
