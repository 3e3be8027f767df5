"""Disclosure tests that bite: each fails on a small planted bug the rest of the suite missed.

Every case is a tiny hand-made layout (250 m cells, boxes for areas) whose right answer
is worked out by hand in the comments: which counts must be hidden, which figures
withheld, and what the two passes of secondary suppression each do.
"""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely import box

from geoloft.disclosure.audit import intervals
from geoloft.disclosure.model import Rate, build_system
from geoloft.disclosure.protect import check_threshold, protect_layers
from geoloft.disclosure.rules import primary_counts, primary_numerators, protection_width
from geoloft.disclosure.secondary import protect_system
from geoloft.errors import InputError
from geoloft.grid import cell_polygons, corners_to_ssbid

X0, Y0 = 260_000, 6_650_000  # a corner of 1 km and 5 km blocks


def _grid(values: dict[tuple[int, int], float]) -> gpd.GeoDataFrame:
    """250 m cells at (X0 + 250 i, Y0 + 250 j) with the given populations."""
    i, j = np.array(list(values)).T
    ids = corners_to_ssbid(X0 + 250 * i, Y0 + 250 * j)
    return gpd.GeoDataFrame(
        {"ssbid": ids, "cell_size": 250, "pop_tot": list(values.values())},
        geometry=cell_polygons(ids, 250),
        crs="EPSG:25833",
    )


def _areas(boxes: dict[str, tuple[float, float, float, float]], pop: list[float]):
    return gpd.GeoDataFrame(
        {"area_id": list(boxes), "name": list(boxes), "pop_tot": pop},
        geometry=[box(*b) for b in boxes.values()],
        crs="EPSG:25833",
    )


def _protect(layers: dict[str, gpd.GeoDataFrame]) -> tuple[dict[str, int], np.ndarray]:
    """Exact model (no rounding, no blocks), primary = cells under 10; return stats, hidden."""
    system = build_system(layers, known=True, rounding=0.0)
    system.hidden[:] = primary_counts(system.x, 10)
    stats = protect_system(system, threshold=10, width=5.0)
    return stats, system.hidden.copy()


# ------------------------------------------------------------------ thresholds


def test_threshold_warning_points_at_the_caller() -> None:
    with pytest.warns(UserWarning, match="below SSB's 10") as record:
        check_threshold(5)
    assert record[0].filename == __file__


@pytest.mark.parametrize(("threshold", "shown"), [(0, "1-9"), (1, "1-9"), (2, "2-9")])
def test_refusal_names_the_counts_that_would_be_published(threshold: int, shown: str) -> None:
    with pytest.raises(InputError, match=f"publishes counts of {shown} persons"):
        check_threshold(threshold)


@pytest.mark.parametrize(
    ("n", "d", "hidden"),
    [
        (0.0, 500.0, (False, False)),  # none has the trait: says nothing of anyone
        (1.0, 500.0, (True, False)),
        (9.0, 500.0, (True, False)),
        (10.0, 500.0, (False, False)),
        (40.0, 50.0, (False, False)),  # 10 without the trait
        (41.0, 50.0, (True, False)),  # 9 without
        (49.0, 50.0, (True, False)),  # 1 without
        (50.0, 50.0, (False, False)),  # all have it: 0 without, no one singled out
        (5.0, 10.0, (True, False)),  # a denominator of exactly 10 is published
        (0.0, 9.0, (True, True)),  # a denominator under 10 hides its numerator, 0 too
        (np.nan, 9.0, (False, True)),  # a missing numerator stays missing, not hidden
        (3.0, np.nan, (True, False)),
    ],
)
def test_indicator_counts_at_the_edges_of_the_rule(n: float, d: float, hidden: tuple) -> None:
    hide_n, hide_d = primary_numerators(np.array([n]), np.array([d]), 10)
    assert (bool(hide_n[0]), bool(hide_d[0])) == hidden


# ------------------------------------------------------------------ rounding


def test_area_populations_are_published_rounded_to_tens() -> None:
    # a 1 km block of 4 x 4 cells of 50 persons, the first 73: area A is the first two
    # cells of the bottom row (73 + 50 = 123, published 120), B the three rows above (600)
    grid = _grid({(i, j): 73.0 if (i, j) == (0, 0) else 50.0 for i in range(4) for j in range(4)})
    areas = _areas(
        {"A": (X0, Y0, X0 + 500, Y0 + 250), "B": (X0, Y0 + 250, X0 + 1000, Y0 + 1000)},
        [123.0, 600.0],
    )
    out = protect_layers({"grid": grid, "areas": areas}, threshold=10)
    assert out.layers["areas"]["pop_tot"].tolist() == [120.0, 600.0]
    assert out.notes["population_rounding"] == 10


# ------------------------------------------------------------------ primary


def _cells(size: int, **columns: list[float]) -> gpd.GeoDataFrame:
    """A row of cells of ``size`` metres, one apart, with the given count columns."""
    n = len(next(iter(columns.values())))
    ids = corners_to_ssbid(X0 + size * np.arange(n), np.full(n, Y0))
    return gpd.GeoDataFrame(
        {"ssbid": ids, "cell_size": size, **columns},
        geometry=cell_polygons(ids, size),
        crs="EPSG:25833",
    )


def test_a_small_sub_group_is_hidden_and_so_is_its_complement() -> None:
    # 5 km cells (no coarser SSB blocks). Cell 0: 50 persons, 47 men, 3 women: the
    # 3 is hidden (primary); pop_tot - pop_mal - pop_fem = 0 then gives it back unless
    # one more count of the cell is hidden, the cheaper of 50 and 47: the men.
    grid = _cells(
        5000, pop_tot=[50.0, 200.0, 300.0], pop_mal=[47.0, 100.0, 150.0], pop_fem=[3.0, 100, 150]
    )
    out = protect_layers({"grid": grid}, threshold=10)
    published = out.layers["grid"]
    assert published["pop_tot"].tolist() == [50.0, 200.0, 300.0]
    assert published["pop_mal"].isna().tolist() == [True, False, False]
    assert published["pop_fem"].isna().tolist() == [True, False, False]
    assert (out.notes["primary_hidden"], out.notes["secondary_hidden"]) == (1, 1)


