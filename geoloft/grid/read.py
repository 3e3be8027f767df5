"""``read_grid``: SSB grid statistics from CSV, GML, GPKG, GeoJSON, FlatGeobuf or GeoTIFF.

SSB's *statistikk på rutenett* has come in many shapes: semicolon or space
separated CSV with decimal commas (2015), GML with cell polygons (Geonorge,
2019 and later), and GIS files exported by others. ``read_grid`` reads them all
into one model: a row per cell with ``ssbid`` (int64), ``cell_size`` (metres),
float64 value columns with canonical names and the cell square in EPSG:25833.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geoloft._io import TABLE_SUFFIXES, existing_file, read_text_table, read_workbook
from geoloft.columns import CELL_SIZE, WORKING_CRS
from geoloft.errors import CRSError, GeometryError, InputError, SchemaError, SSBIdError
from geoloft.grid._build import (
    SizeVotes,
    check_duplicate_ids,
    corner_ids,
    corner_ids_from,
    grid_frame,
    parse_ids,
    parse_values,
    suppress_mean_age,
    unique_sizes_error,
    value_notes,
)
from geoloft.grid._columns import (
    IdColumn,
    choose_value_columns,
    find_corner_columns,
    find_id_column,
)
from geoloft.grid._vector import VectorTable, aligned_cells, read_vector, reprojected_size
from geoloft.grid.codec import check_cell_size, points_to_ssbid
from geoloft.grid.raster import RASTER_SUFFIXES, read_raster_grid
from geoloft.report import StageReport

__all__ = ["read_grid"]

VECTOR_SUFFIXES = frozenset({".gml", ".gpkg", ".geojson", ".json", ".fgb", ".shp"})
ValueSpec = Sequence[str] | Mapping[str, str] | None


@overload
def read_grid(
    path: str | PathLike[str],
    *,
    cell_size: int | None = ...,
    id_column: str | None = ...,
    layer: str | int | None = ...,
    values: ValueSpec = ...,
    crs: str | None = ...,
    geometry: Literal[True] = ...,
    to_ssb: int | None = ...,
) -> gpd.GeoDataFrame: ...
@overload
def read_grid(
    path: str | PathLike[str],
    *,
    cell_size: int | None = ...,
    id_column: str | None = ...,
    layer: str | int | None = ...,
    values: ValueSpec = ...,
    crs: str | None = ...,
    geometry: Literal[False],
    to_ssb: int | None = ...,
) -> pd.DataFrame: ...


def read_grid(
    path: str | PathLike[str],
    *,
    cell_size: int | None = None,
    id_column: str | None = None,
    layer: str | int | None = None,
    values: ValueSpec = None,
    crs: str | None = None,
    geometry: bool = True,
    to_ssb: int | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    r"""Read SSB grid statistics (population on 100 m - 10 km cells) into cells.

    Parameters
    ----------
    path
        A table (``.csv``/``.txt``/``.tsv`` with ``;``, tab, ``,`` or space
        separators, UTF-8 with or without BOM or Latin-1; ``.xlsx``), a vector
        file of cell polygons (``.gml``, ``.gpkg``, ``.geojson``, ``.fgb``,
        ``.shp``) or a population raster (``.tif``; see below).
    cell_size
        Cell size in metres (100, 250, 500, 1000, 5000 or 10000). Needed only
        when neither the id column name (``ru250m``, ``ssbid1000M``, ...), a
        ``cell_size`` column nor cell polygons state it; when several state
        it they must agree.
    id_column
        The column of 14-digit SSB ids. Detected case-insensitively
        (``ru250m``, ``ssbid250m``, ``ssbid_1000m``, ``ssbid1000M``,
        ``ru5000m``, ``rute_100m``, ``ssbid``, ...). Without one, cells come
        from lower-left corner columns (``x_ll``/``y_ll``, ``x``/``y``,
        ``xcoor``/``ycoor``, ...; EPSG:25833 metres) or from the polygons.
    layer
        Layer name or number (vector files) or sheet (``.xlsx``). By default
        the only polygon layer.
    values
        Value columns to keep: a list of column names (SSB spellings get
        canonical names: ``popTot``/``sum`` -> ``pop_tot``, ``popAve`` ->
        ``pop_ave``, ...) or a mapping ``{column: output name}``. By default
        every column that is not the id, a corner, a known SOSI metadata
        field (``lokalId``, ``statistikkÅr``, ...) or a column of labels
        holding no number at all.
    crs
        CRS of the coordinates when the file has none (polygon files and
        rasters). A file that states another CRS is an error.
    geometry
        Build the cell squares. ``False`` returns a pandas DataFrame without
        geometry (faster).
    to_ssb
        Rasters only: assign reprojected pixel centres to SSB cells of this
        size (metres) and sum the pixel values (counts) per cell.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell: ``ssbid`` (int64), ``cell_size`` (int64 metres), the
        value columns as float64 and the cell square, in EPSG:25833.
        Suppressed values (SSB's ``.``, ``:``, ``..``, ``-``, empty cells,
        and mean age ``0`` in cells with fewer than 5 persons) are NaN, never
        0; ``attrs["report"]`` (a :class:`~geoloft.report.StageReport`) counts
        them per column in ``notes["suppressed"]`` and names the id and value
        columns and where the cell size came from. ``attrs["cell_size"]``
        holds the size. A raster that is not in EPSG:25833 (without
        ``to_ssb``) keeps its own CRS and pixel size and has no ``ssbid``.

    Raises
    ------
    InputError
        Missing, empty or header-only file; unknown format; negative counts.
    SchemaError
        No or ambiguous id column; non-numeric values (column and rows named);
        duplicate ids.
    SSBIdError
        Ids not 14 digits, corners off the cell size, mixed cell sizes, or a
        cell size that is not stated or stated differently.
    CRSError
        A polygon file or raster without CRS and no ``crs=``, or a CRS its
        coordinates do not fit.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "g.csv").write_text("ru250m;pop_tot;pop_ave\n"
    ...                                   "22560006672000;12;39,9\n"
    ...                                   "22560006672250;3;0\n")
    >>> grid = read_grid(folder / "g.csv")
    >>> grid[["ssbid", "cell_size", "pop_tot", "pop_ave"]].to_numpy().tolist()
    [[22560006672000.0, 250.0, 12.0, 39.9], [22560006672250.0, 250.0, 3.0, nan]]
    >>> grid.attrs["report"].notes["suppressed"]
    {'pop_tot': 0, 'pop_ave': 1}
    """
    p = existing_file(path, what="grid file")
    suffix = p.suffix.lower()
    if cell_size is not None:
        cell_size = check_cell_size(cell_size)
    if suffix in RASTER_SUFFIXES:
        return read_raster_grid(p, values=values, crs=crs, geometry=geometry, to_ssb=to_ssb)
    if to_ssb is not None:
        raise InputError(
            "to_ssb= applies to rasters (.tif) only.",
            source=p,
            hint="leave out to_ssb=; use geoloft.grid.parent_ssbid to aggregate.",
        )
    report = StageReport(stage="read_grid", source=str(p))
    if suffix in TABLE_SUFFIXES:
        vector = VectorTable(_read_table(p, layer=layer, crs=crs), None, True, "", WORKING_CRS)
        if "encoding" in vector.table.attrs:
            report.notes["encoding"] = vector.table.attrs["encoding"]
    elif suffix in VECTOR_SUFFIXES:
        vector = read_vector(p, layer=layer, crs=crs)
        report.notes.update(layer=vector.layer, crs=vector.crs)
    else:
        known = sorted(TABLE_SUFFIXES | VECTOR_SUFFIXES | RASTER_SUFFIXES)
        raise InputError(
            f"unknown grid file format '{p.suffix}'.",
            source=p,
            hint=f"give a grid file with one of the suffixes {', '.join(known)}.",
        )
    report.rows_in = len(vector.table)
    return _cells(
        p,
        vector,
        cell_size=cell_size,
        id_column=id_column,
        values=values,
        geometry=geometry,
        report=report,
    )


def _read_table(path: Path, *, layer: str | int | None, crs: str | None) -> pd.DataFrame:
    """Read a CSV/XLSX table with every cell as text; refuse header-only files."""
    if crs is not None and CRS.from_user_input(crs) != CRS.from_user_input(WORKING_CRS):
        raise CRSError(
            f"crs={crs!r} was given, but the ids and corner columns of SSB grid tables "
            f"are in {WORKING_CRS}.",
            source=path,
            hint="leave out crs= for tables.",
        )
    if path.suffix.lower() in {".xlsx", ".xls"}:
        table = read_workbook(path, sheet=layer).reset_index(drop=True)
    elif layer is not None:
        raise InputError(
            "layer= applies to vector files and spreadsheets, not text tables.",
            source=path,
            hint="leave out layer=.",
        )
    else:
        table = read_text_table(path)
    if len(table) == 0:
        raise InputError(
            f"the file has a header ({', '.join(table.columns)}) but no data rows.",
            source=path,
            hint="export the grid again; it holds no cells.",
        )
    return table


def _cells(
    path: Path,
    vector: VectorTable,
    *,
    cell_size: int | None,
    id_column: str | None,
    values: ValueSpec,
    geometry: bool,
    report: StageReport,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Turn a table (and its polygons) into the grid frame."""
    table = vector.table
    columns = [str(c) for c in table.columns]
    id_col = find_id_column(columns, id_column, source=path)
    corner_cols = find_corner_columns(columns, source=path)
    corners = corner_cols if id_col is None else None  # with ids, corners are not needed
    votes = SizeVotes(path)
    votes.add("cell_size=", cell_size)
    if id_col is not None:
        votes.add(f"the column name '{id_col.name}'", id_col.size)
    votes.add(f"the '{CELL_SIZE}' column", _size_column(table, source=path))
    poly_ll = _polygon_votes(vector, votes, source=str(path))
    if id_col is None and corners is None and vector.polygons is None:
        raise SchemaError(
            f"no SSB id column, corner columns or cell polygons; the table has: "
            f"{', '.join(columns)}.",
            source=path,
            hint="name the id column with id_column= (14-digit SSB ids), or give "
            "lower-left corner columns x_ll and y_ll in EPSG:25833.",
        )
    size, size_source = votes.resolve()
    ids = _ids(table, id_col, corners, vector, poly_ll, size=size, source=path)
    check_duplicate_ids(ids, source=path, column=None if id_col is None else id_col.name)
    exclude = [c for c in (id_col.name if id_col else None, *(corner_cols or ())) if c]
    mapping, chosen = choose_value_columns(columns, values, exclude=exclude, source=path)
    parsed = parse_values(table, mapping, chosen=chosen, source=path)
    mean_age = suppress_mean_age(parsed)
    report.notes.update(
        id_column=id_col.name if id_col else None,
        corner_columns=list(corner_cols) if corner_cols else None,
        cell_size=size,
        cell_size_source=size_source,
        **value_notes(parsed, mapping, mean_age),
    )
    return grid_frame(ids, size, parsed.frame, geometry=geometry, report=report)


