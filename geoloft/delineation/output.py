"""One row per intervention area: names, members, population, indicators, stability."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from geoloft.columns import (
    ADDED,
    AREA_KM2,
    COMPACTNESS,
    CRITERIA_MET,
    FLAGS,
    INDEX,
    LOCKED_IN,
    MEMBER_STABILITY,
    MEMBERS,
    N_CRITERIA,
    N_MEMBERS,
    NAME,
    POP,
    SETTLEMENT,
    STABILITY,
    ZONE_ID,
)
from geoloft.delineation.inputs import Items
from geoloft.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DASH = "\u2013"  # en dash between names: "Furuset–Haugenstua"
MORE = " m.fl."  # "med flere": and others
MAX_NAMES = 3
SEPARATOR = ","

#: Output columns an indicator may not be named after.
RESERVED = frozenset(
    {
        ZONE_ID, NAME, MEMBERS, N_MEMBERS, POP, AREA_KM2, INDEX, CRITERIA_MET, N_CRITERIA,
        COMPACTNESS, STABILITY, MEMBER_STABILITY, LOCKED_IN, ADDED, FLAGS, SETTLEMENT, "geometry",
    }
)  # fmt: skip
HIGHER_IS_BETTER = "higher_is_better"
HIGHER_IS_WORSE = "higher_is_worse"


@dataclass(frozen=True)
class Indicator:
    """A rate recomputed from counts: ``numerator / denominator``."""

    name: str
    numerator: str
    denominator: str
    worse: float  # +1 when higher is worse, -1 when higher is better


def indicators(counts: Mapping[str, Sequence[str]] | None) -> list[Indicator]:
    """Read ``counts={"low_income": ("low_income_n", "low_income_d"[, direction])}``."""
    found = []
    clash = sorted(set(map(str, counts or {})) & RESERVED)
    if clash:
        raise InputError(
            f"indicator name(s) {', '.join(clash)} would overwrite output columns.",
            source="counts",
            hint="rename them, e.g. 'low_income' instead of 'index'.",
        )
    for name, spec in (counts or {}).items():
        parts = [spec] if isinstance(spec, str) else list(spec)
        direction = parts[2] if len(parts) > 2 else HIGHER_IS_WORSE
        if len(parts) not in (2, 3) or direction not in (HIGHER_IS_WORSE, HIGHER_IS_BETTER):
            raise InputError(
                f"cannot read counts entry {name!r}: {spec!r}.",
                source="counts",
                hint="give (numerator, denominator) or (numerator, denominator, "
                "'higher_is_worse' | 'higher_is_better').",
            )
        worse = 1.0 if direction == HIGHER_IS_WORSE else -1.0
        found.append(Indicator(str(name), str(parts[0]), str(parts[1]), worse))
    return found


def _sums(values: FloatArray, labels: IntArray, k: int) -> FloatArray:
    inside = labels >= 0
    # numpy's stub types bincount as int, but with weights it returns float64
    return np.bincount(labels[inside], weights=values[inside], minlength=k)  # type: ignore[return-value]


def _indicator(
    items: Items, labels: IntArray, k: int, ind: Indicator
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return the area rates, their z-scores against the row rates, and worse-than-all flags."""
    num, den = items.column(ind.numerator), items.column(ind.denominator)
    ok = ~np.isnan(num) & ~np.isnan(den)
    top = _sums(np.where(ok, num, 0.0), labels, k)
    bottom = _sums(np.where(ok, den, 0.0), labels, k)
    use = ok & (den > 0)
    rate = np.full(k, np.nan)
    np.divide(top, bottom, out=rate, where=bottom > 0)
    z = np.full(k, np.nan)
    worse = np.full(k, np.nan)
    if use.any():
        row_rate = num[use] / den[use]
        overall = num[use].sum() / den[use].sum()
        known = ~np.isnan(rate)
        worse[known] = ind.worse * (rate[known] - overall) > 0
        if row_rate.size > 1 and row_rate.std() > 0:
            z = ind.worse * (rate - row_rate.mean()) / row_rate.std()
    return rate, z, worse


