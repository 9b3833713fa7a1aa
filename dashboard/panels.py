"""Panels, variables and layout of the Air Quality Monitoring dashboard, for one engine.

Only the queries (and how a result is split into series) differ between engines;
everything a visitor sees is defined here once.
"""

from __future__ import annotations

import html
from typing import Any

from dashboard.engines import Engine, Json
from dashboard.queries import (
    DAILY_WINDOWS,
    FRESHNESS_WINDOW,
    LABEL_REGEX,
    MAP_SPAN,
    TABLE_LIMIT,
)
from ingest import daqi, humidity, model
from ingest.sinks.influxdb import LABEL_FIELD

TITLE = "Air Quality Monitoring"
#: Schema version of dashboards saved by Grafana 12.0; later releases load it as is.
SCHEMA_VERSION = 41

#: The measures a visitor can choose, in menu order.
MEASURE_CHOICES = ("aqi", "pm25", "pm10", "temperature", "humidity", "pressure")

#: Auto-refresh of a public dashboard: every visitor's browser re-runs every
#: panel's query at this pace, so it bounds the load on the store.
REFRESH = "5m"
REFRESH_CHOICES = ("5m", "15m", "1h")

#: Freshness thresholds in seconds: green until 10 minutes, amber until 20, red after.
FRESHNESS_WARN = 600
FRESHNESS_STALE = 1200

W24 = model.WINDOW_24H
W5 = model.WINDOW_5M
DAILY = " and ".join(DAILY_WINDOWS)

#: Grafana unit ids (grafana-foundation-sdk ``units``) of each measure, in the
#: unit the feed reports: the pressure in Pa (Grafana shows it SI-prefixed, e.g.
#: 101 kPa; it has no unit that would show a value stored in Pa as hPa).
UNITS: dict[str, str] = {
    "aqi": "none",
    "pm25": "conμgm3",
    "pm10": "conμgm3",
    "temperature": "celsius",
    "humidity": "humidity",
    "pressure": "pressurepa",
}

#: The selection a visitor sees first (Grafana keeps a saved value that the
#: menu lists; one it does not list falls back to All). A place of the UK with
#: many PM sensors: the dashboard opens on data. Change it here and run
#: ``make dashboard``.
DEFAULT_SELECTION: dict[str, str] = {"country": "GB", "place": "London"}

#: The selection as the panels' text shows it, e.g. "at ${location:text}".
AT = "${location:text} (${place:text}, ${country:text})"

#: Data link from a map marker or a table row to this dashboard with that
#: location selected, keeping the time range and the measure.
LOCATION_LINK: Json = {
    "title": "Show ${__data.fields." + LABEL_FIELD + "}",
    "url": (
        "/d/${__dashboard.uid}/${__dashboard}?${__url_time_range}&${measure:queryparam}"
        "&var-country=${__data.fields.country}&var-place=${__data.fields.place:percentencode}"
        "&var-location=${__data.fields.location_id}"
    ),
    "targetBlank": False,
}


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


def band_colour(band: str) -> str:
    """A band's colour: the official colour of its highest index."""
    return daqi.COLOURS[daqi.BAND_UPPER[band]]


def band_value_mappings() -> list[Json]:
    """Band names coloured with the colour of the band's highest index."""
    return [
        {
            "type": "value",
            "options": {
                band: {"color": band_colour(band), "index": n}
                for n, band in enumerate(daqi.BAND_ORDER)
            },
        }
    ]


