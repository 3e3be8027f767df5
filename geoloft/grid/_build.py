"""Shared steps of the grid readers: ids, values, suppression and the output frame."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geoloft._io import ParsedNumbers, parse_numbers
from geoloft.columns import (
    CELL_SIZE,
    GRID_VALUE_ALIASES,
    POP_AVE,
    POP_TOT,
    SSB_MISSING_MARKERS,
    SSBID,
    WORKING_CRS,
)
from geoloft.errors import CRSError, InputError, SchemaError, SSBIdError
from geoloft.grid.codec import cell_polygons, check_cell_size, check_ssbids, corners_to_ssbid
from geoloft.report import StageReport, attach_report

Source = str | PathLike[str]
IntArray = npt.NDArray[np.int64]

#: Extensive count columns, which cannot be negative.
COUNT_COLUMNS = frozenset(v for v in GRID_VALUE_ALIASES.values() if v != POP_AVE)
#: Below this many persons SSB publishes mean age as 0 (a suppression marker).
MEAN_AGE_MIN_PERSONS = 5
#: Plausible extent of Norwegian data (incl. Svalbard, Jan Mayen) in EPSG:25833, metres.
NORWAY_25833 = (-1_500_000.0, 4_500_000.0, 2_500_000.0, 9_500_000.0)


@dataclass
class SizeVotes:
    """Every statement of the cell size a file makes, checked for agreement."""

    source: Source
    votes: dict[str, int] = field(default_factory=dict)

    def add(self, where: str, size: int | None) -> None:
        """Record that ``where`` (argument, column name, polygons, ...) says ``size``."""
        if size is not None:
            self.votes[where] = int(size)

    def resolve(self) -> tuple[int, str]:
        """Return the agreed cell size and where it came from, or raise."""
        sizes = set(self.votes.values())
        if len(sizes) > 1:
            said = "; ".join(f"{where} says {size} m" for where, size in self.votes.items())
            raise SSBIdError(
                f"the cell sizes disagree: {said}.",
                source=self.source,
                hint="check the file; pass the cell_size= the file really has, or none.",
            )
        if not sizes:
            raise SSBIdError(
                "the cell size is not stated: the id column name has no size (such as "
                "ru250m or ssbid1000M), there are no cell polygons or cell_size column, "
                "and no cell_size= was given. SSB ids do not encode the size.",
                source=self.source,
                hint="pass cell_size= (metres: 100, 250, 500, 1000, 5000 or 10000), "
                "e.g. read_grid(path, cell_size=250).",
            )
        size = check_cell_size(sizes.pop())
        return size, ", ".join(self.votes)


def parse_ids(ids: pd.Series, *, source: Source, column: str, size: int) -> IntArray:
    """Return SSB ids as int64, raising for empty, non-digit or misplaced ids (rows named)."""
    if pd.api.types.is_integer_dtype(ids) and not ids.isna().any():
        return check_ssbids(ids.to_numpy(np.int64), size, source=str(source), column=column)
    text = ids.astype("string").str.strip().fillna("")
    text = text.str.replace(r"\.0+$", "", regex=True)  # 22560006672000.0 from spreadsheets
    bad = np.flatnonzero(~text.str.fullmatch(r"\d{14}").fillna(False).to_numpy(bool))
    if bad.size:
        example = text.iloc[bad[0]]
        raise SSBIdError(
            f"{bad.size} id(s) are not 14-digit SSB ids (e.g. {example!r}).",
            source=source,
            column=column,
            rows=(bad + 1).tolist(),
            n_rows=bad.size,
            hint="SSB ids are 14 digits: 7 for x + 2,000,000 and 7 for y; fix or remove "
            "these rows, or name the right id column with id_column=.",
        )
    return check_ssbids(text.astype("int64").to_numpy(), size, source=str(source), column=column)


def check_duplicate_ids(ids: IntArray, *, source: Source, column: str | None) -> None:
    """Raise naming the rows of ids that occur more than once."""
    rows = np.flatnonzero(pd.Series(ids).duplicated(keep=False).to_numpy())
    if rows.size:
        dup = list(dict.fromkeys(ids[rows].tolist()))
        raise SchemaError(
            f"{len(dup)} cell id(s) occur more than once (e.g. {dup[0]}).",
            source=source,
            column=column,
            rows=(rows + 1).tolist(),
            n_rows=rows.size,
            hint="each cell must occur once; remove or merge the duplicated rows.",
        )


@dataclass
class ParsedValues:
    """Parsed value columns with their missing-value counts."""

    frame: pd.DataFrame
    suppressed: dict[str, int]
    ignored: list[str]


def parse_values(
    table: pd.DataFrame, mapping: Mapping[str, str], *, chosen: bool, source: Source
) -> ParsedValues:
    """Parse value columns to float64; markers and empty cells become counted NaN.

    Columns the user did not choose and that hold no number at all (names,
    dates, labels) are ignored and listed; any other non-numeric value is an
    error naming the column and rows.
    """
    out: dict[str, pd.Series] = {}
    suppressed: dict[str, int] = {}
    ignored: list[str] = []
    for col, name in mapping.items():
        series = table[col]
        if not (pd.api.types.is_numeric_dtype(series) or _is_text(series)):
            if chosen:
                raise SchemaError(
                    f"values of type {series.dtype} are not numbers.",
                    source=source,
                    column=col,
                    hint="choose numeric columns with values=.",
                )
            ignored.append(col)
            continue
        parsed = fast_numbers(series) or parse_numbers(series)
        n_found = int((~parsed.suppressed).sum())
        if not chosen and name not in COUNT_COLUMNS | {POP_AVE} and parsed.bad_rows.size == n_found:
            ignored.append(col)  # a label column: not one value is a number
            continue
        _raise_bad_values(series, parsed.bad_rows, source=source, column=col)
        out[name] = parsed.values.reset_index(drop=True)
        suppressed[name] = int(parsed.suppressed.sum())
    frame = pd.DataFrame(out, index=pd.RangeIndex(len(table)))
    _check_counts(frame, source=source, mapping=mapping)
    return ParsedValues(frame, suppressed, ignored)


def fast_numbers(series: pd.Series) -> ParsedNumbers | None:
    """Parse plain numbers (point or comma decimals) and markers fast; ``None`` if unsure.

    The common case of SSB files, done with vectorised string kernels; anything
    else (thousands separators, bad values) goes to the careful parser.
    """
    if not _is_text(series):
        return None
    text = series.astype("str").str.strip()
    suppressed = text.isin(SSB_MISSING_MARKERS | {""}).to_numpy()
    rest = text.where(~suppressed)
    numbers = pd.to_numeric(rest, errors="coerce")
    if (numbers.isna().to_numpy() & ~suppressed).any():
        if rest.str.contains(".", regex=False).any():
            return None
        numbers = pd.to_numeric(rest.str.replace(",", ".", regex=False), errors="coerce")
        if (numbers.isna().to_numpy() & ~suppressed).any():
            return None
    values = numbers.astype("float64").reset_index(drop=True)
    if not np.isfinite(values.to_numpy()[~suppressed]).all():
        return None
    return ParsedNumbers(values, suppressed, np.array([], dtype=np.intp))


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or series.dtype == object


def _raise_bad_values(
    series: pd.Series, bad: npt.NDArray[np.intp], *, source: Source, column: str
) -> None:
    if bad.size:
        example = series.iloc[bad[0]]
        raise SchemaError(
            f"{bad.size} value(s) are not numbers (e.g. {example!r}).",
            source=source,
            column=column,
            rows=(bad + 1).tolist(),
            n_rows=bad.size,
            hint="values must be numbers (decimal comma or point) or SSB's missing "
            "markers (. : .. -); fix these rows, or choose other columns with values=.",
        )


#: More persons than this in one cell is not a count of people (Norway has some 5.6 million).
MAX_PERSONS_PER_CELL = 10_000_000


class ImplausibleCountWarning(UserWarning):
    """Counts of persons that are not whole numbers (estimates, or a decimal slip)."""


def _check_counts(frame: pd.DataFrame, *, source: Source, mapping: Mapping[str, str]) -> None:
    back = {name: col for col, name in mapping.items()}
    for name in sorted(COUNT_COLUMNS.intersection(frame.columns)):
        values = frame[name].to_numpy(dtype="float64")
        rows = np.flatnonzero(values < 0)
        if rows.size:
            raise InputError(
                f"{rows.size} negative person count(s).",
                source=source,
                column=back[name],
                rows=(rows + 1).tolist(),
                n_rows=rows.size,
                hint="counts of persons cannot be negative; fix these rows.",
            )
        rows = np.flatnonzero(np.isinf(values) | (values > MAX_PERSONS_PER_CELL))
        if rows.size:
            raise InputError(
                f"{rows.size} person count(s) above {MAX_PERSONS_PER_CELL:_} in one cell "
                f"(e.g. {values[rows[0]]:g}), more than Norway's population.".replace("_", " "),
                source=source,
                column=back[name],
                rows=(rows + 1).tolist(),
                n_rows=rows.size,
                hint="check these rows: a unit or exponent slip (1e308), or a column that "
                "does not hold counts of persons.",
            )
        rows = np.flatnonzero(np.isfinite(values) & (values != np.round(values)))
        if rows.size:
            from geoloft.errors import format_rows

            warnings.warn(
                f"{source}: column '{back[name]}': {format_rows((rows + 1).tolist())} hold "
                f"person counts that are not whole numbers (e.g. {values[rows[0]]:g}); "
                "used as they are. SSB publishes whole persons: check for a decimal slip, "
                "or that these are estimates.",
                ImplausibleCountWarning,
                stacklevel=4,
            )


def suppress_mean_age(values: ParsedValues) -> int:
    """Turn mean age 0 in cells with fewer than 5 (or unknown) persons into counted NaN.

    SSB writes mean age 0 where it suppresses it (cells with 1-4 persons).
    Returns how many values were turned into NaN.
    """
    frame = values.frame
    if POP_AVE not in frame.columns:
        return 0
    if POP_TOT in frame.columns:
        small = ~(frame[POP_TOT] >= MEAN_AGE_MIN_PERSONS)  # NaN counts as small
    else:
        small = pd.Series(True, index=frame.index)
    mask = (frame[POP_AVE] == 0) & small
    count = int(mask.sum())
    if count:
        frame[POP_AVE] = frame[POP_AVE].mask(mask)
        values.suppressed[POP_AVE] = values.suppressed.get(POP_AVE, 0) + count
    return count


def grid_frame(
    ids: IntArray,
    size: int,
    values: pd.DataFrame,
    *,
    geometry: bool,
    report: StageReport,
) -> pd.DataFrame:
    """Assemble the grid frame: ssbid, cell_size, values, cell squares (EPSG:25833)."""
    columns = {SSBID: ids, CELL_SIZE: np.full(len(ids), size, dtype=np.int64)}
    frame = pd.DataFrame(columns)
    for name in values.columns:
        frame[name] = values[name].to_numpy(dtype=np.float64)
    if geometry:
        frame = gpd.GeoDataFrame(frame, geometry=cell_polygons(ids, size), crs=WORKING_CRS)
    frame.attrs["cell_size"] = size
    report.rows_out = len(frame)
    return attach_report(frame, report)


def value_notes(
    values: ParsedValues, mapping: Mapping[str, str], mean_age: int
) -> dict[str, object]:
    """Return the report notes about value columns."""
    kept = {col: name for col, name in mapping.items() if name in values.frame.columns}
    notes: dict[str, object] = {
        "value_columns": kept,
        "suppressed": dict(values.suppressed),
    }
    if mean_age:
        notes["mean_age_zero_suppressed"] = mean_age
    if values.ignored:
        notes["ignored_columns"] = list(values.ignored)
    return notes


def unique_sizes_error(
    sizes: npt.NDArray[np.int64], *, source: Source, column: str | None, what: str
) -> None:
    """Raise naming the rows whose cell size differs from the most common one."""
    uniq, counts = np.unique(sizes, return_counts=True)
    if uniq.size <= 1:
        return
    main = uniq[np.argmax(counts)]
    rows = np.flatnonzero(sizes != main)
    listing = ", ".join(f"{u:g} m ({c} rows)" for u, c in zip(uniq, counts, strict=True))
    raise SSBIdError(
        f"mixed cell sizes in one file ({what}): {listing}.",
        source=source,
        column=column,
        rows=(rows + 1).tolist(),
        n_rows=rows.size,
        hint="a grid file holds one cell size; split the file by cell size.",
    )


def corner_ids(
    table: pd.DataFrame, corners: tuple[str, str], *, size: int, source: Source
) -> np.ndarray:
    """Return ids from lower-left corner columns (EPSG:25833 metres)."""
    coords = []
    for col in corners:
        parsed = parse_numbers(table[col])
        bad = np.flatnonzero(parsed.suppressed | np.isin(np.arange(len(table)), parsed.bad_rows))
        if bad.size:
            raise SSBIdError(
                f"{bad.size} corner coordinate(s) are missing or not numbers.",
                source=source,
                column=col,
                rows=(bad + 1).tolist(),
                n_rows=bad.size,
                hint="every cell needs its lower-left corner in EPSG:25833 metres.",
            )
        coords.append(parsed.values.to_numpy(np.float64))
    _check_corner_extent(coords[0], coords[1], corners, source=source)
    return corner_ids_from(
        coords[0],
        coords[1],
        size=size,
        source=str(source),
        what=f"corners ({corners[0]}, {corners[1]})",
        column=corners[0],
    )


def _check_corner_extent(
    x: np.ndarray, y: np.ndarray, corners: tuple[str, str], *, source: Source
) -> None:
    """Raise if corner columns cannot be EPSG:25833 metres in Norway (degrees, swapped axes)."""
    xmin, ymin, xmax, ymax = NORWAY_25833
    outside = np.flatnonzero((x < xmin) | (x > xmax) | (y < ymin) | (y > ymax))
    if not outside.size:
        return
    first = outside[0]
    degrees = (np.abs(x[outside]) <= 180).all() and (np.abs(y[outside]) <= 90).all()
    swapped = ((y[outside] >= xmin) & (y[outside] <= xmax) & (x[outside] >= ymin)).all()
    why = (
        "they look like longitude/latitude degrees"
        if degrees
        else "x and y look swapped"
        if swapped
        else "they lie far outside Norway"
    )
    raise CRSError(
        f"corner coordinates ({corners[0]} {x[first]:.10g}, {corners[1]} {y[first]:.10g}) "
        f"do not fit {WORKING_CRS}, the CRS of SSB's grid: {why}.",
        source=source,
        column=corners[0],
        rows=(outside + 1).tolist(),
        n_rows=outside.size,
        hint="grid tables need lower-left cell corners in EPSG:25833 metres (x about "
        "-80,000 to 1,120,000, y about 6,440,000 to 7,950,000 on the mainland); "
        "convert the coordinates, or give the 14-digit SSB ids instead.",
    )


def _off_grid(v: np.ndarray, size: int) -> np.ndarray:
    rest = np.mod(v, size)
    return np.minimum(rest, size - rest) > 0.01


def corner_ids_from(
    x: np.ndarray, y: np.ndarray, *, size: int, source: str, what: str, column: str | None = None
) -> np.ndarray:
    """Return ids for lower-left corners, raising for corners off the cell size."""
    off = np.flatnonzero(_off_grid(x, size) | _off_grid(y, size))
    if off.size:
        half = np.isclose(np.mod(x[off[0]], size), size / 2)
        raise SSBIdError(
            f"{off.size} row(s) have {what} that are not multiples of {size} m (e.g. "
            f"{x[off[0]]:.0f}, {y[off[0]]:.0f}), so they are not {size} m SSB cells.",
            source=source,
            column=column,
            rows=(off + 1).tolist(),
            n_rows=off.size,
            hint=("these look like cell centres; give lower-left corners. " if half else "")
            + "Check cell_size=, or split a file that mixes cell sizes.",
        )
    return corners_to_ssbid(np.rint(x), np.rint(y))
