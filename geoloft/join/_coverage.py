"""Exact cell coverage of polygons on a square lattice, by scanline sums.

The share of an axis-aligned cell ``C`` inside a polygon ``P`` is computed from
the polygon's edges alone (Green's theorem), the way exactextract does it, but
for all cells and polygons at once with numpy:

* every ring edge is cut where it crosses a lattice row line and then, where
  there are grid cells under it, a column line, so each piece lies inside one
  cell ``(row, col)`` (pieces over empty stretches are kept whole);
* in lattice units (cell side 1) a piece from ``(ua, va)`` to ``(ub, vb)``
  covers ``(va - vb) * (col + 1 - (ua + ub) / 2)`` of its own cell and
  ``va - vb`` of every cell to its right in the same row (shells run
  counter-clockwise, holes clockwise, so the signed sums give the winding
  number, that is the covered fraction);
* per polygon and row, a running sum over the pieces sorted by column gives the
  share of every cell the boundary crosses, and the (constant) share of each run
  of cells between two crossed cells, which needs no geometry at all.

Work grows with the number of boundary crossings plus the number of output
pairs, not with polygon complexity times cells. The result is exact up to
floating-point rounding (about 1e-12 of a cell).

The centroid rule works the same way with one crossing per edge and row, taken
on the row's centre line: a cell belongs to a polygon when its centre is inside
(half-open rule, so a centre on a shared boundary goes to exactly one polygon of
a tiling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import numpy.typing as npt
import shapely

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Shares within this distance of 0 or 1 (fraction of a cell) are rounding noise.
SHARE_TOLERANCE = 1e-10


@dataclass(frozen=True)
class Lattice:
    """The cells on an integer lattice: cell ``(row, col)`` is ``[col, col+1) x [row, row+1)``.

    Parameters
    ----------
    x0, y0
        Lattice origin in map units (a cell corner).
    size
        Cell side in map units.
    nrows, ncols
        Extent of the lattice, enough to hold every cell and polygon vertex.
    keys
        Sorted keys ``row * ncols + col`` of the cells.
    order
        Positions of the cells in the input, in key order.
    row_first, row_last
        Per row, the first and last column holding a cell (-1 when none).
    span_offset, occupied, cells_before
        Lookup over every row's span of columns ``[row_first, row_last]``, rows
        one after the other: where row ``r``'s span starts, whether each lattice
        cell in it holds a grid cell, and how many grid cells come before it in
        key order. Finds "the first cell at or after (row, col)" without a search.
    """

    x0: float
    y0: float
    size: float
    nrows: int
    ncols: int
    keys: IntArray
    order: IntArray
    row_first: IntArray
    row_last: IntArray
    span_offset: IntArray
    occupied: npt.NDArray[np.bool_]
    cells_before: npt.NDArray[np.int32 | np.int64]


def make_lattice(
    x_ll: IntArray, y_ll: IntArray, size: int, bounds: tuple[float, float, float, float]
) -> Lattice:
    """Return the lattice of cells with lower-left corners ``x_ll, y_ll`` (not empty).

    The corners must be multiples of ``size``. ``bounds`` (xmin, ymin, xmax, ymax)
    of the polygons widens the lattice so that every polygon vertex has a
    positive row and column.
    """
    xmin = min(float(x_ll.min()), bounds[0])
    ymin = min(float(y_ll.min()), bounds[1])
    xmax = max(float(x_ll.max()) + size, bounds[2])
    ymax = max(float(y_ll.max()) + size, bounds[3])
    x0 = (np.floor(xmin / size) - 1) * size
    y0 = (np.floor(ymin / size) - 1) * size
    ncols = int(np.ceil((xmax - x0) / size)) + 2
    nrows = int(np.ceil((ymax - y0) / size)) + 2
    cols = ((x_ll - x0) // size).astype(np.int64)
    rows = ((y_ll - y0) // size).astype(np.int64)
    keys = rows * ncols + cols
    order = np.argsort(keys)  # keys are unique (one cell per id)
    keys = keys[order]
    return Lattice(
        x0=float(x0),
        y0=float(y0),
        size=float(size),
        nrows=nrows,
        ncols=ncols,
        keys=keys,
        order=order,
        **_row_spans(keys, nrows, ncols),
    )


class _RowSpans(TypedDict):
    """The fields of :class:`Lattice` that :func:`_row_spans` computes."""

    row_first: IntArray
    row_last: IntArray
    span_offset: IntArray
    occupied: npt.NDArray[np.bool_]
    cells_before: npt.NDArray[np.int32 | np.int64]


def _row_spans(keys: IntArray, nrows: int, ncols: int) -> _RowSpans:
    """Return the per-row column spans and the cell lookup of :class:`Lattice`."""
    rows = keys // ncols
    # keys are sorted, so per row the first occurrence holds the lowest column
    start = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    row_first = np.full(nrows, -1, dtype=np.int64)
    row_last = np.full(nrows, -1, dtype=np.int64)
    row_first[rows[start]] = keys[start] % ncols
    row_last[rows[start]] = keys[np.r_[start[1:], keys.size] - 1] % ncols
    span = np.where(row_first >= 0, row_last - row_first + 1, 0)
    offset = np.cumsum(span) - span
    occupied = np.zeros(int(span.sum()), dtype=bool)
    occupied[offset[rows] + keys % ncols - row_first[rows]] = True
    index_type = np.int32 if keys.size < 2**31 else np.int64
    counted: npt.NDArray[np.int32 | np.int64] = np.cumsum(occupied, dtype=index_type)
    return {
        "row_first": row_first,
        "row_last": row_last,
        "span_offset": offset,
        "occupied": occupied,
        "cells_before": counted - occupied,
    }


def polygon_edges(geometries: npt.NDArray[np.object_]) -> tuple[FloatArray, IntArray]:
    """Return ring edges ``(n, 4)`` as (xa, ya, xb, yb) and the polygon each belongs to.

    Shells are oriented counter-clockwise and holes clockwise first, so that the
    signed sums in :func:`coverage_pairs` count covered area positively.
    """
    oriented = shapely.orient_polygons(geometries, exterior_cw=False)
    parts, part_of = shapely.get_parts(oriented, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[:-1] == ring_of[1:]
    edges = np.hstack([coords[:-1][same], coords[1:][same]])
    owner = part_of[ring_part[ring_of[:-1][same]]]
    return edges, owner.astype(np.int64)


def _split(
    pa: FloatArray, pb: FloatArray, qa: FloatArray, qb: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, IntArray]:
    """Cut segments ``p: pa -> pb`` (with ``q`` along) where ``p`` crosses an integer.

    Returns the pieces' (pa, pb, qa, qb) and the index of the segment each came from.
    """
    inner = np.ceil(np.maximum(pa, pb)) - np.floor(np.minimum(pa, pb)) - 1
    whole = np.flatnonzero(inner <= 0)
    cut = np.flatnonzero(inner > 0)
    pa_c, pb_c, qa_c, qb_c = pa[cut], pb[cut], qa[cut], qb[cut]
    up = pb_c > pa_c
    first = np.where(up, np.floor(pa_c) + 1, np.ceil(pa_c) - 1)
    step = np.where(up, 1.0, -1.0)
    slope = (qb_c - qa_c) / (pb_c - pa_c)
    # breakpoints per cut segment: its start, every integer crossed, its end
    count = inner[cut].astype(np.int64) + 2
    start = np.cumsum(count) - count
    end = start + count - 1
    k = np.repeat(np.arange(cut.size), count)
    j = np.arange(k.size) - start[k] - 1
    p = first[k] + j * step[k]
    q = qa_c[k] + (p - pa_c[k]) * slope[k]
    p[start], q[start], p[end], q[end] = pa_c, qa_c, pb_c, qb_c
    piece = np.ones(k.size, dtype=bool)
    piece[end] = False
    piece = np.flatnonzero(piece)
    return (
        np.r_[pa[whole], p[piece]],
        np.r_[pb[whole], p[piece + 1]],
        np.r_[qa[whole], q[piece]],
        np.r_[qb[whole], q[piece + 1]],
        np.r_[whole, cut[k[piece]]],
    )


def _lattice_edges(edges: FloatArray, lattice: Lattice) -> tuple[FloatArray, ...]:
    """Return edge coordinates in lattice units (ua, va, ub, vb)."""
    s = lattice.size
    return (
        (edges[:, 0] - lattice.x0) / s,
        (edges[:, 1] - lattice.y0) / s,
        (edges[:, 2] - lattice.x0) / s,
        (edges[:, 3] - lattice.y0) / s,
    )


@dataclass(frozen=True)
class _Events:
    """Boundary pieces summed per (polygon, cell position, kind), sorted.

    ``kind`` 1: pieces inside the cell at ``pos`` (``local`` covers that cell,
    ``full`` every later cell of the row); ``kind`` 0: pieces in empty lattice
    cells before ``pos`` (``full`` covers the cell at ``pos`` and later ones).
    """

    poly: IntArray
    row: IntArray
    pos: IntArray
    kind: IntArray
    full: FloatArray
    local: FloatArray


def _row_pieces(
    edges: FloatArray, owner: IntArray, lattice: Lattice
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, IntArray, IntArray]:
    """Cut edges at row lines; keep non-horizontal pieces in rows that hold cells."""
    ua, va, ub, vb = _lattice_edges(edges, lattice)
    va, vb, ua, ub, src = _split(va, vb, ua, ub)
    row = np.floor((va + vb) / 2).astype(np.int64)
    keep = (lattice.row_first[row] >= 0) & (va != vb)
    return ua[keep], ub[keep], va[keep], vb[keep], row[keep], owner[src[keep]]


def _positions(
    lattice: Lattice, row: IntArray, col: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Return the first cell at or after ``(row, col)``, whether it is that cell, and a code.

    ``row`` must hold cells. The code orders events that point at the same cell:
    0 for pieces right of their row's last cell (which point at the next row's
    first cell), 1 for pieces in empty lattice cells before the cell, 2 for pieces
    inside it.
    """
    first = lattice.row_first[row]
    last = lattice.row_last[row]
    at = np.clip(col, first, last)
    idx = lattice.span_offset[row] + at - first
    occupied = lattice.occupied[idx]
    right = col > last  # the row's last cell is occupied: step past it
    pos = lattice.cells_before[idx].astype(np.int64) + right
    kind = (occupied & (at == col)).astype(np.int64)
    return pos, kind, np.where(right, 0, kind + 1)


