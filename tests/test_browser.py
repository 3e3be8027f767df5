"""Maps in a real headless Chromium: no script errors, legends follow layers, offline
maps draw with the network blocked, and no payload in the data runs."""

from __future__ import annotations

import base64
import importlib.resources
import re
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geoloft.labels import format_number
from geoloft.maps import make_map, save_map

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
X0, Y0 = 262_000, 6_649_000  # Oslo, EPSG:25833
XSS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    "${alert(3)}",
    "`${alert(4)}`",
    '"><svg onload=alert(5)>',
    "</script><script>alert(6)</script>",
]
# one transparent PNG for every tile request, so tiles neither reach the network nor fail
TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
# screen position of a point on the last path's outline (the intervention area)
ON_OUTLINE = """() => {
  const paths = document.querySelectorAll("path.leaflet-interactive");
  const el = paths[paths.length - 1], m = el.getScreenCTM();
  const p = el.getPointAtLength(el.getTotalLength() * 0.1);
  return [p.x * m.a + p.y * m.c + m.e, p.x * m.b + p.y * m.d + m.f];
}"""
LEAFLET = importlib.resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            "headless Chromium not installed at /usr/bin/chromium (apt-get install chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _serve_offline(route):
    """Route requests without the network: CDN Leaflet from the installed package, blank tiles."""
    url = route.request.url
    if url.startswith("file:"):
        return route.continue_()
    if re.search(r"/leaflet@[\d.]+/dist/leaflet\.(js|css)$", url):
        name = url.rsplit("/", 1)[1]
        kind = "text/css" if name.endswith(".css") else "application/javascript"
        return route.fulfill(body=(LEAFLET / name).read_bytes(), content_type=kind)
    if url.endswith(".png"):
        return route.fulfill(body=TILE, content_type="image/png")
    return route.abort()


def _open(browser, path, *, block_all=False):
    page = browser.new_page(viewport={"width": 1200, "height": 850})
    errors, dialogs = [], []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    if block_all:
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
    else:
        page.route("**/*", _serve_offline)
    start = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length > 0")
    page.load_seconds = time.perf_counter() - start
    return page, errors, dialogs


def _areas(names=("Tøyen", "Grønland", "Vålerenga", "Kampen")):
    return gpd.GeoDataFrame(
        {
            "area_id": ["0101", "0102", "0103", "0104"],
            "name": list(names),
            "pop_tot": [5000.0, 3200.0, 1200.0, 4.0],
            "index": [1.5, -0.25, 0.75, 2.0],
            "low_income": [12.5, 30.25, 8.0, 50.0],
        },
        geometry=[shapely.box(X0 + i * 800, Y0, X0 + (i + 1) * 800, Y0 + 900) for i in range(4)],
        crs="EPSG:25833",
    )


def _zones(name="Indre Øst"):
    return gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": [name], "pop": [8200.0], "members": ["0101,0102"]},
        geometry=[shapely.box(X0, Y0, X0 + 1600, Y0 + 900)],
        crs="EPSG:25833",
    )


def _measures(name="Møteplass"):
    return gpd.GeoDataFrame(
        {
            "name": [name, "Park"],
            "category": [name, "fysisk"],
            "status": ["pågår", name],
            "start_year": [2022, 2023],
            "end_year": [2025, 2026],
            "budget": [2e6, 5e5],
        },
        geometry=[shapely.Point(X0 + 400, Y0 + 450), shapely.Point(X0 + 3000, Y0 + 450)],
        crs="EPSG:25833",
    )


def _save(tmp_path, name, **kwargs):
    areas = kwargs.pop("areas", _areas())
    m = make_map(
        areas, indicators={"index": "Levekårsindeks", "low_income": "Lavinntekt"}, **kwargs
    )
    path = tmp_path / name
    size = save_map(m, path)
    return path, size


def test_map_opens_without_errors_and_legend_follows_its_layer(browser, tmp_path):
    path, size = _save(tmp_path, "kart.html", zones=_zones(), measures=_measures())
    page, errors, _ = _open(browser, path)
    print(f"\nmap of {size:,} bytes loaded in {page.load_seconds:.2f} s")
    assert errors == []
    assert page.locator("#gl-legend-area-0").is_visible()  # the first indicator is on
    assert not page.locator("#gl-legend-area-1").is_visible()
    box = page.locator(".leaflet-control-layers-toggle").bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)  # opens the layer control
    page.get_by_role("checkbox", name="Lavinntekt").check()
    assert page.locator("#gl-legend-area-1").is_visible()
    page.get_by_role("checkbox", name="Levekårsindeks").uncheck()
    assert not page.locator("#gl-legend-area-0").is_visible()
    page.get_by_role("checkbox", name="Tiltak").uncheck()
    assert not page.locator("#gl-legend-measures").is_visible()
    assert errors == []


