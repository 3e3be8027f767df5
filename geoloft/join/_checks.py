"""Input checks of the join stage: frames, CRS, cell size, area geometry and value columns.

Every check names the frame (its source file when a reader attached one), the
column and the offending rows or ids, and says what to do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geoloft._validate import Problems, check_unique, require_columns
from geoloft.columns import (
    AREA_ID,
    CELL_SIZE,
    INTENSIVE_WEIGHTS,
    POP_FEM,
    POP_MAL,
    POP_TOT,
    SSBID,
    WORKING_CRS,
)
from geoloft.errors import CRSError, GeometryError, InputError, SchemaError
from geoloft.grid.codec import check_cell_size, check_ssbids
from geoloft.report import source_of

METHODS = ("area", "centroid")
POLYGONAL = frozenset({"Polygon", "MultiPolygon"})


def check_method(method: str) -> str:
    """Return ``method`` if it is a join method, else raise :class:`InputError`."""
    if method not in METHODS:
        raise InputError(
            f"unknown join method {method!r}.",
            source="method",
            hint="use 'area' (exact area shares) or 'centroid' (whole cells by centre).",
        )
    return method


def check_frame(frame: object, *, name: str) -> gpd.GeoDataFrame:
    """Return ``frame`` if it is a GeoDataFrame, else raise :class:`TypeError`."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(
            f"{name} must be a geopandas GeoDataFrame, not {type(frame).__name__}; "
            f"read it with geoloft.read_{'grid' if name == 'grid' else 'boundaries'}."
        )
    return frame


def check_crs(grid: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, what: str = "areas") -> None:
    """Raise :class:`CRSError` unless both frames are in the working CRS (EPSG:25833)."""
    working = pyproj.CRS(WORKING_CRS)
    for frame, name in ((grid, "grid"), (areas, what)):
        source = source_of(frame, name)
        if frame.crs is None:
            raise CRSError(
                f"the {name} have no CRS.",
                source=source,
                hint=f"set it if you know it ({name}.set_crs(...)) and reproject with "
                f"{name}.to_crs('{WORKING_CRS}'), or read the file with geoloft's readers.",
            )
        if not pyproj.CRS(frame.crs).equals(working):
            raise CRSError(
                f"the {name} are in {frame.crs.to_string()}, but the join works in "
                f"{WORKING_CRS} (ETRS89 / UTM 33N, the CRS of SSB's grid).",
                source=source,
                hint=f"reproject first: {name}.to_crs('{WORKING_CRS}'); geoloft's readers "
                "do this at ingest.",
            )


def grid_cell_size(grid: gpd.GeoDataFrame) -> int:
    """Return the grid's cell size (metres) from ``attrs`` or the ``cell_size`` column."""
    source = source_of(grid, "grid")
    sizes: set[int] = set()
    if grid.attrs.get(CELL_SIZE) is not None:
        sizes.add(int(grid.attrs[CELL_SIZE]))
    if CELL_SIZE in grid.columns and len(grid):
        sizes.update(int(s) for s in pd.unique(grid[CELL_SIZE].dropna()))
    if len(sizes) != 1:
        said = "none" if not sizes else ", ".join(f"{s} m" for s in sorted(sizes))
        raise SchemaError(
            f"the grid must have one cell size, found {said}.",
            source=source,
            column=CELL_SIZE,
            hint="read the grid with geoloft.read_grid (it records the size), or set "
            f"grid.attrs['{CELL_SIZE}'] = 250 (metres); split grids that mix sizes.",
        )
    return check_cell_size(sizes.pop())


def check_grid(grid: gpd.GeoDataFrame) -> tuple[np.ndarray, int]:
    """Return the grid's SSB ids (int64) and cell size, raising for bad or duplicated ids."""
    source = source_of(grid, "grid")
    size = grid_cell_size(grid)
    require_columns(grid, [SSBID], source=source, what="cell id")
    ids = grid[SSBID]
    bad = np.flatnonzero(ids.isna().to_numpy())
    if bad.size or not pd.api.types.is_numeric_dtype(ids):
        raise SchemaError(
            "cell ids must be whole numbers (14-digit SSB ids) with none missing.",
            source=source,
            column=SSBID,
            rows=(bad + 1).tolist() or None,
            n_rows=int(bad.size) or None,
            hint="read the grid with geoloft.read_grid, which checks the ids.",
        )
    check_unique(ids, source=source, column=SSBID)
    return check_ssbids(ids.to_numpy(np.int64), size, source=source, column=SSBID), size


