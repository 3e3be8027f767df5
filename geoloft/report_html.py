"""``report.html``: one self-contained, printable page for report writers.

It holds the overview map (embedded as an ``<iframe>`` of ``maps/overview.html``
and as a static figure), a table of intervention areas with key figures, a
profile per area (its map, its indicators against the city average as bar
charts, its index with the uncertainty, the measures in it, the suppression
note) and an "about this report" section from the run record. Every text is
HTML-escaped; figures are inlined as base64 PNG so the page travels alone.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geoloft.labels import format_number
from geoloft.maps.escape import html_text as esc

__all__ = ["IndicatorBar", "ReportData", "ZoneProfile", "local_names", "render_report"]

#: An absolute local path (``/home/ola/x.gpkg``, ``~/x/y.csv``, ``C:\\Users\\ola\\x.csv``,
#: ``file:///home/ola/x.csv``); group 1 is its file name. Web URLs are not matched.
_ABSOLUTE = re.compile(
    r"""(?<![\w.~/:])(?:file://|~|[A-Za-z]:)?[\\/](?:[^\s\\/'"<>]+[\\/])+([^\s\\/'"<>]+)"""
)

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:60rem;padding:1rem 1.5rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.7rem}h2{font-size:1.35rem;margin-top:2.2rem;border-bottom:2px solid #ddd}
h3{font-size:1.1rem}table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.3rem 0}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5rem .8rem}
.synthetic{background:#fde2e2;border-left:4px solid #b00020;padding:.5rem .8rem}
iframe{width:100%;height:32rem;border:1px solid #ccc}
figure{margin:0}img{max-width:100%;height:auto}
code,pre{background:#f4f4f4;padding:.1rem .3rem;font-size:.85rem;white-space:pre-wrap}
.profile{break-inside:avoid-page}
@media print{iframe{display:none}.screen-only{display:none}
.profile{break-before:page}a{color:inherit;text-decoration:none}}
"""


def fmt_number(value: object, decimals: int = 0, lang: str = "nb") -> str:
    """Format a number as :func:`geoloft.labels.format_number` does; non-numbers give "–"."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(number) else format_number(number, decimals=decimals, lang=lang)


@dataclass
class IndicatorBar:
    """One indicator of a profile: the area's rate against the reference rate."""

    label: str
    value: float
    reference: float
    unit: str = "%"


@dataclass
class ZoneProfile:
    """One intervention area's profile."""

    zone_id: str
    name: str
    figures: Mapping[str, str]
    bars: Sequence[IndicatorBar] = ()
    members: Sequence[str] = ()
    member_table: pd.DataFrame | None = None
    measures: pd.DataFrame | None = None
    map_file: str | None = None
    figure_png: Path | None = None
    uncertainty: str = ""
    #: Further sections (title, table), such as Nærmiljø (access to facilities).
    sections: Sequence[tuple[str, pd.DataFrame]] = ()


@dataclass
class ReportData:
    """Everything the report shows."""

    title: str
    lang: str = "nb"
    synthetic: bool = False
    overview_map: str | None = None
    overview_png: Path | None = None
    base: Path | None = None
    zones_table: pd.DataFrame | None = None
    profiles: Sequence[ZoneProfile] = ()
    suppression_note: str = ""
    method: Sequence[str] = ()
    sources: Sequence[str] = ()
    about: Mapping[str, Any] = field(default_factory=dict)
    #: Sections made (and escaped) by their own modules, shown before "About"
    #: (the "Utvikling" section of geoloft.evaluate).
    extra_sections: Sequence[str] = ()


_TEXT = {
    "nb": {
        "zones": "Innsatsområder",
        "profiles": "Områdeprofiler",
        "about": "Om rapporten",
        "method": "Metode",
        "sources": "Kilder",
        "members": "Består av",
        "measures": "Tiltak i området",
        "no_measures": "Ingen registrerte tiltak.",
        "member_scores": "Delområdene: indeks, rang og usikkerhet",
        "indicators": "Indikatorer mot byens snitt",
        "area": "området",
        "city": "byens snitt",
        "map": "Kart",
        "embed": "Slik bygger du inn kartet",
        "synthetic": "SYNTETISKE DATA: tallene og stedene i denne rapporten er laget "
        "for demonstrasjon og beskriver ingen virkelige personer eller steder.",
        "overview": "Oversiktskart",
        "stages": "Rader inn og ut per trinn",
        "stage": "Trinn",
        "in": "Inn",
        "out": "Ut",
        "dropped": "Forkastet (årsak)",
        "versions": "Versjoner",
        "inputs": "Inndata (SHA-256)",
    },
    "en": {
        "zones": "Intervention areas",
        "profiles": "Area profiles",
        "about": "About this report",
        "method": "Method",
        "sources": "Sources",
        "members": "Made up of",
        "measures": "Measures in the area",
        "no_measures": "No measures recorded.",
        "member_scores": "Member areas: index, rank and uncertainty",
        "indicators": "Indicators against the city average",
        "area": "area",
        "city": "city average",
        "map": "Map",
        "embed": "How to embed the map",
        "synthetic": "SYNTHETIC DATA: the figures and places in this report are made up "
        "for demonstration and describe no real people or places.",
        "overview": "Overview map",
        "stages": "Rows in and out per stage",
        "stage": "Stage",
        "in": "In",
        "out": "Out",
        "dropped": "Dropped (reason)",
        "versions": "Versions",
        "inputs": "Inputs (SHA-256)",
    },
}


#: A script loaded from a file beside the page (a map made for a strict CSP).
_LOCAL_SCRIPT = re.compile(r'<script src="(?![a-z]+:)[^"]+"')


def _img(path: Path | None, alt: str) -> str:
    if path is None or not Path(path).is_file():
        return ""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}"></figure>'


def _iframe(src: str | None, title: str, base: Path | None = None) -> str:
    """Return a sandboxed ``<iframe>`` of a map.

    With ``base`` (the folder ``src`` is relative to) the map's page is inlined as
    ``srcdoc``, so the report travels alone; ``src`` stays as the fallback. A page
    made for a strict Content-Security-Policy (its scripts are files beside it)
    is framed by ``src`` only: inlined, its files would not be found, and it
    would fall under the report's own policy. Where the frame cannot run its
    script, the map page says so, and the report's figure (above it) stands in.
    """
    if not src:
        return ""
    inline = ""
    page = (base / src) if base is not None else None
    if page is not None and page.is_file():
        html = page.read_text(encoding="utf-8")
        if not _LOCAL_SCRIPT.search(html):
            inline = f' srcdoc="{esc(html)}"'
    frame = (
        f'<iframe src="{esc(src)}"{inline} title="{esc(title)}" loading="lazy" '
        f'sandbox="allow-scripts allow-popups" allowfullscreen></iframe>'
    )
    return f'<div class="screen-only">{frame}</div>'


def _embed(src: str | None, title: str, lang: str) -> str:
    """Return a folded-away ``<iframe>`` snippet that embeds a map in another page.

    The snippet is shown as text; the title and path in it are escaped first, so
    what a reader copies is itself safe HTML.
    """
    if not src:
        return ""
    snippet = (
        f'<iframe src="{esc(src)}" title="{esc(title)}" width="100%" '
        'height="600" sandbox="allow-scripts allow-popups" loading="lazy" allowfullscreen>'
        "</iframe>"
    )
    return (
        f'<details class="screen-only"><summary>{esc(_TEXT[lang]["embed"])}</summary>'
        f"<pre><code>{esc(snippet)}</code></pre></details>"
    )


def _decimals(values: pd.Series) -> int:
    """Decimals that show a numeric column as rounded upstream (at most 2)."""
    finite = values.dropna().astype(float)
    for digits in (0, 1, 2):
        if (finite.round(digits) == finite).all():
            return digits
    return 2


def _missing(value: object) -> bool:
    """Return whether a cell is missing: None, NaN or pandas' NA (shown as "–")."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _table(frame: pd.DataFrame, caption: str, lang: str) -> str:
    head = "".join(
        f'<th scope="col" class="{"num" if pd.api.types.is_numeric_dtype(frame[c]) else ""}">'
        f"{esc(c)}</th>"
        for c in frame.columns
    )
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, record, strict=True):
            if pd.api.types.is_numeric_dtype(frame[col]) and not isinstance(value, bool):
                digits = _decimals(frame[col])
                cells.append(f'<td class="num">{fmt_number(value, digits, lang)}</td>')
            elif _missing(value):
                cells.append("<td>–</td>")
            else:
                cells.append(f"<td>{esc(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _bars_svg(bars: Sequence[IndicatorBar], lang: str) -> str:
    """Horizontal bar chart: the area (dark) against the reference (light), as SVG."""
    t = _TEXT[lang]
    finite = [v for b in bars for v in (b.value, b.reference) if math.isfinite(v)]
    top = max(finite, default=1.0) or 1.0
    row_h, label_w, width = 34, 210, 640
    scale = (width - label_w - 70) / top
    parts = [
        f'<svg role="img" aria-label="{esc(t["indicators"])}" width="100%" '
        f'viewBox="0 0 {width} {row_h * len(bars) + 24}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="12">'
    ]
    for i, bar in enumerate(bars):
        y = i * row_h + 4
        parts.append(f'<text x="0" y="{y + 14}">{esc(bar.label)}</text>')
        for offset, value, colour, who in (
            (0, bar.value, "#3b528b", t["area"]),
            (14, bar.reference, "#a6bddb", t["city"]),
        ):
            w = value * scale if math.isfinite(value) else 0
            parts.append(
                f'<rect x="{label_w}" y="{y + offset}" width="{w:.1f}" height="12" '
                f'fill="{colour}"><title>{esc(who)}: '
                f"{fmt_number(value, 1, lang)} {esc(bar.unit)}</title></rect>"
            )
            parts.append(
                f'<text x="{label_w + w + 4:.1f}" y="{y + offset + 10}">'
                f"{fmt_number(value, 1, lang)}</text>"
            )
    parts.append(
        f'<text x="{label_w}" y="{row_h * len(bars) + 18}" fill="#555">'
        f"■ {esc(t['area'])}  □ {esc(t['city'])}</text></svg>"
    )
    return "".join(parts)


def _profile(p: ZoneProfile, lang: str, base: Path | None = None) -> str:
    t = _TEXT[lang]
    facts = "".join(
        f"<tr><th scope='row'>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in p.figures.items()
    )
    parts = [
        f'<section class="profile" id="zone-{esc(p.zone_id)}">',
        f"<h3>{esc(p.zone_id)} {esc(p.name)}</h3>",
        f"<table><caption>{esc(p.name)}</caption><tbody>{facts}</tbody></table>",
    ]
    if p.members:
        parts.append(
            f"<p><strong>{esc(t['members'])}:</strong> {esc(', '.join(map(str, p.members)))}</p>"
        )
    if p.uncertainty:
        parts.append(f"<p>{esc(p.uncertainty)}</p>")
    if p.member_table is not None and len(p.member_table):
        parts.append(_table(p.member_table, t["member_scores"], lang))
    parts.append(_img(p.figure_png, f"{t['map']}: {p.name}"))
    parts.append(_iframe(p.map_file, f"{t['map']}: {p.name}", base))
    parts.append(_embed(p.map_file, f"{t['map']}: {p.name}", lang))
    if p.bars:
        parts.append(f"<h4>{esc(t['indicators'])}</h4>{_bars_svg(p.bars, lang)}")
    parts.append(f"<h4>{esc(t['measures'])}</h4>")
    if p.measures is not None and len(p.measures):
        parts.append(_table(p.measures, t["measures"], lang))
    else:
        parts.append(f"<p>{esc(t['no_measures'])}</p>")
    for title, table in p.sections:
        parts.append(f"<h4>{esc(title)}</h4>")
        parts.append(_table(table, title, lang))
    parts.append("</section>")
    return "\n".join(x for x in parts if x)


def local_names(text: str) -> str:
    """Replace every absolute local path in ``text`` by its file name.

    The report travels: it never shows user names or home folders. Relative
    paths and URLs are kept.

    Parameters
    ----------
    text
        Any text.

    Returns
    -------
    str
        ``text`` with ``/home/ola/data/grid.csv`` written as ``grid.csv``.

    Examples
    --------
    >>> local_names("3 outside /home/ola/data/grid.csv; see https://ssb.no/a/b")
    '3 outside grid.csv; see https://ssb.no/a/b'
    >>> local_names("file:///home/ola/x.csv")
    'x.csv'
    >>> local_names("../data/grid.csv")
    '../data/grid.csv'
    """
    return _ABSOLUTE.sub(r"\1", text)


def _about(about: Mapping[str, Any], lang: str) -> str:
    t = _TEXT[lang]
    stages = pd.DataFrame(
        [
            {
                t["stage"]: local_names(str(s.get("stage", ""))),
                t["in"]: s.get("rows_in", 0),
                t["out"]: s.get("rows_out", 0),
                t["dropped"]: local_names(
                    "; ".join(f"{n} {why}" for why, n in s.get("dropped", {}).items())
                ),
            }
            for s in about.get("stages", [])
        ]
    )
    parts = []
    if len(stages):
        parts.append(_table(stages, t["stages"], lang))
    versions = about.get("versions", {})
    if versions:
        parts.append(
            f"<p><strong>{esc(t['versions'])}:</strong> "
            + esc(", ".join(f"{k} {v}" for k, v in versions.items()))
            + "</p>"
        )
    inputs = about.get("inputs", {})
    if inputs:
        items = "".join(
            f"<li><code>{esc(local_names(str(k)))}</code> {esc(v['sha256'][:16])}…</li>"
            for k, v in inputs.items()
        )
        parts.append(f"<p><strong>{esc(t['inputs'])}:</strong></p><ul>{items}</ul>")
    return "\n".join(parts)


def render_report(data: ReportData) -> str:
    """Return the whole report page as HTML text.

    Parameters
    ----------
    data
        What to show; every text in it is escaped here.

    Returns
    -------
    str
        A complete HTML document with print CSS.

    Examples
    --------
    >>> page = render_report(ReportData(title="Demo <by>"))
    >>> "<title>Demo &lt;by&gt;</title>" in page and 'lang="nb"' in page
    True
    """
    t = _TEXT[data.lang]
    parts = [
        f'<!DOCTYPE html><html lang="{esc(data.lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(data.title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{esc(data.title)}</h1></header><main>",
    ]
    if data.synthetic:
        parts.append(f'<p class="synthetic" role="note">{esc(t["synthetic"])}</p>')
    overview = _img(data.overview_png, t["overview"]) + _iframe(
        data.overview_map, t["overview"], data.base
    )
    if overview:  # a run with --only report has no maps or figures
        parts.append(f"<h2>{esc(t['overview'])}</h2>{overview}")
    parts.append(_embed(data.overview_map, data.title, data.lang))
    parts.append(f"<h2>{esc(t['zones'])}</h2>")
    if data.zones_table is not None and len(data.zones_table):
        parts.append(_table(data.zones_table, t["zones"], data.lang))
    if data.suppression_note:
        parts.append(f'<p class="note">{esc(data.suppression_note)}</p>')
    if data.profiles:
        parts.append(f"<h2>{esc(t['profiles'])}</h2>")
        parts.extend(_profile(p, data.lang, data.base) for p in data.profiles)
    parts.extend(data.extra_sections)
    parts.append(f"<h2>{esc(t['about'])}</h2>")
    if data.method:
        parts.append(
            f"<h3>{esc(t['method'])}</h3><ul>"
            + "".join(f"<li>{esc(m)}</li>" for m in data.method)
            + "</ul>"
        )
    if data.sources:
        parts.append(
            f"<h3>{esc(t['sources'])}</h3><ul>"
            + "".join(f"<li>{esc(s)}</li>" for s in data.sources)
            + "</ul>"
        )
    parts.append(_about(data.about, data.lang))
    parts.append("</main></body></html>\n")
    return "\n".join(p for p in parts if p)
