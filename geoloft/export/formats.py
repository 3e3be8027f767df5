"""Format-specific writers behind :func:`write` and :func:`write_layers`."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geoloft._io import atomic_path
from geoloft.boundaries._geometry import StrayPartsWarning, split_polygonal
from geoloft.columns import GEOJSON_CRS, WORKING_CRS
from geoloft.errors import CRSError, InputError
from geoloft.export.shapefile import check_text_width, shapefile_field_map, write_field_map
from geoloft.export.styles import LayerStyle, write_layer_styles

__all__ = ["FORMATS", "csv_safe", "polygonal_layer", "write", "write_layers"]


@dataclass(frozen=True)
class Format:
    """A writable format: its GDAL driver (or ``None``) and whether it is multi-layer."""

    name: str
    driver: str | None
    multi_layer: bool = False


#: File suffix -> format.
FORMATS: dict[str, Format] = {
    ".gpkg": Format("GeoPackage", "GPKG", multi_layer=True),
    ".geojson": Format("GeoJSON (RFC 7946, EPSG:4326)", "GeoJSON"),
    ".json": Format("GeoJSON (RFC 7946, EPSG:4326)", "GeoJSON"),
    ".fgb": Format("FlatGeobuf", "FlatGeobuf"),
    ".shp": Format("Shapefile", "ESRI Shapefile"),
    ".parquet": Format("GeoParquet", None),
    ".csv": Format("CSV with WKT geometry", None),
}


#: Decimals of GeoJSON coordinates (degrees): 1e-9 degrees is about 0.1 mm, which keeps
#: areas to 1e-6.
GEOJSON_DECIMALS = 9
_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
_COLLECTION = shapely.GeometryType.GEOMETRYCOLLECTION
_ID_COLUMNS = ("zone_id", "area_id", "measure_id", "ssbid")


def _format_for(path: Path) -> Format:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"cannot write '{path.suffix}' files.",
            source=path,
            hint=f"use one of {', '.join(sorted(FORMATS))}.",
        )
    return fmt


def _to_crs(frame: pd.DataFrame, crs: str | int | None, fmt: Format, path: Path) -> pd.DataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        return frame
    if frame.crs is None:
        raise CRSError(
            "the frame to write has no CRS.",
            source=path,
            hint="set one with frame.set_crs(...) before writing.",
        )
    target = GEOJSON_CRS if fmt.driver == "GeoJSON" else (crs or WORKING_CRS)
    return frame.to_crs(target)


def _is_area_layer(types: np.ndarray, polygons: np.ndarray) -> bool:
    """Whether a layer holds areas: polygons, perhaps in collections, and no plain lines or points.

    ``polygons`` are the polygonal parts of the layer's geometries.
    """
    present = types[types >= 0]
    plain = ~np.isin(present, (*_POLYGONAL, shapely.GeometryType.GEOMETRYCOLLECTION))
    return bool(present.size and not plain.any() and (~shapely.is_empty(polygons)).any())


def _row_labels(frame: gpd.GeoDataFrame, mask: np.ndarray) -> list[str]:
    """Ids (the first id column the frame has) or 1-based row numbers of the ``mask`` rows."""
    column = next((c for c in _ID_COLUMNS if c in frame.columns), None)
    if column is None:
        return [f"row {i + 1}" for i in np.flatnonzero(mask)]
    return [str(v) for v in frame[column].to_numpy()[mask]]


def polygonal_layer(
    frame: pd.DataFrame, *, layer: str, source: Path, snap: float = 0.0
) -> pd.DataFrame:
    """Return a layer of areas with polygonal geometry only; warn about what was dropped.

    A layer holds areas when its geometries are polygons, multipolygons or
    collections with polygons, and no plain lines or points (layers of measures
    with points and lines pass unchanged). Collections, which a repair or a
    dissolve can leave, keep their polygons; their stray lines and points are
    dropped. With ``snap`` (a grid size in the frame's CRS units), coordinates
    are snapped to that grid with a valid result, so a writer that rounds
    coordinates (GeoJSON) never turns a polygon invalid and never repairs it into
    a collection itself; a sliver thinner than the grid loses its geometry.

    Parameters
    ----------
    frame
        The layer to write (any CRS); plain tables pass unchanged.
    layer
        Layer name, for the warning.
    source
        Target file, for the warning.
    snap
        Grid size to snap coordinates to; 0 leaves them.

    Returns
    -------
    pandas.DataFrame
        A copy with polygonal geometry, or ``frame`` itself when nothing changes.

    Warns
    -----
    StrayPartsWarning
        With the number of rows and their ids, when lines or points were dropped
        or a sliver lost its geometry.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> two = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)])
    >>> zones = gpd.GeoDataFrame({"zone_id": ["Z01"]}, geometry=[two], crs="EPSG:25833")
    >>> polygonal_layer(zones, layer="z", source=Path("z.gpkg")).geom_type.tolist()
    ['MultiPolygon']
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        return frame
    geoms = np.asarray(frame.geometry.array, dtype=object)
    types = shapely.get_type_id(geoms)
    if not np.isin(types, _POLYGONAL).any() and not (types == _COLLECTION).any():
        return frame  # points, lines or no geometry: not a layer of areas
    kept, stray = split_polygonal(geoms)
    if not _is_area_layer(types, kept):
        return frame
    lost = np.zeros(len(kept), dtype=bool)
    if snap > 0:
        had_area = ~shapely.is_empty(kept) & (types >= 0)
        kept, _ = split_polygonal(shapely.set_precision(kept, snap))
        lost = had_area & shapely.is_empty(kept)
    changed = stray | lost | ((types >= 0) & ~np.isin(types, _POLYGONAL))
    if not changed.any() and snap <= 0:
        return frame
    out = frame.copy()
    out[frame.geometry.name] = gpd.GeoSeries(kept, index=frame.index, crs=frame.crs)
    if (stray | lost).any():
        labels = _row_labels(frame, stray | lost)
        shown = ", ".join(labels[:5]) + (" …" if len(labels) > 5 else "")
        what = []
        if stray.any():
            what.append(f"{int(stray.sum())} with stray lines or points (dropped)")
        if lost.any():
            what.append(f"{int(lost.sum())} too thin to keep at this precision (written empty)")
        warnings.warn(
            f"{source} (layer {layer}): {'; '.join(what)}; ids {shown}. Layers of areas hold "
            "only polygons.",
            StrayPartsWarning,
            stacklevel=4,
        )
    return out


