"""CRS checks, reprojection and geometry repair for boundary polygons (vectorised)."""

from __future__ import annotations

import functools

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as PyprojCRSError

from geoloft.columns import WORKING_CRS
from geoloft.errors import CRSError

_POLYGON = shapely.GeometryType.POLYGON
_MULTIPOLYGON = shapely.GeometryType.MULTIPOLYGON
_COLLECTION = shapely.GeometryType.GEOMETRYCOLLECTION
#: Degrees of slack around a CRS's area of use: national data sets in one UTM
#: zone (all Norway in EPSG:25833) reach far beyond the zone's nominal 6 degrees.
_AREA_OF_USE_MARGIN = 15.0


@functools.lru_cache(maxsize=16)
def _transformer(source: CRS, target: CRS) -> Transformer:
    """Return a cached lon/lat-ordered transformer (building one takes milliseconds)."""
    return Transformer.from_crs(source, target, always_xy=True)


class GeometryRepairWarning(UserWarning):
    """Invalid boundary geometries were repaired with ``make_valid``."""


class EmptyGeometryWarning(UserWarning):
    """Features with empty or missing geometry (or no area after repair) were dropped."""


def parse_crs(crs: str | int, *, source: str) -> CRS:
    """Return ``crs`` as a pyproj CRS, or raise :class:`CRSError` naming the argument."""
    try:
        return CRS.from_user_input(crs)
    except PyprojCRSError as err:
        raise CRSError(
            f"crs={crs!r} is not a CRS pyproj knows ({err}).",
            source=source,
            hint="pass an EPSG code such as 'EPSG:25833' or 'EPSG:4326'.",
        ) from err


def two_dimensional(crs: CRS) -> CRS:
    """Return the 2D form of ``crs`` (EPSG:4979, 3D WGS 84, becomes EPSG:4326)."""
    if crs.to_epsg() == 4979:
        return CRS.from_epsg(4326)
    return crs.to_2d() if len(crs.axis_info) > 2 else crs


def _bounds_text(bounds: np.ndarray) -> str:
    minx, miny, maxx, maxy = bounds
    return f"x {minx:.6g} to {maxx:.6g}, y {miny:.6g} to {maxy:.6g}"


def _looks_like_degrees(bounds: np.ndarray) -> bool:
    minx, miny, maxx, maxy = bounds
    return bool(minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90)


def _outside_area_of_use(bounds: np.ndarray, crs: CRS) -> bool:
    """Whether ``bounds`` (in ``crs``) lie off the CRS's area of use, or do not transform."""
    to_lonlat = _transformer(crs, CRS.from_epsg(4326))
    minx, miny, maxx, maxy = bounds
    lonlat = np.asarray(to_lonlat.transform_bounds(minx, miny, maxx, maxy, errcheck=False))
    if not np.isfinite(lonlat).all():
        return True
    area = crs.area_of_use
    if area is None:
        return False
    m = _AREA_OF_USE_MARGIN
    return bool(
        lonlat[2] < area.west - m
        or lonlat[0] > area.east + m
        or lonlat[3] < area.south - m
        or lonlat[1] > area.north + m
    )


def check_crs_fits(bounds: np.ndarray, crs: CRS, *, source: str) -> None:
    """Raise :class:`CRSError` when coordinates in ``bounds`` cannot be in ``crs``.

    Degree values declared as a projected CRS, metre values declared as a
    geographic CRS and coordinates far off the CRS's area of use are caught;
    a wrong UTM zone is not (its numbers look like any other zone's).
    """
    if not np.isfinite(bounds).all():
        return
    name = f"{crs.to_string()} ({crs.name})"
    if crs.is_geographic:
        if _looks_like_degrees(bounds):
            return
        raise CRSError(
            f"the coordinates ({_bounds_text(bounds)}) do not fit the declared CRS {name}: "
            "they are not longitude/latitude degrees but look like projected metres.",
            source=source,
            hint="pass the file's real CRS as crs=, e.g. crs='EPSG:25833' for UTM 33N "
            "(SSB's grid) or 'EPSG:25832' for UTM 32N.",
        )
    if _looks_like_degrees(bounds):
        raise CRSError(
            f"the coordinates ({_bounds_text(bounds)}) do not fit the declared CRS {name}: "
            "they look like longitude/latitude degrees, not projected metres.",
            source=source,
            hint="pass crs='EPSG:4326' if they are WGS 84 longitude/latitude.",
        )
    if _outside_area_of_use(bounds, crs):
        raise CRSError(
            f"the coordinates ({_bounds_text(bounds)}) lie far outside the area of use "
            f"of the declared CRS {name}.",
            source=source,
            hint="pass the file's real CRS as crs=.",
        )


