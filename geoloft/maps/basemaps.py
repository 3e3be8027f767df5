"""Background maps, in one place.

Kartverket's cache service serves the Norwegian topographic map in colour
(``topo``) and in greys (``topograatone``, the default: choropleth colours stay
readable on it) as web-mercator tiles; attribution "© Kartverket". OpenStreetMap
is the fallback outside Norway, and ``none`` draws the data on a blank
background (what a reader sees offline anyway).

To use another tile server (a municipal cache, a proxy), pass a
:class:`Basemap` to :func:`geoloft.maps.make_map` instead of a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from geoloft.errors import InputError

__all__ = ["BASEMAPS", "KARTVERKET_CACHE", "Basemap", "get_basemap"]

#: Kartverket's tile cache (WMTS, REST form, web mercator tiles).
KARTVERKET_CACHE: Final = "https://cache.kartverket.no/v1/wmts/1.0.0"


@dataclass(frozen=True)
class Basemap:
    """A tiled background map.

    Parameters
    ----------
    key
        Short name, used in project files and on the command line.
    url
        Leaflet tile URL template with ``{z}``, ``{x}`` and ``{y}``; ``""``
        for no tiles.
    attribution
        Attribution shown on the map (plain text; it is escaped).
    label_key
        Key of the layer name in :data:`geoloft.labels.TEXT`.
    max_zoom
        Highest zoom level the server has tiles for.
    attribution_url
        Page the attribution links to (``""`` for none).
    """

    key: str
    url: str
    attribution: str
    label_key: str
    max_zoom: int = 18
    attribution_url: str = ""


#: The basemaps a map offers, default first after reordering by ``make_map``.
BASEMAPS: Final = MappingProxyType(
    {
        "topograatone": Basemap(
            "topograatone",
            f"{KARTVERKET_CACHE}/topograatone/default/webmercator/{{z}}/{{y}}/{{x}}.png",
            "© Kartverket",
            "basemap_topograatone",
            attribution_url="https://www.kartverket.no/",
        ),
        "topo": Basemap(
            "topo",
            f"{KARTVERKET_CACHE}/topo/default/webmercator/{{z}}/{{y}}/{{x}}.png",
            "© Kartverket",
            "basemap_topo",
            attribution_url="https://www.kartverket.no/",
        ),
        "osm": Basemap(
            "osm",
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "© OpenStreetMap",
            "basemap_osm",
            19,
            attribution_url="https://www.openstreetmap.org/copyright",
        ),
        "none": Basemap("none", "", "", "basemap_none"),
    }
)


def get_basemap(basemap: str | Basemap) -> Basemap:
    """Return the :class:`Basemap` for a key (or the basemap itself).

    Parameters
    ----------
    basemap
        ``"topograatone"``, ``"topo"``, ``"osm"``, ``"none"`` or a :class:`Basemap`.

    Returns
    -------
    Basemap
        The basemap.

    Raises
    ------
    InputError
        For an unknown key, or a custom basemap whose addresses are not http(s).

    Examples
    --------
    >>> get_basemap("topo").attribution
    '© Kartverket'
    """
    if isinstance(basemap, Basemap):
        for field, value in (("url", basemap.url), ("attribution_url", basemap.attribution_url)):
            if value and not value.startswith(("https://", "http://")):
                raise InputError(
                    f"the basemap's {field} must be an http(s) address, got {value[:40]!r}.",
                    source="basemap",
                    hint="use a tile URL such as https://server/{z}/{x}/{y}.png.",
                )
        return basemap
    if basemap not in BASEMAPS:
        raise InputError(
            f"unknown basemap {basemap!r}.",
            source="basemap",
            hint=f"use one of {', '.join(BASEMAPS)}, or pass a geoloft.maps.Basemap.",
        )
    return BASEMAPS[basemap]
