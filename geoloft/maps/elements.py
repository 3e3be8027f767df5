"""The folium elements a geoloft map is built from.

folium re-reads the output of its element templates as Jinja templates and
does not escape text, so geoloft's elements bypass templates altogether: each
renders pre-built, escaped HTML and JavaScript through :class:`Raw`.
:class:`GeoloftMap` is a :class:`folium.Map` (layers, ``add_child``,
``get_root`` work as usual) whose page has a language, a title, a viewport
that allows pinch-zoom, a skip link and data tables after the map.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import folium
from branca.element import Element, Figure, MacroElement

from geoloft.maps.escape import html_text, safe_json
from geoloft.maps.legend import LEGEND_BOX_ID

__all__ = [
    "LAYERS_ID",
    "Controls",
    "GeoloftMap",
    "JsLayer",
    "Page",
    "Raw",
    "Script",
    "name_elements",
]


def _page(element: Element) -> Figure:
    """Return the page (a :class:`Figure`, which has a header, HTML and script) of *element*.

    An element renders only once it sits in a page, so its root is a Figure;
    ``get_root`` is typed to return any Element.
    """
    return cast(Figure, element.get_root())


def _parent(element: Element) -> Element:
    """Return the element *element* was added to (it renders only after being added)."""
    assert element._parent is not None, "render an element only after adding it to a map"
    return element._parent


class _Named(Element):
    """An element whose page name can be set, so the same map writes the same bytes.

    branca names every element ``<kind>_<16 random bytes>``; those names end up
    in the page as element ids and script variables. :func:`name_elements`
    gives geoloft's elements names from a counter instead, through the public
    :meth:`get_name`, so no library internals are patched.
    """

    #: The name on the page; branca's random one while empty.
    page_name: str = ""

    def get_name(self) -> str:
        """Return the name set by :func:`name_elements`, else branca's."""
        return self.page_name or super().get_name()


def name_elements(elements: Iterable[Element], *, prefix: str = "gl") -> None:
    """Name each geoloft element ``<prefix>_<kind>_<n>``, counting in the given order.

    Parameters
    ----------
    elements
        The map and the elements added to it, in the order they were added.
    prefix
        Start of every name (a JavaScript identifier).
    """
    for count, element in enumerate(e for e in elements if isinstance(e, _Named)):
        element.page_name = f"{prefix}_{type(element).__name__.lower()}_{count}"


class Raw(Element):
    """Pre-built HTML or JavaScript, inserted as it is (never read as a template).

    Parameters
    ----------
    content
        Escaped HTML or JavaScript built from :func:`safe_json` output.
    """

    def __init__(self, content: str) -> None:
        super().__init__()
        self._name = "Raw"
        self.content = content

    def render(self, **kwargs: Any) -> str:  # noqa: ARG002 - Element API
        """Return the content."""
        return self.content


class Page(Figure):
    """The HTML page around a map: language, title, viewport, skip link.

    Parameters
    ----------
    lang
        ``"nb"`` or ``"en"``, written to ``<html lang>``.
    title
        Page title and heading (plain text; escaped here).
    skip_text
        Text of the link that jumps past the map to the tables.
    """

    def __init__(self, *, lang: str, title: str, skip_text: str) -> None:
        super().__init__(title=title)
        self.header._children.clear()  # folium's meta tag; the page writes its own
        self.lang = lang
        self.skip_text = skip_text
        #: When set, the page script goes to this file (beside the page) instead of
        #: inline, and :attr:`script_text` holds it after rendering.
        self.script_src = ""
        self.script_text = ""

    def render(self, **kwargs: Any) -> str:
        """Return the whole page."""
        for child in list(self._children.values()):
            child.render(**kwargs)
        title = html_text(self.title)
        script = self.script.render(**kwargs)
        if self.script_src:
            self.script_text = script
            tail = f'<script src="{html_text(self.script_src)}"></script>'
        else:
            tail = f"<script>\n{script}\n</script>"
        return (
            f'<!DOCTYPE html>\n<html lang="{html_text(self.lang)}">\n<head>\n'
            '<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n{self.header.render(**kwargs)}\n</head>\n<body>\n"
            f'<a class="gl-skip" href="#gl-tables">{html_text(self.skip_text)}</a>\n'
            f'<header class="gl-header"><h1>{title}</h1></header>\n'
            f"<main>\n{self.html.render(**kwargs)}\n</main>\n"
            f"{tail}\n</body>\n</html>\n"
        )


