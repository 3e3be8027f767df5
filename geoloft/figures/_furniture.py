"""Map furniture of a figure: extent, scale bar, north arrow, basemap and credits."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from geoloft.labels import format_number

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Words only figures use, (bokmål, English); shared words come from geoloft.labels.
WORDS = {
    "data": ("Data: {sources}.", "Data: {sources}."),
    "grid_source": ("SSB (rutenett)", "Statistics Norway (SSB, grid)"),
    "basemap": ("Bakgrunnskart: {credit}.", "Basemap: {credit}."),
    "north": ("N", "N"),
}


#: The basemap of ``basemap=True``: Kartverket's greyscale topographic map, on which
#: choropleth colours stay readable.
DEFAULT_BASEMAP = "topograatone"


class BasemapUnavailableWarning(UserWarning):
    """The figure was drawn without a basemap (offline, or contextily not installed)."""


def word(key: str, lang: str, **fields: object) -> str:
    """Return the figure word ``key`` in ``lang`` with ``{fields}`` filled in."""
    nb, en = WORDS[key]
    return (nb if lang == "nb" else en).format(**fields)


def set_extent(ax: Axes, frame: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None) -> None:
    """Fit the map to the rows and zones with a 3 % margin, one metre = one metre."""
    bounds = [frame.total_bounds]
    if zones is not None and not (zones.geometry.isna() | zones.geometry.is_empty).all():
        bounds.append(zones.total_bounds)
    xmin, ymin = np.min([b[:2] for b in bounds], axis=0)
    xmax, ymax = np.max([b[2:] for b in bounds], axis=0)
    pad = 0.03 * max(xmax - xmin, ymax - ymin, 1.0)
    ax.set(xlim=(xmin - pad, xmax + pad), ylim=(ymin - pad, ymax + pad), aspect="equal")
    ax.set_axis_off()


def nice_length(width: float) -> float:
    """Return the longest 1, 2 or 5 times a power of ten at most a quarter of ``width``."""
    target = width / 4
    power = 10.0 ** math.floor(math.log10(target))
    return max(power * m for m in (1, 2, 5) if power * m <= target)


def length_label(metres: float, lang: str) -> str:
    """Write a length as ``"500 m"`` or ``"2 km"``, with as many decimals as it needs."""
    value, unit = (metres / 1000, "km") if metres >= 1000 else (metres, "m")
    decimals = max(0, -math.floor(math.log10(value) + 1e-9))
    return f"{format_number(value, decimals=decimals, lang=lang)} {unit}"


def scale_bar(ax: Axes, lang: str, scale: float = 1.0) -> None:
    """Draw a scale bar of a round ground length in the lower left corner.

    ``scale`` is the CRS's scale factor (map metres per ground metre) there.
    """
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    xmin, xmax = ax.get_xlim()
    length = nice_length((xmax - xmin) / scale)
    bar = AnchoredSizeBar(
        ax.transData,
        length * scale,
        length_label(length, lang),
        "lower left",
        pad=0.4,
        borderpad=0.6,
        sep=3,
        frameon=True,
        size_vertical=(xmax - xmin) / 250,
        fontproperties={"size": 7},
    )
    bar.patch.set(facecolor="white", alpha=0.8, edgecolor="none")
    bar.set_gid("scale-bar")
    ax.add_artist(bar)


def local_factors(frame: gpd.GeoDataFrame) -> tuple[float, float]:
    """Return the true-north angle and the scale factor of the CRS at the frame's centre.

    The angle is in degrees clockwise from grid north (up); the scale factor is
    map metres per ground metre (0.9996 on the central meridian of a UTM zone).
    ``(0.0, 1.0)`` where they cannot be computed.
    """
    from pyproj import Proj

    xmin, ymin, xmax, ymax = frame.total_bounds
    proj = Proj(frame.crs)
    lon, lat = proj((xmin + xmax) / 2, (ymin + ymax) / 2, inverse=True)
    factors = proj.get_factors(lon, lat)
    angle, scale = -factors.meridian_convergence, factors.meridional_scale
    if not (math.isfinite(angle) and math.isfinite(scale) and scale > 0):
        return 0.0, 1.0
    return angle, scale


def north_arrow(ax: Axes, angle: float, lang: str) -> None:
    """Draw an arrow to true north (``angle`` degrees clockwise of up) in the upper right.

    A white halo keeps arrow and letter readable on any fill.
    """
    from matplotlib import patheffects

    halo: list[patheffects.AbstractPathEffect] = [
        patheffects.withStroke(linewidth=3.5, foreground="white")
    ]
    dx, dy = math.sin(math.radians(angle)), math.cos(math.radians(angle))
    head = (0.95, 0.93)
    arrow = ax.annotate(
        "",
        xy=head,
        xycoords="axes fraction",
        xytext=(-24 * dx, -24 * dy),
        textcoords="offset points",
        arrowprops={
            "arrowstyle": "-|>,head_width=0.35,head_length=0.8",
            "color": "black",
            "linewidth": 1.6,
        },
    )
    assert arrow.arrow_patch is not None  # set because arrowprops is given
    arrow.arrow_patch.set_path_effects(halo)
    arrow.set_gid("north-arrow")
    ax.annotate(
        word("north", lang),
        xy=head,
        xycoords="axes fraction",
        xytext=(7 * dx, 7 * dy),
        textcoords="offset points",
        ha="center",
        va="center",
        fontsize=9,
        fontweight="bold",
        path_effects=halo,
    )


def basemap(ax: Axes, crs: Any, choice: bool | str) -> str | None:
    """Draw basemap tiles under the data; return their credit, or None with a warning.

    ``choice`` is True (Kartverket's greyscale map) or a key of
    :data:`geoloft.maps.basemaps.BASEMAPS`. The warning's stacklevel points at
    the caller of make_figure / draw_figure.
    """
    from geoloft.maps.basemaps import get_basemap

    tiles = get_basemap(DEFAULT_BASEMAP if choice is True else str(choice))
    if not tiles.url:
        return None
    try:
        import contextily
    except ImportError:
        warnings.warn(
            "figure drawn without a basemap: contextily is not installed (pip install contextily).",
            BasemapUnavailableWarning,
            stacklevel=4,
        )
        return None
    try:
        contextily.add_basemap(
            ax, crs=crs.to_string(), source=tiles.url, attribution=False, zorder=0
        )
    except Exception as err:  # no tiles, for any reason: draw without them
        warnings.warn(
            f"figure drawn without a basemap: the tiles could not be fetched "
            f"({type(err).__name__}: {err}).",
            BasemapUnavailableWarning,
            stacklevel=4,
        )
        return None
    return tiles.attribution


def credit_line(credits: str | Sequence[str] | None, *, grid: bool, lang: str) -> str:
    """Return the data credit: ``credits`` as given, or what the figure knows.

    A text is printed as it is; a list of sources becomes ``"Data: a; b."``;
    ``None`` credits SSB for a grid and nothing for areas, whose source only
    the caller knows.
    """
    if isinstance(credits, str):
        return credits.strip()
    sources = [s.strip() for s in credits or () if s and s.strip()]
    if credits is None and grid:
        sources = [word("grid_source", lang)]
    sources = list(dict.fromkeys(sources))
    return word("data", lang, sources="; ".join(s.rstrip(".") for s in sources)) if sources else ""


def credits(ax: Axes, line: str, basemap_credit: str | None, lang: str) -> None:
    """Print the data credit (and the basemap's) under the map; nothing when both are empty."""
    if basemap_credit:
        line = f"{line} {word('basemap', lang, credit=basemap_credit)}".strip()
    if not line:
        return
    ax.annotate(
        line,
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -4),
        textcoords="offset points",
        va="top",
        fontsize=6,
        color="#444444",
    )