def test_a_cell_of_unknown_population_shows_no_sub_group() -> None:
    # cell 0's population is missing: it is not known to reach 10, so its men (12) and
    # women (15) are withheld with it, although each is 10 or more
    grid = _cells(
        5000, pop_tot=[np.nan, 200.0, 300.0], pop_mal=[12.0, 100, 150], pop_fem=[15.0, 100, 150]
    )
    published = protect_layers({"grid": grid}, threshold=10).layers["grid"]
    for column in ("pop_tot", "pop_mal", "pop_fem"):
        assert published[column].isna().tolist() == [True, False, False], column


def test_a_small_cell_outside_the_areas_leaves_their_counts_alone() -> None:
    # 1 km cells of 5, 300 and 400 persons; areas A and B are the 2nd and 3rd cells and
    # carry an indicator over their whole population (30 of 300, 40 of 400). The small
    # cell lies in no area, so neither area's counts nor its rate involve it.
    grid = _cells(1000, pop_tot=[5.0, 300.0, 400.0])
    areas = _areas(
        {"A": (X0 + 1000, Y0, X0 + 2000, Y0 + 1000), "B": (X0 + 2000, Y0, X0 + 3000, Y0 + 1000)},
        [300.0, 400.0],
    ).assign(n=[30.0, 40.0])
    out = protect_layers(
        {"grid": grid, "areas": areas}, threshold=10, rates=[Rate("r", "n", "pop_tot")]
    )
    published = out.layers["areas"]
    assert published["n"].tolist() == [30.0, 40.0]
    assert published["pop_tot"].tolist() == [300.0, 400.0]
    assert np.isnan(out.layers["grid"]["pop_tot"].iloc[0])


@pytest.mark.parametrize("first", [True, False], ids=["small-area-first", "small-area-second"])
def test_a_small_area_is_withheld_wherever_it_stands(first: bool) -> None:
    # cell (0, 0) has 20 persons (not small), cell (1, 0) 100. Area S is the cell's
    # lower-left quarter (5 persons: small), area L the right half of it and the next
    # cell (10 + 100 = 110). S's population must not be published, in any row order.
    grid = _grid({(0, 0): 20.0, (1, 0): 100.0})
    small = ("S", (X0, Y0, X0 + 125, Y0 + 125), 5.0)
    large = ("L", (X0 + 125, Y0, X0 + 500, Y0 + 250), 110.0)
    rows = [small, large] if first else [large, small]
    areas = _areas({r[0]: r[1] for r in rows}, [r[2] for r in rows])
    out = protect_layers({"grid": grid, "areas": areas}, threshold=10, rounding=0)
    published = out.layers["areas"].set_index("area_id")["pop_tot"]
    assert np.isnan(published["S"])
    assert out.notes["primary_areas"] == 1


def test_a_zone_of_large_areas_is_published_after_a_small_area() -> None:
    # 5 km cells (no coarser SSB blocks) of 5, 100 and 120 persons; area S is the first
    # (small: withheld), L the other two (220), zone Z01 is L alone: nothing in it is
    # small or hidden, so it is published, though S is the areas' first row.
    grid = _cells(5000, pop_tot=[5.0, 100.0, 120.0])
    areas = _areas(
        {"S": (X0, Y0, X0 + 5000, Y0 + 5000), "L": (X0 + 5000, Y0, X0 + 15_000, Y0 + 5000)},
        [5.0, 220.0],
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z01"], "name": ["Z"], "members": ["L"], "pop": [220.0]},
        geometry=[box(X0 + 5000, Y0, X0 + 15_000, Y0 + 5000)],
        crs="EPSG:25833",
    )
    out = protect_layers({"grid": grid, "areas": areas, "intervention_areas": zones}, threshold=10)
    assert out.layers["areas"]["pop_tot"].isna().tolist() == [True, False]
    assert out.layers["intervention_areas"]["pop"].tolist() == [220.0]


@pytest.mark.parametrize("rounding", [10, 0])
def test_a_zone_under_ten_is_withheld_though_rounded_to_ten(rounding: int) -> None:
    # 5 km cells of 16, 16 and 200 persons; areas S1 and S2 are quarters of the first two
    # (4 each), L the third. Zone Z01 = S1 + S2 has 8 persons: under 10, so withheld,
    # even where populations are published rounded to tens (8 -> 10). Z02 = L stays.
    grid = _cells(5000, pop_tot=[16.0, 16.0, 200.0])
    areas = _areas(
        {
            "S1": (X0, Y0, X0 + 2500, Y0 + 2500),
            "S2": (X0 + 5000, Y0, X0 + 7500, Y0 + 2500),
            "L": (X0 + 10_000, Y0, X0 + 15_000, Y0 + 5000),
        },
        [4.0, 4.0, 200.0],
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z01", "Z02"], "name": ["Z", "Y"], "members": ["S1,S2", "L"]},
        geometry=[box(X0, Y0, X0 + 7500, Y0 + 2500), box(X0 + 10_000, Y0, X0 + 15_000, Y0 + 5000)],
        crs="EPSG:25833",
    ).assign(pop=[8.0, 200.0])
    layers = {"grid": grid, "areas": areas, "intervention_areas": zones}
    out = protect_layers(layers, threshold=10, rounding=rounding)
    assert out.layers["intervention_areas"]["pop"].isna().tolist() == [True, False]
    assert out.layers["areas"]["pop_tot"].isna().tolist() == [True, True, False]


