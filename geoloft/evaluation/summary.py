"""The evaluation in words: the closing note and the notes, bokmål or English."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from geoloft.evaluation._panel import INDICATOR
from geoloft.evaluation._result import Evaluation
from geoloft.evaluation._text import shown, word
from geoloft.labels import format_number

__all__ = ["closing_note", "note_lines"]


def num(value: object, decimals: int, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (int, float, np.floating, np.integer)):
        return format_number(float(value), decimals=decimals, lang=lang)
    return str(value)


def p_value(value: float, lang: str) -> str:
    if not np.isfinite(value):
        return "–"
    return format_number(value, decimals=3 if value >= 0.001 else 4, lang=lang)


def interval(low: float, high: float, lang: str) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "–"
    return f"{num(low, 2, lang)} {word('to', lang)} {num(high, 2, lang)}"


def label(result: Evaluation, ind: str) -> str:
    return result.labels.get(ind, ind)


def pretrend_text(result: Evaluation, ind: str, lang: str) -> str:
    row = result.pretrend[result.pretrend[INDICATOR] == ind].iloc[0]
    if not row["df"]:
        return word("pretrend_none", lang)
    key = "pretrend_ok" if row["p"] >= 1 - result.level else "pretrend_bad"
    return word(key, lang, p=p_value(float(row["p"]), lang))


def note_lines(result: Evaluation, *, lang: str = "nb") -> list[str]:
    """Return the evaluation's notes as sentences in ``lang``.

    Parameters
    ----------
    result
        An evaluation.
    lang
        ``"nb"`` or ``"en"``.

    Returns
    -------
    list of str
        One sentence per note; indicator ids are replaced by their labels.
    """
    out = []
    for key, fields in result.notes:
        shown_fields = dict(fields)
        if "indicator" in shown_fields:
            shown_fields["indicator"] = label(result, str(shown_fields["indicator"]))
        out.append(word(key, lang, **shown_fields))
    return out


def _synthetic(row: pd.Series, lang: str) -> str:
    p = row.get("p_synthetic")
    if p is None or not np.isfinite(p):
        return ""
    return f", {word('p_synthetic', lang)} {p_value(float(p), lang)}"


def closing_note(result: Evaluation, *, lang: str = "nb") -> list[str]:
    """Return the main numbers in plain lines: estimates, intervals, pre-trend, placebo.

    Parameters
    ----------
    result
        An evaluation.
    lang
        ``"nb"`` or ``"en"``.

    Returns
    -------
    list of str
        One line per indicator and phase, then its pre-trend and placebo lines.
    """
    lines = []
    for ind, rows in result.estimates.groupby(INDICATOR, sort=False):
        ind = str(ind)
        unit = word(f"unit_{result.scales[ind]}", lang)
        scale = result.scales[ind]
        for _, raw in rows.iterrows():
            r = raw.copy()
            for c in ("estimate", "low", "high"):
                r[c] = shown(float(raw[c]), scale)
            lines.append(
                f"{label(result, ind)} – {word(str(r['effect']), lang).lower()}: "
                f"{num(r['estimate'], 2, lang)} {unit} "
                f"({interval(r['low'], r['high'], lang)}); "
                f"{word('p_boot', lang)} {p_value(r['p_boot'], lang)}, "
                f"{word('p_perm', lang)} {p_value(r['p_perm'], lang)}, "
                f"{word('placebo_size', lang).lower()} {num(100 * r['placebo_size'], 0, lang)} %"
                + _synthetic(r, lang)
            )
        lines.append(f"  {word('pretrend', lang)}: {pretrend_text(result, ind, lang)}")
        fake = result.placebo
        if len(fake):
            fake = fake[fake[INDICATOR] == ind]
        for _, raw in fake.iterrows():
            r = raw.copy()
            for c in ("estimate", "low", "high"):
                r[c] = shown(float(raw[c]), scale)
            lines.append(
                "  "
                + word("placebo_years", lang)
                + ": "
                + word(
                    "placebo_line",
                    lang,
                    year=int(r["fake_start"]),
                    estimate=num(r["estimate"], 2, lang),
                    interval=interval(r["low"], r["high"], lang),
                    p=p_value(r["p_boot"], lang),
                )
            )
    lines += [f"  {n}" for n in note_lines(result, lang=lang)]
    return lines
