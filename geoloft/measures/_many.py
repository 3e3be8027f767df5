"""read_measures_many: several files of measures, each with its own columns, in one frame."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoloft.columns import CATEGORY, MEASURE_ID, NAME, SOURCE, STATUS, WORKING_CRS
from geoloft.errors import InputError, SchemaError
from geoloft.measures._columns import ALIASES
from geoloft.measures._read import read_measures
from geoloft.report import StageReport, attach_report, get_report

__all__ = ["MeasureFile", "read_measures_many"]


@dataclass(frozen=True)
class MeasureFile:
    """One file of measures and how to read it (the arguments of :func:`read_measures`).

    Parameters
    ----------
    path
        The file: CSV or workbook with coordinates, or a vector file.
    label
        What the file holds (``"Skoler"``): the category where the file has no
        category column, and the ``source`` of its rows; ``None``: the file name.
    columns
        The file's column names by key (``id``, ``name``, ``category``,
        ``status``, ``start_year``, ``end_year``, ``budget``, ``x``/``y`` or
        ``lon``/``lat``); ``None`` as a value: the file has no such column.
    crs
        CRS of x/y columns, or to override a vector file's CRS.
    layer
        Layer of a GeoPackage, or sheet of a workbook.

    Examples
    --------
    >>> MeasureFile.from_mapping({"path": "skoler.geojson", "label": "Skoler"}).label
    'Skoler'
    """

    path: str | os.PathLike[str]
    label: str | None = None
    columns: Mapping[str, str | None] | None = None
    crs: str | None = None
    layer: str | None = None

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any]) -> MeasureFile:
        """Build from a mapping with the same keys (a table of a project file).

        Raises
        ------
        SchemaError
            A key that is not a field, or no ``path``.
        """
        names = [f.name for f in fields(cls)]
        unknown = [str(k) for k in spec if k not in names]
        if unknown or "path" not in spec:
            problem = f"unknown keys {', '.join(unknown)}" if unknown else "no path"
            raise SchemaError(
                f"cannot read the measures entry {dict(spec)!r}: {problem}.",
                source="measures",
                hint=f"use the keys {', '.join(names)} (path is required).",
            )
        return cls(**dict(spec))

    @property
    def source(self) -> str:
        """The label, or the file name: what the ``source`` column says."""
        return self.label if self.label is not None else Path(self.path).name


def _spec(item: MeasureFile | Mapping[str, Any] | str | os.PathLike[str]) -> MeasureFile:
    if isinstance(item, MeasureFile):
        return item
    if isinstance(item, Mapping):
        return MeasureFile.from_mapping(item)
    if isinstance(item, str | os.PathLike):
        return MeasureFile(item)
    raise TypeError(
        f"a measures file is a path, a MeasureFile or a mapping, not {type(item).__name__}"
    )


def _check_sources(specs: list[MeasureFile]) -> None:
    if not specs:
        raise InputError(
            "no measures files given.", source="measures", hint="give at least one file."
        )
    seen: dict[str, int] = {}
    for spec in specs:
        seen[spec.source] = seen.get(spec.source, 0) + 1
    twice = [s for s, n in seen.items() if n > 1]
    if twice:
        raise InputError(
            f"several files have the source {', '.join(map(repr, twice))}.",
            source="measures",
            hint="give each file its own label, so each row says which file it came from.",
        )


def _unique_ids(frames: list[gpd.GeoDataFrame], report: StageReport) -> None:
    """Prefix every id with its source when ids repeat across files (in place)."""
    ids = pd.concat([f[MEASURE_ID] for f in frames], ignore_index=True)
    if not ids.duplicated().any():
        return
    repeated = list(dict.fromkeys(ids[ids.duplicated()]))
    for frame in frames:
        frame[MEASURE_ID] = frame[SOURCE].astype(str) + ":" + frame[MEASURE_ID].astype(str)
    report.notes["ids prefixed with their source"] = {
        "count": len(repeated),
        "examples": repeated[:10],
    }


def _file_note(spec: MeasureFile, frame: gpd.GeoDataFrame) -> dict[str, Any]:
    one = get_report(frame)
    assert one is not None  # read_measures always attaches its report
    return {
        "source": spec.source,
        "file": Path(spec.path).name,
        "rows_in": one.rows_in,
        "rows_out": one.rows_out,
        "dropped": dict(one.dropped),
        "columns not in file": list(one.notes.get("columns not in file", [])),
    }


def read_measures_many(
    files: Sequence[MeasureFile | Mapping[str, Any] | str | os.PathLike[str]],
) -> gpd.GeoDataFrame:
    r"""Read several files of measures into one frame, each with its own columns and label.

    Parameters
    ----------
    files
        The files, each a :class:`MeasureFile`, a mapping with its keys
        (``{"path": "skoler.geojson", "label": "Skoler", "columns": {"name":
        "navn"}}``) or just a path (columns found by their usual names, source
        = file name).

    Returns
    -------
    geopandas.GeoDataFrame
        The rows of every file, in file order, in EPSG:25833, with the columns
        of :func:`read_measures` (``source`` says which file or label each row
        came from), then the other columns of any file (missing in the rows of
        files that lack them). Ids stay as read unless they repeat across
        files; then every id is prefixed with its source (``"Skoler:M001"``).
        ``attrs["report"]`` sums rows in, out and dropped (by reason) over the
        files and lists each file's counts in ``notes["files"]``.

    Raises
    ------
    InputError
        No files; two files with the same source; any error of
        :func:`read_measures` (naming the file).

    Warns
    -----
    MissingCoordinatesWarning
        Per file, when rows without coordinates are dropped.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "a.csv").write_text("id;navn;lon;lat\n1;Park;10.75;59.91\n")
    >>> _ = (tmp / "b.csv").write_text("nr;lat;lon\n1;59.92;10.76\n")
    >>> m = read_measures_many([tmp / "a.csv", {"path": tmp / "b.csv", "label": "Skoler"}])
    >>> m[["measure_id", "name", "category", "source"]].values.tolist()
    [['a.csv:1', 'Park', <NA>, 'a.csv'], ['Skoler:1', <NA>, 'Skoler', 'Skoler']]
    >>> [f["rows_out"] for f in m.attrs["report"].notes["files"]]
    [1, 1]
    """
    specs = [_spec(item) for item in files]
    _check_sources(specs)
    frames = [
        read_measures(s.path, crs=s.crs, layer=s.layer, columns=s.columns, label=s.label)
        for s in specs
    ]
    report = StageReport("read_measures", source=", ".join(Path(s.path).name for s in specs))
    report.notes["files"] = [_file_note(s, f) for s, f in zip(specs, frames, strict=True)]
    for note in report.notes["files"]:
        report.rows_in += note["rows_in"]
        for reason, count in note["dropped"].items():
            report.drop(reason, count)
    _unique_ids(frames, report)
    geometry = frames[0].geometry.name
    others = list(
        dict.fromkeys(
            c for f in frames for c in f.columns if c not in (*ALIASES, SOURCE, f.geometry.name)
        )
    )
    combined = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    out = gpd.GeoDataFrame(
        combined[[*ALIASES, SOURCE, *others, geometry]], geometry=geometry, crs=WORKING_CRS
    )
    for column in (NAME, CATEGORY, STATUS):  # as read_measures: pd.NA where missing
        out[column] = out[column].astype(object).where(out[column].notna(), pd.NA)
    report.rows_out = len(out)
    return attach_report(out, report)