def _indicator_areas(**columns: list[float]) -> gpd.GeoDataFrame:
    ids = [chr(ord("A") + i) for i in range(len(next(iter(columns.values()))))]
    return gpd.GeoDataFrame(
        {"area_id": ids, "name": ids, **columns},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(ids))],
        crs="EPSG:25833",
    )


def test_a_small_denominator_hides_both_counts_in_a_large_area() -> None:
    # area C has 300 residents, but the indicator counts 4 of 8 persons at risk: the
    # denominator is under 10, so it and its numerator are hidden, and the rate too
    areas = _indicator_areas(n=[30.0, 50.0, 4.0], d=[300.0, 400.0, 8.0], r_rate=[10, 12.5, 50])
    out = protect_layers(
        {"areas": areas},
        threshold=10,
        rates=[Rate("r", "n", "d")],
        area_pop=np.array([300.0, 400.0, 300.0]),
    )
    published = out.layers["areas"]
    for column in ("n", "d", "r_rate"):
        assert published[column].isna().tolist() == [False, False, True], column
    # both by the primary rule, none as a secondary choice
    assert (out.notes["primary_hidden"], out.notes["secondary_hidden"]) == (2, 0)
    assert out.notes["primary_areas"] == 0


def test_a_rate_without_its_numerator_column_is_skipped() -> None:
    areas = _indicator_areas(d=[300.0, 400.0, 500.0])
    out = protect_layers(
        {"areas": areas},
        threshold=10,
        rates=[Rate("r", "n", "d")],
        area_pop=np.array([300.0, 400.0, 500.0]),
    )
    assert out.layers["areas"]["d"].tolist() == [300.0, 400.0, 500.0]
    assert out.notes["primary_hidden"] == 0


def test_a_cell_of_unknown_population_needs_no_protection() -> None:
    # four cells in area A, one of unknown population: nothing small is known, so the
    # cells and the area are published as they are (no secondary cell)
    grid = _grid({(0, 0): np.nan, (1, 0): 100.0, (0, 1): 120.0, (1, 1): 140.0})
    areas = _areas({"A": (X0, Y0, X0 + 500, Y0 + 500)}, [360.0])
    out = protect_layers({"grid": grid, "areas": areas}, threshold=10)
    assert out.layers["grid"]["pop_tot"].isna().tolist() == [True, False, False, False]
    assert out.layers["areas"]["pop_tot"].tolist() == [360.0]
    assert (out.notes["primary_hidden"], out.notes["secondary_hidden"]) == (0, 0)


def test_a_zone_rate_over_a_hidden_count_is_withheld() -> None:
    # Areas A, B (the zone) and C, D, whose numerators 4 and 3 are small. The reference
    # rate over all four must leave them room: n_C + n_D = 7 < 4 + 5, so the row pass
    # hides the cheapest further count in it, n_A = 30 (cheaper than n_B = 50 or any
    # denominator). The zone's rate pools n_A + n_B: its numerator now holds a hidden
    # count, so the rate is withheld (published, it would give n_A = 80 - 50 exactly).
    # Zone Z02 is area B alone, whose counts are all published.
    areas = gpd.GeoDataFrame(
        {
            "area_id": list("ABCD"),
            "name": list("ABCD"),
            "n": [30.0, 50.0, 4.0, 3.0],
            "d": [300.0, 400.0, 400.0, 300.0],
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(4)],
        crs="EPSG:25833",
    )
    zones = gpd.GeoDataFrame(
        {
            "zone_id": ["Z01", "Z02"],
            "name": ["Z", "Y"],
            "members": ["A,B", "B"],
            "r_rate": [100 * 80 / 700, 100 * 50 / 400],
        },
        geometry=[box(0, 0, 2, 1), box(1, 0, 2, 1)],
        crs="EPSG:25833",
    )
    out = protect_layers(
        {"areas": areas, "intervention_areas": zones},
        threshold=10,
        rates=[Rate("r", "n", "d", 100.0)],
        references={"r": 100 * 87 / 1400},
        area_pop=np.array([300.0, 400.0, 400.0, 300.0]),
    )
    n = out.layers["areas"]["n"]
    assert n.isna().tolist() == [True, False, True, True]
    # Z02 = {B} pools only published counts: its rate (12.5) stays
    assert out.layers["intervention_areas"]["r_rate"].isna().tolist() == [True, False]


def test_nothing_to_hide_gives_the_layers_back_unchanged() -> None:
    # every cell has 10 persons or more: no figure is withheld, no column changes type
    grid = _cells(250, pop_tot=[10, 40, 300]).assign(pop_ave=[35, 41, 38])
    out = protect_layers({"grid": grid}, threshold=10)
    assert_geodataframe_equal(out.layers["grid"], grid)
    assert (out.notes["primary_hidden"], out.notes["secondary_hidden"]) == (0, 0)


@pytest.mark.parametrize("dtype", ["int64", "Int64", "float64"])
def test_hidden_counts_are_float_nan_whatever_the_column_type(dtype: str) -> None:
    grid = _cells(5000, pop_tot=[5, 200, 300]).astype({"pop_tot": dtype})
    published = protect_layers({"grid": grid}, threshold=10).layers["grid"]["pop_tot"]
    assert published.dtype == np.float64
    assert published.isna().tolist() == [True, False, False]


