"""End to end on real files, in the shapes users have them, checked in a real browser.

Every boundary file of ``../shared/realdata`` × {a national 250 m grid vintage, the national
1 km grid} × {no measures, a minimal lon/lat file, the national school register} runs through
``geoloft run`` with nothing but paths and a study area. Each run's overview map opens in
headless Chromium with no script error, draws every area and every measure inside the study
area, and opens on the study area; every file the run wrote reads back.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geoloft.config import load_project
from geoloft.pipeline import run

pytestmark = pytest.mark.filterwarnings(
    "ignore:.*repaired \\d+ invalid geometries", "ignore:.*dropped \\d+ .*geometr"
)


#: boundary file, and the study-area keys a user would write for it
BOUNDARIES = {
    "oslo-delbydeler": ("oslo-delbydeler/oslo_delbydeler.geojson", ""),
    "oslo-bydeler-names": ("oslo-delbydeler/oslo_bydeler2.geojson", ""),
    "oslo-bydeler-gpkg": ("oslo-bydeler-gpkg/oslo_bydeler.gpkg", ""),
    "kommuner-geojson": ("kommuner-2024/Kommuner-S.geojson", 'kommune = ["0301", "3201"]'),
    "kommuner-topojson": ("kommuner-2024/Kommuner-S.topojson", 'kommune = ["4601"]'),
    "asker-baerum": ("asker-baerum-grunnkretser/ab.geojson", ""),
}
#: a different 250 m vintage for each boundary file, so that every vintage is exercised
VINTAGES = ("2007", "2016", "2019", "2022", "2019", "2016")
GRIDS = ("250m", "1km")
MEASURES = ("none", "minimal", "schools")

# what each map shows, read from the Leaflet objects in the page
COUNT = """() => {
  const isMap = k => { try { return window[k] instanceof L.Map; } catch (e) { return false; } };
  const maps = Object.keys(window).filter(isMap);
  const m = window[maps[0]];
  const out = {maps: maps.length, panes: {}, empty: 0, markers: 0, clustered: 0};
  m.eachLayer(l => {
    if (l instanceof L.Polygon) {
      const pane = l.options.pane || "overlay";
      out.panes[pane] = (out.panes[pane] || 0) + 1;
      if (!l._path || !(l._path.getAttribute("d") || "").length) { out.empty += 1; }
    } else if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) {
      out.clustered += l.getLayers().length;
    } else if (l instanceof L.Marker && !(L.MarkerCluster && l instanceof L.MarkerCluster)) {
      out.markers += 1;
    }
  });
  // a cluster group puts its unclustered markers on the map too: count them once
  const groups = [];
  m.eachLayer(l => {
    if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) { groups.push(l); }
  });
  m.eachLayer(l => {
    const own = l instanceof L.Marker && !(L.MarkerCluster && l instanceof L.MarkerCluster);
    if (own && groups.some(g => g.hasLayer(l))) { out.markers -= 1; }
  });
  const b = m.getBounds();
  out.view = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
  return out;
}"""


@pytest.fixture(scope="module")
def browser_context(chromium):
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    # no network: tiles and CDN files come from the installed packages or are blank
    context.route("**/*", _offline_route)
    yield context
    context.close()


def _offline_route(route):
    url = route.request.url
    if url.startswith("file://"):
        route.continue_()
    else:
        route.fulfill(status=204, body="")


def _open_map(context, page_path: Path, *scripts: str) -> tuple[list[str], list]:
    """Open a map page, run ``scripts`` in it; return the script errors and their results."""
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(page_path.as_uri())
        page.wait_for_function("() => document.querySelector('.leaflet-pane path') !== null")
        return errors, [page.evaluate(script) for script in scripts]
    finally:
        page.close()


def _minimal_measures(realdata: Path, folder: Path) -> Path:
    """A measures file as people have it: lon;lat and nothing else (inside and far outside)."""
    schools = pyogrio.read_dataframe(realdata / "schools-norway" / "skoler.geojson")
    pick = schools.iloc[::25]
    table = pd.DataFrame({"lon": pick.geometry.x.round(6), "lat": pick.geometry.y.round(6)})
    path = folder / "tiltak_minimal.csv"
    table.to_csv(path, sep=";", index=False)
    return path


def _project(realdata: Path, tmp: Path, boundary: str, grid: str, measures: str) -> Path:
    bpath, study = BOUNDARIES[boundary]
    vintage = VINTAGES[list(BOUNDARIES).index(boundary)]
    series = realdata / "ssb-grid-norway-250m-series"
    gpath = (
        series / f"NOR0250M_POP_{vintage}.csv"
        if grid == "250m"
        else series / "NOR1000M_POP_2019.csv"
    )
    lines = [
        "[project]",
        f'name = "{boundary}"',
        'source = "SSB; Kartverket; Oslo kommune; Udir"',
        "[inputs.boundaries]",
        f'path = "{realdata / bpath}"',
        "[inputs.grid]",
        f'path = "{gpath}"',
        f"cell_size = {250 if grid == '250m' else 1000}",
    ]
    if measures == "minimal":
        lines += ["[[inputs.measures]]", f'path = "{_minimal_measures(realdata, tmp)}"']
    elif measures == "schools":
        lines += [
            "[[inputs.measures]]",
            f'path = "{realdata / "schools-norway" / "skoler.geojson"}"',
            'label = "Skole"',
        ]
    lines += ["[study_area]", study, "[maps]", "figures = false", "offline = true"]
    path = tmp / "project.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _read_back(out: Path) -> None:
    """Every file the run wrote opens with the tool a user would use for it."""
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    for name in record["files"]:
        path = out / name
        assert path.is_file(), name
        if path.suffix == ".gpkg":
            for layer, _kind in pyogrio.list_layers(path):
                if layer == "layer_styles":
                    continue
                frame = gpd.read_file(path, layer=layer)
                assert frame.crs.to_epsg() == 25833, (name, layer)
                kinds = set(frame.geom_type.dropna())
                if layer in ("areas", "grid", "intervention_areas", "settlements"):
                    assert kinds <= {"Polygon", "MultiPolygon"}, (name, layer, kinds)
        elif path.suffix == ".geojson":
            frame = gpd.read_file(path)
            assert set(frame.geom_type.dropna()) <= {"Polygon", "MultiPolygon"}
        elif path.suffix == ".html":
            assert "</html>" in path.read_text(encoding="utf-8")[-200:].lower()
        elif path.suffix == ".csv":
            pd.read_csv(path)
    assert (out / "run.json").stat().st_size <= 100e3


CASES = [(b, g, m) for b in BOUNDARIES for g in GRIDS for m in MEASURES]


@pytest.mark.browser
@pytest.mark.parametrize(("boundary", "grid", "measures"), CASES, ids=["-".join(c) for c in CASES])
def test_real_files_run_end_to_end_and_draw(
    browser_context, realdata, tmp_path, boundary, grid, measures
):
    project = load_project(_project(realdata, tmp_path, boundary, grid, measures))
    out = tmp_path / "out"
    result = run(project, out=out)
    areas = result.frames["areas"]
    _read_back(out)

    errors, (seen,) = _open_map(browser_context, out / "maps" / "overview.html", COUNT)
    assert not errors, errors
    assert seen["maps"] == 1
    assert seen["empty"] == 0, seen
    assert seen["panes"].get("gl-areas", 0) == len(areas), seen
    expected_measures = len(result.frames.get("measures", ()))
    assert seen["markers"] + seen["clustered"] == expected_measures, seen
    if measures != "none":
        # national files: only what lies in the study area is drawn, and the cut is reported
        report = next(r for r in result.reports if r.stage == "cut measures")
        assert report.rows_out == expected_measures < report.rows_in
    # the map opens on the study area, not on Norway
    west, south, east, north = seen["view"]
    lon, lat = _study_lonlat(areas)
    assert west <= lon[0] + 0.05, (seen["view"], lon)
    assert east >= lon[1] - 0.05, (seen["view"], lon)
    assert (east - west) < 6 * max(lon[1] - lon[0], 0.05), (seen["view"], lon)
    assert (north - south) < 6 * max(lat[1] - lat[0], 0.03), (seen["view"], lat)


def _study_lonlat(areas: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = areas.to_crs(4326).total_bounds
    return np.array([minx, maxx]), np.array([miny, maxy])


CATALOGUE = Path(__file__).parent / "data" / "oslo_housing_catalogue.toml"

# every indicator colouring of the layer panel, chosen in turn: what each draws
CHOOSE_EACH = """() => {
  const isMap = k => { try { return window[k] instanceof L.Map; } catch (e) { return false; } };
  const m = window[Object.keys(window).filter(isMap)[0]];
  const radios = Array.from(document.querySelectorAll("input[type=radio][data-layer]"));
  const drawn = [];
  for (const r of radios) {
    r.click();
    let n = 0;
    m.eachLayer(l => { if (l instanceof L.Polygon && l.options.pane === "gl-areas") { n += 1; } });
    drawn.push(n);
  }
  return drawn;
}"""


@pytest.mark.browser
def test_real_oslo_delbydel_project_draws_zones_and_every_choropleth(
    browser_context, realdata, tmp_path
):
    from geoloft.boundaries import read_boundaries

    series = realdata / "ssb-grid-norway-250m-series"
    text = f"""
