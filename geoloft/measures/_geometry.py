"""Measure geometry: coordinates from tables, vector files, the Norway extent check."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geoloft._io import (
    gdal_quiet_reads,
    is_workbook,
    parse_numbers,
    read_text_table,
    read_workbook,
)
from geoloft._validate import Problems, nonfinite_rows
from geoloft.boundaries._geometry import polygonal_parts
from geoloft.columns import MEASURE_ID
from geoloft.errors import CRSError, InputError, SchemaError
from geoloft.measures._columns import find, named
from geoloft.report import StageReport

LON_NAMES = (
    "lon", "lng", "long", "longitude", "lengdegrad", "lengde", "lon_wgs84", "longitude_wgs84",
    "wgs84_lon", "x_lon", "lon_x", "geo_lon",
)  # fmt: skip
LAT_NAMES = (
    "lat", "latitude", "breddegrad", "bredde", "lat_wgs84", "latitude_wgs84", "wgs84_lat",
    "y_lat", "lat_y", "geo_lat",
)  # fmt: skip
X_NAMES = (
    "x", "ost", "øst", "east", "easting", "utm_ost", "utm_øst", "utm_x", "x_utm", "x_koord",
    "xkoord", "x_koordinat", "koord_x", "x_coord", "xcoord", "x_coordinate", "øst_koordinat",
)  # fmt: skip
Y_NAMES = (
    "y", "nord", "north", "northing", "utm_nord", "utm_y", "y_utm", "y_koord", "ykoord",
    "y_koordinat", "koord_y", "y_coord", "ycoord", "y_coordinate", "nord_koordinat",
)  # fmt: skip
#: Cell texts that mean "no value" in coordinate columns (besides empty cells and SSB markers).
NA_TEXT = frozenset({"nan", "na", "n/a", "null", "none", "missing", "mangler", "ukjent"})
#: How many ids or rows a report note lists (with the count of all of them).
EXAMPLES = 10
#: Plausible extent of Norway with Svalbard and Jan Mayen, lon/lat degrees.
NORWAY_LONLAT = (-10.0, 57.0, 35.0, 82.0)


class MissingCoordinatesWarning(UserWarning):
    """Measures without coordinates (empty cells, NaN, empty geometry) were dropped."""


def from_table(
    src: Path,
    *,
    crs: str | None,
    x: str | None,
    y: str | None,
    report: StageReport,
    sheet: str | None = None,
    degrees: bool = False,
) -> gpd.GeoDataFrame:
    """Read a CSV table or a workbook sheet with coordinate columns as points.

    ``degrees`` says that ``x``/``y`` are longitude/latitude (EPSG:4326 unless
    ``crs`` says otherwise).
    """
    table = read_workbook(src, sheet=sheet) if is_workbook(src) else read_text_table(src)
    table.columns = [str(c).replace("\ufeff", "").strip() for c in table.columns]
    if len(table) == 0:
        raise InputError(
            "the file has a header but no rows.", source=src, hint="add the measures, one per row."
        )
    xcol: str | None
    ycol: str | None
    if x is not None or y is not None:
        xcol, ycol = named(table, x or "x", "'x'", src), named(table, y or "y", "'y'", src)
        crs = crs or ("EPSG:4326" if degrees else None)
    elif (lon := find(table.columns, LON_NAMES)) and (lat := find(table.columns, LAT_NAMES)):
        xcol, ycol, crs = lon, lat, crs or "EPSG:4326"
    else:
        xcol, ycol = find(table.columns, X_NAMES), find(table.columns, Y_NAMES)
    if xcol is None or ycol is None:
        raise SchemaError(
            f"found no coordinate columns; the file has: {', '.join(table.columns)}.",
            source=src,
            hint="add lon/lat (or x/y with crs=) columns, or name them: "
            'columns={"lon": …, "lat": …} (degrees) or {"x": …, "y": …} with crs=.',
        )
    xs, ys = _coordinates(table, xcol, ycol, src)
    if crs is None:
        in_degrees = bool(xs.abs().le(180).all() and ys.abs().le(90).all())
        raise CRSError(
            f"coordinate columns '{xcol}'/'{ycol}' need a CRS.",
            source=src,
            column=xcol,
            hint="pass crs=, e.g. 'EPSG:25833' (UTM 33, SSB's grid) or 'EPSG:25832'"
            + ("; the values look like degrees: 'EPSG:4326'." if in_degrees else "."),
        )
    has_xy = (xs.notna() & ys.notna()).to_numpy()
    points = np.full(len(table), None, dtype=object)
    points[has_xy] = shapely.points(xs[has_xy].to_numpy(), ys[has_xy].to_numpy())
    report.notes["coordinate columns"] = [xcol, ycol]
    report.notes["crs"] = crs
    # The coordinate columns stay until the columns are named (errors list them).
    return gpd.GeoDataFrame(table, geometry=points, crs=_crs(crs, src))


def _coordinates(
    table: pd.DataFrame, xcol: str, ycol: str, src: Path
) -> tuple[pd.Series, pd.Series]:
    """Parse the coordinate columns; raise naming column and rows for text that is no number.

    Empty cells and SSB's missing markers are missing coordinates (the measure
    is reported and left off the map); anything else that is not a number is
    a typing error, never quietly a measure without a place.
    """
    problems = Problems(source=src, error=SchemaError)
    parsed = {}
    for col in (xcol, ycol):
        values = table[col]
        if not pd.api.types.is_numeric_dtype(values):
            na = values.astype("string").str.strip().str.casefold().isin(NA_TEXT)
            values = values.where(~na.fillna(False).to_numpy(), "")
        parsed[col] = parse_numbers(values)
    for col, result in parsed.items():
        infinite = np.flatnonzero(np.isinf(result.values.to_numpy()))
        bad = np.union1d(result.bad_rows, infinite).astype(int)
        if bad.size:
            shown = ", ".join(repr(v) for v in pd.unique(table[col].iloc[bad])[:5])
            problems.add(
                f"coordinates that are not numbers ({shown}).",
                column=col,
                rows=(bad + 1).tolist(),
                n_rows=bad.size,
                hint="correct them (decimal point or comma); leave the cell empty for a "
                "measure without a place, which is reported and left off the map. Rows "
                "count from 1 below the header.",
            )
    problems.raise_if_any()
    return parsed[xcol].values, parsed[ycol].values


def _crs(crs: str, source: Path) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as err:
        raise CRSError(
            f"unknown CRS {crs!r}.", source=source, hint="use an EPSG code such as 'EPSG:25833'."
        ) from err


@gdal_quiet_reads()  # no .aux.xml written beside the input
def from_vector(
    src: Path, *, crs: str | None, layer: str | None, report: StageReport
) -> gpd.GeoDataFrame:
    import pyogrio

    try:
        layers = [str(name) for name in pyogrio.list_layers(src)[:, 0]]
    except pyogrio.errors.DataSourceError as err:
        raise InputError(
            "unknown or unreadable format.",
            source=src,
            hint="use CSV, GeoJSON, GPKG, Shapefile or FlatGeobuf.",
        ) from err
    if (layer is None and len(layers) > 1) or (layer is not None and layer not in layers):
        raise InputError(
            f"{'no layer ' + repr(layer) if layer else 'several layers'}; "
            f"the file has: {', '.join(layers)}.",
            source=src,
            hint="pass layer= as one of these.",
        )
    with warnings.catch_warnings():  # NaN coordinates: reported below with their rows
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        frame = gpd.read_file(src, layer=layer or layers[0])
    has_rows = isinstance(frame, gpd.GeoDataFrame) and len(frame)
    bad = nonfinite_rows(frame.geometry.to_numpy()) if has_rows else np.array([], dtype=int)
    if bad.size:
        raise InputError(
            f"{bad.size} feature(s) have coordinates that are not numbers (NaN or infinite).",
            source=src,
            rows=(bad + 1).tolist(),
            n_rows=int(bad.size),
            hint="fix or remove these features in a GIS and export the file again; rows "
            "count features from 1.",
        )
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(
            "the layer has no geometry.",
            source=src,
            hint="save tables of measures as CSV with lon/lat or x/y columns.",
        )
    if crs is not None:
        if frame.crs is not None and frame.crs != _crs(crs, src):
            report.notes["crs overridden"] = frame.crs.to_string()
        frame = frame.set_crs(_crs(crs, src), allow_override=True)
    elif frame.crs is None:
        raise CRSError("the file has no CRS.", source=src, hint="pass crs=, e.g. 'EPSG:25833'.")
    report.notes["crs"] = frame.crs.to_string()
    geoms = frame.geometry.array
    frame = frame.set_geometry(shapely.force_2d(np.asarray(geoms)), crs=frame.crs)
    invalid = ~frame.geometry.is_valid & frame.geometry.notna() & ~frame.geometry.is_empty
    if invalid.any():
        repaired = (np.flatnonzero(invalid) + 1).tolist()
        report.notes["repaired geometries (rows)"] = repaired[:EXAMPLES]
        report.notes["repaired geometries"] = len(repaired)
        before = np.asarray(frame.geometry[invalid].array, dtype=object)
        fixed = shapely.make_valid(before)
        areal = np.isin(shapely.get_type_id(before), (3, 6))  # Polygon, MultiPolygon
        fixed[areal] = polygonal_parts(fixed[areal])  # a polygon stays a polygon
        frame.loc[invalid, frame.geometry.name] = fixed
    return frame


def drop_without_geometry(
    frame: gpd.GeoDataFrame, *, source: Path, report: StageReport
) -> gpd.GeoDataFrame:
    missing = (frame.geometry.isna() | frame.geometry.is_empty).to_numpy()
    if not missing.any():
        return frame
    ids = [str(i) for i in frame.loc[missing, MEASURE_ID]]
    rows = (frame.index[missing] + 1).tolist()
    report.drop("no coordinates", len(ids))
    report.notes["no coordinates"] = examples(ids) | {"rows": rows[:EXAMPLES]}
    shown = ", ".join(f"{i} (row {r})" for i, r in zip(ids[:10], rows[:10], strict=True))
    warnings.warn(
        f"{source}: {len(ids)} measure{'s' if len(ids) > 1 else ''} without coordinates "
        f"dropped: {shown}{', …' if len(ids) > 10 else ''}; add their coordinates to map "
        "them. See attrs['report'].",
        MissingCoordinatesWarning,
        stacklevel=3,
    )
    return frame[~missing]


def examples(values: list[str]) -> dict[str, object]:
    """Return a count and the first few of ``values``, for a report that stays small."""
    return {"count": len(values), "examples": values[:EXAMPLES]}


def check_extent(frame: gpd.GeoDataFrame, *, source: Path) -> None:
    """Raise naming the rows whose geometry lies outside Norway; say why it may be."""
    outside = _outside_norway(frame.geometry)
    if not outside.any():
        return
    rows = (frame.index[outside] + 1).tolist()
    ids = frame.loc[outside, MEASURE_ID].tolist()
    geoms = frame.geometry[outside]
    swapped = gpd.GeoSeries(shapely.transform(geoms.array, lambda c: c[:, ::-1]), crs=frame.crs)
    xmax = float(np.nanmax(np.abs(geoms.bounds.to_numpy())))
    if not _outside_norway(swapped).any():
        why = "x and y (lon and lat) look swapped; swap the columns"
    elif frame.crs.is_geographic and xmax > 180:
        why = "the values look projected (metres), not degrees; pass the crs=, e.g. 'EPSG:25833'"
    elif frame.crs.is_projected and xmax <= 180:
        why = "the values look like degrees; pass crs='EPSG:4326'"
    else:
        why = f"check that the CRS ({frame.crs.to_string()}) is the one the coordinates are in"
    raise CRSError(
        f"coordinates outside Norway (ids {', '.join(ids[:5])}).",
        source=source,
        rows=rows,
        hint=f"{why}.",
    )


def _outside_norway(geoms: gpd.GeoSeries) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        box = geoms.to_crs("EPSG:4326").bounds.to_numpy()
    lon0, lat0, lon1, lat1 = NORWAY_LONLAT
    inside = (box[:, 0] >= lon0) & (box[:, 2] <= lon1) & (box[:, 1] >= lat0) & (box[:, 3] <= lat1)
    return ~inside