def test_tooltip_numbers_and_search(browser, tmp_path):
    path, _ = _save(tmp_path, "kart.html", basemap="none")
    page, errors, _ = _open(browser, path)
    page.locator("path.leaflet-interactive").nth(1).hover()  # Grønland
    tooltip = page.locator(".leaflet-tooltip").inner_text()
    assert tooltip.splitlines() == [
        "Grønland",
        f"Levekårsindeks: {format_number(-0.25, decimals=1)}",
    ]
    page.locator("path.leaflet-interactive").nth(3).hover()  # 4 residents: withheld
    withheld = page.get_by_role("tooltip", name=re.compile("Kampen")).inner_text()
    assert withheld.splitlines()[1] == "Levekårsindeks: skjult"
    page.fill("#gl-search-input", "vålerenga")
    page.press("#gl-search-input", "Enter")
    assert page.locator("#gl-search output").inner_text() == "Vålerenga"
    assert errors == []


def test_tables_are_reachable_by_keyboard(browser, tmp_path):
    path, _ = _save(tmp_path, "kart.html", basemap="none")
    page, _, _ = _open(browser, path)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "gl-skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('aria-labelledby')")
    assert focused == "gl-table-areas"


def test_offline_map_draws_with_the_network_blocked(browser, tmp_path):
    path, size = _save(tmp_path, "offline.html", zones=_zones(), measures=_measures(), offline=True)
    page, errors, _ = _open(browser, path, block_all=True)
    print(f"\noffline map of {size:,} bytes loaded in {page.load_seconds:.2f} s")
    # 4 areas of the first indicator + 1 intervention area; tiles fail (no network), data draws
    assert page.locator("path.leaflet-interactive").count() == 5
    assert page.locator(".gl-marker").count() == 2
    assert not [e for e in errors if not e.startswith("Failed to load resource")]
    page.screenshot(path=str(tmp_path / "offline.png"))


def test_payloads_in_names_do_not_run(browser, tmp_path):
    names = XSS[:4]
    path, _ = _save(
        tmp_path,
        "xss.html",
        areas=_areas(names=names),
        zones=_zones(XSS[4]),
        measures=_measures(XSS[5]),
        title=XSS[0],
        basemap="none",
    )
    page, errors, dialogs = _open(browser, path)
    page.locator("path.leaflet-interactive").nth(2).hover()  # an area: its tooltip
    page.mouse.click(*page.evaluate(ON_OUTLINE))  # the zone outline: its popup
    assert page.locator(".leaflet-popup-content").count() == 1
    for marker in page.locator(".gl-marker").all():
        marker.click()
    box = page.locator(".leaflet-control-layers-toggle").bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    for checkbox in page.get_by_role("checkbox").all():
        checkbox.click()
    page.mouse.move(600, 400)
    page.fill("#gl-search-input", "img")
    page.press("#gl-search-input", "Enter")
    page.wait_for_timeout(300)
    assert dialogs == []
    assert errors == []
    assert page.title() == XSS[0]  # shown as text
    assert page.locator("table th", has_text="<script>alert(2)</script>").count() == 1
    assert page.locator("img[src=x], svg[onload]").count() == 0


