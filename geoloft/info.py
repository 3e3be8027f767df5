"""Describe an input file: what kind it is and what geoloft makes of it."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from geoloft._io import (
    TABLE_SUFFIXES,
    detect_encoding,
    existing_file,
    is_workbook,
    ogr_open_options,
    read_text_table,
    read_workbook,
)
from geoloft.errors import InputError, SchemaError
from geoloft.measures._geometry import LAT_NAMES, LON_NAMES, X_NAMES, Y_NAMES
from geoloft.report import get_report

__all__ = ["FileInfo", "data_layers", "describe_file", "detect_kind"]

_GRID_ID = re.compile(r"^(ru|ssbid|rute)_?\d*(m|km)?$", re.IGNORECASE)
_COORD = frozenset({*LON_NAMES, *LAT_NAMES, *X_NAMES, *Y_NAMES})
#: Columns only a measures (tiltak) file has; two of them make a vector file measures.
_MEASURE_FIELDS = {
    "kategori", "category", "tiltakstype", "status", "startår", "start_år", "start_year",
    "sluttår", "slutt_år", "end_year", "budsjett", "budget", "kostnad", "cost", "tiltak_id",
}  # fmt: skip
RASTER_SUFFIXES = frozenset({".tif", ".tiff"})
CATALOGUE_SUFFIXES = frozenset({".toml"})
KINDS = ("grid", "boundaries", "indicators", "measures", "catalogue")
_READABLE = (
    "tables (.csv, .txt, .tsv, .xlsx, .xls), vector files GDAL reads (GeoJSON, TopoJSON, "
    "GeoPackage, Shapefile, GML, FlatGeobuf), GeoTIFF rasters and catalogues (.toml)"
)


@dataclass
class FileInfo:
    """What :func:`describe_file` found."""

    path: Path
    kind: str
    rows: int
    crs: str | None = None
    bounds: tuple[float, float, float, float] | None = None
    columns: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def _header(path: Path) -> list[str]:
    return [str(c) for c in _raw_table(path, None).columns]


def _vector_layers(path: Path, layer: str | None) -> list[dict[str, Any]]:
    """Return pyogrio's metadata of ``layer``, or of every layer when it is None."""
    options = ogr_open_options(path)
    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        if layer is not None and layer not in names:
            raise InputError(
                f"no layer '{layer}'; the file has: {', '.join(names)}.",
                source=path,
                hint="pass one of the layers listed (command line: --layer).",
            )
        chosen = [layer] if layer is not None else names
        return [pyogrio.read_info(path, layer=name, **options) for name in chosen]
    except (DataSourceError, DataLayerError) as err:
        _refuse_plain_json(path)
        reason = str(err).split("; It might help", 1)[0].replace(f"'{path}' ", "").strip(" .;")
        raise InputError(
            f"cannot read the file ({reason}).",
            source=path,
            hint=f"geoloft reads {_READABLE}; check that the file is complete, or save it "
            "in one of these formats.",
        ) from err


def data_layers(path: str | os.PathLike[str]) -> list[str]:
    """Return the layers of a vector file that hold geometry (none for tables, rasters).

    A GeoPackage geoloft wrote holds ``areas``, ``grid``, ``intervention_areas``,
    ``measures`` and a ``layer_styles`` table; the table has no geometry and is
    left out.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("id;lon;lat")
    >>> data_layers(p)
    []
    """
    path = existing_file(path)
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES | RASTER_SUFFIXES | CATALOGUE_SUFFIXES:
        return []
    layers = _vector_layers(path, None)
    return [str(meta["layer_name"]) for meta in layers if meta.get("geometry_type")]


def detect_kind(path: str | os.PathLike[str], *, layer: str | None = None) -> str:
    r"""Guess whether a file holds a grid, boundaries, an indicator table or measures.

    Parameters
    ----------
    path
        The file.
    layer
        Layer of a vector file to look at; None looks at every layer.

    Returns
    -------
    str
        One of ``"grid"``, ``"boundaries"``, ``"indicators"``, ``"measures"``,
        ``"catalogue"`` (an indicator catalogue, ``.toml``).

    Raises
    ------
    InputError
        A file that is neither a table, a catalogue, a raster nor vector data
        GDAL reads (such as a truncated GeoJSON file), or an unknown layer.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.csv"
    >>> _ = p.write_text("ru250m;pop_tot\\n22560006672000;4\\n")
    >>> detect_kind(p)
    'grid'
    """
    path = existing_file(path)
    suffix = path.suffix.lower()
    if suffix in CATALOGUE_SUFFIXES:
        return "catalogue"
    if suffix in RASTER_SUFFIXES:
        return "grid"
    if suffix in TABLE_SUFFIXES:
        cols = _header(path)
        if any(_GRID_ID.match(c) for c in cols):
            return "grid"
        if len(_COORD & {re.sub(r"[\s\-]+", "_", c.strip().casefold()) for c in cols}) >= 2:
            return "measures"
        return "indicators"
    layers = _vector_layers(path, layer)
    fields = [[str(f).casefold() for f in meta["fields"]] for meta in layers]
    if any(_GRID_ID.match(f) for names in fields for f in names):
        return "grid"
    if any(len(_MEASURE_FIELDS & set(names)) >= 2 for names in fields):
        return "measures"
    if all("point" in str(meta.get("geometry_type", "")).lower() for meta in layers):
        return "measures"
    return "boundaries"


