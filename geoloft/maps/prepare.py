"""Make layers small before they reach the page.

* Adjacent boundaries are simplified together with
  :func:`shapely.coverage_simplify` (never one polygon at a time, which opens
  gaps and overlaps between neighbours).
* Coordinates go to EPSG:4326, are rounded to 1e-5 degrees (1.1 m north-south,
  0.6 m east-west at 60° N) and written as integers, each the difference from
  the previous point, in one flat array with ring, part and geometry offsets
  (the layout of :func:`shapely.to_ragged_array`). The page's script decodes
  them. Closing points and points that rounding makes repeat are dropped.
* Above :data:`DISSOLVE_ABOVE` cells a grid is drawn as one shape per class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from geoloft.columns import GEOJSON_CRS, WORKING_CRS
from geoloft.errors import CRSError, GeometryError, SchemaError

__all__ = [
    "DISSOLVE_ABOVE",
    "QUANTUM",
    "check_layer",
    "dissolve_classes",
    "encode_polygons",
    "polygonal",
    "simplify_coverage",
]

#: Coordinates are rounded to 1 / QUANTUM degrees.
QUANTUM: Final = 100_000
#: Grids with more cells than this are drawn as one shape per class.
DISSOLVE_ABOVE: Final = 10_000


def check_layer(
    frame: object, *, what: str, required: Sequence[str], polygons: bool = False
) -> gpd.GeoDataFrame:
    """Check that a map input is a GeoDataFrame in EPSG:25833 with the columns needed.

    Parameters
    ----------
    frame
        The input.
    what
        Its argument name, used in messages (``"areas"``, ``"grid"``, ...).
    required
        Columns it must have.
    polygons
        Keep only the polygonal part of each geometry (see :func:`polygonal`):
        for layers drawn as areas.

    Returns
    -------
    geopandas.GeoDataFrame
        ``frame`` without rows whose geometry is missing or empty (with
        ``polygons``: without rows that have no polygon). Compare lengths to
        count what was left out.

    Raises
    ------
    TypeError
        If ``frame`` is not a GeoDataFrame.
    CRSError
        If its CRS is missing or not EPSG:25833.
    SchemaError
        If required columns are missing.
    GeometryError
        If no row has a geometry.

    Examples
    --------
    >>> import shapely
    >>> g = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=25833)
    >>> len(check_layer(g, what="areas", required=["name"]))
    1
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"{what} must be a GeoDataFrame, got {type(frame).__name__}.")
    if frame.crs is None or not frame.crs.equals(WORKING_CRS):
        raise CRSError(
            f"the layer is in {frame.crs or 'no CRS'}, not {WORKING_CRS}.",
            source=what,
            hint=f"read it with geoloft's readers or call .to_crs('{WORKING_CRS}') first.",
        )
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"missing column(s) {', '.join(missing)}; it has {', '.join(map(str, frame.columns))}.",
            source=what,
            column=missing[0],
            hint="rename the columns to geoloft's names (see geoloft.columns).",
        )
    layer: gpd.GeoDataFrame = frame
    if polygons:
        values = layer.geometry.to_numpy()
        shapes = polygonal(values)
        keep = shapes != None  # noqa: E711 - element-wise on an object array
        if keep.any() and (shapely.get_type_id(values) == _COLLECTION).any():
            shapes_series = gpd.GeoSeries(shapes, index=layer.index, crs=layer.crs)
            layer = layer.assign(**{layer.geometry.name: shapes_series})
    else:
        keep = layer.geometry.notna().to_numpy() & ~layer.geometry.is_empty.to_numpy()
    if not keep.any():
        kind = "a geometry with an area (a polygon)" if polygons else "a geometry"
        raise GeometryError(f"no row has {kind}.", source=what, hint="check the input file.")
    return layer.loc[keep]


def simplify_coverage(geometries: gpd.GeoSeries, *, tolerance: float) -> tuple[gpd.GeoSeries, int]:
    """Simplify polygons that share boundaries, together, so no gaps open.

    Parameters
    ----------
    geometries
        Polygons in a projected CRS (metres) that do not overlap.
    tolerance
        Largest shift of a boundary, in metres; 0 leaves them as they are.

    Returns
    -------
    tuple
        The simplified geometries (same index), and how many boundary pieces
        do not match their neighbour exactly (0 for an exact coverage). Real
        boundary files often have a few such slivers; they are simplified
        together all the same, which keeps them as they were.

    Examples
    --------
    >>> g = gpd.GeoSeries([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> simplify_coverage(g, tolerance=0.1)[1]
    0
    """
    values = geometries.to_numpy()
    if tolerance <= 0:
        return geometries, 0
    mismatched = int((~shapely.is_empty(shapely.coverage_invalid_edges(values))).sum())
    simplified = shapely.coverage_simplify(values, tolerance, simplify_boundary=True)
    return gpd.GeoSeries(simplified, index=geometries.index, crs=geometries.crs), mismatched


