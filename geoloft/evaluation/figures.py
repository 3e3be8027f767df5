"""Charts and the change map of an evaluation (matplotlib, loaded lazily)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from geoloft.columns import AREA_ID, NAME
from geoloft.evaluation._panel import INDICATOR, YEAR
from geoloft.evaluation._text import shown, word
from geoloft.labels import format_number

if TYPE_CHECKING:
    from geoloft.evaluation.core import Evaluation

__all__ = ["change_map", "small_multiples", "trend_chart"]

#: ColorBrewer PRGn (purple-green), six classes: a diverging scheme without a
#: good/bad reading, since a rise is good for some indicators and bad for others.
DIVERGING: Final = ("#762a83", "#af8dc3", "#e7d4e8", "#d9f0d3", "#7fbf7b", "#1b7837")
INTERVENTION: Final = "#b2182b"
COMPARISON: Final = "#2166ac"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _unit(result: Evaluation, ind: str, lang: str) -> str:
    return word(f"unit_{result.scales[ind]}", lang)


def _shade(ax: Any, result: Evaluation, lang: str) -> None:
    prog = result.programme
    ax.axvspan(
        prog.start, prog.end, color="#dddddd", alpha=0.6, lw=0, label=word("programme", lang)
    )


def _label(result: Evaluation, ind: str) -> str:
    return result.labels.get(ind, ind)


def trend_chart(result: Evaluation, indicator: str, path: Path, *, lang: str = "nb") -> Path:
    """Group paths (top) and yearly effects with intervals (bottom), period shaded."""
    plt = _pyplot()
    series = result.series[result.series[INDICATOR] == indicator]
    es = result.event_study[result.event_study[INDICATOR] == indicator]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 6.5), sharex=True)
    _shade(top, result, lang)
    for group, colour in (("intervention", INTERVENTION), ("comparison", COMPARISON)):
        s = series[series["group"] == group]
        top.plot(s[YEAR], s["value"], marker="o", color=colour, label=word(group, lang))
    top.set_ylabel(
        word("index_axis", lang) if result.scales[indicator] == "log" else word("level_axis", lang)
    )
    top.set_title(_label(result, indicator))
    top.legend(frameon=False, fontsize=8)
    _shade(bottom, result, lang)
    bottom.axhline(0, color="black", lw=0.8)
    scale = result.scales[indicator]
    e, lo, hi = (shown(es[c].to_numpy(np.float64), scale) for c in ("estimate", "low", "high"))
    yerr = np.clip(np.vstack([e - lo, hi - e]), 0, None)
    bottom.errorbar(
        es[YEAR], e, yerr=yerr, fmt="o", color=INTERVENTION, ecolor="#777777", capsize=3
    )
    unit = _unit(result, indicator, lang)
    bottom.set_ylabel(word("effect_axis", lang, unit=unit))
    bottom.set_xlabel(word("year", lang))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def small_multiples(result: Evaluation, indicator: str, path: Path, *, lang: str = "nb") -> Path:
    """One small chart per intervention area: its path against the comparison path."""
    plt = _pyplot()
    treated = list(result.programme.treated)
    panel = result.panel[result.panel[INDICATOR] == indicator]
    comp = result.series[
        (result.series[INDICATOR] == indicator) & (result.series["group"] == "comparison")
    ]
    log = result.scales[indicator] == "log"
    n = len(treated)
    cols = min(n, 4)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(2.6 * cols, 2.3 * rows), sharex=True, sharey=True, squeeze=False
    )
    names = _names(result)
    for ax, area in zip(axes.flat, treated, strict=False):
        own = panel[panel[AREA_ID] == area].sort_values(YEAR)
        values = own["value"].to_numpy()
        if log:
            values = 100.0 * np.exp(values - values[0])
        _shade(ax, result, lang)
        ax.plot(own[YEAR], values, color=INTERVENTION, marker=".")
        ax.plot(comp[YEAR], comp["value"], color=COMPARISON, lw=1)
        ax.set_title(names.get(area, area), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(_label(result, indicator), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _names(result: Evaluation) -> dict[str, str]:
    if result.areas is None or NAME not in result.areas:
        return {}
    return dict(zip(result.areas[AREA_ID].astype(str), result.areas[NAME].astype(str), strict=True))


def diverging_breaks(values: np.ndarray) -> np.ndarray:
    """Five inner breaks symmetric about 0 for six classes (0 is a break)."""
    top = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    step = top / 3 if top > 0 else 1.0
    return np.array([-2 * step, -step, 0.0, step, 2 * step])


def change_map(
    result: Evaluation, indicator: str, path: Path, *, phase: str = "after", lang: str = "nb"
) -> Path | None:
    """Map of each area's change relative to the comparison, in diverging classes."""
    if result.areas is None:
        return None
    plt = _pyplot()
    from matplotlib.patches import Patch

    ch = result.changes[result.changes[INDICATOR] == indicator].set_index(AREA_ID)
    col = f"relative_{phase}"
    if ch[col].isna().all():
        phase, col = "during", "relative_during"
    areas = result.areas.assign(_v=result.areas[AREA_ID].astype(str).map(ch[col]))
    breaks = diverging_breaks(areas["_v"].to_numpy(np.float64))
    cls = np.digitize(areas["_v"].to_numpy(np.float64), breaks)
    colours = np.array(DIVERGING)[np.clip(cls, 0, 5)]
    colours = np.where(areas["_v"].isna(), "#ffffff", colours)
    fig, ax = plt.subplots(figsize=(9, 6.5))
    areas.plot(ax=ax, color=colours, edgecolor="#555555", linewidth=0.4)
    treated = areas[areas[AREA_ID].astype(str).isin(result.programme.treated)]
    treated.boundary.plot(ax=ax, color="black", linewidth=1.6)
    ax.set_axis_off()
    unit = _unit(result, indicator, lang)
    comparison = word(f"comparison_{_method(result, indicator)}", lang)
    ax.set_title(
        f"{_label(result, indicator)}\n"
        + word("change_map", lang, phase=word(f"phase_{phase}", lang), comparison=comparison),
        fontsize=9,
    )
    edges = [-np.inf, *breaks, np.inf]
    handles = []
    for k in range(6):
        low, high = edges[k], edges[k + 1]
        text = _range_text(low, high, lang)
        handles.append(Patch(facecolor=DIVERGING[k], edgecolor="#555555", label=text))
    handles.append(Patch(facecolor="white", edgecolor="#555555", label=word("missing_area", lang)))
    handles.append(
        Patch(facecolor="white", edgecolor="black", lw=1.6, label=word("intervention", lang))
    )
    ax.legend(
        handles=handles,
        title=unit,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        title_fontsize=8,
        frameon=False,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _range_text(low: float, high: float, lang: str) -> str:
    if not np.isfinite(low):
        return f"< {format_number(high, decimals=1, lang=lang)}"
    if not np.isfinite(high):
        return f"≥ {format_number(low, decimals=1, lang=lang)}"
    low_text = format_number(low, decimals=1, lang=lang)
    return f"{low_text} – {format_number(high, decimals=1, lang=lang)}"


def _method(result: Evaluation, indicator: str) -> str:
    est = result.estimates
    rows = est[est[INDICATOR] == indicator]
    return str(rows["comparison"].iloc[0]) if len(rows) else "rest"


def plot_all(result: Evaluation, folder: Path, *, lang: str = "nb") -> dict[str, list[Path]]:
    """Write every chart and map for every indicator; return the files per indicator."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[Path]] = {}
    for ind in pd.unique(result.estimates[INDICATOR]):
        ind = str(ind)
        files = [
            trend_chart(result, ind, folder / f"trend_{ind}.png", lang=lang),
            small_multiples(result, ind, folder / f"areas_{ind}.png", lang=lang),
        ]
        m = change_map(result, ind, folder / f"change_map_{ind}.png", lang=lang)
        if m is not None:
            files.append(m)
        out[ind] = files
    return out