def check_areas(areas: gpd.GeoDataFrame, *, name: str = "areas") -> np.ndarray:
    """Return the area geometries, raising for missing ids or unusable geometry."""
    source = source_of(areas, name)
    require_columns(areas, [AREA_ID], source=source, what="area id")
    check_unique(areas[AREA_ID].astype(str), source=source, column=AREA_ID)
    geoms = areas.geometry.to_numpy()
    ids = areas[AREA_ID].astype(str).to_numpy()
    problems = Problems(source=source, error=GeometryError)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    kinds = shapely.get_type_id(geoms)
    wrong = ~empty & ~np.isin(kinds, (3, 6))  # 3 Polygon, 6 MultiPolygon
    invalid = ~empty & ~wrong & ~shapely.is_valid(geoms)
    for mask, what, hint in (
        (empty, "missing or empty geometry", "drop these areas or give them a polygon."),
        (wrong, "geometry that is not a polygon", "areas must be (multi)polygons."),
        (
            invalid,
            "invalid geometry (e.g. self-intersections)",
            "repair with shapely.make_valid or read the file with geoloft.read_boundaries.",
        ),
    ):
        if mask.any():
            rows = ids[mask].tolist()
            problems.add(what, column=AREA_ID, rows=rows, n_rows=len(rows), hint=hint)
    problems.raise_if_any()
    return geoms


#: Grid columns that are counts by their SSB name (persons; summed by area).
KNOWN_COUNTS: tuple[str, ...] = (POP_TOT, POP_MAL, POP_FEM)
#: Words in a column name that mark a share, a rate or a mean: never summed as a count.
NOT_COUNT_WORDS = frozenset(
    {
        "andel",
        "andeler",
        "ave",
        "avg",
        "average",
        "gjennomsnitt",
        "mean",
        "median",
        "pct",
        "percent",
        "prosent",
        "rate",
        "ratio",
        "share",
        "snitt",
    }
)


