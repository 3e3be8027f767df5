"""The study area: row filters, kommune selection, and cutting grid and measures to the areas."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from geoloft._where import row_mask, using_surface, where_example
from geoloft.boundaries import read_boundaries
from geoloft.errors import InputError, SchemaError
from geoloft.grid.codec import cell_polygons, corners_to_ssbid
from geoloft.join import grid_indicators
from geoloft.study_area import StudyArea, cut_to_study_area, study_area_of

# -- where ---------------------------------------------------------------------------------

TABLE = pd.DataFrame(
    {
        "aar": ["2016", "2017", "2017", "2018"],
        "kode": ["0301", "0301", "4601", "0301"],
        "kjoenn": ["Mann", "Kvinne", "Mann", "Kvinne"],
    }
)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"aar": 2017}, [False, True, True, False]),
        ({"aar": "2017"}, [False, True, True, False]),
        ({"AAR": [2016, 2018]}, [True, False, False, True]),
        ({"aar": 2017, "kode": "0301"}, [False, True, False, False]),
        ({"kode": "0301", "kjoenn": ["Mann"]}, [True, False, False, False]),
        ("aar >= 2017 and kode == '0301'", [False, True, False, True]),
        ("kjoenn.str.startswith('K')", [False, True, False, True]),
    ],
)
def test_where_selects_the_rows_a_person_would_pick(where, expected):
    assert row_mask(TABLE, where, source="t.csv").tolist() == expected


def test_where_keeps_leading_zeros_as_text():
    # "0301" must not match 301, and a code column stays text in expressions
    assert not row_mask(TABLE, "kode == '0301'", source="t").tolist()[2]
    with pytest.raises(InputError, match="no rows where kode is '301'"):
        row_mask(TABLE, {"kode": "301"}, source="t")


def test_where_errors_name_the_column_the_values_and_the_fix():
    with pytest.raises(SchemaError, match=r"t\.csv: no column 'year'.*has: aar, kode, kjoenn"):
        row_mask(TABLE, {"year": 2017}, source="t.csv")
    with pytest.raises(InputError, match=r"no rows where aar is 1999; values present: 2016, 2017"):
        row_mask(TABLE, {"aar": 1999}, source="t.csv")
    with pytest.raises(InputError, match="cannot evaluate the filter"):
        row_mask(TABLE, "aar >>> 3", source="t.csv")


@pytest.mark.parametrize(
    ("surface", "text"),
    [
        ("python", "where={'aar': 2017}"),
        ("cli", "--where aar=2017"),
        ("project", "[inputs.indicators] where = { aar = 2017 }"),
    ],
)
def test_the_fix_is_written_for_where_the_user_is(surface, text):
    with using_surface(surface):
        assert where_example("aar", 2017) == text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["2015", "2016", "2017", " 2017", "x"]), min_size=1, max_size=12),
    st.sampled_from([2015, 2016, 2017]),
)
def test_where_number_matches_exactly_the_rows_equal_to_it(values, year):
    table = pd.DataFrame({"aar": values})
    expected = [v.strip() == str(year) for v in values]
    if not any(expected):
        with pytest.raises(InputError):
            row_mask(table, {"aar": year}, source="t")
    else:
        assert row_mask(table, {"aar": year}, source="t").tolist() == expected


# -- boundaries: kommune and where -----------------------------------------------------------


def _write_features(path, rows):
    from shapely import affinity

    frame = gpd.GeoDataFrame(
        [r[0] for r in rows],
        geometry=[affinity.translate(r[1], 260_000, 6_650_000) for r in rows],  # Oslo
        crs="EPSG:25833",
    )
    frame.to_file(path, driver="GPKG")
    return path


@pytest.fixture
def four_city_bydeler(tmp_path):
    rows = [
        ({"bydelsnr": "030101", "navn": "Gamle Oslo"}, box(0, 0, 10, 10)),
        ({"bydelsnr": "030102", "navn": "Grünerløkka"}, box(10, 0, 20, 10)),
        ({"bydelsnr": "460101", "navn": "Arna"}, box(100, 0, 110, 10)),
        ({"bydelsnr": "500101", "navn": "Midtbyen"}, box(200, 0, 210, 10)),
    ]
    return _write_features(tmp_path / "bydeler.gpkg", rows)


def test_kommune_keeps_its_areas_and_reports_the_others(four_city_bydeler):
    areas = read_boundaries(four_city_bydeler, kommune="0301")
    assert areas["area_id"].tolist() == ["030101", "030102"]
    report = areas.attrs["report"]
    assert (report.rows_in, report.rows_out) == (4, 2)
    assert report.dropped == {"outside kommune 0301": 2}
    assert report.notes["kommune from"] == "the first 4 digits of the area ids"


def test_a_kommune_number_of_another_vintage_is_matched_and_noted(four_city_bydeler):
    areas = read_boundaries(four_city_bydeler, kommune=["1201", "1601"])  # Bergen, Trondheim
    assert areas["area_id"].tolist() == ["460101", "500101"]
    other = areas.attrs["report"].notes["kommune matched by another vintage's number"]
    assert other == {"1201": ["4601"], "1601": ["5001"]}


def test_unknown_kommune_lists_the_numbers_present(four_city_bydeler):
    with pytest.raises(InputError, match=r"no area lies in kommune 1103.*0301, 4601, 5001"):
        read_boundaries(four_city_bydeler, kommune="1103")


def test_where_on_boundaries_uses_file_columns_and_area_id(four_city_bydeler):
    by_name = read_boundaries(four_city_bydeler, where={"navn": ["Arna", "Midtbyen"]})
    assert by_name["area_id"].tolist() == ["460101", "500101"]
    by_id = read_boundaries(four_city_bydeler, where="area_id.str.startswith('03')")
    assert by_id["area_id"].tolist() == ["030101", "030102"]
    assert by_id.attrs["report"].dropped == {
        "not selected by where area_id.str.startswith('03')": 2
    }


def test_kommune_without_kommune_information_says_what_to_do(tmp_path):
    path = _write_features(tmp_path / "d.gpkg", [({"DELBYDEL": "0102"}, box(0, 0, 1, 1))])
    with pytest.raises(InputError, match=r"cannot tell which kommune.*Fix: select the areas with"):
        read_boundaries(path, kommune="0301")


def test_real_grunnkretser_by_todays_kommune_number(realdata):
    path = realdata / "asker-baerum-grunnkretser" / "ab.geojson"
    raw = pyogrio.read_dataframe(path, read_geometry=False)
    expected = int((raw["kommunenummer"] == "0219").sum())  # Bærum in 2018
    areas = read_boundaries(path, kommune="3201")  # Bærum's number since 2024
    assert len(areas) == expected
    assert areas["area_id"].str.startswith("0219").all()


def test_real_kommuner_file_cut_to_three_cities(realdata):
    from geoloft.boundaries._geometry import GeometryRepairWarning

    with pytest.warns(GeometryRepairWarning, match="ids 4601"):  # only kept areas are repaired
        areas = read_boundaries(
            realdata / "kommuner-2024" / "Kommuner-S.geojson", kommune=["0301", "4601", "5001"]
        )
    assert sorted(areas["area_id"]) == ["0301", "4601", "5001"]
    assert areas.attrs["report"].dropped == {"outside kommune 0301, 4601, 5001": 354}


# -- cutting ----------------------------------------------------------------------------------


def _cells(xs, ys, size=250):
    x, y = np.meshgrid(xs, ys)
    ids = corners_to_ssbid(x.ravel(), y.ravel())
    return gpd.GeoDataFrame(
        {"ssbid": ids, "cell_size": size, "pop_tot": np.arange(1.0, ids.size + 1)},
        geometry=cell_polygons(ids, size),
        crs=25833,
    )


def test_cut_keeps_every_cell_the_study_area_touches_and_no_other():
    grid = _cells(np.arange(0, 1000, 250), np.arange(0, 1000, 250))  # 4 x 4 cells
    study = StudyArea(box(300, 300, 600, 600), "test")  # meets cells 250-500 and 500-750
    kept = cut_to_study_area(grid, study, what="grid cells", id_column="ssbid")
    corners = sorted(zip(kept.geometry.bounds.minx, kept.geometry.bounds.miny, strict=True))
    assert corners == [(250, 250), (250, 500), (500, 250), (500, 500)]
    report = kept.attrs["report"]
    assert report.dropped == {"grid cells outside the study area": 12}
    assert len(report.notes["outside (examples)"]) == 5


def test_cut_of_a_polygon_with_a_hole_drops_cells_inside_the_hole_only():
    grid = _cells(np.arange(0, 750, 250), np.arange(0, 750, 250))  # 3 x 3 cells
    donut = Polygon(
        [(0, 0), (750, 0), (750, 750), (0, 750)],
        [[(260, 260), (490, 260), (490, 490), (260, 490)]],  # hole strictly inside the middle cell
    )
    kept = cut_to_study_area(grid, StudyArea(donut, "donut"), what="grid cells")
    assert len(kept) == 9  # the middle cell still meets the ring around the hole
    hole_only = Polygon(
        [(0, 0), (750, 0), (750, 750), (0, 750)], [[(0.1, 0.1), (749.9, 0.1), (749.9, 749.9)]]
    )
    kept = cut_to_study_area(grid, StudyArea(hole_only, "mostly hole"), what="grid cells")
    assert 0 < len(kept) <= 9


def test_cut_measures_keeps_points_lines_and_polygons_that_meet_the_area():
    from shapely.geometry import LineString

    measures = gpd.GeoDataFrame(
        {"measure_id": ["in", "edge", "line", "far", "far_poly"]},
        geometry=[
            Point(5, 5),
            Point(10, 5),
            LineString([(-5, 5), (5, 5)]),
            Point(500, 500),
            box(100, 100, 110, 110),
        ],
        crs=25833,
    )
    kept = cut_to_study_area(
        measures, StudyArea(box(0, 0, 10, 10), "t"), what="measures", id_column="measure_id"
    )
    assert kept["measure_id"].tolist() == ["in", "edge", "line"]
    assert kept.attrs["report"].notes["outside (examples)"] == ["far", "far_poly"]


def test_study_area_of_areas_with_buffer():
    areas = gpd.GeoDataFrame({"area_id": ["a"]}, geometry=[box(0, 0, 100, 100)], crs=25833)
    study = study_area_of(areas, buffer=10)
    assert study.bounds == pytest.approx((-10, -10, 110, 110))
    assert study.geometry.area == pytest.approx(120 * 120 - (4 - np.pi) * 100, rel=1e-3)


# -- grid indicators ---------------------------------------------------------------------------


def test_grid_indicators_by_hand():
    grid = _cells(np.array([0, 250]), np.array([0]))  # two cells, 1 and 2 persons
    grid["pop_fem"] = [1.0, 0.0]
    base = grid.assign(pop_tot=[2.0, 2.0]).drop(columns="pop_fem")
    areas = gpd.GeoDataFrame(
        {"area_id": ["west", "east"]},
        geometry=[box(0, 0, 125, 250), box(125, 0, 500, 250)],  # west: half of cell 1
        crs=25833,
    )
    out = grid_indicators(grid, areas, baseline=base).set_index("area_id")
    assert out.loc["west", "pop_tot"] == pytest.approx(0.5)
    assert out.loc["east", "pop_tot"] == pytest.approx(2.5)
    assert out.loc["east", "pop_fem"] == pytest.approx(0.5)
    assert out.loc["west", "settled_km2"] == pytest.approx(125 * 250 / 1e6)
    assert out.loc["east", "settled_km2"] == pytest.approx(375 * 250 / 1e6)
    assert out.loc["east", "density_settled"] == pytest.approx(2.5 / (375 * 250 / 1e6))
    assert out.loc["west", "pop_change"] == pytest.approx(0.5 - 1.0)
    assert out.loc["east", "pop_change_pct"] == pytest.approx(100 * (2.5 - 3.0) / 3.0)


def test_grid_indicators_match_an_independent_overlay_on_real_oslo(realdata):
    from geoloft.grid import read_grid

    grid = read_grid(realdata / "ssb-grid-oslo-1km-2019" / "BefolkningOslo1km2019.gml")
    areas = read_boundaries(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson")
    out = grid_indicators(grid, areas).set_index("area_id")
    # independent: geopandas overlay, shares of cell area, mean age weighted by residents
    cells = grid.assign(cell_area=grid.area)
    pieces = gpd.overlay(areas[["area_id", "geometry"]], cells, how="intersection")
    share = pieces.area / pieces["cell_area"]
    pop = (pieces["pop_tot"] * share).groupby(pieces["area_id"]).sum()
    settled = (pieces.area / 1e6).groupby(pieces["area_id"]).sum()
    weighted_age = (pieces["pop_ave"] * pieces["pop_tot"] * share).groupby(pieces["area_id"]).sum()
    np.testing.assert_allclose(out.loc[pop.index, "pop_tot"], pop, rtol=1e-9)
    np.testing.assert_allclose(out.loc[settled.index, "settled_km2"], settled, rtol=1e-9)
    has_age = grid["pop_ave"].notna()
    assert has_age.any()
    ages = out.loc[pop.index, "pop_ave"]
    independent = weighted_age / pop
    close = np.isclose(ages, independent, rtol=1e-6) | (ages.isna() & independent.isna())
    # cells with suppressed mean age (NaN) are skipped by geoloft, not counted as 0
    assert close.mean() > 0.8


# -- the pipeline on national files ------------------------------------------------------------


def _project(tmp_path, realdata, extra=""):
    r = realdata
    text = f"""
