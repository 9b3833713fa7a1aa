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

from tests.dashboard.conftest import ROOT

with warnings.catch_warnings():
    # The SDK points new code at Grafana's v2 dashboard schema; provisioned
    # dashboard files are still the classic (v1) model checked here.
    warnings.filterwarnings("ignore", "Prefer using dashboardv2", DeprecationWarning)
    from grafana_foundation_sdk.models import common, geomap, stat, table, text, timeseries, units
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


#: Field options of Grafana 12's table that the pinned grafana-foundation-sdk
#: (0.0.21, and its newest build for Grafana "next", 1769699241) predates: the
#: per-field footer that replaced the panel's ``options.footer`` in Grafana 12.
#: From Grafana's own schema, @grafana/schema 12.3.1 (npm, by Grafana Labs),
#: dist/types/common/common.gen.d.ts: ``TableFieldOptions.footer?:
#: TableFooterOptions``, ``TableFooterOptions { reducers?: Array<string> }``;
#: and Grafana's table migration (public/app/plugins/panel/table/migrations.ts,
#: ``migrateFooterV2``), which moves an old footer to
#: ``fieldConfig.defaults.custom.footer.reducers``, ``["countAll"]`` for a row count.
#: Shape: key -> nested shape, or the type of the value.
NEWER_THAN_THE_SDK: dict[str, dict[str, Any]] = {"table": {"footer": {"reducers": list}}}


def split_newer(kind: str, custom: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``custom`` without the options of :data:`NEWER_THAN_THE_SDK`, and what of them is amiss."""
    shape = NEWER_THAN_THE_SDK.get(kind, {})
    rest = {k: v for k, v in custom.items() if k not in shape}
    return rest, [
        problem
        for key in shape.keys() & custom.keys()
        for problem in _misfit(custom[key], shape[key], f"/{key}")
    ]


def _misfit(value: Any, shape: Any, path: str) -> list[str]:
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [path]
        unknown = [f"{path}/{k}" for k in value if k not in shape]
        return unknown + [
            p
            for k in value.keys() & shape.keys()
            for p in _misfit(value[k], shape[k], f"{path}/{k}")
        ]
    if not isinstance(value, shape) or (
        shape is list and not all(isinstance(v, str) for v in value)
    ):
        return [path]
    return []


def test_the_newer_table_footer_is_accepted_and_a_misspelling_is_not():
    good = {"filterable": True, "footer": {"reducers": ["countAll"]}}
    assert split_newer("table", good) == ({"filterable": True}, [])
    # The pre-12 footer's key inside the new place, a misspelled key, a wrong type.
    assert split_newer("table", {"footer": {"reducer": ["countAll"]}})[1] == ["/footer/reducer"]
    assert split_newer("table", {"footer": {"reducers": "countAll"}})[1] == ["/footer/reducers"]
    rest, _ = split_newer("table", {"footr": {"reducers": ["countAll"]}})
    assert lost_keys(rest, round_trip(table.FieldConfig, rest)) == ["/footr"]
    # Only the table has it.
    rest, _ = split_newer("timeseries", good)
    assert lost_keys(rest, round_trip(timeseries.FieldConfig, rest)) == ["/filterable", "/footer"]


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
            known, amiss = split_newer(panel["type"], custom)
            assert amiss == [], panel["title"]
            assert lost_keys(known, round_trip(module.FieldConfig, known)) == [], panel["title"]


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


def _units_in(node: Any) -> list[str]:
    """Every unit id of a dashboard: ``unit`` settings and ``unit`` override properties."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("unit"), str):
            found.append(node["unit"])
        if node.get("id") == "unit" and isinstance(node.get("value"), str):
            found.append(node["value"])
        for value in node.values():
            found += _units_in(value)
    elif isinstance(node, list):
        for value in node:
            found += _units_in(value)
    return found


GRAFANA_UNITS = {v for k, v in vars(units).items() if not k.startswith("_") and isinstance(v, str)}


def test_units_are_grafana_unit_ids(board):
    used = set(_units_in(board["panels"]))
    assert {"conμgm3", "celsius", "humidity"} <= used
    assert used <= GRAFANA_UNITS
    assert "ugm3" not in GRAFANA_UNITS  # a made-up id is not in the list


def test_the_pressure_unit_is_the_unit_the_feed_reports():
    """The bundled sample is real Sensor.Community data: its pressure is about 1e5, in Pa."""
    from dashboard.panels import UNITS

    sample = json.loads((ROOT / "ingest" / "sample" / "data.json").read_text())
    pressures = [
        float(v["value"])
        for record in sample
        for v in record["sensordatavalues"]
        if v["value_type"] == "pressure"
    ]
    assert pressures and 80_000 < sorted(pressures)[len(pressures) // 2] < 110_000
    assert UNITS["pressure"] == units.Pascals
