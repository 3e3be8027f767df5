"""Read measures (*tiltak*) of an area-based programme.

A measure is something the programme does or funds: a new park (physical,
*fysisk*), a homework club (social, *sosial*), a culture festival (cultural,
*kulturell*). Measures come as CSV tables with coordinates or as vector files
with points, lines or polygons, with Norwegian or English column names.
"""

from __future__ import annotations

import os

import geopandas as gpd

from geoloft._io import existing_file
from geoloft.columns import MEASURE_ID, WORKING_CRS
from geoloft.measures._columns import ALIASES, measure_ids, parse_values, rename
from geoloft.measures._geometry import check_extent, drop_without_geometry, from_table, from_vector
from geoloft.report import StageReport, attach_report

__all__ = ["read_measures"]

TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})


def read_measures(
    path: str | os.PathLike[str],
    *,
    crs: str | None = None,
    x: str | None = None,
    y: str | None = None,
    layer: str | None = None,
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    r"""Read measures (tiltak) from CSV or a vector file.

    Parameters
    ----------
    path
        CSV (any separator; UTF-8 with or without BOM, or Latin-1) with
        coordinate columns, or any vector file pyogrio reads (GeoJSON, GPKG,
        Shapefile, FlatGeobuf) with points, lines or polygons.
    crs
        CRS of the coordinates, such as ``"EPSG:25833"``. Needed for x/y
        columns (``x``, ``y``, ``øst``/``ost``, ``nord``); lon/lat columns
        (``lon``, ``lat``, ``longitude``, ``latitude``, ``lengdegrad``,
        ``breddegrad``) are EPSG:4326 unless it says otherwise. For vector
        files it overrides the CRS the file declares.
    x, y
        Names of the coordinate columns when they are not recognised.
    layer
        Layer of a multi-layer file (GPKG); needed when there are several.
    id_column
        Column holding the measure id; ``None`` detects ``id``,
        ``tiltak_id``, ``measure_id``, … .

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:25833, with ``measure_id`` (str; ``"M001"`` … made from the row
        number where the file has none), ``name``, ``category`` (``fysisk``,
        ``sosial``, ``kulturell`` in lower case, English names translated;
        other categories as given), ``status``, ``start_year`` and ``end_year``
        (Int64; ISO and Norwegian dates give their year), ``budget`` (NOK,
        float64; ``"1 500 000 kr"`` and ``"250 000,-"`` are read), then the
        file's other columns and the geometry. Columns are recognised in
        Norwegian and English, case-insensitively; a canonical column the file
        lacks is all missing. Rows without coordinates (empty, unparseable or
        empty geometry) are dropped with a warning and listed in
        ``attrs["report"]``.

    Warns
    -----
    UserWarning
        When rows without coordinates are dropped, with their count and ids.

    Raises
    ------
    CRSError
        x/y columns without ``crs``; no CRS in a vector file; coordinates
        outside Norway (the error says whether x and y look swapped).
    SchemaError
        No coordinate columns; missing ``x``/``y``/``id_column``; duplicate ids.
    InputError
        Bad years, budgets or start after end (every row named at once).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = "navn;kategori;lat;lon;startår\nLekeplass;Fysisk;59.91;10.75;2024\n"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = pathlib.Path(tmp) / "tiltak.csv"
    ...     _ = f.write_text(text, encoding="utf-8")
    ...     m = read_measures(f)
    >>> m[["measure_id", "name", "category", "start_year"]].values.tolist()
    [['M001', 'Lekeplass', 'fysisk', 2024]]
    >>> m.crs.to_string()
    'EPSG:25833'
    """
    src = existing_file(path, what="measures file")
    report = StageReport("read_measures", source=str(src))
    if src.suffix.lower() in TEXT_SUFFIXES:
        frame = from_table(src, crs=crs, x=x, y=y, report=report)
    else:
        frame = from_vector(src, crs=crs, layer=layer, report=report)
    report.rows_in = len(frame)
    frame = rename(frame, id_column=id_column, source=src, report=report)
    frame[MEASURE_ID] = measure_ids(frame[MEASURE_ID], source=src, report=report)
    frame = drop_without_geometry(frame, source=src, report=report)
    check_extent(frame, source=src)
    frame = parse_values(frame, source=src, report=report)
    geometry = frame.geometry.name
    used = {geometry, *report.notes.get("coordinate columns", [])}
    others = [c for c in frame.columns if c not in ALIASES and c not in used]
    out = frame[[*ALIASES, *others, geometry]].to_crs(WORKING_CRS).reset_index(drop=True)
    report.rows_out = len(out)
    return attach_report(out, report)
