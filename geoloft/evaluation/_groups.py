"""Comparison groups: the rest, matched neighbours, synthetic-control weights, a list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from geoloft.columns import AREA_ID
from geoloft.errors import InputError
from geoloft.evaluation._panel import YEAR

METHODS = ("rest", "matched", "synthetic", "list")


@dataclass(frozen=True)
class Group:
    """A comparison group for one indicator.

    ``weights`` maps each comparison area to its weight (summing to 1);
    ``matches`` lists, for matching, each intervention area's neighbours with
    their distance, or for synthetic control the weights.
    """

    method: str
    weights: pd.Series
    matches: pd.DataFrame


def pre_features(wide: pd.DataFrame) -> pd.DataFrame:
    """Pre-period level (mean) and trend (OLS slope per year) of each area.

    ``wide`` has areas as rows and baseline years as columns (outcome values).
    """
    years = wide.columns.to_numpy(np.float64)
    values = wide.to_numpy(np.float64)
    ok = ~np.isnan(values)
    level = np.nanmean(np.where(ok, values, np.nan), axis=1)
    if len(years) < 2:
        return pd.DataFrame({"level": level}, index=wide.index)
    yc = np.where(ok, years[None, :], np.nan)
    ybar = np.nanmean(yc, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.nansum((yc - ybar) * (values - level[:, None]), axis=1) / np.nansum(
            (yc - ybar) ** 2, axis=1
        )
    return pd.DataFrame({"level": level, "trend": slope}, index=wide.index)


def _matched(features: pd.DataFrame, treated: Sequence[str], k: int) -> Group:
    pool = features.drop(index=list(treated)).dropna()
    if len(pool) < k:
        raise InputError(
            f"only {len(pool)} comparison areas with pre-period values; {k} matches asked for.",
            source="comparison",
            hint="lower n_matches or use comparison='rest'.",
        )
    sd = pool.std(ddof=0).replace(0.0, 1.0)
    z_pool = (pool / sd).to_numpy()
    rows = []
    for area in treated:
        z = (features.loc[area] / sd).to_numpy()
        dist = np.sqrt(np.sum((z_pool - z) ** 2, axis=1))
        order = np.argsort(dist, kind="stable")[:k]
        rows += [
            {"treated": area, AREA_ID: pool.index[j], "rank": r + 1, "distance": dist[j]}
            for r, j in enumerate(order)
        ]
    matches = pd.DataFrame(rows)
    counts = matches[AREA_ID].value_counts()
    return Group("matched", counts / counts.sum(), matches)


def synthetic_weights(treated_path: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to 1 whose mix of ``pool`` rows tracks the path.

    Solves min ||path - w @ pool||² with w >= 0 and sum(w) = 1 (Abadie,
    Diamond & Hainmueller 2010, outcome paths only) by non-negative least
    squares with the sum constraint as a heavily weighted extra row.
    """
    scale = max(float(np.abs(pool).max()), 1.0) * 1e3
    a = np.vstack([pool.T, np.full(pool.shape[0], scale)])
    b = np.concatenate([treated_path, [scale]])
    w, _ = nnls(a, b)
    return np.asarray(w / w.sum(), dtype=np.float64)


def _synthetic(wide: pd.DataFrame, treated: Sequence[str]) -> Group:
    pool = wide.drop(index=list(treated)).dropna()
    target = wide.loc[list(treated)].mean().to_numpy()
    w = synthetic_weights(target, pool.to_numpy())
    weights = pd.Series(w, index=pool.index)
    weights = weights[weights > 1e-4]
    weights /= weights.sum()
    matches = pd.DataFrame(
        {
            "treated": "all",
            AREA_ID: weights.index,
            "rank": np.arange(1, len(weights) + 1),
            "weight": weights.to_numpy(),
        }
    ).sort_values("weight", ascending=False)
    matches["rank"] = np.arange(1, len(matches) + 1)
    return Group("synthetic", weights, matches.reset_index(drop=True))


