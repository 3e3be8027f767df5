"""Population rasters (GeoTIFF) as grid cells, optionally assigned to SSB cells.

A raster such as WorldPop or GHS-POP holds persons per pixel. Read as is, each
populated pixel becomes a cell in the raster's own CRS and pixel size (with an
``ssbid`` only when the raster *is* an SSB grid: EPSG:25833, an SSB cell size
and aligned). With ``to_ssb`` the pixel centres are reprojected to EPSG:25833,
assigned to the SSB cell of that size holding them, and the counts summed per
cell. Centre assignment moves each pixel's persons whole; for pixels much
smaller than the SSB cell the error is small, for pixels as large as the cells
it is not.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geoloft.columns import CELL_SIZE, POP_TOT, WORKING_CRS
from geoloft.errors import CRSError, GeometryError, InputError, SchemaError
from geoloft.grid._build import grid_frame
from geoloft.grid._columns import canonical_name
from geoloft.grid.codec import CELL_SIZES, check_cell_size, corners_to_ssbid, points_to_ssbid
from geoloft.report import StageReport, attach_report

__all__ = ["RASTER_SUFFIXES", "read_raster_grid"]

RASTER_SUFFIXES = frozenset({".tif", ".tiff"})
FloatArray = npt.NDArray[np.float64]


def read_raster_grid(
    path: Path,
    *,
    values: Sequence[str] | Mapping[str, str] | None = None,
    crs: str | None = None,
    geometry: bool = True,
    to_ssb: int | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Read a population raster: one row per pixel that is neither nodata nor 0.

    Parameters
    ----------
    path
        A GeoTIFF; each band is a value column (persons per pixel).
    values
        Output names, one per band. By default the band descriptions (SSB
        spellings made canonical), or ``pop_tot`` for a single band.
    crs
        CRS of a raster that has none. A raster stating another CRS is an error.
    geometry
        Build the cell squares.
    to_ssb
        SSB cell size (metres) to assign reprojected pixel centres to, summing
        the values; the result is an SSB grid in EPSG:25833.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``ssbid`` (when the cells are SSB cells), ``cell_size``, the
        value columns (float64) and the pixel or cell squares.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from affine import Affine
    >>> tif = pathlib.Path(tempfile.mkdtemp()) / "pop.tif"
    >>> with rasterio.open(tif, "w", driver="GTiff", width=2, height=1, count=1,
    ...                    dtype="float32", crs="EPSG:25833", nodata=-1,
    ...                    transform=Affine(250, 0, 256000, 0, -250, 6672250)) as dst:
    ...     dst.write(np.array([[[7, 0]]], dtype="float32"))
    >>> read_raster_grid(tif)[["ssbid", "cell_size", "pop_tot"]].to_numpy().tolist()
    [[22560006672000.0, 250.0, 7.0]]
    """
    import rasterio

    report = StageReport(stage="read_grid", source=str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            data = src.read(masked=True).astype(np.float64)
            transform, descriptions = src.transform, src.descriptions
            file_crs = None if src.crs is None else src.crs.to_string()
    raster_crs = _raster_crs(path, file_crs, crs)
    size = _pixel_size(path, transform)
    names = _band_names(path, values, descriptions, data.shape[0])
    rows, cols, table = _populated_pixels(data, names, report)
    x0, y0 = transform.c, transform.f
    x_ll = x0 + cols * transform.a + np.minimum(transform.a, 0)
    y_ll = y0 + (rows + 1) * transform.e if transform.e < 0 else y0 + rows * transform.e
    report.notes.update(crs=raster_crs, pixel_size=size, value_columns=dict(enumerate(names, 1)))
    if to_ssb is not None:
        return _assign_to_ssb(
            x_ll + size / 2,
            y_ll + size / 2,
            table,
            raster_crs,
            to_ssb=check_cell_size(to_ssb),
            geometry=geometry,
            report=report,
        )
    return _pixels_as_cells(
        path, x_ll, y_ll, size, table, raster_crs, geometry=geometry, report=report
    )


def _raster_crs(path: Path, file_crs: str | None, crs: str | None) -> str:
    if crs is not None:
        if file_crs is not None and CRS.from_user_input(file_crs) != CRS.from_user_input(crs):
            raise CRSError(
                f"the raster says its CRS is {file_crs}, but crs={crs!r} was given.",
                source=path,
                hint="leave out crs=, or fix the raster.",
            )
        return CRS.from_user_input(crs).to_string()
    if file_crs is None:
        raise CRSError(
            "the raster has no coordinate reference system (CRS).",
            source=path,
            hint="pass the CRS of the raster, e.g. crs='EPSG:25833'.",
        )
    return file_crs


def _pixel_size(path: Path, transform: object) -> float:
    a, b, d, e = (transform.a, transform.b, transform.d, transform.e)  # type: ignore[attr-defined]
    if b or d:
        raise GeometryError(
            "the raster is rotated; its pixels are not grid cells.",
            source=path,
            hint="warp it to a north-up raster first (gdalwarp).",
        )
    if not np.isclose(abs(a), abs(e), rtol=1e-9):
        raise GeometryError(
            f"the pixels are not square ({abs(a)} x {abs(e)}).",
            source=path,
            hint="pass to_ssb= to assign pixel centres to SSB cells.",
        )
    return float(abs(a))


def _band_names(
    path: Path,
    values: Sequence[str] | Mapping[str, str] | None,
    descriptions: Sequence[str | None],
    count: int,
) -> list[str]:
    if values is None:
        if count == 1:
            return [canonical_name(descriptions[0]) if descriptions[0] else POP_TOT]
        return [canonical_name(d) if d else f"band_{i}" for i, d in enumerate(descriptions, 1)]
    names = list(values.values()) if isinstance(values, Mapping) else list(values)
    if len(names) != count or len(set(names)) != count:
        raise SchemaError(
            f"values= gives {len(names)} names for {count} band(s).",
            source=path,
            hint="give one distinct output name per band.",
        )
    return [str(n) for n in names]


def _populated_pixels(
    data: np.ma.MaskedArray, names: list[str], report: StageReport
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], pd.DataFrame]:
    """Return row/column of pixels with a non-zero value in some band, and the values."""
    filled = data.filled(np.nan)
    valid = np.isfinite(filled)
    populated = (valid & (filled != 0)).any(axis=0)
    nodata = ~valid.any(axis=0)
    report.rows_in = int(populated.size)
    report.drop("nodata pixels", int(nodata.sum()))
    report.drop("zero pixels", int((~populated & ~nodata).sum()))
    rows, cols = np.nonzero(populated)
    table = pd.DataFrame({name: filled[i][rows, cols] for i, name in enumerate(names)})
    negative = [n for n in names if (table[n] < 0).any()]
    if negative:
        raise InputError(
            f"band(s) {', '.join(negative)} hold negative values.",
            source=report.source,
            hint="a population raster holds persons per pixel (>= 0).",
        )
    report.notes["missing"] = {n: int(table[n].isna().sum()) for n in names}
    return rows, cols, table


