"""The access figures are rows of the run's disclosure model: protected and audited.

Hand-made case (250 m cells in one row, a facility between the second and third):

====  =========  =======  ==================  ====
cell  persons    area     distance (m)        1 km block
====  =========  =======  ==================  ====
c0    15         A        375 (beyond 300 m)  250
c1    22         A        125 (within)        250
c2    3          A        125 (within)        250
c3    45         A        375                 250
c4    30         B        625                 251
c5    50         B        875                 251
====  =========  =======  ==================  ====

Area A holds 85 persons (published as 80), 25 of them within 300 m (published as 20:
2.5 rounds half to even). Protecting the grid and areas alone hides c2 (primary) and
c0 (the cheapest helper in its 1 km block) and publishes c1 = 22. The published 20
within 300 m then says c1 + c2 ≤ 25, so c2 ≤ 3: pinned to [0, 3].
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely import Point, box

import geoloft
from geoloft.accessibility import access
from geoloft.accessibility.publish import publish_areas
from geoloft.accessibility.summary import cell_areas
from geoloft.config import load_project
from geoloft.disclosure.audit import audit, intervals
from geoloft.disclosure.model import build_system
from geoloft.disclosure.protect import protect_layers
from geoloft.grid import cell_polygons

X0, Y0 = 250_000, 6_650_000
NOTES = {"thresholds_m": [300]}
COUNTS = (15.0, 22.0, 3.0, 45.0, 30.0, 50.0)


def _ids(xs: list[int]) -> list[int]:
    return [(x + 2_000_000) * 10**7 + Y0 for x in xs]


def _grid(xs: list[int], pop: tuple[float, ...]) -> gpd.GeoDataFrame:
    ids = _ids(xs)
    grid = gpd.GeoDataFrame(
        {"ssbid": ids, "cell_size": 250, "pop_tot": list(pop)},
        geometry=cell_polygons(ids, 250),
        crs="EPSG:25833",
    )
    grid.attrs["cell_size"] = 250
    return grid


def _areas(boxes: dict[str, tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_id": list(boxes), "name": list(boxes)},
        geometry=[box(*b) for b in boxes.values()],
        crs="EPSG:25833",
    )


def _true_layers(grid, areas, facility_x: float, pop: list[float]):
    """The run's layers with true values, the access layers after their row rule."""
    school = gpd.GeoDataFrame(geometry=[Point(facility_x, Y0 + 125)], crs="EPSG:25833")
    res = access(grid, school, areas=areas, thresholds=[300])
    cells = res.cells.drop(columns=["pop_tot"]).assign(area_id=cell_areas(res.cells, areas))
    return {
        "grid": grid,
        "areas": areas.assign(pop_tot=pop),
        "access_cells": cells,
        "access_areas": publish_areas(res.areas, [300], threshold=10),
    }


@pytest.fixture
def city():
    grid = _grid([X0 + 250 * i for i in range(6)], COUNTS)
    areas = _areas({"A": (X0, Y0, X0 + 1000, Y0 + 250), "B": (X0 + 1000, Y0, X0 + 1500, Y0 + 250)})
    layers = _true_layers(grid, areas, X0 + 500, [85.0, 80.0])
    # the count alone pins c2 here: its mean distance is checked on its own below
    layers["access_areas"] = layers["access_areas"].drop(columns=["mean_dist"])
    return layers


def _published(layers, *, access_rows: bool):
    """As the audit reads a publication: hidden values missing, access rows or not."""
    keep = [k for k in layers if access_rows or not k.startswith("access")]
    system = build_system(
        {k: layers[k] for k in keep},
        known=False,
        rounding=10.0,
        access=NOTES if access_rows else None,
    )
    return intervals(system, threshold=10)


def _cell(found: pd.DataFrame, k: int) -> pd.Series:
    return found[found["label"] == f"grid250:{_ids([X0 + 250 * k])[0]}:pop_tot"].iloc[0]


