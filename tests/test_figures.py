"""Tests of geoloft.figures (static PNG/PDF maps) and the ``geoloft figure`` command.

Expected values come from outside the code under test: class membership from
mapclassify on the same values, colours and labels from geoloft.classify (the
web map's source, which the figure must match), scale-bar lengths and the
meridian convergence worked out by hand, pixel colours read back from the PNG.
"""

from __future__ import annotations

import math
import sys
import types
from pathlib import Path

import geopandas as gpd
import mapclassify
import numpy as np
import pytest
from geopandas.testing import assert_geodataframe_equal
from matplotlib.colors import to_rgba, to_rgba_array
from matplotlib.image import imread
from PIL import Image
from pyproj import Transformer
from shapely.geometry import box

from geoloft.classify import MISSING_COLOUR, SUPPRESSED_COLOUR, classify
from geoloft.cli import main
from geoloft.disclosure import suppress
from geoloft.errors import CRSError, InputError, OutputExistsError, SchemaError
from geoloft.figures import BasemapUnavailableWarning, draw_figure, make_figure
from geoloft.grid import cell_polygons, corners_to_ssbid
from geoloft.maps.basemaps import BASEMAPS

X0, Y0 = 262_000.0, 6_648_000.0  # Oslo, EPSG:25833


def _squares(values: list[float], size: float = 1000.0) -> gpd.GeoDataFrame:
    """A 2 x 2 block of squares: lower left, lower right, upper left, upper right."""
    corners = [(0, 0), (1, 0), (0, 1), (1, 1)]
    geoms = [
        box(X0 + i * size, Y0 + j * size, X0 + (i + 1) * size, Y0 + (j + 1) * size)
        for i, j in corners
    ]
    return gpd.GeoDataFrame(
        {"area_id": ["01", "02", "03", "04"], "name": ["Aa", "Bø", "Cæ", "Då"], "v": values},
        geometry=geoms,
        crs="EPSG:25833",
    )


@pytest.fixture
def quad() -> gpd.GeoDataFrame:
    return _squares([10.0, 20.0, 30.0, 40.0])


def _artist(fig, gid):
    ax = fig.axes[0]
    found = [a for a in (*ax.collections, *ax.artists, *ax.texts) if a.get_gid() == gid]
    assert len(found) == 1, f"expected one artist with gid {gid!r}, found {len(found)}"
    return found[0]


