"""JavaScript and CSS for the map page: pinned CDN links, inlined, or files beside the page.

Every mode uses the same versions: Leaflet 1.9.4 and Leaflet.markercluster 1.4.1.

* ``"cdn"`` links them from a CDN at pinned versions with Subresource Integrity
  hashes (a changed file is refused by the browser, not run);
* ``"inline"`` (offline) carries them in the page, read from Python packages
  installed from the registry (never from copies in this repository):
  Leaflet from ``django-js-lib-leaflet`` (a geoloft dependency; its control
  images become ``data:`` URIs) and the clustering plugin from
  ``xstatic-leaflet-markercluster`` (the same bytes as the npm release);
* ``"files"`` (for a strict Content-Security-Policy, ``script-src 'self'``)
  writes them as files beside the page, which then holds no inline script.

Without the clustering package an offline map draws every measure as its own
marker and says so in a note. Everything else the page needs (legends, layer
panel, search, full screen, scale bar) is geoloft's own small script.
"""

from __future__ import annotations

import base64
import importlib.resources
import re
from dataclasses import dataclass, field
from typing import Final, Literal

from geoloft.labels import text
from geoloft.maps.escape import html_text, inline_script
from geoloft.maps.runtime import RUNTIME_CSS, RUNTIME_JS

__all__ = [
    "ASSETS",
    "CDN",
    "LEAFLET_VERSION",
    "LIB_DIR",
    "MARKERCLUSTER_VERSION",
    "PageAssets",
    "find_asset",
    "page_assets",
]

LEAFLET_VERSION: Final = "1.9.4"
MARKERCLUSTER_VERSION: Final = "1.4.1"
#: Folder (beside the page) that holds the files of ``mode="files"``.
LIB_DIR: Final = "lib"

#: Where each asset can be found: (importable package, path inside it), tried in order.
ASSETS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "leaflet.js": (("js_lib_leaflet", "static/js_lib_leaflet/leaflet.js"),),
    "leaflet.css": (("js_lib_leaflet", "static/js_lib_leaflet/leaflet.css"),),
    "markercluster.js": (("xstatic.pkg.leaflet_markercluster", "data/leaflet.markercluster.js"),),
    "markercluster.css": (("xstatic.pkg.leaflet_markercluster", "data/MarkerCluster.css"),),
    "markercluster.default.css": (
        ("xstatic.pkg.leaflet_markercluster", "data/MarkerCluster.Default.css"),
    ),
}

_UNPKG = "https://unpkg.com"
#: CDN address and Subresource Integrity hash of each asset, pinned. The Leaflet
#: hashes are the ones leafletjs.com publishes (and those of the offline package's
#: files); the markercluster ones are those of the npm release's ``dist`` files.
CDN: Final[dict[str, tuple[str, str]]] = {
    "leaflet.css": (
        f"{_UNPKG}/leaflet@{LEAFLET_VERSION}/dist/leaflet.css",
        "sha256-p4NxAoJBhIIN+hmNHrzRCf9tD/miZyoHS5obTRR9BMY=",
    ),
    "leaflet.js": (
        f"{_UNPKG}/leaflet@{LEAFLET_VERSION}/dist/leaflet.js",
        "sha256-20nQCchB9co0qIjJZRGuk2/Z9VM+kNiyxNV1lvTlZBo=",
    ),
    "markercluster.css": (
        f"{_UNPKG}/leaflet.markercluster@{MARKERCLUSTER_VERSION}/dist/MarkerCluster.css",
        "sha384-lPzjPsFQL6te2x+VxmV6q1DpRxpRk0tmnl2cpwAO5y04ESyc752tnEWPKDfl1olr",
    ),
    "markercluster.default.css": (
        f"{_UNPKG}/leaflet.markercluster@{MARKERCLUSTER_VERSION}/dist/MarkerCluster.Default.css",
        "sha384-5kMSQJ6S4Qj5i09mtMNrWpSi8iXw230pKU76xTmrpezGnNJQzj0NzXjQLLg+jE7k",
    ),
    "markercluster.js": (
        f"{_UNPKG}/leaflet.markercluster@{MARKERCLUSTER_VERSION}/dist/leaflet.markercluster.js",
        "sha384-RLIyj5q1b5XJTn0tqUhucRZe40nFTocRP91R/NkRJHwAe4XxnTV77FXy/vGLiec2",
    ),
}

_SOURCE_MAP = re.compile(r"^\s*//[#@] sourceMappingURL=.*$", re.MULTILINE)
_CSS_SOURCE_MAP = re.compile(r"/\*[#@] sourceMappingURL=.*?\*/")
_CSS_URL = re.compile(r"url\((['\"]?)(images/[\w.-]+\.png)\1\)")

Mode = Literal["cdn", "inline", "files"]


@dataclass
class PageAssets:
    """What goes in the page's ``<head>`` for Leaflet and its plugins.

    Attributes
    ----------
    head
        HTML snippets (``<link>``/``<script src>`` for ``"cdn"`` and ``"files"``,
        ``<style>``/``<script>`` with the file contents for ``"inline"``), in order.
    cluster
        Whether marker clustering is available.
    notes
        Features left out, as sentences for the reader.
    files
        For ``"files"``: path (relative to the page's folder) -> content to write.
    mode
        How the assets reach the page.
    """

    head: list[str] = field(default_factory=list)
    cluster: bool = False
    notes: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    mode: str = "cdn"


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


