"""Grid cells from polygon files (GML, GPKG, GeoJSON, FlatGeobuf, Shapefile).

The polygons state the cell size and the cells' lower-left corners. In
EPSG:25833 they must be axis-aligned squares of one size; in any other CRS
(GeoJSON is EPSG:4326) they are reprojected and each cell is found from its
centroid, with the size taken from the reprojected area.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geoloft._io import gdal_quiet_reads, list_ogr_layers, ogr_open_options
from geoloft.columns import WORKING_CRS
from geoloft.errors import CRSError, GeometryError, InputError, SchemaError
from geoloft.grid._build import NORWAY_25833, unique_sizes_error
from geoloft.grid.codec import CELL_SIZES

IntArray = npt.NDArray[np.int64]
GeomArray = npt.NDArray[np.object_]

#: Relative tolerance when a reprojected cell's area is matched to an SSB size.
SIZE_TOLERANCE = 0.02


@dataclass
class VectorTable:
    """Attributes and cell polygons of one layer."""

    table: pd.DataFrame
    polygons: GeomArray | None  # in EPSG:25833, or None for attribute-only layers
    aligned: bool  # True when the file is in EPSG:25833 (polygons are exact squares)
    layer: str
    crs: str | None


def choose_layer(path: Path, layer: str | int | None) -> str:
    """Return the layer to read: the one named, or the only polygon layer."""
    layers = list_ogr_layers(path)
    names = [str(n) for n in layers[:, 0]]
    listing = ", ".join(f"{n} ({t})" for n, t in layers)
    if isinstance(layer, int):
        if not 0 <= layer < len(names):
            raise SchemaError(
                f"there is no layer number {layer}; layers: {listing}.",
                source=path,
                hint="pass layer= with one of these names.",
            )
        return names[layer]
    if layer is not None:
        if layer not in names:
            raise SchemaError(
                f"there is no layer '{layer}'; layers: {listing}.",
                source=path,
                hint="pass layer= with one of these names.",
            )
        return layer
    polygon = [str(n) for n, t in layers if t is not None and "Polygon" in str(t)]
    if len(polygon) == 1:
        return polygon[0]
    if not polygon and len(names) == 1:
        return names[0]
    raise SchemaError(
        f"cannot tell which layer holds the cells; layers: {listing}.",
        source=path,
        hint="pass layer= with the name of the layer of cell polygons.",
    )


def _has_crs_member(path: Path) -> bool:
    """Return whether a GeoJSON file declares a CRS (GDAL assumes EPSG:4326 if not)."""
    with path.open("rb") as fh:
        return b'"crs"' in fh.read(1 << 16)


def resolve_crs(path: Path, file_crs: str | None, crs: str | None) -> str:
    """Return the CRS of the file's coordinates, from the file or ``crs=``."""
    implicit = path.suffix.lower() in {".geojson", ".json"} and not _has_crs_member(path)
    if crs is not None:
        wanted = CRS.from_user_input(crs)
        if file_crs is None or implicit or CRS.from_user_input(file_crs) == wanted:
            return wanted.to_string()
        raise CRSError(
            f"the file says its CRS is {file_crs}, but crs={crs!r} was given.",
            source=path,
            hint="leave out crs= (the file's own CRS is used), or fix the file.",
        )
    if file_crs is None:
        raise CRSError(
            "the file has no coordinate reference system (CRS).",
            source=path,
            hint="pass the CRS of its coordinates, e.g. crs='EPSG:25833' "
            "(SSB's grid is in ETRS89 / UTM 33N).",
        )
    return file_crs


def read_vector(path: Path, *, layer: str | int | None, crs: str | None) -> VectorTable:
    """Read one layer; return attributes and polygons reprojected to EPSG:25833."""
    name = choose_layer(path, layer)
    with gdal_quiet_reads():  # no .aux.xml written beside the input
        frame = pyogrio.read_dataframe(path, layer=name, **ogr_open_options(path))
    if len(frame) == 0:
        raise InputError(
            f"layer '{name}' holds no features.",
            source=path,
            hint="check that the file and layer= are the right ones.",
        )
    if "geometry" not in frame.columns:
        return VectorTable(pd.DataFrame(frame), None, True, name, None)
    source_crs = resolve_crs(path, None if frame.crs is None else frame.crs.to_string(), crs)
    geoms = _checked_polygons(frame.geometry.to_numpy(), path=path, layer=name)
    implicit = crs is None and path.suffix.lower() in {".geojson", ".json"}
    implicit = implicit and not _has_crs_member(path)
    said = f"{source_crs} (assumed: the GeoJSON names no CRS)" if implicit else source_crs
    _check_fits(geoms, source_crs, path=path, declared=said)
    aligned = CRS.from_user_input(source_crs) == CRS.from_user_input(WORKING_CRS)
    if not aligned:
        geoms = frame.geometry.set_crs(source_crs, allow_override=True).to_crs(WORKING_CRS)
        geoms = geoms.to_numpy()
        _check_fits(geoms, WORKING_CRS, path=path, declared=said)
    table = pd.DataFrame(frame.drop(columns="geometry"))
    return VectorTable(table, geoms, aligned, name, source_crs)


