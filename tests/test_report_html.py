"""report.html: every text escaped, bars drawn to scale, printable, both languages."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geoloft.report_html import IndicatorBar, ReportData, ZoneProfile, render_report

PAYLOADS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "${alert(1)}", "`x`"]


@pytest.mark.parametrize("payload", PAYLOADS, ids=["img", "script", "template", "backtick"])
def test_every_text_is_escaped(payload):
    page = render_report(
        ReportData(
            title=f"Rapport {payload}",
            zones_table=pd.DataFrame({"Navn": [payload], "Befolkning": [1200.0]}),
            profiles=[
                ZoneProfile(
                    zone_id="Z01",
                    name=payload,
                    figures={payload: payload},
                    bars=[IndicatorBar(payload, 12.0, 8.0)],
                    members=[payload],
                    measures=pd.DataFrame({"Tiltak": [payload]}),
                    map_file=f"maps/{payload}.html",
                )
            ],
            method=[payload],
            sources=[payload],
        )
    )
    assert payload not in page
    assert "<script" not in page
    assert "onerror=" not in page.replace("onerror=alert", "")
    assert "${" not in page
    assert "`" not in page


def test_bars_are_drawn_to_scale():
    page = render_report(
        ReportData(
            title="t",
            profiles=[
                ZoneProfile(
                    zone_id="Z01",
                    name="A",
                    figures={},
                    bars=[
                        IndicatorBar("Lav inntekt", 20.0, 10.0),
                        IndicatorBar("Frafall", 5.0, 10.0),
                    ],
                )
            ],
        )
    )
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', page)]
    # area, city, area, city: 20 : 10 : 5 : 10
    assert widths[0] == pytest.approx(2 * widths[1])
    assert widths[2] == pytest.approx(widths[1] / 2)
    assert widths[3] == pytest.approx(widths[1])


def test_norwegian_and_english_pages():
    table = pd.DataFrame({"Befolkning": [51599.0], "Indeks": [1.27]})
    nb = render_report(ReportData(title="t", zones_table=table, synthetic=True))
    en = render_report(ReportData(title="t", zones_table=table, synthetic=True, lang="en"))
    assert '<html lang="nb">' in nb
    assert "51\u00a0599" in nb
    assert "1,27" in nb
    assert "SYNTETISKE DATA" in nb
    assert '<html lang="en">' in en
    assert "51,599" in en
    assert "SYNTHETIC DATA" in en


def test_page_is_printable_and_maps_are_sandboxed():
    page = render_report(ReportData(title="t", overview_map="maps/overview.html"))
    assert "@media print" in page
    assert 'sandbox="allow-scripts allow-popups"' in page
    assert 'title="Oversiktskart"' in page


def test_embed_snippet_shown_for_copying_is_safe_once_copied():
    # The page shows the snippet as text; what a reader copies is that text unescaped.
    # The title in it must itself be escaped, or a pasted snippet runs the payload.
    import html
    from html.parser import HTMLParser

    title = '"><script>alert(1)</script>'
    page = render_report(ReportData(title=title, overview_map="maps/overview.html"))
    shown = re.search(r"<pre><code>(.*?)</code></pre>", page, re.S).group(1)
    copied = html.unescape(shown)

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags = []

        def handle_starttag(self, tag, attrs):
            self.tags.append((tag, dict(attrs)))

    parser = Tags()
    parser.feed(copied)
    assert [tag for tag, _ in parser.tags] == ["iframe"]
    assert parser.tags[0][1]["title"] == title


def test_missing_text_is_a_dash_not_nan():
    members = pd.DataFrame({"Id": ["0101", "0102"], "Forklaring": ["lavinntekt 2× snitt", None]})
    members["Forklaring"] = members["Forklaring"].astype("str")  # pandas' string dtype: NaN
    page = render_report(
        ReportData(
            title="t",
            profiles=[ZoneProfile(zone_id="Z01", name="A", figures={}, member_table=members)],
        )
    )
    assert "<td>nan</td>" not in page
    assert "<td>None</td>" not in page
    assert "<td>0102</td><td>–</td>" in page


def test_no_overview_heading_without_an_overview():
    assert "Oversiktskart" not in render_report(ReportData(title="t"))
    page = render_report(ReportData(title="t", overview_map="maps/overview.html"))
    assert "<h2>Oversiktskart</h2>" in page


def test_every_zone_map_has_an_embedding_snippet():
    page = render_report(
        ReportData(
            title="t",
            profiles=[
                ZoneProfile(zone_id="Z01", name="Tøyen", figures={}, map_file="maps/Z01.html")
            ],
        )
    )
    assert "&lt;iframe src=&quot;maps/Z01.html&quot; title=&quot;Kart: Tøyen&quot;" in page


def test_inputs_and_reasons_never_show_absolute_local_paths():
    about = {
        "inputs": {
            "data/grid.csv": {"sha256": "a" * 64},
            "/home/ola.nordmann/prosjekt/skoler.geojson": {"sha256": "b" * 64},
            r"C:\Users\kari\data\bydeler.gpkg": {"sha256": "c" * 64},
        },
        "stages": [
            {
                "stage": "read_measures",
                "rows_in": 5,
                "rows_out": 3,
                "dropped": {"outside /home/ola.nordmann/prosjekt/omrade.geojson": 2},
            }
        ],
    }
    page = render_report(ReportData(title="t", about=about, sources=["https://ssb.no/a/b"]))
    for private in ("ola.nordmann", "/home", "kari", "Users"):
        assert private not in page
    for name in ("data/grid.csv", "skoler.geojson", "bydeler.gpkg", "outside omrade.geojson"):
        assert name in page
    assert "https://ssb.no/a/b" in page  # web addresses are kept


def test_map_frames_allow_full_screen_and_csp_pages_are_framed_by_file(tmp_path):
    """Inline pages travel in srcdoc; a page whose scripts are files beside it is framed by src."""
    import geopandas as gpd
    import shapely

    from geoloft.maps import make_map, save_map

    areas = gpd.GeoDataFrame(
        {"area_id": ["1"], "name": ["A"], "index": [1.0]},
        geometry=[shapely.box(262000, 6649000, 263000, 6650000)],
        crs=25833,
    )
    maps = tmp_path / "maps"
    save_map(make_map(areas, offline=True), maps / "inline.html")
    save_map(make_map(areas, csp=True), maps / "csp.html")
    assert (maps / "csp.js").is_file()
    assert (maps / "lib" / "leaflet.js").is_file()
    for name, inlined in (("inline", True), ("csp", False)):
        page = render_report(ReportData(title="t", overview_map=f"maps/{name}.html", base=tmp_path))
        frames = re.findall(r"<iframe [^>]*>", page)
        assert frames
        assert all("allowfullscreen" in f for f in frames)
        assert ("srcdoc=" in frames[0]) is inlined
        snippet = page[page.index("<pre><code>") :]
        assert "allowfullscreen" in snippet
