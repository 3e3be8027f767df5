"""join_grid never sums a share or a mean by accident, and can place people within cells.

Expected values are worked out by hand on a 2 x 2 km block of 1 km cells (the
same block as tests/test_join.py): cells LL, LR, UL, UR.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely import box

from geoloft.columns import CELL_SIZE, POP_AVE, POP_TOT, SSBID
from geoloft.errors import InputError, SchemaError
from geoloft.grid import cell_polygons, corners_to_ssbid
from geoloft.join import join_grid
from geoloft.join._checks import looks_like_share_or_mean
from geoloft.report import get_report

X0, Y0 = 256_000, 6_672_000
KM = 1000
CRS = "EPSG:25833"
BLOCK = [(X0, Y0), (X0 + KM, Y0), (X0, Y0 + KM), (X0 + KM, Y0 + KM)]


def make_grid(corners: list[tuple[int, int]], size: int = KM, **values: list[float]):
    x, y = (np.array(c, dtype=np.int64) for c in zip(*corners, strict=True))
    ids = corners_to_ssbid(x, y)
    data = {SSBID: ids, **{k: np.asarray(v, dtype=float) for k, v in values.items()}}
    grid = gpd.GeoDataFrame(data, geometry=cell_polygons(ids, size), crs=CRS)
    grid.attrs[CELL_SIZE] = size
    return grid


def make_areas(ids: list[str], geoms: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"area_id": ids}, geometry=geoms, crs=CRS)


@pytest.fixture
def halves() -> gpd.GeoDataFrame:
    """West and east halves of the block, split at x0 + 1000 (between the cells)."""
    return make_areas(
        ["W", "E"],
        [box(X0, Y0, X0 + KM, Y0 + 2 * KM), box(X0 + KM, Y0, X0 + 2 * KM, Y0 + 2 * KM)],
    )


@pytest.fixture
def block() -> gpd.GeoDataFrame:
    return make_grid(
        BLOCK,
        pop_tot=[100, 200, 300, 400],
        pop_ave=[30, 40, 50, 60],
        andel_lavinntekt=[10.0, 20.0, 30.0, 40.0],  # per cent
    )


# ------------------------------------------------------------- item 6: counts and means


def test_unknown_numeric_column_is_an_error_naming_it(block, halves):
    with pytest.raises(SchemaError, match=r"(?s)andel_lavinntekt.*counts.*weights="):
        join_grid(block, halves)


def test_known_ssb_columns_are_inferred_and_reported(block, halves):
    out = join_grid(block.drop(columns="andel_lavinntekt"), halves)
    assert out[POP_TOT].tolist() == [400.0, 600.0]
    assert out[POP_AVE].tolist() == pytest.approx(
        [(100 * 30 + 300 * 50) / 400, (200 * 40 + 400 * 60) / 600]
    )
    kinds = get_report(out).notes["values"]
    assert kinds["counts"] == [POP_TOT]
    assert kinds["means"] == {POP_AVE: POP_TOT}
    assert set(kinds["inferred"]) == {POP_TOT, POP_AVE}


def test_declared_share_is_averaged_by_persons_not_summed(block, halves):
    out = join_grid(block, halves, weights={"andel_lavinntekt": POP_TOT, POP_AVE: POP_TOT})
    # W holds LL (100 persons, 10 %) and UL (300 persons, 30 %): 25 %, not 40 %
    assert out["andel_lavinntekt"].tolist() == pytest.approx([25.0, (200 * 20 + 400 * 40) / 600])
    kinds = get_report(out).notes["values"]
    assert kinds["counts"] == [POP_TOT]  # declared as the weight: nothing inferred
    assert kinds["inferred"] == {}


def test_named_share_without_weight_is_an_error(block, halves):
    with pytest.raises(SchemaError, match=r"(?s)andel_lavinntekt.*look like shares.*rates="):
        join_grid(block, halves, values=[POP_TOT, "andel_lavinntekt"])


def test_known_mean_left_out_of_given_weights_is_an_error(block, halves):
    with pytest.raises(SchemaError, match=r"pop_ave is a mean.*weights="):
        join_grid(block, halves, values=[POP_TOT, POP_AVE], weights={})


def test_named_counts_are_summed_and_reported_as_declared(block, halves):
    grid = block.assign(households=[40.0, 80.0, 120.0, 160.0])
    out = join_grid(grid, halves, values=["households"])
    assert out["households"].tolist() == [160.0, 240.0]
    notes = get_report(out).notes["values"]
    assert notes["counts"] == ["households"]
    assert notes["inferred"] == {}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("andel_lavinntekt", True),
        ("sysselsatte_prosent", True),
        ("unemploymentRate", True),
        ("mean_income", True),
        ("pop_tot", False),
        ("sysselsatte", False),
        ("households", False),
        ("average", True),
        ("operate", False),  # "rate" inside a word is not a marker
    ],
)
def test_share_and_mean_names(name: str, expected: bool) -> None:
    assert looks_like_share_or_mean(name) is expected


# ------------------------------------------------------------- item 7: dasymetric refinement


def test_fine_grid_moves_people_to_where_they_live(halves):
    # one 1 km cell split by a vertical line at x0 + 500; its 250 m cells say that
    # all 80 persons live in the east half (60 in one cell, 20 in another)
    coarse = make_grid([(X0, Y0)], pop_tot=[100.0])
    fine = make_grid([(X0 + 500, Y0), (X0 + 750, Y0 + 750)], size=250, pop_tot=[60.0, 20.0])
    areas = make_areas(
        ["w", "e"], [box(X0, Y0, X0 + 500, Y0 + KM), box(X0 + 500, Y0, X0 + KM, Y0 + KM)]
    )
    plain = join_grid(coarse, areas, values=[POP_TOT])
    refined = join_grid(coarse, areas, values=[POP_TOT], refine=fine)
    assert plain[POP_TOT].tolist() == [50.0, 50.0]
    assert refined[POP_TOT].tolist() == pytest.approx([0.0, 100.0])
    assert get_report(refined).notes["refine"] == {
        "layer": "population grid, 250 m",
        "cells_refined": 1,
        "cells_area_share": 0,
    }


def test_fine_cells_that_do_not_nest_are_cut_on_the_common_lattice():
    # 250 m cells A = [0, 250) and B = [250, 500) (x from x0); one 100 m cell at
    # [200, 300) holds 10 persons: half its area in A, half in B. A second 100 m
    # cell at [0, 100) holds 30 persons, all in A. Areas split at x0 + 225.
    coarse = make_grid([(X0, Y0), (X0 + 250, Y0)], size=250, pop_tot=[40.0, 5.0])
    fine = make_grid([(X0 + 200, Y0), (X0, Y0)], size=100, pop_tot=[10.0, 30.0])
    areas = make_areas(
        ["w", "e"], [box(X0, Y0, X0 + 225, Y0 + 250), box(X0 + 225, Y0, X0 + 500, Y0 + 250)]
    )
    out = join_grid(coarse, areas, values=[POP_TOT], refine=fine)
    # A's fine persons: 30 (all west) + 5 of the straddling cell, of which
    # 2.5 lie west of 225: west share (30 + 2.5) / 35; B's 5 fine persons all east
    west = 40.0 * 32.5 / 35.0
    assert out[POP_TOT].tolist() == pytest.approx([west, 40.0 - west + 5.0])


def test_cell_without_fine_people_keeps_the_area_share(halves):
    coarse = make_grid(BLOCK, pop_tot=[100.0, 200.0, 300.0, 400.0])
    fine = make_grid([(X0, Y0)], size=250, pop_tot=[7.0])  # only LL has fine people
    split = make_areas(
        ["s", "n"],
        [box(X0, Y0, X0 + 2 * KM, Y0 + 1500), box(X0, Y0 + 1500, X0 + 2 * KM, Y0 + 2 * KM)],
    )
    out = join_grid(coarse, split, values=[POP_TOT], refine=fine)
    # LL, LR in s; UL and UR split half and half by area
    assert out[POP_TOT].tolist() == pytest.approx([100 + 200 + 150 + 200, 150 + 200])
    assert get_report(out).notes["refine"]["cells_area_share"] == 3


def test_settled_mask_places_people_on_settled_land():
    coarse = make_grid([(X0, Y0)], pop_tot=[90.0])
    mask = gpd.GeoDataFrame(
        geometry=[box(X0, Y0, X0 + 200, Y0 + 500), box(X0 + 600, Y0, X0 + 1000, Y0 + 500)], crs=CRS
    )
    areas = make_areas(
        ["w", "e"], [box(X0, Y0, X0 + 500, Y0 + KM), box(X0 + 500, Y0, X0 + KM, Y0 + KM)]
    )
    out = join_grid(coarse, areas, values=[POP_TOT], refine=mask)
    # settled land: 200 x 500 west, 400 x 500 east -> 1/3 and 2/3
    assert out[POP_TOT].tolist() == pytest.approx([30.0, 60.0])
    assert get_report(out).notes["refine"]["layer"] == "settled-area mask"


def test_refine_with_centroid_or_coarser_grid_is_an_error(block, halves):
    grid = block.drop(columns="andel_lavinntekt")
    fine = make_grid([(X0, Y0)], size=250, pop_tot=[7.0])
    with pytest.raises(InputError, match="refine= places people"):
        join_grid(grid, halves, values=[POP_TOT], method="centroid", refine=fine)
    coarse = make_grid([(255_000, 6_670_000)], size=5000, pop_tot=[7.0])
    with pytest.raises(SchemaError, match="not finer"):
        join_grid(grid, halves, values=[POP_TOT], refine=coarse)
    assert not math.isnan(join_grid(grid, halves, values=[POP_TOT], refine=fine)[POP_TOT].sum())


def test_refinement_halves_the_error_against_the_register(realdata):
    # Oslo 2015: 250 m grid into the 17 bydeler, compared with the registered
    # population per bydel (SSB table 10826); the 100 m grid places people
    import warnings

    import pandas as pd

    from geoloft import read_boundaries, read_grid

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Marka's ring is repaired
        bydeler = read_boundaries(
            realdata / "oslo-bydeler-gpkg/oslo_bydeler.gpkg", id_column="bydelsnr"
        )
    grid = read_grid(realdata / "ssb-grid-norway-2015/ru250m_2015_oslo0301.csv", cell_size=250)
    fine = read_grid(realdata / "ssb-grid-norway-2015/Oslo_bef_100m_2015.csv", cell_size=100)
    table = pd.read_csv(
        realdata / "ssb-population-bydel-2001-2020/Personerward2001-2020.csv",
        sep=";",
        encoding="latin-1",
        skiprows=2,
    )
    code = table["region"].str.extract(r"^(0301(?:0[1-9]|1[0-7]))a ", expand=False)
    register = table["Persons 2015"].groupby(code).sum().astype(float)

    def error(**kwargs) -> float:
        out = join_grid(grid, bydeler, values=[POP_TOT], **kwargs).set_index("area_id")
        return float((out[POP_TOT] - register.reindex(out.index)).abs().mean())

    plain, refined = error(), error(refine=fine)
    masked = error(refine=gpd.GeoDataFrame(geometry=fine.geometry, crs=fine.crs))
    assert len(register) == 17
    assert refined < 0.5 * plain
    assert masked < plain
