"""Reusable input checks that collect every problem and raise once."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike

import numpy as np
import pandas as pd

from geoloft.errors import InputError, SchemaError, format_rows


@dataclass
class Problems:
    """Collect input problems during a validation pass, then raise them together.

    Parameters
    ----------
    source
        The file or argument being checked; named in the error.
    error
        The exception class raised when there is exactly one kind of problem.
    """

    source: str | PathLike[str] | None = None
    error: type[InputError] = InputError
    items: list[str] = field(default_factory=list)
    kinds: list[type[InputError]] = field(default_factory=list)

    def add(
        self,
        message: str,
        *,
        column: str | None = None,
        rows: Sequence[object] | None = None,
        n_rows: int | None = None,
        hint: str | None = None,
        kind: type[InputError] | None = None,
    ) -> None:
        """Record one problem."""
        parts = []
        if column:
            parts.append(f"column '{column}'")
        if rows:
            parts.append(format_rows(rows, n_rows))
        text = f"{', '.join(parts)}: {message}" if parts else message
        if hint:
            text += f" Fix: {hint}"
        self.items.append(text)
        self.kinds.append(kind or self.error)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        """Raise one error listing every recorded problem, if there are any."""
        if not self.items:
            return
        kind = self.kinds[0] if len(set(self.kinds)) == 1 else InputError
        if len(self.items) == 1:
            raise kind(self.items[0], source=self.source)
        listing = "\n".join(f"  - {item}" for item in self.items)
        raise kind(f"{len(self.items)} problems:\n{listing}", source=self.source)


def check_unique(values: pd.Series, *, source: str | PathLike[str] | None, column: str) -> None:
    """Raise :class:`SchemaError` listing duplicated values of ``values``.

    Examples
    --------
    >>> check_unique(pd.Series(["01", "02"]), source="t.csv", column="area_id")
    """
    dup = values[values.duplicated(keep=False)]
    if len(dup):
        ids = list(dict.fromkeys(dup.astype(str)))
        raise SchemaError(
            f"duplicate ids {format_rows(ids).split(': ', 1)[1]} "
            f"({len(ids)} ids occur more than once).",
            source=source,
            column=column,
            hint="each id must occur once; remove or merge the duplicated rows, "
            "or name another id column.",
        )


def require_columns(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    source: str | PathLike[str] | None,
    what: str = "",
) -> None:
    """Raise :class:`SchemaError` naming every column of ``columns`` not in ``frame``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        available = ", ".join(map(str, frame.columns))
        raise SchemaError(
            f"missing {what + ' ' if what else ''}column(s) {', '.join(missing)}; "
            f"the table has: {available}.",
            source=source,
            hint="rename the columns or name the right ones in the call or project file.",
        )


#: Longest name or label kept, in characters; longer text is cut (ending in "…") and
#: reported. Area names run to some 60 characters; 200 leaves room for long official names.
MAX_TEXT_LENGTH = 200

#: NUL and other control characters (tab, newline and carriage return aside) and the
#: Unicode bidirectional controls (LRM, RLM, embeddings, overrides and isolates), which
#: can make a name read differently from what it holds.
UNSAFE_CHARACTERS = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]"


class CleanedTextWarning(UserWarning):
    """Names or labels were changed at ingest: control characters removed or text cut."""


