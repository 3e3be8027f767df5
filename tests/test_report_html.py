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
