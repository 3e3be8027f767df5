"""Outlines of intervention areas: cell unions, unit unions, settlement outlines, compactness.

* Cells: the union of the member squares, holes under a size filled, the
  outline smoothed by a morphological closing (dilate, then erode, by the
  same distance: concave corners are rounded and gaps narrower than twice the
  distance closed, while every member cell stays inside) and clipped.
* Units: the union of the member units (exact; holes are other units).
* Settlement: the part of the units where people live, made like a cell
  outline from the populated grid cells whose centre lies in the units, then
  clipped to the units.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import shapely

from geoloft.grid import cell_centres, cell_polygons

GeomArray = npt.NDArray[np.object_]
IntArray = npt.NDArray[np.int64]


def groups(labels: IntArray, k: int) -> list[IntArray]:
    """Return the member positions of areas ``0..k-1`` (labels ``-1`` ignored)."""
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], np.arange(k + 1))
    return [order[starts[i] : starts[i + 1]] for i in range(k)]


def polygonal(geometry: GeomArray) -> GeomArray:
    """Keep only the polygonal parts of each geometry (clipping can leave lines)."""
    out = np.empty(len(geometry), dtype=object)
    for i, geom in enumerate(geometry):  # loop over areas
        if geom is None or geom.is_empty:
            out[i] = shapely.MultiPolygon() if geom is None else geom
            continue
        if shapely.get_type_id(geom) in (3, 6):
            out[i] = geom
            continue
        parts = shapely.get_parts(geom)
        parts = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
        out[i] = shapely.union_all(parts) if parts.size else shapely.MultiPolygon()
    return out


def fill_holes(geometry: GeomArray, max_area: float) -> GeomArray:
    """Fill interior rings (holes) smaller than ``max_area`` square metres."""
    if max_area <= 0:
        return geometry
    out = np.empty(len(geometry), dtype=object)
    for i, geom in enumerate(geometry):  # loop over areas, then their parts
        kept = []
        for part in shapely.get_parts(geom):
            holes = [
                ring
                for ring in (part.interiors if part.geom_type == "Polygon" else [])
                if shapely.area(shapely.Polygon(ring)) >= max_area
            ]
            kept.append(shapely.Polygon(part.exterior, holes))
        out[i] = shapely.union_all(kept) if kept else geom
    return out


def smooth(geometry: GeomArray, distance: float) -> GeomArray:
    """Close each outline at ``distance`` metres; the result holds the input.

    The dilation uses mitred joins, so convex corners come back exactly; the
    erosion uses round joins, so concave corners are rounded.
    """
    if distance <= 0:
        return geometry
    grown = shapely.buffer(geometry, distance, join_style="mitre")
    return shapely.buffer(grown, -distance, join_style="round")


def clip_to(geometry: GeomArray, mask: shapely.Geometry | None) -> GeomArray:
    """Intersect each geometry with ``mask`` (land, units) and keep polygons."""
    if mask is None:
        return geometry
    shapely.prepare(mask)
    return polygonal(shapely.intersection(geometry, mask))


def cell_outline(ssbid: IntArray, cell_size: int, members: list[IntArray]) -> GeomArray:
    """Return the union of each area's cell squares (a coverage union: fast, exact)."""
    return np.array(
        [shapely.coverage_union_all(cell_polygons(ssbid[m], cell_size)) for m in members],
        dtype=object,
    ).reshape(len(members))


def unit_outline(geometry: GeomArray, members: list[IntArray]) -> GeomArray:
    """Return the union of each area's unit polygons."""
    return np.array([shapely.union_all(geometry[m]) for m in members], dtype=object).reshape(
        len(members)
    )


def shape_cells(
    outline: GeomArray,
    *,
    hole_area: float,
    distance: float,
    mask: shapely.Geometry | None,
) -> GeomArray:
    """Fill small holes, smooth and clip cell unions."""
    filled = fill_holes(outline, hole_area)
    return clip_to(smooth(filled, distance), mask)


def settlement(
    areas: GeomArray,
    ssbid: IntArray,
    cell_size: int,
    *,
    hole_area: float,
    distance: float,
) -> GeomArray:
    """Return the settlement outline of each area from populated grid cells.

    ``ssbid`` are the populated cells; a cell belongs to the area holding its
    centre. The outline is shaped like a cell outline and clipped to the area,
    so it lies inside the area and holds every such cell's part in it.
    """
    x, y = cell_centres(ssbid, cell_size)
    tree = shapely.STRtree(areas)
    cell, area = tree.query(shapely.points(x, y), predicate="within")
    members = groups(area.astype(np.int64), len(areas))
    outline = cell_outline(ssbid[cell], cell_size, members)
    shaped = smooth(fill_holes(outline, hole_area), distance)
    empty = np.array([m.size == 0 for m in members], dtype=bool)
    clipped = polygonal(shapely.intersection(shaped, areas))
    clipped[empty] = None
    return clipped


def polsby_popper(geometry: GeomArray) -> npt.NDArray[np.float64]:
    """Return the Polsby-Popper compactness ``4 pi A / P**2`` (1 for a disc, NaN if empty).

    Examples
    --------
    >>> round(float(polsby_popper(np.array([shapely.box(0, 0, 1, 1)]))[0]), 4)
    0.7854
    """
    area = shapely.area(geometry)
    perimeter = shapely.length(geometry)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = 4 * math.pi * area / perimeter**2
    return np.where(perimeter > 0, score, np.nan)