def to_working_crs(geometries: np.ndarray, crs: CRS, *, source: str) -> np.ndarray:
    """Return 2D ``geometries`` transformed from ``crs`` to EPSG:25833 (one pass)."""
    flat = shapely.force_2d(geometries)
    target = CRS.from_user_input(WORKING_CRS)
    if crs == target:
        return flat
    transformer = _transformer(crs, target)

    def project(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    out = shapely.transform(flat, project)
    bad = ~np.isfinite(shapely.bounds(out)).all(axis=1) & ~shapely.is_empty(out)
    if bad.any():
        raise CRSError(
            f"{int(bad.sum())} geometries do not transform from {crs.to_string()} "
            f"to {WORKING_CRS} (coordinates off the CRS's domain).",
            source=source,
            hint="check the declared CRS, or pass the right one as crs=.",
        )
    return out


_NESTED = (
    shapely.GeometryType.MULTIPOINT,
    shapely.GeometryType.MULTILINESTRING,
    shapely.GeometryType.MULTIPOLYGON,
    _COLLECTION,
)


class StrayPartsWarning(UserWarning):
    """Lines or points in a layer of areas (left by a repair or a dissolve) were dropped."""


def _flat_parts(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the single parts of ``geometries`` (nested collections opened) and their owner."""
    parts, owner = shapely.get_parts(geometries, return_index=True)
    while np.isin(shapely.get_type_id(parts), _NESTED).any():  # one pass per nesting level
        parts, inner = shapely.get_parts(parts, return_index=True)
        owner = owner[inner]
    return parts, owner


def split_polygonal(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the polygonal part of each geometry and a mask of those that lost other parts.

    Polygons and MultiPolygons pass unchanged. From a GeometryCollection (what
    ``make_valid``, a dissolve or a writer's repair may return) the polygon parts
    are kept: one part gives a Polygon, several a MultiPolygon (parts that touch
    or overlap are merged, so the result is valid). Lines and points, alone or
    in a collection, are stray parts: they are dropped, and the geometry is
    flagged in the mask. A geometry with no polygon part becomes an empty
    Polygon; missing geometries (None) stay missing.

    Parameters
    ----------
    geometries
        Array of shapely geometries (or None).

    Returns
    -------
    tuple of numpy.ndarray
        The polygonal geometries, and a boolean mask of the input geometries
        from which non-empty lines or points were dropped.

    Examples
    --------
    >>> mixed = shapely.GeometryCollection([shapely.box(0, 0, 1, 1),
    ...                                     shapely.LineString([(1, 1), (2, 2)])])
    >>> kept, stray = split_polygonal(np.array([mixed, shapely.box(0, 0, 2, 2)]))
    >>> kept[0].equals(shapely.box(0, 0, 1, 1)), stray.tolist()
    (True, [True, False])
    """
    geoms = np.asarray(geometries, dtype=object)
    types = shapely.get_type_id(geoms)
    polygonal = (types == _POLYGON) | (types == _MULTIPOLYGON)
    out = np.array(geoms, dtype=object, copy=True)
    stray = (types >= 0) & ~polygonal & (types != _COLLECTION) & ~shapely.is_empty(geoms)
    out[(types >= 0) & ~polygonal] = shapely.Polygon()
    mixed = np.flatnonzero(types == _COLLECTION)
    if not len(mixed):
        return out, stray
    parts, owner = _flat_parts(geoms[mixed])
    owner = mixed[owner]
    keep = shapely.get_type_id(parts) == _POLYGON
    lost = ~keep & ~shapely.is_empty(parts)
    stray[np.unique(owner[lost])] = True
    parts, owner = parts[keep & ~shapely.is_empty(parts)], owner[keep & ~shapely.is_empty(parts)]
    counts = np.bincount(owner, minlength=len(out))
    single = counts[owner] == 1
    out[owner[single]] = parts[single]
    several = np.unique(owner[~single])
    if len(several):
        shapely.multipolygons(parts[~single], indices=owner[~single], out=out)
        bad = several[~shapely.is_valid(out[several])]
        out[bad] = shapely.buffer(out[bad], 0)  # merges touching or overlapping parts
    return out, stray


def polygonal_parts(geometries: np.ndarray) -> np.ndarray:
    """Keep only the polygons of each geometry (of ``make_valid`` output).

    As :func:`split_polygonal`, without the mask.

    Examples
    --------
    >>> mixed = shapely.GeometryCollection([shapely.box(0, 0, 1, 1),
    ...                                     shapely.LineString([(1, 1), (2, 2)])])
    >>> polygonal_parts(np.array([mixed, shapely.Point(0, 0)])).tolist()
    [<POLYGON ((1 0, 1 1, 0 1, 0 0, 1 0))>, <POLYGON EMPTY>]
    """
    return split_polygonal(geometries)[0]


def repair(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return geometries with invalid ones made valid (polygonal parts only), and a mask.

    Only the invalid geometries go through :func:`shapely.make_valid`.
    """
    invalid = ~shapely.is_valid(geometries) & ~shapely.is_empty(geometries)
    out = np.array(geometries, dtype=object, copy=True)
    if invalid.any():
        out[invalid] = polygonal_parts(shapely.make_valid(geometries[invalid]))
    return out, invalid