def _events(edges: FloatArray, owner: IntArray, lattice: Lattice) -> _Events:
    """Return the boundary events of every polygon (see :class:`_Events`)."""
    ua, ub, va, vb, row, poly = _row_pieces(edges, owner, lattice)
    # row pieces with no cell under them need no cutting: they only add to the
    # cells on their right, starting with the next cell of the row
    first_col = np.floor(np.minimum(ua, ub)).astype(np.int64)
    pos, _, code = _positions(lattice, row, first_col)
    last_key = row * lattice.ncols + np.floor(np.maximum(ua, ub)).astype(np.int64)
    near = (code > 0) & (lattice.keys[np.minimum(pos, lattice.keys.size - 1)] <= last_key)
    far = ~near
    f_poly, f_row, f_pos, f_code = poly[far], row[far], pos[far], code[far]
    f_full = va[far] - vb[far]
    ua, ub, va, vb, src = _split(ua[near], ub[near], va[near], vb[near])
    row, poly = row[near][src], poly[near][src]
    col = np.floor((ua + ub) / 2).astype(np.int64)
    pos, kind, code = _positions(lattice, row, col)
    full = va - vb
    local = full * (col + 1 - (ua + ub) / 2) * kind
    n = lattice.keys.size + 1
    if (int(poly.max(initial=0)) + 1) * n * 3 >= 2**62:  # pragma: no cover - 10^12 pairs
        raise OverflowError("too many polygons and cells for one join; split the areas.")
    key = np.r_[(poly * n + pos) * 3 + code, (f_poly * n + f_pos) * 3 + f_code]
    full = np.r_[full, f_full]
    local = np.r_[local, np.zeros(f_full.size)]
    row = np.r_[row, f_row]
    order = np.argsort(key)
    key = key[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    key = key[start]
    return _Events(
        poly=key // (3 * n),
        row=row[order][start],
        pos=(key // 3) % n,
        kind=(key % 3 == 2).astype(np.int64),
        full=np.add.reduceat(full[order], start),
        local=np.add.reduceat(local[order], start),
    )


def _expand(lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
    """Return every position in the ranges ``[lo, hi)`` and the range each came from."""
    counts = np.maximum(hi - lo, 0)
    which = np.repeat(np.arange(lo.size), counts)
    pos = np.arange(which.size) - np.repeat(np.cumsum(counts) - counts - lo, counts)
    return pos, which


def coverage_pairs(
    geometries: npt.NDArray[np.object_], lattice: Lattice
) -> tuple[IntArray, IntArray, FloatArray]:
    """Return (cell, polygon, share) for every cell that a polygon covers in part.

    ``cell`` indexes the cells in input order, ``polygon`` the geometries;
    ``share`` is the fraction of the cell's area inside the polygon, in (0, 1].
    """
    ev = _events(*polygon_edges(geometries), lattice)
    new_group = np.r_[True, (ev.poly[1:] != ev.poly[:-1]) | (ev.row[1:] != ev.row[:-1])]
    cum = np.cumsum(ev.full)
    base = np.maximum.accumulate(np.where(new_group, np.arange(cum.size), 0))
    before = cum - ev.full - (cum[base] - ev.full[base])
    after = before + ev.full
    # cells the boundary crosses
    at = np.flatnonzero(ev.kind == 1)
    # runs of cells between two events of the same polygon and row
    run = np.flatnonzero(np.r_[~new_group[1:], False] & (np.abs(after) > SHARE_TOLERANCE))
    pos, which = _expand(ev.pos[run] + ev.kind[run], ev.pos[run + 1])
    cells = np.r_[ev.pos[at], pos]
    polys = np.r_[ev.poly[at], ev.poly[run][which]]
    shares = np.r_[(before + ev.local)[at], after[run][which]]
    return _clean(lattice.order[cells], polys, shares)


def _clean(
    cells: IntArray, polys: IntArray, shares: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Drop rounding-noise shares, snap near-1 shares to 1 and sort by (cell, polygon)."""
    keep = shares > SHARE_TOLERANCE
    cells, polys, shares = cells[keep], polys[keep], shares[keep]
    shares = np.where(shares > 1 - SHARE_TOLERANCE, 1.0, shares)
    order = np.argsort(cells * (int(polys.max(initial=0)) + 1) + polys)
    return cells[order], polys[order], shares[order]


def _centre_crossings(
    edges: FloatArray, owner: IntArray, lattice: Lattice
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """Return (polygon, row, u, sign) where edges cross the centre line of rows with cells.

    A crossing counts when ``min(v) <= row + 0.5 < max(v)`` (half-open, so a vertex
    on the line counts once); ``sign`` is +1 for downward edges (a shell's left side).
    """
    ua, va, ub, vb = _lattice_edges(edges, lattice)
    first_row = np.ceil(np.minimum(va, vb) - 0.5).astype(np.int64)
    counts = np.ceil(np.maximum(va, vb) - 0.5).astype(np.int64) - first_row
    src = np.repeat(np.arange(counts.size), counts)
    row = first_row[src] + np.arange(src.size) - np.repeat(np.cumsum(counts) - counts, counts)
    keep = lattice.row_first[row] >= 0
    src, row = src[keep], row[keep]
    u = ua[src] + (row + 0.5 - va[src]) * (ub[src] - ua[src]) / (vb[src] - va[src])
    sign = np.where(va[src] > vb[src], 1, -1)
    return owner[src], row, u, sign


def centroid_pairs(
    geometries: npt.NDArray[np.object_], lattice: Lattice
) -> tuple[IntArray, IntArray, FloatArray]:
    """Return (cell, polygon, 1.0) for every cell whose centre lies in a polygon."""
    poly, row, u, sign = _centre_crossings(*polygon_edges(geometries), lattice)
    # a crossing at u changes the winding of every cell whose centre is right of it
    col = np.floor(u - 0.5).astype(np.int64) + 1
    pos, _, code = _positions(lattice, row, col)
    n = lattice.keys.size + 1
    # crossings right of a row's last cell point at the next row's first cell: sort first
    key = (poly * n + pos) * 2 + (code > 0)
    order = np.argsort(key)
    key = key[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    wind = np.add.reduceat(sign[order], start)
    row, key = row[order][start], key[start]
    poly, pos = key // (2 * n), (key // 2) % n
    new_group = np.r_[True, (poly[1:] != poly[:-1]) | (row[1:] != row[:-1])]
    cum = np.cumsum(wind)
    base = np.maximum.accumulate(np.where(new_group, np.arange(cum.size), 0))
    wind = cum - (cum[base] - wind[base])
    run = np.flatnonzero(np.r_[~new_group[1:], False] & (wind > 0))
    cells, which = _expand(pos[run], pos[run + 1])
    polys = poly[run][which]
    cells = lattice.order[cells]
    order = np.argsort(cells * (int(polys.max(initial=0)) + 1) + polys)
    return cells[order], polys[order], np.ones(order.size)
