"""One legend per layer, as static escaped HTML.

Every legend sits, hidden, in one box the page script turns into a map
control; the script shows a legend while its layer is on the map and hides it
when the reader turns the layer off (Leaflet's ``overlayadd``/``overlayremove``
events). The script only handles element ids: all legend text is here,
escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from geoloft.classify import Classes
from geoloft.labels import text
from geoloft.maps.escape import html_text

__all__ = ["category_legend", "class_legend", "legend_box", "outline_legend"]

LEGEND_BOX_ID = "gl-legends"


def _wrap(legend_id: str, title: str, items: Sequence[str], note: str = "") -> str:
    rows = "".join(f"<li>{item}</li>" for item in items)
    tail = f'<p class="gl-note">{html_text(note)}</p>' if note else ""
    return (
        f'<div class="gl-legend" id="{html_text(legend_id)}" hidden>'
        f"<h2>{html_text(title)}</h2><ul>{rows}</ul>{tail}</div>"
    )


def _swatch(colour: str, label: str) -> str:
    return (
        f'<span class="gl-swatch" data-bg="{html_text(colour)}" aria-hidden="true">'
        f"</span>{html_text(label)}"
    )


def class_legend(
    legend_id: str,
    title: str,
    classes: Classes,
    *,
    extra: Sequence[tuple[str, str]] = (),
    note: str = "",
) -> str:
    """Return the legend of a classified (choropleth) layer.

    Parameters
    ----------
    legend_id
        HTML id of the legend.
    title
        Layer name, shown as the heading.
    classes
        Classes from :func:`geoloft.classify.classify`, highest class on top.
    extra
        ``(colour, label)`` rows added below, for missing or suppressed values.
    note
        A line under the list, such as the classification scheme.

    Returns
    -------
    str
        HTML with every text escaped.

    Examples
    --------
    >>> from geoloft.classify import classify
    >>> html = class_legend("l1", "Lavinntekt <%>", classify([1, 2, 3], k=2))
    >>> "Lavinntekt &lt;%&gt;" in html and html.count("<li>")
    2
    """
    items = [_swatch(c, lab) for c, lab in zip(classes.colours, classes.labels, strict=True)]
    items.reverse()
    items += [_swatch(colour, label) for colour, label in extra]
    return _wrap(legend_id, title, items, note)


def category_legend(legend_id: str, title: str, rows: Sequence[tuple[str, str, str, str]]) -> str:
    """Return the legend of measures by category.

    Parameters
    ----------
    legend_id
        HTML id of the legend.
    title
        Layer name.
    rows
        ``(colour, glyph, text colour, category label)`` per category.

    Returns
    -------
    str
        HTML with every text escaped.

    Examples
    --------
    >>> "Møteplass" in category_legend("l2", "Tiltak", [("#000", "●", "#fff", "Møteplass")])
    True
    """
    items = [
        f'<span class="gl-glyph gl-glyph-small" data-bg="{html_text(c)}" data-fg="{html_text(f)}" '
        f'aria-hidden="true">{html_text(g)}</span>'
        f"{html_text(label)}"
        for c, g, f, label in rows
    ]
    return _wrap(legend_id, title, items)


def outline_legend(legend_id: str, title: str, colour: str, label: str) -> str:
    """Return the legend of an outline layer (intervention areas).

    Parameters
    ----------
    legend_id
        HTML id of the legend.
    title
        Layer name.
    colour
        Outline colour.
    label
        What an outline means.

    Returns
    -------
    str
        HTML with every text escaped.

    Examples
    --------
    >>> "gl-line" in outline_legend("l3", "Innsatsområder", "#000", "Grense")
    True
    """
    item = (
        f'<span class="gl-line" data-line="{html_text(colour)}" aria-hidden="true">'
        f"</span>{html_text(label)}"
    )
    return _wrap(legend_id, title, [item])


def legend_box(legends: Sequence[str], *, lang: str = "nb") -> str:
    """Return the box that holds every legend (the script makes it a map control).

    The box folds away behind its heading button (folded on opening on narrow
    screens). Colours are data attributes the page script applies, so the page
    needs no inline style (a strict Content-Security-Policy refuses it).

    Parameters
    ----------
    legends
        Legend HTML from the functions above.
    lang
        Language of the box's accessible name.

    Returns
    -------
    str
        A hidden ``<section>`` with the legends, or ``""`` when there are none.

    Examples
    --------
    >>> legend_box([]) == ""
    True
    """
    if not legends:
        return ""
    title = html_text(text("legend", lang))
    return (
        f'<section class="gl-panel gl-legends" id="{LEGEND_BOX_ID}" aria-label="{title}" hidden>'
        f'<button type="button" class="gl-toggle" aria-expanded="true" '
        f'aria-controls="{LEGEND_BOX_ID}-body">{title}</button>'
        f'<div class="gl-body" id="{LEGEND_BOX_ID}-body">{"".join(legends)}</div></section>'
    )