def _size_column(table: pd.DataFrame, *, source: Path) -> int | None:
    """Return the one size of a ``cell_size`` column (geoloft's own exports)."""
    col = next((c for c in table.columns if str(c).strip().lower() == CELL_SIZE), None)
    if col is None:
        return None
    sizes = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(sizes))
    if bad.size:
        raise SSBIdError(
            "cell sizes must be whole metres.",
            source=source,
            column=str(col),
            rows=(bad + 1).tolist(),
            n_rows=bad.size,
            hint="fix these rows or drop the column and pass cell_size=.",
        )
    unique_sizes_error(
        sizes.astype(np.int64), source=source, column=str(col), what=f"column '{col}'"
    )
    return int(sizes[0])


def _polygon_votes(
    vector: VectorTable, votes: SizeVotes, *, source: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """Add the polygons' cell size to ``votes``; return their lower-left corners."""
    if vector.polygons is None:
        return None
    if vector.aligned:
        x_ll, y_ll, size = aligned_cells(vector.polygons, source=source)
        votes.add("the cell polygons", size)
        return x_ll, y_ll
    votes.add("the cell polygons (reprojected)", reprojected_size(vector.polygons, source=source))
    return None


def _ids(
    table: pd.DataFrame,
    id_col: IdColumn | None,
    corners: tuple[str, str] | None,
    vector: VectorTable,
    poly_ll: tuple[np.ndarray, np.ndarray] | None,
    *,
    size: int,
    source: Path,
) -> np.ndarray:
    """Return the cell ids from the id column, corner columns or polygons, cross-checked."""
    ids: np.ndarray | None = None
    if id_col is not None:
        ids = parse_ids(table[id_col.name], source=source, column=id_col.name, size=size)
    elif corners is not None:
        ids = corner_ids(table, corners, size=size, source=source)
    if vector.polygons is None:
        assert ids is not None  # _cells raised unless ids, corners or polygons are given
        return ids
    if poly_ll is not None:
        from_polygons = corner_ids_from(
            *poly_ll, size=size, source=str(source), what="polygon corners"
        )
    else:
        centroids = _centroids(vector.polygons)
        from_polygons = points_to_ssbid(centroids[0], centroids[1], size)
    if ids is None:
        return from_polygons
    bad = np.flatnonzero(ids != from_polygons)
    if bad.size:
        raise GeometryError(
            f"{bad.size} polygon(s) are not the cell their id says (e.g. id {ids[bad[0]]}, "
            f"polygon cell {from_polygons[bad[0]]}).",
            source=source,
            column=None if id_col is None else id_col.name,
            rows=(bad + 1).tolist(),
            n_rows=bad.size,
            hint="check the cell size and the CRS; pass id_column= if the id column is wrong.",
        )
    return ids


def _centroids(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    points = shapely.centroid(polygons)
    return shapely.get_x(points), shapely.get_y(points)
