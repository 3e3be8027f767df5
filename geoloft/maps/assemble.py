"""Put the layers, controls, legends and tables of a map together."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geoloft._io import atomic_path
from geoloft.columns import GEOJSON_CRS, POP_TOT
from geoloft.errors import CRSError, GeometryError, InputError
from geoloft.labels import check_lang, text
from geoloft.maps.basemaps import BASEMAPS, Basemap, get_basemap
from geoloft.maps.elements import Controls, GeoloftMap, JsLayer, Page, name_elements
from geoloft.maps.escape import html_text, safe_json
from geoloft.maps.layers import Built, MapOptions, area_layers, grid_layer
from geoloft.maps.legend import legend_box
from geoloft.maps.measures import CLUSTER_ABOVE, measure_layer
from geoloft.maps.offline import page_assets
from geoloft.maps.table import tables_section
from geoloft.maps.zones import zone_layer

__all__ = ["embed_snippet", "make_map", "save_map"]

log = logging.getLogger(__name__)

#: Four corner brackets (an inline SVG: no icon font needed offline).
_FULLSCREEN_ICON = (
    '<svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true" focusable="false">'
    '<path d="M1 6V1h5M12 1h5v5M17 12v5h-5M6 17H1v-5" fill="none" stroke="currentColor" '
    'stroke-width="2"/></svg>'
)


def _basemap_layers(default: Basemap, lang: str) -> list[JsLayer]:
    """One base layer per known basemap (and ``default`` if it is a custom one)."""
    choices = dict(BASEMAPS)
    choices.setdefault(default.key, default)
    layers = []
    for base in choices.values():
        if base.url:
            attribution = html_text(base.attribution)
            if base.attribution_url:
                attribution = f'<a href="{html_text(base.attribution_url)}">{attribution}</a>'
            options = {"attribution": attribution, "maxZoom": base.max_zoom}
            js = f"L.tileLayer({safe_json(base.url)}, {safe_json(options)})"
        else:
            js = "L.layerGroup()"
        name = text(base.label_key, lang) if base.label_key else base.key
        layers.append(JsLayer(name, js, overlay=False, show=base.key == default.key))
    return layers


def _controls_html(search_names: Sequence[str], lang: str) -> str:
    """Full-screen button and area search form (hidden until the script places them)."""
    label = html_text(text("fullscreen", lang))
    parts = [
        f'<button type="button" class="gl-fullscreen" id="gl-fullscreen" aria-pressed="false" '
        f'title="{label}" aria-label="{label}" hidden>{_FULLSCREEN_ICON}</button>'
    ]
    if search_names:
        options = "".join(
            f'<option value="{html_text(n)}" data-i="{i}"></option>'
            for i, n in enumerate(search_names)
        )
        parts.append(
            f'<form class="gl-panel gl-search" id="gl-search" role="search" '
            f'data-none="{html_text(text("search_none", lang))}" hidden>'
            f'<label for="gl-search-input">{html_text(text("search", lang))}</label>'
            f'<input id="gl-search-input" type="search" list="gl-search-list" autocomplete="off">'
            f' <button type="submit">{html_text(text("search_button", lang))}</button>'
            f'<datalist id="gl-search-list">{options}</datalist>'
            f'<output aria-live="polite"></output></form>'
        )
    return "".join(parts)


def _bounds(parts: Sequence[Built], fit: np.ndarray | None) -> list[list[float]]:
    """Return ``[[south, west], [north, east]]`` of what the map opens on."""
    if fit is not None:
        boxes = fit[None, :]
    else:
        rank = min(part.fit_rank for part in parts)
        boxes = np.array(
            [b for part in parts if part.fit_rank == rank for b in part.bounds], dtype=float
        )
    return [[boxes[:, 1].min(), boxes[:, 0].min()], [boxes[:, 3].max(), boxes[:, 2].max()]]


def _fit_bounds(fit: object) -> np.ndarray:
    """Return the lon/lat bounds of ``fit``, checked."""
    if not isinstance(fit, (gpd.GeoDataFrame, gpd.GeoSeries)):
        raise TypeError(f"fit must be a GeoDataFrame or GeoSeries, got {type(fit).__name__}.")
    if fit.crs is None:
        raise CRSError(
            "the study area has no CRS.", source="fit", hint="set it with .set_crs(25833)."
        )
    box = np.asarray(fit.to_crs(GEOJSON_CRS).total_bounds, dtype=float)
    if not np.isfinite(box).all():
        raise GeometryError("the study area has no geometry.", source="fit", hint="check it.")
    return box


def make_map(
    areas: gpd.GeoDataFrame | None = None,
    *,
    grid: gpd.GeoDataFrame | None = None,
    measures: gpd.GeoDataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
    indicators: Sequence[str] | Mapping[str, Any] | str | None = None,
    grid_column: str = POP_TOT,
    basemap: str | Basemap = "topograatone",
    lang: str = "nb",
    offline: bool = False,
    threshold: int = 10,
    title: str | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: Mapping[str, Sequence[float]] | None = None,
    tolerance: float = 2.0,
    fit: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    method: str | None = None,
    csp: bool = False,
    categories: Sequence[str] | None = None,
    notes: Sequence[str] = (),
) -> GeoloftMap:
    """Make an interactive map of areas, grid cells, intervention areas and measures.

    Parameters
    ----------
    areas
        Units (delbydeler, grunnkretser, ...) in EPSG:25833 with ``area_id``,
        ``name`` and the indicator/index columns to draw. With ``pop_tot``,
        areas under ``threshold`` persons have their figures withheld.
    grid
        Grid cells in EPSG:25833 with ``ssbid``, ``pop_tot`` and ``cell_size``
        (or ``attrs["cell_size"]``). Above 10 000 cells, cells are merged per class.
    measures
        Measures (tiltak) with ``name`` and ``category``; ``status``,
        ``start_year``, ``end_year`` and ``budget`` (NOK) go in the popups.
    zones
        Intervention areas with ``zone_id`` and ``name``; ``pop``,
        ``area_km2``, ``index`` and ``members`` go in the popups.
    indicators
        Area columns drawn as choropleths, one layer each (the first is on when
        the page opens): a list of columns, or a mapping column -> label (a
        string, or a catalogue entry / dict with ``label_nb``, ``label_en`` and
        ``direction``; ``"higher_is_better"`` reverses the palette so darker
        still means worse). ``None`` draws ``index`` if the areas have it.
    grid_column
        Grid column to draw (persons by default).
    basemap
        Background shown on opening: ``"topograatone"``, ``"topo"``, ``"osm"``,
        ``"none"`` or a :class:`~geoloft.maps.basemaps.Basemap`; all are offered.
    lang
        ``"nb"`` (bokmål) or ``"en"``: labels and number format.
    offline
        Inline Leaflet and plugins so the page works with no network (tiles
        still need it); features whose files are missing are left out with a note.
    threshold
        Disclosure threshold in persons: figures of cells and areas with fewer
        residents never reach the page.
    title
        Page title and heading; a generic title when ``None``.
    scheme, k
        Classification (see :func:`geoloft.classify.classify`).
    breaks
        Fixed class bounds per column (overrides ``scheme`` for that column).
    tolerance
        Largest shift of simplified boundaries, metres (0 keeps them exact).
    fit
        Geometries the map opens on, such as the study area (any CRS). ``None``:
        the areas and intervention areas; without them the grid; else the
        measures. Layers beyond the view are drawn all the same.
    method
        The scoring method that made ``index`` (see
        :func:`geoloft.score.score_areas`), so the index is named by what it is
        (``"Andel indikatorer verre enn snittet"``, ``"Sammensatt z-skår"``, ...);
        ``None`` calls it "Indeks". An intervention area's index is called a
        composite z-score when the zones have ``n_criteria`` (recomputed from
        counts), else the members' index averaged.
    csp
        Write a page that runs under a strict Content-Security-Policy
        (``script-src 'self'``): :func:`save_map` puts Leaflet, the plugins,
        geoloft's script and style and the page's own script in files beside
        the page (``lib/`` and ``<page>.js``); the page holds no inline script
        or style. Works without a network too.
    categories
        Measure categories in the order that gives them their colour and
        symbol (see :func:`geoloft.maps.style.category_styles`), so that
        several maps of one run draw a category alike; categories not listed
        follow in order of appearance.
    notes
        Notes for the reader put before the layers' own, such as that disclosure
        control was switched off.

    Returns
    -------
    GeoloftMap
        A :class:`folium.Map`; ``notes`` lists what the reader is told (also
        printed under the map). Save it with :func:`save_map`.

    Raises
    ------
    InputError
        If no layer is given, or for a bad argument.
    CRSError, SchemaError
        For inputs not in EPSG:25833 or missing columns.

    Examples
    --------
    >>> import shapely, geopandas as gpd
    >>> areas = gpd.GeoDataFrame(
    ...     {"area_id": ["01", "02"], "name": ["Nord", "Sør"], "index": [0.4, -0.2]},
    ...     geometry=[shapely.box(262000, 6650000, 263000, 6651000),
    ...               shapely.box(262000, 6649000, 263000, 6650000)], crs=25833)
    >>> m = make_map(areas, basemap="none")
    >>> "<table" in m.get_root().render()
    True
    """
    check_lang(lang)
    fit_box = None if fit is None else _fit_bounds(fit)
    if all(x is None for x in (areas, grid, measures, zones)):
        raise InputError(
            "nothing to map.", source="make_map", hint="pass areas, grid, measures and/or zones."
        )
    base = get_basemap(basemap)
    opts = MapOptions(
        lang=lang,
        threshold=threshold,
        scheme=scheme,
        k=k,
        breaks=breaks,
        tolerance=tolerance,
        method=method,
        categories=tuple(categories or ()),
    )
    parts: list[Built] = []
    if zones is not None:
        parts.append(zone_layer(zones, opts))
    if areas is not None:
        parts.append(area_layers(areas, indicators, opts))
    if grid is not None:
        shown = not any(p.legends and p.geo_var == "gl_geo_areas" for p in parts)
        parts.append(grid_layer(grid, grid_column, opts, show=shown))
    wants_cluster = measures is not None and len(measures) > CLUSTER_ABOVE
    assets = page_assets(
        offline=offline, cluster=wants_cluster, lang=lang, mode="files" if csp else None
    )
    if measures is not None:
        parts.append(measure_layer(measures, opts, cluster=assets.cluster))
    return _assemble(
        parts,
        base,
        assets,
        fit_box,
        lang=lang,
        title=title or text("map_title", lang),
        notes=notes,
    )


def _assemble(
    parts: Sequence[Built],
    base: Basemap,
    assets: Any,
    fit: np.ndarray | None,
    *,
    lang: str,
    title: str,
    notes: Sequence[str] = (),
) -> GeoloftMap:
    """Join the built layers into a page."""
    notes = [*notes, *(n for p in parts for n in p.notes), *assets.notes]
    for note in notes:
        log.debug(note)
    search = next((p for p in parts if p.geo_var == "gl_geo_areas"), None)
    search = search or next((p for p in parts if p.geo_var), None)
    body = (
        legend_box([lg for p in parts for lg in p.legends], lang=lang)
        + _controls_html(search.names if search else [], lang)
        + tables_section([t for p in parts for t in p.tables], notes, lang=lang)
    )
    m = GeoloftMap(
        bounds=_bounds(parts, fit),
        label=f"{text('map', lang)}: {title}",
        head=list(assets.head),
        body=body,
        zoom_titles=(text("zoom_in", lang), text("zoom_out", lang)),
        no_library=text("no_library", lang),
    )
    m.notes = notes
    m.files = dict(assets.files)
    Page(lang=lang, title=title, skip_text=text("skip_to_tables", lang)).add_child(m)
    children = [
        *_basemap_layers(base, lang),
        *(s for p in parts for s in p.scripts),
        *(layer for p in parts for layer in p.layers),
        Controls(
            search_geo=search.geo_var if search else "",
            titles={
                "layers": text("layers", lang),
                "bases": text("layer_bases", lang),
                "choices": text("layer_choices", lang),
                "overlays": text("layer_overlays", lang),
                "none": text("layer_none", lang),
            },
        ),
    ]
    # names from a counter, not at random: the same input writes the same bytes
    name_elements([m, *children])
    for child in children:
        m.add_child(child)
    return m


def save_map(
    m: GeoloftMap,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike[str]] = (),
) -> int:
    """Write a map's page to an HTML file, atomically.

    Parameters
    ----------
    m
        A map from :func:`make_map` (any :class:`folium.Map` works).
    path
        Target ``.html`` file.
    overwrite
        Replace an existing file.
    inputs
        The files the map was drawn from; never written over, even with ``overwrite``.

    Returns
    -------
    int
        Size of the page in bytes.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is false, or ``path`` is one of ``inputs``.

    Notes
    -----
    A map made with ``csp=True`` also writes its script as ``<page>.js`` and
    the libraries under ``lib/`` beside the page (shared by the maps of a
    folder; the same bytes each time, so they are simply replaced). Every
    file written is listed in the map's ``written`` attribute.
    """
    root = m.get_root()
    files: dict[str, bytes] = dict(getattr(m, "files", None) or {})
    target = Path(path)
    if files and isinstance(root, Page):
        root.script_src = f"{target.stem}.js"
    try:
        html = root.render().encode("utf-8")
    finally:
        script = getattr(root, "script_text", "")
        if isinstance(root, Page):
            root.script_src = ""
    guarded = tuple(map(Path, inputs))
    with atomic_path(target, overwrite=overwrite, inputs=guarded) as tmp:
        Path(tmp).write_bytes(html)
    written = [target]
    if files:
        files[f"{target.stem}.js"] = script.encode("utf-8")
        for name, data in files.items():
            with atomic_path(target.parent / name, overwrite=True, inputs=guarded) as tmp:
                Path(tmp).write_bytes(data)
            written.append(target.parent / name)
    if isinstance(m, GeoloftMap):
        m.written = written
    return len(html)


def embed_snippet(src: str, *, title: str, height: str = "640px") -> str:
    """Return an ``<iframe>`` that embeds a saved map in another page.

    The frame is sandboxed: scripts run, but the map cannot reach the host
    page, its cookies or storage, or navigate it.

    Parameters
    ----------
    src
        URL or relative path of the map file.
    title
        Accessible name of the frame (WCAG 4.1.2).
    height
        CSS height of the frame.

    Returns
    -------
    str
        The HTML snippet.

    Examples
    --------
    >>> embed_snippet("kart.html", title="Kart")[:40]
    '<iframe src="kart.html" title="Kart" san'
    """
    return (
        f'<iframe src="{html_text(src)}" title="{html_text(title)}" '
        'sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox" '
        f'allowfullscreen loading="lazy" style="width:100%;height:{html_text(height)};border:0">'
        "</iframe>"
    )