def test_a_hidden_count_withholds_only_its_own_indicator_rate() -> None:
    # two indicators over the same areas: C's first numerator (4) is small, its second
    # (60 of 400) is not, so only r1's rate of C is withheld
    areas = _indicator_areas(
        n1=[30.0, 50.0, 4.0],
        d1=[300.0, 400.0, 400.0],
        n2=[60.0, 80.0, 60.0],
        d2=[300.0, 400.0, 400.0],
        r1_rate=[10.0, 12.5, 1.0],
        r2_rate=[20.0, 20.0, 15.0],
    )
    out = protect_layers(
        {"areas": areas},
        threshold=10,
        rates=[Rate("r1", "n1", "d1"), Rate("r2", "n2", "d2")],
        area_pop=np.array([300.0, 400.0, 400.0]),
    )
    published = out.layers["areas"]
    assert published["r1_rate"].isna().tolist() == [False, False, True]
    assert published["n2"].tolist() == [60.0, 80.0, 60.0]
    assert published["r2_rate"].tolist() == [20.0, 20.0, 15.0]


def test_a_grid_without_population_columns_passes_through() -> None:
    # a grid of another count (jobs) has no population to protect: it comes back as it was
    grid = _cells(250, pop_tot=[3.0, 40.0]).rename(columns={"pop_tot": "jobs"})
    out = protect_layers({"grid": grid}, threshold=10)
    assert_geodataframe_equal(out.layers["grid"], grid)
    assert out.notes["counts"] == 0


def test_a_population_column_of_text_keeps_its_text_and_loses_the_small_one() -> None:
    # populations read as text (a CSV read without types): the small area's is withheld
    # as a missing value, the other stays the text it was, in a column of objects
    grid = _cells(5000, pop_tot=[5.0, 100.0])
    areas = _areas(
        {"S": (X0, Y0, X0 + 5000, Y0 + 5000), "L": (X0 + 5000, Y0, X0 + 10_000, Y0 + 5000)},
        [5.0, 100.0],
    ).astype({"pop_tot": str})
    out = protect_layers({"grid": grid, "areas": areas}, threshold=10, rounding=0)
    published = out.layers["areas"]["pop_tot"]
    assert published.dtype == object
    assert published.isna().tolist() == [True, False]
    assert published.iloc[1] == "100.0"


def test_rates_may_come_as_any_iterable() -> None:
    # a generator of rates is read once, but every step sees the rate: C's numerator
    # of 4 is hidden, and the record names the rate
    areas = _indicator_areas(n=[30.0, 50.0, 4.0], d=[300.0, 400.0, 400.0])
    out = protect_layers(
        {"areas": areas},
        threshold=10,
        rates=(r for r in [Rate("r", "n", "d")]),
        area_pop=np.array([300.0, 400.0, 400.0]),
    )
    assert out.layers["areas"]["n"].isna().tolist() == [False, False, True]
    assert out.notes["rates"] == {"r": ["n", "d", 100.0]}


def test_an_area_without_counts_stays_out_of_the_reference_rate() -> None:
    # area D has no numerator (only its 200 at risk are known), so the reference rate,
    # 84.08 of 465, is over A, B and C alone (with D, A and C together would need 70
    # with the trait but have only 45 + 20 at risk). C's 4.04 (an estimate) needs 5 more
    # hidden persons in the reference: n_A (30.04), the cheapest. Then n_A + n_C = 34.08
    # is all that is known of them, and nothing else is hidden. The record gives the
    # persons hidden to a tenth.
    areas = _indicator_areas(n=[30.04, 50.0, 4.04, np.nan], d=[45.0, 400.0, 20.0, 200.0])
    out = protect_layers(
        {"areas": areas},
        threshold=10,
        rates=[Rate("r", "n", "d")],
        references={"r": 100 * 84.08 / 465},
        area_pop=np.array([300.0, 400.0, 400.0, 300.0]),
    )
    published = out.layers["areas"]
    assert published["n"].isna().tolist() == [True, False, True, True]
    assert published["d"].tolist() == [45.0, 400.0, 20.0, 200.0]
    assert (out.notes["primary_hidden"], out.notes["secondary_hidden"]) == (1, 1)
    assert (out.notes["persons_hidden_primary"], out.notes["persons_hidden_secondary"]) == (
        4.0,
        30.0,
    )


def test_the_record_counts_counts_and_figures() -> None:
    # four cells in one 1 km and one 5 km block, in one area: 4 counts; 3 figures (the
    # area and the two blocks SSB publishes)
    grid = _grid({(0, 0): 50.0, (1, 0): 100.0, (0, 1): 120.0, (1, 1): 140.0})
    areas = _areas({"A": (X0, Y0, X0 + 500, Y0 + 500)}, [410.0])
    start = time.perf_counter()
    notes = protect_layers({"grid": grid, "areas": areas}, threshold=10).notes
    spent = time.perf_counter() - start
    assert (notes["counts"], notes["figures"]) == (4, 3)
    assert 0.0 <= notes["seconds"] <= spent + 0.001
    assert notes["seconds"] == round(notes["seconds"], 3)  # to the millisecond


# ------------------------------------------------------------------ secondary


def test_the_row_pass_alone_protects_a_cell_inside_one_area() -> None:
    # cells 5 (small), 100, 120, 140 in area A (365): the area figure leaves the
    # 5-person cell no room, so the row pass hides the cheapest other cell (100);
    # then no combination of figures pins it and the audit pass hides nothing.
    grid = _grid({(0, 0): 5.0, (1, 0): 100.0, (0, 1): 120.0, (1, 1): 140.0})
    areas = _areas({"A": (X0, Y0, X0 + 500, Y0 + 500)}, [365.0])
    stats, hidden = _protect({"grid": grid, "areas": areas})
    assert hidden.tolist() == [True, True, False, False]
    assert (stats["row_pass"], stats["audit_pass"], stats["secondary"]) == (1, 0, 1)


