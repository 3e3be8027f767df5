"""Plain-language explanations of scores: which indicators drive an area's result.

Bokmål by default (``"lavinntekt 2,1× byens snitt"``), English on request;
numbers are written the Norwegian way (decimal comma, space between
thousands) in bokmål.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from geoloft import labels
from geoloft.score._prepare import CatalogueLike, resolve_catalogue

__all__ = ["explain", "format_number"]

#: How the reference is named when it is the table's own (pooled) average.
REFERENCE_LABEL = {"nb": "byens snitt", "en": "the city average"}
#: How a reference passed by the caller is named by default.
GIVEN_LABEL = {"nb": "referansen", "en": "the reference"}
_NONE_WORSE = {"nb": "ingen indikator verre enn snittet", "en": "no indicator worse than average"}


def format_number(value: float, decimals: int = 1, *, lang: str = "nb") -> str:
    """Format a number as :func:`geoloft.labels.format_number` does, with ``"–"`` for none.

    Parameters
    ----------
    value
        The number; NaN, infinity and ``None`` give ``"–"``.
    decimals
        Digits after the decimal sign.
    lang
        ``"nb"`` (``1 234,5``, with a no-break space, and U+2212 as minus sign) or
        ``"en"`` (``1,234.5``).

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(2.14)
    '2,1'
    >>> format_number(12345.678, 0, lang="en")
    '12,346'
    """
    if value is None or not math.isfinite(value):
        return "–"
    return labels.format_number(value, decimals=decimals, lang=lang)


def _lower_first(label: str) -> str:
    """``"Bare grunnskole"`` -> ``"bare grunnskole"``; acronyms (``"EU60"``) stay."""
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def _ratio_text(ratio: float, lang: str) -> str:
    """One decimal, or two when one would print a misleading ``1,0``."""
    return format_number(ratio, 2 if round(ratio, 1) == 1.0 else 1, lang=lang)


def driver_texts(
    rates: np.ndarray,
    ref: np.ndarray,
    flags: np.ndarray,
    *,
    labels: list[str],
    signs: np.ndarray,
    weights: np.ndarray,
    lang: str = "nb",
    top: int = 3,
    reference_label: str | None = None,
) -> list[str]:
    """Explanations from arrays: rates (n, m) and ref (m,) in the same units.

    Indicators worse than the reference are listed, flagged ones first, then by
    weight × |log ratio|, at most ``top`` of them.
    """
    ref_label = reference_label or REFERENCE_LABEL[lang]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = rates / ref
        badness = np.log(ratio) * signs * weights
    badness = np.where(np.isfinite(badness) & (badness > 0), badness, np.nan)
    key = np.where(np.isnan(badness), -np.inf, badness + 1e6 * np.nan_to_num(flags))
    order = np.argsort(-key, axis=1, kind="stable")[:, :top]
    names = [_lower_first(x) for x in labels]
    texts = []
    for i, cols in enumerate(order):
        parts = [
            f"{names[j]} {_ratio_text(ratio[i, j], lang)}× {ref_label}"
            for j in cols
            if not np.isnan(badness[i, j])
        ]
        texts.append("; ".join(parts) if parts else _NONE_WORSE[lang])
    return texts


def explain(
    scores: pd.DataFrame,
    catalogue: CatalogueLike = None,
    *,
    lang: str = "nb",
    top: int = 3,
    reference_label: str | None = None,
) -> pd.Series:
    """Say in plain words which indicators drive each area's result.

    Parameters
    ----------
    scores
        Output of :func:`geoloft.score.score_areas`: the ``<id>_rate`` and
        ``<id>_flag`` columns and the reference in ``attrs["reference"]``
        (indicator id -> rate in the indicator's unit).
    catalogue
        The catalogue the scores were made with; ``None`` is the default one.
        Only indicators with a ``<id>_rate`` column and not context-only are used.
    lang
        ``"nb"`` or ``"en"``.
    top
        At most this many indicators per area.
    reference_label
        How to name the reference (``"landssnittet"``); by default ``"byens
        snitt"`` / ``"the city average"``.

    Returns
    -------
    pandas.Series
        One text per area, aligned to ``scores``; areas that were not scored
        get their ``status`` instead.

    Examples
    --------
    >>> from geoloft.indicators import Indicator
    >>> ind = Indicator("li", "Lavinntekt", "Low income", value="li", domain="income")
    >>> s = pd.DataFrame({"area_id": ["1"], "status": ["ok"], "li_rate": [21.0],
    ...                   "li_flag": [True]})
    >>> s.attrs["reference"] = {"li": 10.0}
    >>> explain(s, [ind]).iloc[0]
    'lavinntekt 2,1× byens snitt'
    """
    cat, _ = resolve_catalogue(catalogue)
    used = [i for i in cat if f"{i.id}_rate" in scores.columns and not i.context_only]
    ref_map = scores.attrs.get("reference", {})
    missing = [i.id for i in used if i.id not in ref_map]
    if not used or missing:
        raise ValueError(
            f"scores lack rates or reference values for {', '.join(missing) or 'all indicators'};"
            " pass the output of score_areas made with this catalogue"
        )
    flags = [scores.get(f"{i.id}_flag", pd.Series(np.nan, index=scores.index)) for i in used]
    texts = driver_texts(
        np.column_stack([scores[f"{i.id}_rate"].to_numpy(dtype=float) for i in used]),
        np.array([float(ref_map[i.id]) for i in used]),
        np.column_stack(
            [f.astype("Float64").to_numpy(dtype=float, na_value=np.nan) for f in flags]
        ),
        labels=[i.label(lang) for i in used],
        signs=np.array([float(i.sign) for i in used]),
        weights=np.array([float(i.weight) for i in used]),
        lang=lang,
        top=top,
        reference_label=reference_label,
    )
    out = pd.Series(texts, index=scores.index, dtype=object, name="explanation")
    if "status" in scores.columns:
        ok = scores["status"].isin(["ok"]).to_numpy()
        out = out.where(ok, scores["status"].astype(object))
    return out
