"""Maps in a real headless Chromium: no script errors, legends follow layers, offline
maps draw with the network blocked, and no payload in the data runs."""

from __future__ import annotations

import base64
import importlib.resources
import re
import time

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geoloft.labels import format_number
from geoloft.maps import make_map, save_map

pytestmark = pytest.mark.browser

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
# polygons drawn in the areas' pane (4 areas per indicator layer on the map)
AREA_FILLS = """() => document.querySelectorAll(".leaflet-gl-areas-pane path").length"""
LEAFLET = importlib.resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
CLUSTER = importlib.resources.files("xstatic.pkg.leaflet_markercluster") / "data"


@pytest.fixture(scope="module")
def browser(chromium):
    return chromium


CORS = {"Access-Control-Allow-Origin": "*"}  # the CDN's header: integrity checks need CORS


def _serve_offline(route):
    """Route requests without the network: CDN Leaflet from the installed package, blank tiles."""
    url = route.request.url
    if url.startswith("file:"):
        return route.continue_()
    if re.search(r"/leaflet@[\d.]+/dist/leaflet\.(js|css)$", url):
        name = url.rsplit("/", 1)[1]
        kind = "text/css" if name.endswith(".css") else "application/javascript"
        return route.fulfill(body=(LEAFLET / name).read_bytes(), content_type=kind, headers=CORS)
    if re.search(r"/leaflet\.markercluster@[\d.]+/dist/", url):
        # the package's files are the npm release's; its CSS has LF where the release has CRLF
        name = url.rsplit("/", 1)[1]
        body = (CLUSTER / name).read_bytes()
        if name.endswith(".css"):
            body = body.replace(b"\n", b"\r\n")
        kind = "text/css" if name.endswith(".css") else "application/javascript"
        return route.fulfill(body=body, content_type=kind, headers=CORS)
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


