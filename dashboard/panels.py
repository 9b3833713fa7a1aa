"""Panels, variables and layout of the Air Quality Monitoring dashboard, for one engine.

Only the queries (and how a result is split into series) differ between engines;
everything a visitor sees is defined here once.
"""

from __future__ import annotations

import html
from typing import Any

from dashboard.engines import Engine, Json
from dashboard.queries import FRESHNESS_WINDOW, TABLE_LIMIT
from ingest import daqi, model

TITLE = "Air Quality Monitoring"
#: Schema version of dashboards saved by Grafana 12.0; later releases load it as is.
SCHEMA_VERSION = 41

#: The measures a visitor can choose, in menu order.
MEASURE_CHOICES = ("aqi", "pm25", "pm10", "temperature", "humidity", "pressure")

#: Freshness thresholds in seconds: green until 10 minutes, amber until 20, red after.
FRESHNESS_WARN = 600
FRESHNESS_STALE = 1200

W24 = model.WINDOW_24H
W5 = model.WINDOW_5M


def daqi_thresholds() -> Json:
    """Official DAQI colours per index. A value rounds half up to its index (3.5 -> 4)."""
    steps: list[Json] = [{"color": daqi.COLOURS[1], "value": None}]
    steps += [{"color": daqi.COLOURS[i], "value": i - 0.5} for i in range(2, daqi.MAX_INDEX + 1)]
    return {"mode": "absolute", "steps": steps}


def daqi_value_mappings() -> list[Json]:
    """Each whole index shown with its band, e.g. ``4 Moderate``."""
    return [
        {
            "type": "value",
            "options": {
                str(i): {"text": f"{i} {daqi.BANDS[i]}", "color": daqi.COLOURS[i], "index": i - 1}
                for i in range(1, daqi.MAX_INDEX + 1)
            },
        }
    ]


def band_value_mappings() -> list[Json]:
    """Band names coloured with the colour of the band's highest index."""
    top = {band: max(i for i, b in daqi.BANDS.items() if b == band) for band in daqi.ADVICE}
    return [
        {
            "type": "value",
            "options": {
                band: {"color": daqi.COLOURS[index], "index": n}
                for n, (band, index) in enumerate(top.items())
            },
        }
    ]


def _panel(
    panel_id: int,
    kind: str,
    title: str,
    description: str,
    grid: tuple[int, int, int, int],
    **extra: Any,
) -> Json:
    x, y, w, h = grid
    return {
        "id": panel_id,
        "type": kind,
        "title": title,
        "description": description,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        **extra,
    }


def _aqi_stat(
    engine: Engine, *, panel_id: int, title: str, query: str, x: int, what: str, whole: bool
) -> Json:
    """A DAQI stat; ``whole`` values (a maximum) also show their band name."""
    return _panel(
        panel_id,
        "stat",
        title,
        f"{what} DAQI at location $location over the time range. Reads the 24-hour window "
        f"({W24}), the only one that carries the index. Coloured in the official DAQI colour "
        "of the index the value rounds to (halves up).",
        (x, 0, 6, 5),
        datasource=engine.datasource,
        targets=[engine.target(query)],
        fieldConfig={
            "defaults": {
                "unit": "none",
                "decimals": 0 if whole else 1,
                "min": 1,
                "max": daqi.MAX_INDEX,
                "color": {"mode": "thresholds"},
                "thresholds": daqi_thresholds(),
                "mappings": daqi_value_mappings() if whole else [],
                "noValue": "no DAQI in range",
            },
            "overrides": [],
        },
        options={
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "none",
            "justifyMode": "center",
            "textMode": "value",
            "orientation": "auto",
            "showPercentChange": False,
            "wideLayout": True,
        },
    )