def _raw_table(path: Path, sheet: str | None) -> pd.DataFrame:
    return read_workbook(path, sheet=sheet) if is_workbook(path) else read_text_table(path)


def _describe_catalogue(path: Path) -> FileInfo:
    from geoloft.indicators import load_catalogue

    catalogue = load_catalogue(path)
    domains = dict.fromkeys(i.domain for i in catalogue)
    details: dict[str, Any] = {
        "indicators": ", ".join(catalogue.ids),
        "domains": ", ".join(str(d) for d in domains),
    }
    sensitive = [i.id for i in catalogue if i.is_sensitive]
    if sensitive:
        details["sensitive (never criteria unless allowed)"] = ", ".join(sensitive)
    return FileInfo(
        path, "catalogue", len(catalogue), columns=list(catalogue.columns), details=details
    )


def _describe_table_as_is(path: Path, sheet: str | None, err: SchemaError) -> FileInfo:
    """Describe an indicator table the reader needs options for (several years, names)."""
    raw = _raw_table(path, sheet)
    details = {"key column": err.column, "not usable as is": err.message}
    if err.hint:
        details["fix"] = err.hint
    return FileInfo(
        path, "indicators", len(raw), columns=list(map(str, raw.columns)), details=details
    )


def describe_file(
    path: str | os.PathLike[str], *, kind: str | None = None, layer: str | None = None
) -> FileInfo:
    """Read a file with the right reader and summarise it.

    Parameters
    ----------
    path
        A boundary, grid, indicator or measure file, or an indicator catalogue.
    kind
        Force the kind instead of guessing it (one of ``grid``, ``boundaries``,
        ``indicators``, ``measures``, ``catalogue``).
    layer
        Layer of a vector file (sheet of a workbook) to read; None: the one
        the reader chooses.

    Returns
    -------
    FileInfo
        Kind, row count, CRS, bounds (EPSG:25833 for spatial files), columns and
        the reader's report (cell size, id and value columns, repaired
        geometries, missing values …). An indicator table that holds several
        rows per area (years) or names instead of ids is described as it is,
        with what to pass to read it (``details["fix"]``); so is a table with
        title lines above its header (SSB statbank) or with no recognised key
        column (a key is guessed from column names and codes).

    Raises
    ------
    InputError
        The reader's error for a file it cannot use; plain JSON that is not
        GeoJSON or TopoJSON is named as such.
    """
    from geoloft import read_boundaries, read_grid, read_indicators, read_measures

    path = existing_file(path)
    kind = kind or detect_kind(path, layer=layer)
    if kind == "catalogue":
        return _describe_catalogue(path)
    if kind == "indicators":
        try:
            frame = read_indicators(path, sheet=layer)
        except SchemaError as err:
            if err.column is None:
                return _describe_unkeyed(path, layer, err)
            return _describe_table_as_is(path, layer, err)
    else:
        reader = {"grid": read_grid, "boundaries": read_boundaries, "measures": read_measures}
        frame = reader[kind](path, layer=layer)
    info = FileInfo(path=path, kind=kind, rows=len(frame), columns=list(map(str, frame.columns)))
    if hasattr(frame, "crs") and frame.crs is not None:
        info.crs = frame.crs.to_string()
        info.bounds = tuple(float(v) for v in frame.total_bounds)  # type: ignore[assignment]
    report = get_report(frame)
    if report is not None:
        info.details = {"rows_in": report.rows_in, "dropped": report.dropped, **report.notes}
    if "cell_size" in frame.attrs:
        info.details["cell_size"] = frame.attrs["cell_size"]
    numeric = frame.select_dtypes("number")
    missing = {str(c): int(n) for c, n in numeric.isna().sum().items() if n}
    if missing:
        info.details["missing_values"] = missing
    return info