def _assign_to_ssb(
    x: FloatArray,
    y: FloatArray,
    table: pd.DataFrame,
    raster_crs: str,
    *,
    to_ssb: int,
    geometry: bool,
    report: StageReport,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Sum pixel values into the SSB cells holding the reprojected pixel centres."""
    transformer = Transformer.from_crs(raster_crs, WORKING_CRS, always_xy=True)
    ex, ny = transformer.transform(x, y)
    ids = points_to_ssbid(ex, ny, to_ssb)
    summed = table.groupby(ids, sort=True).sum(min_count=1)
    report.notes.update(
        cell_size=to_ssb,
        cell_size_source="to_ssb=",
        pixels_assigned=len(table),
        method="pixel centres, values summed",
    )
    return grid_frame(
        summed.index.to_numpy(np.int64),
        to_ssb,
        summed.reset_index(drop=True),
        geometry=geometry,
        report=report,
    )


def _pixels_as_cells(
    path: Path,
    x_ll: FloatArray,
    y_ll: FloatArray,
    size: float,
    table: pd.DataFrame,
    raster_crs: str,
    *,
    geometry: bool,
    report: StageReport,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Return populated pixels as cells of the raster's own CRS and size."""
    crs = CRS.from_user_input(raster_crs)
    if crs.is_geographic or not float(size).is_integer():
        raise CRSError(
            f"the pixels are {size:g} units of {raster_crs}, not whole metres, so they "
            "are not grid cells in metres.",
            source=path,
            hint="pass to_ssb= (e.g. to_ssb=250) to assign the pixels to SSB cells.",
        )
    cell = int(size)
    ssb = (
        crs == CRS.from_user_input(WORKING_CRS)
        and cell in CELL_SIZES
        and not (np.mod(x_ll, cell).any() or np.mod(y_ll, cell).any())
    )
    report.notes.update(cell_size=cell, cell_size_source="pixel size", ssb_aligned=bool(ssb))
    if ssb:
        ids = corners_to_ssbid(np.rint(x_ll), np.rint(y_ll))
        return grid_frame(ids, cell, table, geometry=geometry, report=report)
    frame = pd.DataFrame({CELL_SIZE: np.full(len(table), cell, dtype=np.int64)})
    for name in table.columns:
        frame[name] = table[name].to_numpy(np.float64)
    if geometry:
        boxes = shapely.box(x_ll, y_ll, x_ll + cell, y_ll + cell)
        frame = gpd.GeoDataFrame(frame, geometry=boxes, crs=raster_crs)
    frame.attrs["cell_size"] = cell
    report.rows_out = len(frame)
    return attach_report(frame, report)
