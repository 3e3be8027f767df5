"""Polygon layers of a map: unit choropleths and the grid.

Each builder checks its input, applies disclosure control, classifies, and
returns the page pieces (:class:`Built`): the layer's script, its legend and
its data table. Only what a layer shows reaches the page: class numbers,
rounded values as formatted text and escaped names. Withheld values are NaN
before anything is formatted, so they cannot reach it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft.classify import MISSING_COLOUR, SUPPRESSED_COLOUR, Classes, classify, scheme_label
from geoloft.columns import (
    AREA_ID,
    CELL_SIZE,
    INDEX,
    NAME,
    POP_TOT,
    SUPPRESSED,
    WITHHELD,
)
from geoloft.disclosure import suppress
from geoloft.errors import SchemaError
from geoloft.labels import TEXT, format_number, index_label, text
from geoloft.maps.elements import JsLayer, Script
from geoloft.maps.escape import html_text, safe_json
from geoloft.maps.legend import class_legend, outline_legend
from geoloft.maps.prepare import (
    DISSOLVE_ABOVE,
    check_layer,
    dissolve_classes,
    encode_polygons,
    simplify_coverage,
)
from geoloft.maps.style import (
    AREA_PALETTE,
    AREA_STYLE,
    GRID_PALETTE,
    GRID_STYLE,
)
from geoloft.maps.table import data_table

__all__ = ["Built", "IndicatorSpec", "MapOptions", "area_layers", "grid_layer", "left_out_notes"]

SUPPRESSED_CODE = -2  # class code of withheld values in the page data


@dataclass(frozen=True)
class MapOptions:
    """Settings shared by every layer builder (see :func:`geoloft.maps.make_map`)."""

    lang: str = "nb"
    threshold: int = 10
    scheme: str = "quantiles"
    k: int = 5
    breaks: Mapping[str, Sequence[float]] | None = None
    tolerance: float = 2.0
    method: str | None = None
    #: Measure categories in the order that fixes their colour and symbol.
    categories: tuple[str, ...] = ()


@dataclass
class Built:
    """Page pieces made by a layer builder."""

    scripts: list[Script] = field(default_factory=list)
    layers: list[JsLayer] = field(default_factory=list)
    legends: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bounds: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # searchable names (raw text)
    geo_var: str = ""  # script variable holding the searchable geometry
    #: Which layers the map opens on: those of the lowest rank present (0 areas
    #: and intervention areas, 1 grid, 2 measures), so a national grid or a far-away
    #: measure does not decide the view.
    fit_rank: int = 0


@dataclass(frozen=True)
class IndicatorSpec:
    """A column drawn as a choropleth: its label and whether higher is better."""

    column: str
    label: str
    reverse: bool = False


def _scheme_note(classes: Classes, breaks: object, opts: Any) -> str:
    """Say how the classes were found: the run's scheme when its bounds were passed in."""
    scheme = opts.scheme if breaks and opts.scheme != "fixed" else classes.scheme
    return scheme_label(scheme, classes.k, lang=opts.lang)


def _label_of(column: str, value: Any, lang: str) -> tuple[str, bool]:
    """Label and 'higher is better' flag from a str, dict or catalogue-like object."""
    if isinstance(value, str):
        return value, False
    get = value.get if isinstance(value, Mapping) else lambda k, d=None: getattr(value, k, d)
    label = get(f"label_{lang}") or get("label_nb") or get("label") or column
    return str(label), get("direction") == "higher_is_better"


