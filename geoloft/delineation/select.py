"""Turn the ``select=`` argument of :func:`~geoloft.delineation` into a mask.

Also picks the *priority* of each item: the value that says which neighbour an
under-sized area takes first and how alike two neighbours are when an area is
split. Higher means more in need (a higher index, a hotter hot spot).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from geoloft.columns import INDEX
from geoloft.delineation.hotspots import GI_Z, HOT, hotspots
from geoloft.delineation.inputs import Items
from geoloft.errors import InputError, SchemaError
from geoloft.sensitive import SENSITIVE_COLUMNS, check_criteria

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": np.greater_equal,
    ">": np.greater,
    "<=": np.less_equal,
    "<": np.less,
    "==": np.equal,
}
HOTSPOTS = "hotspots"
TOP = "top"
HOTSPOT_OPTIONS = frozenset({"contiguity", "distance", "alpha", "permutations"})

#: A selection: a boolean column name, booleans per row, "hotspots" or a rule tuple.
Select = str | npt.ArrayLike | pd.Series | tuple[Any, ...]


@dataclass(frozen=True)
class Selection:
    """Which items qualify, their priority, and how that was decided."""

    mask: npt.NDArray[np.bool_]
    priority: npt.NDArray[np.float64]  # higher = more in need; NaN = unknown
    rule: str
    hot: pd.DataFrame | None = None  # Gi* results in id order, when select="hotspots"
    sensitive: tuple[str, ...] = ()  # sensitive criteria, used because explicitly allowed


def _bad(message: str, hint: str) -> InputError:
    return InputError(message, source="select", hint=hint)


HINT = (
    "use a boolean column name ('qualifies'), booleans per row, a rule such as "
    "('index', '>=', 0.5) or 'index >= 0.5', a top share ('index', 'top', 0.1) or "
    "'index top 10%', or hot spots: 'hotspots', 'hotspots:index'."
)


TRUE_WORDS = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0, "ja": 1.0, "nei": 0.0}


def _word(value: object) -> object:
    if isinstance(value, str):
        return TRUE_WORDS.get(value.strip().lower(), value)
    return float(value) if isinstance(value, bool | np.bool_) else value


def _as_bool(values: npt.NDArray[Any], *, what: str, items: Items) -> npt.NDArray[np.bool_]:
    """Read booleans, 1/0 or true/false words (also ja/nei); missing is false."""
    if pd.Series(values).dtype == bool:
        return np.asarray(values, dtype=bool)
    series = pd.Series(values, dtype=object)
    numbers = pd.to_numeric(series.map(_word), errors="coerce")
    bad = np.flatnonzero(
        (numbers.isna() & series.notna()) | (numbers.notna() & ~numbers.isin([0, 1]))
    )
    if bad.size:
        raise SchemaError(
            "must hold true/false values (or 1/0); rows are named by id.",
            source="select",
            column=what,
            rows=items.labels(bad[:5]),
            n_rows=bad.size,
            hint="name a boolean column such as 'qualifies', or write a rule "
            "like ('index', '>=', 0.5).",
        )
    return numbers.fillna(0).to_numpy() == 1


def _column(items: Items, name: Any) -> npt.NDArray[np.float64]:
    if not isinstance(name, str) or name not in items.frame.columns:
        geometry = getattr(items.frame, "geometry", None)
        skip = {getattr(geometry, "name", None)}
        have = ", ".join(str(c) for c in items.frame.columns if c not in skip)
        raise SchemaError(
            f"no column {name!r} to select on; the input has: {have}.",
            source="select",
            column=str(name),
            hint=HINT,
        )
    return items.column(name)


def _top(values: npt.NDArray[np.float64], share: Any) -> npt.NDArray[np.bool_]:
    """Rows with fewer than ``share · n`` rows strictly higher: ties share the status.

    The same rule as the score stage's top share (see docs/methods.md): a tied
    group at the boundary is taken whole, so more rows than the share may be
    selected, never a row while another with the same value is left out.
    """
    if not isinstance(share, int | float) or not 0 < share <= 1:
        raise _bad(f"a top share must be a number in (0, 1], not {share!r}.", "e.g. 0.1 for 10 %.")
    valid = ~np.isnan(values)
    rounded = np.round(values[valid], 10)
    higher = rounded.size - np.searchsorted(np.sort(rounded), rounded, side="right")
    mask = np.zeros(values.size, dtype=bool)
    mask[valid] = higher < share * rounded.size - 1e-9
    return mask


def _hotspots(
    items: Items, column: str, options: Mapping[str, Any], graph: sp.csr_array | None, seed: int
) -> Selection:
    unknown = set(options) - HOTSPOT_OPTIONS
    if unknown:
        raise _bad(
            f"unknown hot spot option(s) {', '.join(sorted(unknown))}.",
            f"use {', '.join(sorted(HOTSPOT_OPTIONS))}.",
        )
    _column(items, column)
    spots = hotspots(items.frame, column, adjacency=graph, seed=seed, **options)
    z = spots[GI_Z].to_numpy()
    return Selection(spots[HOT].to_numpy(), z, f"hot spots of {column} (Gi*)", spots)


def _rule(
    items: Items, select: tuple[Any, ...], graph: sp.csr_array | None, seed: int
) -> Selection:
    if len(select) >= 2 and select[1] == HOTSPOTS:
        options = select[2] if len(select) > 2 else {}
        return _hotspots(items, select[0], options, graph, seed)
    if len(select) != 3:
        raise _bad(f"cannot read the rule {select!r}.", HINT)
    name, op, value = select
    values = _column(items, name)
    if op == TOP:
        return Selection(_top(values, value), values, f"top {value:.0%} of {name}")
    if op not in OPERATORS:
        raise _bad(
            f"unknown comparison {op!r} in {select!r}.", f"use one of {', '.join(OPERATORS)}."
        )
    with np.errstate(invalid="ignore"):
        mask = OPERATORS[op](values, value) & ~np.isnan(values)
    priority = -values if op in ("<", "<=") else values
    return Selection(mask, priority, f"{name} {op} {value}")


_RULE = re.compile(r"^\s*(\w+)\s*(>=|<=|==|>|<)\s*(-?\d+(?:\.\d*)?(?:[eE]-?\d+)?)\s*$")
_TOP = re.compile(r"^\s*(\w+)\s+top\s+(\d+(?:\.\d*)?)\s*(%?)\s*$")
_HOT = re.compile(r"^\s*hotspots(?::(\w+))?\s*$")


def parse_rule(text: str) -> str | tuple[Any, ...]:
    """Read a selection written as text (project files, the command line).

    ``"index >= 0.5"``, ``"index top 10%"`` (or ``0.1``), ``"hotspots"`` or
    ``"hotspots:rate"``; anything else is taken as a boolean column name.

    Examples
    --------
    >>> parse_rule("index >= 0.5"), parse_rule("index top 10%"), parse_rule("hotspots:rate")
    (('index', '>=', 0.5), ('index', 'top', 0.1), ('rate', 'hotspots'))
    >>> parse_rule("qualifies")
    'qualifies'
    """
    if match := _HOT.match(text):
        return (match.group(1), HOTSPOTS) if match.group(1) else HOTSPOTS
    if match := _RULE.match(text):
        return (match.group(1), match.group(2), float(match.group(3)))
    if match := _TOP.match(text):
        share = float(match.group(2)) / (100.0 if match.group(3) else 1.0)
        return (match.group(1), TOP, share)
    return text.strip()


def resolve(
    items: Items,
    select: Select,
    *,
    score: str | None = None,
    hotspot_graph: sp.csr_array | None = None,
    seed: int = 0,
    allow_sensitive: bool = False,
) -> Selection:
    """Return the selection mask and priority of ``items`` (in id order).

    ``hotspot_graph`` is the adjacency (id order) for hot spots of units;
    cells use their ids. Columns of country of origin and similar (see
    :mod:`geoloft.sensitive`) are refused as criteria unless ``allow_sensitive``.
    """
    if isinstance(select, str) and select not in items.frame.columns:
        select = parse_rule(select)
    found = check_criteria(
        criteria_columns(select, score),
        allow=allow_sensitive,
        source="select" if score is None else "select, score",
        marked=items.frame.attrs.get(SENSITIVE_COLUMNS, ()),
        hint="show such data as context only (a map layer); if a legal basis and an "
        "assessment exist, pass allow_sensitive=True (CLI: --allow-sensitive; project file: "
        "[delineate] allow_sensitive = true), which is recorded in the run report.",
    )
    if isinstance(select, str) and select == HOTSPOTS:
        column = score or INDEX
        chosen = _hotspots(items, column, {}, hotspot_graph, seed)
    elif isinstance(select, str):
        _column(items, select)  # raises naming the column when it is missing
        flags = _as_bool(items.frame[select].to_numpy(), what=select, items=items)
        chosen = Selection(flags, _default_priority(items), select)
    elif isinstance(select, tuple):
        chosen = _rule(items, select, hotspot_graph, seed)
    elif isinstance(select, np.ndarray | pd.Series | list):
        flags = _as_bool(items.align(select, what="select"), what="select", items=items)
        chosen = Selection(flags, _default_priority(items), "given selection")
    else:
        raise TypeError(
            f"select must be a str, tuple or array of booleans, not {type(select).__name__}"
        )
    if score is not None:
        chosen = Selection(chosen.mask, _column(items, score), chosen.rule, chosen.hot)
    return replace(chosen, sensitive=tuple(found))


def criteria_columns(select: object, score: str | None = None) -> list[str]:
    """Columns that decide which items qualify or which are taken first.

    Examples
    --------
    >>> criteria_columns("innvandrere_rate >= 30"), criteria_columns("hotspots", "x")
    (['innvandrere_rate'], ['x'])
    """
    if isinstance(select, str):
        select = parse_rule(select)
    names: list[str] = []
    if isinstance(select, str):
        names.append((score or INDEX) if select == HOTSPOTS else select)
    elif isinstance(select, tuple) and select and isinstance(select[0], str):
        names.append(select[0])
    if score is not None:
        names.append(score)
    return list(dict.fromkeys(names))


def _default_priority(items: Items) -> npt.NDArray[np.float64]:
    if INDEX in items.frame.columns:
        return items.column(INDEX)
    return np.full(items.n, np.nan)
