"""Inputs and outputs tables of each module's README, generated from the code.

`make terraform-docs` (`python -m tools.terraform_docs`) rewrites the part of
every README.md under terraform/ between the BEGIN/END markers; the tests fail
when a README differs from what this writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tools.hcl.terraform import Module, load_tree

BEGIN = "<!-- BEGIN_TF_TABLES -->"
END = "<!-- END_TF_TABLES -->"
TERRAFORM = Path(__file__).resolve().parents[1] / "terraform"


def _expression(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1]
    return text


def _default(spec: dict[str, Any]) -> str:
    if "default" not in spec:
        return "n/a"
    value = spec["default"]
    if value is None:
        return "`null`"
    if isinstance(value, str) and not value.startswith("${"):
        return f'`"{value}"`'
    return f"`{_expression(value)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def tables(module: Module) -> str:
    lines = [
        "### Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|---|---|---|---|:---:|",
    ]
    for name, spec in sorted(module.variables.items()):
        lines.append(
            f"| `{name}` | {_cell(spec.get('description', ''))} | `{_cell(_expression(spec['type']))}` "
            f"| {_cell(_default(spec))} | {'no' if 'default' in spec else 'yes'} |"
        )
    lines += ["", "### Outputs", "", "| Name | Description |", "|---|---|"]
    for name, spec in sorted(module.outputs.items()):
        lines.append(f"| `{name}` | {_cell(spec.get('description', ''))} |")
    return "\n".join(lines)


def render(readme: str, module: Module) -> str:
    """README text with the tables between the markers replaced."""
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{tables(module)}\n{END}{tail}"


def main() -> int:
    for path, module in load_tree(TERRAFORM).items():
        readme = path / "README.md"
        text = readme.read_text() if readme.exists() else f"# {path.name}\n\n{BEGIN}\n{END}\n"
        readme.write_text(render(text, module))
    return 0


if __name__ == "__main__":
    sys.exit(main())