class GeoloftMap(_Named, folium.Map):
    """A folium map whose page carries geoloft's script, controls and tables.

    Parameters
    ----------
    bounds
        ``[[south, west], [north, east]]`` in degrees, the view on opening.
    label
        Accessible name of the map region.
    head
        HTML for ``<head>``: Leaflet, plugins, geoloft's script and style.
    body
        HTML after the map: legends and controls (moved into the map by the
        script) and the data tables.
    zoom_titles
        Titles of the zoom buttons.
    no_library
        Message shown above the map until the page script has drawn it, so a
        reader whose browser cannot load or run the map library is told why.
    """

    def __init__(
        self,
        *,
        bounds: Sequence[Sequence[float]],
        label: str,
        head: Sequence[str],
        body: str,
        zoom_titles: tuple[str, str] = ("Zoom inn", "Zoom ut"),
        no_library: str = "",
    ) -> None:
        (south, west), (north, east) = bounds
        super().__init__(location=[(south + north) / 2, (west + east) / 2], tiles=None)
        self.bounds = [list(map(float, bounds[0])), list(map(float, bounds[1]))]
        self.label = label
        self.head = list(head)
        self.body = body
        self.zoom_titles = zoom_titles
        self.no_library = no_library
        #: Notes for the reader (also shown on the page): features left out, etc.
        self.notes: list[str] = []
        #: Files to write beside the page (``csp`` maps): relative path -> bytes.
        self.files: dict[str, bytes] = {}
        #: Files :func:`~geoloft.maps.save_map` wrote: the page, then any beside it.
        self.written: list[Path] = []

    # branca's MacroElement.render (unannotated) returns None, overriding Element.render -> str
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Add the map's head, HTML and script to the page, then its children."""
        figure = _page(self)
        name = self.get_name()
        zoom = {
            "zoomInTitle": html_text(self.zoom_titles[0]),
            "zoomOutTitle": html_text(self.zoom_titles[1]),
        }
        figure.header.add_child(Raw("\n".join(self.head)), name=f"{name}_head")
        message = (
            f'<p class="gl-nolib" id="gl-nolib" role="status">{html_text(self.no_library)}</p>\n'
            if self.no_library
            else ""
        )
        figure.html.add_child(
            Raw(
                f'{message}<div class="folium-map gl-map" id="{name}" role="region" '
                f'aria-label="{html_text(self.label)}"></div>\n{self.body}'
            ),
            name=name,
        )
        script = (
            f"var {name} = L.map({safe_json(name)}, "
            f"{{center: {safe_json(self.location)}, zoom: 11, zoomSnap: 0.25, "
            "zoomControl: false, maxZoom: 19});\n"
            f"L.control.zoom({safe_json(zoom)}).addTo({name});\n"
            f"geoloft.panes({name});\n"
            f"geoloft.fit({name}, {safe_json(self.bounds)});"
        )
        figure.script.add_child(Raw(script), name=name)
        children = list(self._children.values())
        # controls name every layer, so they come after all of them (also ones added later)
        for child in sorted(children, key=lambda c: isinstance(c, Controls)):
            child.render(**kwargs)


class Script(_Named, MacroElement):
    """A piece of page script (such as shared geometry), rendered in order.

    Parameters
    ----------
    code
        JavaScript built from :func:`safe_json` output.
    """

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "Script"
        self.code = code

    # branca's MacroElement.render (unannotated) returns None, overriding Element.render -> str
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # noqa: ARG002
        """Add the code to the page script."""
        _page(self).script.add_child(Raw(self.code), name=self.get_name())


class JsLayer(_Named, folium.map.Layer):
    """A map layer made by a JavaScript expression (tiles, polygons, markers).

    Parameters
    ----------
    name
        Layer name in the layer control (plain text; escaped when rendered).
    js
        Expression that returns a Leaflet layer.
    overlay
        An overlay (check box) rather than a basemap (radio button).
    show
        On when the page opens.
    legend_id
        HTML id of the layer's legend, shown only while the layer is on.
    choice
        One of the map's exclusive layers (indicator choropleths): a radio button,
        with "none", so choropleths never stack.
    """

    def __init__(
        self,
        name: str,
        js: str,
        *,
        overlay: bool = True,
        show: bool = True,
        legend_id: str = "",
        choice: bool = False,
    ) -> None:
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "GeoloftLayer"
        self.js = js
        self.legend_id = legend_id
        self.choice = choice

    # folium's Layer.render (unannotated) returns None, overriding Element.render -> str
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # noqa: ARG002
        """Add the layer (and, if shown, adding it to the map) to the page script."""
        name = self.get_name()
        code = f"var {name} = {self.js};"
        if self.show:
            code += f"\n{name}.addTo({_parent(self).get_name()});"
        _page(self).script.add_child(Raw(code), name=name)


