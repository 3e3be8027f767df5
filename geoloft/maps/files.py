"""Files in, map page out: what ``geoloft map`` runs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft.columns import (
    AREA_ID,
    GRID_VALUE_ALIASES,
    INDEX,
    LEVEL,
    MEMBERS,
    NAME,
    PARENT_ID,
    POP,
    POP_TOT,
    SUPPRESSED,
    WORKING_CRS,
    ZONE_ID,
)
from geoloft.errors import CRSError, InputError, OutputExistsError, SchemaError
from geoloft.labels import text
from geoloft.maps.assemble import embed_snippet, make_map, save_map

__all__ = ["WrittenMap", "write_map"]

#: Table columns never drawn as indicators (years and the like).
_NOT_INDICATORS = frozenset({"aar", "år", "year", "ar"})
#: Suffixes of a count pair in a table without a catalogue entry (geoloft's own naming).
_NUMERATOR, _DENOMINATOR = "_n", "_d"
#: Area columns that stay in areas whose figures are withheld.
_AREA_KEEP = frozenset({AREA_ID, NAME, LEVEL, PARENT_ID, SUPPRESSED})
_RULE_POP = "_disclosure_pop"


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
    disclosure
        What disclosure control hid (the notes of
        :func:`~geoloft.disclosure.protect.protect_layers`: ``primary_hidden``,
        ``secondary_hidden``, ...); ``None`` when it was switched off.
    """

    path: Path
    size: int
    snippet: str
    notes: list[str] = field(default_factory=list)
    disclosure: dict[str, Any] | None = None


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


def _count_rates(table: pd.DataFrame, catalogue: Any) -> list[Any]:
    """Return the count pairs (numerator, denominator) the indicator table carries.

    The catalogue's count indicators whose two columns the table has, then any
    other pair named ``<stem>_n`` and ``<stem>_d`` (geoloft's own naming).
    """
    from geoloft.disclosure.model import Rate

    rates = [
        Rate(ind.id, str(ind.numerator), str(ind.denominator), float(ind.scale))
        for ind in catalogue
        if ind.numerator in table.columns and ind.denominator in table.columns
    ]
    used = {c for r in rates for c in (r.numerator, r.denominator)}
    for col in map(str, table.columns):
        stem = col.removesuffix(_NUMERATOR)
        den = stem + _DENOMINATOR
        if col.endswith(_NUMERATOR) and den in table.columns and not {col, den} & used:
            rates.append(Rate(stem, col, den, 1.0))
    return rates


def _population_column(table: pd.DataFrame, catalogue: Any) -> str | None:
    """Return the table's column of persons per area, if it has one.

    ``pop_tot`` or one of its spellings in SSB files (``befolkning``, ``popTot``,
    ...), else the population column of a value indicator in the catalogue.
    """
    spellings = [k for k, v in GRID_VALUE_ALIASES.items() if v == POP_TOT]
    for col in map(str, table.columns):
        if col.lower() in spellings:
            return col
    given = [getattr(ind, "population", None) for ind in catalogue]
    return next((c for c in given if c and c in table.columns), None)


def _rule_population(model: gpd.GeoDataFrame, pop: str | None, rates: list[Any]) -> Any:
    """Persons per area for the disclosure rule; ``None`` when nothing tells.

    The grid's persons (``pop_tot`` from the join) when known, else the table's
    population column, else each area's largest denominator (as scoring takes it).
    """
    for col in (POP_TOT, pop):
        if col and col in model.columns:
            return pd.to_numeric(model[col], errors="coerce").to_numpy(dtype=np.float64)
    dens = [r.denominator for r in rates]
    if not dens:
        return None
    values = model[dens].apply(pd.to_numeric, errors="coerce")
    return values.max(axis=1).to_numpy(dtype=np.float64)