def _legend(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


# -- classes and colours ------------------------------------------------------------------------


def test_fill_colours_are_the_classify_colours_of_each_areas_class(quad):
    fig = draw_figure(quad, column="v", k=4)
    cls = classify(quad["v"], scheme="quantiles", k=4)
    yb = mapclassify.Quantiles(quad["v"].to_numpy(), k=4).yb  # peer: class of every area
    expected = to_rgba_array([cls.colours[i] for i in yb])
    got = _artist(fig, "classes").get_facecolors()
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert len({tuple(c) for c in got}) == 4
    handles = fig.axes[0].get_legend().legend_handles
    np.testing.assert_allclose(
        [h.get_facecolor() for h in handles], to_rgba_array(cls.colours), atol=1e-6
    )
    assert _legend(fig) == list(cls.labels)


def test_png_pixels_at_each_square_have_its_class_colour(quad, tmp_path):
    path = make_figure(quad, column="v", k=4, out=tmp_path / "quad.png")
    rgb = imread(path)[..., :3]
    colours = classify(quad["v"], scheme="quantiles", k=4).colours
    yb = mapclassify.Quantiles(quad["v"].to_numpy(), k=4).yb
    centre = {}
    for area, cls in zip(quad["area_id"], yb, strict=True):
        hit = np.all(np.abs(rgb - to_rgba(colours[cls])[:3]) < 1.5 / 255, axis=-1)
        assert hit.sum() > 100_000  # a square ~ 2.9 in at 300 dpi, the legend patch is tiny
        rows, cols = np.nonzero(hit)
        centre[area] = (np.median(cols), np.median(rows))
    # lower left / lower right / upper left / upper right: image rows grow downwards
    assert centre["01"][0] < centre["02"][0]
    assert centre["03"][0] < centre["04"][0]
    assert centre["03"][1] < centre["01"][1]
    assert centre["04"][1] < centre["02"][1]


def test_png_is_300_dpi_and_pdf_is_a_pdf(quad, tmp_path):
    png = make_figure(quad, column="v", out=tmp_path / "map.png")
    pdf = make_figure(quad, column="v", out=tmp_path / "map.pdf")
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        assert image.width > 1500  # 7 in wide axes at 300 dpi, before the legend
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_missing_values_are_hatched_grey_and_counted_in_the_legend():
    areas = _squares([10.0, np.nan, 30.0, 40.0])
    fig = draw_figure(areas, column="v", k=3)
    missing = _artist(fig, "missing")
    assert missing.get_hatch() == "////"
    np.testing.assert_allclose(missing.get_facecolors(), [to_rgba(MISSING_COLOUR)])
    assert len(_artist(fig, "classes").get_facecolors()) == 3
    cls = classify(areas["v"], scheme="quantiles", k=3)
    assert _legend(fig) == [*cls.labels, "Ingen data / skjult: 1"]
    assert _legend(draw_figure(areas, column="v", k=3, lang="en"))[-1] == "No data / suppressed: 1"


def test_withheld_values_are_told_apart_from_missing_ones():
    areas = _squares([10.0, np.nan, 30.0, 40.0]).assign(pop_tot=[4.0, 50.0, 60.0, 70.0])
    published = suppress(areas, columns=["v"], threshold=10)  # area 01 has 4 residents
    assert published["v"].isna().tolist() == [True, True, False, False]
    fig = draw_figure(published, column="v")
    withheld, missing = _artist(fig, "suppressed"), _artist(fig, "missing")
    assert len(withheld.get_paths()) == len(missing.get_paths()) == 1
    np.testing.assert_allclose(withheld.get_facecolors(), [to_rgba(SUPPRESSED_COLOUR)])
    assert _legend(fig)[-2:] == ["Ingen data: 1", "Skjult (under 10 personer): 1"]
    assert _legend(fig)[0].startswith("30 ")  # the withheld 10 bounds no class


def test_all_values_missing_draws_only_hatched_areas():
    fig = draw_figure(_squares([np.nan] * 4), column="v")
    assert len(_artist(fig, "missing").get_paths()) == 4
    assert _legend(fig) == ["Ingen data / skjult: 4"]


def test_palette_reverse_and_fixed_breaks_reach_the_classes(quad):
    fig = draw_figure(quad, column="v", scheme="fixed", breaks=[15, 35], palette="Blues")
    colours = classify(quad["v"], scheme="fixed", breaks=[15, 35], palette="Blues").colours
    expected = [colours[i] for i in (0, 1, 1, 2)]  # 10 <= 15 < 20, 30 <= 35 < 40
    np.testing.assert_allclose(_artist(fig, "classes").get_facecolors(), to_rgba_array(expected))
    fig = draw_figure(quad, column="v", k=4, palette="viridis", reverse=True)
    colours = classify(quad["v"], k=4, palette="viridis", reverse=True).colours
    np.testing.assert_allclose(_artist(fig, "classes").get_facecolors(), to_rgba_array(colours))


# -- scale bar, north arrow, credits -----------------------------------------------------------


def _utm33_scale(x: float, y: float) -> float:
    """Scale factor of UTM zone 33 (first-order: k0 (1 + (dlon cos lat)^2 / 2))."""
    lon, lat = Transformer.from_crs(25833, 4326, always_xy=True).transform(x, y)
    return 0.9996 * (1 + (math.radians(lon - 15) * math.cos(math.radians(lat))) ** 2 / 2)


@pytest.mark.parametrize(
    ("origin", "width", "metres", "label"),
    [
        ((X0, Y0), 100.0, 20.0, "20 m"),  # a quarter of the width (+ margins) is 25-27 m
        ((X0, Y0), 2_000.0, 500.0, "500 m"),
        ((X0, Y0), 4_000.0, 1_000.0, "1 km"),
        ((X0, Y0), 30_000.0, 5_000.0, "5 km"),
        ((-32_000.0, 6_734_000.0), 2_000.0, 500.0, "500 m"),  # Bergen: scale factor 1.003
        ((X0, Y0), 8.0, 2.0, "2 m"),
        ((X0, Y0), 2.0, 0.5, "0,5 m"),
    ],
    ids=["20m", "500m", "1km", "5km", "bergen", "2m", "half-metre"],
)
def test_scale_bar_is_a_round_ground_length(origin, width, metres, label):
    x, y = origin
    frame = gpd.GeoDataFrame(geometry=[box(x, y, x + width, y + width / 2)], crs=25833)
    bar = _artist(draw_figure(frame), "scale-bar")
    scale = _utm33_scale(x + width / 2, y + width / 4)
    assert bar.size_bar.get_children()[0].get_width() == pytest.approx(metres * scale, rel=1e-5)
    assert bar.txt_label.get_text() == label


def _arrow_angle(fig) -> float:
    dx, dy = _artist(fig, "north-arrow").xyann  # tail offset from the head, points
    return math.degrees(math.atan2(-dx, -dy))


def test_north_arrow_points_to_true_north(realdata):
    oslo = gpd.read_file(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson")
    lon, lat = (oslo.total_bounds[:2] + oslo.total_bounds[2:]) / 2  # roughly the map centre
    # meridian convergence of UTM 33 (central meridian 15 deg E), first-order formula
    expected = -math.degrees(
        math.atan(math.tan(math.radians(lon - 15)) * math.sin(math.radians(lat)))
    )
    assert 3.0 < expected < 4.5
    fig = draw_figure(oslo.to_crs(25833))
    assert _arrow_angle(fig) == pytest.approx(expected, abs=0.1)
    on_meridian = gpd.GeoDataFrame(
        geometry=[box(499_000, 6_640_000, 501_000, 6_642_000)], crs=25833
    )
    assert _arrow_angle(draw_figure(on_meridian)) == pytest.approx(0.0, abs=0.01)


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def test_credits_name_the_sources_given(quad):
    texts = _texts(draw_figure(quad, column="v", credits=["Oslo kommune", "grid.csv", "grid.csv"]))
    assert "Data: Oslo kommune; grid.csv." in texts  # each source once
    assert "Oslo kommune" in _texts(draw_figure(quad, credits="Oslo kommune"))
    assert "Oslo kommune" in _texts(draw_figure(quad, attribution="Oslo kommune"))


def test_default_credit_claims_no_source_it_does_not_know(quad):
    assert not any("Data" in t or "Kartverket" in t for t in _texts(draw_figure(quad, column="v")))
    ssbid = corners_to_ssbid(np.array([X0, X0 + 250]), np.array([Y0, Y0]))
    grid = gpd.GeoDataFrame(
        {"ssbid": ssbid, "cell_size": 250, "pop_tot": [10.0, 20.0]},
        geometry=cell_polygons(ssbid, 250),
        crs=25833,
    )
    assert "Data: SSB (rutenett)." in _texts(draw_figure(grid))
    assert "Data: Statistics Norway (SSB, grid)." in _texts(draw_figure(grid, lang="en"))


def test_zones_are_outlined_labelled_and_in_the_legend(quad):
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": ["Søndre Nordstrand"]},
        geometry=[box(X0 + 500, Y0 + 500, X0 + 3_000, Y0 + 1_500)],
        crs=25833,
    )
    fig = draw_figure(quad, column="v", zones=zones, lang="en")
    assert _artist(fig, "zones") is not None
    assert "Søndre Nordstrand" in [t.get_text() for t in fig.axes[0].texts]
    assert _legend(fig)[-1] == "Intervention areas"
    assert fig.axes[0].get_xlim()[1] > X0 + 3_000  # the map extends to the zones


def test_plain_areas_have_outlines_and_no_legend(quad):
    fig = draw_figure(quad)
    assert len(_artist(fig, "outlines").get_paths()) == 4
    assert fig.axes[0].get_legend() is None


def test_inputs_are_not_changed(quad, tmp_path):
    before = quad.copy()
    make_figure(quad, column="v", out=tmp_path / "m.png")
    assert_geodataframe_equal(quad, before)


# -- grids ------------------------------------------------------------------------------------


def test_grid_is_coloured_by_population_without_outlines():
    cells = gpd.GeoDataFrame(
        {"ssbid": np.arange(4, dtype="int64"), "cell_size": 250, "pop_tot": [12.0, 40, np.nan, 7]},
        geometry=[box(X0 + 250 * i, Y0, X0 + 250 * (i + 1), Y0 + 250) for i in range(4)],
        crs=25833,
    )
    fig = draw_figure(cells, k=3)
    assert fig.axes[0].get_legend().get_title().get_text() == "Befolkning per rute (250 m)"
    assert len(_artist(fig, "classes").get_facecolors()) == 3
    assert not [c for c in fig.axes[0].collections if c.get_gid() == "outlines"]


def test_real_oslo_grid_cells_have_the_classify_colours(realdata, tmp_path):
    from geoloft.grid import read_grid

    grid = read_grid(realdata / "ssb-grid-norway-2015" / "ru250m_2015_oslo0301.csv")
    fig = draw_figure(grid, lang="en")
    cls = classify(grid["pop_tot"], scheme="quantiles", k=5)
    yb = mapclassify.Quantiles(grid["pop_tot"].to_numpy(), k=5).yb
    got = _artist(fig, "classes").get_facecolors()
    assert len(got) == len(grid) == 2304
    np.testing.assert_allclose(got, to_rgba_array([cls.colours[i] for i in yb]), atol=1e-6)
    assert fig.axes[0].get_legend().get_title().get_text() == "Population per cell (250 m)"


# -- real boundaries --------------------------------------------------------------------------


def test_real_oslo_delbydeler_by_shape_area(realdata, tmp_path):
    oslo = gpd.read_file(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson").to_crs(25833)
    assert len(oslo) == 97
    png = make_figure(oslo, column="Shape_Area", label="Areal (m²)", out=tmp_path / "oslo.png")
    pdf = make_figure(oslo, column="Shape_Area", out=tmp_path / "oslo.pdf")
    assert png.stat().st_size > 100_000
    assert pdf.stat().st_size > 10_000
    fig = draw_figure(oslo, column="Shape_Area")
    cls = classify(oslo["Shape_Area"], scheme="quantiles", k=5)
    yb = mapclassify.Quantiles(oslo["Shape_Area"].to_numpy(), k=5).yb
    np.testing.assert_allclose(
        _artist(fig, "classes").get_facecolors(),
        to_rgba_array([cls.colours[i] for i in yb]),
        atol=1e-6,
    )
    assert np.bincount(yb).tolist() == [20, 19, 19, 19, 20]  # quintiles of 97 areas
    rgb = imread(png)[..., :3]
    for colour in cls.colours:  # every class shows in the picture
        assert np.all(np.abs(rgb - to_rgba(colour)[:3]) < 1.5 / 255, axis=-1).sum() > 1000


# -- basemap ------------------------------------------------------------------------------------


def test_basemap_without_contextily_draws_anyway_and_warns(quad, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "contextily", None)  # import contextily -> ImportError
    with pytest.warns(BasemapUnavailableWarning, match="contextily is not installed") as rec:
        path = make_figure(quad, column="v", basemap=True, out=tmp_path / "m.png")
    assert path.is_file()
    assert rec[0].filename == __file__  # the warning points at the caller


def test_basemap_tiles_unavailable_draws_anyway_and_warns(quad, tmp_path, monkeypatch):
    def add_basemap(ax, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setitem(sys.modules, "contextily", types.SimpleNamespace(add_basemap=add_basemap))
    with pytest.warns(BasemapUnavailableWarning, match="could not be fetched.*no network"):
        fig = draw_figure(quad, column="v", basemap=True)
    assert _artist(fig, "classes").get_alpha() in (None, 1.0)
    assert not any("Bakgrunnskart" in t.get_text() for t in fig.axes[0].texts)


def test_basemap_drawn_gets_its_credit(quad, monkeypatch):
    calls = []

    def add_basemap(ax, **kwargs):
        calls.append(kwargs)

    monkeypatch.setitem(sys.modules, "contextily", types.SimpleNamespace(add_basemap=add_basemap))
    fig = draw_figure(quad, column="v", basemap=True, credits=["Oslo kommune"])
    assert calls[0]["source"] == BASEMAPS["topograatone"].url
    assert calls[0]["crs"] == "EPSG:25833"
    assert "Data: Oslo kommune. Bakgrunnskart: © Kartverket." in _texts(fig)
    assert "Bakgrunnskart: © Kartverket." in _texts(draw_figure(quad, basemap=True))
    assert _artist(fig, "classes").get_alpha() == pytest.approx(0.75)
    fig = draw_figure(quad, column="v", basemap="osm")
    assert calls[-1]["source"] == BASEMAPS["osm"].url
    assert "Bakgrunnskart: © OpenStreetMap." in _texts(fig)


def test_unknown_basemap_is_an_input_error(quad):
    with pytest.raises(InputError, match="basemap: unknown basemap 'google'"):
        draw_figure(quad, basemap="google")


# -- writing ----------------------------------------------------------------------------------


def test_refuses_to_overwrite_unless_asked(quad, tmp_path):
    target = tmp_path / "map.png"
    target.write_bytes(b"old")
    with pytest.raises(OutputExistsError, match=r"map\.png: the file exists"):
        make_figure(quad, column="v", out=target)
    assert target.read_bytes() == b"old"
    make_figure(quad, column="v", out=target, overwrite=True)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]  # no temporary files left


def test_failure_leaves_no_file(quad, tmp_path):
    zones = quad.to_crs(3035)
    with pytest.raises(CRSError, match="zones: zones are in EPSG:3035"):
        make_figure(quad, column="v", zones=zones, out=tmp_path / "map.png")
    assert list(tmp_path.iterdir()) == []


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"out": "map.jpg"}, InputError, r"map\.jpg: figures are written as PNG or PDF"),
        ({"out": "map"}, InputError, r"map: figures are written as PNG or PDF"),
        (
            {"column": "nope"},
            SchemaError,
            r"areas: column 'nope': .* not in the frame.*use one of: v",
        ),
        ({"column": "name"}, SchemaError, r"column 'name': .* is not numeric"),
        ({"lang": "de"}, InputError, r"unknown language 'de'"),
        ({"column": "v", "scheme": "kmeans"}, InputError, r"unknown classification scheme"),
        ({"column": "v", "scheme": "fixed"}, InputError, r"'fixed' scheme needs class bounds"),
        ({"column": "v", "palette": "Rainbow"}, InputError, r"unknown palette 'Rainbow'"),
    ],
    ids=[
        "suffix",
        "no-suffix",
        "unknown-column",
        "text-column",
        "language",
        "scheme",
        "fixed-no-breaks",
        "palette",
    ],
)
def test_bad_arguments(quad, tmp_path, kwargs, error, match):
    kwargs = {"out": "map.png", **kwargs}
    kwargs["out"] = tmp_path / kwargs["out"]
    with pytest.raises(error, match=match):
        make_figure(quad, **kwargs)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("frame", "error", "match"),
    [
        (
            gpd.GeoDataFrame(geometry=[], crs=25833),
            InputError,
            "areas: nothing to draw: none of the 0",
        ),
        (gpd.GeoDataFrame(), InputError, "nothing to draw"),
        (
            gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1).difference(box(0, 0, 1, 1))], crs=25833),
            InputError,
            "none of the 1 rows has a geometry",
        ),
        (gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)]), CRSError, "areas: the frame has no CRS"),
        (
            gpd.GeoDataFrame(geometry=[box(10, 59, 11, 60)], crs=4326),
            CRSError,
            r"EPSG:4326\) is not projected in metres.*to_crs\('EPSG:25833'\)",
        ),
    ],
    ids=["empty", "no-geometry-column", "empty-geometry", "no-crs", "geographic"],
)
def test_bad_frames(frame, error, match, tmp_path):
    with pytest.raises(error, match=match):
        make_figure(frame, out=tmp_path / "map.png")