def indicator_specs(
    indicators: Sequence[str] | Mapping[str, Any] | str | None,
    areas: pd.DataFrame,
    *,
    lang: str,
    method: str | None = None,
) -> list[IndicatorSpec]:
    """Resolve the ``indicators`` argument of ``make_map`` against the areas' columns."""
    if indicators is None:
        items: dict[str, Any] = {INDEX: None} if INDEX in areas else {}
    elif isinstance(indicators, str):
        items = {indicators: None}
    elif isinstance(indicators, Mapping):
        items = dict(indicators)
    else:
        items = dict.fromkeys(indicators)
    missing = [c for c in items if c not in areas.columns]
    bad = [c for c in items if c in areas and not pd.api.types.is_numeric_dtype(areas[c])]
    if missing or bad:
        raise SchemaError(
            f"indicator column(s) {', '.join(map(repr, missing + bad))} "
            + ("not found in the areas." if missing else "are not numeric."),
            source="indicators",
            column=(missing + bad)[0],
            hint=f"the areas have {', '.join(map(str, areas.columns))}.",
        )
    specs = []
    for column, value in items.items():
        if value is None and column == INDEX:
            specs.append(IndicatorSpec(column, index_label(method, lang)))
        elif value is None:
            label = text(column, lang) if column in TEXT else column
            specs.append(IndicatorSpec(column, label))
        else:
            specs.append(IndicatorSpec(column, *_label_of(column, value, lang)))
    return specs


def texts_of(values: pd.Series, decimals: int, lang: str) -> list[str | None]:
    """Return each value formatted for readers (``None`` for NaN: missing or withheld)."""
    return [
        None if pd.isna(v) else format_number(float(v), decimals=decimals, lang=lang)
        for v in values
    ]


def _codes(classes: Classes, suppressed: np.ndarray) -> list[int]:
    codes = classes.bins.copy()
    codes[suppressed] = SUPPRESSED_CODE
    return codes.tolist()


def _extra_rows(codes: Sequence[int], opts: MapOptions) -> list[tuple[str, str]]:
    rows = []
    if -1 in codes:
        rows.append((MISSING_COLOUR, text("missing", opts.lang)))
    if SUPPRESSED_CODE in codes:
        rows.append((SUPPRESSED_COLOUR, text("suppressed", opts.lang, threshold=opts.threshold)))
    return rows


def _layer_data(
    classes: Classes,
    codes: list[int],
    texts: list[Any],
    label: str,
    opts: MapOptions,
    pane: str,
    style: Mapping[str, Any],
) -> str:
    return safe_json(
        {
            "pane": pane,
            "style": dict(style),
            "c": codes,
            "t": [html_text(t) if t else None for t in texts],
            "p": list(classes.colours),
            "na": MISSING_COLOUR,
            "sup": SUPPRESSED_COLOUR,
            "label": html_text(label),
            "naText": html_text(text("missing", opts.lang)),
            "supText": html_text(text("suppressed_short", opts.lang)),
            "tip": True,
        }
    )


def geometry_script(var: str, geoms: gpd.GeoSeries, names: Sequence[str] | None) -> Script:
    """Return the script that defines shared geometry (and escaped names) as ``var``."""
    escaped = [html_text(n) for n in names] if names is not None else None
    return Script(
        f"var {var} = {{g: geoloft.decode({safe_json(encode_polygons(geoms))}), "
        f"n: {safe_json(escaped)}}};"
    )


def names_of(frame: pd.DataFrame) -> list[str]:
    """Return the ``name`` column as plain strings (``""`` where missing)."""
    return frame[NAME].astype(object).where(frame[NAME].notna(), "").astype(str).tolist()


def left_out_notes(before: int, after: int, layer: str, lang: str) -> list[str]:
    """Return the note that ``before - after`` features without an area were not drawn."""
    n = before - after
    return [text("left_out", lang, layer=layer, n=format_number(n, lang=lang))] if n else []


