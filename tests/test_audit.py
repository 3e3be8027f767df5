"""The audit recovers what differencing recovers, and finds nothing after protection.

Expected values are worked out by hand from the tiny layers below (or, for Oslo, read
from SSB's file): the audit must find exactly those, and protection must remove them.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box
from typer.testing import CliRunner

from geoloft.cli import app
from geoloft.disclosure import suppress
from geoloft.disclosure.audit import audit, intervals
from geoloft.disclosure.model import Rate, build_system
from geoloft.disclosure.protect import protect_layers
from geoloft.grid import cell_polygons

X0, Y0 = 260_000, 6_650_000


def _cell(i: int, j: int) -> int:
    return (X0 + 250 * i + 2_000_000) * 10**7 + Y0 + 250 * j


def _grid(values: dict[tuple[int, int], float]) -> gpd.GeoDataFrame:
    ids = [_cell(i, j) for i, j in values]
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


def _primary_only(layers):
    """What geoloft published before: each table suppressed on its own."""
    out = dict(layers)
    out["grid"] = suppress(layers["grid"], threshold=10)
    if "areas" in layers:
        out["areas"] = suppress(layers["areas"], threshold=10)
    return out


def _audit(layers, **kw):
    system = build_system(layers, known=False, rounding=kw.pop("rounding", 0.0), **kw)
    return intervals(system, threshold=10)


@pytest.fixture
def block():
    """A 2 × 2 block of 250 m cells (5, 100, 120, 140 persons) in one area."""
    grid = _grid({(0, 0): 5.0, (1, 0): 100.0, (0, 1): 120.0, (1, 1): 140.0})
    areas = _areas({"A": (X0, Y0, X0 + 500, Y0 + 500)}, [365.0])
    return {"grid": grid, "areas": areas}


def test_area_total_minus_published_cells_gives_the_hidden_cell(block):
    found = _audit(_primary_only(block))
    hit = found[found["label"].str.contains(str(_cell(0, 0)))].iloc[0]
    # 365 - 100 - 120 - 140 = 5, exactly
    assert hit["low"] == pytest.approx(5.0, abs=1e-3)
    assert hit["high"] == pytest.approx(5.0, abs=1e-3)
    assert hit["pinned"]


def test_protection_leaves_the_small_cell_free(block):
    protected = protect_layers(block, threshold=10)
    grid = protected.layers["grid"]
    assert grid["pop_tot"].isna().sum() >= 2  # a second cell hides the first
    # the cheapest helper is the 100-person cell, not the larger ones
    assert np.isnan(grid.loc[grid["ssbid"] == _cell(1, 0), "pop_tot"]).all()
    found = _audit(protected.layers, rounding=10)
    assert not found["pinned"].any()
    assert protected.notes["persons_hidden_secondary"] == 100.0


def test_a_small_area_falls_out_of_its_zone(block):
    """Zone pop minus its published member = the hidden member (issue: 5.0)."""
    grid = _grid({(0, 0): 5.0, (1, 0): 100.0, (0, 1): 120.0, (1, 1): 140.0})
    areas = _areas(
        {"A": (X0, Y0, X0 + 250, Y0 + 250), "B": (X0 + 250, Y0, X0 + 500, Y0 + 500)},
        [5.0, 240.0],
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z01"], "name": ["Z"], "members": ["A,B"], "pop": [245.0]},
        geometry=[box(X0, Y0, X0 + 500, Y0 + 500)],
        crs="EPSG:25833",
    )
    layers = {"grid": grid, "areas": areas, "intervention_areas": zones}
    before = _primary_only(layers)
    found = _audit(before)
    area = found[found["label"] == "area A pop_tot"].iloc[0]
    assert (area["low"], area["high"]) == pytest.approx((5.0, 5.0), abs=1e-3)
    after = protect_layers(layers, threshold=10)
    assert not _audit(after.layers, rounding=10)["pinned"].any()


def _rates_case():
    """Three areas; C is small. Zone {B, C} and the reference give C's counts."""
    areas = gpd.GeoDataFrame(
        {
            "area_id": ["A", "B", "C"],
            "name": ["A", "B", "C"],
            "n": [30.0, 50.0, 4.0],
            "d": [300.0, 400.0, 8.0],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs="EPSG:25833",
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z01"], "name": ["Z"], "members": ["B,C"], "r_rate": [100 * 54 / 408]},
        geometry=[box(1, 0, 3, 1)],
        crs="EPSG:25833",
    )
    return {"areas": areas, "intervention_areas": zones}, [Rate("r", "n", "d", 100.0)]


def test_indicator_counts_from_zone_rate_and_reference():
    layers, rates = _rates_case()
    reference = {"r": 100 * 84 / 708}
    before = dict(layers)
    before["areas"] = layers["areas"].assign(n=[30.0, 50.0, np.nan], d=[300.0, 400.0, np.nan])
    found = _audit(before, rates=rates, references=reference)
    # two equations (zone, reference), two unknowns: n_C = 4 and d_C = 8 exactly
    n_c = found[found["label"] == "area:C:n"].iloc[0]
    d_c = found[found["label"] == "area:C:d"].iloc[0]
    assert (n_c["low"], n_c["high"]) == pytest.approx((4.0, 4.0), abs=1e-3)
    assert (d_c["low"], d_c["high"]) == pytest.approx((8.0, 8.0), abs=1e-3)
    protected = protect_layers(
        layers, threshold=10, rates=rates, references=reference, area_pop=np.array([300, 400, 8])
    )
    after = _audit(protected.layers, rates=rates, references=reference)
    assert not after["pinned"].any()
    assert protected.layers["areas"].loc[2, ["n", "d"]].isna().all()


def test_audit_command_reads_an_output_folder(tmp_path, block):
    out = tmp_path / "out"
    out.mkdir()
    layers = _primary_only(block)
    for name, frame in layers.items():
        frame.to_file(out / "geoloft.gpkg", layer=name, driver="GPKG")
    record = {"parameters": {"disclosure_threshold": 10}, "stages": []}
    (out / "run.json").write_text(json.dumps(record), encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", str(out)])
    assert result.exit_code == 1, result.output
    assert str(_cell(0, 0)) in result.output
    assert "5.00 … 5.00" in result.output
    assert audit([out]).summary()["exact"] == 1


def test_oslo_250m_by_delbydel(realdata):
    """Real data: SSB's 5-person cell 22622506652000 falls out of delbydel 0405."""
    from geoloft.boundaries import read_boundaries
    from geoloft.grid import read_grid
    from geoloft.join import join_grid

    grid = read_grid(realdata / "ssb-grid-norway-2015" / "ru250m_2015_oslo0301.csv")
    areas = read_boundaries(
        realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson",
        id_column="DELBYDEL",
        name_column="DELBYDELSN",
    )
    joined = join_grid(grid, areas, values=["pop_tot"], method="area")
    areas = areas.assign(pop_tot=joined["pop_tot"].to_numpy())
    layers = {"grid": grid, "areas": areas}
    source = pd.read_csv(
        realdata / "ssb-grid-norway-2015" / "ru250m_2015_oslo0301.csv", sep=";"
    ).set_index("ru250m")["pop_tot"]
    before = _audit(_primary_only(layers))
    exact = before[before["pinned"] & (before["width"] < 0.01)]
    assert len(exact) >= 10
    for _, row in exact.iterrows():  # every recovered value is SSB's own count
        ssbid = int(row["label"].split(":")[1])
        assert row["low"] == pytest.approx(source[ssbid], abs=0.01)
    assert "grid250:22622506652000:pop_tot" in set(exact["label"])
    protected = protect_layers(layers, threshold=10)
    after = _audit(protected.layers, rounding=10)
    assert not after["pinned"].any()
    assert len(after) < 2 * len(before)  # secondary cells stay a minority
