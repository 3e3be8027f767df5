"""How each kind of layer is drawn: outlines, fills, palettes and marker symbols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from geoloft.classify import CATEGORY_MARKERS, category_colours

__all__ = [
    "AREA_STYLE",
    "CATEGORY_GLYPHS",
    "GRID_STYLE",
    "ZONE_COLOUR",
    "ZONE_STYLE",
    "CategoryStyle",
    "category_styles",
    "text_colour",
]

#: Leaflet path options per layer kind (fill colours come from the classes).
AREA_STYLE: Final[dict[str, Any]] = {
    "color": "#4d4d4d", "weight": 0.7, "opacity": 0.9, "fillOpacity": 0.72,
}  # fmt: skip
GRID_STYLE: Final[dict[str, Any]] = {
    "stroke": False, "fillOpacity": 0.75,
}  # fmt: skip
ZONE_COLOUR: Final = "#000000"
#: Intervention areas: an outline only, so the areas under them keep their tooltips.
ZONE_STYLE: Final[dict[str, Any]] = {
    "color": ZONE_COLOUR, "weight": 3, "opacity": 1, "dashArray": "6 4", "fill": False,
}  # fmt: skip

#: Default palettes: areas (indicators and index) and grid cells.
AREA_PALETTE: Final = "YlOrRd"
GRID_PALETTE: Final = "viridis"

#: A distinct symbol per measure category (with its colour, so colour is never
#: the only cue), handed out in order of first appearance.
CATEGORY_GLYPHS: Final = tuple(glyph for glyph, _shape, _angle in CATEGORY_MARKERS)


@dataclass(frozen=True)
class CategoryStyle:
    """Colour and symbol of one measure category.

    Attributes
    ----------
    colour
        Marker fill, ``#rrggbb``.
    glyph
        Symbol drawn on the marker.
    text
        Colour of the symbol: black or white, whichever contrasts more.
    """

    colour: str
    glyph: str
    text: str


def text_colour(background: str) -> str:
    """Return black or white, whichever contrasts more with ``background``.

    Uses the WCAG relative luminance of the sRGB colour.

    Parameters
    ----------
    background
        ``#rrggbb``.

    Returns
    -------
    str
        ``"#000000"`` or ``"#ffffff"``.

    Examples
    --------
    >>> text_colour("#f0e442"), text_colour("#0072b2")
    ('#000000', '#ffffff')
    """
    channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # contrast with black (L + .05) / .05 versus with white 1.05 / (L + .05)
    return "#000000" if (luminance + 0.05) ** 2 > 0.0525 else "#ffffff"


def category_styles(categories: Sequence[str]) -> dict[str, CategoryStyle]:
    """Give each measure category a colour and a symbol.

    Parameters
    ----------
    categories
        Category values; repeats are fine.

    Returns
    -------
    dict
        Category -> :class:`CategoryStyle`, in order of first appearance.

    Examples
    --------
    >>> styles = category_styles(["park", "bolig", "park"])
    >>> [(s.colour, s.glyph) for s in styles.values()]
    [('#0072b2', '●'), ('#e69f00', '▲')]
    """
    colours = category_colours(categories)
    return {
        cat: CategoryStyle(colour, CATEGORY_GLYPHS[i % len(CATEGORY_GLYPHS)], text_colour(colour))
        for i, (cat, colour) in enumerate(colours.items())
    }
