"""Inputs over time: grid vintages, areas whose codes changed, areas inside zones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft.columns import AREA_ID, POP_TOT
from geoloft.errors import InputError, SchemaError
from geoloft.evaluation._panel import DENOMINATOR, INDICATOR, NUMERATOR, VALUE, YEAR
from geoloft.join import convert_areas, join_grid
from geoloft.report import StageReport, attach_report, get_report

__all__ = [
    "areas_inside",
    "common_areas",
    "grid_panel",
    "harmonise_small_cells",
]

#: Grid publication rules: how cells of 1–4 persons are shown.
RULES: Final = ("floor5", "drop5", "none")
#: Indicator id of the grid population in :func:`grid_panel`.
GRID_POP: Final = "grid_pop"


def _rule_of(grid: pd.DataFrame, column: str) -> str:
    """``floor5`` when no cell holds 1–4 persons and some hold 5, else ``none``."""
    v = grid[column].to_numpy(np.float64)
    small = np.sum((v > 0) & (v < 5))
    fives = np.sum(v == 5)
    return "floor5" if small == 0 and fives > 0 else "none"


def harmonise_small_cells(
    grid: gpd.GeoDataFrame, *, rule: str = "floor5", column: str = POP_TOT
) -> gpd.GeoDataFrame:
    """Put a grid vintage on a common publication rule for cells of 1–4 persons.

    SSB's 250 m grid for 2022 publishes cells of 1–4 persons as 5, while
    older vintages give exact counts, so the same place gains up to 4 persons
    on paper. ``floor5`` applies the newer rule to any vintage (1–4 become
    5); ``drop5`` leaves out every cell of 5 or fewer persons in any vintage
    (whose true size the newer rule hides); ``none`` changes nothing.

    Parameters
    ----------
    grid
        Grid cells with the count ``column`` (persons).
    rule
        ``"floor5"``, ``"drop5"`` or ``"none"``.
    column
        The count to harmonise.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy; the report in ``attrs["report"]`` counts the cells changed or
        dropped and the persons added or removed.

    Raises
    ------
    InputError
        For an unknown rule.

    Examples
    --------
    >>> import geopandas as gpd
    >>> g = gpd.GeoDataFrame({"pop_tot": [2.0, 5.0, 40.0]})
    >>> harmonise_small_cells(g)["pop_tot"].tolist()
    [5.0, 5.0, 40.0]
    """
    if rule not in RULES:
        raise InputError(
            f"unknown rule {rule!r}.", source="rule", hint="use 'floor5', 'drop5' or 'none'."
        )
    out = grid.copy()
    v = out[column].to_numpy(np.float64, copy=True)
    report = StageReport(stage="harmonise_small_cells", source=column, rows_in=len(grid))
    if rule == "floor5":
        small = (v > 0) & (v < 5)
        out.loc[small, column] = 5.0
        report.notes.update(
            cells_raised=int(small.sum()), persons_added=float(np.sum(5 - v[small]))
        )
    elif rule == "drop5":
        small = v <= 5
        out = out[~small]
        report.drop("5 or fewer persons", int(small.sum()))
        report.notes.update(persons_removed=float(np.nansum(v[small])))
    report.notes["rule"] = rule
    report.rows_out = len(out)
    return attach_report(out, report)


def grid_panel(
    grids: Mapping[int, gpd.GeoDataFrame],
    areas: gpd.GeoDataFrame,
    *,
    rule: str | None = None,
    method: str = "area",
    column: str = POP_TOT,
) -> pd.DataFrame:
    """Grid population per area for several vintages, on one publication rule.

    Parameters
    ----------
    grids
        Year -> grid (from :func:`geoloft.read_grid`), EPSG:25833.
    areas
        Areas with a unique ``area_id``, EPSG:25833.
    rule
        Publication rule for cells of 1–4 persons (see
        :func:`harmonise_small_cells`); ``None`` picks ``floor5`` when any
        vintage follows it (no cell under 5, some at 5), else ``none``.
    method
        Join method of :func:`geoloft.join_grid`.
    column
        The grid count.

    Returns
    -------
    pandas.DataFrame
        Long table ``area_id``, ``year``, ``indicator`` (``grid_pop``),
        ``value`` (persons). ``attrs["rule"]`` holds the rule and
        ``attrs["vintages"]`` per year the rule the file followed, the cells
        changed and the persons in, assigned and outside the areas.

    Raises
    ------
    InputError
        For an unknown rule or no grids.
    """
    if not grids:
        raise InputError("no grid vintages given.", source="grids", hint="give {year: grid}.")
    found = {int(y): _rule_of(g, column) for y, g in grids.items()}
    chosen = rule or ("floor5" if "floor5" in found.values() else "none")
    rows, vintages = [], {}
    for year, grid in sorted(grids.items()):
        fixed = harmonise_small_cells(grid, rule=chosen, column=column)
        joined = join_grid(fixed, areas, values=[column], method=method)
        notes = get_report(joined)
        info: dict[str, Any] = {"published_rule": found[int(year)]}
        harmonised = get_report(fixed)
        info.update(harmonised.notes if harmonised is not None else {})
        if notes is not None:
            info["total_in"] = notes.notes.get("total_in", {}).get(column)
            info["total_outside"] = notes.notes.get("total_outside", {}).get(column)
        vintages[int(year)] = info
        rows.append(
            pd.DataFrame(
                {
                    AREA_ID: joined[AREA_ID].astype(str),
                    YEAR: int(year),
                    INDICATOR: GRID_POP,
                    VALUE: joined[column].to_numpy(np.float64),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out.attrs["rule"] = chosen
    out.attrs["vintages"] = vintages
    return out


def common_areas(
    table: pd.DataFrame,
    *,
    source_areas: gpd.GeoDataFrame,
    target_areas: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
    values: Sequence[str] = (NUMERATOR, DENOMINATOR),
) -> pd.DataFrame:
    """Move a long table whose area codes changed over the years onto one set of areas.

    Years whose ids are all target ids stay as they are; the other years are
    converted with :func:`geoloft.convert_areas` (counts split by where the
    grid population lives), each with its conservation report.

    Parameters
    ----------
    table
        Long table: ``area_id``, ``year`` and the count columns ``values``
        (plus any ``indicator``: one indicator per call).
    source_areas
        Geometry of every id the table uses (old and new codes).
    target_areas
        The areas to end up on.
    grid
        Grid with the population that places the counts.
    values
        Count columns to move.

    Returns
    -------
    pandas.DataFrame
        The same columns, on ``target_areas``' ids. ``attrs["conversions"]``
        holds, per converted year, totals in, out and unplaced per column.

    Raises
    ------
    SchemaError
        If a column is missing.
    """
    missing = [c for c in (AREA_ID, YEAR, *values) if c not in table]
    if missing:
        raise SchemaError(
            f"the table lacks {', '.join(missing)}.",
            source="table",
            hint="give area_id, year and the count columns.",
        )
    targets = set(target_areas[AREA_ID].astype(str))
    extra = [c for c in table.columns if c not in (AREA_ID, YEAR, *values)]
    constants = {c: table[c].iloc[0] for c in extra if table[c].nunique() == 1}
    parts, conversions = [], {}
    for year, rows in table.groupby(YEAR, sort=True):
        ids = rows[AREA_ID].astype(str)
        if set(ids) <= targets:
            parts.append(rows)
            continue
        conv = convert_areas(
            rows[[AREA_ID, *values]].assign(**{AREA_ID: ids}),
            source_areas,
            target_areas,
            grid,
            values=list(values),
        )
        rep = get_report(conv)
        conversions[int(str(year))] = rep.notes if rep else {}
        frame = pd.DataFrame(conv[[AREA_ID, *values]]).assign(**{YEAR: year}, **constants)
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    out.attrs["conversions"] = conversions
    return out


def areas_inside(
    areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, min_share: float = 0.5
) -> list[str]:
    """Ids of the areas that lie mostly inside intervention areas (zones).

    Intervention areas from a run (``intervention_areas.geojson``) or any
    boundary file rarely follow the units an indicator table is published
    for; an area counts as inside when at least ``min_share`` of its area is.

    Parameters
    ----------
    areas
        Areas with ``area_id``, EPSG:25833.
    zones
        Intervention area polygons (any CRS; reprojected to the areas').
    min_share
        Smallest share (0–1) of an area's own area inside the zones.

    Returns
    -------
    list of str
        The ids, in the order of ``areas``.

    Raises
    ------
    InputError
        If ``min_share`` is not in (0, 1] or no area lies inside.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> areas = gpd.GeoDataFrame({"area_id": ["a", "b"]}, geometry=[
    ...     shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs="EPSG:25833")
    >>> zone = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1.2, 1)], crs="EPSG:25833")
    >>> areas_inside(areas, zone)
    ['a']
    """
    if not 0 < min_share <= 1:
        raise InputError(
            f"min_share must be in (0, 1], got {min_share}.",
            source="min_share",
            hint="0.5 counts an area when most of it lies inside.",
        )
    union = zones.to_crs(areas.crs).union_all()
    own = areas.geometry.area.to_numpy()
    inside = areas.geometry.intersection(union).area.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(own > 0, inside / own, 0.0)
    ids = areas[AREA_ID].astype(str)[share >= min_share].tolist()
    if not ids:
        raise InputError(
            f"no area has {min_share:.0%} of its area inside the intervention areas.",
            source="zones",
            hint="check that both files cover the same place, or lower min_share.",
        )
    return ids
