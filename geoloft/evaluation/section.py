"""The report's "Utvikling" section as HTML (every text escaped, figures inlined)."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from geoloft.columns import AREA_ID, NAME
from geoloft.evaluation._panel import INDICATOR
from geoloft.evaluation._publish import publish
from geoloft.evaluation._result import Evaluation
from geoloft.evaluation._text import shown, word
from geoloft.evaluation.summary import interval, label, note_lines, num, p_value, pretrend_text

__all__ = ["CSS", "render_section"]

CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;"
    "color:#222}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1rem}"
    "th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:right}"
    "th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:600}"
    "img{max-width:100%}.note{color:#555;font-size:.9rem}.wide{overflow-x:auto}"
)


def _html_table(frame: pd.DataFrame, caption: str, lang: str) -> str:
    head = "".join(f"<th scope='col'>{escape(str(c))}</th>" for c in frame.columns)
    body = []
    for _, row in frame.iterrows():
        cells = [
            f"<td>{escape(num(v, 2 if isinstance(v, float) else 0, lang))}</td>"
            for v in row.to_numpy()
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="wide"><table><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _estimates_table(result: Evaluation, lang: str) -> pd.DataFrame:
    est = result.estimates.copy()
    scale = est[INDICATOR].astype(str).map(result.scales).to_numpy()
    for c in ("estimate", "low", "high"):
        est[c] = np.where(scale == "log", shown(est[c].to_numpy(np.float64), "log"), est[c])
    return pd.DataFrame(
        {
            word("indicator", lang): [label(result, str(i)) for i in est[INDICATOR]],
            word("effect", lang): [word(str(e), lang) for e in est["effect"]],
            word("estimate", lang): est["estimate"].to_numpy(),
            word("unit", lang): [
                word(f"unit_{result.scales[str(i)]}", lang) for i in est[INDICATOR]
            ],
            word("interval", lang): [
                interval(lo, hi, lang) for lo, hi in zip(est["low"], est["high"], strict=True)
            ],
            word("p_boot", lang): [p_value(v, lang) for v in est["p_boot"]],
            word("p_perm", lang): [p_value(v, lang) for v in est["p_perm"]],
        }
    )


def _balance_html(result: Evaluation, ind: str, lang: str) -> str:
    """Balance table; counts analysed as logs are shown as persons and per cent a year."""
    bal = result.balance[result.balance[INDICATOR] == ind].set_index("measure")
    groups = bal[["intervention", "comparison"]].astype(np.float64).copy()
    names = {m: word(str(m), lang) for m in bal.index}
    if result.scales[ind] == "log":
        if "level" in groups.index:
            groups.loc["level"] = np.exp(groups.loc["level"])
        if "trend" in groups.index:
            groups.loc["trend"] = 100.0 * np.expm1(groups.loc["trend"])
            names["trend"] = word("trend_pct", lang)
    view = pd.DataFrame(
        {
            word("measure", lang): [names[m] for m in bal.index],
            word("intervention", lang): groups["intervention"].to_numpy(),
            word("comparison", lang): groups["comparison"].to_numpy(),
            word("std_difference", lang): bal["std_difference"].to_numpy(),
        }
    )
    return _html_table(view, word("table_balance", lang), lang)


def _changes_table(changes: pd.DataFrame, ind: str, lang: str) -> pd.DataFrame:
    ch = changes[changes[INDICATOR] == ind]
    ch = ch[ch["group"] == "intervention"]
    cols = [
        c
        for c in (
            "before",
            "during",
            "after",
            "change_during",
            "change_after",
            "relative_during",
            "relative_after",
            "pop_before",
            "pop_after",
            "pop_change_pct",
            "children_before",
            "children_after",
            "elderly_before",
            "elderly_after",
        )
        if c in ch
    ]
    names = ch[NAME] if NAME in ch else ch[AREA_ID]
    out = pd.DataFrame({word("area", lang): names.to_numpy()})
    for c in cols:
        out[word(c, lang)] = ch[c].to_numpy()
    return out


def render_section(
    result: Evaluation,
    *,
    lang: str = "nb",
    figures: dict[str, list[Path]] | None = None,
    changes: pd.DataFrame | None = None,
) -> str:
    """Return the report's "Utvikling" section as an HTML fragment.

    Parameters
    ----------
    result
        An evaluation.
    lang
        ``"nb"`` or ``"en"``.
    figures
        Chart files per indicator (from :func:`write_evaluation`), inlined.
    changes
        The published (disclosure-controlled) changes table; by default
        ``result.changes`` after disclosure control.

    Returns
    -------
    str
        ``<section id="utvikling">…</section>``, every text escaped.
    """
    prog = result.programme
    names = {}
    if result.areas is not None and NAME in result.areas:
        names = dict(zip(result.areas[AREA_ID].astype(str), result.areas[NAME], strict=True))
    method = str(result.estimates["comparison"].iloc[0]) if len(result.estimates) else "rest"
    intro = word(
        "intro",
        lang,
        treated=", ".join(str(names.get(t, t)) for t in prog.treated),
        start=prog.start,
        end=prog.end,
        comparison=word(f"comparison_{method}", lang),
        level=num(100 * result.level, 0, lang),
    )
    published = changes if changes is not None else publish(result)["changes"]
    parts = [
        f'<section id="utvikling"><h2>{escape(word("section", lang))}</h2>',
        f"<p>{escape(intro)}</p>",
        _html_table(_estimates_table(result, lang), word("table_estimates", lang), lang),
    ]
    for ind in pd.unique(result.estimates[INDICATOR]):
        ind = str(ind)
        parts.append(f"<h3>{escape(label(result, ind))}</h3>")
        parts.append(
            f"<p>{escape(word('pretrend', lang))}: {escape(pretrend_text(result, ind, lang))}</p>"
        )
        for path in (figures or {}).get(ind, []):
            parts.append(_img(path, f"{label(result, ind)}: {path.stem}"))
        parts.append(
            _html_table(_changes_table(published, ind, lang), word("table_changes", lang), lang)
        )
        parts.append(_balance_html(result, ind, lang))
    notes = [
        word("population_note", lang),
        word("cannot_show", lang),
        *note_lines(result, lang=lang),
    ]
    parts.append(
        f"<h3>{escape(word('notes', lang))}</h3><ul>"
        + "".join(f"<li class='note'>{escape(n)}</li>" for n in notes)
        + "</ul>"
    )
    parts.append("</section>")
    return "\n".join(parts)