# -- files that are not geoloft inputs as they are ----------------------------------------

#: Parts of column names that name an area key (geografi, omraade, bydel, grunnkrets, …).
_KEY_STEMS = ("geo", "omr", "bydel", "krets", "kommune", "region", "area", "sone", "kode", "nr")


def _refuse_plain_json(path: Path) -> None:
    """Raise a clear error for JSON that GDAL cannot read because it is not GeoJSON."""
    if path.suffix.lower() != ".json" or path.stat().st_size > 64 << 20:
        return
    try:
        data = json.loads(path.read_bytes())
    except ValueError:
        return  # broken JSON: GDAL's own message says so
    if isinstance(data, dict) and data:
        keys = list(data)
        first = data[keys[0]]
        fields = (
            f", each with {', '.join(map(str, list(first)[:6]))}" if isinstance(first, dict) else ""
        )
        shown = ", ".join(repr(k) for k in keys[:3]) + (", …" if len(keys) > 3 else "")
        what = f"a JSON object of {len(keys):,} entries ({shown}{fields})"
    elif isinstance(data, list):
        what = f"a JSON list of {len(data):,} items"
    else:
        return
    raise InputError(
        f"{what}: plain JSON, not GeoJSON or TopoJSON, so neither a boundary, grid, "
        "indicator nor measures file.",
        source=path,
        hint="to use these numbers, save them as a table (CSV or Excel) with one row per area "
        "and a column of area ids, and read it as an indicator table.",
    )


def _title_lines(path: Path) -> tuple[int, str, str] | None:
    """Return (number of title lines, first title, separator) of a table with a title.

    SSB's statbank saves tables with the table name and an empty line above the
    header; geoloft's readers take the first line as the header.
    """
    if is_workbook(path) or path.suffix.lower() not in TABLE_SUFFIXES:
        return None
    with path.open(encoding=detect_encoding(path), newline="") as fh:
        lines = [line for line in (fh.readline() for _ in range(12)) if line]
    for sep in (";", "\t", ",", "|"):
        counts = [line.count(sep) for line in lines]
        for i in range(1, len(counts) - 1):
            if counts[i] >= 1 and counts[i] == counts[i + 1] and max(counts[:i]) < counts[i]:
                return i, lines[0].strip().strip('"'), sep
    return None


def _guess_key(raw: pd.DataFrame) -> str | None:
    """Return the one column whose name and digit codes say it holds area ids."""
    found = []
    for col in map(str, raw.columns):
        values = raw[col].astype(str).str.strip()
        values = values[values != ""]
        if not any(stem in col.casefold() for stem in _KEY_STEMS) or values.nunique() < 2:
            continue
        if values.str.fullmatch(r"\d+").mean() >= 0.9:
            found.append(col)
    return found[0] if len(found) == 1 else None


def _describe_unkeyed(path: Path, sheet: str | None, err: SchemaError) -> FileInfo:
    """Describe a table with no recognised key column: title lines above it, or a key to name."""
    from geoloft import read_indicators

    titles = _title_lines(path)
    if titles is not None:
        n, title, sep = titles
        raw = pd.read_csv(
            path, sep=sep, skiprows=n, dtype=str, keep_default_na=False,
            encoding=detect_encoding(path),
        )  # fmt: skip
        about: dict[str, Any] = {
            "title lines": f"{n} above the header (line 1: {title!r})",
            "not usable as is": f"the column names are on line {n + 1}, below a title; "
            "geoloft reads the first line as the header.",
            "fix": f"delete the first {n} line(s) so that the file starts with the column "
            "names, then name the area id column with key=.",
        }
        return FileInfo(
            path, "indicators", len(raw), columns=list(map(str, raw.columns)), details=about
        )
    raw = _raw_table(path, sheet)
    numbers = raw.apply(lambda c: pd.to_numeric(c.str.replace(",", "."), errors="coerce"))
    if raw.shape[1] < 2 or len(raw) < 2 or not numbers.notna().mean().ge(0.9).any():
        raise err  # not a table of values per area (a note, a letter)
    details: dict[str, Any] = {"not usable as is": err.message, "fix": err.hint}
    key = _guess_key(raw)
    if key is not None:
        details = {"key column": f"{key} (guessed from its name and codes; pass key={key!r})"}
        try:
            read_indicators(path, sheet=sheet, key=key)
        except SchemaError as keyed:
            details |= {"not usable as is": keyed.message, "fix": keyed.hint}
    return FileInfo(
        path, "indicators", len(raw), columns=list(map(str, raw.columns)), details=details
    )
