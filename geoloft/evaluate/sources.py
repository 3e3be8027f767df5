"""Inputs over time: long tables from files, grid vintages, areas whose codes changed."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft._io import existing_file, is_workbook, parse_numbers, read_text_table, read_workbook
from geoloft.columns import AREA_ID, POP_TOT
from geoloft.errors import InputError, SchemaError
from geoloft.evaluate._panel import DENOMINATOR, INDICATOR, NUMERATOR, VALUE, YEAR
from geoloft.join import convert_areas, join_grid
from geoloft.report import StageReport, attach_report, get_report

__all__ = [
    "areas_inside",
    "common_areas",
    "grid_panel",
    "harmonise_small_cells",
    "read_long_table",
    "read_population_by_age",
]

#: Grid publication rules: how cells of 1–4 persons are shown.
RULES: Final = ("floor5", "drop5", "none")
#: Indicator id of the grid population in :func:`grid_panel`.
GRID_POP: Final = "grid_pop"


def read_long_table(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    indicator: str | None = None,
    sheet: str | int | None = None,
) -> pd.DataFrame:
    r"""Read a long table of indicators by area and year (CSV, XLSX or XLS).

    Parameters
    ----------
    path
        Delimited text (any separator geoloft detects; UTF-8 or Latin-1) or a
        workbook.
    columns
        Map from the file's column names to ``area_id``, ``year``,
        ``indicator``, ``label`` (the indicator's display name), ``numerator``,
        ``denominator`` or ``value``; columns
        already named so need no entry.
    indicator
        Indicator id for every row, when the file has no ``indicator`` column.
    sheet
        Sheet of a workbook.

    Returns
    -------
    pandas.DataFrame
        ``area_id`` (text, leading zeros kept), ``year`` (int), ``indicator``
        and the count or value columns as float64; SSB's missing markers are
        NaN (counted in the report in ``attrs["report"]``).

    Raises
    ------
    SchemaError
        If a needed column is missing (the file's columns are listed).
    InputError
        If a value is neither a number nor a missing marker.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("bydel;aar;antall\n0301;2007;1 234\n")
    >>> read_long_table(folder / "t.csv", columns={"bydel": "area_id", "aar": "year",
    ...                 "antall": "value"}, indicator="pop")
      area_id  year   value indicator
    0    0301  2007  1234.0       pop
    """
    src = existing_file(path, what="long table")
    raw = read_workbook(src, sheet=sheet) if is_workbook(src) else read_text_table(src)
    frame = raw.rename(columns=dict(columns or {}))
    has_counts = NUMERATOR in frame and DENOMINATOR in frame
    need = [c for c in (AREA_ID, YEAR) if c not in frame]
    if not has_counts and VALUE not in frame:
        need.append("numerator + denominator or value")
    if INDICATOR not in frame and indicator is None:
        need.append("indicator (or pass indicator=)")
    if need:
        raise SchemaError(
            f"the table lacks {', '.join(need)}; it has {', '.join(map(str, raw.columns))}.",
            source=src,
            hint="name them with columns={'file column': 'area_id', ...}.",
        )
    report = StageReport(stage="read_long_table", source=str(src), rows_in=len(frame))
    keep = [
        c for c in (AREA_ID, YEAR, INDICATOR, "label", NUMERATOR, DENOMINATOR, VALUE) if c in frame
    ]
    out = frame[keep].copy()
    out[AREA_ID] = out[AREA_ID].astype(str).str.strip()
    for col in [c for c in (YEAR, NUMERATOR, DENOMINATOR, VALUE) if c in out]:
        parsed = parse_numbers(out[col])
        if len(parsed.bad_rows):
            raise InputError(
                "values that are neither numbers nor missing markers.",
                source=src,
                column=col,
                rows=[str(out[col].iloc[i]) for i in parsed.bad_rows[:5]],
                n_rows=len(parsed.bad_rows),
                hint="use numbers, or SSB's '.' / ':' for missing.",
            )
        out[col] = parsed.values
        report.notes.setdefault("missing", {})[col] = int(parsed.suppressed.sum())
    out = out[out[YEAR].notna()]
    out[YEAR] = out[YEAR].astype(np.int64)
    if indicator is not None and INDICATOR not in out:
        out[INDICATOR] = indicator
    report.rows_out = len(out)
    report.drop("no year", len(frame) - len(out))
    return attach_report(out.reset_index(drop=True), report)


def _rule_of(grid: pd.DataFrame, column: str) -> str:
    """``floor5`` when no cell holds 1–4 persons and some hold 5, else ``none``."""
    v = grid[column].to_numpy(np.float64)
    small = np.sum((v > 0) & (v < 5))
    fives = np.sum(v == 5)
    return "floor5" if small == 0 and fives > 0 else "none"


def harmonise_small_cells(
    grid: gpd.GeoDataFrame, *, rule: str = "floor5", column: str = POP_TOT
) -> gpd.GeoDataFrame:
    """Put a grid vintage on a common publication rule for cells of 1–4 persons.

    SSB's 250 m grid for 2022 publishes cells of 1–4 persons as 5, while
    older vintages give exact counts, so the same place gains up to 4 persons
    on paper. ``floor5`` applies the newer rule to any vintage (1–4 become
    5); ``drop5`` leaves out every cell of 5 or fewer persons in any vintage
    (whose true size the newer rule hides); ``none`` changes nothing.

    Parameters
    ----------
    grid
        Grid cells with the count ``column`` (persons).
    rule
        ``"floor5"``, ``"drop5"`` or ``"none"``.
    column
        The count to harmonise.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy; the report in ``attrs["report"]`` counts the cells changed or
        dropped and the persons added or removed.

    Raises
    ------
    InputError
        For an unknown rule.

    Examples
    --------
    >>> import geopandas as gpd
    >>> g = gpd.GeoDataFrame({"pop_tot": [2.0, 5.0, 40.0]})
    >>> harmonise_small_cells(g)["pop_tot"].tolist()
    [5.0, 5.0, 40.0]
    """
    if rule not in RULES:
        raise InputError(
            f"unknown rule {rule!r}.", source="rule", hint="use 'floor5', 'drop5' or 'none'."
        )
    out = grid.copy()
    v = out[column].to_numpy(np.float64, copy=True)
    report = StageReport(stage="harmonise_small_cells", source=column, rows_in=len(grid))
    if rule == "floor5":
        small = (v > 0) & (v < 5)
        out.loc[small, column] = 5.0
        report.notes.update(
            cells_raised=int(small.sum()), persons_added=float(np.sum(5 - v[small]))
        )
    elif rule == "drop5":
        small = v <= 5
        out = out[~small]
        report.drop("5 or fewer persons", int(small.sum()))
        report.notes.update(persons_removed=float(np.nansum(v[small])))
    report.notes["rule"] = rule
    report.rows_out = len(out)
    return attach_report(out, report)


def grid_panel(
    grids: Mapping[int, gpd.GeoDataFrame],
    areas: gpd.GeoDataFrame,
    *,
    rule: str | None = None,
    method: str = "area",
    column: str = POP_TOT,
) -> pd.DataFrame:
    """Grid population per area for several vintages, on one publication rule.

    Parameters
    ----------
    grids
        Year -> grid (from :func:`geoloft.read_grid`), EPSG:25833.
    areas
        Areas with a unique ``area_id``, EPSG:25833.
    rule
        Publication rule for cells of 1–4 persons (see
        :func:`harmonise_small_cells`); ``None`` picks ``floor5`` when any
        vintage follows it (no cell under 5, some at 5), else ``none``.
    method
        Join method of :func:`geoloft.join_grid`.
    column
        The grid count.

    Returns
    -------
    pandas.DataFrame
        Long table ``area_id``, ``year``, ``indicator`` (``grid_pop``),
        ``value`` (persons). ``attrs["rule"]`` holds the rule and
        ``attrs["vintages"]`` per year the rule the file followed, the cells
        changed and the persons in, assigned and outside the areas.

    Raises
    ------
    InputError
        For an unknown rule or no grids.
    """
    if not grids:
        raise InputError("no grid vintages given.", source="grids", hint="give {year: grid}.")
    found = {int(y): _rule_of(g, column) for y, g in grids.items()}
    chosen = rule or ("floor5" if "floor5" in found.values() else "none")
    rows, vintages = [], {}
    for year, grid in sorted(grids.items()):
        fixed = harmonise_small_cells(grid, rule=chosen, column=column)
        joined = join_grid(fixed, areas, values=[column], method=method)
        notes = get_report(joined)
        info: dict[str, Any] = {"published_rule": found[int(year)]}
        harmonised = get_report(fixed)
        info.update(harmonised.notes if harmonised is not None else {})
        if notes is not None:
            info["total_in"] = notes.notes.get("total_in", {}).get(column)
            info["total_outside"] = notes.notes.get("total_outside", {}).get(column)
        vintages[int(year)] = info
        rows.append(
            pd.DataFrame(
                {
                    AREA_ID: joined[AREA_ID].astype(str),
                    YEAR: int(year),
                    INDICATOR: GRID_POP,
                    VALUE: joined[column].to_numpy(np.float64),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out.attrs["rule"] = chosen
    out.attrs["vintages"] = vintages
    return out


def common_areas(
    table: pd.DataFrame,
    *,
    source_areas: gpd.GeoDataFrame,
    target_areas: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
    values: Sequence[str] = (NUMERATOR, DENOMINATOR),
) -> pd.DataFrame:
    """Move a long table whose area codes changed over the years onto one set of areas.

    Years whose ids are all target ids stay as they are; the other years are
    converted with :func:`geoloft.convert_areas` (counts split by where the
    grid population lives), each with its conservation report.

    Parameters
    ----------
    table
        Long table: ``area_id``, ``year`` and the count columns ``values``
        (plus any ``indicator``: one indicator per call).
    source_areas
        Geometry of every id the table uses (old and new codes).
    target_areas
        The areas to end up on.
    grid
        Grid with the population that places the counts.
    values
        Count columns to move.

    Returns
    -------
    pandas.DataFrame
        The same columns, on ``target_areas``' ids. ``attrs["conversions"]``
        holds, per converted year, totals in, out and unplaced per column.

    Raises
    ------
    SchemaError
        If a column is missing.
    """
    missing = [c for c in (AREA_ID, YEAR, *values) if c not in table]
    if missing:
        raise SchemaError(
            f"the table lacks {', '.join(missing)}.",
            source="table",
            hint="give area_id, year and the count columns.",
        )
    targets = set(target_areas[AREA_ID].astype(str))
    extra = [c for c in table.columns if c not in (AREA_ID, YEAR, *values)]
    constants = {c: table[c].iloc[0] for c in extra if table[c].nunique() == 1}
    parts, conversions = [], {}
    for year, rows in table.groupby(YEAR, sort=True):
        ids = rows[AREA_ID].astype(str)
        if set(ids) <= targets:
            parts.append(rows)
            continue
        conv = convert_areas(
            rows[[AREA_ID, *values]].assign(**{AREA_ID: ids}),
            source_areas,
            target_areas,
            grid,
            values=list(values),
        )
        rep = get_report(conv)
        conversions[int(str(year))] = rep.notes if rep else {}
        frame = pd.DataFrame(conv[[AREA_ID, *values]]).assign(**{YEAR: year}, **constants)
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    out.attrs["conversions"] = conversions
    return out


def read_population_by_age(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read SSB's population by region, single year of age and year (table 10826 layout).

    The file has title lines, then ``region;age;Persons 2001;…``; regions are
    ``"<code><letters> <name> (<years valid>)"`` such as ``"030112a Alna"`` or
    ``"030101 Bygdøy-Frogner (1988-2003)"``; ages ``"0 years"`` …
    ``"105 years or older"``; years outside a code's validity hold 0.

    Parameters
    ----------
    path
        The CSV (UTF-8 or Latin-1, ``;``-separated).

    Returns
    -------
    pandas.DataFrame
        Long table ``area_id`` (the digits of the code), ``name``, ``valid``
        (the years in brackets, ``""`` for codes in use), ``year``,
        ``pop_tot``, ``pop_0_17`` and ``pop_67_plus`` (persons). Region-years
        with no persons (outside the code's validity) are left out. Codes
        reused after a boundary reform (Oslo's 1988–2003 bydeler) keep their
        ``valid`` label: never pool them with the codes in use.

    Raises
    ------
    SchemaError
        If no ``region``/``age`` header or ``Persons <year>`` columns are found.
    """
    src = existing_file(path, what="population table")
    raw = src.read_bytes()
    from geoloft._io import utf8_or_latin1

    lines = raw.decode(utf8_or_latin1(raw)).lstrip("\ufeff").splitlines()
    start = next((i for i, line in enumerate(lines) if line.lower().startswith('"region"')), None)
    if start is None:
        raise SchemaError(
            'no header line starting with "region".',
            source=src,
            hint="export SSB table 10826 (or alike) as CSV with region and age.",
        )
    import io

    frame = pd.read_csv(io.StringIO("\n".join(lines[start:])), sep=";", dtype={"region": str})
    years = {c: int(c.split()[-1]) for c in frame.columns if str(c).lower().startswith("persons")}
    if not years:
        raise SchemaError("no 'Persons <year>' columns.", source=src, hint="check the export.")
    parts = frame["region"].str.extract(r"^(\d+)[a-z]*\s+(.*?)\s*(?:\((\d{4}-\d{0,4})\))?$")
    frame["area_id"], frame["name"], frame["valid"] = parts[0], parts[1], parts[2].fillna("")
    frame["age_years"] = frame["age"].str.extract(r"^(\d+)")[0].astype(float)
    long = frame.melt(
        id_vars=["area_id", "name", "valid", "age_years"],
        value_vars=list(years),
        var_name=YEAR,
        value_name="persons",
    )
    long[YEAR] = long[YEAR].map(years)
    long["persons"] = pd.to_numeric(long["persons"], errors="coerce")
    long["child"] = long["persons"].where(long["age_years"] <= 17, 0.0)
    long["old"] = long["persons"].where(long["age_years"] >= 67, 0.0)
    keys = [AREA_ID, "name", "valid", YEAR]
    out = long.groupby(keys, sort=True)[["persons", "child", "old"]].sum().reset_index()
    out = out.rename(columns={"persons": POP_TOT, "child": "pop_0_17", "old": "pop_67_plus"})
    out = out[out[POP_TOT] > 0].reset_index(drop=True)
    return out


def areas_inside(
    areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, min_share: float = 0.5
) -> list[str]:
    """Ids of the areas that lie mostly inside intervention areas (zones).

    Intervention areas from a run (``intervention_areas.geojson``) or any
    boundary file rarely follow the units an indicator table is published
    for; an area counts as inside when at least ``min_share`` of its area is.

    Parameters
    ----------
    areas
        Areas with ``area_id``, EPSG:25833.
    zones
        Intervention area polygons (any CRS; reprojected to the areas').
    min_share
        Smallest share (0–1) of an area's own area inside the zones.

    Returns
    -------
    list of str
        The ids, in the order of ``areas``.

    Raises
    ------
    InputError
        If ``min_share`` is not in (0, 1] or no area lies inside.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> areas = gpd.GeoDataFrame({"area_id": ["a", "b"]}, geometry=[
    ...     shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs="EPSG:25833")
    >>> zone = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1.2, 1)], crs="EPSG:25833")
    >>> areas_inside(areas, zone)
    ['a']
    """
    if not 0 < min_share <= 1:
        raise InputError(
            f"min_share must be in (0, 1], got {min_share}.",
            source="min_share",
            hint="0.5 counts an area when most of it lies inside.",
        )
    union = zones.to_crs(areas.crs).union_all()
    own = areas.geometry.area.to_numpy()
    inside = areas.geometry.intersection(union).area.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(own > 0, inside / own, 0.0)
    ids = areas[AREA_ID].astype(str)[share >= min_share].tolist()
    if not ids:
        raise InputError(
            f"no area has {min_share:.0%} of its area inside the intervention areas.",
            source="zones",
            hint="check that both files cover the same place, or lower min_share.",
        )
    return ids
