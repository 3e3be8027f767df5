"""read_boundaries: any OGR source or TopoJSON -> valid Areas in EPSG:25833."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geoloft._io import existing_file
from geoloft._validate import Problems, clean_text, nonfinite_rows
from geoloft.boundaries._geometry import (
    EmptyGeometryWarning,
    GeometryRepairWarning,
    StrayPartsWarning,
    check_crs_fits,
    parse_crs,
    repair,
    split_polygonal,
    to_working_crs,
    two_dimensional,
)
from geoloft.boundaries._schema import Columns, detect_columns, find_column, ids_as_text
from geoloft.boundaries._select import select_features
from geoloft.boundaries._sources import RawSource, read_source
from geoloft.columns import AREA_ID, LEVEL, NAME, PARENT_ID, WORKING_CRS
from geoloft.errors import CRSError, GeometryError, InputError, SchemaError, format_rows
from geoloft.report import StageReport, attach_report

STAGE = "read_boundaries"
_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)
#: Collections are read too: their polygon parts are kept, stray lines and points dropped.
_ACCEPTED = (*_POLYGONAL, shapely.GeometryType.GEOMETRYCOLLECTION)


def _resolve_crs(raw: RawSource, crs: str | int | None, source: str) -> tuple[CRS, str]:
    """Return the CRS of the coordinates and a note saying where it came from."""
    if crs is not None:
        given = two_dimensional(parse_crs(crs, source="crs"))
        if raw.crs is not None and two_dimensional(raw.crs) != given:
            return (
                given,
                f"{given.to_string()} (crs= argument; the file says {raw.crs.to_string()})",
            )
        return given, f"{given.to_string()} (crs= argument)"
    if raw.crs is not None:
        flat = two_dimensional(raw.crs)
        note = raw.crs.to_string()
        return flat, note if flat == raw.crs else f"{note} (3D; read as {flat.to_string()})"
    if raw.crs_fixed_by_spec:
        return CRS.from_epsg(4326), f"EPSG:4326 ({raw.driver} without a CRS: longitude/latitude)"
    raise CRSError(
        "the file declares no CRS (coordinate reference system).",
        source=source,
        hint="pass crs= naming it, e.g. crs='EPSG:25833' (UTM 33N) or crs='EPSG:4326' "
        "(longitude/latitude); for a Shapefile, a .prj file next to it also works.",
    )


def _labels(ids: pd.Series, positions: np.ndarray) -> list[str]:
    """Return the id of each position, or ``row N`` (1-based) where the id is missing."""
    values = ids.to_numpy(dtype=object)[positions]
    return [
        str(v) if isinstance(v, str) else f"row {p + 1}"
        for v, p in zip(values, positions, strict=True)
    ]


def _id_columns(raw: RawSource, found: Columns, report: StageReport) -> tuple[pd.Series, pd.Series]:
    """Return area ids and names as text, filling one from the other where needed."""
    attrs = raw.attributes
    ids: pd.Series | None = None
    names: pd.Series | None = None
    if found.id_column is not None:
        ids, note = ids_as_text(attrs[found.id_column], widths=found.widths)
        if note:
            report.notes["ids_repaired"] = note
    if found.name_column is not None:
        names = attrs[found.name_column].astype("str").str.strip().reset_index(drop=True)
        names = names.where(names != "")
        rows = list(ids) if ids is not None else None
        names, cleaned = clean_text(
            names, source=report.source, column=found.name_column, labels=rows
        )
        report.notes.update(cleaned)
    if ids is None:
        ids = names
        report.notes["id_from"] = f"no id column; the names in '{found.name_column}' are the ids"
    if names is None:
        names = ids
        report.notes["name_from"] = f"no name column; the ids in '{found.id_column}' are the names"
    # detect_columns raises unless it finds an id or a name column, so both are set now
    assert ids is not None
    assert names is not None
    missing_names = names.isna() & ids.notna()
    if missing_names.any():
        names = names.where(~missing_names, ids)
        report.notes["names_filled_with_ids"] = int(missing_names.sum())
    return ids, names


def _validate(raw: RawSource, ids: pd.Series, column: str, source: str) -> None:
    """Check ids (missing, duplicated) and geometry types; raise once listing every problem."""
    problems = Problems(source=source, error=SchemaError)
    missing = np.flatnonzero(ids.isna().to_numpy())
    if len(missing):
        problems.add(
            "ids are missing.",
            column=column,
            rows=[int(i) + 1 for i in missing],
            n_rows=len(missing),
            hint="fill in the ids, or pass id_column= naming another column.",
        )
    duplicated = ids[ids.duplicated(keep=False) & ids.notna()]
    if len(duplicated):
        dups = list(dict.fromkeys(duplicated))
        problems.add(
            f"duplicate ids {', '.join(dups[:5])}{' …' if len(dups) > 5 else ''} "
            f"({len(dups)} ids occur more than once).",
            column=column,
            hint="each id must occur once; dissolve or remove the duplicated "
            "features, or pass id_column= naming a unique column.",
        )
    geoms = raw.geometries
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    wrong = np.flatnonzero(~empty & ~np.isin(types, _ACCEPTED))
    if len(wrong):
        kinds = sorted({shapely.GeometryType(t).name.title() for t in types[wrong]})
        problems.add(
            f"geometries are not polygons ({', '.join(kinds)}).",
            rows=_labels(ids, wrong),
            n_rows=len(wrong),
            kind=GeometryError,
            hint="give a file of area polygons (for points or lines of tiltak "
            "use read_measures), or choose the polygon layer with layer=.",
        )
    problems.raise_if_any()


def _drop(mask: np.ndarray, ids: pd.Series, reason: str, report: StageReport, source: str) -> None:
    """Record and warn about features dropped for ``reason``."""
    positions = np.flatnonzero(mask)
    if not len(positions):
        return
    labels = _labels(ids, positions)
    report.drop(reason, len(positions))
    report.notes[f"dropped ({reason})"] = labels
    warnings.warn(
        f"{source}: dropped {format_rows(labels)} ({reason}).", EmptyGeometryWarning, stacklevel=4
    )


def _without_stray_parts(
    geoms: np.ndarray, ids: pd.Series, report: StageReport, source: str
) -> np.ndarray:
    """Keep the polygon parts of geometry collections; report stray lines and points dropped."""
    kept, stray = split_polygonal(geoms)
    if stray.any():
        labels = _labels(ids.reset_index(drop=True), np.flatnonzero(stray))
        report.notes["stray_parts_dropped"] = {"count": len(labels), "examples": labels[:5]}
        warnings.warn(
            f"{source}: kept the polygons of {format_rows(labels)} and dropped their stray "
            "lines or points (what a repair or dissolve leaves; areas have no lines).",
            StrayPartsWarning,
            stacklevel=4,
        )
    return kept


def _check_finite(geoms: np.ndarray, positions: np.ndarray, ids: pd.Series, source: str) -> None:
    """Raise naming the features with NaN or infinite coordinates (GEOS cannot use them)."""
    bad = nonfinite_rows(geoms)
    if bad.size:
        labels = _labels(ids, positions[bad])
        raise GeometryError(
            f"{bad.size} feature(s) have coordinates that are not numbers (NaN or infinite).",
            source=source,
            rows=labels,
            n_rows=len(labels),
            hint="fix or remove these features in a GIS and export the file again.",
        )


def _geometry(
    raw: RawSource, ids: pd.Series, crs: CRS, report: StageReport, source: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return repaired geometries in EPSG:25833 and the mask of rows to keep."""
    empty = shapely.is_missing(raw.geometries) | shapely.is_empty(raw.geometries)
    _drop(empty, ids, "empty or missing geometry", report, source)
    geoms = np.full(len(empty), None, dtype=object)
    if empty.all():
        raise GeometryError(
            "no feature has a polygon geometry (all are empty or missing).",
            source=source,
            hint="check the file in a GIS and export the boundaries again.",
        )
    present = raw.geometries[~empty]
    _check_finite(present, np.flatnonzero(~empty), ids, source)
    check_crs_fits(np.asarray(shapely.total_bounds(present)), crs, source=source)
    present = _without_stray_parts(present, ids[~empty], report, source)
    # invalid as given (in the file's CRS), or made invalid by the reprojection
    present, invalid_in_file = repair(present)
    geoms[~empty], invalid_projected = repair(to_working_crs(present, crs, source=source))
    repaired = invalid_in_file | invalid_projected
    repaired_at = np.flatnonzero(~empty)[repaired]
    if len(repaired_at):
        labels = _labels(ids, repaired_at)
        report.notes["repaired_geometries"] = labels
        warnings.warn(
            f"{source}: repaired {len(labels)} invalid geometries with make_valid "
            f"(ids {', '.join(labels[:10])}{' …' if len(labels) > 10 else ''}).",
            GeometryRepairWarning,
            stacklevel=3,
        )
    collapsed = ~empty & shapely.is_empty(geoms)
    _drop(collapsed, ids, "no area left after repair", report, source)
    if (empty | collapsed).all():
        raise GeometryError(
            "no feature has any area left after repairing its geometry.",
            source=source,
            hint="check the file in a GIS; the polygons are degenerate (zero area).",
        )
    return geoms, ~(empty | collapsed)