def test_the_row_pass_gives_a_withheld_small_area_room() -> None:
    # cell c0 (20) and c1 (100); area S is c0's lower-left quarter (5: withheld), L the
    # rest of the row (10 + 100). S's figure must hide 5 persons: c0, the only count in
    # it (a quarter of 20). L = c0 / 2 + c1 then gives c0 = 20, so the audit pass hides c1.
    grid = _grid({(0, 0): 20.0, (1, 0): 100.0})
    areas = _areas(
        {"S": (X0, Y0, X0 + 125, Y0 + 125), "L": (X0 + 125, Y0, X0 + 500, Y0 + 250)},
        [5.0, 110.0],
    )
    system = build_system({"grid": grid, "areas": areas}, known=True, rounding=0.0)
    system.fig_hidden[system.fig_label == "area S pop_tot"] = True  # the area rule
    stats = protect_system(system, threshold=10, width=5.0)
    assert system.hidden.tolist() == [True, True]
    assert (stats["row_pass"], stats["audit_pass"]) == (1, 1)


@pytest.mark.parametrize(
    ("rounding", "published", "second"), [(10, 370.0, False), (5, 370.0, False), (4, 368.0, True)]
)
def test_a_rounded_area_population_protects_a_small_cell_by_itself(
    rounding: int, published: float, second: bool
) -> None:
    # 5 km cells (no coarser SSB blocks) of 5, 100, 120 and 143 persons in one area
    # (368). Rounded to tens (370) the cells sum to 365..375: the small cell lies anywhere
    # in 2..12, room enough. Rounded to fives (370, so 367.5..372.5) it has 4.5..9.5:
    # exactly the 5 persons needed. Rounded to fours (368, 366..370) it has 3..7, short of
    # 5, so the row pass hides the cheapest other cell (100) too.
    grid = _cells(5000, pop_tot=[5.0, 100.0, 120.0, 143.0])
    areas = _areas({"A": (X0, Y0, X0 + 20_000, Y0 + 5000)}, [368.0])
    out = protect_layers({"grid": grid, "areas": areas}, threshold=10, rounding=rounding)
    assert out.layers["grid"]["pop_tot"].isna().tolist() == [True, second, False, False]
    assert out.layers["areas"]["pop_tot"].tolist() == [published]
    assert out.notes["secondary_hidden"] == int(second)
    rounded = {"grid": grid, "areas": areas.assign(pop_tot=[published])}
    system = build_system(rounded, known=True, rounding=float(rounding))
    system.hidden[:] = primary_counts(system.x, 10)
    stats = protect_system(system, threshold=10, width=5.0)
    assert (stats["row_pass"], stats["audit_pass"]) == (int(second), 0)


def _quarters(k: int, west: float, east: float, south: float, north: float) -> shapely.Geometry:
    """Part of the k-th 5 km cell east of (X0, Y0), in fractions of the cell."""
    return box(X0 + 5000 * (k + west), Y0 + 5000 * south, X0 + 5000 * (k + east), Y0 + 5000 * north)


def test_the_row_pass_prefers_a_count_that_gives_enough_room() -> None:
    # 5 km cells c0 = 5 (small), c1 = 10, c2 = 12; area A = c0 + an eighth of c1 + c2.
    # c1 is the cheaper count (10 persons) but gives only 1.25 persons of room; c2 gives
    # the 5 needed, so c2 alone is hidden.
    grid = _cells(5000, pop_tot=[5.0, 10.0, 12.0])
    shape = shapely.union_all(
        [_quarters(0, 0, 1, 0, 1), _quarters(1, 0, 0.125, 0, 1), _quarters(2, 0, 1, 0, 1)]
    )
    areas = gpd.GeoDataFrame(
        {"area_id": ["A"], "name": ["A"], "pop_tot": [18.25]}, geometry=[shape], crs="EPSG:25833"
    )
    stats, hidden = _protect({"grid": grid, "areas": areas})
    assert hidden.tolist() == [True, False, True]
    assert stats["row_pass"] == 1


def test_the_row_pass_goes_on_while_a_person_of_room_is_missing() -> None:
    # 5 km cells c0 = 5 (small), c1 = 18, c3 = 16; area A = c0 + a quarter of c1 + a
    # quarter of c3 (13.5). Neither gives the 5 persons of room alone: the cheaper, c3,
    # gives 4; one person is still missing, so c1 is hidden too.
    grid = _cells(5000, pop_tot=[5.0, 18.0, 16.0])
    shape = shapely.union_all(
        [_quarters(0, 0, 1, 0, 1), _quarters(1, 0, 0.5, 0, 0.5), _quarters(2, 0, 0.5, 0, 0.5)]
    )
    areas = gpd.GeoDataFrame(
        {"area_id": ["A"], "name": ["A"], "pop_tot": [13.5]}, geometry=[shape], crs="EPSG:25833"
    )
    stats, hidden = _protect({"grid": grid, "areas": areas})
    assert hidden.tolist() == [True, True, True]
    assert stats["row_pass"] == 2


def test_a_count_of_zero_is_never_hidden_for_another() -> None:
    # numerators 0, 0 and 4 (small); the reference rate (4 of 1,100) is published. Hiding
    # a 0 hides no one; the denominators weigh 4/1,100 each, all three together 4: short
    # of the 5 persons C's count needs, so the reference figure itself is withheld.
    areas = _indicator_areas(n=[0.0, 0.0, 4.0], d=[300.0, 400.0, 400.0])
    out = protect_layers(
        {"areas": areas},
        threshold=10,
        rates=[Rate("r", "n", "d")],
        references={"r": 100 * 4 / 1100},
        area_pop=np.array([300.0, 400.0, 400.0]),
    )
    assert out.layers["areas"]["n"].tolist()[:2] == [0.0, 0.0]
    assert np.isnan(out.layers["areas"]["n"].iloc[2])
    assert out.notes["figures_withheld"] == 1


