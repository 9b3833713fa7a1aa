"""Structure of the committed dashboards: regenerated as committed, valid for Grafana, one design."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
import yaml

from dashboard import generate
from dashboard.engines import ENGINES
from ingest import daqi
from tests.dashboard.conftest import PROVISIONING_DIR

#: Panel types this dashboard may use (all built into Grafana 11 and 12).
KNOWN_PANEL_TYPES = {"stat", "timeseries", "geomap", "table", "text"}
#: Grafana 11.0 writes schemaVersion 39; anything older would be migrated on load.
OLDEST_CURRENT_SCHEMA = 39
GRID_COLUMNS = 24
MEASURES = ["aqi", "pm25", "pm10", "temperature", "humidity", "pressure"]


def provisioned_datasources() -> dict[str, str]:
    """uid -> type of every provisioned datasource."""
    found = {}
    for path in sorted((PROVISIONING_DIR / "datasources").glob("*.yaml")):
        for source in yaml.safe_load(path.read_text())["datasources"]:
            found[source["uid"]] = source["type"]
    return found


def datasource_refs(board: dict[str, Any]) -> list[dict[str, str]]:
    refs = []
    for panel in board["panels"]:
        if "datasource" in panel:
            refs.append(panel["datasource"])
        refs += [t["datasource"] for t in panel.get("targets", [])]
    refs += [v["datasource"] for v in board["templating"]["list"] if "datasource" in v]
    return refs


@pytest.fixture(params=["influxdb", "timestream"])
def board(request, committed) -> dict[str, Any]:
    return committed[request.param]


def test_regenerating_gives_the_committed_files():
    for engine in ENGINES:
        assert generate.path_for(engine).read_text(encoding="utf-8") == generate.render(engine)
    assert generate.main(["--check"]) == 0


def test_check_mode_reports_a_stale_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(generate, "FOLDER", tmp_path)
    assert generate.main(["--check"]) == 1  # nothing generated there yet
    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0
    stale = generate.path_for(ENGINES[0])
    stale.write_text(stale.read_text().replace("Max AQI", "Maximum"))
    assert generate.main(["--check"]) == 1
    assert stale.name in capsys.readouterr().err


def test_panel_types_are_known(board):
    assert {p["type"] for p in board["panels"]} <= KNOWN_PANEL_TYPES


def test_grid_positions_fit_and_never_overlap(board):
    cells = []
    for panel in board["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["y"] >= 0 and pos["w"] > 0 and pos["h"] > 0, panel["title"]
        assert pos["x"] + pos["w"] <= GRID_COLUMNS, panel["title"]
        cells.append((panel["title"], pos))
    for (a, p), (b, q) in itertools.combinations(cells, 2):
        apart = (
            p["x"] + p["w"] <= q["x"]
            or q["x"] + q["w"] <= p["x"]
            or p["y"] + p["h"] <= q["y"]
            or q["y"] + q["h"] <= p["y"]
        )
        assert apart, f"{a} overlaps {b}"


def test_ids_are_unique(board):
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    names = [v["name"] for v in board["templating"]["list"]]
    assert len(names) == len(set(names))


def test_schema_version_is_current(board):
    assert board["schemaVersion"] >= OLDEST_CURRENT_SCHEMA


def test_every_datasource_reference_is_provisioned(board):
    provisioned = provisioned_datasources()
    refs = datasource_refs(board)
    assert refs
    for ref in refs:
        assert provisioned.get(ref["uid"]) == ref["type"], ref
    assert len({r["uid"] for r in refs}) == 1  # one engine per dashboard


def test_the_uids_of_the_two_dashboards_differ(committed):
    assert committed["influxdb"]["uid"] != committed["timestream"]["uid"]
    assert committed["influxdb"]["title"] == committed["timestream"]["title"]


def test_variables(board):
    variables = {v["name"]: v for v in board["templating"]["list"]}
    measure = variables["measure"]
    assert measure["type"] == "custom"
    assert [o["value"] for o in measure["options"]] == MEASURES
    assert measure["query"].split(",") == MEASURES
    assert measure["allowCustomValue"] is False
    for name in ("country", "place", "location"):  # the chained selection
        variable = variables[name]
        assert variable["type"] == "query" and variable["query"], name
        assert variable["multi"] and variable["includeAll"] and variable["allValue"], name
        assert variable["allowCustomValue"] is False, name  # values go into query text
        assert variable["refresh"] == 1, name  # on dashboard load only
    assert "(?<text>" in variables["location"]["regex"]
    assert "(?<value>" in variables["location"]["regex"]


def test_panels_cover_the_product(board):
    panels = {p["title"]: p for p in board["panels"]}
    assert panels["Max AQI"]["type"] == panels["Mean AQI"]["type"] == "stat"
    assert panels["Data freshness"]["type"] == "stat"
    assert panels["AQI map"]["type"] == "geomap"
    assert panels["DAQI bands and health advice"]["type"] == "text"
    evolution = next(p for t, p in panels.items() if t.startswith("Evolution of $measure"))
    table = next(p for t, p in panels.items() if t.startswith("Readings of $measure"))
    assert (evolution["type"], table["type"]) == ("timeseries", "table")
    assert table["fieldConfig"]["defaults"]["custom"]["filterable"] is True
    for panel in board["panels"]:  # every panel says which window it reads
        assert panel["description"], panel["title"]
        if panel.get("targets") and panel["title"] != "Data freshness":
            assert "24h" in panel["description"], panel["title"]


def test_daqi_panels_use_the_official_colours(board):
    official = [daqi.COLOURS[i] for i in range(1, daqi.MAX_INDEX + 1)]
    for title in ("Max AQI", "Mean AQI"):
        panel = next(p for p in board["panels"] if p["title"] == title)
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert [s["color"] for s in steps] == official, title
        # index i starts at i - 0.5: a mean rounds half up to its index, like a concentration
        assert [s["value"] for s in steps] == [None] + [i - 0.5 for i in range(2, 11)]
    layers = next(p for p in board["panels"] if p["type"] == "geomap")["options"]["layers"]
    assert [layer["name"] for layer in layers] == list(daqi.BAND_ORDER)  # the legend's names
    for layer in layers:  # each band in the colour of its highest index
        assert (
            layer["config"]["style"]["color"]["fixed"]
            == daqi.COLOURS[daqi.BAND_UPPER[layer["name"]]]
        )
        assert layer["filterData"] == {"id": "byRefId", "options": layer["name"]}
        assert layer["location"] == {
            "mode": "coords",
            "latitude": "latitude",
            "longitude": "longitude",
        }


def test_legend_gives_every_band_its_colours_and_advice(board):
    legend = next(p for p in board["panels"] if p["type"] == "text")["options"]["content"]
    for band in daqi.ADVICE:
        assert f"<b>{band}</b>" in legend
    for colour in daqi.COLOURS.values():
        assert f"background-color: {colour}" in legend
    assert "Reduce physical exertion" in legend


def test_freshness_turns_red_when_ingest_stalls(board):
    panel = next(p for p in board["panels"] if p["title"] == "Data freshness")
    defaults = panel["fieldConfig"]["defaults"]
    steps = defaults["thresholds"]["steps"]
    assert defaults["unit"] == "s"
    assert steps[0] == {"color": "red", "value": None}  # no value: nothing in the window
    assert steps[-1]["color"] == "red" and steps[-1]["value"] > steps[1]["value"] == 0


def _without_engine(board: dict[str, Any]) -> dict[str, Any]:
    """The dashboard minus what legitimately depends on the engine."""
    rest = copy.deepcopy(board)
    for key in ("uid", "description", "tags"):
        rest.pop(key)
    for panel in rest["panels"]:
        for key in ("datasource", "targets", "transformations"):
            panel.pop(key, None)
    for variable in rest["templating"]["list"]:
        for key in ("datasource", "query", "definition", "allValue"):
            variable.pop(key, None)
        if variable["name"] == "place":  # InfluxQL lists labels, read through a regex
            variable.pop("regex")
    return rest


def test_both_engines_share_one_design(committed):
    assert _without_engine(committed["influxdb"]) == _without_engine(committed["timestream"])
