"""Publish an evaluation: tables (CSV, GeoPackage), figures, the "Utvikling" section."""

from __future__ import annotations

import base64
import json
import math
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoloft.columns import AREA_ID, NAME
from geoloft.evaluate._panel import INDICATOR
from geoloft.evaluate._publish import publish
from geoloft.evaluate._text import shown, word
from geoloft.evaluate.core import Evaluation
from geoloft.labels import format_number

__all__ = ["closing_note", "note_lines", "render_section", "write_evaluation"]

_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;"
    "color:#222}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1rem}"
    "th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:right}"
    "th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:600}"
    "img{max-width:100%}.note{color:#555;font-size:.9rem}.wide{overflow-x:auto}"
)


def _num(value: object, decimals: int, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (int, float, np.floating, np.integer)):
        return format_number(float(value), decimals=decimals, lang=lang)
    return str(value)


def _p(value: float, lang: str) -> str:
    if not np.isfinite(value):
        return "–"
    return format_number(value, decimals=3 if value >= 0.001 else 4, lang=lang)


def _interval(low: float, high: float, lang: str) -> str:
    return f"{_num(low, 2, lang)} – {_num(high, 2, lang)}"


def _label(result: Evaluation, ind: str) -> str:
    return result.labels.get(ind, ind)


def _pretrend_text(result: Evaluation, ind: str, lang: str) -> str:
    row = result.pretrend[result.pretrend[INDICATOR] == ind].iloc[0]
    if not row["df"]:
        return word("pretrend_none", lang)
    key = "pretrend_ok" if row["p"] >= 1 - result.level else "pretrend_bad"
    return word(key, lang, p=_p(float(row["p"]), lang))


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
            shown_fields["indicator"] = _label(result, str(shown_fields["indicator"]))
        out.append(word(key, lang, **shown_fields))
    return out


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
                f"{_label(result, ind)} – {word(str(r['effect']), lang).lower()}: "
                f"{_num(r['estimate'], 2, lang)} {unit} "
                f"({_interval(r['low'], r['high'], lang)}); "
                f"{word('p_boot', lang)} {_p(r['p_boot'], lang)}, "
                f"{word('p_perm', lang)} {_p(r['p_perm'], lang)}, "
                f"{word('placebo_size', lang).lower()} {_num(100 * r['placebo_size'], 0, lang)} %"
            )
        lines.append(f"  {word('pretrend', lang)}: {_pretrend_text(result, ind, lang)}")
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
                    estimate=_num(r["estimate"], 2, lang),
                    interval=_interval(r["low"], r["high"], lang),
                    p=_p(r["p_boot"], lang),
                )
            )
    lines += [f"  {n}" for n in note_lines(result, lang=lang)]
    return lines


def _html_table(frame: pd.DataFrame, caption: str, lang: str) -> str:
    head = "".join(f"<th scope='col'>{escape(str(c))}</th>" for c in frame.columns)
    body = []
    for _, row in frame.iterrows():
        cells = [
            f"<td>{escape(_num(v, 2 if isinstance(v, float) else 0, lang))}</td>"
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
            word("indicator", lang): [_label(result, str(i)) for i in est[INDICATOR]],
            word("effect", lang): [word(str(e), lang) for e in est["effect"]],
            word("estimate", lang): est["estimate"].to_numpy(),
            word("unit", lang): [
                word(f"unit_{result.scales[str(i)]}", lang) for i in est[INDICATOR]
            ],
            word("interval", lang): [
                _interval(lo, hi, lang) for lo, hi in zip(est["low"], est["high"], strict=True)
            ],
            word("p_boot", lang): [_p(v, lang) for v in est["p_boot"]],
            word("p_perm", lang): [_p(v, lang) for v in est["p_perm"]],
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
        level=_num(100 * result.level, 0, lang),
    )
    published = changes if changes is not None else publish(result)["changes"]
    parts = [
        f'<section id="utvikling"><h2>{escape(word("section", lang))}</h2>',
        f"<p>{escape(intro)}</p>",
        _html_table(_estimates_table(result, lang), word("table_estimates", lang), lang),
    ]
    for ind in pd.unique(result.estimates[INDICATOR]):
        ind = str(ind)
        parts.append(f"<h3>{escape(_label(result, ind))}</h3>")
        parts.append(
            f"<p>{escape(word('pretrend', lang))}: {escape(_pretrend_text(result, ind, lang))}</p>"
        )
        for path in (figures or {}).get(ind, []):
            parts.append(_img(path, f"{_label(result, ind)}: {path.stem}"))
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