def comparison_group(
    wide: pd.DataFrame,
    treated: Sequence[str],
    *,
    method: str | Sequence[str],
    n_matches: int,
) -> Group:
    """Pick the comparison areas for one indicator from its pre-period paths.

    ``wide`` holds the outcome of every candidate area (rows) in the baseline
    years (columns).
    """
    if not isinstance(method, str):
        ids = [str(i) for i in method]
        unknown = [i for i in ids if i not in wide.index]
        overlap = [i for i in ids if i in treated]
        if unknown or overlap or not ids:
            raise InputError(
                "the comparison list names areas that are "
                + ("intervention areas." if overlap else "not in the table."),
                source="comparison",
                rows=overlap or unknown,
                hint="list ids of areas outside the programme that the table has.",
            )
        w = pd.Series(1.0 / len(ids), index=ids)
        return Group("list", w, pd.DataFrame({AREA_ID: ids}))
    if method == "rest":
        rest = [i for i in wide.index if i not in treated]
        return Group("rest", pd.Series(1.0 / len(rest), index=rest), pd.DataFrame())
    if method == "matched":
        return _matched(pre_features(wide), treated, n_matches)
    if method == "synthetic":
        return _synthetic(wide, treated)
    raise InputError(
        f"unknown comparison {method!r}.",
        source="comparison",
        hint="use 'rest', 'matched', 'synthetic' or a list of area ids.",
    )


def balance(wide: pd.DataFrame, treated: Sequence[str], group: Group) -> pd.DataFrame:
    """Pre-period balance: level and trend of both groups and their standardised gap.

    The comparison group's figures are weighted by its weights; the
    standardised difference divides the gap by the spread (SD) over all areas.
    Also the root mean square gap between the group paths in the baseline years.
    """
    feats = pre_features(wide)
    t = feats.loc[list(treated)].mean()
    w = group.weights
    c = feats.loc[w.index].mul(w, axis=0).sum()
    sd = feats.std(ddof=0).replace(0.0, np.nan)
    path_t = wide.loc[list(treated)].mean()
    path_c = wide.loc[w.index].mul(w, axis=0).sum()
    rows = [
        {
            "measure": name,
            "intervention": float(t[name]),
            "comparison": float(c[name]),
            "std_difference": float((t[name] - c[name]) / sd[name]),
        }
        for name in feats.columns
    ]
    rmse = float(np.sqrt(np.mean((path_t - path_c) ** 2)))
    rows.append(
        {
            "measure": "path_rmse",
            "intervention": np.nan,
            "comparison": np.nan,
            "std_difference": rmse / float(sd["level"]) if sd["level"] > 0 else np.nan,
        }
    )
    out = pd.DataFrame(rows)
    out["n_years"] = wide.shape[1]
    out[YEAR + "s"] = f"{wide.columns.min()}–{wide.columns.max()}"
    return out


def _rmspe_ratio(path: np.ndarray, pool: np.ndarray, pre: np.ndarray) -> float:
    """Post- over pre-period root mean square gap of a path and its synthetic control."""
    w = synthetic_weights(path[pre], pool[:, pre])
    gap = path - w @ pool
    pre_rmspe = np.sqrt(np.mean(gap[pre] ** 2))
    post_rmspe = np.sqrt(np.mean(gap[~pre] ** 2))
    return float(post_rmspe / max(pre_rmspe, 1e-12))


def synthetic_placebo(
    paths: pd.DataFrame, treated: Sequence[str], base: Sequence[int]
) -> tuple[float, float, int]:
    """Abadie's placebo-in-space test for a synthetic control.

    The intervention areas' mean path gets its synthetic control from the
    other areas; so does every comparison area in turn (from the remaining
    ones). The statistic is the ratio of the post- to the pre-period root mean
    square gap; the p-value is the real ratio's rank among all (Abadie,
    Diamond and Hainmueller 2010, section 3.2).

    Returns the real ratio, the p-value and the number of placebo areas.
    """
    full = paths.dropna()
    pre = np.isin(full.columns.to_numpy(), list(base))
    pool = full.drop(index=[t for t in treated if t in full.index])
    real = _rmspe_ratio(full.loc[list(treated)].mean().to_numpy(), pool.to_numpy(), pre)
    values = pool.to_numpy()
    ratios = [
        _rmspe_ratio(values[j], np.delete(values, j, axis=0), pre) for j in range(len(values))
    ]
    p = (1 + sum(r >= real for r in ratios)) / (1 + len(ratios))
    return real, float(p), len(ratios)