def test_a_count_that_gives_just_enough_room_is_the_cheapest_choice() -> None:
    # area A = c0 (5, small) + a quarter of c1 (20) + c2 (120) = 130. The small count
    # needs 5 more hidden persons in A: c1 gives exactly 5 (a quarter of 20) and hides
    # 20 persons, c2 gives 120 but hides 120, so c1 is hidden.
    grid = _grid({(0, 0): 5.0, (1, 0): 20.0, (0, 1): 120.0})
    shape = box(X0, Y0, X0 + 250, Y0 + 500).union(box(X0 + 250, Y0, X0 + 375, Y0 + 125))
    areas = gpd.GeoDataFrame(
        {"area_id": ["A"], "name": ["A"], "pop_tot": [130.0]}, geometry=[shape], crs="EPSG:25833"
    )
    stats, hidden = _protect({"grid": grid, "areas": areas})
    assert hidden.tolist() == [True, True, False]
    assert (stats["row_pass"], stats["audit_pass"]) == (1, 0)


def test_a_withheld_small_area_with_just_enough_room_needs_no_more() -> None:
    # 5 km cells c0 = 20, c2 = 16; area S (7: withheld) is a quarter of c0 and an eighth
    # of c2. Hiding c0 gives S 5 persons of room, exactly the width: c2 stays published.
    grid = _cells(5000, pop_tot=[20.0, 100.0, 16.0])
    shape = shapely.union_all([_quarters(0, 0, 0.5, 0, 0.5), _quarters(2, 0, 0.125, 0, 1)])
    areas = gpd.GeoDataFrame(
        {"area_id": ["S"], "name": ["S"], "pop_tot": [7.0]}, geometry=[shape], crs="EPSG:25833"
    )
    system = build_system({"grid": grid, "areas": areas}, known=True, rounding=0.0)
    system.fig_hidden[:] = True  # S's figure, by the area rule
    stats = protect_system(system, threshold=10, width=5.0)
    assert system.hidden.tolist() == [True, False, False]
    assert (stats["row_pass"], stats["audit_pass"], stats["figures_hidden"]) == (1, 0, 0)


@pytest.mark.parametrize("other", [False, True], ids=["alone", "with-another-area"])
def test_a_withheld_area_stays_withheld_when_nothing_can_give_it_room(other: bool) -> None:
    # 5 km cells: c0 = 5 (small), c1 = 5 (small), c2 = 100. Area S is a quarter of c0
    # (1.25: withheld); its only count is hidden already, so nothing more can be done for
    # it, and it must stay withheld. Area T = c1 + c2 (exact) needs c2 hidden in the same
    # round.
    grid = _cells(5000, pop_tot=[5.0, 5.0, 100.0])
    boxes = {"S": (X0, Y0, X0 + 2500, Y0 + 2500)}
    pops = [1.25]
    if other:
        boxes["T"] = (X0 + 5000, Y0, X0 + 15_000, Y0 + 5000)
        pops.append(105.0)
    out = protect_layers({"grid": grid, "areas": _areas(boxes, pops)}, threshold=10, rounding=0)
    assert np.isnan(out.layers["areas"]["pop_tot"].iloc[0])
    assert out.layers["grid"]["pop_tot"].isna().tolist() == [True, True, other]


def test_a_rounded_withheld_area_stays_withheld_while_a_block_is_protected() -> None:
    # 250 m cells c0 = 5 (small) and c1 = 100 in one 1 km block (SSB publishes 105).
    # Area S, a quarter of c0 (1.25), is withheld; nothing more can be hidden for it,
    # while the block needs c1 hidden. Rounded to tens, S's figure would pass as a
    # published one, so only keeping it withheld keeps it out.
    grid = _grid({(0, 0): 5.0, (1, 0): 100.0})
    areas = _areas({"S": (X0, Y0, X0 + 125, Y0 + 125)}, [1.25])
    out = protect_layers({"grid": grid, "areas": areas}, threshold=10)
    assert np.isnan(out.layers["areas"]["pop_tot"].iloc[0])
    assert out.layers["grid"]["pop_tot"].isna().tolist() == [True, True]


def test_a_pinned_withheld_area_may_be_freed_by_one_of_its_own_counts() -> None:
    # 5 km cells c0 = 20, c1 = 12, c2 = 100. Area S (withheld: 8) is the south-west
    # quarters of c0 and c1; area L is c0's east half and c2 (110). The row pass hides
    # c0 for S (5 persons of room, where c1 gives 3). L - c2 then gives c0, and S =
    # c0/4 + c1/4 = 8 exactly. Of the counts of L and of S itself, c1 (12) hides the
    # fewest persons, and hiding it frees S; c2 stays published.
    grid = _cells(5000, pop_tot=[20.0, 12.0, 100.0])
    shapes = [
        shapely.union_all([_quarters(0, 0, 0.5, 0, 0.5), _quarters(1, 0, 0.5, 0, 0.5)]),
        shapely.union_all([_quarters(0, 0.5, 1, 0, 1), _quarters(2, 0, 1, 0, 1)]),
    ]
    areas = gpd.GeoDataFrame(
        {"area_id": ["S", "L"], "name": ["S", "L"], "pop_tot": [8.0, 110.0]},
        geometry=shapes,
        crs="EPSG:25833",
    )
    system = build_system({"grid": grid, "areas": areas}, known=True, rounding=0.0)
    system.fig_hidden[system.fig_label == "area S pop_tot"] = True  # the area rule
    stats = protect_system(system, threshold=10, width=5.0)
    assert system.hidden.tolist() == [True, True, False]
    assert (stats["row_pass"], stats["audit_pass"]) == (1, 1)