def _metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    meta = {"creator": "geoloft", "date": dt.date.today().isoformat()}
    meta.update({str(k): str(v) for k, v in (metadata or {}).items()})
    return meta


def _write_one(
    frame: pd.DataFrame,
    tmp: Path,
    fmt: Format,
    *,
    layer: str,
    meta: dict[str, str],
    description: str | None,
) -> None:
    if fmt.driver is None and tmp.suffix.endswith(".parquet"):
        _write_parquet(frame, tmp, meta)
    elif fmt.driver is None:
        _write_csv(frame, tmp)
    elif fmt.driver == "GPKG":
        options = {"DESCRIPTION": description} if description else {}
        pyogrio.write_dataframe(
            frame,
            tmp,
            layer=layer,
            driver="GPKG",
            append=tmp.exists(),
            layer_options=options,
            # per layer: GDAL keeps dataset metadata of a GeoPackage it opens read-only
            # in a .aux.xml it writes beside the file, so every reader changed the folder
            layer_metadata=meta,
        )
    elif fmt.driver == "GeoJSON":
        pyogrio.write_dataframe(
            frame,
            tmp,
            driver="GeoJSON",
            layer_options={
                "RFC7946": "YES",
                "WRITE_NAME": "NO",
                "COORDINATE_PRECISION": GEOJSON_DECIMALS,
                "DESCRIPTION": description or meta.get("title", ""),
            },
        )
    elif fmt.driver == "ESRI Shapefile":
        mapping = shapefile_field_map(list(frame.columns.drop([frame.geometry.name])))
        pyogrio.write_dataframe(
            frame.rename(columns=mapping), tmp, driver="ESRI Shapefile", encoding="UTF-8"
        )
        write_field_map(mapping, tmp)
    else:  # FlatGeobuf with its packed Hilbert R-tree: GIS reads a window without a full scan
        about = "; ".join(f"{k}: {v}" for k, v in meta.items() if k != "title" and v)
        options = {
            "SPATIAL_INDEX": "YES",
            "TITLE": meta.get("title", ""),
            "DESCRIPTION": f"{description} ({about})" if description else about,
        }
        pyogrio.write_dataframe(frame, tmp, driver=fmt.driver, layer=layer, layer_options=options)