def _gpkg_layers(result: Evaluation, changes: pd.DataFrame) -> dict[str, Any]:
    import geopandas as gpd

    if result.areas is None:
        return {}
    geo = result.areas[[AREA_ID, result.areas.geometry.name]].assign(
        **{AREA_ID: result.areas[AREA_ID].astype(str)}
    )
    layers: dict[str, Any] = {}
    for ind, rows in changes.groupby(INDICATOR, sort=False):
        merged = geo.merge(rows.drop(columns=[INDICATOR]), on=AREA_ID, how="inner")
        layers[f"change_{ind}"] = gpd.GeoDataFrame(
            merged, geometry=geo.geometry.name, crs=result.areas.crs
        )
    return layers


def write_evaluation(
    result: Evaluation,
    folder: str | Path,
    *,
    lang: str = "nb",
    overwrite: bool = False,
    threshold: int | None = None,
    figures: bool = True,
) -> dict[str, Path]:
    """Write an evaluation's tables, figures, change maps and report section.

    Parameters
    ----------
    result
        An evaluation.
    folder
        Output folder (made if missing).
    lang
        ``"nb"`` or ``"en"``: the language of charts and the report section.
    overwrite
        Replace existing files.
    threshold
        Disclosure threshold (persons) for the published counts; the
        disclosure module's default when ``None``.
    figures
        Draw charts and maps (matplotlib).

    Returns
    -------
    dict
        Name -> written file: one CSV per table, ``evaluate.gpkg`` (one
        ``change_<indicator>`` layer per indicator, with every number),
        ``utvikling.html`` (the section as a page) and ``evaluate.json``.

    Raises
    ------
    OutputExistsError
        If a file exists and ``overwrite`` is false.
    """
    return write_all(
        result,
        Path(folder),
        lang=lang,
        overwrite=overwrite,
        threshold=threshold,
        figures=figures,
    )[0]


def write_all(
    result: Evaluation,
    folder: Path,
    *,
    lang: str,
    overwrite: bool,
    threshold: int | None,
    figures: bool,
) -> tuple[dict[str, Path], str]:
    """Write everything; return the files and the report section (figures inlined)."""
    from geoloft.export import write, write_layers

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    tables = publish(result, threshold=threshold)
    written: dict[str, Path] = {}
    for name, frame in tables.items():
        written[name] = write(frame, out / f"{name}.csv", overwrite=overwrite)
    layers = _gpkg_layers(result, tables["changes"])
    if layers:
        written["gpkg"] = write_layers(layers, out / "evaluate.gpkg", overwrite=overwrite)
    pictures: dict[str, list[Path]] = {}
    if figures:
        from geoloft.evaluate.figures import plot_all

        pictures = plot_all(result, out / "figures", lang=lang)
    section = render_section(result, lang=lang, figures=pictures, changes=tables["changes"])
    page = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(word('section', lang))}</title><style>{_CSS}</style></head>"
        f"<body><main>{section}</main></body></html>\n"
    )
    written["html"] = _write_text(out / "utvikling.html", page, overwrite)
    summary = {
        "programme": {
            "treated": list(result.programme.treated),
            "start": result.programme.start,
            "end": result.programme.end,
        },
        "closing_note": closing_note(result, lang=lang),
        "estimates": json.loads(result.estimates.to_json(orient="records")),
        "notes": note_lines(result, lang=lang),
    }
    written["json"] = _write_text(
        out / "evaluate.json", json.dumps(summary, ensure_ascii=False, indent=2), overwrite
    )
    return written, section


def _write_text(path: Path, content: str, overwrite: bool) -> Path:
    from geoloft._io import atomic_path

    with atomic_path(path, overwrite=overwrite) as tmp:
        Path(tmp).write_text(content, encoding="utf-8")
    return path