def looks_like_share_or_mean(column: str) -> bool:
    """Return True if a word of the column name marks a share, rate or mean.

    Examples
    --------
    >>> looks_like_share_or_mean("andel_lavinntekt"), looks_like_share_or_mean("pop_tot")
    (True, False)
    >>> looks_like_share_or_mean("unemployment_rate"), looks_like_share_or_mean("popAve")
    (True, True)
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(column)).lower()
    return any(word in NOT_COUNT_WORDS for word in re.split(r"[^a-z0-9æøå]+", spaced))


@dataclass
class ValueSpec:
    """Which grid columns the join sums, averages and divides, and how that was decided."""

    extensive: list[str]
    intensive: dict[str, str]
    rates: dict[str, tuple[str, str]]
    output: list[str] = field(default_factory=list)
    inferred: dict[str, str] = field(default_factory=dict)

    @property
    def summed(self) -> list[str]:
        """Return every count column aggregated (values, weights, rate parts)."""
        cols = list(self.extensive)
        extra = [*self.intensive.values(), *(c for pair in self.rates.values() for c in pair)]
        return cols + [c for c in dict.fromkeys(extra) if c not in cols]

    def kinds(self) -> dict[str, object]:
        """Return the report note: counts, means (with weight), rates, and what was inferred."""
        return {
            "counts": list(self.extensive),
            "means": dict(self.intensive),
            "rates": {name: list(pair) for name, pair in self.rates.items()},
            "inferred": dict(self.inferred),
        }


def _numeric_columns(grid: pd.DataFrame) -> list[str]:
    skip = {SSBID, CELL_SIZE, grid.geometry.name}
    return [
        c
        for c in grid.columns
        if c not in skip
        and pd.api.types.is_numeric_dtype(grid[c])
        and not pd.api.types.is_bool_dtype(grid[c])
    ]


def _infer_kinds(numeric: list[str], source: str) -> dict[str, str]:
    """Return how each undeclared numeric column was inferred when no values are named.

    Only columns with a known SSB name are inferred (counts such as ``pop_tot``,
    means such as ``pop_ave``); any other numeric column is an error, since a
    share or a mean summed over cells gives nonsense (a per-cent share summed
    into thousands of per cent).
    """
    unknown = [c for c in numeric if c not in KNOWN_COUNTS and c not in INTENSIVE_WEIGHTS]
    if unknown:
        raise SchemaError(
            f"cannot tell whether grid column(s) {', '.join(map(str, unknown))} are counts "
            "(summed into areas) or shares and means (which must never be summed).",
            source=source,
            column=str(unknown[0]),
            hint="name what to join: values=[...] lists counts (persons, households), "
            "weights={'mean_column': 'count_column'} declares means averaged with a "
            "count as weight, rates={'name': ('numerator', 'denominator')} divides "
            "summed counts; on the command line, --values.",
        )
    inferred = {c: "count (known SSB name)" for c in numeric if c in KNOWN_COUNTS}
    inferred.update(
        {
            c: f"mean weighted by {INTENSIVE_WEIGHTS[c]} (known SSB name)"
            for c in numeric
            if c in INTENSIVE_WEIGHTS
        }
    )
    return inferred


def _check_declared(
    chosen: list[str], weights: Mapping[str, str], explicit_weights: bool, source: str
) -> None:
    """Raise if a named value would be summed although it is a known mean or looks like one."""
    summed = [c for c in chosen if c not in weights]
    known_means = [c for c in summed if c in INTENSIVE_WEIGHTS]
    if known_means and explicit_weights:
        pairs = ", ".join(f"'{c}': '{INTENSIVE_WEIGHTS[c]}'" for c in known_means)
        raise SchemaError(
            f"{', '.join(known_means)} is a mean, but weights= does not name it, so it "
            "would be summed.",
            source=source,
            column=known_means[0],
            hint=f"add it to weights= ({{{pairs}}}) or leave it out of values=.",
        )
    shares = [c for c in summed if c not in KNOWN_COUNTS and looks_like_share_or_mean(c)]
    if shares:
        raise SchemaError(
            f"value column(s) {', '.join(map(str, shares))} look like shares, rates or "
            "means (by name), and values= are summed as counts.",
            source=source,
            column=str(shares[0]),
            hint="declare a mean with its weight, weights={'"
            f"{shares[0]}': 'pop_tot'}}; for a share, join its numerator and "
            "denominator as counts and divide with rates={'name': ('numerator', "
            "'denominator')}; a column that really holds counts needs a name without "
            f"{', '.join(sorted(NOT_COUNT_WORDS))}.",
        )


def resolve_values(
    grid: gpd.GeoDataFrame,
    values: Sequence[str] | None,
    weights: Mapping[str, str] | None,
    rates: Mapping[str, tuple[str, str]] | None,
) -> ValueSpec:
    """Sort the value columns into counts (extensive), means (intensive, with weight) and rates.

    Named ``values`` are counts unless ``weights`` names them as means. With
    ``values=None`` every numeric column is joined, which is allowed only when
    each has a known SSB name (``pop_tot`` counts, ``pop_ave`` means); the
    spec records what was inferred. Raises :class:`SchemaError` for unknown
    columns, for a known mean that would be summed, and for named values whose
    name marks a share, rate or mean.
    """
    source = source_of(grid, "grid")
    numeric = _numeric_columns(grid)
    inferred: dict[str, str] = {}
    if values is None:
        declared = {*(weights or {}), *(weights or {}).values()}
        declared.update(c for pair in (rates or {}).values() for c in pair)
        inferred = _infer_kinds([c for c in numeric if c not in declared], source)
        chosen = numeric
    else:
        chosen = list(values)
    explicit_weights = weights is not None
    weights = dict(
        weights
        if weights is not None
        else {c: w for c, w in INTENSIVE_WEIGHTS.items() if c in chosen}
    )
    rates = {name: (str(num), str(den)) for name, (num, den) in (rates or {}).items()}
    needed = [*chosen, *weights, *weights.values(), *(c for p in rates.values() for c in p)]
    reserved = [c for c in dict.fromkeys(needed) if c in (SSBID, CELL_SIZE)]
    if reserved:
        raise SchemaError(
            f"{', '.join(reserved)} describe the cells and are not value columns.",
            source=source,
            hint="name count or mean columns such as pop_tot in values=.",
        )
    missing = [c for c in dict.fromkeys(needed) if c not in grid.columns]
    if missing:
        raise SchemaError(
            f"missing value column(s) {', '.join(map(str, missing))}; the grid has: "
            f"{', '.join(map(str, grid.columns))}.",
            source=source,
            hint="name existing columns in values=, weights= and rates=.",
        )
    not_numeric = [c for c in dict.fromkeys(needed) if c not in numeric]
    if not_numeric:
        raise SchemaError(
            f"value column(s) {', '.join(map(str, not_numeric))} are not numeric.",
            source=source,
            hint="values must be numbers (float, NaN for missing); read the grid "
            "with geoloft.read_grid, which parses them.",
        )
    if values is not None:
        _check_declared(chosen, weights, explicit_weights, source)
    intensive = {c: weights[c] for c in chosen if c in weights}
    extensive = [c for c in chosen if c not in intensive]
    clash = [n for n in rates if n in chosen]
    if clash:
        raise SchemaError(
            f"rate name(s) {', '.join(clash)} are also value columns.",
            source="rates",
            hint="give the rates names of their own.",
        )
    return ValueSpec(extensive, intensive, rates, [*chosen, *rates], inferred)


def check_no_clash(areas: pd.DataFrame, new: Sequence[str], *, name: str = "areas") -> None:
    """Raise :class:`SchemaError` if the result columns would overwrite area columns."""
    clash = [c for c in new if c in areas.columns]
    if clash:
        raise SchemaError(
            f"the {name} already have column(s) {', '.join(map(str, clash))}, which the "
            "join would overwrite.",
            source=source_of(areas, name),
            hint=f"drop or rename those columns of the {name} first.",
        )