def freshness_panel(engine: Engine) -> Json:
    return _panel(
        3,
        "stat",
        "Data freshness",
        "Age of the newest stored reading, any window and location, to the minute. "
        f"Green under {FRESHNESS_WARN // 60} minutes, amber under {FRESHNESS_STALE // 60}, "
        f"red beyond, and red with 'no reading in {FRESHNESS_WINDOW}' when nothing arrived "
        "in that time: ingest has stalled. Ignores the time picker.",
        (12, 0, 6, 5),
        datasource=engine.datasource,
        targets=[engine.target(engine.queries.freshness)],
        fieldConfig={
            "defaults": {
                "unit": "s",
                "decimals": 0,
                "color": {"mode": "thresholds"},
                # The base step only colours "no value": an age is never negative.
                "thresholds": {
                    "mode": "absolute",
                    "steps": [
                        {"color": "red", "value": None},
                        {"color": "green", "value": 0},
                        {"color": "orange", "value": FRESHNESS_WARN},
                        {"color": "red", "value": FRESHNESS_STALE},
                    ],
                },
                "noValue": f"no reading in {FRESHNESS_WINDOW}",
            },
            "overrides": [],
        },
        options={
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "none",
            "justifyMode": "center",
            "textMode": "value",
            "orientation": "auto",
            "showPercentChange": False,
            "wideLayout": True,
        },
    )


def legend_html() -> str:
    """The DAQI bands, indices, colours and health advice as an HTML table."""
    rows = []
    for band, advice in daqi.ADVICE.items():
        indices = [i for i, b in daqi.BANDS.items() if b == band]
        swatches = "".join(
            f'<span style="background-color: {daqi.COLOURS[i]}; color: #000000; '
            f'padding: 0 6px;">{i}</span>'
            for i in indices
        )
        rows.append(
            f"<tr><td><b>{html.escape(band)}</b></td><td>{swatches}</td>"
            f"<td>{html.escape(advice)}</td></tr>"
        )
    return (
        "<table><thead><tr><th>Band</th><th>Index</th><th>Health advice (general population)"
        "</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        "<p>UK Daily Air Quality Index for particles: the 24-hour mean PM2.5 and PM10, rounded "
        "to whole &micro;g/m&sup3; (halves up), each banded; the index is the higher of the two."
        "</p>"
    )


def legend_panel() -> Json:
    return _panel(
        4,
        "text",
        "DAQI bands and health advice",
        "The four DAQI bands, their indices in the official colours, and the health advice "
        "for the general population (Defra).",
        (18, 0, 6, 13),
        options={"mode": "html", "content": legend_html()},
    )