def test_a_figure_nothing_can_protect_is_withheld_however_long_the_others_take() -> None:
    # A national run: 4,001 small cells elsewhere, so the audit pass does not run and the
    # row pass alone must protect. Area T (300 residents by the area rule) holds one
    # cell of 5 persons: its figure would give that cell away, and no other count in it
    # can be hidden, so it is withheld. Meanwhile 70 areas with 0 of 100 persons and
    # area C with 4 of 100 share the reference rate (4 of 7,100): each denominator gives
    # C's 4 only 0.06 persons of room, so the row pass hides them one a round for as
    # long as it runs. T must not wait for that.
    far = _isolated_small_cells(4001)
    grid = pd.concat([_grid({(0, 0): 5.0}), far], ignore_index=True)
    k = 70
    names = ["T", "C", *(f"Z{i:02d}" for i in range(k))]
    areas = gpd.GeoDataFrame(
        {
            "area_id": names,
            "name": names,
            "pop_tot": [5.0] + [0.0] * (k + 1),
            "n": [np.nan, 4.0] + [0.0] * k,
            "d": [np.nan] + [100.0] * (k + 1),
        },
        geometry=[box(X0, Y0, X0 + 250, Y0 + 250)]
        + [_quarters(i, 0, 1, 0, 1) for i in range(1, k + 2)],
        crs="EPSG:25833",
    )
    out = protect_layers(
        {"grid": grid, "areas": areas},
        threshold=10,
        rounding=0,
        rates=[Rate("r", "n", "d")],
        references={"r": 100 * 4 / (100 * (k + 1))},
        area_pop=np.full(k + 2, 300.0),
    )
    assert not out.notes["audited_in_protection"]
    assert np.isnan(out.layers["areas"]["pop_tot"].iloc[0])
    assert np.isnan(out.layers["areas"]["n"].iloc[1])
    assert out.layers["areas"]["n"].iloc[2:].tolist() == [0.0] * k  # zeros hide no one


def test_each_pass_counts_only_the_counts_it_newly_hides() -> None:
    # cells c1 = 5, c2 = 100, c3 = 200 in a row; area A = c1 + half of c2 (55), area
    # B = the other half of c2 + c3 (250). The row pass hides c2 for A's sake; then
    # B - c3 gives c2, and A - c2 / 2 gives c1 exactly, so the audit pass hides the only
    # published count of those figures, c3. Two counts hidden, one by each pass.
    grid = _grid({(0, 0): 5.0, (1, 0): 100.0, (2, 0): 200.0})
    areas = _areas(
        {"A": (X0, Y0, X0 + 375, Y0 + 250), "B": (X0 + 375, Y0, X0 + 750, Y0 + 250)},
        [55.0, 250.0],
    )
    stats, hidden = _protect({"grid": grid, "areas": areas})
    assert hidden.tolist() == [True, True, True]
    assert (stats["row_pass"], stats["audit_pass"], stats["secondary"]) == (1, 1, 2)


def test_the_audit_pass_hides_one_count_where_one_frees_the_small_one() -> None:
    # 5 km cells (no coarser blocks): c0 = 5 (small), h = 20, a = 50, b = 100. Area A
    # is c0, the west half of h and a (65); area B the east half of h and b (110).
    # The row pass hides h for A (10 persons of room, cheaper than a). Then B - b gives
    # h and A - h/2 - a gives c0: the figures A and B pin it. Hiding a alone frees it
    # (c0 + a = 55), so the audit pass hides a, and b stays published.
    grid = _cells(5000, pop_tot=[5.0, 20.0, 50.0, 100.0])
    east = [box(X0 + 5000 * k, Y0, X0 + 5000 * (k + 1), Y0 + 5000) for k in range(4)]
    area_a = shapely.union_all([east[0], box(X0 + 5000, Y0, X0 + 7500, Y0 + 5000), east[2]])
    area_b = shapely.union_all([box(X0 + 7500, Y0, X0 + 10_000, Y0 + 5000), east[3]])
    areas = gpd.GeoDataFrame(
        {"area_id": ["A", "B"], "name": ["A", "B"], "pop_tot": [65.0, 110.0]},
        geometry=[area_a, area_b],
        crs="EPSG:25833",
    )
    stats, hidden = _protect({"grid": grid, "areas": areas})
    assert hidden.tolist() == [True, True, True, False]
    assert (stats["row_pass"], stats["audit_pass"]) == (1, 1)


def test_a_count_still_pinned_gets_a_hidden_count_in_every_figure_that_pins_it() -> None:
    # 5 km cells: c0 = 5 (small), h = 40, a = 90, b = 60, c = 70. Area A = c0 + the west
    # half of h + a (115); B = h's north-east quarter + b (70); C = its south-east
    # quarter + c (80). The row pass hides h for A (20 persons of room, cheaper than a).
    # B - b and C - c each give h, so A - h/2 - a gives c0. The audit pass hides the
    # cheapest count of the figures that pin it (b or c: the other route still pins
    # c0); a count pinned a second time gets one more hidden count in each of its
    # figures (a in A, and the other of b, c), after which nothing is pinned.
    grid = _cells(5000, pop_tot=[5.0, 40.0, 90.0, 60.0, 70.0])

    def part(k: int, west: float, east: float, south: float, north: float) -> shapely.Geometry:
        return box(
            X0 + 5000 * (k + west), Y0 + 5000 * south, X0 + 5000 * (k + east), Y0 + 5000 * north
        )

    shapes = [
        shapely.union_all([part(0, 0, 1, 0, 1), part(1, 0, 0.5, 0, 1), part(2, 0, 1, 0, 1)]),
        shapely.union_all([part(1, 0.5, 1, 0.5, 1), part(3, 0, 1, 0, 1)]),
        shapely.union_all([part(1, 0.5, 1, 0, 0.5), part(4, 0, 1, 0, 1)]),
    ]
    areas = gpd.GeoDataFrame(
        {"area_id": list("ABC"), "name": list("ABC"), "pop_tot": [115.0, 70.0, 80.0]},
        geometry=shapes,
        crs="EPSG:25833",
    )
    layers = {"grid": grid, "areas": areas}
    stats, hidden = _protect(layers)
    assert hidden.tolist() == [True] * 5
    assert (stats["row_pass"], stats["audit_pass"]) == (1, 3)