def _write_parquet(frame: pd.DataFrame, tmp: Path, meta: dict[str, str]) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError as err:
        raise ImportError(
            "GeoParquet output needs pyarrow: pip install 'geoloft[parquet]'."
        ) from err
    import pyarrow.parquet as pq

    frame = frame.copy()
    frame.attrs = {}
    frame.to_parquet(tmp, index=False)
    # title, source, licence and date beside GeoParquet's own "geo" key (CRS, geometry)
    table = pq.read_table(tmp)
    extra = {b"geoloft": json.dumps(meta, ensure_ascii=False).encode("utf-8")}
    pq.write_table(table.replace_schema_metadata({**(table.schema.metadata or {}), **extra}), tmp)


#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
_FORMULA_START = r"[=+\-@\t\r]"


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with text cells and column names that start a formula neutralised.

    A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
    read as a formula by Excel and LibreOffice (spreadsheet formula injection); such
    cells get a leading ``'``, which spreadsheets show as text. Numbers are left alone.

    Examples
    --------
    >>> csv_safe(pd.DataFrame({"name": ["=1+1", "Bø", "-x"], "n": [-1, 2, 3]})).to_dict("list")
    {'name': ["'=1+1", 'Bø', "'-x"], 'n': [-1, 2, 3]}
    """
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype("string")
        risky = text.str.match(_FORMULA_START).fillna(False).to_numpy(dtype=bool)
        if risky.any():
            out[col] = values.astype(object).where(~risky, ("'" + text).astype(object))
    names = pd.Index(map(str, out.columns))
    risky_names = names.str.match(_FORMULA_START)
    if risky_names.any():
        out.columns = names.where(~risky_names, "'" + names)
    return out


def _write_csv(frame: pd.DataFrame, tmp: Path) -> None:
    """Write a frame :func:`_prepare` made (list columns already joined), geometry as WKT."""
    out = pd.DataFrame(frame).copy()
    if isinstance(frame, gpd.GeoDataFrame):
        out[frame.geometry.name] = frame.geometry.to_wkt(rounding_precision=-1)
        out = out.rename(columns={frame.geometry.name: "WKT"})
    # CRLF as RFC 4180 has it: a text cell holding a carriage return is quoted too
    csv_safe(out).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\r\n")


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn list columns (e.g. zone members) into comma-joined text for GDAL."""
    out = frame.copy()
    out.attrs = {}
    for col in out.columns:
        if col == getattr(frame, "_geometry_column_name", None):
            continue
        values = out[col]
        if values.dtype == object and values.map(lambda v: isinstance(v, list | tuple)).any():
            out[col] = values.map(
                lambda v: ",".join(map(str, v)) if isinstance(v, list | tuple) else v
            )
    return out


