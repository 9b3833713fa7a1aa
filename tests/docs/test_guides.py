"""The README and the guides it links: short, linked, and true to the code."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from ingest import cli

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
GUIDES = [*sorted((REPO / "docs").glob("*.md")), REPO / "bench" / "README.md"]
#: Every Markdown file of the tree that git tracks or would track, for the link check.
DOCS = [
    REPO / name
    for name in subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if (REPO / name).is_file()
]

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} (.+)$", re.M)
_FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(h) for h in _HEADING.findall(_FENCE.sub("", path.read_text()))}


def broken_links(path: Path, text: str | None = None) -> list[str]:
    """Relative links of a Markdown file whose file or heading does not exist."""
    body = _FENCE.sub("", path.read_text() if text is None else text)
    broken = []
    for match in _LINK.finditer(body):
        target = match.group(1) or match.group(2)
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            broken.append(f"{target}: no file {resolved.relative_to(REPO)}")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    return broken


def test_readme_is_short() -> None:
    assert len(README.read_text().splitlines()) <= 200


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(doc: Path) -> None:
    assert broken_links(doc) == []


def test_a_broken_link_or_anchor_is_found() -> None:
    text = "[a](docs/nowhere.md) [b](docs/ingest.md#no-such-heading) [c](docs/ingest.md#stores)"
    assert broken_links(README, text) == [
        "docs/nowhere.md: no file docs/nowhere.md",
        "docs/ingest.md#no-such-heading: no heading #no-such-heading in ingest.md",
    ]


def test_readme_links_every_guide() -> None:
    linked = {
        (REPO / (m.group(1) or "").partition("#")[0]).resolve()
        for m in _LINK.finditer(README.read_text())
        if m.group(1)
    }
    assert [g.relative_to(REPO) for g in GUIDES if g.resolve() not in linked] == []


def test_make_targets_named_in_the_docs_exist() -> None:
    makefiles = "".join(
        p.read_text() for p in [REPO / "Makefile", *sorted((REPO / "mk").glob("*.mk"))]
    )
    defined = set(re.findall(r"^([a-z][a-z-]*):", makefiles, re.M))
    defined |= set(re.findall(r"^\$\(addprefix ([a-z-]+),\$\(TOOL_SETS\)\)", makefiles, re.M))
    tool_sets = re.search(r"^TOOL_SETS := (.+)$", makefiles, re.M)
    assert tool_sets
    defined |= {f"tools-{name}" for name in tool_sets.group(1).split()}
    used = {
        (doc.name, target)
        for doc in DOCS
        for target in re.findall(r"`make ([a-z][a-z-]*)", doc.read_text())
    }
    assert used, "the docs name no make target"
    assert sorted(u for u in used if u[1] not in defined) == []


def option_rows(text: str) -> dict[str, tuple[str, str]]:
    """`| `--x` | `AQI_X` | default ... |` rows: option -> (variable, default cell)."""
    return {
        option: (variable, default)
        for option, variable, default in re.findall(
            r"^\| `(--[a-z-]+)` \| `(AQI_[A-Z_]+)` \| (.+?) \|$", text, re.M
        )
    }


def option_mismatches(text: str) -> list[str]:
    """How a configuration table differs from the options `aqi-ingest run` really has."""
    documented = option_rows(text)
    problems = [
        f"{o} is not a run option" for o in documented if o not in {o[0] for o in cli.OPTIONS}
    ]
    for option, variable, default, _ in cli.OPTIONS:
        if option not in documented:
            problems.append(f"{option} is not documented")
        elif documented[option][0] != variable:
            problems.append(f"{option}: variable {documented[option][0]}, not {variable}")
        elif not documented[option][1].startswith(f"`{default}`"):
            problems.append(f"{option}: default {documented[option][1]}, not `{default}`")
    return problems


def test_configuration_reference_lists_every_run_option_with_its_default() -> None:
    text = (REPO / "docs" / "configuration.md").read_text()
    assert option_rows(text), "no option table in docs/configuration.md"
    assert option_mismatches(text) == []


def test_a_stale_option_table_is_found() -> None:
    text = (REPO / "docs" / "configuration.md").read_text()
    stale = text.replace(
        "| `--interval` | `AQI_INTERVAL` | `60`", "| `--interval` | `AQI_INTERVAL` | `30`"
    )
    assert stale != text
    assert option_mismatches(stale) == ["--interval: default `30` seconds, not `60`"]
