"""SSB grid cell ids (SSBID) and Eurostat GEOSTAT ids <-> cells, vectorised.

SSB's *statistikk på rutenett* codes each square cell by its lower-left corner
in EPSG:25833 (ETRS89 / UTM 33N)::

    ssbid = (x_ll + 2_000_000) * 10**7 + y_ll

The cell is ``[x_ll, x_ll + s) x [y_ll, y_ll + s)``. The id does not encode the
cell size ``s``; it travels with the data. Sizes in use: 100, 250, 500, 1000,
5000 and 10000 metres. Eurostat's GEOSTAT grid codes cells in EPSG:3035 with the
northing first (``CRS3035RES1000mN2696000E4341000`` or ``1kmN2696E4341``).

All functions take and return numpy arrays; none loops over cells in Python.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geoloft.errors import SSBIdError, format_rows

__all__ = [
    "CELL_SIZES",
    "cell_centres",
    "cell_polygons",
    "check_ssbids",
    "corners_to_geostat",
    "corners_to_ssbid",
    "geostat_to_corners",
    "neighbour_ssbids",
    "parent_ssbid",
    "points_to_ssbid",
    "ssbid_to_corners",
]

#: Cell sizes (metres) SSB and Eurostat publish.
CELL_SIZES: tuple[int, ...] = (100, 250, 500, 1000, 5000, 10000)

X_OFFSET = 2_000_000
Y_FACTOR = 10**7
SSBID_MIN = 10**13  # 14 digits
SSBID_MAX = 10**14 - 1

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def check_cell_size(cell_size: int) -> int:
    """Return ``cell_size`` as int, or raise for a size SSB does not use.

    Examples
    --------
    >>> check_cell_size(250)
    250
    """
    size = int(cell_size)
    if size != cell_size or size not in CELL_SIZES:
        raise SSBIdError(
            f"cell size {cell_size!r} m is not one SSB uses.",
            source="cell_size",
            hint=f"use one of {', '.join(map(str, CELL_SIZES))} metres.",
        )
    return size


def ssbid_to_corners(ssbid: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """Return the lower-left corners (x, y) in EPSG:25833 metres of SSB cell ids.

    Parameters
    ----------
    ssbid
        14-digit SSB cell ids (int64 or anything numpy turns into int64).

    Returns
    -------
    tuple of numpy.ndarray
        Easting and northing of the lower-left corner, int64 metres.

    Examples
    --------
    >>> ssbid_to_corners([22560006672000])
    (array([256000]), array([6672000]))
    """
    ids = np.asarray(ssbid, dtype=np.int64)
    return ids // Y_FACTOR - X_OFFSET, ids % Y_FACTOR


def corners_to_ssbid(x_ll: npt.ArrayLike, y_ll: npt.ArrayLike) -> IntArray:
    """Return SSB cell ids for lower-left corners (EPSG:25833 metres).

    Examples
    --------
    >>> corners_to_ssbid([-75000], [6451000]).tolist()
    [19250006451000]
    """
    x = np.asarray(x_ll, dtype=np.int64)
    y = np.asarray(y_ll, dtype=np.int64)
    return (x + X_OFFSET) * Y_FACTOR + y


def points_to_ssbid(x: npt.ArrayLike, y: npt.ArrayLike, cell_size: int) -> IntArray:
    """Return the id of the cell of size ``cell_size`` holding each point.

    Points on a cell edge belong to the cell to their east / north (cells are
    closed at the lower-left, open at the upper-right). Negative eastings (the
    west coast, west of UTM 33's false origin) floor correctly.

    Parameters
    ----------
    x, y
        Point coordinates in EPSG:25833 metres.
    cell_size
        Cell size in metres.

    Examples
    --------
    >>> points_to_ssbid([-74999.5], [6451249.0], 250).tolist()
    [19250006451000]
    """
    size = check_cell_size(cell_size)
    # floor_divide corrects with the exact remainder; floor(x / size) turns a tiny negative
    # x (x / size underflows to -0.0) into the cell east of it.
    xs = np.floor_divide(np.asarray(x, dtype=np.float64), size).astype(np.int64) * size
    ys = np.floor_divide(np.asarray(y, dtype=np.float64), size).astype(np.int64) * size
    return corners_to_ssbid(xs, ys)


def parent_ssbid(ssbid: npt.ArrayLike, cell_size: int, parent_size: int) -> IntArray:
    """Return the id of the coarser cell holding each cell (250 m -> 1 km -> 5 km).

    Raises
    ------
    SSBIdError
        If ``parent_size`` is not a multiple of ``cell_size``.

    Examples
    --------
    >>> parent_ssbid([22562506672750], 250, 1000).tolist()
    [22560006672000]
    """
    size, parent = check_cell_size(cell_size), check_cell_size(parent_size)
    if parent < size or parent % size:
        raise SSBIdError(
            f"a {parent} m cell cannot hold {size} m cells exactly.",
            source="parent_size",
            hint="choose a parent size that is a multiple of the cell size.",
        )
    x, y = ssbid_to_corners(ssbid)
    return corners_to_ssbid(
        np.floor_divide(x, parent) * parent, np.floor_divide(y, parent) * parent
    )


def check_ssbids(
    ssbid: npt.ArrayLike, cell_size: int, *, source: str = "ssbid", column: str | None = None
) -> IntArray:
    """Validate SSB ids for a cell size and return them as int64.

    Raises
    ------
    SSBIdError
        Naming the rows (1-based) whose id is not 14 digits or whose corner is
        not a multiple of the cell size.
    """
    size = check_cell_size(cell_size)
    ids = np.asarray(ssbid, dtype=np.int64)
    bad_len = np.flatnonzero((ids < SSBID_MIN) | (ids > SSBID_MAX))
    if bad_len.size:
        raise SSBIdError(
            f"{bad_len.size} id(s) are not 14 digits (e.g. {ids[bad_len[0]]}).",
            source=source,
            column=column,
            rows=(bad_len + 1).tolist(),
            n_rows=bad_len.size,
            hint="SSB ids are 14 digits: 7 for x + 2,000,000 and 7 for y.",
        )
    x, y = ssbid_to_corners(ids)
    off = np.flatnonzero((x % size != 0) | (y % size != 0))
    if off.size:
        raise SSBIdError(
            f"{off.size} id(s) have a corner that is not a multiple of {size} m "
            f"(e.g. {ids[off[0]]}), so they are not {size} m cells.",
            source=source,
            column=column,
            rows=(off + 1).tolist(),
            n_rows=off.size,
            hint="give the right cell size, or split a file that mixes cell sizes.",
        )
    return ids


def cell_centres(ssbid: npt.ArrayLike, cell_size: int) -> tuple[FloatArray, FloatArray]:
    """Return cell centre coordinates (EPSG:25833 metres).

    Examples
    --------
    >>> cell_centres([22560006672000], 1000)
    (array([256500.]), array([6672500.]))
    """
    size = check_cell_size(cell_size)
    x, y = ssbid_to_corners(ssbid)
    half = np.float64(size / 2.0)
    return x + half, y + half


def cell_polygons(ssbid: npt.ArrayLike, cell_size: int) -> npt.NDArray[np.object_]:
    """Return the cell squares as shapely polygons (EPSG:25833).

    Rings run counter-clockwise from the lower-left corner.

    Examples
    --------
    >>> cell_polygons([22560006672000], 1000)[0].bounds
    (256000.0, 6672000.0, 257000.0, 6673000.0)
    """
    size = check_cell_size(cell_size)
    x, y = ssbid_to_corners(ssbid)
    return shapely.box(x, y, x + size, y + size)


_ROOK = ((1, 0), (-1, 0), (0, 1), (0, -1))
_QUEEN = (*_ROOK, (1, 1), (1, -1), (-1, 1), (-1, -1))


def neighbour_ssbids(ssbid: npt.ArrayLike, cell_size: int, *, queen: bool = False) -> IntArray:
    """Return the ids of the 4 (rook) or 8 (queen) neighbours of each cell.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 4)`` or ``(n, 8)``: east, west, north, south, then (queen)
        north-east, south-east, north-west, south-west.

    Examples
    --------
    >>> neighbour_ssbids([22560006672000], 1000)[0].tolist()
    [22570006672000, 22550006672000, 22560006673000, 22560006671000]
    """
    size = check_cell_size(cell_size)
    ids = np.asarray(ssbid, dtype=np.int64)
    steps = np.array(_QUEEN if queen else _ROOK, dtype=np.int64) * size
    return ids[:, None] + steps[:, 0] * Y_FACTOR + steps[:, 1]


# --- Eurostat GEOSTAT ------------------------------------------------------

_GEOSTAT_LONG = re.compile(r"^CRS3035RES(\d+)mN(\d+)E(\d+)$")
_GEOSTAT_SHORT = re.compile(r"^(\d+)(k?m)N(\d+)E(\d+)$")


def _inspire_divisor(size: npt.ArrayLike) -> IntArray:
    """Return 10**n, n the number of trailing zeros of the cell size in metres."""
    sizes = np.atleast_1d(np.asarray(size, dtype=np.int64))
    div = np.ones_like(sizes)
    for _ in range(7):  # at most 10 km -> 4 zeros; fixed small bound, not per cell
        more = sizes % (div * 10) == 0
        div = np.where(more, div * 10, div)
    return div


def _short_label(size: int) -> str:
    return f"{size // 1000}km" if size % 1000 == 0 else f"{size}m"


def geostat_to_corners(codes: npt.ArrayLike) -> tuple[IntArray, IntArray, IntArray]:
    """Decode Eurostat GEOSTAT cell codes to EPSG:3035 corners and cell sizes.

    Accepts the long (``CRS3035RES1000mN2696000E4341000``) and the short
    (``1kmN2696E4341``, ``100mN26960E43410``) forms, mixed. The northing comes
    first in both.

    Returns
    -------
    tuple of numpy.ndarray
        Easting and northing of the lower-left corner (EPSG:3035 metres) and the
        cell size in metres.

    Raises
    ------
    SSBIdError
        Naming the rows that are not GEOSTAT codes.

    Examples
    --------
    >>> geostat_to_corners(["1kmN2696E4341"])
    (array([4341000]), array([2696000]), array([1000]))
    """
    text = np.asarray(codes, dtype=str)
    n = text.size
    x = np.zeros(n, dtype=np.int64)
    y = np.zeros(n, dtype=np.int64)
    size = np.zeros(n, dtype=np.int64)
    series = pd.Series(text)
    long = series.str.extract(_GEOSTAT_LONG)
    short = series.str.extract(_GEOSTAT_SHORT)
    is_long = long[0].notna().to_numpy()
    is_short = short[0].notna().to_numpy() & ~is_long
    bad = np.flatnonzero(~is_long & ~is_short)
    if bad.size:
        raise SSBIdError(
            f"{bad.size} value(s) are not GEOSTAT codes (e.g. {str(text[bad[0]])!r}).",
            source="geostat",
            rows=(bad + 1).tolist(),
            n_rows=bad.size,
            hint="use 'CRS3035RES1000mN2696000E4341000' or '1kmN2696E4341'.",
        )
    if is_long.any():
        size[is_long] = long.loc[is_long, 0].astype(np.int64)
        y[is_long] = long.loc[is_long, 1].astype(np.int64)
        x[is_long] = long.loc[is_long, 2].astype(np.int64)
    if is_short.any():
        num = short.loc[is_short, 0].astype(np.int64).to_numpy()
        unit = np.where(short.loc[is_short, 1].to_numpy() == "km", 1000, 1)
        cell = num * unit
        size[is_short] = cell
        mult = _inspire_divisor(cell)
        y[is_short] = short.loc[is_short, 2].astype(np.int64).to_numpy() * mult
        x[is_short] = short.loc[is_short, 3].astype(np.int64).to_numpy() * mult
    return x, y, size


def corners_to_geostat(
    x_ll: npt.ArrayLike, y_ll: npt.ArrayLike, cell_size: int, *, short: bool = False
) -> npt.NDArray[np.str_]:
    """Encode EPSG:3035 lower-left corners as Eurostat GEOSTAT codes.

    In the short form the coordinates are divided by ``10**n``, ``n`` the
    number of trailing zeros of the cell size in metres (``1kmN2696E4341``,
    ``100mN26960E43410``), following the INSPIRE grid naming.

    Examples
    --------
    >>> corners_to_geostat([4341000], [2696000], 1000).tolist()
    ['CRS3035RES1000mN2696000E4341000']
    >>> corners_to_geostat([4341000], [2696000], 1000, short=True).tolist()
    ['1kmN2696E4341']
    """
    size = int(cell_size)
    x = np.asarray(x_ll, dtype=np.int64)
    y = np.asarray(y_ll, dtype=np.int64)
    if short:
        div = int(_inspire_divisor(size)[0])
        return np.char.add(
            np.char.add(np.char.add(f"{_short_label(size)}N", (y // div).astype(str)), "E"),
            (x // div).astype(str),
        )
    return np.char.add(
        np.char.add(np.char.add(f"CRS3035RES{size}mN", y.astype(str)), "E"), x.astype(str)
    )


def describe_bad_ids(ids: npt.ArrayLike) -> str:
    """Return a short listing of ids for error messages."""
    return format_rows(np.asarray(ids).tolist())