def write(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    crs: str | int | None = None,
    overwrite: bool = False,
    inputs: tuple[Path, ...] = (),
    metadata: Mapping[str, str] | None = None,
    description: str | None = None,
    style: LayerStyle | None = None,
) -> Path:
    """Write one frame to a file, atomically, in the format its suffix names.

    Parameters
    ----------
    frame
        A GeoDataFrame (any CRS) or a plain table (CSV or GeoParquet only).
    path
        Target file. The suffix picks the format: ``.gpkg``, ``.geojson``,
        ``.fgb``, ``.shp`` (field names cut to 10 characters; the mapping goes to a
        ``.fields.csv`` sidecar and the ``.cpg`` says UTF-8), ``.parquet``
        (GeoParquet) or ``.csv`` (geometry as WKT in a ``WKT`` column).
    layer
        Layer name in a GeoPackage; the file stem when ``None``.
    crs
        Target CRS; EPSG:25833 when ``None``. GeoJSON is always EPSG:4326.
    overwrite
        Replace an existing file. Inputs in ``inputs`` are never replaced.
    inputs
        The run's input files, which must not be written over.
    metadata
        Title, source, licence and the like, stored where the format allows
        (metadata of each GeoPackage layer).
    description
        Layer description (GeoPackage ``gpkg_contents``; GeoJSON ``description``).
    style
        Classes and colours stored as a QGIS ``layer_styles`` row (GeoPackage only).

    Returns
    -------
    pathlib.Path
        The written file.

    Warns
    -----
    geoloft.boundaries.StrayPartsWarning
        Layers of areas are written with polygonal geometry only (see
        :func:`polygonal_layer`); when lines or points were dropped from
        geometry collections, or a sliver was too thin for GeoJSON's 9 decimals.

    Raises
    ------
    geoloft.errors.OutputExistsError
        If the file exists and ``overwrite`` is false, or ``path`` is an input.
    geoloft.errors.CRSError
        If a GeoDataFrame has no CRS.

    Examples
    --------
    >>> import geopandas as gpd, shapely, tempfile, pathlib
    >>> gdf = gpd.GeoDataFrame({"area_id": ["01"]}, geometry=[shapely.box(0, 0, 1, 1)],
    ...                        crs="EPSG:25833")
    >>> out = write(gdf, pathlib.Path(tempfile.mkdtemp()) / "a.fgb")
    >>> out.suffix
    '.fgb'
    """
    target = Path(path)
    name = layer or target.stem
    return write_layers(
        {name: frame},
        target,
        crs=crs,
        overwrite=overwrite,
        inputs=inputs,
        metadata=metadata,
        descriptions={name: description} if description else None,
        styles={name: style} if style else None,
    )


def write_layers(
    layers: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    crs: str | int | None = None,
    overwrite: bool = False,
    inputs: tuple[Path, ...] = (),
    metadata: Mapping[str, str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    styles: Mapping[str, LayerStyle] | None = None,
) -> Path:
    """Write several layers to one GeoPackage (or one layer to any format), atomically.

    Parameters are as in :func:`write`; ``layers`` maps layer names to frames,
    ``descriptions`` and ``styles`` map layer names to their description and
    QGIS style. All layers land in one rename, so a reader never sees half a file.

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import geopandas as gpd, shapely, tempfile, pathlib, pyogrio
    >>> gdf = gpd.GeoDataFrame({"area_id": ["01"]}, geometry=[shapely.box(0, 0, 1, 1)],
    ...                        crs="EPSG:25833")
    >>> out = write_layers({"a": gdf, "b": gdf}, pathlib.Path(tempfile.mkdtemp()) / "x.gpkg")
    >>> [name for name, _ in pyogrio.list_layers(out)]
    ['a', 'b']
    """
    target = Path(path)
    fmt = _format_for(target)
    if len(layers) > 1 and not fmt.multi_layer:
        raise InputError(
            f"{fmt.name} holds one layer; got {len(layers)}.",
            source=target,
            hint="write a .gpkg, or one file per layer.",
        )
    meta = _metadata(metadata)
    with atomic_path(target, overwrite=overwrite, inputs=inputs) as tmp:
        for name, frame in layers.items():
            snap = 10.0**-GEOJSON_DECIMALS if fmt.driver == "GeoJSON" else 0.0
            prepared = polygonal_layer(
                _to_crs(_prepare(frame), crs, fmt, target), layer=name, source=target, snap=snap
            )
            if fmt.driver == "ESRI Shapefile":
                check_text_width(prepared, target)
            _write_one(
                prepared,
                tmp,
                fmt,
                layer=name,
                meta=meta,
                description=(descriptions or {}).get(name),
            )
        if styles and fmt.driver == "GPKG":
            write_layer_styles(tmp, styles)
        if fmt.driver == "ESRI Shapefile":
            _move_sidecars(tmp, target)
    return target


def _move_sidecars(tmp: Path, target: Path) -> None:
    """Rename a shapefile's sidecars (.dbf, .shx, .prj, .cpg, .fields.csv) into place."""
    stem = tmp.name[: -len(".shp")]
    for side in tmp.parent.glob(stem + ".*"):
        if side == tmp:
            continue
        side.replace(target.with_name(target.stem + side.name[len(stem) :]))


def read_layer_styles(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Return the ``layer_styles`` rows of a GeoPackage (for checks and tests)."""
    with sqlite3.connect(Path(path)) as con:
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM layer_styles")]
