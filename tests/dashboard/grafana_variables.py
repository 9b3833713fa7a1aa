"""What Grafana's frontend (Grafana 12, dashboards as Scenes) does with query variables.

Written from @grafana/scenes (packages/scenes/src/variables/):

- Options (``variants/query/utils.ts``, ``metricNamesToVariableValues``): each
  value the query returns goes through the variable's regex; with the named
  groups ``value`` and ``text`` they give the option's value and label (one
  stands in for the other when only one exists); values the regex does not match
  are dropped; options are deduplicated by value, then sorted (sort 5: by
  label, case-insensitive).
- The value a dashboard opens with (``variants/MultiValueVariable.ts``,
  ``getStateUpdateGivenNewOptions``): a multi-value variable keeps the saved
  values its options list; when it lists none of them, or has no option at
  all, a variable with All falls back to All (``getDefaultMultiState``:
  ``defaultToAll``, which Grafana sets from ``includeAll`` when it turns the
  saved dashboard into a scene).
- Formats: ``${name:sqlstring}`` quotes each value (quotes doubled) and joins
  them with commas; All with a custom ``allValue`` is that text unformatted
  (``CustomAllValue.formatter``), except for the ``text`` format.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ALL = "$__all"
ALL_TEXT = "All"


def js_regex(grafana: str) -> re.Pattern[str]:
    """A Grafana variable regex ``/.../`` in Python (JavaScript's named groups are ``(?<n>``)."""
    body = grafana[1 : grafana.rindex("/")]
    return re.compile(body.replace("(?<", "(?P<"))


@dataclass(frozen=True)
class Option:
    text: str
    value: str


def options(values: list[str], regex: str = "", sort: int = 0) -> list[Option]:
    """The menu Grafana builds from what a variable query returned."""
    pattern = js_regex(regex) if regex else None
    found: list[Option] = []
    for raw in values:
        text = value = str(raw)
        if pattern is not None:
            match = pattern.search(value)
            if match is None:
                continue
            named_value, named_text = match.groupdict().get("value"), match.groupdict().get("text")
            if named_value or named_text:
                value = str(named_value or named_text)
                text = str(named_text or named_value)
            elif match.groups():
                text = value = match.group(1)
        if all(o.value != value for o in found):
            found.append(Option(text, value))
    if sort == 5:
        found.sort(key=lambda o: o.text.lower())
    elif sort != 0:
        raise AssertionError(f"sort {sort} is not modelled here")
    return found


def opened_value(saved: list[str], listed: list[Option], *, include_all: bool) -> list[str]:
    """The value of a multi-value variable once its options are loaded."""
    if saved == [ALL] and include_all:
        return [ALL]
    valid = [v for v in saved if any(o.value == v for o in listed)]
    if valid:
        return valid
    if include_all:
        return [ALL]
    return [listed[0].value] if listed else []


def opened_chain(
    variables: dict[str, dict[str, Any]],
    names: tuple[str, ...],
    listed: Callable[[dict[str, Any], dict[str, list[str]]], list[Option]],
) -> dict[str, list[str]]:
    """The values chained variables open with, no value in the URL: each loads its
    options (``listed(variable, values chosen so far)``) in turn, outermost first."""
    chosen: dict[str, list[str]] = {}
    for name in names:
        variable = variables[name]
        options_now = listed(variable, chosen)
        saved = variable["current"]["value"]
        chosen[name] = opened_value(saved, options_now, include_all=variable["includeAll"])
    return chosen


def sqlstring(values: list[str], all_value: str) -> str:
    """``${name:sqlstring}`` of a multi-value variable."""
    if values == [ALL]:
        return all_value
    return ",".join("'" + v.replace("'", "''") + "'" for v in values)


def all_value(board: dict[str, Any]) -> str:
    """The ``allValue`` of a dashboard's variables with All (one for all of them)."""
    (value,) = {v["allValue"] for v in board["templating"]["list"] if v.get("includeAll")}
    return str(value)