[project]
name = "oslo"
source = "Oslo kommune; SSB"
[inputs.boundaries]
path = "{realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson"}"
level = "delbydel"
[inputs.grid]
path = "{series / "NOR0250M_POP_2019.csv"}"
cell_size = 250
[inputs.indicators]
path = "{realdata / "oslo-indicators" / "eieform_delbydel_2015-2017.csv"}"
key = "delbydel_id"
where = {{ aar = 2017 }}
catalogue = "{CATALOGUE}"
[score]
k = 2
bootstrap = 20
[delineate]
min_pop = 15000
[maps]
figures = false
offline = true
"""
    (tmp_path / "project.toml").write_text(text, encoding="utf-8")
    with pytest.warns(UserWarning, match="1701"):  # Marka has a row but no polygon
        result = run(load_project(tmp_path / "project.toml"), out=tmp_path / "out")
    zones = result.frames["zones"]
    assert len(zones) >= 2
    out = tmp_path / "out"
    _read_back(out)
    back = read_boundaries(out / "intervention_areas.geojson")  # zone_id is recognised
    assert sorted(back["area_id"]) == sorted(zones["zone_id"])
    errors, (seen, drawn) = _open_map(
        browser_context, out / "maps" / "overview.html", COUNT, CHOOSE_EACH
    )
    assert not errors, errors
    assert seen["empty"] == 0
    assert seen["panes"].get("gl-areas", 0) == 97
    assert seen["panes"].get("gl-zones", 0) >= len(zones)
    assert len(drawn) >= 3  # index, two indicators (and "none")
    assert all(n == 97 for n in drawn), drawn