def _other_attributes(
    raw: RawSource, keep: np.ndarray, used: set[str | None], report: StageReport
) -> pd.DataFrame:
    """Return the attribute columns not read into canonical ones, for the kept rows."""
    canonical = {AREA_ID, NAME, LEVEL, PARENT_ID, "geometry"}
    others = [c for c in raw.attributes.columns if c not in used]
    clash = [str(c) for c in others if str(c).casefold() in canonical]
    if clash:
        report.notes["attributes not kept"] = dict.fromkeys(clash, "named like a canonical column")
    kept = [c for c in others if str(c) not in clash]
    return raw.attributes.loc[keep, kept].reset_index(drop=True)


def _describe(report: StageReport, raw: RawSource, found: Columns, crs_note: str) -> None:
    report.notes.update(raw.notes)
    report.notes["source_crs"] = crs_note
    report.notes["id_column"] = found.id_column
    report.notes["name_column"] = found.name_column
    report.notes.update(found.notes)


def read_boundaries(
    path: str | os.PathLike[str],
    *,
    id_column: str | None = None,
    name_column: str | None = None,
    layer: str | None = None,
    crs: str | int | None = None,
    level: str | None = None,
    parent_column: str | None = None,
    keep_attributes: bool = False,
    where: Mapping[str, object] | str | None = None,
    kommune: Sequence[str] | str | None = None,
) -> gpd.GeoDataFrame:
    """Read area boundaries from any vector file as valid Areas in EPSG:25833.

    Reads what pyogrio reads (GeoJSON, GeoPackage, Shapefile, GML, FlatGeobuf, …)
    and TopoJSON. Coordinates are reprojected once to EPSG:25833 (ETRS89 /
    UTM 33N, SSB's grid CRS) and Z values dropped. Invalid geometries are
    repaired with :func:`shapely.make_valid`, keeping only their polygon parts,
    and reported by id; empty and missing geometries are dropped and reported.
    GeometryCollections (what a dissolve or another tool's repair can leave)
    keep their polygons; their stray lines and points are dropped and reported.

    Parameters
    ----------
    path
        The boundary file (or a folder GDAL reads, such as a FileGDB).
    id_column
        Column holding the area ids. None: detected, case-insensitively, from the
        known Norwegian schemas (``grunnkretsnummer``, ``DELBYDEL``, ``bydelsnr``,
        ``kommunenummer``, …, the finest level present wins), else ``area_id`` or
        ``id``. When no id column is found the names serve as ids.
    name_column
        Column holding the area names. None: the name column of the detected
        schema (``DELBYDELSN``, ``bydelsnavn``/``bnavn``, ``kommunenavn``, …), else
        ``name`` or ``navn``; without one, the ids serve as names.
    layer
        Layer (TopoJSON: object) to read. None: the only layer, or the only
        polygon layer.
    crs
        CRS of the coordinates (``"EPSG:25833"``, ``25833``, …), overriding the
        file's. None: the file's CRS; GeoJSON and TopoJSON without one are
        longitude/latitude (EPSG:4326, RFC 7946).
    level
        Administrative level written to ``level`` (``"delbydel"``, ``"bydel"``,
        ``"grunnkrets"``, ``"kommune"``, …). None: the level of the detected schema;
        no ``level`` column when unknown.
    parent_column
        Column holding each area's parent id (for example the bydel of a
        delbydel), written as text to ``parent_id``. None: no ``parent_id``.
    keep_attributes
        Carry the file's other attribute columns along, unchanged, after the
        canonical ones (for conversions such as ``geoloft export``). Columns
        named like a canonical column are left out and listed in the report
        (``notes["attributes not kept"]``).
    where
        Keep only the features this filter selects: column -> value (or list of
        values), or a pandas query expression on the file's attribute columns
        (and ``area_id``), e.g. ``{"bynavn": "Oslo"}`` or
        ``"bydelsnr != '030117'"``. The others are dropped and counted.
    kommune
        Keep only the features in these kommuner (4-digit numbers). The kommune
        of a feature comes from a kommune column (``kommunenummer``, ``KOMM``,
        …) or from the first four digits of official ids (bydel, grunnkrets);
        numbers of other vintages (Bergen 1201/4601, Bærum 0219/3024/3201, …)
        are matched and noted.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per area, in file order: ``area_id`` (text, leading zeros kept;
        numeric ids of known schemas zero-padded to their official width),
        ``name``, ``level`` and ``parent_id`` when known, and ``geometry``
        (valid 2D Polygon or MultiPolygon) in EPSG:25833. ``attrs["report"]`` holds
        a :class:`~geoloft.report.StageReport`: rows in and out, rows dropped by
        reason, and notes (driver, layer, encoding, source CRS, the id and name
        columns used, ids of repaired geometries).

    Raises
    ------
    InputError
        Missing, empty or unreadable file; no features; an unknown layer or
        several polygon layers and none named.
    CRSError
        No CRS and none passed; coordinates that do not fit the declared CRS.
    SchemaError
        Missing, ambiguous or duplicated id columns or ids.
    GeometryError
        Geometries that are not polygons; no polygon left.

    Warns
    -----
    GeometryRepairWarning
        When invalid geometries were repaired (count and ids).
    EmptyGeometryWarning
        When features were dropped for empty or missing geometry (count and ids).
    StrayPartsWarning
        When lines or points in geometry collections were dropped (count and ids).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> square = [[[10.7, 59.9], [10.8, 59.9], [10.8, 60.0], [10.7, 60.0], [10.7, 59.9]]]
    >>> feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square},
    ...            "properties": {"kommunenummer": "0301", "kommunenavn": "Oslo"}}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "k.geojson"
    >>> _ = path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    >>> areas = read_boundaries(path)
    >>> areas[["area_id", "name", "level"]].values.tolist(), areas.crs.to_epsg()
    ([['0301', 'Oslo', 'kommune']], 25833)
    """
    file = existing_file(path, what="boundary file")
    source = str(file)
    raw = read_source(file, layer)
    report = StageReport(stage=STAGE, source=source, rows_in=len(raw.attributes))
    if not len(raw.attributes):
        raise InputError(
            f"layer '{raw.layer}' holds no features.",
            source=source,
            hint="export the boundaries again, or choose another layer= .",
        )
    found = detect_columns(
        raw.attributes.columns, source=source, id_column=id_column, name_column=name_column
    )
    parent = None
    if parent_column is not None:
        parent = find_column(
            list(raw.attributes.columns), parent_column, source=source, option="parent_column"
        )
        report.notes["parent_column"] = parent
    ids, names = _id_columns(raw, found, report)
    raw, ids, names = select_features(
        raw,
        ids,
        names,
        where=where,
        kommune=kommune,
        level=level or found.level,
        report=report,
        source=source,
    )
    _validate(raw, ids, found.id_column or found.name_column or "", source)
    crs_used, crs_note = _resolve_crs(raw, crs, source)
    _describe(report, raw, found, crs_note)
    geoms, keep = _geometry(raw, ids, crs_used, report, source)
    columns: dict[str, object] = {AREA_ID: ids[keep].to_numpy(), NAME: names[keep].to_numpy()}
    if level is not None or found.level is not None:
        columns[LEVEL] = level if level is not None else found.level
    if parent is not None:
        columns[PARENT_ID] = ids_as_text(raw.attributes[parent])[0][keep].to_numpy()
    frame = pd.DataFrame(columns).astype(dict.fromkeys(columns, "str"))
    if keep_attributes:
        used = {found.id_column, found.name_column, parent}
        frame = pd.concat([frame, _other_attributes(raw, keep, used, report)], axis=1)
    areas = gpd.GeoDataFrame(frame, geometry=geoms[keep], crs=WORKING_CRS)
    report.rows_out = len(areas)
    return attach_report(areas, report)