def _check_zones(
    zones: gpd.GeoDataFrame, model: gpd.GeoDataFrame, rates: list[Any], source: Path | None
) -> None:
    """Refuse intervention areas whose figures are not the sums over their members.

    Disclosure control reads a zone's population and rates as sums over its member
    areas; zones drawn from another grid or table contradict the areas drawn now.
    """
    from geoloft.disclosure.protect import ROUNDING

    if MEMBERS not in zones.columns:
        return
    lists = zones[MEMBERS].astype(str).str.split(",")
    at = pd.Index(model[AREA_ID].astype(str)).get_indexer(lists.explode().to_numpy())
    rows = np.repeat(np.arange(len(zones)), lists.str.len())
    member = np.zeros((len(zones), len(model)))
    member[rows[at >= 0], at[at >= 0]] = 1.0

    def sums(col: str) -> np.ndarray:
        return member @ pd.to_numeric(model[col], errors="coerce").to_numpy(dtype=np.float64)

    bad = np.zeros(len(zones), dtype=bool)
    checks = [(POP, sums(POP_TOT), ROUNDING / 2)] if POP_TOT in model.columns else []
    for r in rates:
        pooled = sums(r.numerator) / sums(r.denominator) * r.scale
        checks.append((f"{r.id}_rate", pooled, 1e-6 * np.maximum(1.0, np.abs(pooled))))
    for col, expected, tol in checks:
        if col in zones.columns:
            given = pd.to_numeric(zones[col], errors="coerce").to_numpy(dtype=np.float64)
            with np.errstate(invalid="ignore"):
                bad |= np.abs(given - expected) > tol + 1e-6 * np.abs(expected)
    if bad.any():
        raise InputError(
            "intervention areas whose population or rates are not the sums over their "
            "member areas, so disclosure control cannot protect them with the areas.",
            source=source,
            column=ZONE_ID,
            rows=zones.loc[bad, ZONE_ID].astype(str).tolist(),
            n_rows=int(bad.sum()),
            hint="draw the intervention areas made from the same boundaries, grid and "
            "indicator table (geoloft run or geoloft delineate), or pass --no-disclosure "
            "(Python: disclosure=False) to publish them as given.",
        )


@dataclass
class _Layers:
    """What a map page draws, before or after disclosure control."""

    areas: gpd.GeoDataFrame
    grid: gpd.GeoDataFrame | None = None
    zones: gpd.GeoDataFrame | None = None
    disclosure: dict[str, Any] | None = None
    zone_file: Path | None = None