def area_layers(
    areas: gpd.GeoDataFrame,
    indicators: Sequence[str] | Mapping[str, Any] | str | None,
    opts: MapOptions,
) -> Built:
    """Build a choropleth per indicator on shared, coverage-simplified area geometry."""
    given = len(areas) if isinstance(areas, pd.DataFrame) else 0
    areas = check_layer(areas, what="areas", required=[AREA_ID, NAME], polygons=True)
    specs = indicator_specs(indicators, areas, lang=opts.lang, method=opts.method)
    built = Built(notes=left_out_notes(given, len(areas), text("areas", opts.lang), opts.lang))
    columns = [s.column for s in specs]
    if POP_TOT in areas:
        areas = suppress(areas, columns=columns, pop=POP_TOT, threshold=opts.threshold)
    elif specs and SUPPRESSED not in areas:  # not yet through disclosure control
        built.notes.append(text("no_population_note", opts.lang, threshold=opts.threshold))
    hidden = areas[SUPPRESSED].to_numpy(bool) if SUPPRESSED in areas else np.zeros(len(areas), bool)
    geoms, _ = simplify_coverage(areas.geometry, tolerance=opts.tolerance)
    names = names_of(areas)
    built.scripts.append(geometry_script("gl_geo_areas", geoms, names))
    built.geo_var, built.names = "gl_geo_areas", names
    built.bounds.append(areas.to_crs(4326).total_bounds)
    table_cols: list[tuple[str, bool]] = [
        (text("name", opts.lang), False),
        (text("area_id", opts.lang), False),
    ]
    table = [[n, str(i)] for n, i in zip(names, areas[AREA_ID].astype(str), strict=True)]
    if not specs:
        outline = {"pane": "gl-areas", "style": {**AREA_STYLE, "fillOpacity": 0.1}, "tip": True}
        label = text("areas", opts.lang)
        built.layers.append(
            JsLayer(
                label,
                f"geoloft.polygons(gl_geo_areas, {safe_json(outline)})",
                legend_id="gl-legend-areas",
            )
        )
        built.legends.append(outline_legend("gl-legend-areas", label, AREA_STYLE["color"], label))
    for i, spec in enumerate(specs):
        breaks = (opts.breaks or {}).get(spec.column)
        classes = classify(
            areas[spec.column],
            scheme="fixed" if breaks else opts.scheme,
            k=opts.k,
            breaks=breaks,
            palette=AREA_PALETTE,
            reverse=spec.reverse,
            lang=opts.lang,
        )
        hidden_here = hidden | _withheld_in(areas, spec.column)
        codes = _codes(classes, hidden_here)
        texts = texts_of(areas[spec.column], classes.decimals, opts.lang)
        data = _layer_data(classes, codes, texts, spec.label, opts, "gl-areas", AREA_STYLE)
        legend_id = f"gl-legend-area-{i}"
        built.layers.append(
            JsLayer(
                spec.label,
                f"geoloft.polygons(gl_geo_areas, {data})",
                show=i == 0,
                legend_id=legend_id,
                choice=True,
            )
        )
        built.legends.append(
            class_legend(
                legend_id,
                spec.label,
                classes,
                extra=_extra_rows(codes, opts),
                note=_scheme_note(classes, breaks, opts),
            )
        )
        table_cols.append((spec.label, True))
        suppressed_text = text("suppressed_short", opts.lang)
        for row, t, h in zip(table, texts, hidden_here, strict=True):
            row.append(suppressed_text if h else (t or text("no_value", opts.lang)))
    if POP_TOT in areas:
        table_cols.append((text("pop_tot", opts.lang), True))
        pops = texts_of(areas[POP_TOT], 0, opts.lang)
        for row, t in zip(table, pops, strict=True):
            row.append(t or text("suppressed_short", opts.lang))
    built.tables.append(data_table("gl-table-areas", text("areas", opts.lang), table_cols, table))
    return built


def _withheld_in(areas: pd.DataFrame, column: str) -> np.ndarray:
    """Areas whose ``column`` disclosure control withheld (the published ``withheld`` list).

    >>> _withheld_in(pd.DataFrame({"withheld": ["a_rate,index", None]}), "index").tolist()
    [True, False]
    """
    if WITHHELD not in areas.columns:
        return np.zeros(len(areas), dtype=bool)
    pattern = rf"(?:^|,){re.escape(column)}(?:,|$)"
    listed = areas[WITHHELD].astype(object).fillna("").astype(str)
    return listed.str.contains(pattern, regex=True).to_numpy(dtype=bool)


