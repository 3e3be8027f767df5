"""Tests of geoloft.join: exact area shares, centroids, crosswalks and area conversion.

Expected values come from hand-built geometry worked out below, from shapely's
own polygon intersection (GEOS), from tobler and geopandas.overlay on the same
real input, and from published figures of the real data.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import box

from geoloft.boundaries import GeometryRepairWarning, read_boundaries
from geoloft.columns import AREA_ID, CELL_SIZE, N_CELLS, POP_AVE, POP_TOT, SHARE, SSBID
from geoloft.errors import CRSError, GeometryError, InputError, SchemaError, SSBIdError
from geoloft.grid import cell_polygons, corners_to_ssbid, read_grid
from geoloft.join import convert_areas, crosswalk, join_grid
from geoloft.report import get_report

X0, Y0 = 256_000, 6_672_000  # lower-left corner of the hand-built 2 x 2 km block
KM = 1000
CRS = "EPSG:25833"


def make_grid(corners: list[tuple[int, int]], size: int = KM, **values: list[float]):
    """Return a grid frame of cells with the given lower-left corners."""
    x, y = (np.array(c, dtype=np.int64) for c in zip(*corners, strict=True))
    ids = corners_to_ssbid(x, y)
    data = {SSBID: ids, **{k: np.asarray(v, dtype=float) for k, v in values.items()}}
    grid = gpd.GeoDataFrame(data, geometry=cell_polygons(ids, size), crs=CRS)
    grid.attrs[CELL_SIZE] = size
    return grid


def make_areas(ids: list[str], geoms: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({AREA_ID: ids, "name": ids}, geometry=geoms, crs=CRS)


# The 2 x 2 block: cells LL, LR, UL, UR with 100, 200, 300, 400 persons.
BLOCK = [(X0, Y0), (X0 + KM, Y0), (X0, Y0 + KM), (X0 + KM, Y0 + KM)]


@pytest.fixture
def block() -> gpd.GeoDataFrame:
    return make_grid(
        BLOCK,
        pop_tot=[100, 200, 300, 400],
        pop_ave=[30, 40, 50, 60],
        pop_mal=[50, 100, 100, 300],
    )


@pytest.fixture
def quarters() -> gpd.GeoDataFrame:
    """Area A starts in the middle of LL: a quarter of LL, halves of LR and UL, all of UR."""
    a = box(X0 + 500, Y0 + 500, X0 + 2 * KM, Y0 + 2 * KM)
    b = box(X0, Y0, X0 + 2 * KM, Y0 + 2 * KM).difference(a)
    return make_areas(["A", "B"], [a, b])


def test_area_shares_halves_and_quarters(block, quarters):
    out = join_grid(block, quarters, values=[POP_TOT])
    # A: 0.25*100 + 0.5*200 + 0.5*300 + 1*400; B: 0.75*100 + 0.5*200 + 0.5*300
    assert out[POP_TOT].tolist() == pytest.approx([675.0, 325.0], rel=1e-12)
    assert out[N_CELLS].tolist() == [4, 3]
    assert out.index.equals(quarters.index)
    assert out.geometry.geom_equals(quarters.geometry).all()
    report = get_report(out)
    assert report.notes["cells_split"] == 3
    assert report.notes["cells_outside"] == []


def test_crosswalk_lists_each_share(block, quarters):
    table = crosswalk(block, quarters)
    got = {(r.ssbid, r.area_id): r.share for r in table.itertuples()}
    ll, lr, ul, ur = block[SSBID]
    expected = {
        (ll, "A"): 0.25, (ll, "B"): 0.75, (lr, "A"): 0.5, (lr, "B"): 0.5,
        (ul, "A"): 0.5, (ul, "B"): 0.5, (ur, "A"): 1.0,
    }  # fmt: skip
    assert got.keys() == expected.keys()
    for key, share in expected.items():
        assert got[key] == pytest.approx(share, abs=1e-12)
    assert list(table.columns) == [SSBID, AREA_ID, SHARE]


def test_diagonal_cut_gives_halves(block):
    # the triangle LL-(2 km, 0)-(0, 2 km) holds LL, half of LR and UL, and touches UR
    tri = shapely.Polygon([(X0, Y0), (X0 + 2 * KM, Y0), (X0, Y0 + 2 * KM)])
    out = join_grid(block, make_areas(["T"], [tri]), values=[POP_TOT])
    assert out[POP_TOT].iloc[0] == pytest.approx(100 + 0.5 * 200 + 0.5 * 300, rel=1e-12)
    assert out[N_CELLS].iloc[0] == 3  # UR only touches at a corner


def test_hole_and_multipolygon(block):
    outer = box(X0, Y0, X0 + 2 * KM, Y0 + KM)  # LL and LR
    ring = outer.difference(box(X0 + 250, Y0 + 250, X0 + 750, Y0 + 750))  # LL loses 1/4
    multi = shapely.MultiPolygon([ring, box(X0 + KM, Y0 + 1250, X0 + 2 * KM, Y0 + 1750)])
    out = join_grid(block, make_areas(["M"], [multi]), values=[POP_TOT])
    assert out[POP_TOT].iloc[0] == pytest.approx(0.75 * 100 + 200 + 0.5 * 400, rel=1e-12)


def test_area_with_no_cells_gets_zero_counts_and_missing_means(block, quarters):
    far = box(X0 + 10 * KM, Y0, X0 + 11 * KM, Y0 + KM)
    areas = pd.concat([quarters, make_areas(["empty"], [far])], ignore_index=True)
    out = join_grid(block, areas, values=[POP_TOT, POP_AVE], rates={"male": ("pop_mal", POP_TOT)})
    row = out.set_index(AREA_ID).loc["empty"]
    assert row[POP_TOT] == 0.0
    assert row[N_CELLS] == 0
    assert math.isnan(row[POP_AVE])
    assert math.isnan(row["male"])
    assert get_report(out).notes["areas_without_cells"] == ["empty"]


def test_cell_outside_every_area_is_reported(block):
    half = box(X0, Y0, X0 + 2 * KM, Y0 + KM)  # LL and LR only
    left_of_ur = box(X0, Y0 + KM, X0 + 1500, Y0 + 2 * KM)  # all of UL, half of UR
    out = join_grid(block, make_areas(["S", "N"], [half, left_of_ur]), values=[POP_TOT])
    report = get_report(out)
    assert out[POP_TOT].tolist() == pytest.approx([300.0, 300.0 + 200.0])
    assert report.notes["total_in"][POP_TOT] == 1000.0
    assert report.notes["total_outside"][POP_TOT] == pytest.approx(200.0)
    assert report.notes["cells_partly_outside"] == 1
    assert report.notes["cells_outside"] == []
    only_ll = join_grid(block, make_areas(["LL"], [box(X0, Y0, X0 + KM, Y0 + KM)]))
    rep = get_report(only_ll)
    assert sorted(rep.notes["cells_outside"]) == sorted(block[SSBID].iloc[1:].tolist())
    assert rep.dropped == {"cells outside every area": 3}
    assert rep.notes["total_outside"][POP_TOT] == 900.0


def test_intensive_mean_is_weighted_by_persons(block, quarters):
    out = join_grid(block, quarters, values=[POP_TOT, POP_AVE])
    # A: weights 25, 100, 150, 400 persons on mean ages 30, 40, 50, 60
    mean_a = (25 * 30 + 100 * 40 + 150 * 50 + 400 * 60) / 675
    mean_b = (75 * 30 + 100 * 40 + 150 * 50) / 325
    assert out[POP_AVE].tolist() == pytest.approx([mean_a, mean_b], rel=1e-12)


def test_rate_is_divided_after_summing(block, quarters):
    out = join_grid(block, quarters, values=[POP_TOT], rates={"male": ("pop_mal", POP_TOT)})
    male_a = 0.25 * 50 + 0.5 * 100 + 0.5 * 100 + 300
    assert out["male"].iloc[0] == pytest.approx(male_a / 675, rel=1e-12)
    assert "pop_mal" not in out.columns


def test_missing_values_stay_missing_and_are_counted(quarters):
    grid = make_grid(BLOCK, pop_tot=[100, np.nan, np.nan, 400], pop_ave=[30, 40, np.nan, np.nan])
    lr_only = make_areas(["LR"], [box(X0 + KM, Y0, X0 + 2 * KM, Y0 + KM)])
    out = join_grid(grid, pd.concat([quarters, lr_only], ignore_index=True))
    by_id = out.set_index(AREA_ID)
    assert math.isnan(by_id.loc["LR", POP_TOT])  # its only cell is missing: not 0
    assert math.isnan(by_id.loc["LR", POP_AVE])  # no weight where pop_tot is missing
    assert by_id.loc["A", POP_TOT] == pytest.approx(0.25 * 100 + 400)
    assert by_id.loc["A", POP_AVE] == pytest.approx(30.0)  # only LL has both values
    assert get_report(out).notes["missing_values"] == {POP_TOT: 2, POP_AVE: 2}


def test_centroid_assigns_whole_cells_once(block):
    # the split at x0 + 500 runs through the centres of LL and UL
    west = box(X0 - KM, Y0, X0 + 500, Y0 + 2 * KM)
    east = box(X0 + 500, Y0, X0 + 3 * KM, Y0 + 2 * KM)
    areas = make_areas(["W", "E"], [west, east])
    out = join_grid(block, areas, values=[POP_TOT], method="centroid")
    assert out[POP_TOT].sum() == 1000.0
    assert out[N_CELLS].sum() == 4
    assert out.set_index(AREA_ID).loc["E", POP_TOT] >= 600.0  # LR and UR at least
    table = crosswalk(block, areas, method="centroid")
    assert table[SSBID].is_unique
    assert (table[SHARE] == 1.0).all()


def test_crosswalk_can_be_reused(block, quarters):
    table = crosswalk(block, quarters)
    direct = join_grid(block, quarters)
    reused = join_grid(block, quarters, crosswalk=table)
    pd.testing.assert_series_equal(direct[POP_TOT], reused[POP_TOT])
    assert get_report(reused).notes["method"] == "crosswalk"


def test_inputs_are_not_changed(block, quarters):
    grid_before, areas_before = block.copy(), quarters.copy()
    join_grid(block, quarters)
    pd.testing.assert_frame_equal(block, grid_before)
    pd.testing.assert_frame_equal(quarters, areas_before)


# ---------------------------------------------------------------- bad input


def test_crs_mismatch_is_an_error(block, quarters):
    with pytest.raises(CRSError, match=r"EPSG:4326.*to_crs"):
        join_grid(block, quarters.to_crs(4326))
    with pytest.raises(CRSError, match="no CRS"):
        join_grid(block, quarters.set_crs(None, allow_override=True))


def test_missing_value_column_lists_columns(block, quarters):
    with pytest.raises(SchemaError, match=r"pop_xyz.*the grid has: ssbid, pop_tot"):
        join_grid(block, quarters, values=["pop_xyz"])
    with pytest.raises(SchemaError, match="pop_nope"):
        join_grid(block, quarters, rates={"r": ("pop_nope", POP_TOT)})


def test_grid_without_cell_size_is_an_error(block, quarters):
    grid = block.copy()
    grid.attrs = {}
    with pytest.raises(SchemaError, match=r"column 'cell_size'.*one cell size"):
        join_grid(grid, quarters)


def test_cells_off_the_lattice_are_an_error(quarters):
    grid = make_grid([(X0 + 100, Y0)], pop_tot=[1.0])
    with pytest.raises(SSBIdError, match=r"column 'ssbid'.*not a multiple of 1000"):
        join_grid(grid, quarters)


def test_bad_area_geometry_names_the_area(block):
    bowtie = shapely.Polygon([(X0, Y0), (X0 + KM, Y0 + KM), (X0 + KM, Y0), (X0, Y0 + KM)])
    areas = make_areas(
        ["ok", "bow", "line"],
        [box(X0, Y0, X0 + 1, Y0 + 1), bowtie, shapely.LineString([(X0, Y0), (X0 + 1, Y0)])],
    )
    with pytest.raises(
        GeometryError, match=r"(?s)2 problems.*line: geometry that is not a polygon.*bow: invalid"
    ):
        join_grid(block, areas)


def test_duplicate_area_ids_and_unknown_method(block, quarters):
    twice = make_areas(["A", "A"], list(quarters.geometry))
    with pytest.raises(SchemaError, match=r"column 'area_id'.*duplicate ids A"):
        join_grid(block, twice)
    with pytest.raises(InputError, match="unknown join method 'nearest'"):
        join_grid(block, quarters, method="nearest")


def test_crosswalk_with_unknown_area_is_an_error(block, quarters):
    table = crosswalk(block, quarters)
    table.loc[0, AREA_ID] = "Z"
    with pytest.raises(SchemaError, match=r"column 'area_id'.*Z.*not among the areas"):
        join_grid(block, quarters, crosswalk=table)


def test_result_column_clash_is_an_error(block, quarters):
    with pytest.raises(SchemaError, match="already have column"):
        join_grid(block, quarters.assign(pop_tot=1.0))


# ---------------------------------------------------------------- properties


@st.composite
def grid_and_tiling(draw):
    """Cells of a 6 x 6 block (250 m) and Voronoi polygons tiling a box around it."""
    size = 250
    n = draw(st.integers(1, 36))
    picks = draw(st.lists(st.integers(0, 35), min_size=n, max_size=n, unique=True))
    corners = [(X0 + (i % 6) * size, Y0 + (i // 6) * size) for i in picks]
    pop = draw(st.lists(st.floats(0, 1e4), min_size=n, max_size=n))
    coord = st.integers(-200, 1700)  # metres; distinct integer seeds never degenerate
    seeds = draw(st.lists(st.tuples(coord, coord), min_size=1, max_size=12, unique=True))
    frame = box(X0 - 300, Y0 - 300, X0 + 1800, Y0 + 1800)
    pts = shapely.multipoints([(X0 + x, Y0 + y) for x, y in seeds])
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=frame))
    polys = [shapely.intersection(c, frame) for c in cells]
    assert all(p.geom_type == "Polygon" and p.area > 0 for p in polys)
    grid = make_grid(corners, size=size, pop_tot=pop)
    return grid, make_areas([f"v{i}" for i in range(len(polys))], polys)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid_and_tiling())
def test_shares_match_geos_intersection(case):
    grid, areas = case
    table = crosswalk(grid, areas)
    cells = grid.set_index(SSBID).geometry
    got = pd.Series(
        table[SHARE].to_numpy(), index=pd.MultiIndex.from_frame(table[[SSBID, AREA_ID]])
    )
    geoms = areas.set_index(AREA_ID).geometry
    for sid, cell in cells.items():
        for aid, poly in geoms.items():
            want = shapely.intersection(cell, poly).area / cell.area
            assert got.get((sid, aid), 0.0) == pytest.approx(want, abs=1e-9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid_and_tiling(), st.sampled_from(["area", "centroid"]))
def test_extensive_totals_are_conserved(case, method):
    grid, areas = case
    out = join_grid(grid, areas, method=method)
    total = grid[POP_TOT].sum()
    assert out[POP_TOT].sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    report = get_report(out)
    assert report.notes["cells_outside"] == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid_and_tiling(), st.randoms(use_true_random=False), st.sampled_from(["area", "centroid"]))
def test_result_does_not_depend_on_row_order(case, rnd, method):
    grid, areas = case
    g_order = list(range(len(grid)))
    a_order = list(range(len(areas)))
    rnd.shuffle(g_order)
    rnd.shuffle(a_order)
    base = join_grid(grid, areas, method=method).set_index(AREA_ID)
    shuffled = join_grid(grid.iloc[g_order], areas.iloc[a_order], method=method)
    assert shuffled.index.equals(areas.index[a_order])
    shuffled = shuffled.set_index(AREA_ID).loc[base.index]
    np.testing.assert_allclose(shuffled[POP_TOT], base[POP_TOT], rtol=1e-12, atol=1e-9)
    assert (shuffled[N_CELLS] == base[N_CELLS]).all()


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def oslo_grid(realdata):
    return read_grid(realdata / "ssb-grid-norway-2015" / "ru250m_2015_oslo0301.csv")


@pytest.fixture(scope="module")
def delbydeler(realdata):
    return read_boundaries(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson")


@pytest.fixture(scope="module")
def bydeler(realdata):
    with pytest.warns(GeometryRepairWarning, match="030117"):
        return read_boundaries(realdata / "oslo-bydeler-gpkg" / "oslo_bydeler.gpkg")


def test_oslo_delbydeler_agree_with_overlay_and_tobler(oslo_grid, delbydeler):
    from tobler.area_weighted import area_interpolate

    ours = join_grid(oslo_grid, delbydeler, values=[POP_TOT])
    assert len(delbydeler) == 97
    pieces = gpd.overlay(
        oslo_grid[[POP_TOT, "geometry"]],
        delbydeler[[AREA_ID, "geometry"]].reset_index(names="row"),
        how="intersection",
        keep_geom_type=True,
    )
    weight = pieces.area / 250**2 * pieces[POP_TOT]
    overlay = weight.groupby(pieces["row"]).sum().reindex(range(97), fill_value=0.0)
    np.testing.assert_allclose(ours[POP_TOT].to_numpy(), overlay.to_numpy(), rtol=1e-9)
    tob = area_interpolate(
        oslo_grid[[POP_TOT, "geometry"]],
        delbydeler[["geometry"]],
        extensive_variables=[POP_TOT],
        allocate_total=False,
    )
    np.testing.assert_allclose(ours[POP_TOT].to_numpy(), tob[POP_TOT].to_numpy(), rtol=1e-6)
    # the delbydeler leave out Marka, so part of Oslo's 641,001 persons is outside
    report = get_report(ours)
    assert report.notes["total_in"][POP_TOT] == 641_001
    assert report.notes["total_assigned"][POP_TOT] + report.notes["total_outside"][
        POP_TOT
    ] == pytest.approx(641_001, rel=1e-12)
    shares = crosswalk(oslo_grid, delbydeler).groupby(SSBID)[SHARE].sum()
    assert shares.max() <= 1 + 1e-9  # delbydeler do not overlap


def test_national_grid_by_centroid_gives_oslo_641001(realdata):
    grid = read_grid(realdata / "ssb-grid-norway-2015" / "ru250m_2015.csv")
    with pytest.warns(GeometryRepairWarning):
        kommuner = read_boundaries(realdata / "kommuner-2024" / "Kommuner-S.geojson")
    out = join_grid(grid, kommuner, values=[POP_TOT], method="centroid").set_index(AREA_ID)
    # published with the data (README): cells with centre in 0301, 4601, 5001
    assert out.loc["0301", POP_TOT] == 641_001
    assert out.loc["4601", POP_TOT] == 264_872
    assert out.loc["5001", POP_TOT] == 188_624
    assert out.loc["0301", N_CELLS] == 2304
    report = get_report(out)
    assert report.notes["total_in"][POP_TOT] == 5_146_614


def _households_2018(realdata) -> pd.DataFrame:
    table = pd.read_csv(
        realdata / "oslo-indicators" / "husholdninger_med_barn_delbydel_2008-2018.csv",
        sep=";",
        dtype=str,
        keep_default_na=False,
    )
    rows = table[(table["År"] == "2018") & (table["delbydelid"] != "")]
    counts = pd.to_numeric(rows["Antall husholdninger"])
    per_area = counts.groupby(rows["delbydelid"].str[-4:]).sum()
    return pd.DataFrame({AREA_ID: per_area.index.astype(str), "households": per_area.to_numpy()})


def test_convert_delbydeler_to_bydeler_conserves_households(
    realdata, oslo_grid, delbydeler, bydeler
):
    table = _households_2018(realdata)
    out = convert_areas(table, delbydeler, bydeler, oslo_grid, values=["households"])
    report = get_report(out)
    notes = report.notes
    assert notes["conserved"]
    assert notes["total_in"]["households"] == table["households"].sum()
    assert notes["total_in"]["households"] == pytest.approx(
        notes["total_out"]["households"] + notes["unplaced"]["households"], rel=1e-12
    )
    # 1701 (Marka) and 9901 (no address) have no polygon: reported, not lost silently
    assert sorted(notes["unknown_ids"]) == ["1701", "9901"]
    # delbydel codes nest in bydeler (first two digits), so each bydel must get the
    # sum of its delbydeler, up to the small boundary differences between vintages
    known = table[table[AREA_ID].isin(delbydeler[AREA_ID])]
    expected = known.groupby("0301" + known[AREA_ID].str[:2])["households"].sum()
    got = out.set_index(AREA_ID)["households"].loc[expected.index]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-5)


def test_convert_rejects_duplicate_rows_and_missing_columns(oslo_grid, delbydeler, bydeler):
    table = pd.DataFrame({AREA_ID: ["0102", "0102"], "n": [1.0, 2.0]})
    with pytest.raises(SchemaError, match=r"column 'area_id'.*0102.*one row"):
        convert_areas(table, delbydeler, bydeler, oslo_grid, values=["n"])
    with pytest.raises(SchemaError, match=r"missing column\(s\) m"):
        convert_areas(table, delbydeler, bydeler, oslo_grid, values=["m"])


# ---------------------------------------------------------------- command line


def test_cli_join_and_crosswalk_write_files(realdata, tmp_path, capsys, oslo_grid, delbydeler):
    from geoloft.cli import main

    grid = realdata / "ssb-grid-norway-2015" / "ru250m_2015_oslo0301.csv"
    areas = realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson"
    target = tmp_path / "delbydeler.csv"
    exact = tmp_path / "exact.csv"
    args = ["join", str(grid), str(areas), "--values", "pop_tot"]
    assert main([*args, "-o", str(exact), "--no-disclosure"]) == 0
    table = pd.read_csv(exact, dtype={AREA_ID: str})
    assert len(table) == 97
    library = join_grid(oslo_grid, delbydeler, values=[POP_TOT])
    np.testing.assert_allclose(table[POP_TOT], library[POP_TOT], rtol=1e-12)
    assert (table[AREA_ID] == library[AREA_ID]).all()
    assert "641,001.00 in" in capsys.readouterr().out
    assert main([*args, "-o", str(target)]) == 0  # protected by default: rounded to 10
    published = pd.read_csv(target, dtype={AREA_ID: str})[POP_TOT].to_numpy()
    shown = ~np.isnan(published)
    assert shown.sum() > 90
    assert (published[shown] % 10 == 0).all()
    assert np.abs(published[shown] - library[POP_TOT].to_numpy()[shown]).max() <= 5.0
    capsys.readouterr()
    assert main(["join", str(grid), str(areas), "-o", str(target)]) == 1  # exists
    assert "--overwrite" in capsys.readouterr().err
    cw = tmp_path / "cw.csv"
    assert main(["crosswalk", str(grid), str(areas), "-o", str(cw), "--method", "centroid"]) == 0
    shares = pd.read_csv(cw)
    assert shares[SSBID].is_unique
    assert main(["join", str(grid), str(areas), "-o", str(cw), "--method", "nearest"]) == 2


def test_convert_reports_what_it_cannot_place():
    grid = make_grid([(X0, Y0), (X0 + KM, Y0)], pop_tot=[30, 10])
    sources = make_areas(
        ["both", "empty"],
        [box(X0, Y0, X0 + 2 * KM, Y0 + KM), box(X0, Y0 + 5 * KM, X0 + KM, Y0 + 6 * KM)],
    )
    targets = make_areas(["west"], [box(X0, Y0, X0 + KM, Y0 + KM)])
    table = pd.DataFrame({AREA_ID: ["both", "empty", "nowhere"], "n": [100.0, 50.0, 5.0]})
    out = convert_areas(table, sources, targets, grid, values=["n"])
    # 'both' splits 30:10 by persons; its eastern 25 land in no target
    assert out["n"].tolist() == pytest.approx([75.0])
    notes = get_report(out).notes
    assert notes["unplaced"]["n"] == pytest.approx(25.0 + 50.0 + 5.0)
    assert notes["source_areas_without_population"] == ["empty"]
    assert notes["unknown_ids"] == ["nowhere"]
    assert notes["conserved"]


def test_cli_join_says_when_overlapping_areas_count_cells_twice(tmp_path, capsys):
    # Two areas covering the same cell each get its 100 persons: "200 assigned" of
    # "100 in" must come with the reason, which the CLI did not print.
    from geoloft.cli import main

    grid = tmp_path / "ru1km.csv"
    grid.write_text(f"ru1000m;pop_tot\n{corners_to_ssbid(X0, Y0)};100\n", encoding="utf-8")
    cell = box(X0, Y0, X0 + KM, Y0 + KM)
    areas = make_areas(["A", "B"], [cell, cell.buffer(10)])
    areas.to_file(tmp_path / "areas.gpkg")
    assert (
        main(["join", str(grid), str(tmp_path / "areas.gpkg"), "-o", str(tmp_path / "j.csv")]) == 0
    )
    text = capsys.readouterr().out
    assert "100.00 in, 200.00 assigned" in text
    assert "1 cells lie where areas overlap" in text
