"""The data layers of a figure: classed fills, hatched rows without values, zones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from geoloft.columns import CELL_SIZE, NAME, POP_TOT, SSBID, SUPPRESSED, ZONE_ID
from geoloft.figures._placement import LABEL_GID
from geoloft.labels import TEXT, format_number, text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Outline between classed areas, outline of plain areas, intervention areas.
OUTLINE, PLAIN_OUTLINE, ZONE_COLOUR = "white", "#636363", "#d7301f"
#: Hatch (pattern, colour) of rows without a value and of rows withheld by disclosure control.
MISSING_HATCH, SUPPRESSED_HATCH = ("////", "#969696"), ("xxxx", "#525252")


@dataclass(frozen=True)
class ClassSpec:
    """How to classify: the arguments of :func:`geoloft.classify.classify`."""

    scheme: str = "quantiles"
    k: int = 5
    breaks: tuple[float, ...] | None = None
    palette: str = "YlOrRd"
    reverse: bool = False


def is_grid(frame: gpd.GeoDataFrame) -> bool:
    """Tell whether ``frame`` is a grid (one row per SSB cell) rather than areas."""
    return SSBID in frame.columns


def legend_title(frame: gpd.GeoDataFrame, column: str, label: str | None, lang: str) -> str:
    """Return ``label``, else the column's label in ``lang`` (with the cell size for grids)."""
    if label is not None:
        return label
    name = text(column, lang) if column in TEXT else column
    size = frame.attrs.get(CELL_SIZE)
    if size is None and CELL_SIZE in frame.columns:
        size = frame[CELL_SIZE].iloc[0]
    if is_grid(frame) and size is not None:
        key = "grid" if column == POP_TOT else "grid_value"
        return text(key, lang, label=name, size=format_number(size, lang=lang))
    return name


def draw_values(
    ax: Axes, frame: gpd.GeoDataFrame, column: str, spec: ClassSpec, *, lang: str, alpha: float
) -> list[Any]:
    """Fill rows by class, hatch rows without a value; return the legend handles."""
    from matplotlib.patches import Patch

    from geoloft.classify import classify

    cls = classify(
        frame[column].astype(float),
        scheme=spec.scheme,
        k=spec.k,
        breaks=spec.breaks,
        palette=spec.palette,
        reverse=spec.reverse,
        lang=lang,
    )
    known = cls.bins >= 0
    handles: list[Any] = []
    if known.any():
        fills = [cls.colours[i] for i in cls.bins[known]]
        frame[known].plot(ax=ax, color=fills, linewidth=0, alpha=alpha, gid="classes")
        handles += [
            Patch(facecolor=c, label=t) for c, t in zip(cls.colours, cls.labels, strict=True)
        ]
    return handles + _draw_without_values(ax, frame, ~known, lang=lang, alpha=alpha)


def _draw_without_values(
    ax: Axes, frame: gpd.GeoDataFrame, empty: np.ndarray, *, lang: str, alpha: float
) -> list[Any]:
    """Hatch rows without a value: missing, and withheld (when the frame says which)."""
    from matplotlib.patches import Patch

    from geoloft.classify import MISSING_COLOUR, SUPPRESSED_COLOUR
    from geoloft.disclosure import ATTRS_KEY

    if SUPPRESSED in frame.columns:
        withheld = empty & frame[SUPPRESSED].fillna(False).astype(bool).to_numpy()
        threshold = frame.attrs.get(ATTRS_KEY, {}).get("threshold")
        words = (
            text("suppressed", lang, threshold=threshold)
            if threshold
            else text("suppressed_short", lang).capitalize()
        )
        groups = [
            (empty & ~withheld, MISSING_COLOUR, MISSING_HATCH, text("missing", lang), "missing"),
            (withheld, SUPPRESSED_COLOUR, SUPPRESSED_HATCH, words, "suppressed"),
        ]
    else:  # NaN may be either: say so
        both = f"{text('missing', lang)} / {text('suppressed_short', lang)}"
        groups = [(empty, MISSING_COLOUR, MISSING_HATCH, both, "missing")]
    handles = []
    for mask, fill, (hatch, ink), words, gid in groups:
        if mask.any():
            style: dict[str, Any] = {"facecolor": fill, "edgecolor": ink, "hatch": hatch}
            frame[mask].plot(ax=ax, linewidth=0, alpha=alpha, gid=gid, **style)
            count = format_number(int(mask.sum()), lang=lang)
            handles.append(Patch(label=f"{words}: {count}", **style))
    return handles


def draw_plain(ax: Axes, frame: gpd.GeoDataFrame, *, fill: bool) -> None:
    """Draw rows without classes: a light fill (unless a basemap is under them)."""
    if fill:
        frame.plot(ax=ax, facecolor="#f0f0f0", linewidth=0, gid="classes")


def draw_outlines(ax: Axes, frame: gpd.GeoDataFrame, *, classed: bool) -> None:
    """Outline areas (white between classes, grey around plain areas); grids get none."""
    if not is_grid(frame):
        edge = OUTLINE if classed else PLAIN_OUTLINE
        frame.boundary.plot(ax=ax, color=edge, linewidth=0.4, gid="outlines")


def draw_zones(ax: Axes, zones: gpd.GeoDataFrame, lang: str) -> Any:
    """Outline intervention areas and label them by name; return the legend handle."""
    from matplotlib import patheffects
    from matplotlib.lines import Line2D

    zones.boundary.plot(ax=ax, color="white", linewidth=3.2)  # casing: visible on any class
    zones.boundary.plot(ax=ax, color=ZONE_COLOUR, linewidth=1.6, gid="zones")
    names = zones[NAME] if NAME in zones.columns else zones.get(ZONE_ID)
    if names is not None:
        halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
        # largest first: the placement (see _placement) gives them room first
        order = np.argsort(-zones.geometry.area.to_numpy(), kind="stable")
        points = zones.geometry.representative_point().to_numpy()[order]
        for point, name in zip(points, np.asarray(names, dtype=object)[order], strict=True):
            if point is not None and not point.is_empty:
                ax.annotate(
                    str(name),
                    (point.x, point.y),
                    color=ZONE_COLOUR,
                    path_effects=halo,
                    ha="center",
                    va="center",
                    fontsize=7,
                    fontweight="bold",
                    gid=LABEL_GID,
                )
    return Line2D([], [], color=ZONE_COLOUR, linewidth=1.6, label=text("zones", lang))