def _checked_polygons(geoms: GeomArray, *, path: Path, layer: str) -> GeomArray:
    kinds = shapely.get_type_id(geoms)
    bad = np.flatnonzero(
        shapely.is_missing(geoms) | shapely.is_empty(geoms) | ~np.isin(kinds, (3, 6))
    )
    if bad.size:
        kind = "missing/empty" if shapely.is_missing(geoms[bad[0]]) else geoms[bad[0]].geom_type
        raise GeometryError(
            f"{bad.size} feature(s) are not cell polygons (e.g. {kind}).",
            source=f"{path} (layer {layer})",
            rows=(bad + 1).tolist(),
            n_rows=bad.size,
            hint="a grid layer holds one square polygon per cell; choose the polygon "
            "layer with layer= or remove these features.",
        )
    return geoms


def _check_fits(geoms: GeomArray, crs: str, *, path: Path, declared: str | None = None) -> None:
    """Raise if coordinates cannot be in ``crs`` (degrees out of range, or not Norway)."""
    bounds = shapely.bounds(geoms)
    if CRS.from_user_input(crs).is_geographic:
        box = (-180.0, -90.0, 180.0, 90.0)
    elif CRS.from_user_input(crs) == CRS.from_user_input(WORKING_CRS):
        box = NORWAY_25833
    else:
        return
    outside = np.flatnonzero(
        ~np.isfinite(bounds).all(axis=1)
        | (bounds[:, 0] < box[0])
        | (bounds[:, 1] < box[1])
        | (bounds[:, 2] > box[2])
        | (bounds[:, 3] > box[3])
    )
    if outside.size:
        said = declared or crs
        raise CRSError(
            f"{outside.size} feature(s) have coordinates that do not fit the CRS {said} "
            f"(e.g. bounds {tuple(round(float(v)) for v in bounds[outside[0]])}).",
            source=path,
            rows=(outside + 1).tolist(),
            n_rows=outside.size,
            hint="the CRS is wrong or missing: pass crs= with the CRS the coordinates are "
            "in (SSB grids use EPSG:25833).",
        )


def aligned_cells(
    geoms: GeomArray, *, source: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int]:
    """Return lower-left corners and the one size of axis-aligned square polygons."""
    bounds = shapely.bounds(geoms)
    width = bounds[:, 2] - bounds[:, 0]
    height = bounds[:, 3] - bounds[:, 1]
    area = shapely.area(geoms)
    square = np.isclose(width, height, atol=0.01) & np.isclose(area, width * height, rtol=1e-6)
    bad = np.flatnonzero(~square)
    if bad.size:
        raise GeometryError(
            f"{bad.size} polygon(s) are not axis-aligned squares, so they are not grid "
            "cells in EPSG:25833.",
            source=source,
            rows=(bad + 1).tolist(),
            n_rows=bad.size,
            hint="check the layer and CRS; SSB cells are squares in EPSG:25833.",
        )
    sizes = np.rint(width).astype(np.int64)
    unique_sizes_error(sizes, source=source, column=None, what="polygon widths")
    return bounds[:, 0], bounds[:, 1], int(sizes[0])


def reprojected_size(geoms: GeomArray, *, source: str) -> int:
    """Return the SSB cell size matching the area of reprojected cell polygons."""
    side = np.sqrt(shapely.area(geoms))
    sizes = np.array(CELL_SIZES, dtype=np.float64)
    nearest = sizes[np.argmin(np.abs(side[:, None] - sizes[None, :]), axis=1)]
    bad = np.flatnonzero(np.abs(side - nearest) > SIZE_TOLERANCE * nearest)
    if bad.size:
        raise GeometryError(
            f"{bad.size} polygon(s) are not cells of an SSB size (e.g. side "
            f"{side[bad[0]]:.1f} m after reprojection to {WORKING_CRS}).",
            source=source,
            rows=(bad + 1).tolist(),
            n_rows=bad.size,
            hint="pass cell_size= and an id column, or use a grid file in EPSG:25833.",
        )
    unique_sizes_error(nearest.astype(np.int64), source=source, column=None, what="polygon areas")
    return int(nearest[0])
