"""What the wheel of the ingest image ships: the job's own modules, no test or developer tool.

The shipped modules are found the way setuptools finds them when it builds the
wheel, from ``[tool.setuptools.packages.find]`` in pyproject.toml. Every one of
them must be imported, directly or not, by a console script of the package: a
module nothing in the job imports (a test helper, a launcher, a generator)
belongs in ``tools/`` or ``tests/``.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterable
from pathlib import Path

import setuptools

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
FIND = PROJECT["tool"]["setuptools"]["packages"]["find"]


def shipped_modules(find: dict) -> set[str]:
    """Dotted names of the modules a wheel built with these ``packages.find`` options holds."""
    # In pyproject.toml, packages.find looks for namespace packages unless told not to.
    finder = (
        setuptools.find_namespace_packages
        if find.get("namespaces", True)
        else setuptools.find_packages
    )
    (where,) = find.get("where", ["."])
    base = ROOT / where
    packages = finder(
        where=str(base), include=find.get("include", ["*"]), exclude=find.get("exclude", [])
    )
    modules = set()
    for package in packages:
        for path in base.joinpath(*package.split(".")).glob("*.py"):
            modules.add(package if path.stem == "__init__" else f"{package}.{path.stem}")
    return modules


def with_parents(names: Iterable[str]) -> set[str]:
    """The names and every package above them: importing a module runs each of them."""
    return {".".join(n.split(".")[:end]) for n in names for end in range(1, n.count(".") + 2)}


def imports_of(module: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``module`` imports anywhere in its code."""
    path = ROOT.joinpath(*module.split("."))
    source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # ``from package import name`` loads the submodule when ``name`` is one.
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return with_parents(found) & known


def reachable(entries: Iterable[str], known: set[str]) -> set[str]:
    """Every module of ``known`` that importing the ``entries`` loads."""
    seen: set[str] = set()
    todo = list(with_parents(entries) & known)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += imports_of(module, known) - seen
    return seen


def entry_modules() -> list[str]:
    """Modules of the console scripts (``[project.scripts]``: ``module:function``)."""
    return [target.split(":")[0] for target in PROJECT["project"]["scripts"].values()]


def test_the_wheel_ships_the_ingest_package_and_no_tool_or_test_package():
    modules = shipped_modules(FIND)
    assert "ingest.cli" in modules and "ingest.sinks.timestream.sink" in modules
    # Both folders are packages the finder would take if the options let it.
    assert (ROOT / "tools" / "__init__.py").is_file() and (ROOT / "tests" / "__init__.py").is_file()
    assert {m.split(".")[0] for m in modules} == {"ingest"}


def test_every_shipped_module_is_part_of_the_job():
    modules = shipped_modules(FIND)
    assert entry_modules() == ["ingest.cli"]
    assert modules - reachable(entry_modules(), modules) == set()


def test_a_module_the_job_never_imports_is_found():
    """With every package of the repository in the wheel, the developer tools stand out."""
    everything = shipped_modules({"include": ["ingest*", "tools*", "tests*"]})
    unused = everything - reachable(entry_modules(), everything)
    assert {"tools.local_influxdb", "tools.synthetic", "tests.conftest"} <= unused
    assert not any(m.startswith("ingest") for m in unused)