def test_not_a_geodataframe_is_a_type_error(quad):
    with pytest.raises(TypeError, match="areas must be a GeoDataFrame, not DataFrame"):
        draw_figure(quad.drop(columns="geometry"))


# -- command line -----------------------------------------------------------------------------

DEMO_BOUNDARIES = Path("data/boundaries/demoby_delbydeler.geojson")
DEMO_TABLE = Path("data/indicators/demoby_levekar_delbydel.csv")


def test_cli_draws_an_indicator_from_a_table(repo, tmp_path, capsys):
    out = tmp_path / "lavinntekt.png"
    code = main(
        [
            "figure",
            str(repo / DEMO_BOUNDARIES),
            "--indicators",
            str(repo / DEMO_TABLE),
            "--column",
            "lavinntekt_n",
            "-o",
            str(out),
            "--lang",
            "en",
        ]
    )
    assert code == 0
    assert out.is_file()
    assert f"wrote {out} (36 areas, 'lavinntekt_n' in classes)" in capsys.readouterr().out


def test_cli_real_oslo_table_and_zones(realdata, tmp_path, capsys):
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1"], "name": ["Furuset"]},
        geometry=[box(270_000, 6_650_000, 272_000, 6_652_000)],
        crs=25833,
    )
    zones.to_crs(4326).to_file(tmp_path / "zones.geojson")
    out = tmp_path / "leiere.pdf"
    args = [
        "figure",
        str(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson"),
        "--indicators",
        str(realdata / "oslo-indicators" / "eieform_delbydel_2015-2017.csv"),
        "--where",
        "aar=2017",
        "--column",
        "leier_alle",
        "--areas",
        str(tmp_path / "zones.geojson"),
        "-o",
        str(out),
    ]
    with pytest.warns(UserWarning, match="empty key dropped"):  # bydel rows have no delbydel id
        assert main(args) == 0
    assert out.read_bytes()[:5] == b"%PDF-"
    assert "97 areas, 'leier_alle' in classes" in capsys.readouterr().out


def test_cli_outlines_only_and_overwrite(repo, tmp_path):
    out = tmp_path / "omrader.png"
    args = ["figure", str(repo / DEMO_BOUNDARIES), "-o", str(out)]
    assert main(args) == 0
    assert main(args) == 1
    assert main([*args, "--overwrite"]) == 0


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["-o", "map.gif"], 1, "figures are written as PNG or PDF"),
        (["-o", "map.png", "--indicators", str(DEMO_TABLE)], 1, "which one to draw?"),
        (
            ["-o", "map.png", "--indicators", str(DEMO_TABLE), "--column", "lavinntekt"],
            1,
            f"{DEMO_TABLE}: column 'lavinntekt': the table has no such value column. Fix: name "
            "one of its value columns with --column: aar, lavinntekt_n",
        ),
        (["-o", "map.png", "--column", "x"], 2, "needs --indicators"),
        (["-o", "map.png", "--lang", "de"], 2, "--lang"),
        (["-o", "map.png", "--breaks", "10,a"], 2, "write numbers"),
        (["-o", "map.png", "--where", "aar"], 2, "write COLUMN=VALUE"),
        ([], 2, "--out"),
    ],
    ids=[
        "suffix",
        "several-columns",
        "unknown-column",
        "column-without-table",
        "lang",
        "breaks",
        "where",
        "no-output",
    ],
)
def test_cli_errors(repo, tmp_path, monkeypatch, capsys, extra, code, message):
    monkeypatch.chdir(repo)
    extra = [str(tmp_path / e) if e.startswith("map.") else e for e in extra]
    assert main(["figure", str(DEMO_BOUNDARIES), *extra]) == code
    err = capsys.readouterr().err
    flat = " ".join(err.split())  # rich wraps long lines at the console width
    assert message in flat
    if code == 1:  # one message, no traceback
        assert flat.startswith("error: ")
        assert flat.count("error:") == 1
        assert "Traceback" not in err


