"""Web maps (geoloft.maps): the rendered HTML is checked for layers, legends, escaping,
withheld values, size and accessibility. Browser behaviour is in test_browser.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pyproj import Transformer

from geoloft.cli import main
from geoloft.errors import CRSError, GeometryError, InputError, OutputExistsError, SchemaError
from geoloft.grid import cell_polygons, corners_to_ssbid
from geoloft.maps import embed_snippet, make_map, save_map
from geoloft.maps.escape import html_text
from geoloft.maps.offline import find_asset
from geoloft.maps.prepare import encode_polygons, simplify_coverage

X0, Y0 = 262_000, 6_649_000  # Oslo, EPSG:25833

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "</script><script>alert(3)</script>",
    "${alert(1)}",
    "`${alert(2)}`",
    '"><svg onload=alert(4)>',
    "{{ 7*191 }}{% if 1 %}",
]


_INPUT = re.compile(
    r'<input type="(radio|checkbox)"(?: name="([\w-]+)")? data-layer="(\w+)"( checked)?>'
    r"<span>(.*?)</span>"
)


def _panel(html: str) -> dict[str, tuple[str, str, str, bool]]:
    """Return the layer panel's entries: name -> (input type, group, layer variable, checked)."""
    return {
        name: (kind, group or "", var, bool(on))
        for kind, group, var, on, name in _INPUT.findall(html)
    }


def _areas(names=("Tøyen", "Grønland", "Vålerenga")):
    return gpd.GeoDataFrame(
        {
            "area_id": ["0101", "0102", "0103"],
            "name": list(names),
            "pop_tot": [5000.0, 7.0, 1200.0],  # the second is under the threshold
            "low_income": [12.5, 987654.321, 20.25],
            "index": [-0.5, 31.415926, 1.25],
        },
        geometry=[shapely.box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(3)],
        crs="EPSG:25833",
    )


GRID_POP = [1234, 2345, 3, 4567, 5, 6789, 2, 1111, 2222, 3333, 4, 5555]


def _grid():
    ssbid = corners_to_ssbid(X0 + 250 * np.arange(12), np.full(12, Y0))
    return gpd.GeoDataFrame(
        {
            "ssbid": ssbid,
            "cell_size": 250,
            "pop_tot": np.array(GRID_POP, dtype=float),
            "pop_ave": [40.1, 41.2, 77.77, 43.3, 66.66, 45.5, 55.55, 47.7, 48.8, 49.9, 44.44, 51.1],
        },
        geometry=cell_polygons(ssbid, 250),
        crs="EPSG:25833",
    )


def _zones(name="Indre Øst"):
    return gpd.GeoDataFrame(
        {
            "zone_id": ["Z1"],
            "name": [name],
            "members": ["0101,0102"],
            "pop": [6207.0],
            "area_km2": [2.0],
            "index": [1.5],
        },
        geometry=[shapely.box(X0, Y0, X0 + 2000, Y0 + 1000)],
        crs="EPSG:25833",
    )


def _measures(n=3, name="Nærmiljøpark", category=("Bolig", "Park", "Bolig"), status="planlagt"):
    return gpd.GeoDataFrame(
        {
            "measure_id": [f"T{i}" for i in range(n)],
            "name": [f"{name} {i}" for i in range(n)],
            "category": [category[i % len(category)] for i in range(n)],
            "status": status,
            "start_year": 2021,
            "end_year": 2024,
            "budget": 1_250_000.0,
        },
        geometry=[shapely.Point(X0 + 100 + 20 * i, Y0 + 500) for i in range(n)],
        crs="EPSG:25833",
    )


def _html(**kwargs) -> str:
    kwargs.setdefault("basemap", "topograatone")
    areas = kwargs.pop("areas", _areas())
    return make_map(areas, **kwargs).get_root().render()


def _layer_data(html: str, geo: str) -> dict:
    match = re.search(rf"geoloft\.polygons\({geo}, (\{{.*\}})\);", html)
    assert match, f"no layer on {geo}"
    return json.loads(match.group(1))


def test_page_is_accessible():
    html = _html(grid=_grid(), zones=_zones(), measures=_measures(), title="Levekår i Oslo")
    assert html.startswith('<!DOCTYPE html>\n<html lang="nb">')
    assert "<title>Levekår i Oslo</title>" in html
    viewport = re.search(r'<meta name="viewport" content="([^"]*)"', html).group(1)
    assert "user-scalable" not in viewport
    assert "maximum-scale" not in viewport
    assert html.count('name="viewport"') == 1
    assert '<a class="gl-skip" href="#gl-tables">' in html
    tables = re.findall(
        r'<div class="gl-table" role="region" tabindex="0" aria-labelledby="([^"]+)">'
        r'<table><caption id="\1">',
        html,
    )
    assert set(tables) == {"gl-table-areas", "gl-table-grid", "gl-table-zones", "gl-table-measures"}
    assert '<th scope="row">Tøyen</th>' in html
    assert 'role="search"' in html
    assert '<label for="gl-search-input">' in html