def clean_text(
    values: pd.Series,
    *,
    source: str | PathLike[str] | None,
    column: str,
    labels: Sequence[object] | None = None,
    max_length: int = MAX_TEXT_LENGTH,
) -> tuple[pd.Series, dict[str, object]]:
    r"""Remove control and bidi characters from names and cut over-long ones, with a report.

    Parameters
    ----------
    values
        Names or labels (missing values stay missing; non-text values pass unchanged).
    source, column
        File and column, named in the warning.
    labels
        Row labels (ids or 1-based row numbers) of ``values`` for the warning;
        1-based positions when ``None``.
    max_length
        Longest text kept, in characters.

    Returns
    -------
    tuple
        The cleaned values (same index) and notes for the stage report
        (``{}`` when nothing changed).

    Warns
    -----
    CleanedTextWarning
        Naming the file, column, what was done and the first rows.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     out, notes = clean_text(pd.Series(["Nul\x00l", "\u202eabc"]), source="a", column="n")
    >>> out.tolist(), sorted(notes)
    (['Null', 'abc'], ['control_characters_removed'])
    """
    text = values.astype("string")
    unsafe = text.str.contains(UNSAFE_CHARACTERS, regex=True).fillna(False).to_numpy(dtype=bool)
    cleaned = text.str.replace(UNSAFE_CHARACTERS, "", regex=True) if unsafe.any() else text
    long = (cleaned.str.len() > max_length).fillna(False).to_numpy(dtype=bool)
    if long.any():
        cut = cleaned.str.slice(0, max_length - 1).str.rstrip() + "…"
        cleaned = cleaned.where(~pd.Series(long, index=cleaned.index), cut)
    notes: dict[str, object] = {}
    if not (unsafe.any() or long.any()):
        return values, notes
    names = list(labels) if labels is not None else list(range(1, len(values) + 1))
    said = []
    if unsafe.any():
        rows = [names[i] for i in np.flatnonzero(unsafe)]
        notes["control_characters_removed"] = {"count": len(rows), "rows": rows[:5]}
        said.append(
            f"control or bidirectional characters (NUL, U+202E …) removed in {format_rows(rows)}"
        )
    if long.any():
        rows = [names[i] for i in np.flatnonzero(long)]
        notes["text_cut"] = {"count": len(rows), "rows": rows[:5], "max_length": max_length}
        said.append(f"text longer than {max_length} characters cut in {format_rows(rows)}")
    warnings.warn(
        f"{source}: column '{column}': {'; '.join(said)}.",
        CleanedTextWarning,
        stacklevel=3,
    )
    out = values.astype(object).where(
        ~pd.Series(unsafe | long, index=values.index), cleaned.astype(object)
    )
    return out, notes


def check_areas_meet_grid(
    areas: pd.DataFrame,
    grid: pd.DataFrame,
    *,
    areas_source: str | PathLike[str] | None,
    grid_source: str | PathLike[str] | None,
) -> None:
    """Raise when not one area touches a grid cell (a wrong CRS or swapped lon/lat).

    Parameters
    ----------
    areas, grid
        GeoDataFrames in the same CRS (EPSG:25833 after reading).
    areas_source, grid_source
        The files, named in the error.

    Raises
    ------
    geoloft.errors.CRSError
        Naming both files, the first areas and where each layer lies in lon/lat.
    """
    import geopandas as gpd

    from geoloft.errors import CRSError

    if not isinstance(areas, gpd.GeoDataFrame) or not isinstance(grid, gpd.GeoDataFrame):
        return
    if not len(areas) or not len(grid):
        return
    hit = grid.sindex.query(areas.geometry.to_numpy(), predicate="intersects")
    if hit.size:
        return

    def where(frame: gpd.GeoDataFrame) -> str:
        x0, y0, x1, y1 = frame.to_crs(4326).total_bounds
        return f"lon {x0:.2f}–{x1:.2f}, lat {y0:.2f}–{y1:.2f}"

    ids = areas["area_id"].astype(str).tolist() if "area_id" in areas.columns else None
    raise CRSError(
        f"not one of the {len(areas)} areas overlaps a cell of the grid {grid_source}: the "
        f"areas lie at {where(areas)}, the grid at {where(grid)}.",
        source=areas_source,
        rows=ids,
        n_rows=len(areas),
        hint="the boundary file's CRS is probably declared wrong, or its longitude and "
        "latitude are swapped; give the right crs= in [inputs.boundaries], or fix the file.",
    )


def nonfinite_rows(geoms: Sequence[object] | np.ndarray) -> np.ndarray:
    """Return the positions of geometries with a NaN or infinite coordinate (GEOS cannot use them).

    Examples
    --------
    >>> import shapely
    >>> nonfinite_rows([shapely.Point(0, 0), shapely.Point(float("nan"), 1)]).tolist()
    [1]
    """
    import shapely

    coords, where = shapely.get_coordinates(np.asarray(geoms, dtype=object), return_index=True)
    return np.unique(where[~np.isfinite(coords).all(axis=1)])