def rates(items: Items, labels: IntArray, k: int, chosen: list[Indicator]) -> pd.DataFrame:
    """Return per-area rates, the recomputed index and the criteria met.

    For each indicator, members with a missing numerator or denominator are left
    out of it. ``index`` is the mean over indicators of the area rate's z-score
    against the input rows' rates (sign by direction); ``criteria_met`` counts
    indicators in which the area is worse than all input rows together.
    """
    table: dict[str, FloatArray] = {}
    zs, worse = [], []
    for ind in chosen:
        table[ind.name], z, flags = _indicator(items, labels, k, ind)
        zs.append(z)
        worse.append(flags)
    if chosen:
        stack, flags = np.vstack(zs), np.vstack(worse)
        valid = ~np.isnan(stack)
        total = np.where(valid, stack, 0.0).sum(axis=0)
        table[INDEX] = np.where(valid.any(axis=0), total / np.maximum(valid.sum(axis=0), 1), np.nan)
        table[CRITERIA_MET] = np.where(np.isnan(flags), 0.0, flags).sum(axis=0)
        table[N_CRITERIA] = (~np.isnan(flags)).sum(axis=0).astype(np.float64)
    return pd.DataFrame(table)


def weighted_mean(values: FloatArray, pop: FloatArray, labels: IntArray, k: int) -> FloatArray:
    """Population-weighted mean per area, ignoring NaN values (unweighted if no population)."""
    ok = ~np.isnan(values)
    weight = np.where(ok, pop, 0.0)
    top = _sums(np.where(ok, values * weight, 0.0), labels, k)
    bottom = _sums(weight, labels, k)
    plain = _sums(np.where(ok, values, 0.0), labels, k) / np.maximum(
        _sums(ok.astype(np.float64), labels, k), 1
    )
    count = _sums(ok.astype(np.float64), labels, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(bottom > 0, top / bottom, plain)
    return np.where(count > 0, mean, np.nan)


def area_name(names: Sequence[str], weights: Sequence[float]) -> str:
    """Return a name from member names, the most populous first.

    Examples
    --------
    >>> area_name(["Haugenstua", "Furuset"], [3000, 9000])
    'Furuset–Haugenstua'
    >>> area_name(["A", "B", "C", "D"], [4, 3, 2, 1])
    'A–B–C m.fl.'
    """
    totals: dict[str, float] = {}
    for name, weight in zip(names, weights, strict=True):
        if name:
            totals[name] = totals.get(name, 0.0) + float(weight)
    ordered = sorted(totals, key=lambda n: (-totals[n], n))
    text = DASH.join(ordered[:MAX_NAMES])
    return text + MORE if len(ordered) > MAX_NAMES else text


def unique_names(names: list[str]) -> list[str]:
    """Make names unique by numbering repeats: ``Furuset``, ``Furuset (2)``."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def zone_ids(k: int) -> list[str]:
    """Return ``Z01``, ``Z02``, ... (at least two digits)."""
    width = max(2, len(str(k)))
    return [f"Z{i:0{width}d}" for i in range(1, k + 1)]


def join_ids(
    ids: npt.NDArray[np.generic], members: list[IntArray], pick: npt.NDArray[np.bool_] | None = None
) -> list[str]:
    """Join member ids per area with commas (optionally only the ``pick`` ones)."""
    out = []
    for m in members:  # loop over areas
        chosen = m if pick is None else m[pick[m]]
        out.append(SEPARATOR.join(map(str, ids[chosen].tolist())))
    return out


def membership(areas: pd.DataFrame) -> pd.DataFrame:
    """Return one row per member of each area, from the output of ``delineate``.

    Columns: ``zone_id``, ``member`` (id as text), ``stability`` (share of
    replicates in which it qualifies, NaN without replicates), ``added``
    (added to reach the floor) and ``locked_in``.

    Parameters
    ----------
    areas
        Output of :func:`~geoloft.delineation`.

    Examples
    --------
    >>> import pandas as pd
    >>> areas = pd.DataFrame({"zone_id": ["Z01"], "members": ["0101,0102"],
    ...     "member_stability": ["1.00,0.50"], "added": ["0102"], "locked_in": [""]})
    >>> membership(areas)[["member", "stability", "added"]].to_numpy().tolist()
    [['0101', 1.0, False], ['0102', 0.5, True]]
    """
    rows: list[tuple[object, str, float, bool, bool]] = []
    for zone, ids, stab, added, locked in zip(
        areas[ZONE_ID],
        areas[MEMBERS],
        areas[MEMBER_STABILITY],
        areas[ADDED],
        areas[LOCKED_IN],
        strict=True,
    ):
        members = ids.split(SEPARATOR) if ids else []
        shares = stab.split(SEPARATOR) if isinstance(stab, str) and stab else ["nan"] * len(members)
        grown, locks = set(added.split(SEPARATOR)), set(locked.split(SEPARATOR))
        rows.extend(
            (zone, m, float(s), m in grown, m in locks)
            for m, s in zip(members, shares, strict=True)
        )
    return pd.DataFrame(rows, columns=[ZONE_ID, "member", STABILITY, ADDED, LOCKED_IN])