def _protect(
    layers: _Layers,
    table: pd.DataFrame | None,
    drawn: Sequence[str],
    *,
    catalogue: Any,
    threshold: int,
    source: Path | None,
) -> _Layers:
    """Protect the layers a map draws as one publication (as ``geoloft export`` does).

    Counts of the indicator table (and its population column) join the areas for
    the disclosure model: small counts are hidden with the counts that would
    reveal them, then every figure of an area under the threshold. A drawn column
    whose link to the counts is unknown (a value, a percentage) is withheld in the
    areas where one of the counts is hidden, since it may follow from it.

    Raises
    ------
    InputError
        If columns of the indicator table are drawn but nothing tells how many
        persons stand behind them.
    """
    from geoloft.disclosure import suppress
    from geoloft.disclosure.protect import protect_layers

    rates = [] if table is None else _count_rates(table, catalogue)
    counts = list(dict.fromkeys(c for r in rates for c in (r.numerator, r.denominator)))
    pop = None if table is None else _population_column(table, catalogue)
    extra = [c for c in dict.fromkeys([*counts, pop]) if c and c not in layers.areas.columns]
    model = layers.areas
    if extra and table is not None:
        model = model.merge(table[[AREA_ID, *extra]], on=AREA_ID, how="left")
        model.index = layers.areas.index
    rule = _rule_population(model, pop, rates)
    if rule is None and drawn:
        raise InputError(
            "nothing tells how many persons stand behind the values drawn "
            f"({', '.join(drawn[:5])}), so the figures of small areas cannot be withheld.",
            source=source,
            hint="add a population column (pop_tot) or the counts (numerator and "
            "denominator) to the table, or give the grid (--grid); or pass "
            "--no-disclosure (Python: disclosure=False) to publish the values as given.",
        )
    if layers.zones is not None:
        _check_zones(layers.zones, model, rates, layers.zone_file)
    given = {"areas": model, "grid": layers.grid, "intervention_areas": layers.zones}
    protection = protect_layers(
        {k: v for k, v in given.items() if v is not None},
        threshold=threshold,
        rates=rates,
        area_pop=rule,
    )
    areas = protection.layers["areas"]
    touched = np.zeros(len(areas), dtype=bool)
    for col in counts:
        touched |= model[col].notna().to_numpy() & areas[col].isna().to_numpy()
    linked = {*counts, POP_TOT, *(f"{r.id}{s}" for r in rates for s in ("_rate", "_std"))}
    for col in (c for c in drawn if c not in linked):
        areas[col] = areas[col].astype("float64").mask(touched)
    if rule is not None:
        geometry = areas.geometry.name
        withheld = [c for c in areas.columns if c not in _AREA_KEEP and c != geometry]
        areas = suppress(
            areas.assign(**{_RULE_POP: rule}), columns=withheld, pop=_RULE_POP, threshold=threshold
        ).drop(columns=[_RULE_POP])
    areas = areas.drop(columns=[c for c in extra if c not in drawn])
    return _Layers(
        areas,
        protection.layers.get("grid"),
        protection.layers.get("intervention_areas"),
        disclosure=protection.notes,
        zone_file=layers.zone_file,
    )


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
    catalogue: str | os.PathLike[str] | None = None,
    measures: str | os.PathLike[str] | None = None,
    zones: str | os.PathLike[str] | None = None,
    offline: bool = False,
    lang: str = "nb",
    title: str | None = None,
    basemap: str = "topograatone",
    threshold: int = 10,
    disclosure: bool = True,
    overwrite: bool = False,
) -> WrittenMap:
    """Read the input files, protect what they publish, draw the map and write it to ``out``.

    Everything the page shows goes through disclosure control as one publication,
    as in ``geoloft run`` and ``geoloft export`` (see docs/disclosure.md): grid cells,
    the areas' persons (from the grid), the counts of the indicator table and the
    intervention areas. Counts under ``threshold`` persons are hidden, with the
    counts that would reveal them; an area under the threshold keeps only its name
    and outline.

    Parameters
    ----------
    boundaries
        Area boundaries (any format :func:`geoloft.boundaries.read_boundaries` reads).
    out
        HTML file to write.
    grid
        SSB grid file (:func:`geoloft.grid.read.read_grid`); also gives each area
        its persons (exact area shares).
    indicators
        Table with ``area_id`` (or a name column the reader recognises) and
        numeric columns; each drawn as a choropleth. Disclosure control needs to
        know the persons behind its values: the grid, a population column
        (``pop_tot``, ``befolkning``, ...) or counts (the catalogue's numerator and
        denominator columns, or pairs named ``<stem>_n`` and ``<stem>_d``). A drawn
        column that is not such a count (a percentage, a score) is withheld in areas
        where one of the counts is hidden.
    columns
        Which numeric columns of ``indicators`` to draw (all when ``None``).
    catalogue
        Indicator catalogue (TOML) naming the table's count columns; ``None`` uses
        the default catalogue.
    measures
        Measures file (:func:`geoloft.measures.read_measures`).
    zones
        Intervention areas, as written by ``geoloft delineate``/``export``.
    offline, lang, title, basemap, threshold
        As in :func:`geoloft.maps.make_map`.
    disclosure
        ``False`` draws every figure as given, small counts included (the rows
        without any person still show none), and says so on the page.
    overwrite
        Replace ``out`` if it exists.

    Returns
    -------
    WrittenMap
        Path, size, embedding snippet, notes and what disclosure control hid.

    Raises
    ------
    InputError
        For bad input; and, with ``disclosure``, when the indicator table's values
        are drawn but no grid, population column or counts tell the persons behind
        them.
    OutputExistsError
        If ``out`` exists and ``overwrite`` is false, or ``out`` is one of the inputs.
    """
    from geoloft._io import check_not_input

    inputs = tuple(Path(p) for p in (boundaries, grid, indicators, catalogue, measures, zones) if p)
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
    layers, table, drawn = _read_layers(source, grid, indicators, columns, zones)
    notes: list[str] = []
    if disclosure:
        from geoloft.indicators import default_catalogue, load_catalogue

        layers = _protect(
            layers,
            table,
            drawn,
            catalogue=load_catalogue(catalogue) if catalogue else default_catalogue(),
            threshold=threshold,
            source=None if indicators is None else Path(indicators),
        )
    else:
        notes.append(text("disclosure_off_note", lang))
    measure_frame = None
    if measures is not None:
        from geoloft.measures import read_measures

        measure_frame = read_measures(measures)
    title = title or f"{text('map_title', lang)} – {source.stem}"
    m = make_map(
        layers.areas,
        grid=layers.grid,
        measures=measure_frame,
        zones=layers.zones,
        indicators=drawn,
        basemap=basemap,
        lang=lang,
        offline=offline,
        # switched off, only rows without a single person are left blank
        threshold=threshold if disclosure else 1,
        title=title,
        notes=notes,
    )
    size = save_map(m, out, overwrite=overwrite, inputs=inputs)
    snippet = embed_snippet(Path(out).name, title=title)
    return WrittenMap(Path(out), size, snippet, list(m.notes), layers.disclosure)


def _read_layers(
    source: Path,
    grid: str | os.PathLike[str] | None,
    indicators: str | os.PathLike[str] | None,
    columns: Sequence[str] | None,
    zones: str | os.PathLike[str] | None,
) -> tuple[_Layers, pd.DataFrame | None, list[str]]:
    """Read the areas (with the drawn table columns and the grid's persons), grid and zones."""
    from geoloft.boundaries import read_boundaries

    areas = read_boundaries(source)
    table: pd.DataFrame | None = None
    drawn: list[str] = []
    if indicators is not None:
        from geoloft.indicators import read_indicators

        table = read_indicators(indicators, areas=areas)
        areas, drawn = _indicator_columns(areas, table, columns, Path(indicators))
    grid_frame = None
    if grid is not None:
        from geoloft.grid.read import read_grid

        grid_frame = read_grid(grid)
        areas = _with_population(areas, grid_frame)
    if zones is None:
        return _Layers(areas, grid_frame), table, drawn
    zone_file = Path(zones)
    return _Layers(areas, grid_frame, _read_zones(zone_file), zone_file=zone_file), table, drawn
