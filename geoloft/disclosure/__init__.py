"""Disclosure control: withhold figures for cells and areas with few residents.

Statistics Norway (SSB) publishes no exact counts of 1–9 persons: since 2019
its grid statistics leave such cells out, and older files mark the mean age of
cells with 1–4 persons as suppressed. geoloft applies the same rule to
everything that leaves the tool (maps, tables, exports): a cell or area whose
population is under the threshold keeps its geometry and id, but its population
and every figure named in ``columns`` become missing (NaN) and the boolean
column :data:`SUPPRESSED` is true. Writers that need a symbol write SSB's
``":"`` ("not published for reasons of confidentiality") from
:func:`suppression_codes`.

An unknown population (NaN) counts as under the threshold: a figure is only
shown when the population is known to be large enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeVar

import numpy as np
import pandas as pd

from geoloft.columns import POP_TOT, SUPPRESSED
from geoloft.errors import InputError, SchemaError
from geoloft.labels import text
from geoloft.report import StageReport, attach_report

__all__ = [
    "DEFAULT_THRESHOLD",
    "SUPPRESSED",
    "SUPPRESSION_CODE",
    "disclosure_note",
    "suppress",
    "suppression_codes",
]

#: SSB's symbol for figures not published for reasons of confidentiality.
SUPPRESSION_CODE: Final = ":"
#: Smallest population (persons) whose figures are shown.
DEFAULT_THRESHOLD: Final = 10
#: Key of the disclosure summary in ``frame.attrs``.
ATTRS_KEY: Final = "disclosure"

FrameT = TypeVar("FrameT", bound=pd.DataFrame)


def _check(frame: pd.DataFrame, columns: Sequence[str], pop: str, threshold: int) -> None:
    """Raise for a bad threshold or missing columns (all of them named at once)."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a (Geo)DataFrame, got {type(frame).__name__}.")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)):
        raise TypeError(f"threshold must be an int (persons), got {threshold!r}.")
    if threshold < 1:
        raise InputError(
            f"the threshold must be at least 1 person, got {threshold}.",
            source="threshold",
            hint="use 10, the limit under which SSB publishes no counts.",
        )
    missing = [c for c in (pop, *columns) if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"column(s) {', '.join(map(repr, missing))} not found; "
            f"the frame has {', '.join(map(str, frame.columns))}.",
            source="suppress",
            column=missing[0],
            hint=f"join a population column first or pass pop=<column> (now {pop!r}).",
        )


def _population(frame: pd.DataFrame, pop: str) -> pd.Series:
    """Return the population column as float64; raise for text that is not a number."""
    values = pd.to_numeric(frame[pop], errors="coerce").astype("float64")
    bad = values.isna() & frame[pop].notna()
    if bad.any():
        raise SchemaError(
            "population values that are not numbers.",
            source="suppress",
            column=pop,
            rows=[str(i) for i in frame.index[bad][:5]],
            n_rows=int(bad.sum()),
            hint="read the table with geoloft's readers, which turn SSB markers into NaN.",
        )
    return values


def suppress(
    frame: FrameT,
    *,
    columns: Sequence[str] | str = (),
    pop: str = POP_TOT,
    threshold: int = DEFAULT_THRESHOLD,
) -> FrameT:
    """Withhold the figures of rows whose population is under ``threshold``.

    Parameters
    ----------
    frame
        Cells or areas, one row each (a GeoDataFrame keeps its geometry).
    columns
        Columns whose values are withheld in suppressed rows (counts, rates,
        indices); the population column ``pop`` is always withheld too.
    pop
        Population column (persons), used for the rule and then withheld.
    threshold
        Rows with ``pop < threshold`` or an unknown population are suppressed.

    Returns
    -------
    same type as ``frame``
        A copy aligned to ``frame.index``: ``pop`` and ``columns`` are NaN in
        suppressed rows (numeric columns become float64), and the bool column
        :data:`SUPPRESSED` is true there (combined with any such column already
        present). A :class:`~geoloft.report.StageReport` is attached and
        ``attrs["disclosure"]`` holds the threshold and the count.

    Raises
    ------
    SchemaError
        If ``pop`` or a column in ``columns`` is missing, or populations are
        not numbers.
    InputError
        If ``threshold`` is below 1.
    TypeError
        If ``frame`` is not a DataFrame or ``threshold`` not an int.

    Examples
    --------
    >>> import pandas as pd
    >>> cells = pd.DataFrame({"pop_tot": [4.0, 25.0], "pop_ave": [81.5, 39.0]})
    >>> out = suppress(cells, columns=["pop_ave"])
    >>> out["pop_ave"].tolist(), out["suppressed"].tolist()
    ([nan, 39.0], [True, False])
    """
    cols = [columns] if isinstance(columns, str) else list(columns)
    _check(frame, cols, pop, threshold)
    mask = ~(_population(frame, pop) >= threshold)
    out = frame.copy()
    for col in dict.fromkeys([pop, *cols]):
        series = out[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            out[col] = series.astype("float64").where(~mask)
        else:
            out[col] = series.where(~mask)
    previous = out[SUPPRESSED].fillna(False).astype(bool) if SUPPRESSED in out else False
    out[SUPPRESSED] = mask.to_numpy() | np.asarray(previous, dtype=bool)
    n = int(mask.sum())
    report = StageReport(
        stage="suppress",
        source=pop,
        rows_in=len(frame),
        rows_out=len(out),
        notes={"threshold": int(threshold), "suppressed_rows": n, "columns": [pop, *cols]},
    )
    attach_report(out, report)
    out.attrs[ATTRS_KEY] = {"threshold": int(threshold), "suppressed": int(out[SUPPRESSED].sum())}
    return out


def suppression_codes(frame: pd.DataFrame) -> pd.Series:
    """Return SSB's ``":"`` for suppressed rows and ``""`` for the others.

    Parameters
    ----------
    frame
        A frame returned by :func:`suppress` (or any frame with a
        :data:`SUPPRESSED` column; without one nothing is marked).

    Returns
    -------
    pandas.Series
        Strings aligned to ``frame.index``.

    Examples
    --------
    >>> import pandas as pd
    >>> suppression_codes(pd.DataFrame({"suppressed": [True, False]})).tolist()
    [':', '']
    """
    flags = frame[SUPPRESSED] if SUPPRESSED in frame else pd.Series(False, index=frame.index)
    marked = flags.fillna(False).astype(bool).to_numpy()
    return pd.Series(np.where(marked, SUPPRESSION_CODE, ""), index=frame.index, dtype=object)


def disclosure_note(frame: pd.DataFrame, *, lang: str = "nb") -> str:
    """Return the sentence that tells readers which figures were withheld.

    Parameters
    ----------
    frame
        A frame returned by :func:`suppress`.
    lang
        ``"nb"`` or ``"en"``.

    Returns
    -------
    str
        Plain text naming the threshold and the number of suppressed rows;
        ``""`` if the frame went through no disclosure control.

    Examples
    --------
    >>> import pandas as pd
    >>> out = suppress(pd.DataFrame({"pop_tot": [3, 30]}), threshold=5)
    >>> disclosure_note(out, lang="en").split(";")[0]
    'Figures for cells and areas with fewer than 5 residents are suppressed (confidentiality'
    """
    info = frame.attrs.get(ATTRS_KEY)
    if not info:
        return ""
    return text("disclosure_note", lang, threshold=info["threshold"], n=info["suppressed"])
