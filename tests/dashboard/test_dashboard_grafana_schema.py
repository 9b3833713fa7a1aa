"""Every option key and enumerated value of the dashboards, against Grafana's generated models.

grafana-foundation-sdk (by Grafana Labs) carries Python models generated from
Grafana's own schema for the dashboard and each panel's options. Their
``from_json`` keeps only the keys a model knows, so a round trip that loses a
key reveals an option Grafana would ignore (a misspelling, a removed setting).
Settings with a fixed set of values are checked against the models' enums.
Parts the schema leaves untyped (targets, geomap layer ``config``) are not
covered here; the query tests cover the targets.
"""

from __future__ import annotations

import enum
import json
import warnings
from typing import Any

import pytest
from grafana_foundation_sdk.cog.encoder import JSONEncoder

with warnings.catch_warnings():
    # The SDK points new code at Grafana's v2 dashboard schema; provisioned
    # dashboard files are still the classic (v1) model checked here.
    warnings.filterwarnings("ignore", "Prefer using dashboardv2", DeprecationWarning)
    from grafana_foundation_sdk.models import common, geomap, stat, table, text, timeseries
    from grafana_foundation_sdk.models import dashboard as model

PANEL_MODELS: dict[str, Any] = {
    "stat": stat,
    "geomap": geomap,
    "table": table,
    "timeseries": timeseries,
    "text": text,
}


def round_trip(cls: Any, data: dict[str, Any]) -> Any:
    return json.loads(json.dumps(cls.from_json(data), cls=JSONEncoder))


def lost_keys(original: Any, kept: Any, path: str = "") -> list[str]:
    """Keys of ``original`` missing from ``kept``, recursively."""
    lost = []
    if isinstance(original, dict):
        for key, value in original.items():
            if not isinstance(kept, dict) or key not in kept:
                lost.append(f"{path}/{key}")
            else:
                lost += lost_keys(value, kept[key], f"{path}/{key}")
    elif isinstance(original, list) and isinstance(kept, list):
        for i, (a, b) in enumerate(zip(original, kept, strict=False)):
            lost += lost_keys(a, b, f"{path}[{i}]")
    return lost


def values_of(kind: type[enum.Enum]) -> set[Any]:
    return {member.value for member in kind}


@pytest.fixture(params=["influxdb", "timestream"])
def board(request, committed) -> dict[str, Any]:
    return committed[request.param]


def test_lost_keys_finds_a_misspelled_option():
    options = {"colourMode": "background", "reduceOptions": {"calcs": ["mean"], "fieldz": ""}}
    assert lost_keys(options, round_trip(stat.Options, options)) == [
        "/colourMode",
        "/reduceOptions/fieldz",
    ]


def test_dashboard_keys_are_known_to_grafana(board):
    skeleton = {**board, "panels": [{"type": p["type"], "id": p["id"]} for p in board["panels"]]}
    assert lost_keys(skeleton, round_trip(model.Dashboard, skeleton)) == []
    for panel in board["panels"]:
        bare = {k: v for k, v in panel.items() if k not in ("options", "fieldConfig", "targets")}
        assert lost_keys(bare, round_trip(model.Panel, bare)) == [], panel["title"]


def test_panel_options_and_field_config_are_known_to_grafana(board):
    for panel in board["panels"]:
        module = PANEL_MODELS[panel["type"]]
        options = panel["options"]
        assert lost_keys(options, round_trip(module.Options, options)) == [], panel["title"]
        if "fieldConfig" not in panel:
            continue
        config = panel["fieldConfig"]
        kept = round_trip(model.FieldConfigSource, config)
        assert [k for k in lost_keys(config, kept) if "/custom" not in k] == [], panel["title"]
        custom = config["defaults"].get("custom")
        if custom:
            assert lost_keys(custom, round_trip(module.FieldConfig, custom)) == [], panel["title"]


def test_enumerated_settings_take_values_grafana_knows(board):
    assert board["graphTooltip"] in values_of(model.DashboardCursorSync)
    for variable in board["templating"]["list"]:
        assert variable["type"] in values_of(model.VariableType)
        assert variable["hide"] in values_of(model.VariableHide)
        if variable["type"] == "query":
            assert variable["refresh"] in values_of(model.VariableRefresh)
            assert variable["sort"] in values_of(model.VariableSort)
    for panel in board["panels"]:
        defaults = panel.get("fieldConfig", {}).get("defaults", {})
        if "color" in defaults:
            assert defaults["color"]["mode"] in values_of(model.FieldColorModeId)
        if "thresholds" in defaults:
            assert defaults["thresholds"]["mode"] in values_of(model.ThresholdsMode)
        for mapping in defaults.get("mappings", []):
            assert mapping["type"] in values_of(model.MappingType)
        _check_panel_enums(panel)


def _check_panel_enums(panel: dict[str, Any]) -> None:
    options, kind = panel["options"], panel["type"]
    custom = panel.get("fieldConfig", {}).get("defaults", {}).get("custom", {})
    if kind == "stat":
        assert options["colorMode"] in values_of(common.BigValueColorMode)
        assert options["graphMode"] in values_of(common.BigValueGraphMode)
        assert options["justifyMode"] in values_of(common.BigValueJustifyMode)
        assert options["textMode"] in values_of(common.BigValueTextMode)
        assert options["orientation"] in values_of(common.VizOrientation)
    elif kind == "timeseries":
        assert custom["drawStyle"] in values_of(common.GraphDrawStyle)
        assert custom["showPoints"] in values_of(common.VisibilityMode)
        assert options["legend"]["displayMode"] in values_of(common.LegendDisplayMode)
        assert options["legend"]["placement"] in values_of(common.LegendPlacement)
        assert options["tooltip"]["mode"] in values_of(common.TooltipDisplayMode)
        assert options["tooltip"]["sort"] in values_of(common.SortOrder)
    elif kind == "table":
        assert options["cellHeight"] in values_of(common.TableCellHeight)
        assert custom["align"] in values_of(common.FieldTextAlignment)
    elif kind == "geomap":
        assert options["tooltip"]["mode"] in values_of(geomap.TooltipMode)
        assert options["view"]["id"] in values_of(geomap.MapCenterID)
        for layer in options["layers"]:
            assert layer["location"]["mode"] in values_of(common.FrameGeometrySourceMode)
            style = layer["config"]["style"]
            assert style["text"]["mode"] in values_of(common.TextDimensionMode)
    elif kind == "text":
        assert options["mode"] in values_of(text.TextMode)


def test_schema_version_is_not_newer_than_grafanas_models(board):
    assert board["schemaVersion"] <= model.Dashboard().schema_version
