"""read_measures: one file of measures (tiltak) -> points, lines or polygons in EPSG:25833."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoloft._io import existing_file
from geoloft._validate import clean_text
from geoloft.columns import CATEGORY, MEASURE_ID, NAME, SOURCE, WORKING_CRS
from geoloft.measures._columns import ALIASES, column_map, measure_ids, parse_values, rename
from geoloft.measures._geometry import (
    check_extent,
    drop_without_geometry,
    from_table,
    from_vector,
)
from geoloft.report import StageReport, attach_report

__all__ = ["read_measures"]

TABLE_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".xlsx", ".xls"})


def _source(frame: gpd.GeoDataFrame, label: str | None, src: Path) -> pd.Series:
    """Return the label, else the file's own ``source`` (a file geoloft wrote), else its name."""
    kept = f"{SOURCE}_original"
    if label is not None or kept not in frame.columns:
        return pd.Series(label if label is not None else src.name, index=frame.index)
    own = frame.pop(kept).astype("string").str.strip()
    return own.where(own.notna() & own.ne(""), src.name).astype(object)


def read_measures(
    path: str | os.PathLike[str],
    *,
    crs: str | None = None,
    x: str | None = None,
    y: str | None = None,
    layer: str | None = None,
    id_column: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    label: str | None = None,
) -> gpd.GeoDataFrame:
    r"""Read measures (tiltak) from a table with coordinates or a vector file.

    Parameters
    ----------
    path
        CSV (any separator; UTF-8 with or without BOM, or Latin-1) or Excel
        workbook with coordinate columns, or any vector file pyogrio reads
        (GeoJSON, GPKG, Shapefile, FlatGeobuf) with points, lines or polygons.
    crs
        CRS of the coordinates, such as ``"EPSG:25833"``. Needed for x/y
        columns (``x``, ``y``, ``øst``/``ost``, ``nord``, ``utm_x`` …); lon/lat
        columns (``lon``, ``lat``, ``longitude``, ``latitude``, ``lengdegrad``,
        ``breddegrad`` …) are EPSG:4326 unless it says otherwise. For vector
        files it overrides the CRS the file declares.
    x, y
        Names of the coordinate columns when they are not recognised (same as
        ``columns={"x": …, "y": …}``).
    layer
        Layer of a multi-layer file (GPKG), or sheet of a workbook; needed
        when a GPKG has several.
    id_column
        Column holding the measure id (same as ``columns={"id": …}``); ``None``
        detects ``id``, ``tiltak_id``, ``measure_id``, … .
    columns
        This file's column names, by key: ``id``, ``name``, ``category``,
        ``status``, ``start_year``, ``end_year``, ``budget``, and ``x``/``y``
        (projected, with ``crs``) or ``lon``/``lat`` (degrees). A key mapped to
        ``None`` means the file has no such column (nothing is guessed for it);
        keys left out are found by their usual Norwegian and English names.
    label
        What the file holds, such as ``"Skoler"``: the category of every
        measure when the file has no category column, and the ``source`` of
        every row. ``None``: the category stays missing and the source is the
        file's own ``source`` column where it has one (a file geoloft wrote),
        else the file name.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:25833, with ``measure_id`` (str; ``"M001"`` … made from the row
        number where the file has none), ``name``, ``category`` (``fysisk``,
        ``sosial``, ``kulturell`` in lower case, English names translated;
        other categories as given), ``status``, ``start_year`` and ``end_year``
        (Int64; ISO and Norwegian dates give their year), ``budget`` (NOK,
        float64; ``"1 500 000 kr"`` and ``"250 000,-"`` are read), ``source``
        (see ``label``; a ``source`` column the label replaces is kept as
        ``source_original``), then the file's other columns and the
        geometry. A canonical column the file lacks is all missing, never
        invented. Rows without coordinates (empty cells, ``NaN``, empty
        geometry) are dropped with a warning naming their ids and rows, and
        counted in ``attrs["report"]`` (a :class:`~geoloft.report.StageReport`).

    Warns
    -----
    MissingCoordinatesWarning
        When rows without coordinates are dropped, with their count, ids and rows.

    Raises
    ------
    CRSError
        x/y columns without ``crs``; no CRS in a vector file; coordinates
        outside Norway (the error says whether x and y look swapped).
    SchemaError
        No coordinate columns; a mapped column the file lacks; an unknown key
        in ``columns``; duplicate ids.
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
    >>> m[["measure_id", "name", "category", "start_year", "source"]].values.tolist()
    [['M001', 'Lekeplass', 'fysisk', 2024, 'tiltak.csv']]
    >>> m.crs.to_string()
    'EPSG:25833'

    A file with other column names and no category, mapped and labelled:

    >>> text = "skole;breddegrad;lengdegrad\nHaugen skole;59.95;10.90\n"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = pathlib.Path(tmp) / "skoler.csv"
    ...     _ = f.write_text(text, encoding="utf-8")
    ...     m = read_measures(f, columns={"name": "skole"}, label="Skoler")
    >>> m[["name", "category", "source"]].values.tolist()
    [['Haugen skole', 'Skoler', 'Skoler']]
    """
    src = existing_file(path, what="measures file")
    report = StageReport("read_measures", source=str(src))
    given = column_map(columns, x=x, y=y, id_column=id_column, source=src)
    if src.suffix.lower() in TABLE_SUFFIXES:
        frame = from_table(
            src, crs=crs, x=given.x, y=given.y, report=report, sheet=layer, degrees=given.degrees
        )
    else:
        frame = from_vector(src, crs=crs, layer=layer, report=report)
        if given.x or given.y:
            report.notes["coordinate columns not used"] = "the file has geometry"
    report.rows_in = len(frame)
    frame = rename(frame, given=given.given, source=src, report=report)
    if label is not None and CATEGORY in report.notes.get("columns not in file", []):
        frame[CATEGORY] = pd.Series(label, index=frame.index, dtype="object")
        report.notes["category from label"] = label
    frame[MEASURE_ID] = measure_ids(frame[MEASURE_ID], source=src, report=report)
    for column in (NAME, CATEGORY):  # control and bidi characters out, long text cut
        if column in frame.columns:
            frame[column], cleaned = clean_text(
                frame[column], source=src, column=column, labels=list(frame[MEASURE_ID])
            )
            report.notes.update({f"{column}: {k}": v for k, v in cleaned.items()})
    frame = drop_without_geometry(frame, source=src, report=report)
    check_extent(frame, source=src)
    frame = parse_values(frame, source=src, report=report)
    frame[SOURCE] = _source(frame, label, src)
    geometry = frame.geometry.name
    used = {geometry, SOURCE, *report.notes.get("coordinate columns", [])}
    others = [c for c in frame.columns if c not in ALIASES and c not in used]
    out = frame[[*ALIASES, SOURCE, *others, geometry]].to_crs(WORKING_CRS).reset_index(drop=True)
    report.rows_out = len(out)
    return attach_report(out, report)