def _window_boxes(fig, artists):
    renderer = fig.canvas.get_renderer()
    return [a.get_window_extent(renderer) for a in artists]


def test_zone_labels_never_overlap_each_other_or_the_furniture():
    """Twelve narrow zones with long names side by side across the map: the labels drawn
    overlap neither each other nor the north arrow, scale bar or credits; the ones with
    no room left are left out."""
    areas = _squares([1.0, 2.0, 3.0, 4.0])
    zones = gpd.GeoDataFrame(
        {
            "zone_id": [f"Z{i:02d}" for i in range(12)],
            "name": [f"Innsatsområde nummer {i}" for i in range(12)],
        },
        geometry=[
            box(X0 + i * 160.0, Y0 + 1700, X0 + i * 160.0 + 150, Y0 + 1990) for i in range(12)
        ],
        crs=areas.crs,
    )
    fig = draw_figure(areas, column="v", zones=zones)
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_gid() == "zone-label"]
    assert len(labels) == 12
    # the anchors are closer than a label is wide: drawn where they are, they would overlap
    renderer = fig.canvas.get_renderer()
    gap = ax.transData.transform((X0 + 160.0, Y0))[0] - ax.transData.transform((X0, Y0))[0]
    shown = [t for t in labels if t.get_visible()]
    assert 0 < len(shown) < 12
    assert min(t.get_window_extent(renderer).width for t in shown) > gap
    boxes = _window_boxes(fig, shown)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
    furniture = [t for t in ax.texts if t.get_gid() != "zone-label" and t.get_visible()]
    assert len(furniture) >= 2  # north arrow and its letter, credits
    furniture += [a for a in ax.artists if a.get_gid() == "scale-bar"]
    for a in boxes:
        for b in _window_boxes(fig, furniture):
            assert not a.overlaps(b)