def polygonal(geometries: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Return the polygonal part of each geometry (``None`` where it has none).

    Polygons and multipolygons are kept as they are. Of a geometry collection
    (such as a repair or dissolve leaves: a polygon plus line fragments) only
    its polygons are kept, as one multipolygon; lines, points and empty parts
    are dropped. Rows without any polygon (missing, empty, lines, points)
    become ``None``.

    Parameters
    ----------
    geometries
        An array of shapely geometries (or ``None``).

    Returns
    -------
    numpy.ndarray
        An object array of the same length.

    Examples
    --------
    >>> line = shapely.LineString([(0, 0), (2, 2)])
    >>> mixed = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), line])
    >>> [g if g is None else g.geom_type for g in polygonal(np.array([mixed, line]))]
    ['MultiPolygon', None]
    """
    values = np.asarray(geometries, dtype=object)
    types = shapely.get_type_id(values)
    out = np.full(len(values), None, dtype=object)
    simple = np.isin(types, [_POLYGON, _MULTIPOLYGON]) & ~shapely.is_empty(values)
    out[simple] = values[simple]
    collections = np.flatnonzero(types == _COLLECTION)
    if collections.size:
        parts, owner = shapely.get_parts(values[collections], return_index=True)
        while np.isin(shapely.get_type_id(parts), [_MULTIPOLYGON, _COLLECTION]).any():
            parts, inner = shapely.get_parts(parts, return_index=True)  # nested collections
            owner = owner[inner]
        keep = (shapely.get_type_id(parts) == _POLYGON) & ~shapely.is_empty(parts)
        rows, dense = np.unique(owner[keep], return_inverse=True)
        out[collections[rows]] = shapely.multipolygons(parts[keep], indices=dense)
    return out


_POLYGON, _MULTIPOLYGON, _COLLECTION = 3, 6, 7  # shapely.GeometryType values


def _offsets(geometries: npt.NDArray[Any]) -> tuple[npt.NDArray[np.float64], list[Any]]:
    """Coordinates and (ring, part, geometry) offsets of polygonal geometries.

    Every geometry is taken apart into its polygons (a polygon is one part, a
    multipolygon one part per member), so holes, multipart features, missing
    and empty rows keep their place: geometry ``i`` owns parts
    ``g[i]:g[i + 1]`` (none when it has no polygon), part ``j`` owns rings
    ``p[j]:p[j + 1]`` (the shell, then its holes), ring ``r`` owns points
    ``r[k]:r[k + 1]``.
    """
    values = polygonal(geometries)
    parts, owner = shapely.get_parts(values, return_index=True)
    keep = ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    per_geometry = np.bincount(owner, minlength=len(values))
    geoms = np.concatenate([[0], np.cumsum(per_geometry)])
    if not len(parts):
        return np.empty((0, 2)), [np.zeros(1, np.int64), np.zeros(1, np.int64), geoms]
    _, coords, (rings, polys) = shapely.to_ragged_array(parts)
    return coords, [rings, polys, geoms]


def encode_polygons(geometries: gpd.GeoSeries) -> dict[str, list[int]]:
    """Encode polygons for the page: rounded, delta-coded integer coordinates.

    Parameters
    ----------
    geometries
        Polygons or multipolygons, with or without holes (any CRS; they are
        reprojected to EPSG:4326). Of a geometry collection its polygons are
        encoded; a row without any (missing, empty, a line) gets no parts but
        keeps its place.

    Returns
    -------
    dict
        ``d``: flat ``[dx, dy, ...]`` differences of ``round(lon * 1e5)``,
        ``round(lat * 1e5)`` from the previous point (the first from 0);
        ``r``: ring start offsets into the points (plus the end); ``p``: part
        (polygon) offsets into the rings, the shell first, then its holes;
        ``g``: geometry offsets into the parts (``len(geometries) + 1`` values).

    Examples
    --------
    >>> box = gpd.GeoSeries([shapely.box(10.0, 60.0, 10.001, 60.001)], crs=4326)
    >>> enc = encode_polygons(box)
    >>> enc["d"][:4], enc["r"], enc["p"], enc["g"]
    ([1000100, 6000000, 0, 100], [0, 4], [0, 1], [0, 1])
    """
    wgs = geometries.to_crs(GEOJSON_CRS) if geometries.crs is not None else geometries
    coords, (rings, parts, geoms) = _offsets(shapely.force_2d(wgs.to_numpy()))
    q = np.rint(coords * QUANTUM).astype(np.int64)
    keep = np.ones(len(q), dtype=bool)
    keep[rings[1:] - 1] = False  # closing point of each ring
    same = np.zeros(len(q), dtype=bool)
    same[1:] = np.all(q[1:] == q[:-1], axis=1)
    same[rings[:-1]] = False  # a ring's first point is never a repeat
    keep &= ~same
    counts = np.concatenate([[0], np.cumsum(keep)])
    q = q[keep]
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {
        "d": deltas.ravel().tolist(),
        "r": counts[rings].tolist(),
        "p": np.asarray(parts).tolist(),
        "g": np.asarray(geoms).tolist(),
    }


def dissolve_classes(
    geometries: gpd.GeoSeries, bins: npt.NDArray[np.int64]
) -> tuple[gpd.GeoSeries, npt.NDArray[np.int64]]:
    """Merge grid cells into one shape per class.

    Parameters
    ----------
    geometries
        Cell squares (a coverage: cells do not overlap).
    bins
        Class of each cell (negative codes for missing or suppressed are
        classes too).

    Returns
    -------
    tuple
        One (multi)polygon per class present, and the class codes, ascending.

    Examples
    --------
    >>> cells = gpd.GeoSeries([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> shapes, codes = dissolve_classes(cells, np.array([0, 0]))
    >>> shapes.area.tolist(), codes.tolist()
    ([2.0], [0])
    """
    codes = np.unique(bins)
    values = geometries.to_numpy()
    merged = [shapely.coverage_union_all(values[bins == code]) for code in codes]
    return gpd.GeoSeries(merged, crs=geometries.crs), codes