def _images(css: str, package: str, path: str) -> dict[str, bytes]:
    """Return the images ``css`` refers to (``images/x.png`` -> bytes) from the package."""
    folder = importlib.resources.files(package).joinpath(path.rsplit("/", 1)[0])
    found = {}
    for match in _CSS_URL.finditer(css):
        image = folder.joinpath(match.group(2))
        if image.is_file():
            found[match.group(2)] = image.read_bytes()
    return found


def _inline_images(css: str, package: str, path: str) -> str:
    """Replace ``url(images/x.png)`` by ``data:`` URIs of the package's images."""
    images = _images(css, package, path)

    def data_uri(match: re.Match[str]) -> str:
        if match.group(2) not in images:
            return match.group(0)
        encoded = base64.b64encode(images[match.group(2)]).decode("ascii")
        return f'url("data:image/png;base64,{encoded}")'

    return _CSS_URL.sub(data_uri, css)


def _source(name: str) -> tuple[str, tuple[str, str]] | None:
    found = find_asset(name)
    if found is None:
        return None
    raw = _read(*found)
    return _CSS_SOURCE_MAP.sub("", _SOURCE_MAP.sub("", raw)), found


def _element(name: str, mode: Mode, out: PageAssets) -> bool:
    """Add the asset ``name`` to ``out`` in ``mode``; return whether it was available."""
    css = name.endswith(".css")
    if mode == "cdn":
        url, sri = CDN[name]
        attrs = f'href="{html_text(url)}"' if css else f'src="{html_text(url)}"'
        tag = f'<link rel="stylesheet" {attrs}' if css else f"<script {attrs}"
        out.head.append(f'{tag} integrity="{sri}" crossorigin="anonymous">')
        if not css:
            out.head[-1] += "</script>"
        return True
    got = _source(name)
    if got is None:
        return False
    source, found = got
    if mode == "inline":
        if css:
            out.head.append(f"<style>{inline_script(_inline_images(source, *found))}</style>")
        else:
            out.head.append(f"<script>{inline_script(source)}</script>")
        return True
    out.files[f"{LIB_DIR}/{name}"] = source.encode("utf-8")
    if css:
        for image, data in _images(source, *found).items():
            out.files[f"{LIB_DIR}/{image}"] = data
        out.head.append(f'<link rel="stylesheet" href="{LIB_DIR}/{name}">')
    else:
        out.head.append(f'<script src="{LIB_DIR}/{name}"></script>')
    return True


def page_assets(
    *, offline: bool, cluster: bool, lang: str = "nb", mode: Mode | None = None
) -> PageAssets:
    """Collect the ``<head>`` elements for Leaflet, the plugins and geoloft's script.

    Parameters
    ----------
    offline
        Inline the files (one self-contained page) instead of linking a CDN;
        ignored when ``mode`` is given.
    cluster
        Whether the map wants marker clustering.
    lang
        Language of the notes.
    mode
        ``"cdn"``, ``"inline"`` or ``"files"`` (see the module); ``None`` picks
        ``"inline"`` when ``offline`` else ``"cdn"``.

    Returns
    -------
    PageAssets
        Head elements, files to write, whether clustering is available, and
        notes on features left out.

    Raises
    ------
    ImportError
        If the files are needed and Leaflet itself is not installed (it ships
        with the ``django-js-lib-leaflet`` dependency).

    Examples
    --------
    >>> assets = page_assets(offline=False, cluster=False)
    >>> assets.head[0].startswith("<link") and "integrity=" in assets.head[0]
    True
    """
    chosen: Mode = mode or ("inline" if offline else "cdn")
    out = PageAssets(mode=chosen)
    if not (_element("leaflet.css", chosen, out) and _element("leaflet.js", chosen, out)):
        raise ImportError(
            "maps without a CDN need Leaflet from the 'django-js-lib-leaflet' package; "
            "install geoloft with its dependencies (pip install geoloft)."
        )
    if cluster:
        if find_asset("markercluster.js") is None and chosen != "cdn":
            out.notes.append(text("offline_left_out", lang, feature=text("clustering", lang)))
        else:
            for name in ("markercluster.css", "markercluster.default.css", "markercluster.js"):
                _element(name, chosen, out)
            out.cluster = True
    if chosen == "files":
        out.files[f"{LIB_DIR}/geoloft.css"] = RUNTIME_CSS.encode("utf-8")
        out.files[f"{LIB_DIR}/geoloft.js"] = RUNTIME_JS.encode("utf-8")
        out.head += [
            f'<link rel="stylesheet" href="{LIB_DIR}/geoloft.css">',
            f'<script src="{LIB_DIR}/geoloft.js"></script>',
        ]
    else:
        out.head += [f"<style>{RUNTIME_CSS}</style>", f"<script>{RUNTIME_JS}</script>"]
    return out