def test_screenshot_of_a_real_oslo_map(browser, tmp_path, realdata):
    raw = gpd.read_file(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson").to_crs(25833)
    areas = gpd.GeoDataFrame(
        {
            "area_id": raw["DELBYDEL"].astype(str),
            "name": raw["DELBYDELSN"].astype(str),
            "index": (raw["Shape_Area"] / 1e6).round(2),
        },
        geometry=shapely.force_2d(raw.geometry.to_numpy()),
        crs=25833,
    )
    m = make_map(areas, zones=_zones(), offline=True, title="Oslo: delbydeler")
    path = tmp_path / "oslo.html"
    save_map(m, path)
    page, errors, _ = _open(browser, path, block_all=True)
    assert page.locator("path.leaflet-interactive").count() == 98  # 97 delbydeler + 1 zone
    page.wait_for_timeout(500)  # let labels settle after the opening zoom
    page.screenshot(path=str(tmp_path / "oslo.png"), full_page=False)
    page.screenshot(path="/tmp/geoloft_map.png", full_page=False)
    assert (tmp_path / "oslo.png").stat().st_size > 10_000
    assert not [e for e in errors if not e.startswith("Failed to load resource")]


def _serve_without_cluster(route):
    """As _serve_offline, with the marker-cluster plugin unavailable (its CDN is unreachable)."""
    if "markercluster" in route.request.url:
        kind = "text/css" if route.request.url.endswith(".css") else "application/javascript"
        return route.fulfill(body=b"", content_type=kind)
    return _serve_offline(route)


def test_demo_overview_map(browser, tmp_path):
    from geoloft.cli import main

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    page = browser.new_page(viewport={"width": 1200, "height": 850})
    errors = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route("**/*", _serve_without_cluster)
    page.goto((out / "maps" / "overview.html").as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length > 30")
    assert errors == []
    # The first indicator's legend shows; the grid's shows only once its layer is on.
    legends = page.locator("[id^='gl-legend-']")
    visible_before = {
        legends.nth(i).get_attribute("id")
        for i in range(legends.count())
        if legends.nth(i).is_visible()
    }
    box = page.locator(".leaflet-control-layers-toggle").bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.get_by_role("checkbox", name=re.compile("Befolkning|Population")).check()
    visible_after = {
        legends.nth(i).get_attribute("id")
        for i in range(legends.count())
        if legends.nth(i).is_visible()
    }
    assert len(visible_after - visible_before) == 1
    assert errors == []
    page.screenshot(path=str(tmp_path / "demo_overview.png"))
    page.close()


def test_report_travels_alone_with_its_maps(browser, tmp_path):
    """report.html copied on its own still draws its (offline) maps: they are inlined."""
    import shutil

    from geoloft.config import load_project
    from geoloft.demo import write_demo_project
    from geoloft.pipeline import run

    project_file = write_demo_project(tmp_path / "p")
    text = project_file.read_text(encoding="utf-8").replace("offline = false", "offline = true")
    project_file.write_text(text, encoding="utf-8")
    result = run(load_project(project_file), out=tmp_path / "out")
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copyfile(result.out / "report.html", alone / "report.html")
    # A tall window, so the lazily loaded map frames are in view from the start.
    page, errors, dialogs = browser.new_page(viewport={"width": 1200, "height": 4000}), [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto((alone / "report.html").as_uri())
    frames = page.locator("iframe")
    assert frames.count() == 1 + len(result.frames["zones"])
    frames.first.scroll_into_view_if_needed()
    drawn = page.frame_locator("iframe").first.locator("path.leaflet-interactive")
    drawn.first.wait_for(timeout=30000)
    assert drawn.count() > 30
    assert errors == []
    assert dialogs == []
    page.close()


def _count_paths(page) -> int:
    """Count the drawn shapes: paths with an outline of some size (an empty polygon has none)."""
    return page.evaluate(
        """() => [...document.querySelectorAll("path.leaflet-interactive")]
            .filter(p => { const b = p.getBBox(); return b.width > 0 && b.height > 0; }).length"""
    )


def test_a_polygon_with_a_hole_draws_every_feature(browser, tmp_path):
    """Three polygons, the middle one a donut: all three are drawn, with legend and controls."""
    donut = shapely.box(X0 + 800, Y0, X0 + 1600, Y0 + 900).difference(
        shapely.box(X0 + 1000, Y0 + 200, X0 + 1400, Y0 + 700)
    )
    areas = gpd.GeoDataFrame(
        {"area_id": ["01", "02", "03"], "name": ["Vest", "Ring", "Øst"], "index": [0.5, 1.5, 2.5]},
        geometry=[
            shapely.box(X0, Y0, X0 + 800, Y0 + 900),
            donut,
            shapely.box(X0 + 1600, Y0, X0 + 2400, Y0 + 900),
        ],
        crs="EPSG:25833",
    )
    path = tmp_path / "donut.html"
    save_map(make_map(areas, basemap="none"), path)
    page, errors, _ = _open(browser, path)
    assert errors == []
    assert _count_paths(page) == 3
    assert page.locator("#gl-legend-area-0").is_visible()
    assert page.locator(".leaflet-control-layers").count() == 1
    # the hole is a hole: its centre is not filled, the ring around it is
    box = page.locator("path.leaflet-interactive").nth(1).bounding_box()
    centre = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).tagName",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert centre.lower() != "path"


def test_real_oslo_zones_with_holes_draw_every_feature(browser, tmp_path, realdata):
    """Oslo's 97 delbydeler dissolved into 16 bydeler (two with holes): every shape is drawn."""
    raw = gpd.read_file(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson").to_crs(25833)
    areas = gpd.GeoDataFrame(
        {
            "area_id": raw["DELBYDEL"].astype(str),
            "name": raw["DELBYDELSN"].astype(str),
            "index": (raw["Shape_Area"] / 1e6).round(2),
            "bydel": raw["DELBYDEL"].str[:2],
        },
        geometry=shapely.force_2d(raw.geometry.to_numpy()),
        crs=25833,
    )
    zones = areas.dissolve("bydel").reset_index()
    zones = zones.assign(zone_id=zones["bydel"], name="Bydel " + zones["bydel"])
    holes = shapely.get_num_interior_rings(shapely.get_parts(zones.geometry.to_numpy())).sum()
    assert holes > 0  # the case that broke the page
    path = tmp_path / "oslo_zones.html"
    save_map(make_map(areas, zones=zones[["zone_id", "name", "geometry"]], basemap="none"), path)
    page, errors, _ = _open(browser, path)
    assert errors == []
    assert _count_paths(page) == len(areas) + len(zones)
    assert page.locator("#gl-legend-area-0").is_visible()


def test_measures_with_only_a_location_draw(browser, tmp_path):
    lon, lat = [10.75, 10.76, 10.78], [59.91, 59.92, 59.93]
    measures = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326).to_crs(25833)
    path = tmp_path / "measures.html"
    save_map(make_map(measures=measures, basemap="none"), path)
    page = browser.new_page(viewport={"width": 1200, "height": 850})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", _serve_offline)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(".gl-marker")
    assert page.locator(".gl-marker").count() == 3
    assert errors == []
    page.locator(".gl-marker").first.click()
    assert page.locator(".leaflet-popup").count() == 1
    page.close()