def test_the_published_access_figures_are_the_hand_counts(city):
    area = city["access_areas"].set_index("area_id")
    assert area.loc["A", "pop_tot"] == 80.0  # 85 rounded
    assert area.loc["A", "pop_within_300"] == 20.0  # 22 + 3 = 25, half to even
    assert area.loc["B", "pop_within_300"] == 0.0
    assert city["access_cells"]["area_id"].tolist() == ["A", "A", "A", "A", "B", "B"]


def test_without_access_rows_protection_leaves_a_cell_the_access_counts_pin(city):
    old = protect_layers({k: city[k] for k in ("grid", "areas")}, threshold=10)
    grid = old.layers["grid"]["pop_tot"].tolist()
    assert np.isnan(grid[0])
    assert np.isnan(grid[2])
    assert grid[1] == 22.0
    assert grid[3] == 45.0
    published = {**old.layers, "access_cells": city["access_cells"]}
    published["access_areas"] = city["access_areas"]
    # the run's own figures leave c2 free: the area's 80 ± 5 gives c0 + c2 in [8, 18]
    assert not _published(published, access_rows=False)["pinned"].any()
    hit = _cell(_published(published, access_rows=True), 2)
    assert hit["low"] == pytest.approx(0.0, abs=1e-6)
    assert hit["high"] == pytest.approx(3.0, abs=1e-5)  # 25 - 22
    assert hit["pinned"]


def test_with_access_rows_nothing_is_pinned(city):
    new = protect_layers(city, threshold=10, access=NOTES)
    found = _published(new.layers, access_rows=True)
    assert not found["pinned"].any(), found[found["pinned"]]
    assert _cell(found, 2)["high"] - _cell(found, 2)["low"] >= 5.0
    grid = new.layers["grid"]["pop_tot"]
    within = new.layers["access_areas"].set_index("area_id").loc["A", "pop_within_300"]
    # either another count of A within reach is hidden, or the count is withheld
    assert np.isnan(grid.iloc[1]) or np.isnan(within)
    assert new.notes["secondary_hidden"] >= 2  # c0 for the block, one more for the count


def test_a_withheld_count_takes_its_share(city):
    shown = city["access_areas"].copy()
    new = protect_layers(city, threshold=10, access=NOTES)
    out = new.layers["access_areas"]
    gone = out["pop_within_300"].isna() & shown["pop_within_300"].notna()
    assert out.loc[gone, "share_within_300"].isna().all()


@pytest.fixture
def pair():
    """c1 = 24 persons 125 m from a school, c2 = 3 persons 375 m from it, one area.

    The mean distance (24 · 125 + 3 · 375) / 27 = 4125 / 27 m is published exactly;
    with c1 published it gives c2 = 24 · (m − 125) / (375 − m) = 3. The counts do not:
    27 is published as 30 (c2 in [1, 11]). The cells lie in different 1 km and 5 km
    blocks, so no block sum tells c2.
    """
    grid = _grid([X0 - 250, X0], (24.0, 3.0))
    areas = _areas({"A": (X0 - 250, Y0, X0 + 250, Y0 + 250)})
    return _true_layers(grid, areas, X0 - 250, [27.0])


def test_the_mean_distance_is_an_exact_equation(pair):
    area = pair["access_areas"].iloc[0]
    assert area["mean_dist"] == pytest.approx(4125 / 27)
    published = dict(pair)
    published["grid"] = pair["grid"].assign(pop_tot=[24.0, np.nan])
    published["areas"] = pair["areas"].assign(pop_tot=[30.0])
    hit = _cell(_published(published, access_rows=True), 0)  # c2 lies at X0
    assert hit["low"] == pytest.approx(3.0, abs=1e-4)
    assert hit["high"] == pytest.approx(3.0, abs=1e-4)
    counts_only = {**published, "access_areas": published["access_areas"].drop(columns="mean_dist")}
    hit = _cell(_published(counts_only, access_rows=True), 0)
    assert hit["low"] == pytest.approx(1.0, abs=1e-4)  # 25 - 24
    assert hit["high"] == pytest.approx(11.0, abs=1e-4)  # 35 - 24


