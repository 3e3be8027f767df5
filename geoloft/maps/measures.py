"""The measures (tiltak) layer: one marker per measure, by category."""

from __future__ import annotations

from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoloft.columns import BUDGET, CATEGORY, END_YEAR, GEOJSON_CRS, NAME, START_YEAR, STATUS
from geoloft.labels import format_nok, format_years, text
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
    """Return a column as it is, or all missing when the frame lacks it."""
    return frame[column] if column in frame else pd.Series(np.nan, index=frame.index)


def _strings(values: pd.Series) -> list[str]:
    return values.astype(object).where(values.notna(), "").astype(str).tolist()


def _fields(measures: pd.DataFrame, lang: str) -> dict[str, list[str]]:
    """Return the formatted name, category, status, years and budget of every measure."""
    starts = pd.to_numeric(_column(measures, START_YEAR), errors="coerce").tolist()
    ends = pd.to_numeric(_column(measures, END_YEAR), errors="coerce").tolist()
    budgets = pd.to_numeric(_column(measures, BUDGET), errors="coerce").tolist()
    return {
        NAME: _strings(measures[NAME]),
        CATEGORY: _strings(measures[CATEGORY]),
        STATUS: _strings(_column(measures, STATUS)),
        "years": [format_years(s, e, lang=lang) for s, e in zip(starts, ends, strict=True)],
        BUDGET: [format_nok(b, lang=lang) for b in budgets],
    }


def _popup(row: dict[str, str], lang: str) -> str:
    lines = [f"<strong>{html_text(row[NAME])}</strong>"]
    for key in (CATEGORY, "years", BUDGET, STATUS):
        if row[key]:
            lines.append(f"{html_text(text(key, lang))}: {html_text(row[key])}")
    return "<br>".join(lines)


def measure_layer(measures: gpd.GeoDataFrame, opts: MapOptions, *, cluster: bool) -> Built:
    """Build the measures layer: markers coloured and marked by category.

    Parameters
    ----------
    measures
        Measures in EPSG:25833 with ``name`` and ``category``; ``status``,
        ``start_year``, ``end_year`` and ``budget`` (NOK) are shown when present.
        Lines and polygons are marked at a point on their surface.
    opts
        Map settings.
    cluster
        Whether marker clustering is available on the page.

    Returns
    -------
    Built
        The layer, its legend and its table.
    """
    measures = check_layer(measures, what="measures", required=[NAME, CATEGORY])
    lang = opts.lang
    fields = _fields(measures, lang)
    styles = category_styles(fields[CATEGORY])
    order = list(styles)
    points = gpd.GeoSeries(
        shapely.point_on_surface(measures.geometry.to_numpy()), crs=measures.crs
    ).to_crs(GEOJSON_CRS)
    latlon = np.rint(shapely.get_coordinates(points.to_numpy())[:, ::-1] * QUANTUM)
    rows = [dict(zip(fields, values, strict=True)) for values in zip(*fields.values(), strict=True)]
    data: dict[str, Any] = {
        "ll": latlon.astype(np.int64).ravel().tolist(),
        "k": [order.index(c) for c in fields[CATEGORY]],
        "n": [html_text(n) for n in fields[NAME]],
        "pop": [_popup(row, lang) for row in rows],
        "cats": [{"c": s.colour, "f": s.text, "g": s.glyph} for s in styles.values()],
    }
    use_cluster = cluster and len(measures) > CLUSTER_ABOVE
    label = text("measures", lang)
    built = Built(bounds=[points.total_bounds])
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
