"""The module READMEs and the deployment guide match the code and the Makefile."""

from __future__ import annotations

import re

from tools import terraform_docs

from .conftest import REPO, TERRAFORM


def test_every_module_readme_tables_match_the_code(tree) -> None:
    stale = []
    for path, module in tree.items():
        text = (path / "README.md").read_text()
        if terraform_docs.render(text, module) != text or terraform_docs.BEGIN not in text:
            stale.append(path.relative_to(TERRAFORM).as_posix())
    assert stale == [], "run `make terraform-docs`"


def test_readme_check_notices_an_undocumented_variable(tree) -> None:
    module = tree[TERRAFORM / "modules" / "store"]
    text = (module.path / "README.md").read_text()
    assert "`magnetic_retention_days`" in text
    trimmed = (
        "\n".join(line for line in text.splitlines() if "`magnetic_retention_days`" not in line)
        + "\n"
    )
    assert terraform_docs.render(trimmed, module) != trimmed


def deployment_guide() -> str:
    """The deployment guide."""
    return (REPO / "docs" / "deployment.md").read_text()


def test_deployment_guide_uses_the_make_targets_that_exist() -> None:
    guide = deployment_guide()
    makefiles = "".join(
        p.read_text() for p in [REPO / "Makefile", *sorted((REPO / "mk").glob("*.mk"))]
    )
    used = set(re.findall(r"`make ([a-z-]+)", guide))
    assert {"ami", "plan", "apply", "destroy", "test"} <= used
    defined = set(re.findall(r"^([a-z-]+):", makefiles, re.M))
    assert used <= defined
    assert "terraform.tfvars.example" in guide and (TERRAFORM / "terraform.tfvars.example").exists()


def test_guide_names_every_root_variable_it_tells_users_to_set(root) -> None:
    guide = deployment_guide()
    mentioned = set(re.findall(r"`([a-z_]+) = ", guide))
    assert mentioned, "the guide shows no variable settings"
    assert mentioned <= set(root.variables)
