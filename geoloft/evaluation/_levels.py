"""Per-area levels and changes, group paths and population beside the rates."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from geoloft.columns import AREA_ID
from geoloft.evaluation._groups import Group
from geoloft.evaluation._panel import (
    DENOMINATOR,
    INDICATOR,
    NUMERATOR,
    POP_CHILDREN,
    POP_ELDERLY,
    POP_TOT,
    VALUE,
    YEAR,
    Programme,
    level,
)


def _area_levels(part: pd.DataFrame, prog: Programme, base: list[int], scale: str) -> pd.DataFrame:
    phase = prog.phase(part[YEAR])
    phase[part[YEAR].isin(base)] = "before"
    phase[(phase == "before") & ~part[YEAR].isin(base)] = "unused"
    frame = part.assign(phase=phase.to_numpy())
    rows = []
    for (area, ph), g in frame.groupby([AREA_ID, "phase"], sort=True):
        rows.append(
            {
                AREA_ID: area,
                "phase": ph,
                "level": level(g, scale),
                "numerator": g[NUMERATOR].sum(min_count=1),
                "denominator": g[DENOMINATOR].sum(min_count=1),
                "value": g[VALUE].mean(),
            }
        )
    return pd.DataFrame(rows)


def _change(after: pd.Series, before: pd.Series, scale: str) -> pd.Series:
    if scale == "log":
        return 100.0 * (after / before - 1.0)
    return after - before


def area_changes(
    part: pd.DataFrame, prog: Programme, result: Mapping[str, Any], scale: str
) -> pd.DataFrame:
    ind = str(part[INDICATOR].iloc[0])
    group: Group = result["group"]
    lv = _area_levels(part, prog, result["base"], scale)
    wide = lv.pivot(index=AREA_ID, columns="phase", values="level")
    out = pd.DataFrame(index=wide.index)
    out.insert(0, INDICATOR, ind)
    out["group"] = np.where(
        out.index.isin(prog.treated),
        "intervention",
        np.where(out.index.isin(group.weights.index), "comparison", "other"),
    )
    for ph in ("before", "during", "after"):
        out[ph] = wide.get(ph, np.nan)
        if scale == "percent":
            counts = lv[lv["phase"] == ph].set_index(AREA_ID)
            out[f"numerator_{ph}"] = counts["numerator"]
            out[f"denominator_{ph}"] = counts["denominator"]
    w = group.weights
    for ph in ("during", "after"):
        change = _change(out[ph], out["before"], scale)
        out[f"change_{ph}"] = change
        comp = float((change.reindex(w.index) * w).sum(min_count=1))
        out[f"relative_{ph}"] = change - comp
    return out.reset_index()


def group_paths(part: pd.DataFrame, prog: Programme, group: Group, scale: str) -> pd.DataFrame:
    ind = str(part[INDICATOR].iloc[0])
    t = part[part[AREA_ID].isin(prog.treated)].groupby(YEAR)["y"].mean()
    c = part[part[AREA_ID].isin(group.weights.index)].copy()
    c["wy"] = c["y"] * c[AREA_ID].map(group.weights)
    c["ww"] = c[AREA_ID].map(group.weights).where(c["y"].notna())
    cy = c.groupby(YEAR)["wy"].sum() / c.groupby(YEAR)["ww"].sum()
    frame = pd.DataFrame({"intervention": t, "comparison": cy})
    if scale == "log":
        frame = (frame - frame.iloc[0]).apply(np.exp) * 100.0
    frame = (
        frame.rename_axis(YEAR)
        .reset_index()
        .melt(id_vars=YEAR, var_name="group", value_name="value")
    )
    frame.insert(0, INDICATOR, ind)
    return frame


def population_columns(
    population: pd.DataFrame, prog: Programme, base_years: Collection[int]
) -> pd.DataFrame:
    pop = population.copy()
    phase = prog.phase(pop[YEAR])
    first = int(min(base_years))
    phase[(phase == "before") & (pop[YEAR] < first)] = "unused"
    pop["phase"] = phase.to_numpy()
    agg = pop.groupby([AREA_ID, "phase"]).mean(numeric_only=True)
    out = pd.DataFrame(index=pop[AREA_ID].unique())
    for ph in ("before", "after"):
        sel = agg.xs(ph, level="phase") if ph in agg.index.get_level_values(1) else None
        if sel is None:
            continue
        out[f"pop_{ph}"] = sel[POP_TOT]
        for col, name in ((POP_CHILDREN, "children"), (POP_ELDERLY, "elderly")):
            if col in sel:
                out[f"{name}_{ph}"] = 100.0 * sel[col] / sel[POP_TOT]
    if "pop_after" in out and "pop_before" in out:
        out["pop_change_pct"] = 100.0 * (out["pop_after"] / out["pop_before"] - 1.0)
    return out.rename_axis(AREA_ID).reset_index()
