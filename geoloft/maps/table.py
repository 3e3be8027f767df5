"""Data tables under the map, so the map is not the only way to the numbers.

Each table sits in a scrollable region that takes keyboard focus
(``tabindex="0"``) and is named by its ``<caption>``; the first column holds
row headers. Every cell is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence

from geoloft.labels import text
from geoloft.maps.escape import html_text

__all__ = ["data_table", "tables_section"]

TABLES_ID = "gl-tables"


def data_table(
    table_id: str,
    caption: str,
    columns: Sequence[tuple[str, bool]],
    rows: Sequence[Sequence[str]],
) -> str:
    """Return an accessible HTML table.

    Parameters
    ----------
    table_id
        HTML id of the table's caption (the region is labelled by it).
    caption
        What the table shows.
    columns
        ``(heading, numeric)`` per column; numeric columns are right-aligned.
    rows
        Formatted cell texts, one sequence per row; the first cell is the
        row's header.

    Returns
    -------
    str
        The table in a focusable, labelled region.

    Examples
    --------
    >>> html = data_table("t1", "Delbydeler", [("Navn", False), ("Befolkning", True)],
    ...                   [["<b>Tøyen</b>", "1 234"]])
    >>> '<th scope="row">&lt;b&gt;Tøyen&lt;/b&gt;</th>' in html
    True
    """
    head = "".join(f'<th scope="col">{html_text(h)}</th>' for h, _ in columns)
    body = []
    for row in rows:
        cells = [f'<th scope="row">{html_text(row[0])}</th>']
        for (_, numeric), cell in zip(columns[1:], row[1:], strict=True):
            css = ' class="num"' if numeric else ""
            cells.append(f"<td{css}>{html_text(cell)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    cid = html_text(table_id)
    return (
        f'<div class="gl-table" role="region" tabindex="0" aria-labelledby="{cid}">'
        f'<table><caption id="{cid}">{html_text(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def tables_section(tables: Sequence[str], notes: Sequence[str], *, lang: str = "nb") -> str:
    """Return the section under the map with the tables and the notes.

    Parameters
    ----------
    tables
        HTML from :func:`data_table`.
    notes
        Plain-text notes (disclosure control, features left out, ...).
    lang
        Language of the headings.

    Returns
    -------
    str
        A ``<section id="gl-tables">`` (the skip link's target).

    Examples
    --------
    >>> "Merknader" in tables_section([], ["Skjult: 2."])
    True
    """
    parts = [f'<section class="gl-tables" id="{TABLES_ID}" aria-labelledby="{TABLES_ID}-h">']
    parts.append(f'<h2 id="{TABLES_ID}-h">{html_text(text("tables", lang))}</h2>')
    parts.extend(tables)
    if notes:
        parts.append(f"<h3>{html_text(text('notes', lang))}</h3><ul>")
        parts.extend(f"<li>{html_text(note)}</li>" for note in notes)
        parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)