def test_layers_basemaps_and_controls():
    html = _html(grid=_grid(), zones=_zones(), measures=_measures(), indicators=None)
    panel = _panel(html)
    for name in (
        "Kartverket gråtone",
        "Kartverket topografisk",
        "OpenStreetMap",
        "Uten bakgrunnskart",
    ):
        assert panel[name][:2] == ("radio", "gl-base")
    # the index is a colouring (exclusive, with "none"); the rest are overlays
    assert panel["Indeks"][:2] == ("radio", "gl-choice")
    assert 'name="gl-choice" data-none="1"><span>Ingen</span>' in html
    for name in ("Innsatsområder", "Befolkning per rute (250 m)", "Tiltak"):
        assert panel[name][:2] == ("checkbox", "")
    tiles = {
        json.loads(url): var
        for var, url in re.findall(r'var (\w+) = L\.tileLayer\(("[^"]*")', html)
    }
    kartverket = (
        "https://cache.kartverket.no/v1/wmts/1.0.0/{}/default/webmercator/{{z}}/{{y}}/{{x}}.png"
    )
    assert set(tiles) == {
        kartverket.format("topograatone"),
        kartverket.format("topo"),
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    }
    assert f"{tiles[kartverket.format('topograatone')]}.addTo(" in html  # the default is on
    assert f"{tiles[kartverket.format('topo')]}.addTo(" not in html
    assert "© Kartverket" in html
    assert "L.control.scale({metric: true, imperial: false})" in html
    assert "geoloft.fullscreen(" in html
    assert "geoloft.search(" in html
    none = _html(basemap="none")
    assert re.search(r"var (\w+) = L\.layerGroup\(\);\n\1\.addTo\(", none)


def test_every_layer_has_a_legend_that_starts_hidden():
    html = _html(
        grid=_grid(),
        zones=_zones(),
        measures=_measures(),
        indicators={"index": "Levekårsindeks", "low_income": "Lavinntekt"},
    )
    pairs = re.search(r"geoloft\.legends\(\w+, \"gl-legends\", \[(.*)\]\);", html).group(1)
    ids = re.findall(r'\[\w+, "([\w-]+)"\]', pairs)
    assert ids == [
        "gl-legend-zones",
        "gl-legend-area-0",
        "gl-legend-area-1",
        "gl-legend-grid",
        "gl-legend-measures",
    ]
    for legend_id in ids:
        assert f'<div class="gl-legend" id="{legend_id}" hidden>' in html
    legend = re.search(r'id="gl-legend-area-0" hidden>(.*?)</div>', html).group(1)
    assert "<h2>Levekårsindeks</h2>" in legend
    assert "Skjult (under 10 personer)" in legend  # the withheld area has its own class
    assert "klasser, kvantiler" in legend


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_every_text_are_escaped(payload):
    m = make_map(
        _areas(names=(payload, "Grønland", "Vålerenga")),
        zones=_zones(name=payload),
        measures=_measures(name=payload, category=(payload,), status=payload),
        indicators={"index": payload},
        title=payload,
    )
    html = m.get_root().render()
    assert payload not in html
    assert html_text(payload) in html  # the table shows it, as text
    assert "1337" not in html  # no template was evaluated
    assert html.count("</script>") == len(re.findall(r"<script[ >]", html))


def test_withheld_values_never_reach_the_page():
    html = _html(grid=_grid(), zones=_zones(), indicators=["index", "low_income"])
    for shown in ("12,5", "\u22120,5"):
        assert shown in html
    for withheld in ("987654", "987\u00a0654", "987,654", "31,4", "31.4"):  # area of 7 residents
        assert withheld not in html
    table = re.search(
        r'<div class="gl-table"[^>]*aria-labelledby="gl-table-areas">(.*?)</table>', html
    ).group(1)
    assert re.findall(r"<tr><th scope=\"row\">Grønland</th>(.*?)</tr>", table) == [
        '<td>0102</td><td class="num">skjult</td><td class="num">skjult</td>'
        '<td class="num">skjult</td>'
    ]
    grid = _layer_data(html, "gl_geo_grid")
    withheld = [i for i, p in enumerate(GRID_POP) if p < 10]
    assert [grid["c"][i] for i in withheld] == [-2] * len(withheld)
    assert [grid["t"][i] for i in withheld] == [None] * len(withheld)
    shown = [float(t.replace("\u00a0", "")) for t in grid["t"] if t is not None]
    assert min(shown) >= 10
    ave = _html(grid=_grid(), grid_column="pop_ave")
    texts = _layer_data(ave, "gl_geo_grid")["t"]
    outside_scripts = re.sub(r"<script>.*?</script>", "", ave, flags=re.DOTALL)
    for withheld_age in ("77,8", "66,7", "55,6", "44,4"):  # mean age in cells of 2-5 persons
        assert withheld_age not in texts
        assert withheld_age not in outside_scripts
    assert "41,2" in texts
    assert "49,9" in texts
    areas = _layer_data(html, "gl_geo_areas")
    assert areas["c"][1] == -2
    assert areas["t"][1] is None


