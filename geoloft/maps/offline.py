"""JavaScript and CSS for the map page: links to a CDN, or inlined for offline use.

Online, the page links Leaflet and the marker-clustering plugin from the CDN
addresses folium uses. Offline, the page carries them itself, read from Python
packages installed from the registry (never from copies in this repository):

* Leaflet 1.9.4 and its CSS from ``django-js-lib-leaflet`` (a geoloft
  dependency; its control images are inlined as ``data:`` URIs);
* Leaflet.markercluster from ``datasette-cluster-map`` when that package is
  installed. Without it, an offline map draws every measure as its own marker
  and says so in a note.

Everything else the page needs (legends, search, full screen, scale bar) is
geoloft's own small script, so it works offline.
"""

from __future__ import annotations

import base64
import importlib.resources
import re
from dataclasses import dataclass, field
from typing import Final

from geoloft.labels import text
from geoloft.maps.escape import html_text, inline_script

__all__ = ["ASSETS", "PageAssets", "find_asset", "page_assets"]

#: Where each asset can be found: (importable package, path inside it), tried in order.
ASSETS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "leaflet.js": (("js_lib_leaflet", "static/js_lib_leaflet/leaflet.js"),),
    "leaflet.css": (("js_lib_leaflet", "static/js_lib_leaflet/leaflet.css"),),
    "markercluster.js": (("datasette_cluster_map", "static/leaflet.markercluster.min.js"),),
    "markercluster.css": (("datasette_cluster_map", "static/leaflet.markercluster.css"),),
}

_SOURCE_MAP = re.compile(r"^\s*//[#@] sourceMappingURL=.*$", re.MULTILINE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[\w.-]+\.png)\1\)")


@dataclass
class PageAssets:
    """What goes in the page's ``<head>`` for Leaflet and its plugins.

    Attributes
    ----------
    head
        HTML snippets (``<link>``/``<script src>`` online, ``<style>``/``<script>``
        with the file contents offline), in order.
    cluster
        Whether marker clustering is available.
    notes
        Features left out, as sentences for the reader.
    """

    head: list[str] = field(default_factory=list)
    cluster: bool = False
    notes: list[str] = field(default_factory=list)


def find_asset(name: str) -> tuple[str, str] | None:
    """Return ``(package, path)`` of an installed asset, or ``None``.

    Parameters
    ----------
    name
        A key of :data:`ASSETS`.

    Returns
    -------
    tuple or None
        The first candidate whose package is installed and holds the file.

    Examples
    --------
    >>> find_asset("leaflet.js")
    ('js_lib_leaflet', 'static/js_lib_leaflet/leaflet.js')
    """
    for package, path in ASSETS[name]:
        try:
            resource = importlib.resources.files(package).joinpath(path)
        except ModuleNotFoundError:
            continue
        if resource.is_file():
            return package, path
    return None


def _read(package: str, path: str) -> str:
    return importlib.resources.files(package).joinpath(path).read_text(encoding="utf-8")


def _inline_images(css: str, package: str, path: str) -> str:
    """Replace ``url(images/x.png)`` by ``data:`` URIs of the package's images."""
    folder = importlib.resources.files(package).joinpath(path.rsplit("/", 1)[0])

    def data_uri(match: re.Match[str]) -> str:
        image = folder.joinpath(match.group(2))
        if not image.is_file():
            return match.group(0)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f'url("data:image/png;base64,{encoded}")'

    return _CSS_URL.sub(data_uri, css)


def _inline(name: str) -> str | None:
    """Return a ``<script>``/``<style>`` element holding the asset, or ``None``."""
    found = find_asset(name)
    if found is None:
        return None
    source = _SOURCE_MAP.sub("", _read(*found))
    if name.endswith(".css"):
        return f"<style>{inline_script(_inline_images(source, *found))}</style>"
    return f"<script>{inline_script(source)}</script>"


def _cdn() -> dict[str, str]:
    """Return the CDN addresses folium uses for Leaflet and Leaflet.markercluster."""
    import folium
    from folium.plugins import MarkerCluster

    links = dict(folium.Map.default_js) | dict(folium.Map.default_css)
    links |= dict(MarkerCluster.default_js) | dict(MarkerCluster.default_css)
    return links


def page_assets(*, offline: bool, cluster: bool, lang: str = "nb") -> PageAssets:
    """Collect the ``<head>`` elements for Leaflet and the plugins a map uses.

    Parameters
    ----------
    offline
        Inline the files (one self-contained page) instead of linking a CDN.
    cluster
        Whether the map wants marker clustering.
    lang
        Language of the notes.

    Returns
    -------
    PageAssets
        Head elements, whether clustering is available, and notes on features
        left out.

    Raises
    ------
    ImportError
        If ``offline`` and Leaflet itself is not installed (it ships with the
        ``django-js-lib-leaflet`` dependency).

    Examples
    --------
    >>> assets = page_assets(offline=False, cluster=False)
    >>> assets.head[0].startswith("<link")
    True
    """
    out = PageAssets()
    if not offline:
        cdn = _cdn()
        out.head += [
            f'<link rel="stylesheet" href="{html_text(cdn["leaflet_css"])}">',
            f'<script src="{html_text(cdn["leaflet"])}"></script>',
        ]
        if cluster:
            for key in ("markerclustercss", "markerclusterdefaultcss"):
                out.head.append(f'<link rel="stylesheet" href="{html_text(cdn[key])}">')
            out.head.append(f'<script src="{html_text(cdn["markerclusterjs"])}"></script>')
        out.cluster = cluster
        return out
    core = [_inline("leaflet.css"), _inline("leaflet.js")]
    if None in core:
        raise ImportError(
            "offline maps need Leaflet from the 'django-js-lib-leaflet' package; "
            "install geoloft with its dependencies (pip install geoloft)."
        )
    out.head += [c for c in core if c]
    if cluster:
        extra = [_inline("markercluster.css"), _inline("markercluster.js")]
        if extra[1] is None:
            out.notes.append(text("offline_left_out", lang, feature=text("clustering", lang)))
        else:
            out.head += [c for c in extra if c]
            out.cluster = True
    return out
