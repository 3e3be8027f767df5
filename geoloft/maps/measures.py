"""The measures (tiltak) layer: one marker per measure, by category."""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoloft.columns import BUDGET, CATEGORY, END_YEAR, GEOJSON_CRS, NAME, START_YEAR, STATUS
from geoloft.labels import format_nok, format_number, format_years, text
from geoloft.maps.elements import JsLayer
from geoloft.maps.escape import html_text, safe_json
from geoloft.maps.layers import Built, MapOptions
from geoloft.maps.legend import category_legend
from geoloft.maps.prepare import QUANTUM, check_layer
from geoloft.maps.style import category_styles
from geoloft.maps.table import data_table

__all__ = ["CLUSTER_ABOVE", "measure_layer"]

#: Markers are clustered when a map has more measures than this.
CLUSTER_ABOVE: Final = 30


def _column(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return a column as plain objects (missing as ``None``), all ``None`` when absent."""
    if column not in frame:
        return pd.Series(None, index=frame.index, dtype=object)
    values = frame[column].astype(object)
    return values.where(frame[column].notna(), None)


def _numbers(frame: pd.DataFrame, column: str) -> list[float]:
    """Return a column as floats (NaN where missing or not a number)."""
    values = pd.to_numeric(_column(frame, column), errors="coerce")
    return values.astype(float).tolist()


def _strings(values: pd.Series) -> list[str]:
    return values.where(values.notna(), "").astype(str).tolist()


def _fields(measures: pd.DataFrame, lang: str) -> dict[str, list[str]]:
    """Return the formatted name, category, status, years and budget of every measure.

    Every field but the location is optional: a missing column or value shows as ``""``.
    """
    starts, ends = _numbers(measures, START_YEAR), _numbers(measures, END_YEAR)
    years = [
        "" if np.isnan(s) and np.isnan(e) else format_years(s, e, lang=lang)
        for s, e in zip(starts, ends, strict=True)
    ]
    budgets = _numbers(measures, BUDGET)
    return {
        NAME: _strings(_column(measures, NAME)),
        CATEGORY: _strings(_column(measures, CATEGORY)),
        STATUS: _strings(_column(measures, STATUS)),
        "years": years,
        BUDGET: ["" if np.isnan(b) else format_nok(b, lang=lang) for b in budgets],
    }


def _popup(row: dict[str, str], lang: str) -> str:
    """Return the popup: the known fields only, else the category the legend gives it."""
    lines = [f"<strong>{html_text(row[NAME])}</strong>"] if row[NAME] else []
    for key in (CATEGORY, "years", BUDGET, STATUS):
        if row[key]:
            lines.append(f"{html_text(text(key, lang))}: {html_text(row[key])}")
    return "<br>".join(lines) or html_text(text("no_category", lang))


def measure_layer(measures: gpd.GeoDataFrame, opts: MapOptions, *, cluster: bool) -> Built:
    """Build the measures layer: markers coloured and marked by category.

    Parameters
    ----------
    measures
        Measures in EPSG:25833: points, lines or polygons (marked at a point on
        their surface). Only the location is required: ``name``, ``category``,
        ``status``, ``start_year``, ``end_year`` and ``budget`` (NOK) are shown
        when present, and as empty when a column or value is missing
        (``None``, NaN, ``<NA>``). Rows without a geometry are left out with a note.
    opts
        Map settings.
    cluster
        Whether marker clustering is available on the page.

    Returns
    -------
    Built
        The layer, its legend and its table.
    """
    given = len(measures) if isinstance(measures, pd.DataFrame) else 0
    measures = check_layer(measures, what="measures", required=[])
    lang = opts.lang
    fields = _fields(measures, lang)
    no_category = text("no_category", lang)
    present = [c or no_category for c in fields[CATEGORY]]
    styles = category_styles([*opts.categories, *present])
    styles = {cat: style for cat, style in styles.items() if cat in set(present)}
    position = {cat: i for i, cat in enumerate(styles)}
    points = gpd.GeoSeries(
        shapely.point_on_surface(measures.geometry.to_numpy()), crs=measures.crs
    ).to_crs(GEOJSON_CRS)
    latlon = np.rint(shapely.get_coordinates(points.to_numpy())[:, ::-1] * QUANTUM)
    rows = [dict(zip(fields, values, strict=True)) for values in zip(*fields.values(), strict=True)]
    data: dict[str, Any] = {
        "ll": latlon.astype(np.int64).ravel().tolist(),
        "k": [position[c or no_category] for c in fields[CATEGORY]],
        "n": [html_text(n) for n in fields[NAME]],
        "pop": [_popup(row, lang) for row in rows],
        "cats": [{"c": s.colour, "f": s.text, "g": s.glyph} for s in styles.values()],
    }
    use_cluster = cluster and len(measures) > CLUSTER_ABOVE
    label = text("measures", lang)
    built = Built(bounds=[points.total_bounds], fit_rank=2)
    if given > len(measures):
        n = format_number(given - len(measures), lang=lang)
        built.notes.append(text("measures_left_out", lang, n=n))
    built.layers.append(
        JsLayer(
            label,
            f"geoloft.measures({safe_json(data)}, {safe_json({'cluster': use_cluster})})",
            legend_id="gl-legend-measures",
        )
    )
    legend_rows = [(s.colour, s.glyph, s.text, cat) for cat, s in styles.items()]
    built.legends.append(category_legend("gl-legend-measures", label, legend_rows))
    keys = (NAME, CATEGORY, STATUS, "years", BUDGET)
    cols = [(text(k, lang), k == BUDGET) for k in keys]
    table = [[row[k] for k in keys] for row in rows]
    built.tables.append(data_table("gl-table-measures", label, cols, table))
    return built