def evolution_panel(engine: Engine) -> Json:
    transformations: list[Json] = []
    if engine.key == "timestream":
        transformations.append(
            {
                "id": "partitionByValues",
                "options": {"fields": ["window"], "keepFields": False},
            }
        )
    return _panel(
        5,
        "timeseries",
        "Evolution of $measure at location $location",
        f"Mean of $measure per display interval at location $location, one line per window: "
        f"{W5} (5-minute means, the finer one) and {W24} (24-hour means). The DAQI (aqi) "
        f"exists only in the {W24} window, so it draws one line.",
        (0, 5, 18, 8),
        datasource=engine.datasource,
        targets=[engine.target(engine.queries.evolution, alias="$tag_window")],
        transformations=transformations,
        fieldConfig={
            "defaults": {
                "color": {"mode": "palette-classic"},
                "custom": {
                    "drawStyle": "line",
                    "lineWidth": 1,
                    "fillOpacity": 10,
                    "showPoints": "auto",
                    "spanNulls": False,
                },
                "unit": "none",
            },
            "overrides": [],
        },
        options={
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
    )


def map_panel(engine: Engine) -> Json:
    return _panel(
        6,
        "geomap",
        "AQI map",
        f"One marker per location: its newest DAQI in the time range ({W24} window), coloured "
        "in the official DAQI colour of the index. Hover a marker for the location, index, "
        "band, PM2.5, PM10 and the time of that reading.",
        (0, 13, 12, 12),
        datasource=engine.datasource,
        targets=[engine.target(engine.queries.aqi_map, table=True)],
        fieldConfig={
            "defaults": {
                "color": {"mode": "thresholds"},
                "thresholds": daqi_thresholds(),
                "unit": "none",
            },
            "overrides": [
                {
                    "matcher": {"id": "byName", "options": "band"},
                    "properties": [{"id": "mappings", "value": band_value_mappings()}],
                }
            ],
        },
        options={
            "view": {"id": "fit", "lat": 0, "lon": 0, "zoom": 5, "allLayers": True},
            "controls": {
                "showZoom": True,
                "mouseWheelZoom": True,
                "showAttribution": True,
                "showScale": False,
                "showMeasure": False,
                "showDebug": False,
            },
            "basemap": {"type": "default", "name": "Basemap"},
            "layers": [
                {
                    "type": "markers",
                    "name": "AQI",
                    "tooltip": True,
                    "location": {
                        "mode": "coords",
                        "latitude": "latitude",
                        "longitude": "longitude",
                    },
                    "config": {
                        "showLegend": True,
                        "style": {
                            "color": {"field": "aqi", "fixed": daqi.COLOURS[1]},
                            "opacity": 0.9,
                            "size": {"fixed": 10},
                            "symbol": {"mode": "fixed", "fixed": "img/icons/marker/circle.svg"},
                            "text": {"mode": "field", "field": "aqi", "fixed": ""},
                            "textConfig": {
                                "fontSize": 9,
                                "textAlign": "center",
                                "textBaseline": "middle",
                                "offsetX": 0,
                                "offsetY": 0,
                            },
                        },
                    },
                }
            ],
            "tooltip": {"mode": "details"},
        },
    )


def table_panel(engine: Engine) -> Json:
    return _panel(
        7,
        "table",
        "Readings of $measure at location $location",
        f"Every stored reading of $measure at location $location in the time range, newest "
        f"first (at most {TABLE_LIMIT}), from both windows: filter the window column for "
        f"{W5} or {W24}. Column filters are on; the panel menu's Inspect > Data downloads "
        "the rows as CSV.",
        (12, 13, 12, 12),
        datasource=engine.datasource,
        targets=[engine.target(engine.queries.readings_table, table=True)],
        fieldConfig={
            "defaults": {
                "custom": {"filterable": True, "align": "auto"},
                "color": {"mode": "thresholds"},
                "thresholds": {"mode": "absolute", "steps": [{"color": "text", "value": None}]},
            },
            "overrides": [],
        },
        options={
            "showHeader": True,
            "cellHeight": "sm",
            "footer": {"show": True, "reducer": ["count"], "countRows": True, "fields": ""},
        },
    )


def panels(engine: Engine) -> list[Json]:
    """Every panel, in reading order."""
    return [
        _aqi_stat(
            engine,
            panel_id=1,
            title="Max AQI",
            query=engine.queries.max_aqi,
            x=0,
            what="Highest",
            whole=True,
        ),
        _aqi_stat(
            engine,
            panel_id=2,
            title="Mean AQI",
            query=engine.queries.mean_aqi,
            x=6,
            what="Mean",
            whole=False,
        ),
        freshness_panel(engine),
        legend_panel(),
        evolution_panel(engine),
        map_panel(engine),
        table_panel(engine),
    ]


def variables(engine: Engine) -> list[Json]:
    """``measure`` (fixed list) and ``location`` (the locations in the store, searchable).

    Both go into the query text, so neither takes a value outside its list.
    """
    first = MEASURE_CHOICES[0]
    return [
        {
            "type": "custom",
            "name": "measure",
            "label": "Measure",
            "description": "The measure the evolution and the table show (aqi: the DAQI).",
            "query": ",".join(MEASURE_CHOICES),
            "current": {"selected": True, "text": first, "value": first},
            "options": [{"selected": m == first, "text": m, "value": m} for m in MEASURE_CHOICES],
            "multi": False,
            "includeAll": False,
            "allowCustomValue": False,
            "hide": 0,
        },
        {
            "type": "query",
            "name": "location",
            "label": "Location ID",
            "description": "Sensor.Community location id; type in the menu to search.",
            "datasource": engine.datasource,
            "query": engine.variable_query(engine.queries.location_variable),
            "definition": engine.queries.location_variable,
            "refresh": 2,
            "sort": 3,
            "regex": "",
            "multi": False,
            "includeAll": False,
            "allowCustomValue": False,
            "current": {},
            "options": [],
            "hide": 0,
        },
    ]


def dashboard(engine: Engine) -> Json:
    """The whole dashboard model for ``engine``."""
    return {
        "uid": f"aqi-{engine.key}",
        "title": TITLE,
        "description": (
            f"Sensor.Community readings and the UK DAQI, stored in {engine.label}. "
            "Choose a measure, a location and a time range."
        ),
        "tags": ["air-quality", "daqi", engine.key],
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "refresh": "1m",
        "time": {"from": "now-24h", "to": "now"},
        "timepicker": {"refresh_intervals": ["1m", "5m", "15m", "1h"]},
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "links": [],
        "annotations": {"list": []},
        "templating": {"list": variables(engine)},
        "panels": panels(engine),
    }