def _open_panel(page):
    """Unfold the layer panel (a button; folded when the page opens)."""
    toggle = page.locator("#gl-layers .gl-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


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
    _open_panel(page)
    page.get_by_role("radio", name="Lavinntekt").check()  # indicators are exclusive
    assert page.locator("#gl-legend-area-1").is_visible()
    assert not page.locator("#gl-legend-area-0").is_visible()
    assert page.evaluate(AREA_FILLS) == 4  # one choropleth drawn, not two stacked
    page.get_by_role("radio", name="Ingen").check()
    assert not page.locator("#gl-legend-area-1").is_visible()
    assert page.evaluate(AREA_FILLS) == 0
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
    page.locator("#gl-legends .gl-toggle").click()  # fold the legend: it covers a marker
    for marker in page.locator(".gl-marker").all():
        marker.click()
    _open_panel(page)
    for box in page.locator("#gl-layers input").all():
        box.click()
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


def test_demo_overview_map(browser, tmp_path):
    from geoloft.cli import main

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    page = browser.new_page(viewport={"width": 1200, "height": 850})
    errors = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route("**/*", _serve_offline)
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
    _open_panel(page)
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
    assert page.locator("#gl-layers").count() == 1
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


# ---- controls at three window sizes, strict CSP, clustering ------------------------------

VIEWPORTS = [(1366, 768), (1920, 1080), (390, 844)]
# boxes of the on-screen controls that must never cover each other
CONTROLS = {
    "layers": "#gl-layers",
    "legend": "#gl-legends",
    "search": "#gl-search",
    "zoom": ".leaflet-control-zoom",
}


def _rich_map(tmp_path, name="kart.html", n_measures=2, **kwargs):
    """Four areas with two indicators, grid, an intervention area and measures."""
    cells = [shapely.box(X0 + i * 250, Y0, X0 + (i + 1) * 250, Y0 + 250) for i in range(12)]
    grid = gpd.GeoDataFrame(
        {"ssbid": [str(i) for i in range(12)], "pop_tot": [15.0 * (i + 1) for i in range(12)]},
        geometry=cells,
        crs=25833,
    ).assign(cell_size=250)
    xs = X0 + 100 + (np.arange(n_measures) * 97) % 3000
    ys = Y0 + 100 + (np.arange(n_measures) * 53) % 800
    measures = gpd.GeoDataFrame(
        {
            "name": [f"Tiltak {i}" for i in range(n_measures)],
            "category": [("fysisk", "sosialt", "kultur")[i % 3] for i in range(n_measures)],
        },
        geometry=gpd.points_from_xy(xs, ys),
        crs=25833,
    )
    m = make_map(
        _areas(),
        grid=grid,
        zones=_zones(),
        measures=measures,
        indicators={"index": "Levekårsindeks", "low_income": "Lavinntekt"},
        **kwargs,
    )
    path = tmp_path / name
    save_map(m, path)
    return path


def _boxes(page):
    out = {}
    for key, selector in CONTROLS.items():
        loc = page.locator(selector)
        if loc.count() and loc.first.is_visible():
            out[key] = loc.first.bounding_box()
    return out


def _overlaps(boxes, width, height):
    """Pairs of controls whose boxes intersect, and controls that leave the window."""
    bad = []
    keys = sorted(boxes)
    for i, a in enumerate(keys):
        p = boxes[a]
        if p["x"] < 0 or p["y"] < 0 or p["x"] + p["width"] > width + 0.5:
            bad.append((a, "outside"))
        for b in keys[i + 1 :]:
            q = boxes[b]
            if (
                p["x"] < q["x"] + q["width"]
                and q["x"] < p["x"] + p["width"]
                and p["y"] < q["y"] + q["height"]
                and q["y"] < p["y"] + p["height"]
            ):
                bad.append((a, b))
    return bad


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_controls_never_overlap_and_every_control_clicks(browser, tmp_path, width, height):
    path = _rich_map(tmp_path)
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", _serve_offline)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length > 0")
    assert not page.locator("#gl-nolib").is_visible()
    legend_toggle = page.locator("#gl-legends .gl-toggle")
    phone = width < 600
    # the legend opens folded on a phone, unfolded on a desktop
    assert legend_toggle.get_attribute("aria-expanded") == ("false" if phone else "true")
    if phone:
        legend_toggle.click()
    _open_panel(page)
    assert _overlaps(_boxes(page), width, height) == []
    inputs = page.locator("#gl-layers input")
    assert inputs.count() == 4 + 3 + 3  # basemaps; 2 indicators + none; zones, grid, measures
    for i in range(inputs.count()):
        box = inputs.nth(i)
        box.click()  # fails if anything covers it
        assert _overlaps(_boxes(page), width, height) == [], box.get_attribute("data-layer")
        shown = [
            lid
            for lid in ("gl-legend-area-0", "gl-legend-area-1")
            if page.locator(f"#{lid}").is_visible()
        ]
        assert len(shown) <= 1  # one colouring at a time
    # every input clicked once: the checkboxes are off, the last radio of each group is on
    assert page.get_by_role("radio", name="Ingen").is_checked()
    assert page.evaluate(AREA_FILLS) == 0
    for box in page.locator("#gl-layers input[type=checkbox]").all():
        box.click()
    page.get_by_role("radio", name="Lavinntekt").click()
    assert page.locator("#gl-legend-area-1").is_visible()
    assert _overlaps(_boxes(page), width, height) == []
    page.screenshot(path=f"/tmp/geoloft_controls_{width}x{height}.png")
    # the legend folds away and back; zoom buttons and full screen respond
    legend_toggle.click()
    assert not page.locator("#gl-legends-body").is_visible()
    legend_toggle.click()
    assert page.locator("#gl-legend-area-1").is_visible()
    page.locator("#gl-layers .gl-toggle").click()
    assert not page.locator("#gl-layers-body").is_visible()
    zoom = page.evaluate("() => window.gl_geoloftmap_0.getZoom()")
    page.locator(".leaflet-control-zoom-in").click()
    page.wait_for_timeout(400)
    assert page.evaluate("() => window.gl_geoloftmap_0.getZoom()") > zoom
    page.locator(".leaflet-control-zoom-out").click()
    page.locator("#gl-fullscreen").click()
    assert _overlaps(_boxes(page), width, height) == []
    assert errors == []
    page.close()