[project]
name = "oslo"
source = "SSB; Udir"

[inputs.boundaries]
path = "{r / "oslo-bydeler-gpkg" / "oslo_bydeler.gpkg"}"

[inputs.grid]
path = "{r / "ssb-grid-norway-250m-series" / "NOR0250M_POP_2019.csv"}"
cell_size = 250

[[inputs.measures]]
path = "{r / "schools-norway" / "skoler.geojson"}"
label = "Skole"

[maps]
figures = false
{extra}
"""
    path = tmp_path / "project.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.filterwarnings("ignore:.*repaired 1 invalid geometries")
def test_national_grid_and_schools_are_cut_to_oslo(tmp_path, realdata):
    from geoloft.config import load_project
    from geoloft.pipeline import run

    project = load_project(_project(tmp_path, realdata, '[study_area]\nkommune = ["0301"]'))
    result = run(project, out=tmp_path / "out")
    areas, grid, measures = (result.frames[k] for k in ("areas", "grid", "measures"))
    # independent expectation: cells and schools that meet the union of the bydeler
    national = len(
        pd.read_csv(realdata / "ssb-grid-norway-250m-series" / "NOR0250M_POP_2019.csv", sep=";")
    )
    assert len(grid) < national / 50
    union = areas.union_all()
    assert grid.intersects(union).all()
    schools = gpd.read_file(realdata / "schools-norway" / "skoler.geojson").to_crs(25833)
    expected = schools[schools.intersects(union)]
    assert len(measures) == len(expected)
    assert set(measures["name"]) == set(expected["navn"])
    assert (measures["category"] == "Skole").all()
    # sizes a user can mail and open
    out = tmp_path / "out"
    assert (out / "maps" / "overview.html").stat().st_size <= 1.5e6
    assert (out / "geoloft.gpkg").stat().st_size <= 5e6
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert (out / "run.json").stat().st_size <= 100e3
    cut = {s["stage"]: s for s in record["stages"]}
    assert cut["cut grid cells"]["rows_in"] == national
    assert cut["cut grid cells"]["dropped"] == {
        "grid cells outside the study area": national - len(grid)
    }
    assert len(cut["cut measures"]["notes"]["outside (examples)"]) == 5


def test_list_outside_writes_full_lists_beside_the_run(tmp_path):
    from geoloft.config import parse_project
    from geoloft.demo import demo_data_dir
    from geoloft.pipeline import run

    data = demo_data_dir()
    project = parse_project(
        {
            "inputs": {
                "boundaries": {
                    "path": str(data / "boundaries" / "demoby_delbydeler.geojson"),
                    "id_column": "DELBYDEL",
                },
                "grid": {"path": str(data / "grid" / "demoby_ru250m_syntetisk.csv")},
                "measures": [{"path": str(data / "measures" / "demoby_tiltak.csv")}],
            },
            "study_area": {"where": "area_id.str.startswith('01')", "list_outside": True},
            "maps": {"figures": False},
        },
        root=tmp_path,
    )
    result = run(project, out=tmp_path / "out", only=["export"])
    outside = pd.read_csv(tmp_path / "out" / "outside_grid_cells.csv")
    kept = result.frames["grid"]
    assert len(outside) + len(kept) == 3664
    assert not set(outside["ssbid"]) & set(kept["ssbid"])
    assert (result.frames["areas"]["area_id"].str[:2] == "01").all()


@pytest.mark.filterwarnings("ignore:.*repaired \\d+ invalid geometries")
def test_run_kommune_option_cuts_a_national_project(tmp_path, realdata, capsys):
    from geoloft.cli import main

    project = tmp_path / "norge.toml"
    project.write_text(
        f'[inputs.boundaries]\npath = "{realdata / "kommuner-2024" / "Kommuner-S.geojson"}"\n'
        "[maps]\nfigures = false\n",
        encoding="utf-8",
    )
    code = main(["run", str(project), "--kommune", "1201", "--out", str(tmp_path / "o"), "-q"])
    assert code == 0
    record = json.loads((tmp_path / "o" / "run.json").read_text(encoding="utf-8"))
    boundaries = next(s for s in record["stages"] if s["stage"] == "read_boundaries")
    assert boundaries["rows_out"] == 1  # Bergen, found by its number before 2020
    assert boundaries["notes"]["kommune matched by another vintage's number"] == {"1201": ["4601"]}
    code = main(["run", str(project), "--kommune", "9999", "--out", str(tmp_path / "p")])
    assert code == 1
    assert "no area lies in kommune 9999" in capsys.readouterr().err


def test_score_command_bounds_the_bootstrap_and_neutralises_formulas(tmp_path, capsys):
    from geoloft.cli import main
    from geoloft.demo import demo_data_dir

    data = demo_data_dir() / "indicators"
    table = pd.read_csv(data / "demoby_levekar_delbydel.csv", sep=";", dtype=str)
    table.loc[0, "delbydel_navn"] = '=HYPERLINK("x")'
    path = tmp_path / "t.csv"
    table.to_csv(path, sep=";", index=False)
    args = ["score", str(path), "--catalogue", str(data / "catalogue.toml")]
    assert main([*args, "-o", str(tmp_path / "a.csv"), "--n-boot", "100000"]) == 2
    assert main([*args, "-o", str(tmp_path / "s.csv")]) == 0
    written = (tmp_path / "s.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in written
    assert "\n=HYPERLINK" not in written
    assert ",=HYPERLINK" not in written


def test_a_polygon_study_area_keeps_the_areas_inside_it(tmp_path):
    from geoloft.config import parse_project
    from geoloft.demo import demo_data_dir
    from geoloft.pipeline import run

    data = demo_data_dir()
    areas = read_boundaries(data / "boundaries" / "demoby_delbydeler.geojson")
    minx, miny, maxx, maxy = areas.total_bounds
    half = box(minx - 1, miny - 1, (minx + maxx) / 2, maxy + 1)  # the western half
    gpd.GeoDataFrame({"navn": ["vest"]}, geometry=[half], crs=25833).to_file(
        tmp_path / "vest.geojson"
    )
    # independent: the areas most of whose surface lies in the western half
    expected = sorted(areas.loc[areas.intersection(half).area > 0.5 * areas.area, "area_id"])
    project = parse_project(
        {
            "inputs": {
                "boundaries": {"path": str(data / "boundaries" / "demoby_delbydeler.geojson")},
                "grid": {"path": str(data / "grid" / "demoby_ru250m_syntetisk.csv")},
            },
            "study_area": {"path": "vest.geojson"},
            "maps": {"figures": False},
        },
        root=tmp_path,
    )
    result = run(project, out=tmp_path / "out", only=["join"])
    kept = sorted(result.frames["areas"]["area_id"])
    assert 0 < len(kept) < len(areas)
    # an area split by the line may go either way; every other area agrees
    split = areas.loc[areas.intersects(half.boundary), "area_id"]
    assert set(kept) - set(split) == set(expected) - set(split)
    report = next(r for r in result.reports if r.stage == "cut areas")
    assert report.rows_out == len(kept)
    assert report.dropped == {"areas outside the study area": len(areas) - len(kept)}
