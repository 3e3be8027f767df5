"""Files in, map page out: what ``geoloft map`` runs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoloft.columns import AREA_ID, INDEX, NAME, POP_TOT, WORKING_CRS
from geoloft.errors import CRSError, InputError, OutputExistsError, SchemaError
from geoloft.labels import text
from geoloft.maps.assemble import embed_snippet, make_map, save_map

__all__ = ["WrittenMap", "write_map"]

#: Table columns never drawn as indicators (years and the like).
_NOT_INDICATORS = frozenset({"aar", "år", "year", "ar"})


@dataclass(frozen=True)
class WrittenMap:
    """A map page written to disk.

    Attributes
    ----------
    path
        The HTML file.
    size
        Its size in bytes.
    snippet
        An ``<iframe>`` that embeds it (see :func:`~geoloft.maps.embed_snippet`).
    notes
        What the page tells its readers (suppression, features left out).
    """

    path: Path
    size: int
    snippet: str
    notes: list[str] = field(default_factory=list)


def _indicator_columns(
    areas: gpd.GeoDataFrame, table: pd.DataFrame, columns: Sequence[str] | None, source: Path
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Join an indicator table to the areas; return the columns to draw."""
    numeric = [
        str(c)
        for c in table.columns
        if c not in (AREA_ID, NAME)
        and str(c).lower() not in _NOT_INDICATORS
        and pd.api.types.is_numeric_dtype(table[c])
    ]
    chosen = list(columns) if columns else sorted(numeric, key=lambda c: c != INDEX)
    unknown = [c for c in chosen if c not in numeric]
    clash = [c for c in chosen if c in areas.columns]
    if unknown or clash or not chosen:
        raise SchemaError(
            "cannot draw these columns: "
            + (", ".join(unknown + clash) if unknown or clash else "the table has none."),
            source=source,
            column=(unknown + clash + [None])[0],
            hint=f"numeric columns of the table: {', '.join(numeric) or '(none)'}; "
            "columns must not repeat the boundaries' own.",
        )
    merged = areas.merge(table[[AREA_ID, *chosen]], on=AREA_ID, how="left")
    merged.index = areas.index
    return merged, chosen


def _with_population(areas: gpd.GeoDataFrame, grid: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give the areas the grid's persons (exact area shares) so small areas are withheld.

    Without a population column the map cannot apply the disclosure threshold to
    the areas' figures; with a grid at hand it never needs to go without.
    """
    if POP_TOT in areas.columns or POP_TOT not in grid.columns:
        return areas
    from geoloft.join import join_grid

    joined = join_grid(grid, areas, values=[POP_TOT], method="area")
    return areas.assign(**{POP_TOT: joined[POP_TOT].to_numpy()})


def _read_zones(path: Path) -> gpd.GeoDataFrame:
    """Read intervention areas as geoloft writes them (any OGR format)."""
    zones = gpd.read_file(path)
    if zones.crs is None:
        raise CRSError(
            "the file has no CRS.",
            source=path,
            hint="write it with geoloft export, which always sets one.",
        )
    return zones.to_crs(WORKING_CRS)


def write_map(
    boundaries: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    grid: str | os.PathLike[str] | None = None,
    indicators: str | os.PathLike[str] | None = None,
    columns: Sequence[str] | None = None,
    measures: str | os.PathLike[str] | None = None,
    zones: str | os.PathLike[str] | None = None,
    offline: bool = False,
    lang: str = "nb",
    title: str | None = None,
    basemap: str = "topograatone",
    threshold: int = 10,
    overwrite: bool = False,
) -> WrittenMap:
    """Read the input files, draw the map and write it to ``out``.

    Parameters
    ----------
    boundaries
        Area boundaries (any format :func:`geoloft.boundaries.read_boundaries` reads).
    out
        HTML file to write.
    grid
        SSB grid file (:func:`geoloft.grid.read.read_grid`).
    indicators
        Table with ``area_id`` (or a name column the reader recognises) and
        numeric columns; each drawn as a choropleth.
    columns
        Which numeric columns of ``indicators`` to draw (all when ``None``).
    measures
        Measures file (:func:`geoloft.measures.read_measures`).
    zones
        Intervention areas, as written by ``geoloft delineate``/``export``.
    offline, lang, title, basemap, threshold
        As in :func:`geoloft.maps.make_map`.
    overwrite
        Replace ``out`` if it exists.

    Returns
    -------
    WrittenMap
        Path, size, embedding snippet and notes.
    """
    from geoloft._io import check_not_input
    from geoloft.boundaries import read_boundaries

    inputs = tuple(Path(p) for p in (boundaries, grid, indicators, measures, zones) if p)
    if Path(out).suffix.lower() not in (".html", ".htm"):
        raise InputError(
            f"a map page is HTML, not '{Path(out).suffix}'.",
            source=Path(out),
            hint="name the output file map.html.",
        )
    check_not_input(Path(out), inputs)  # fail before the reading and drawing
    if Path(out).exists() and not overwrite:
        raise OutputExistsError(
            f"{out}: the file exists; pass overwrite=True (CLI: --overwrite) to replace it."
        )
    source = Path(boundaries)
    areas = read_boundaries(source)
    drawn: list[str] | None = None
    if indicators is not None:
        from geoloft.indicators import read_indicators

        table = read_indicators(indicators, areas=areas)
        areas, drawn = _indicator_columns(areas, table, columns, Path(indicators))
    grid_frame = None
    if grid is not None:
        from geoloft.grid.read import read_grid

        grid_frame = read_grid(grid)
        areas = _with_population(areas, grid_frame)
    measure_frame = None
    if measures is not None:
        from geoloft.measures import read_measures

        measure_frame = read_measures(measures)
    title = title or f"{text('map_title', lang)} – {source.stem}"
    m = make_map(
        areas,
        grid=grid_frame,
        measures=measure_frame,
        zones=_read_zones(Path(zones)) if zones is not None else None,
        indicators=drawn if drawn is not None else [],
        basemap=basemap,
        lang=lang,
        offline=offline,
        threshold=threshold,
        title=title,
    )
    size = save_map(m, out, overwrite=overwrite, inputs=inputs)
    return WrittenMap(Path(out), size, embed_snippet(Path(out).name, title=title), list(m.notes))