def test_protection_withholds_the_mean_rather_than_hide_a_cell(pair):
    new = protect_layers(pair, threshold=10, access=NOTES)
    assert new.notes["secondary_hidden"] == 0
    assert np.isnan(new.layers["access_areas"]["mean_dist"].iloc[0])
    assert not _published(new.layers, access_rows=True)["pinned"].any()


def test_a_mean_distance_that_tells_nothing_stays_published():
    # c2 (3 persons) and c3 (30) lie 125 m either side of the school, c1 (24) 375 m
    # away: the mean tells only c2 + c3, which their 1 km block tells anyway; once c3
    # hides with c2 (the block's only other cell) nothing narrows c2
    grid = _grid([X0 - 250, X0, X0 + 250], (24.0, 3.0, 30.0))
    areas = _areas({"A": (X0 - 250, Y0, X0 + 500, Y0 + 250)})
    layers = _true_layers(grid, areas, X0 + 250, [57.0])
    assert layers["access_areas"]["mean_dist"].iloc[0] == pytest.approx((24 * 375 + 33 * 125) / 57)
    new = protect_layers(layers, threshold=10, access=NOTES)
    assert new.layers["grid"]["pop_tot"].isna().tolist() == [False, True, True]
    assert new.layers["access_areas"]["mean_dist"].notna().all()
    assert not _published(new.layers, access_rows=True)["pinned"].any()


def test_demo_run_with_access_audits_clean(access_run):
    _, out = access_run
    found = audit([out])
    assert found.pinned.empty, found.pinned
    assert found.small is not None
    assert found.small.empty


def _read(out):
    layers = {
        name: gpd.read_file(out / "geoloft.gpkg", layer=name)
        for name, _ in pyogrio.list_layers(out / "geoloft.gpkg")
        if name in ("grid", "access_cells", "access_areas", "access_zones", "access_sites")
    }
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    (stage,) = [s for s in record["stages"] if s["stage"] == "access"]
    return layers, stage["notes"]


def test_the_audit_rebuilds_every_access_figure_from_the_true_cells(access_run):
    folder, out = access_run
    layers, notes = _read(out)
    project = load_project(folder / "project.toml")
    truth = geoloft.read_grid(project.inputs.grid.path, cell_size=250)
    layers["grid"] = (
        layers["grid"]
        .drop(columns="pop_tot")
        .merge(pd.DataFrame(truth[["ssbid", "pop_tot"]]), on="ssbid", how="left")
    )
    system = build_system(layers, known=False, rounding=10.0, access=notes)
    kind = system.fig_kind == "access"
    shown = kind & ~system.fig_hidden
    assert {"access_areas", "access_zones", "access_sites", "run.json"} <= set(
        system.fig_layer[shown]
    )
    value = system.A @ np.nan_to_num(system.x)
    # every published access figure is its cells' true persons, within its rounding
    off = np.abs(value - system.f)[shown] - system.tol[shown]
    assert (off <= 1e-6).all(), system.fig_label[shown][off > 1e-6][:5]


def test_access_areas_carry_no_figure_of_the_areas_layer(access_run):
    _, out = access_run
    layers, _ = _read(out)
    areas = gpd.read_file(out / "geoloft.gpkg", layer="areas")
    counts = {c for c in areas.columns if c.endswith(("_n", "_d", "_rate"))}
    assert counts
    assert not counts & set(layers["access_areas"].columns)
    assert not {"index", "rank", "explanation"} & set(layers["access_areas"].columns)


def test_facilities_per_1000_come_from_the_rounded_population(access_run):
    _, out = access_run
    areas, _ = _read(out)
    frame = areas["access_areas"]
    shown = frame["facilities_per_1000"].notna() & (frame["pop_tot"] > 0)
    expected = 1000.0 * frame.loc[shown, "n_facilities"] / frame.loc[shown, "pop_tot"]
    np.testing.assert_allclose(frame.loc[shown, "facilities_per_1000"], expected)
