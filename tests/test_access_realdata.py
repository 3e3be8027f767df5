"""geoloft.access on real data: the national 250 m grid, all schools, kommuner and Oslo's bydeler.

Expectations come from outside the code under test: geopandas (sjoin and
sjoin_nearest) on the same cells, the schools' own kommune numbers and the grid
README's national total.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import geoloft
from geoloft.accessibility import (
    DIST,
    N_FACILITIES,
    access,
    access_by_area,
    pop_within,
    select_rows,
    share_within,
)
from geoloft.grid import cell_centres

NATIONAL_TOTAL_2019 = 5_317_737  # README of ssb-grid-norway-250m-series


@pytest.fixture(scope="module")
def national(realdata):
    grid = geoloft.read_grid(
        realdata / "ssb-grid-norway-250m-series" / "NOR0250M_POP_2019.csv", geometry=False
    )
    schools = geoloft.read_measures(realdata / "schools-norway" / "skoler.geojson")
    primary = select_rows(schools, "laveste_trinn <= 7")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the simplified files hold repaired polygons
        kommuner = geoloft.read_boundaries(realdata / "kommuner-2024" / "Kommuner-S.geojson")
        bydeler = geoloft.read_boundaries(realdata / "oslo-bydeler-gpkg" / "oslo_bydeler.gpkg")
    result = access(grid, primary, areas=kommuner, thresholds=[1000], cell_geometry="centre")
    return grid, primary, kommuner, bydeler, result


def test_national_distances_match_geopandas(national):
    grid, primary, _, _, result = national
    x, y = cell_centres(grid["ssbid"].to_numpy(), 250)
    centres = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=primary.crs)
    peer = gpd.sjoin_nearest(centres, primary[["geometry"]], distance_col="d")
    peer = peer[~peer.index.duplicated()]
    np.testing.assert_allclose(result.cells[DIST].to_numpy(), peer["d"].to_numpy(), atol=1e-6)


def test_kommuner_hold_the_national_population(national):
    result = national[-1]
    areas = result.areas
    outside = result.areas.attrs["report"].notes["persons outside every area"]
    assert result.report.notes["persons"] == NATIONAL_TOTAL_2019
    assert areas["pop_tot"].sum() + outside == pytest.approx(NATIONAL_TOTAL_2019)
    # Cells near the clipped coast go to the nearest kommune; islands the simplified
    # file lost stay outside (about 0.6 %).
    assert outside < 0.01 * NATIONAL_TOTAL_2019


def test_schools_fall_in_their_own_kommune(national):
    _, primary, _, _, result = national
    counted = result.areas.set_index("area_id")[N_FACILITIES]
    stated = primary["kommunenummer"].astype(str).str.zfill(4).value_counts()
    for kommune in ("0301", "4601", "5001"):  # Oslo, Bergen, Trondheim
        assert abs(counted[kommune] - stated[kommune]) <= 2


def test_oslo_bydeler_shares_match_a_geopandas_computation(national):
    _, _, _, bydeler, result = national
    own = access_by_area(result.cells, bydeler).set_index("area_id")
    cells = result.cells
    # Centres inside a bydel, then the rest to the nearest bydel within 250 m (the rule).
    centres = cells[["pop_tot", DIST, "geometry"]]
    inside = gpd.sjoin(centres, bydeler[["area_id", "geometry"]], predicate="within")
    inside = inside[~inside.index.duplicated()]
    rest = centres.drop(index=inside.index)
    near = gpd.sjoin_nearest(rest, bydeler[["area_id", "geometry"]], max_distance=250)
    joined = pd.concat([inside, near[~near.index.duplicated()]])
    near = joined["pop_tot"].where(joined[DIST] <= 1000, 0.0)
    expected = near.groupby(joined["area_id"]).sum() / joined.groupby("area_id")["pop_tot"].sum()
    np.testing.assert_allclose(
        own[share_within(1000)].reindex(expected.index), 100 * expected, rtol=1e-9
    )
    # Most Oslo residents live within 1 km of a primary school; Marka (030117) least.
    assert (own[share_within(1000)].drop("030117") > 90).all()
    assert own[share_within(1000)].idxmin() == "030117"
    oslo = result.areas.set_index("area_id").loc["0301"]
    # Two boundary sources (bydeler 2023, simplified kommuner 2024) agree within 2 %.
    assert own["pop_tot"].sum() == pytest.approx(oslo["pop_tot"], rel=0.02)
    assert own[pop_within(1000)].sum() == pytest.approx(oslo[pop_within(1000)], rel=0.02)