def _cell_size(grid: gpd.GeoDataFrame) -> int:
    if CELL_SIZE in grid and grid[CELL_SIZE].notna().any():
        return int(grid[CELL_SIZE].dropna().iloc[0])
    if "cell_size" in grid.attrs:
        return int(grid.attrs["cell_size"])
    return round(float(np.sqrt(grid.geometry.area.median())))


def grid_layer(grid: gpd.GeoDataFrame, column: str, opts: MapOptions, *, show: bool) -> Built:
    """Build the grid layer: one square per cell, or one shape per class when large."""
    given = len(grid) if isinstance(grid, pd.DataFrame) else 0
    required = list(dict.fromkeys([POP_TOT, column]))
    grid = check_layer(grid, what="grid", required=required, polygons=True)
    size = _cell_size(grid)
    grid = suppress(grid, columns=[column], pop=POP_TOT, threshold=opts.threshold)
    hidden = grid[SUPPRESSED].to_numpy(bool)
    label = (
        text("grid", opts.lang, size=size)
        if column == POP_TOT
        else text(
            "grid_value",
            opts.lang,
            size=size,
            label=text(column, opts.lang) if column in TEXT else column,
        )
    )
    breaks = (opts.breaks or {}).get(column)
    classes = classify(
        grid[column],
        scheme="fixed" if breaks else opts.scheme,
        k=opts.k,
        palette=GRID_PALETTE,
        breaks=breaks,
        lang=opts.lang,
    )
    codes = np.asarray(_codes(classes, hidden))
    built = Built(
        bounds=[grid.to_crs(4326).total_bounds],
        notes=left_out_notes(given, len(grid), label, opts.lang),
        fit_rank=1,
    )
    class_text = {
        **dict(enumerate(classes.labels)),
        -1: text("missing", opts.lang),
        SUPPRESSED_CODE: text("suppressed_short", opts.lang),
    }
    if len(grid) > DISSOLVE_ABOVE:
        geoms, present = dissolve_classes(grid.geometry, codes)
        codes_out = present.tolist()
        texts: list[Any] = [class_text[int(c)] for c in present]
        built.notes.append(text("dissolved_note", opts.lang, n=format_number(len(grid))))
    else:
        geoms, codes_out = grid.geometry, codes.tolist()
        texts = texts_of(grid[column], classes.decimals, opts.lang)
    built.scripts.append(geometry_script("gl_geo_grid", geoms, None))
    data = _layer_data(classes, codes_out, texts, label, opts, "gl-grid", GRID_STYLE)
    built.layers.append(
        JsLayer(
            label, f"geoloft.polygons(gl_geo_grid, {data})", show=show, legend_id="gl-legend-grid"
        )
    )
    built.legends.append(
        class_legend(
            "gl-legend-grid",
            label,
            classes,
            extra=_extra_rows(codes.tolist(), opts),
            note=_scheme_note(classes, breaks, opts),
        )
    )
    built.tables.append(_grid_table(grid, codes, class_text, opts, label))
    return built


def _grid_table(
    grid: gpd.GeoDataFrame,
    codes: np.ndarray,
    class_text: Mapping[int, str],
    opts: MapOptions,
    label: str,
) -> str:
    """Return cells and persons per class: the grid's numbers without one row per cell."""
    lang = opts.lang
    counts = pd.Series(codes).value_counts()
    pops = pd.Series(grid[POP_TOT].to_numpy(float)).groupby(codes).sum(min_count=1)
    withheld = {SUPPRESSED_CODE: text("suppressed_short", lang), -1: text("no_value", lang)}
    rows = []
    for c in sorted(counts.index, key=lambda c: (c < 0, -c)):
        persons = format_number(float(pops[c]), lang=lang) if c >= 0 else withheld[int(c)]
        rows.append([class_text[int(c)], format_number(int(counts[c]), lang=lang), persons])
    cols = [
        (text("class", lang), False),
        (text("cells", lang), True),
        (text("persons", lang), True),
    ]
    return data_table("gl-table-grid", label, cols, rows)
