"""Withhold figures computed from several rates when one of those rates is hidden.

A composite figure of an area (its index, rank, decile, domain scores, whether it
qualifies, its explanation, …) is a function of all its scored rates. When
disclosure control hides one of them, the composite together with the published
rates gives the hidden one away, so the area's composite figures go too. The rule
is the same in ``geoloft run`` (:mod:`geoloft.pipeline.publish`) and ``geoloft score``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd

__all__ = ["PER_INDICATOR", "blank_rows", "withhold_composites", "withhold_small_bases"]

#: Suffixes of the per-indicator columns of a score table.
PER_INDICATOR = ("_rate", "_std", "_flag")

FrameT = TypeVar("FrameT", bound=pd.DataFrame)


def blank_rows(frame: FrameT, mask: np.ndarray, columns: Iterable[str]) -> FrameT:
    """Return ``frame`` with ``columns`` missing in the rows of ``mask``, types kept.

    Yes/no columns become nullable booleans (``<NA>``), nullable integers stay
    nullable, text gets ``None`` and plain numbers ``NaN``.

    Examples
    --------
    >>> frame = pd.DataFrame({"rank": [1, 2], "qualifies": [True, False], "why": ["a", "b"]})
    >>> blank_rows(frame, np.array([False, True]), ["rank", "qualifies", "why"])
       rank  qualifies   why
    0   1.0       True     a
    1   NaN       <NA>  None
    """
    cols = [c for c in columns if c in frame.columns]
    if not mask.any() or not cols:
        return frame
    out = frame.copy()
    for col in cols:
        series = out[col]
        if pd.api.types.is_bool_dtype(series):
            out[col] = series.astype("boolean").mask(mask, pd.NA)
        elif pd.api.types.is_numeric_dtype(series):
            out[col] = series.mask(mask)
        else:
            out[col] = series.astype(object).mask(mask, None)
    return out


def withhold_composites(
    before: pd.DataFrame,
    after: FrameT,
    *,
    indicators: Sequence[str],
    scored: Collection[str],
    composite: Sequence[str],
) -> tuple[FrameT, np.ndarray]:
    """Withhold each area's figures that are functions of one of its hidden rates.

    Parameters
    ----------
    before, after
        The areas (same rows, same order) before and after disclosure control:
        a rate is hidden where ``<id>_rate`` has a value in ``before`` and none in
        ``after``.
    indicators
        Indicator ids whose ``<id>_rate`` columns to compare.
    scored
        The ids that entered the composite figures (context indicators do not).
    composite
        The composite columns to withhold in an area with a hidden scored rate.

    Returns
    -------
    tuple
        ``after`` with the hidden indicators' ``_std`` and ``_flag`` and the
        composite columns of hit areas withheld, and which areas were hit (bool).

    Examples
    --------
    >>> before = pd.DataFrame({"a_rate": [0.1, 0.2], "b_rate": [0.3, 0.4], "rank": [2, 1]})
    >>> after = before.assign(a_rate=[0.1, np.nan])
    >>> out, hit = withhold_composites(
    ...     before, after, indicators=["a", "b"], scored={"a", "b"}, composite=["rank"]
    ... )
    >>> out["rank"].tolist(), hit.tolist()
    ([2.0, nan], [False, True])
    """
    hit = np.zeros(len(after), dtype=bool)
    out = after
    for ind in indicators:
        col = f"{ind}_rate"
        if col not in before.columns or col not in after.columns:
            continue
        hidden = before[col].notna().to_numpy() & after[col].isna().to_numpy()
        out = blank_rows(out, hidden, [f"{ind}{suffix}" for suffix in PER_INDICATOR[1:]])
        if ind in scored:
            hit |= hidden
    return blank_rows(out, hit, composite), hit


def withhold_small_bases(
    frame: FrameT, bases: Mapping[str, pd.Series | np.ndarray], *, threshold: int
) -> FrameT:
    """Withhold rates given as values whose population is under ``threshold``.

    A share given as a value with the persons it refers to (``value`` and
    ``population`` in the catalogue) is a count in disguise: 1 of 8 pupils is
    12.5 %. The counting rule of :mod:`geoloft.disclosure.rules` then applies to
    its population, as to a denominator: under the threshold the rate, its
    z-score and its flag are withheld.

    Parameters
    ----------
    frame
        Areas with ``<id>_rate`` (and ``_std``, ``_flag``) columns.
    bases
        Indicator id -> the persons each area's value refers to (aligned to ``frame``).
    threshold
        Disclosure threshold in persons.

    Examples
    --------
    >>> frame = pd.DataFrame({"drop_rate": [12.5, 4.0], "drop_std": [1.2, -0.3]})
    >>> out = withhold_small_bases(frame, {"drop": np.array([8.0, 250.0])}, threshold=10)
    >>> out["drop_rate"].tolist(), out["drop_std"].tolist()
    ([nan, 4.0], [nan, -0.3])
    """
    out = frame
    for ind, base in bases.items():
        persons = pd.to_numeric(pd.Series(np.asarray(base)), errors="coerce").to_numpy(float)
        small = ~(persons >= threshold) & ~np.isnan(persons)
        out = blank_rows(out, small, [f"{ind}{suffix}" for suffix in PER_INDICATOR])
    return out
