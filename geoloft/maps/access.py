"""The Nærmiljø map: cells beyond reach of a facility, the areas' reach, new sites.

Built from the layer builders every geoloft map uses, so disclosure control,
escaping, legends and data tables behave the same: cells farther than the
first distance threshold are drawn in classes by distance, areas by the share
of residents within reach, and proposed sites as markers that say how many
residents each would bring within reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft.columns import CATEGORY, NAME, POP_TOT
from geoloft.labels import check_lang, format_number, text
from geoloft.maps.assemble import _assemble
from geoloft.maps.basemaps import Basemap, get_basemap
from geoloft.maps.elements import GeoloftMap
from geoloft.maps.escape import html_text
from geoloft.maps.layers import Built, MapOptions, area_layers, grid_layer
from geoloft.maps.measures import measure_layer
from geoloft.maps.offline import page_assets

__all__ = ["ACCESS_TEXT", "make_access_map"]

#: Bokmål and English text of the Nærmiljø map.
ACCESS_TEXT: Final[dict[str, tuple[str, str]]] = {
    "title": ("Nærmiljø: avstand til {what}", "Neighbourhood: distance to {what}"),
    "facility": ("nærmeste tilbud", "the nearest facility"),
    "distance": ("Avstand til {what} (m)", "Distance to {what} (m)"),
    "share": ("Andel bosatte innen {t} m", "Share of residents within {t} m"),
    "site": ("Foreslått plassering", "Proposed site"),
    "existing": ("Eksisterende: {what}", "Existing: {what}"),
    "markers": ("Tilbud og forslag", "Facilities and proposals"),
    "site_name": (
        "Forslag {rank}: {added} flere innen {t} m",
        "Site {rank}: {added} more within {t} m",
    ),
    "site_served": ("Forslag {rank}: nærmest for {served}", "Site {rank}: nearest for {served}"),
    "beyond_note": (
        "Rutene viser bosatte lenger enn {t} m fra {what}.",
        "Cells show residents farther than {t} m from {what}.",
    ),
}

_DIST = "dist_nearest"


def _text(key: str, lang: str, **values: Any) -> str:
    nb, en = ACCESS_TEXT[key]
    return (nb if lang == "nb" else en).format(**values)


def _beyond(cells: gpd.GeoDataFrame, column: str, first: int) -> gpd.GeoDataFrame:
    """Cells farther than ``first`` metres, their distance in ``column`` (unreachable: NaN)."""
    dist = pd.to_numeric(cells[_DIST], errors="coerce").astype(float)
    far = cells[~(dist <= first)].copy()
    far[column] = dist[far.index].replace(np.inf, np.nan)
    return far


def _markers(
    facilities: gpd.GeoDataFrame | None,
    sites: gpd.GeoDataFrame | None,
    distance: int | None,
    what: str,
    opts: MapOptions,
) -> Built:
    """One marker layer: the existing facilities and the proposed sites, by category."""
    parts = []
    if facilities is not None and len(facilities):
        names = facilities[NAME] if NAME in facilities else facilities.get("facility_id")
        parts.append(
            gpd.GeoDataFrame(
                {
                    NAME: pd.Series(names, index=facilities.index).astype("string").to_numpy(),
                    CATEGORY: _text("existing", opts.lang, what=what),
                },
                geometry=facilities.geometry.to_numpy(),
                crs=facilities.crs,
            )
        )
    if sites is not None and len(sites):
        parts.append(_site_markers(sites, distance, opts))
    markers = pd.concat(parts, ignore_index=True)
    built = measure_layer(gpd.GeoDataFrame(markers, crs=parts[0].crs), opts, cluster=False)
    old, new = text("measures", opts.lang), _text("markers", opts.lang)
    for layer in built.layers:
        layer.layer_name = new
    built.legends = [lg.replace(html_text(old), html_text(new), 1) for lg in built.legends]
    built.tables = [tb.replace(html_text(old), html_text(new), 1) for tb in built.tables]
    return built


def _site_markers(
    sites: gpd.GeoDataFrame, distance: int | None, opts: MapOptions
) -> gpd.GeoDataFrame:
    lang = opts.lang
    names = []
    for rank, row in zip(range(1, len(sites) + 1), sites.itertuples(index=False), strict=True):
        added = getattr(row, "pop_added", None)
        if distance is not None and added is not None:
            shown = ":" if pd.isna(added) else format_number(float(added), lang=lang)
            names.append(_text("site_name", lang, rank=rank, added=shown, t=distance))
        else:
            served = getattr(row, "pop_served", np.nan)
            shown = ":" if pd.isna(served) else format_number(float(served), lang=lang)
            names.append(_text("site_served", lang, rank=rank, served=shown))
    return gpd.GeoDataFrame(
        {NAME: names, CATEGORY: _text("site", lang)}, geometry=sites.geometry.to_numpy(),
        crs=sites.crs,
    )  # fmt: skip


def make_access_map(
    cells: gpd.GeoDataFrame,
    *,
    thresholds: Sequence[int],
    areas: gpd.GeoDataFrame | None = None,
    sites: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    site_distance: int | None = None,
    what: str | None = None,
    lang: str = "nb",
    threshold: int = 10,
    basemap: str | Basemap = "topograatone",
    offline: bool = False,
    title: str | None = None,
) -> GeoloftMap:
    """Make the Nærmiljø map from published access results.

    Parameters
    ----------
    cells
        Published cells from :func:`geoloft.accessibility.access` (``dist_nearest``,
        ``pop_tot``, cell squares, EPSG:25833). Cells within the first threshold
        are left out; the others are drawn in classes by distance.
    thresholds
        Distance thresholds in metres, ascending (the class bounds).
    areas
        Published per-area summary: one choropleth per threshold of the share of
        residents within reach (darker: fewer within reach).
    sites
        Published new sites (points) with ``pop_added`` or ``pop_served``.
    facilities
        The existing facilities (points; ``name`` or ``facility_id`` labels them).
    site_distance
        The reach the sites were chosen for (metres), for their labels.
    what
        What the facilities are, e.g. ``"skole"``; a generic word when ``None``.
    lang, threshold, basemap, offline, title
        As for :func:`geoloft.maps.make_map`.

    Returns
    -------
    GeoloftMap
        Save it with :func:`geoloft.maps.save_map`.
    """
    check_lang(lang)
    limits = sorted(int(t) for t in thresholds)
    noun = what or _text("facility", lang)
    column = _text("distance", lang, what=noun)
    far = _beyond(cells, column, limits[0])
    top = float(np.nanmax(far[column])) if far[column].notna().any() else float(limits[-1])
    breaks = [float(t) for t in limits[1:] if t < top] + [max(top, float(limits[-1]))]
    opts = MapOptions(lang=lang, threshold=threshold, scheme="fixed", k=len(breaks),
                      breaks={column: breaks})  # fmt: skip
    parts: list[Built] = []
    if areas is not None and len(areas):
        specs = {
            f"share_within_{t}": {
                "label_nb": _text("share", "nb", t=t),
                "label_en": _text("share", "en", t=t),
                "direction": "higher_is_better",
            }
            for t in reversed(limits)
        }
        area_opts = MapOptions(lang=lang, threshold=threshold, scheme="equal_interval", k=5)
        parts.append(area_layers(areas, specs, area_opts))
    if len(far):
        built = grid_layer(far[[POP_TOT, column, "ssbid", "cell_size", "geometry"]], column,
                           opts, show=not parts)  # fmt: skip
        built.notes.append(_text("beyond_note", lang, t=limits[0], what=noun))
        parts.append(built)
    shown = [f for f in (facilities, sites) if f is not None and len(f)]
    if shown:
        parts.append(_markers(facilities, sites, site_distance, noun, opts))
    wants_cluster = False
    assets = page_assets(offline=offline, cluster=wants_cluster, lang=lang)
    return _assemble(
        parts, get_basemap(basemap), assets, None, lang=lang,
        title=title or _text("title", lang, what=noun),
    )  # fmt: skip
