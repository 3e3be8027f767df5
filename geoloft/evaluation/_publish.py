"""The one place where the evaluation's published counts meet disclosure control.

Every table :func:`geoloft.evaluation.write_evaluation` writes goes through
:func:`publish`: an area whose smallest yearly count (the denominator of a
rate, the persons of a count, its population) is under the threshold has its
levels, counts and changes withheld by :func:`geoloft.disclosure.suppress`.
Group figures (estimates, event study, balance) are made from many areas and
are published as they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoloft.columns import AREA_ID
from geoloft.disclosure import DEFAULT_THRESHOLD, suppress
from geoloft.evaluation._panel import DENOMINATOR, INDICATOR, NUMERATOR
from geoloft.evaluation.core import Evaluation

_SMALLEST = "smallest_count"
RAW = "raw_value"


def _count(panel: pd.DataFrame, scales: dict[str, str]) -> pd.Series:
    """Per area-year: the count that decides disclosure (inf for non-count values)."""
    scale = panel[INDICATOR].map(scales)
    return pd.Series(
        np.where(
            scale == "percent", panel[DENOMINATOR], np.where(scale == "log", panel[RAW], np.inf)
        ),
        index=panel.index,
        dtype=np.float64,
    )


def publish(result: Evaluation, *, threshold: int | None = None) -> dict[str, pd.DataFrame]:
    """Return the tables to publish, with small areas' figures withheld."""
    limit = DEFAULT_THRESHOLD if threshold is None else threshold
    panel = result.panel.copy()
    panel[_SMALLEST] = _count(panel, result.scales)
    smallest = panel.groupby([INDICATOR, AREA_ID])[_SMALLEST].min()
    changes = result.changes.copy()
    key = pd.MultiIndex.from_frame(changes[[INDICATOR, AREA_ID]])
    changes[_SMALLEST] = smallest.reindex(key).to_numpy()
    pops = [c for c in ("pop_before", "pop_after") if c in changes]
    if pops:
        changes[_SMALLEST] = np.fmin(changes[_SMALLEST], changes[pops].min(axis=1))
    hidden = [
        c for c in changes.columns if c not in (INDICATOR, AREA_ID, "name", "group", _SMALLEST)
    ]
    changes = suppress(changes, columns=hidden, pop=_SMALLEST, threshold=limit)
    panel = suppress(
        panel, columns=["value", NUMERATOR, DENOMINATOR, RAW], pop=_SMALLEST, threshold=limit
    )
    tables = {
        "changes": changes.drop(columns=[_SMALLEST]),
        "panel": panel.drop(columns=[_SMALLEST]),
        "series": result.series,
        "estimates": result.estimates,
        "event_study": result.event_study,
        "pretrend": result.pretrend,
        "placebo": result.placebo,
        "balance": result.balance,
        "matches": result.matches,
    }
    return {k: v for k, v in tables.items() if len(v.columns)}