def test_numbers_and_words_follow_the_language():
    html = _html(
        measures=_measures(),
        lang="en",
        indicators={
            "low_income": {
                "label_nb": "Lavinntekt",
                "label_en": "Low income",
                "direction": "higher_is_worse",
            }
        },
    )
    assert '<html lang="en">' in html
    assert _panel(html)["Low income"][:2] == ("radio", "gl-choice")
    assert _panel(html)["Measures"][:2] == ("checkbox", "")
    assert "NOK 1,250,000" in html
    nb = _html(measures=_measures())
    assert "1\u00a0250\u00a0000\u00a0kr" in nb
    assert "2021–2024" in nb


def test_higher_is_better_reverses_the_palette():
    worse = _layer_data(_html(indicators=["low_income"]), "gl_geo_areas")
    better = _layer_data(
        _html(indicators={"low_income": {"label": "Høy inntekt", "direction": "higher_is_better"}}),
        "gl_geo_areas",
    )
    assert better["p"] == worse["p"][::-1]


def test_fixed_breaks():
    data = _layer_data(
        _html(indicators=["low_income"], breaks={"low_income": [15, 30]}), "gl_geo_areas"
    )
    assert data["c"] == [0, -2, 1]


def test_measures_by_category_with_popups():
    html = _html(measures=_measures(n=4))
    data = json.loads(re.search(r"geoloft\.measures\((\{.*\}), (\{.*\})\)", html).group(1))
    assert [c["g"] for c in data["cats"]] == ["●", "▲"]
    assert data["cats"][0]["c"] != data["cats"][1]["c"]
    assert data["k"] == [0, 1, 0, 0]
    popup = data["pop"][0]
    for part in ("Nærmiljøpark 0", "Kategori: Bolig", "År: 2021–2024", "Budsjett: 1", "planlagt"):
        assert part in popup
    lat, lon = Transformer.from_crs(25833, 4326, always_xy=True).transform(X0 + 100, Y0 + 500)[::-1]
    assert data["ll"][:2] == [round(lat * 1e5), round(lon * 1e5)]


def test_many_measures_are_clustered_online():
    m = make_map(measures=_measures(n=31))
    html = m.get_root().render()
    assert "leaflet.markercluster" in html
    assert '{"cluster":true}' in html


def test_offline_page_is_self_contained():
    m = make_map(_areas(), grid=_grid(), measures=_measures(n=31), offline=True)
    html = m.get_root().render()
    assert "<script src=" not in html
    assert "<link " not in html
    assert "Leaflet 1.9.4" in html
    assert "url(images/" not in html  # control icons are inlined
    assert "cache.kartverket.no" in html  # only the tiles need the network
    if find_asset("markercluster.js") is None:
        assert '{"cluster":false}' in html
        assert any("gruppering av tiltak er utelatt" in n for n in m.notes)
        assert "gruppering av tiltak er utelatt" in html


def test_coordinates_are_rounded_to_a_metre():
    box = gpd.GeoSeries([shapely.box(X0, Y0, X0 + 250, Y0 + 250)], crs=25833)
    enc = encode_polygons(box)
    assert all(isinstance(v, int) for v in enc["d"])
    points = np.cumsum(np.array(enc["d"]).reshape(-1, 2), axis=0) / 1e5
    assert len(points) == 4  # the closing point is not repeated
    exact = np.array(shapely.get_coordinates(box.to_crs(4326).iloc[0]))[:-1]
    assert np.abs(points - exact).max() <= 0.5e-5


def test_shared_boundaries_are_simplified_together(realdata):
    raw = gpd.read_file(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson")
    areas = gpd.GeoSeries(shapely.force_2d(raw.geometry.to_numpy()), crs=4326).to_crs(25833)
    simplified, _ = simplify_coverage(areas, tolerance=5.0)
    assert (
        shapely.get_num_coordinates(simplified.to_numpy()).sum()
        < 0.7 * shapely.get_num_coordinates(areas.to_numpy()).sum()
    )

    def overlap(geoms):
        left, right = gpd.GeoSeries(geoms).sindex.query(geoms, predicate="intersects")
        keep = left < right
        return shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]])).sum()

    def gaps(geoms):
        return shapely.area(shapely.union_all(areas.to_numpy())) - shapely.area(
            shapely.union_all(geoms)
        )

    together = simplified.to_numpy()
    alone = shapely.simplify(areas.to_numpy(), 5.0)  # what the module must not do
    assert overlap(together) < 5
    assert abs(gaps(together)) < 2_000
    assert overlap(alone) > 10 * max(overlap(together), 1)