def _protect_threshold_1(layers: dict[str, gpd.GeoDataFrame]) -> tuple[dict[str, int], list]:
    """As :func:`_protect` at a threshold of 1 (allowed only with allow_tiny): width 1."""
    system = build_system(layers, known=True, rounding=0.0)
    system.hidden[:] = primary_counts(system.x, 1)
    stats = protect_system(system, threshold=1, width=protection_width(1))
    return stats, system.hidden.tolist()


def test_at_a_threshold_of_one_a_count_of_one_can_protect_another() -> None:
    # 5 km cells of 0 (hidden: under 1), 1 and 3 in one area: the 0 needs 1 person of
    # room, and the cheapest count giving it is the 1
    grid = _cells(5000, pop_tot=[0.0, 1.0, 3.0])
    areas = _areas({"A": (X0, Y0, X0 + 15_000, Y0 + 5000)}, [4.0])
    stats, hidden = _protect_threshold_1({"grid": grid, "areas": areas})
    assert hidden == [True, True, False]
    assert stats["row_pass"] == 1
    # the audit pass, too: c0 = 0, c1 = 4 (hidden for A = c0 + c1 / 2), c2 = 1, c3 = 3,
    # B = c1 / 2 + c2 + c3 = 6 pins c0 = 0; hiding the 1 frees it (c0 = c2 - 1, 0..2)
    grid = _cells(5000, pop_tot=[0.0, 4.0, 1.0, 3.0])
    areas = _areas(
        {"A": (X0, Y0, X0 + 7500, Y0 + 5000), "B": (X0 + 7500, Y0, X0 + 20_000, Y0 + 5000)},
        [2.0, 6.0],
    )
    stats, hidden = _protect_threshold_1({"grid": grid, "areas": areas})
    assert hidden == [True, True, True, False]
    assert (stats["row_pass"], stats["audit_pass"]) == (1, 1)


def test_figures_are_withheld_when_no_count_is_left_to_hide() -> None:
    # cells c1 = 5, c2 = 100; area A = c1 + half of c2 (55), area B = the other half of
    # c2 (50). The row pass hides c2 (for A); then c2 = 2 B and c1 = A - B exactly,
    # and every count in those figures is hidden already: both figures are withheld.
    # A cell's mean age goes with its population; an area's stays (it is no count).
    grid = _grid({(0, 0): 5.0, (1, 0): 100.0}).assign(pop_ave=[40.0, 41.0])
    areas = _areas(
        {"A": (X0, Y0, X0 + 375, Y0 + 250), "B": (X0 + 375, Y0, X0 + 500, Y0 + 250)},
        [55.0, 50.0],
    ).assign(pop_ave=[39.0, 42.0])
    out = protect_layers({"grid": grid, "areas": areas}, threshold=10, rounding=0)
    assert out.layers["grid"]["pop_tot"].isna().all()
    assert out.layers["grid"]["pop_ave"].isna().all()
    assert out.layers["areas"]["pop_tot"].isna().all()
    assert out.layers["areas"]["pop_ave"].tolist() == [39.0, 42.0]
    assert out.notes["figures_withheld"] == 2
    audit = build_system(out.layers, known=False, rounding=0.0, blocks=True)
    assert not intervals(audit, threshold=10)["pinned"].any()


def test_nothing_published_nothing_hidden() -> None:
    # areas without a grid and without indicator counts: no figure involves a count
    empty = build_system({"areas": _areas({"A": (0, 0, 1, 1)}, [50.0])}, known=True)
    assert empty.A.shape[1] == 0
    stats = protect_system(empty, threshold=10, width=5.0)
    assert stats == {
        "secondary": 0,
        "row_pass": 0,
        "audit_pass": 0,
        "figures_hidden": 0,
        "audited": 1,
    }


def _isolated_small_cells(n: int) -> gpd.GeoDataFrame:
    """``n`` cells of 5 persons, each alone in its 1 km block (every block is small)."""
    k = np.arange(n)
    ids = corners_to_ssbid(200_000 + 1000 * (k % 100), 6_600_000 + 1000 * (k // 100))
    return gpd.GeoDataFrame(
        {"ssbid": ids, "cell_size": 250, "pop_tot": 5.0},
        geometry=cell_polygons(ids, 250),
        crs="EPSG:25833",
    )


@pytest.mark.parametrize(("n", "audited"), [(4000, True), (4001, False)])
def test_the_audit_pass_runs_up_to_4000_hidden_counts(n: int, audited: bool) -> None:
    out = protect_layers({"grid": _isolated_small_cells(n)}, threshold=10)
    assert out.notes["primary_hidden"] == n
    assert out.notes["audited_in_protection"] is audited
    # every figure (a block of one small cell) is withheld: nothing for either pass to do
    system = build_system({"grid": _isolated_small_cells(n)}, known=True, blocks=True)
    system.hidden[:] = primary_counts(system.x, 10)
    stats = protect_system(system, threshold=10, width=5.0)
    assert stats == {
        "secondary": 0,
        "row_pass": 0,
        "audit_pass": 0,
        "figures_hidden": 0,
        "audited": int(audited),
    }