class _CSPHandler:
    """A handler class for http.server that sends a strict Content-Security-Policy."""

    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-src 'self'"
    )

    @classmethod
    def make(cls, folder):
        import functools
        import http.server

        class Handler(http.server.SimpleHTTPRequestHandler):
            def end_headers(self):
                self.send_header("Content-Security-Policy", cls.policy)
                super().end_headers()

            def log_message(self, *args):
                pass

        return functools.partial(Handler, directory=str(folder))


@pytest.fixture
def csp_server(tmp_path):
    import http.server
    import threading

    folder = tmp_path / "site"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CSPHandler.make(folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _open_http(browser, url):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective));"
    )
    page.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("http://127.") else r.abort()
    )
    page.goto(url, wait_until="load")
    return page, errors


def test_csp_mode_runs_under_a_strict_policy(browser, csp_server):
    folder, base = csp_server
    _rich_map(folder, "csp.html", n_measures=40, csp=True, basemap="none")
    _rich_map(folder, "inline.html", offline=True, basemap="none")
    # the inline page under the same header: blocked, and it says so (the test can fail)
    page, errors = _open_http(browser, f"{base}/inline.html")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__csp.length") > 0
    assert page.locator("#gl-nolib").is_visible()
    assert page.locator("path.leaflet-interactive").count() == 0
    page.close()
    page, errors = _open_http(browser, f"{base}/csp.html")
    page.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length > 0")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__csp") == []
    assert errors == []
    assert not page.locator("#gl-nolib").is_visible()
    assert page.locator(".marker-cluster").count() > 0  # clustering from lib/ files
    # colours set through the DOM, not inline style markup
    swatch = page.locator("#gl-legend-area-0 .gl-swatch").first
    assert swatch.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    _open_panel(page)
    page.get_by_role("radio", name="Lavinntekt").click()
    page.get_by_role("checkbox", name="Tiltak").click()
    page.get_by_role("checkbox", name="Tiltak").click()
    assert page.locator(".marker-cluster").count() > 0
    assert page.evaluate("window.__csp") == []
    assert errors == []
    page.close()


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_clustering_survives_layer_toggles_without_a_basemap(browser, tmp_path, offline):
    path = _rich_map(tmp_path, n_measures=40, offline=offline)
    page, errors, _ = _open(browser, path, block_all=offline)
    assert page.locator(".marker-cluster").count() > 0
    _open_panel(page)
    page.get_by_role("radio", name="Uten bakgrunnskart").click()
    page.get_by_role("checkbox", name="Tiltak").click()
    assert page.locator(".gl-marker, .marker-cluster").count() == 0
    page.get_by_role("checkbox", name="Tiltak").click()
    page.wait_for_timeout(300)
    assert page.locator(".marker-cluster").count() > 0
    seen = page.evaluate(
        """() => { let n = 0; window.gl_geoloftmap_0.eachLayer(l => {
             if (l instanceof L.MarkerClusterGroup) { n += l.getLayers().length; } });
           return n; }"""
    )
    assert seen == 40
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []  # tiles
    page.close()


def test_a_map_whose_library_cannot_load_says_so(browser, tmp_path):
    path = _rich_map(tmp_path)  # CDN mode
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(path.as_uri(), wait_until="load")
    message = page.locator("#gl-nolib")
    assert message.is_visible()
    assert "Leaflet" in message.inner_text()
    assert page.locator("#gl-table-areas").count() == 1  # the numbers are still there
    page.close()


LABELS = """() => [...document.querySelectorAll(".leaflet-tooltip.gl-label")].map(e => {
  const r = e.getBoundingClientRect();
  return {shown: getComputedStyle(e).visibility !== "hidden",
          box: [r.left, r.top, r.right, r.bottom]};
})"""


