"""Dasymetric refinement: place a cell's people within the cell before splitting it.

The exact area share assumes people spread evenly over a cell. A cell on the
edge of a small area may hold a dense block on one side and a park on the
other; its counts then go mostly to the wrong area. A finer layer says where in
the cell people live:

* a finer population grid (SSB's 100 m grid of Oslo under a 250 m or 1 km
  grid): each fine cell's persons are spread evenly over the fine cell, and a
  coarse cell's counts go to each area in proportion to the fine persons in
  the part of the cell inside it (Mennis 2003, "Generating surface models of
  population using dasymetric mapping", The Professional Geographer 55(1));
* a settled-area mask (polygons of built-up land, or of populated fine cells):
  in proportion to the settled land in that part (binary dasymetric mapping,
  Eicher and Brewer 2001, Cartography and Geographic Information Science 28(2);
  tobler's ``masked_area_interpolate`` does the same with a raster mask).

Fine cells that do not nest in the coarse ones (100 m under 250 m) are cut on
the common lattice (50 m): every piece lies in one coarse cell. A coarse cell
with no fine persons or no settled land keeps the exact area share, and the
report counts these cells. Everything stays vectorised: the shares come from
the same exact scanline coverage as the plain join.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geoloft.columns import POP_TOT, SSBID
from geoloft.errors import SchemaError
from geoloft.grid.codec import corners_to_ssbid, ssbid_to_corners
from geoloft.join._checks import check_crs, check_frame, check_grid
from geoloft.join.crosswalk import Pairs, compute_pairs
from geoloft.report import source_of

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def refined_pairs(
    ids: IntArray,
    size: int,
    geoms: npt.NDArray[np.object_],
    refine: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
) -> tuple[Pairs, dict[str, object]]:
    """Return the cell-area pairs with shares from ``refine``, and report notes.

    ``refine`` is a finer grid (``ssbid``, cell size, ``pop_tot``) or polygons
    of settled land. Cells the layer says nothing about keep the area share.
    """
    check_frame(refine, name="refine")
    check_crs(grid, refine, what="refine")
    if SSBID in refine.columns:
        cell, area, weight, total, what = _fine_grid_weights(ids, size, geoms, refine)
    else:
        cell, area, weight, total, what = _mask_weights(ids, size, geoms, refine)
    refined = total[cell] > 0
    cell, area, weight = cell[refined], area[refined], weight[refined]
    share = weight / total[cell]
    keep = share > 0
    base = compute_pairs(ids, size, geoms, "area")
    fallback = ~(total[base.cell] > 0)
    cell = np.concatenate([cell[keep], base.cell[fallback]])
    area = np.concatenate([area[keep], base.area[fallback]])
    share = np.concatenate([share[keep], base.share[fallback]])
    order = np.lexsort((area, cell))
    n_fallback = int(np.unique(base.cell[fallback]).size)
    notes: dict[str, object] = {
        "layer": what,
        "cells_refined": int((total > 0).sum()),
        "cells_area_share": n_fallback,
    }
    return Pairs(cell[order], area[order], share[order]), notes


def _group(
    cell: IntArray, area: IntArray, weight: FloatArray, n_areas: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """Sum ``weight`` per (cell, area) pair."""
    keys, inverse = np.unique(cell * n_areas + area, return_inverse=True)
    summed = np.asarray(np.bincount(inverse, weights=weight, minlength=keys.size), np.float64)
    return (keys // n_areas).astype(np.int64), (keys % n_areas).astype(np.int64), summed


def _fine_grid_weights(
    ids: IntArray, size: int, geoms: npt.NDArray[np.object_], fine: gpd.GeoDataFrame
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, str]:
    """Return (cell, area, fine persons in that part, fine persons in the cell, label)."""
    source = source_of(fine, "refine")
    fine_ids, fine_size = check_grid(fine)
    if fine_size >= size:
        raise SchemaError(
            f"the refinement grid has {fine_size} m cells, not finer than the {size} m grid.",
            source=source,
            hint="pass a finer population grid (e.g. SSB's 100 m grid under 250 m cells) "
            "or polygons of settled land.",
        )
    if POP_TOT not in fine.columns:
        raise SchemaError(
            f"the refinement grid has no '{POP_TOT}' column to place people with; it has: "
            f"{', '.join(map(str, fine.columns))}.",
            source=source,
            column=POP_TOT,
            hint="read it with geoloft.read_grid, which names the population column pop_tot.",
        )
    persons = np.nan_to_num(fine[POP_TOT].to_numpy(np.float64, na_value=np.nan), nan=0.0)
    step = math.gcd(size, fine_size)  # the common lattice: each piece lies in one coarse cell
    per_side = fine_size // step
    x, y = ssbid_to_corners(fine_ids)
    offsets = np.arange(per_side, dtype=np.int64) * step
    sub_x = (x[:, None, None] + offsets[None, :, None]).repeat(per_side, axis=2).ravel()
    sub_y = (y[:, None, None] + offsets[None, None, :]).repeat(per_side, axis=1).ravel()
    sub_w = np.repeat(np.clip(persons, 0.0, None) / per_side**2, per_side**2)
    coarse = pd.Index(corners_to_ssbid(sub_x // size * size, sub_y // size * size))
    parent = pd.Index(ids).get_indexer(coarse)
    inside = (parent >= 0) & (sub_w > 0)
    sub_ids, parent, sub_w = corners_to_ssbid(sub_x, sub_y)[inside], parent[inside], sub_w[inside]
    total = np.asarray(np.bincount(parent, weights=sub_w, minlength=ids.size), np.float64)
    pairs = compute_pairs(sub_ids, step, geoms, "area")
    cell, area, weight = _group(
        parent[pairs.cell], pairs.area, sub_w[pairs.cell] * pairs.share, geoms.size
    )
    return cell, area, weight, total, f"population grid, {fine_size} m"


def _mask_weights(
    ids: IntArray, size: int, geoms: npt.NDArray[np.object_], mask: gpd.GeoDataFrame
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, str]:
    """Return (cell, area, settled share of the cell in that part, settled share, label)."""
    shapes = mask.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(shapes), (3, 6)) & ~shapely.is_empty(shapes)
    if not polygonal.any():
        raise SchemaError(
            "the refinement layer has no polygons of settled land and no 'ssbid' column.",
            source=source_of(mask, "refine"),
            hint="pass polygons of settled land, or a finer population grid read with "
            "geoloft.read_grid.",
        )
    settled = _polygonal(shapely.union_all(shapely.make_valid(shapes[polygonal])))
    parts = np.array([_polygonal(g) for g in shapely.intersection(settled, geoms)], dtype=object)
    has = ~shapely.is_empty(parts)
    pairs = compute_pairs(ids, size, parts[has], "area")
    where = np.flatnonzero(has)
    cell, area, weight = _group(pairs.cell, where[pairs.area], pairs.share, geoms.size)
    whole = compute_pairs(ids, size, np.array([settled], dtype=object), "area")
    total = np.asarray(np.bincount(whole.cell, weights=whole.share, minlength=ids.size), np.float64)
    return cell, area, weight, total, "settled-area mask"


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Return the polygonal part of a geometry (a MultiPolygon, possibly empty)."""
    parts = shapely.get_parts(shapely.get_parts(geom))  # collections, then multi-parts
    return shapely.multipolygons(parts[shapely.get_type_id(parts) == 3])