def humid_value_mappings() -> list[Json]:
    """The humid flag as words, a flagged reading in blue."""
    threshold = f"{humidity.THRESHOLD_RH:g}"
    return [
        {
            "type": "value",
            "options": {
                "1": {"text": f"humid (RH ≥ {threshold} %)", "color": "blue", "index": 0},
                "0": {"text": "no", "color": "text", "index": 1},
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
    """A DAQI stat, one value per daily window; ``whole`` values (a maximum) show their band."""
    return _panel(
        panel_id,
        "stat",
        title,
        f"{what} DAQI at {AT} over the time range, one value per daily window: {DAILY} "
        f"({W24}: the feed's rolling 24-hour means; 1d: the archive's calendar-day means, the "
        "daily index proper), the only windows that carry the index. Coloured in the official "
        "DAQI colour of the index the value rounds to (halves up).",
        (x, 0, 6, 5),
        datasource=engine.datasource,
        targets=[engine.target(query, alias="$tag_window")],
        transformations=engine.split_by("window"),
        fieldConfig={
            "defaults": {
                "unit": UNITS["aqi"],
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
            "textMode": "auto",
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


def measure_units() -> list[Json]:
    """Each measure's fields in its unit: fields and series are named after the measure."""
    return [
        {
            "matcher": {"id": "byRegexp", "options": f"^{name}\\b.*"},
            "properties": [{"id": "unit", "value": unit}],
        }
        for name, unit in UNITS.items()
    ]


def evolution_panel(engine: Engine) -> Json:
    return _panel(
        5,
        "timeseries",
        f"Evolution of $measure at {AT}",
        f"Mean of $measure per display interval at {AT}, one line per window: "
        f"{W5} (5-minute means, the finer one), 1h (hourly means of the archive), {W24} "
        "(rolling 24-hour means) and 1d (calendar-day means of the archive). The DAQI (aqi) "
        f"exists only in the daily windows ({DAILY}). Units: µg/m³ for PM, °C, %, Pa.",
        (0, 5, 18, 8),
        datasource=engine.datasource,
        targets=[engine.target(engine.queries.evolution, alias="$measure $tag_window")],
        transformations=engine.split_by("window"),
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
                "unit": UNITS["aqi"],
            },
            "overrides": measure_units(),
        },
        options={
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        },
    )


def _map_layer(band: str) -> Json:
    """The markers of one DAQI band: its query, its colour, its name in the legend."""
    return {
        "type": "markers",
        "name": band,
        "tooltip": True,
        "filterData": {"id": "byRefId", "options": band},
        "location": {"mode": "coords", "latitude": "latitude", "longitude": "longitude"},
        "config": {
            "showLegend": True,
            "style": {
                "color": {"fixed": band_colour(band)},
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


def map_panel(engine: Engine) -> Json:
    return _panel(
        6,
        "geomap",
        "AQI map",
        f"One marker per location: its newest DAQI ({W24} window) in the last {MAP_SPAN} "
        "before the end of the time range, whatever the range, one layer per DAQI band in "
        "the band's colour (Defra's index colours; a band takes the colour of its highest "
        "index). Hover a marker for the place, index, band, PM2.5, PM10 and how many of its "
        f"PM readings in that span were flagged humid (RH ≥ {humidity.THRESHOLD_RH:g} %: "
        "optical sensors over-read in fog); click it to open the dashboard on that location.",
        (0, 13, 12, 12),
        datasource=engine.datasource,
        targets=[
            engine.target(engine.queries.aqi_map[band], table=True, ref_id=band)
            for band in daqi.BAND_ORDER
        ],
        fieldConfig={
            "defaults": {
                "color": {"mode": "thresholds"},
                "thresholds": daqi_thresholds(),
                "unit": UNITS["aqi"],
                "links": [LOCATION_LINK],
            },
            "overrides": [
                {
                    "matcher": {"id": "byName", "options": "band"},
                    "properties": [{"id": "mappings", "value": band_value_mappings()}],
                },
                *measure_units(),
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
            "layers": [_map_layer(band) for band in daqi.BAND_ORDER],
            "tooltip": {"mode": "details"},
        },
    )


def table_panel(engine: Engine) -> Json:
    return _panel(
        7,
        "table",
        f"Readings of $measure at {AT}",
        f"Every stored reading of $measure at {AT} in the time range, newest first (at most "
        f"{TABLE_LIMIT}), from every window: filter the window column for {W5}, 1h, {W24} or "
        f"1d. The humid column flags PM readings taken at RH ≥ {humidity.THRESHOLD_RH:g} % "
        "(judged on the humidity beside it): optical sensors over-read then. Click a row to "
        "open the dashboard on its location. Column filters are on; the panel menu's Inspect > "
        "Data downloads the rows as CSV.",
        (12, 13, 12, 12),
        datasource=engine.datasource,
        targets=[engine.target(engine.queries.readings_table, table=True)],
        fieldConfig={
            "defaults": {
                "custom": {
                    "filterable": True,
                    "align": "auto",
                    "footer": {"reducers": ["countAll"]},
                },
                "color": {"mode": "thresholds"},
                "thresholds": {"mode": "absolute", "steps": [{"color": "text", "value": None}]},
                "links": [LOCATION_LINK],
            },
            "overrides": [
                *measure_units(),
                {
                    "matcher": {"id": "byName", "options": model.HUMID},
                    "properties": [
                        {"id": "mappings", "value": humid_value_mappings()},
                        {"id": "custom.cellOptions", "value": {"type": "color-text"}},
                    ],
                },
                {
                    "matcher": {"id": "byName", "options": model.HUMID_RH},
                    "properties": [{"id": "unit", "value": UNITS["humidity"]}],
                },
            ],
        },
        options={"showHeader": True, "cellHeight": "sm"},
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


_SELECTION_TEXT = {
    "country": ("Country", "Country code of the locations (Sensor.Community's)."),
    "place": (
        "Place",
        "Nearest named place of the locations (GeoNames, offline) with a reading in the time "
        "range the dashboard was loaded with.",
    ),
    "location": (
        "Location",
        "Locations with a reading in the time range the dashboard was loaded with, by place "
        "and Sensor.Community location id.",
    ),
}


def _selection_variable(engine: Engine, name: str, query: str, *, regex: str = "") -> Json:
    """A chained, multi-value selection variable with All, refreshed on dashboard load."""
    label, description = _SELECTION_TEXT[name]
    default = DEFAULT_SELECTION.get(name)
    current: Json = (
        {"selected": True, "text": [default], "value": [default]}
        if default
        else {"selected": True, "text": ["All"], "value": ["$__all"]}
    )
    return {
        "type": "query",
        "name": name,
        "label": label,
        "description": description,
        "datasource": engine.datasource,
        "query": engine.variable_query(query),
        "definition": query,
        "refresh": 1,
        # Alphabetical (case-insensitive) by the text the menu shows.
        "sort": 5,
        "regex": regex,
        "multi": True,
        "includeAll": True,
        "allValue": engine.all_value,
        "allowCustomValue": False,
        "current": current,
        "options": [],
        "hide": 0,
    }


def variables(engine: Engine) -> list[Json]:
    """``measure`` (fixed list) and the chained selection country -> place -> location.

    Their values go into the query text, so none takes a value outside its list.
    """
    first = MEASURE_CHOICES[0]
    q = engine.queries
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
        _selection_variable(engine, "country", q.country_variable),
        _selection_variable(engine, "place", q.place_variable, regex=q.place_regex),
        _selection_variable(engine, "location", q.location_variable, regex=LABEL_REGEX),
    ]


def dashboard(engine: Engine) -> Json:
    """The whole dashboard model for ``engine``."""
    return {
        "uid": f"aqi-{engine.key}",
        "title": TITLE,
        "description": (
            f"Sensor.Community readings and the UK DAQI, stored in {engine.label}. "
            "Choose a measure, a country, a place, locations and a time range."
        ),
        "tags": ["air-quality", "daqi", engine.key],
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "refresh": REFRESH,
        "time": {"from": "now-24h", "to": "now"},
        "timepicker": {"refresh_intervals": list(REFRESH_CHOICES)},
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "links": [],
        "annotations": {"list": []},
        "templating": {"list": variables(engine)},
        "panels": panels(engine),
    }
