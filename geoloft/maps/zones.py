"""The intervention-area layer: outlines, labels, popups with key figures."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft.columns import AREA_KM2, INDEX, MEMBERS, N_CRITERIA, NAME, POP, ZONE_ID
from geoloft.disclosure import suppress
from geoloft.labels import text, zone_index_label
from geoloft.maps.elements import JsLayer
from geoloft.maps.escape import html_text, safe_json
from geoloft.maps.layers import (
    Built,
    MapOptions,
    geometry_script,
    left_out_notes,
    names_of,
    texts_of,
)
from geoloft.maps.legend import outline_legend
from geoloft.maps.prepare import check_layer, simplify_coverage
from geoloft.maps.style import ZONE_COLOUR, ZONE_STYLE
from geoloft.maps.table import data_table

__all__ = ["zone_layer"]


def _members(value: Any) -> int:
    if isinstance(value, str):
        return len([p for p in value.replace(";", ",").split(",") if p.strip()])
    if isinstance(value, (list, tuple, np.ndarray, set)):
        return len(value)
    return 0


def zone_layer(zones: gpd.GeoDataFrame, opts: MapOptions) -> Built:
    """Build the intervention-area layer: outlines, labels, popups with key figures."""
    given = len(zones) if isinstance(zones, pd.DataFrame) else 0
    zones = check_layer(zones, what="zones", required=[ZONE_ID, NAME], polygons=True)
    lang = opts.lang
    figures = [c for c in (INDEX,) if c in zones]
    if POP in zones:
        zones = suppress(zones, columns=figures, pop=POP, threshold=opts.threshold)
    names = names_of(zones)
    # delineate recomputes a zone's index from counts (a composite z-score; then it
    # has n_criteria), else it is the members' index averaged: label it as what it is
    from_counts = N_CRITERIA in zones and bool(zones[N_CRITERIA].notna().any())
    index_name = zone_index_label(opts.method, from_counts=from_counts, lang=lang)
    cols: list[tuple[str, bool]] = [(text("name", lang), False)]
    table = [[n] for n in names]
    lines = [[f"<strong>{html_text(n)}</strong>"] for n in names]
    for column in (POP, AREA_KM2, INDEX):
        if column not in zones:
            continue
        decimals = 0 if column == POP else 2 if column == INDEX else 1
        texts = texts_of(zones[column], decimals, lang)
        fallback = text("suppressed_short", lang) if column != AREA_KM2 else text("no_value", lang)
        label = index_name if column == INDEX else text(column, lang)
        cols.append((label, True))
        for row, line, t in zip(table, lines, texts, strict=True):
            row.append(t or fallback)
            line.append(f"{html_text(label)}: {html_text(t or fallback)}")
    if MEMBERS in zones:
        counts = [str(_members(v)) for v in zones[MEMBERS]]
        cols.append((text("members", lang), True))
        for row, line, c in zip(table, lines, counts, strict=True):
            row.append(c)
            line.append(f"{html_text(text('members', lang))}: {c}")
    geoms, _ = simplify_coverage(zones.geometry, tolerance=opts.tolerance)
    built = Built(
        bounds=[zones.to_crs(4326).total_bounds],
        notes=left_out_notes(given, len(zones), text("zones", lang), lang),
    )
    built.scripts.append(geometry_script("gl_geo_zones", geoms, names))
    built.geo_var, built.names = "gl_geo_zones", names
    data = safe_json(
        {
            "pane": "gl-zones",
            "style": ZONE_STYLE,
            "lab": True,
            "pop": ["<br>".join(line) for line in lines],
        }
    )
    label = text("zones", lang)
    built.layers.append(
        JsLayer(label, f"geoloft.polygons(gl_geo_zones, {data})", legend_id="gl-legend-zones")
    )
    built.legends.append(outline_legend("gl-legend-zones", label, ZONE_COLOUR, label))
    built.tables.append(data_table("gl-table-zones", label, cols, table))
    return built
