"""Static maps for reports: PNG (300 dpi) and PDF, with matplotlib.

Classes and colours come from :mod:`geoloft.classify`, the same as the web map
and the QGIS styles. Each figure has a legend, a metric scale bar, a north
arrow and the data attribution. A basemap is drawn only when asked for and
tiles can be fetched (``contextily``); offline the figure is drawn without one
and a :class:`BasemapUnavailableWarning` says so.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geoloft import columns as C
from geoloft._io import atomic_path
from geoloft.errors import InputError

__all__ = ["BasemapUnavailableWarning", "make_figure"]

_TEXT = {
    "nb": {"zones": "Innsatsområder", "missing": "Ingen data / skjult", "north": "N",
           "attribution": "Kartgrunnlag: Kartverket. Statistikk: SSB."},
    "en": {"zones": "Intervention areas", "missing": "No data / withheld", "north": "N",
           "attribution": "Map data: Kartverket. Statistics: Statistics Norway (SSB)."},
}


class BasemapUnavailableWarning(UserWarning):
    """The figure was drawn without a basemap (offline, or contextily not installed)."""


def _class_colours(values: Any, scheme: str, k: int) -> tuple[list[str], list[str], np.ndarray]:
    from geoloft.classify import classify

    cls = classify(values, scheme=scheme, k=k)
    colours = list(cls.colours)
    breaks = np.asarray(cls.breaks, dtype=float)
    if len(breaks) == len(colours):  # upper bounds only
        breaks = np.concatenate([[np.nanmin(values)], breaks])
    idx = np.clip(np.searchsorted(breaks[1:-1], np.asarray(values, float), side="left"),
                  0, len(colours) - 1)
    return colours, list(cls.labels), idx


def _scale_bar(ax: Any, extent: tuple[float, float, float, float]) -> None:
    xmin, ymin, xmax, _ = extent
    width = xmax - xmin
    target = width / 5
    nice = 10 ** np.floor(np.log10(target))
    length = max(nice * m for m in (1, 2, 5) if nice * m <= target)
    x0, y0 = xmin + width * 0.05, ymin + (extent[3] - ymin) * 0.05
    ax.plot([x0, x0 + length], [y0, y0], color="black", linewidth=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x0 + length / 2, y0, label, ha="center", va="bottom", fontsize=7)


def _north_arrow(ax: Any, text: str) -> None:
    ax.annotate(text, xy=(0.95, 0.95), xytext=(0.95, 0.85), xycoords="axes fraction",
                ha="center", va="center", fontsize=10, fontweight="bold",
                arrowprops={"facecolor": "black", "width": 3, "headwidth": 9})


def _basemap(ax: Any, crs: Any) -> None:
    try:
        import contextily
    except ImportError:
        warnings.warn("no basemap: contextily is not installed (pip install contextily).",
                      BasemapUnavailableWarning, stacklevel=3)
        return
    try:
        contextily.add_basemap(ax, crs=crs, attribution=False)
    except Exception as err:  # noqa: BLE001 - any network failure means: draw without
        warnings.warn(f"no basemap: tiles could not be fetched ({err}).",
                      BasemapUnavailableWarning, stacklevel=3)


def _draw_layers(ax: Any, areas: gpd.GeoDataFrame, column: str | None,
                 zones: gpd.GeoDataFrame | None, scheme: str, k: int,
                 text: dict[str, str]) -> list[Any]:
    from matplotlib.patches import Patch

    handles: list[Any] = []
    if column is not None and areas[column].notna().sum() > 1:
        known = areas[column].notna().to_numpy()
        colours, labels, idx = _class_colours(areas.loc[known, column].to_numpy(), scheme, k)
        areas[~known].plot(ax=ax, color="#d9d9d9", edgecolor="white", linewidth=0.4,
                           hatch="///")
        areas[known].plot(ax=ax, color=[colours[i] for i in idx], edgecolor="white",
                          linewidth=0.4)
        handles += [Patch(facecolor=c, label=lab) for c, lab in zip(colours, labels,
                                                                     strict=True)]
        if (~known).any():
            handles.append(Patch(facecolor="#d9d9d9", hatch="///", label=text["missing"]))
    else:
        areas.plot(ax=ax, color="#f0f0f0", edgecolor="#636363", linewidth=0.5)
    if zones is not None and len(zones):
        zones.boundary.plot(ax=ax, color="#d7301f", linewidth=1.6)
        handles.append(Patch(facecolor="none", edgecolor="#d7301f", label=text["zones"]))
    return handles


def make_figure(
    areas: gpd.GeoDataFrame,
    *,
    out: str | Path,
    column: str | None = None,
    zones: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    lang: str = "nb",
    scheme: str = "quantiles",
    k: int = 5,
    basemap: bool = False,
    overwrite: bool = False,
) -> Path:
    """Draw a report map of ``areas`` (optionally classed by ``column``) to PNG or PDF.

    Parameters
    ----------
    areas
        Areas in any projected CRS (EPSG:25833 in geoloft).
    out
        ``.png`` (300 dpi) or ``.pdf`` file; written atomically.
    column
        Column to class and colour; areas with NaN (missing or withheld by
        disclosure control) are hatched grey.
    zones
        Intervention areas, drawn as red outlines.
    title
        Figure title.
    lang
        ``"nb"`` (bokmål) or ``"en"`` for legend and attribution.
    scheme, k
        Classification, as in :func:`geoloft.classify.classify`.
    basemap
        Try to draw a tile basemap (needs network and ``contextily``); without
        them the figure is drawn plain and a warning says so.
    overwrite
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    geoloft.errors.InputError
        For an unknown suffix, an empty frame, or a ``column`` not in ``areas``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    if out.suffix.lower() not in (".png", ".pdf"):
        raise InputError("figures are .png or .pdf.", source=out, hint="change the suffix.")
    if not len(areas):
        raise InputError("nothing to draw: no areas.", source="areas")
    if column is not None and column not in areas.columns:
        raise InputError(f"no column '{column}'.", source="areas", column=column,
                         hint=f"use one of {', '.join(map(str, areas.columns))}.")
    text = _TEXT[lang]
    fig, ax = plt.subplots(figsize=(7.5, 7.5))
    try:
        handles = _draw_layers(ax, areas, column, zones, scheme, k, text)
        if basemap:
            _basemap(ax, areas.crs)
        extent = tuple(areas.total_bounds)
        _scale_bar(ax, extent)  # type: ignore[arg-type]
        _north_arrow(ax, text["north"])
        if handles:
            ax.legend(handles=handles, loc="lower right", fontsize=7, framealpha=0.9)
        ax.set_axis_off()
        ax.set_aspect("equal")
        if title:
            ax.set_title(title, fontsize=11)
        fig.text(0.01, 0.01, text["attribution"], fontsize=6, color="#444444")
        with atomic_path(out, overwrite=overwrite) as tmp:
            fig.savefig(tmp, dpi=300, bbox_inches="tight", format=out.suffix[1:].lower(),
                        metadata={"Software": "geoloft"} if out.suffix == ".png" else None)
    finally:
        plt.close(fig)
    return out


def figure_columns(areas: gpd.GeoDataFrame) -> list[str]:
    """Columns worth a figure: the index and the indicator rates."""
    return [c for c in areas.columns if c == C.INDEX or str(c).endswith("_rate")]