def test_crowded_labels_hide_until_zoomed_in(browser, tmp_path):
    zones = gpd.GeoDataFrame(
        {
            "zone_id": [f"Z{i}" for i in range(10)],
            "name": [f"Innsatsområde nummer {i}" for i in range(10)],
        },
        geometry=[shapely.box(X0 + i * 320, Y0, X0 + i * 320 + 300, Y0 + 900) for i in range(10)],
        crs=25833,
    )
    path = tmp_path / "labels.html"
    save_map(make_map(zones=zones, basemap="none"), path)
    page, errors, _ = _open(browser, path)
    before = page.evaluate(LABELS)
    assert len(before) == 10
    shown = [lab["box"] for lab in before if lab["shown"]]
    assert 0 < len(shown) < 10  # names wider than their zones: some must give way
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    page.evaluate("() => window.gl_geoloftmap_0.setZoom(window.gl_geoloftmap_0.getZoom() + 3)")
    page.wait_for_timeout(800)
    after = page.evaluate(LABELS)
    assert sum(lab["shown"] for lab in after) > len(shown)  # room to show more of them
    assert errors == []
    page.close()


def test_report_under_a_strict_policy_shows_figures_and_says_why_maps_are_missing(
    browser, csp_server
):
    """The report's inlined (srcdoc) maps fall under its policy: they say so; figures stay."""
    from geoloft.config import load_project
    from geoloft.demo import write_demo_project
    from geoloft.pipeline import run

    folder, base = csp_server
    project_file = write_demo_project(folder.parent / "p")
    text = project_file.read_text(encoding="utf-8").replace("offline = false", "offline = true")
    project_file.write_text(text, encoding="utf-8")
    run(load_project(project_file), out=folder / "out")
    page = browser.new_page(viewport={"width": 1200, "height": 4000})
    page.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("http://127.") else r.abort()
    )
    page.goto(f"{base}/out/report.html", wait_until="load")
    figures = page.locator("figure img")
    assert figures.count() >= 1
    assert figures.first.is_visible()
    assert figures.first.evaluate("e => e.naturalWidth") > 100  # the figure drew
    frame = page.frame_locator("iframe").first
    frame.locator("#gl-nolib").wait_for(timeout=20000)
    assert frame.locator("#gl-nolib").is_visible()  # the map says why it is not there
    assert frame.locator("path.leaflet-interactive").count() == 0
    assert page.locator("iframe[allowfullscreen]").count() == page.locator("iframe").count()
    page.close()


def test_a_protected_map_draws_every_area(browser, tmp_path):
    """geoloft map protects by default: an area of 4 persons is drawn, only its figures go."""
    from geoloft.grid import corners_to_ssbid
    from geoloft.maps.files import write_map

    boundaries = tmp_path / "omrader.geojson"
    _areas()[["area_id", "name", "geometry"]].to_file(boundaries)
    xs = X0 + np.array([0, 1000, 1750, 2500])  # one cell inside each area; 0102 has 4 persons
    ids = corners_to_ssbid(xs, np.full(4, Y0))
    rows = [f"{i};{p}" for i, p in zip(ids, [1200, 4, 900, 700], strict=True)]
    grid = tmp_path / "ru250m.csv"
    grid.write_text("ru250m;pop_tot\n" + "\n".join(rows) + "\n", encoding="utf-8")
    table = tmp_path / "indikatorer.csv"
    table.write_text(
        "area_id;low_income_n;low_income_d\n0101;150;1200\n0102;1;4\n0103;3;900\n0104;70;700\n",
        encoding="utf-8",
    )
    written = write_map(boundaries, tmp_path / "kart.html", grid=grid, indicators=table)
    assert written.disclosure["primary_hidden"] >= 3  # the cell of 4, its counts, 0103's 3
    page, errors, dialogs = _open(browser, written.path)
    assert page.evaluate(AREA_FILLS) == 4  # the withheld area is drawn too (as withheld)
    _open_panel(page)
    page.get_by_role("radio", name="low_income_d").check()
    assert page.evaluate(AREA_FILLS) == 4
    assert errors == []
    assert dialogs == []
    page.close()