def test_large_grids_are_drawn_as_classes(monkeypatch):
    monkeypatch.setattr("geoloft.maps.layers.DISSOLVE_ABOVE", 5)
    m = make_map(grid=_grid())
    data = _layer_data(m.get_root().render(), "gl_geo_grid")
    assert sorted(data["c"]) == sorted(set(data["c"]))  # one shape per class
    assert -2 in data["c"]
    assert any("slått sammen per klasse" in n for n in m.notes)


def test_inputs_are_not_changed():
    areas, grid, zones, measures = _areas(), _grid(), _zones(), _measures()
    make_map(areas.copy(), grid=grid.copy(), zones=zones.copy(), measures=measures.copy())
    make_map(areas, grid=grid, zones=zones, measures=measures)
    assert_geodataframe_equal(areas, _areas())
    assert_geodataframe_equal(grid, _grid())
    assert_geodataframe_equal(measures, _measures())


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: make_map(_areas().to_crs(4326)), CRSError, r"areas: the layer is in EPSG:4326"),
        (
            lambda: make_map(_areas().drop(columns="name")),
            SchemaError,
            r"areas: column 'name': missing column\(s\) name",
        ),
        (
            lambda: make_map(grid=_grid().drop(columns="pop_tot")),
            SchemaError,
            r"grid: column 'pop_tot'",
        ),
        (
            lambda: make_map(_areas(), indicators=["nope"]),
            SchemaError,
            r"indicators: column 'nope'.*not found in the areas",
        ),
        (
            lambda: make_map(_areas().assign(txt="a"), indicators=["txt"]),
            SchemaError,
            "not numeric",
        ),
        (lambda: make_map(), InputError, r"make_map: nothing to map"),
        (lambda: make_map(_areas(), basemap="google"), InputError, r"basemap: unknown basemap"),
        (lambda: make_map(_areas(), lang="se"), InputError, r"lang: unknown language"),
        (lambda: make_map(_areas().iloc[:0]), GeometryError, r"areas: no row has a geometry"),
        (lambda: make_map(pd.DataFrame({"a": [1]})), TypeError, r"areas must be a GeoDataFrame"),
    ],
    ids=[
        "crs",
        "column",
        "grid-pop",
        "indicator",
        "text-indicator",
        "empty",
        "basemap",
        "lang",
        "no-rows",
        "type",
    ],
)
def test_bad_input(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_save_map_is_atomic_and_refuses_to_overwrite(tmp_path):
    m = make_map(_areas())
    target = tmp_path / "kart.html"
    size = save_map(m, target)
    assert size == target.stat().st_size > 10_000
    with pytest.raises(OutputExistsError, match="the file exists"):
        save_map(m, target)
    assert save_map(m, target, overwrite=True) == size
    assert [p.name for p in tmp_path.iterdir()] == ["kart.html"]


def test_embed_snippet():
    snippet = embed_snippet("kart.html", title='Kart "Oslo"')
    assert snippet.startswith('<iframe src="kart.html" title="Kart &quot;Oslo&quot;" sandbox="')
    assert "allow-same-origin" not in snippet
    assert "allowfullscreen" in snippet


def _size(path: Path) -> int:
    return path.stat().st_size


def test_real_oslo_map_fits_the_budget(realdata, tmp_path):
    raw = gpd.read_file(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson").to_crs(25833)
    areas = gpd.GeoDataFrame(
        {"area_id": raw["DELBYDEL"].astype(str), "name": raw["DELBYDELSN"].astype(str)},
        geometry=shapely.force_2d(raw.geometry.to_numpy()),
        crs=25833,
    )
    cells = pd.read_csv(realdata / "ssb-grid-norway-2015" / "ru250m_2015_oslo0301.csv", sep=";")
    grid = gpd.GeoDataFrame(
        {"ssbid": cells["ru250m"], "cell_size": 250, "pop_tot": cells["pop_tot"].astype(float)},
        geometry=cell_polygons(cells["ru250m"].to_numpy(), 250),
        crs=25833,
    )
    assert (len(areas), len(grid)) == (97, 2304)
    rng = np.random.default_rng(1)
    areas["index"] = rng.normal(size=97).round(3)
    areas["low_income"] = rng.uniform(2, 30, 97)
    for offline in (False, True):
        m = make_map(areas, grid=grid, indicators=["index", "low_income"], offline=offline)
        path = tmp_path / f"oslo_{offline}.html"
        save_map(m, path)
        assert _size(path) <= 1_500_000


DEMO = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.skipif(not (DEMO / "boundaries").is_dir(), reason="demo data (data/) not generated")
def test_demo_overview_map_fits_the_budget(tmp_path):
    from geoloft.boundaries import read_boundaries
    from geoloft.grid.read import read_grid
    from geoloft.indicators import read_indicators
    from geoloft.measures import read_measures

    areas = read_boundaries(DEMO / "boundaries" / "demoby_delbydeler.geojson")
    table = read_indicators(DEMO / "indicators" / "demoby_levekar_delbydel.csv", areas=areas)
    rates = {c[:-2]: 100 * table[c] / table[c[:-2] + "_d"] for c in table if c.endswith("_n")}
    areas = areas.merge(pd.DataFrame({"area_id": table["area_id"], **rates}), how="left")
    grid = read_grid(DEMO / "grid" / "demoby_ru250m_syntetisk.csv")
    measures = pd.concat(
        [
            read_measures(DEMO / "measures" / f)
            for f in ("demoby_tiltak.csv", "demoby_tiltak_omrader.geojson")
        ]
    )
    worst = areas.nlargest(4, "lavinntekt")
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": ["Østdalen"], "members": [",".join(worst["area_id"])]},
        geometry=[worst.union_all()],
        crs=25833,
    )
    for offline in (False, True):
        m = make_map(
            areas,
            grid=grid,
            measures=measures,
            zones=zones,
            offline=offline,
            indicators=list(rates),
        )
        path = tmp_path / f"demo_{offline}.html"
        save_map(m, path)
        assert _size(path) <= 2_000_000


def test_cli_map(tmp_path, capsys):
    boundaries = tmp_path / "omrader.geojson"
    columns = {"area_id": "DELBYDEL", "name": "DELBYDELSN"}
    areas = _areas(names=("Tøyen", "<b>x</b>", "Vålerenga")).to_crs(4326)
    areas[["area_id", "name", "geometry"]].rename(columns=columns).to_file(boundaries)
    grid = tmp_path / "ru250m_oslo.csv"
    rows = [f"{i};{int(p)}" for i, p in zip(_grid()["ssbid"], GRID_POP, strict=True)]
    grid.write_text("ru250m;pop_tot\n" + "\n".join(rows) + "\n", encoding="utf-8")
    # the zone's persons are its members' (0101 and 0102: the first 8 cells), as when
    # it is drawn from the same grid: disclosure control protects zones with the areas
    _zones().assign(pop=float(sum(GRID_POP[:8]))).to_file(tmp_path / "innsats.gpkg")
    _measures().drop(columns="measure_id").to_crs(4326).to_file(tmp_path / "tiltak.geojson")
    out = tmp_path / "kart.html"
    args = ["--grid", str(grid), "--areas", str(tmp_path / "innsats.gpkg"), "--measures",
            str(tmp_path / "tiltak.geojson"), "--offline", "--lang", "en"]  # fmt: skip
    assert main(["map", str(boundaries), "-o", str(out), *args]) == 0
    printed = capsys.readouterr().out
    assert f"({out.stat().st_size:,} bytes)" in printed
    assert '<iframe src="kart.html" title=' in printed
    assert "sandbox=" in printed
    html = out.read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    for layer in ("gl_geo_areas", "gl_geo_grid", "gl_geo_zones", "geoloft.measures("):
        assert layer in html
    assert main(["map", str(boundaries), "-o", str(out)]) == 1
    assert "the file exists" in capsys.readouterr().err


def test_folium_layers_added_later_join_the_layer_control():
    import folium

    m = make_map(_areas())
    folium.GeoJson(_zones().to_crs(4326).__geo_interface__, name="<i>ekstra</i>").add_to(m)
    html = m.get_root().render()
    var = _panel(html)["&lt;i&gt;ekstra&lt;/i&gt;"][2]  # escaped, like every layer name
    where = html.index(f'"{var}": {var}')  # handed to the layer panel's script
    assert html.index(f"var {var} ") < where  # defined before the control names it


def test_custom_basemap():
    from geoloft.maps import Basemap

    own = Basemap("kommune", "https://kart.example.no/{z}/{x}/{y}.png", "© Kommunen", "")
    html = _html(basemap=own)
    assert _panel(html)["kommune"][:2] == ("radio", "gl-base")
    assert "© Kommunen" in html
    bad = Basemap("x", "javascript:alert(1)//{z}", "", "")
    with pytest.raises(
        InputError, match=r"basemap: the basemap's url must be an http\(s\) address"
    ):
        make_map(_areas(), basemap=bad)


def test_cli_map_withholds_table_figures_of_small_areas_using_the_grid(tmp_path, capsys):
    # With --grid the map knows each area's persons, so the figures of an area of 7
    # persons from --indicators never reach the page (they did: the table's values
    # were drawn, classed and tabulated, with only a note that nothing was withheld).
    boundaries = tmp_path / "omrader.geojson"
    columns = {"area_id": "DELBYDEL", "name": "DELBYDELSN"}
    _areas().to_crs(4326)[["area_id", "name", "geometry"]].rename(columns=columns).to_file(
        boundaries
    )
    # two cells wholly in each area; area 0102 ([X0+1000, X0+2000)) has 3 + 4 = 7 persons
    xs = X0 + 250 * np.array([0, 1, 4, 5, 8, 9])
    pops = [400, 500, 3, 4, 600, 700]
    rows = [f"{i};{p}" for i, p in zip(corners_to_ssbid(xs, np.full(6, Y0)), pops, strict=True)]
    grid = tmp_path / "ru250m.csv"
    grid.write_text("ru250m;pop_tot\n" + "\n".join(rows) + "\n", encoding="utf-8")
    table = tmp_path / "indikatorer.csv"
    table.write_text(
        "area_id;lavinntekt\n0101;123.25\n0102;98765.4321\n0103;456.75\n", encoding="utf-8"
    )
    out = tmp_path / "kart.html"
    args = ["--grid", str(grid), "--indicators", str(table), "--basemap", "none"]
    assert main(["map", str(boundaries), "-o", str(out), *args]) == 0
    assert "befolkningskolonne" not in capsys.readouterr().out  # no "nothing withheld" note
    page = re.sub(r'"d":\[[-\d,]*\]', "", out.read_text(encoding="utf-8"))  # drop coordinates
    assert '<td class="num">123</td>' in page  # the other areas are drawn
    assert '<td class="num">457</td>' in page
    assert "98765" not in page.replace("\u00a0", "")  # not in the table, data nor legend
    assert "98\u00a0" not in page
    assert "98,8" not in page


def test_cli_map_never_writes_over_its_input(tmp_path, capsys):
    # `geoloft map b.geojson -o b.geojson --overwrite` replaced the boundaries with HTML.
    boundaries = tmp_path / "omrader.geojson"
    _areas().to_crs(4326)[["area_id", "name", "geometry"]].to_file(boundaries)
    grid = tmp_path / "ru250m.html"  # an input whose name looks like a map page
    grid.write_text("ru250m;pop_tot\n22620006649000;12\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in (boundaries, grid)}
    assert main(["map", str(boundaries), "-o", str(boundaries), "--overwrite"]) == 1
    assert "a map page is HTML" in capsys.readouterr().err
    args = ["--grid", str(grid), "-o", str(grid), "--overwrite"]
    assert main(["map", str(boundaries), *args]) == 1
    assert "refusing to overwrite an input file" in capsys.readouterr().err
    assert all(p.read_bytes() == data for p, data in before.items())


def test_save_map_refuses_an_input(tmp_path):
    source = tmp_path / "omrader.html"
    source.write_text("<p>input</p>", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="refusing to overwrite an input"):
        save_map(make_map(_areas()), source, overwrite=True, inputs=[source])
    assert source.read_text(encoding="utf-8") == "<p>input</p>"


# -- real files: holes, collections, measures with only a location, bounds, names ------------


def _bounds_of(html: str) -> list[list[float]]:
    return json.loads(re.search(r"geoloft\.fit\(gl_geoloftmap_0, (\[\[.*?\]\])\);", html).group(1))


def _degrees(frame) -> np.ndarray:
    return frame.to_crs(4326).total_bounds


def test_a_donut_and_a_collection_keep_their_holes_and_polygons():
    donut = shapely.box(X0, Y0, X0 + 900, Y0 + 900).difference(
        shapely.box(X0 + 300, Y0 + 300, X0 + 600, Y0 + 600)
    )
    mixed = shapely.GeometryCollection(
        [shapely.box(X0 + 900, Y0, X0 + 1800, Y0 + 900), shapely.LineString([(X0, Y0), (X0, 0)])]
    )
    areas = gpd.GeoDataFrame(
        {"area_id": ["1", "2", "3", "4"], "name": ["Ring", "Blandet", "Strek", "Tom"]},
        geometry=[donut, mixed, shapely.LineString([(X0, Y0), (X0 + 5, Y0)]), shapely.Polygon()],
        crs=25833,
    )
    m = make_map(areas, basemap="none", tolerance=0)
    html = m.get_root().render()
    enc = json.loads(re.search(r"geoloft\.decode\((\{.*?\})\)", html).group(1))
    assert enc["g"] == [0, 1, 2]  # two features drawn, one polygon each
    assert enc["p"] == [0, 2, 3]  # the donut has a shell and a hole; the collection one shell
    assert m.notes[0] == "Områder: 2 uten flate er ikke tegnet (tom geometri, linje eller punkt)."
    assert "Blandet" in html
    assert ">Strek<" not in html


def test_measures_need_only_a_location():
    """The issue's file: id;navn;kategori;lon;lat, no years, status or budget; <NA> in some."""
    lon, lat = np.array([10.75, 10.76, np.nan, 10.78]), np.array([59.91, 59.92, 59.93, 59.94])
    frame = pd.DataFrame(
        {
            "name": pd.array(["Skole A", None, "Skole C", "Skole D"], dtype="string"),
            "category": pd.array(["skole", pd.NA, "skole", None], dtype="string"),
            "start_year": pd.array([2015, None, None, 2020], dtype="Int64"),
        }
    )
    measures = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326).to_crs(
        25833
    )
    measures = measures[measures.geometry.is_valid & ~measures.geometry.is_empty]
    m = make_map(measures=measures, basemap="none")
    html = m.get_root().render()
    data = json.loads(re.search(r"geoloft\.measures\((\{.*?\}), \{", html).group(1))
    assert len(data["ll"]) == 2 * 3
    assert [c["g"] for c in data["cats"]] == ["●", "▲"]  # "skole" and "Uten kategori"
    assert "Uten kategori" in html
    assert data["pop"][0] == "<strong>Skole A</strong><br>Kategori: skole<br>År: 2015–"
    assert data["pop"][1] == "Uten kategori"  # nothing known: never an empty popup
    for bad in ("nan", "&lt;NA&gt;", "None", "2\u00a0015", "Ingen data"):
        assert bad not in "".join(data["pop"]) + html[html.index('id="gl-table-measures"') :]
    only_location = gpd.GeoDataFrame(geometry=measures.geometry.to_numpy(), crs=25833)
    html = make_map(measures=only_location, basemap="none").get_root().render()
    assert len(json.loads(re.search(r"geoloft\.measures\((\{.*?\}), \{", html).group(1))["ll"]) == 6


def test_lines_and_polygons_as_measures_are_marked_on_them():
    line = shapely.LineString([(X0, Y0), (X0 + 1000, Y0)])
    park = shapely.box(X0, Y0, X0 + 400, Y0 + 400).difference(
        shapely.box(X0 + 100, Y0 + 100, X0 + 300, Y0 + 300)
    )
    measures = gpd.GeoDataFrame({"name": ["Sti", "Park"]}, geometry=[line, park], crs=25833)
    data = json.loads(
        re.search(r"geoloft\.measures\((\{.*?\}), \{", _html(areas=None, measures=measures)).group(
            1
        )
    )
    to_wgs = Transformer.from_crs(25833, 4326, always_xy=True)
    points = np.array(data["ll"]).reshape(-1, 2)[:, ::-1] / 1e5
    for (lon, lat), shape in zip(points, [line, park], strict=True):
        x, y = to_wgs.transform(lon, lat, direction="INVERSE")
        assert shape.distance(shapely.Point(x, y)) < 1.5  # on the line, in the park (not its hole)


def test_the_map_opens_on_the_areas_not_a_national_grid_or_far_measures():
    far_cells = corners_to_ssbid(np.array([-50_000, 900_000]), np.array([6_450_000, 7_900_000]))
    grid = pd.concat(
        [
            _grid(),
            gpd.GeoDataFrame(
                {"ssbid": far_cells, "cell_size": 250, "pop_tot": [500.0, 600.0]},
                geometry=cell_polygons(far_cells, 250),
                crs=25833,
            ),
        ],
        ignore_index=True,
    )
    far = _measures(n=2)
    far.geometry = [shapely.Point(600_000, 7_700_000), shapely.Point(X0, Y0)]
    (south, west), (north, east) = _bounds_of(_html(grid=grid, measures=far))
    assert [west, south, east, north] == pytest.approx(_degrees(_areas()))
    # without areas the grid decides, and a given study area overrides everything
    (south, west), (north, east) = _bounds_of(
        make_map(grid=_grid(), measures=far).get_root().render()
    )
    assert [west, south, east, north] == pytest.approx(_degrees(_grid()))
    study = gpd.GeoSeries([shapely.box(X0, Y0, X0 + 500, Y0 + 500)], crs=25833)
    (south, west), (north, east) = _bounds_of(_html(grid=grid, fit=study))
    assert [west, south, east, north] == pytest.approx(_degrees(study))
    with pytest.raises(CRSError, match="fit: the study area has no CRS"):
        make_map(_areas(), fit=gpd.GeoSeries([shapely.box(0, 0, 1, 1)]))


def test_same_map_same_bytes_without_touching_branca():
    from branca.element import Element

    before = dict(vars(Element))
    pages = [
        make_map(_areas(), grid=_grid(), zones=_zones(), measures=_measures()).get_root().render()
        for _ in range(2)
    ]
    assert pages[0] == pages[1]
    assert not re.search(r"_[0-9a-f]{32}\b", pages[0])  # no random element names
    assert dict(vars(Element)) == before


@pytest.mark.parametrize(
    ("method", "label"),
    [("below-average", "Andel indikatorer verre enn snittet"), ("zscore", "Sammensatt z-skår")],
)
def test_the_index_is_named_by_its_method(method, label):
    html = _html(method=method, zones=_zones())
    assert f'"label":"{label}"' in html  # the areas' choropleth
    # the zone's index: averaged from the members' (no n_criteria) ...
    assert f"{label}, befolkningsvektet snitt: 1,50" in html
    # ... or recomputed from counts, which makes it a composite z-score
    counted = _html(method=method, zones=_zones().assign(criteria_met=1.0, n_criteria=2.0))
    assert "Sammensatt z-skår: 1,50" in counted
    assert "befolkningsvektet" not in counted


_SWATCH = re.compile(r'class="gl-swatch" data-bg="(#\w+)" aria-hidden="true"></span>([^<]*)</li>')
_GLYPH = re.compile(
    r'data-bg="(#\w+)" data-fg="(#\w+)" aria-hidden="true">([^<]*)</span>([^<]*)</li>'
)


def _legend(html: str, legend_id: str) -> list[tuple[str, str]]:
    """The class rows (colour, label) of a legend, without the missing/withheld rows."""
    from geoloft.classify import MISSING_COLOUR, SUPPRESSED_COLOUR

    start = html.index(f'id="{legend_id}"')
    rows = _SWATCH.findall(html[start : html.index("</div>", start)])
    return [(c, label) for c, label in rows if c not in (MISSING_COLOUR, SUPPRESSED_COLOUR)]


def test_a_run_draws_every_map_with_one_set_of_classes_and_symbols(tmp_path):
    """The overview and each per-area map: same class bounds and colours, same symbols."""
    from geoloft.config import load_project
    from geoloft.demo import write_demo_project
    from geoloft.pipeline import run

    result = run(load_project(write_demo_project(tmp_path / "p")), out=tmp_path / "out")
    maps = result.out / "maps"
    overview = (maps / "overview.html").read_text(encoding="utf-8")
    ids = re.findall(r'id="(gl-legend-area-\d+)"', overview)
    assert ids
    zone_pages = [p for p in maps.glob("*.html") if p.name != "overview.html"]
    assert zone_pages
    glyphs = {cat: (bg, fg, g) for bg, fg, g, cat in _GLYPH.findall(overview)}
    for page in zone_pages:
        html = page.read_text(encoding="utf-8")
        for legend_id in ids:
            whole, part = _legend(overview, legend_id), _legend(html, legend_id)
            # the same classes: colours in the same order, the same upper bounds
            # (the lowest class starts at the lowest value drawn)
            assert [c for c, _ in part] == [c for c, _ in whole], page.name
            uppers = [label.split(" – ")[-1] for _, label in whole]
            assert [label.split(" – ")[-1] for _, label in part] == uppers
        for bg, fg, g, cat in _GLYPH.findall(html):
            assert glyphs[cat] == (bg, fg, g), (page.name, cat)
    # the QGIS style of the measures gives each category the web maps' colour
    from geoloft.export.formats import read_layer_styles

    qml = next(
        r["styleQML"]
        for r in read_layer_styles(result.out / "geoloft.gpkg")
        if r["f_table_name"] == "measures"
    )
    for cat, (bg, _, _) in glyphs.items():
        rule = re.search(rf'<rule [^>]*label="{re.escape(html_text(cat))}"[^>]*>', qml)
        assert rule, cat
        number = re.search(r'symbol="(\d+)"', rule.group(0)).group(1)
        symbol = re.search(rf'<symbol [^>]*name="{number}".*?</symbol>', qml, re.S)
        rgb = tuple(int(bg[i : i + 2], 16) for i in (1, 3, 5))
        assert ",".join(map(str, rgb)) in symbol.group(0), cat
        # and the shape of the glyph the web maps draw on its marker
        shape = {"●": "circle", "▲": "triangle", "■": "square", "◆": "diamond"}[glyphs[cat][2]]
        assert f'name="name" value="{shape}"' in symbol.group(0), (cat, shape)


def test_a_csp_run_writes_scripts_beside_its_maps_and_lists_them(tmp_path):
    import json as _json

    from geoloft.config import load_project
    from geoloft.demo import write_demo_project
    from geoloft.pipeline import run

    project = write_demo_project(tmp_path / "p")
    text = project.read_text(encoding="utf-8")
    assert "offline = false" in text
    project.write_text(text.replace("offline = false", "offline = false\ncsp = true", 1))
    result = run(load_project(project), out=tmp_path / "out")
    maps = result.out / "maps"
    listed = set(_json.loads((result.out / "run.json").read_text(encoding="utf-8"))["files"])
    for page in maps.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert re.findall(r"<script>", html) == []  # no inline script
        assert " style=" not in html  # nor inline style
        assert f'<script src="{page.stem}.js"></script>' in html
        assert f"maps/{page.stem}.js" in listed
    for name in ("leaflet.js", "leaflet.css", "geoloft.js", "geoloft.css"):
        assert (maps / "lib" / name).is_file()
        assert f"maps/lib/{name}" in listed
    report = (result.out / "report.html").read_text(encoding="utf-8")
    assert "srcdoc=" not in report