#: Id of the layer panel.
LAYERS_ID = "gl-layers"


def _input(layer: folium.map.Layer, kind: str, group: str) -> str:
    name = f' name="{group}"' if group else ""
    checked = " checked" if layer.show else ""
    return (
        f'<label><input type="{kind}"{name} data-layer="{html_text(layer.get_name())}"{checked}>'
        f"<span>{html_text(layer.layer_name)}</span></label>"
    )


class Controls(_Named, MacroElement):
    """Layer panel, metric scale bar, full screen, search and legend switching.

    Add it to the map after every layer. The panel has three groups: basemaps
    and indicators are radio buttons (one at a time; indicators also "none"),
    boundaries, intervention areas, grid and measures are check boxes.

    Parameters
    ----------
    search_geo
        Name of the script variable with the searchable geometry, or ``""``.
    titles
        Texts of the panel: ``layers`` (its button), ``bases``, ``choices``,
        ``overlays`` (group headings) and ``none`` (no indicator).
    """

    def __init__(self, *, search_geo: str = "", titles: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self._name = "Controls"
        self.search_geo = search_geo
        self.titles = {
            "layers": "Kartlag",
            "bases": "Bakgrunnskart",
            "choices": "Fargelegging",
            "overlays": "Kartlag",
            "none": "Ingen",
            **(titles or {}),
        }

    def _panel(self, layers: Sequence[folium.map.Layer]) -> str:
        t = {k: html_text(v) for k, v in self.titles.items()}
        bases = [x for x in layers if not x.overlay]
        choices = [x for x in layers if x.overlay and getattr(x, "choice", False)]
        overlays = [x for x in layers if x.overlay and not getattr(x, "choice", False)]
        groups = []
        if len(bases) > 1:
            rows = "".join(_input(x, "radio", "gl-base") for x in bases)
            groups.append(f"<fieldset><legend>{t['bases']}</legend>{rows}</fieldset>")
        if choices:
            rows = "".join(_input(x, "radio", "gl-choice") for x in choices)
            none = (
                '<label><input type="radio" name="gl-choice" data-none="1">'
                f"<span>{t['none']}</span></label>"
            )
            groups.append(f"<fieldset><legend>{t['choices']}</legend>{rows}{none}</fieldset>")
        if overlays:
            rows = "".join(_input(x, "checkbox", "") for x in overlays)
            groups.append(f"<fieldset><legend>{t['overlays']}</legend>{rows}</fieldset>")
        return (
            f'<section class="gl-panel gl-layers" id="{LAYERS_ID}" aria-label="{t["layers"]}" '
            f'hidden><button type="button" class="gl-toggle" aria-expanded="false" '
            f'aria-controls="{LAYERS_ID}-body">{t["layers"]}</button>'
            f'<div class="gl-body" id="{LAYERS_ID}-body">{"".join(groups)}</div></section>'
        )

    # branca's MacroElement.render (unannotated) returns None, overriding Element.render -> str
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # noqa: ARG002
        """Add the panel and the controls' script, naming every layer with escaped text."""
        parent = _parent(self)
        m = parent.get_name()
        layers = [
            c for c in parent._children.values() if isinstance(c, folium.map.Layer) and c.control
        ]
        page = _page(self)
        page.html.add_child(Raw(self._panel(layers)), name=f"{self.get_name()}_panel")
        keyed = ", ".join(f"{safe_json(x.get_name())}: {x.get_name()}" for x in layers)
        lines = [
            f"geoloft.layers({m}, {safe_json(LAYERS_ID)}, {{{keyed}}});",
            f"L.control.scale({{metric: true, imperial: false}}).addTo({m});",
            f'geoloft.fullscreen({m}, "gl-fullscreen");',
        ]
        if self.search_geo:
            lines.append(f'geoloft.search({m}, {self.search_geo}, "gl-search");')
        pairs = [
            f"[{layer.get_name()}, {safe_json(legend_id)}]"
            for layer in layers
            if (legend_id := getattr(layer, "legend_id", ""))
        ]
        lines.append(f"geoloft.legends({m}, {safe_json(LEGEND_BOX_ID)}, [{', '.join(pairs)}]);")
        lines.append(f"geoloft.declutter({m});")
        lines.append('geoloft.ready("gl-nolib");')
        page.script.add_child(Raw("\n".join(lines)), name=self.get_name())
