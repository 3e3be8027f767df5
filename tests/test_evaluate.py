"""geoloft.evaluate: inputs, comparison groups, vintages, outputs and the command."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geoloft.cli import main
from geoloft.errors import InputError, SchemaError
from geoloft.evaluation import (
    common_areas,
    evaluate,
    grid_panel,
    harmonise_small_cells,
    read_long_table,
    read_population_by_age,
    write_evaluation,
)
from geoloft.evaluation._groups import synthetic_weights
from geoloft.grid import cell_polygons, ssbid_to_corners

FAST = {"n_boot": 99, "n_perm": 99}
X0, Y0 = 250_000, 6_650_000  # a corner in Oslo's part of EPSG:25833


def _squares(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"area_id": [f"a{i}" for i in range(n)], "name": [f"Område {i}" for i in range(n)]},
        geometry=[
            shapely.box(X0 + i * 1000, Y0, X0 + i * 1000 + 1000, Y0 + 1000) for i in range(n)
        ],
        crs="EPSG:25833",
    )


@pytest.fixture
def rates():
    """Eight areas 2004–2012; a0-a1 treated from 2007 (+3 points), a7 tiny (8 persons)."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(8):
        den = 8.0 if i == 7 else 1000.0 + 100 * i
        for y in range(2004, 2013):
            share = 0.20 + 0.01 * i + 0.002 * (y - 2004) + (0.03 if i < 2 and y > 2007 else 0)
            share += rng.normal(0, 0.002)
            rows.append((f"a{i}", y, "x", round(share * den), den))
    return pd.DataFrame(rows, columns=["area_id", "year", "indicator", "numerator", "denominator"])


# -- inputs and errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda t: t.drop(columns=["year"]), SchemaError, "lacks year"),
        (lambda t: t.drop(columns=["numerator"]), SchemaError, "numerator and denominator"),
        (lambda t: pd.concat([t, t.iloc[:1]]), SchemaError, "a0/2004/x.*more than one row"),
        (
            lambda t: t.assign(year=t["year"].astype(str).replace("2004", "2004.5")),
            SchemaError,
            "whole numbers",
        ),
        (lambda t: t.assign(numerator=-t["numerator"]), InputError, "negative counts"),
    ],
    ids=["no-year", "no-counts", "duplicate", "fractional-year", "negative"],
)
def test_bad_tables_are_named(rates, change, error, match):
    with pytest.raises(error, match=match):
        evaluate(change(rates), treated=["a0"], start=2007, end=2010, **FAST)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"treated": ["zz"]}, "zz.*not found"),
        ({"end": 2000}, "ends \\(2000\\) before it starts"),
        ({"comparison": "nearest"}, "unknown comparison 'nearest'"),
        ({"comparison": ["a0", "a5"]}, "a0.*intervention areas"),
        ({"comparison": ["q9"]}, "q9.*not in the table"),
        ({"weighting": "people"}, "unknown weighting"),
    ],
    ids=[
        "unknown-area",
        "reversed-period",
        "unknown-comparison",
        "list-with-treated",
        "list-unknown",
        "weighting",
    ],
)
def test_bad_arguments_are_named(rates, kwargs, match):
    args = {"treated": ["a0", "a1"], "start": 2007, "end": 2010, **FAST, **kwargs}
    with pytest.raises(InputError, match=match):
        evaluate(rates, **args)


def test_read_long_table_maps_columns_and_reads_norwegian_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "bydel;aar;teller;nevner\n030101;2007;1 234,0;5 000\n030102;2007;:;4 000\n",
        encoding="latin-1",
    )
    table = read_long_table(
        path,
        indicator="x",
        columns={"bydel": "area_id", "aar": "year", "teller": "numerator", "nevner": "denominator"},
    )
    assert table["area_id"].tolist() == ["030101", "030102"]
    assert table["numerator"].iloc[0] == 1234.0
    assert np.isnan(table["numerator"].iloc[1])
    assert table.attrs["report"].notes["missing"]["numerator"] == 1
    with pytest.raises(SchemaError, match=r"lacks year.*bydel, aar"):
        read_long_table(path, indicator="x", columns={"bydel": "area_id"})


def test_read_population_by_age_matches_the_readme(realdata):
    pop = read_population_by_age(
        realdata / "ssb-population-bydel-2001-2020" / "Personerward2001-2020.csv"
    )
    now = pop[(pop["year"] == 2020) & (pop["valid"] == "")].set_index("area_id")["pop_tot"]
    # check figures stated in the data set's README
    assert now["030100"] == 693_494
    assert now["030112"] == 49_801
    assert now["030111"] == 33_316
    assert now["030110"] == 27_707
    assert now["030109"] == 33_422
    # old codes (1988-2003) keep their label and never collide with the codes in use
    old = pop[pop["valid"] == "1988-2003"]
    assert old["year"].max() == 2003
    assert not pop.duplicated(["area_id", "valid", "year"]).any()
    assert (pop["pop_0_17"] + pop["pop_67_plus"] <= pop["pop_tot"]).all()


# -- comparison groups -------------------------------------------------------------------


def test_matched_comparison_picks_the_areas_with_the_nearest_level_and_trend():
    # a0 treated: level 10, trend 1. a1 (10, 1) and a2 (10.5, 1) are nearest; a3, a4 far.
    paths = {"a0": (10, 1), "a1": (10, 1), "a2": (10.5, 1), "a3": (30, -1), "a4": (20, 3)}
    rows = [
        (a, y, "x", lv + tr * (y - 2004))
        for a, (lv, tr) in paths.items()
        for y in range(2004, 2010)
    ]
    table = pd.DataFrame(rows, columns=["area_id", "year", "indicator", "value"])
    result = evaluate(
        table, treated=["a0"], start=2007, end=2009, comparison="matched", n_matches=2, **FAST
    )
    m = result.matches
    assert m["area_id"].tolist() == ["a1", "a2"]
    assert m["distance"].iloc[0] == pytest.approx(0.0)
    assert (
        result.changes.set_index("area_id")["group"][["a1", "a2", "a3"]]
        == ["comparison", "comparison", "other"]
    ).all()
    bal = result.balance.set_index("measure")
    assert abs(bal.loc["level", "std_difference"]) < abs(
        (10 - np.mean([10, 10.5, 30, 20])) / np.std([10, 10, 10.5, 30, 20])
    )


def test_synthetic_weights_recover_a_known_mix():
    pool = np.array([[1.0, 2.0, 3.0, 5.0], [4.0, 4.0, 2.0, 1.0], [9.0, 0.0, 7.0, 3.0]])
    target = 0.3 * pool[0] + 0.7 * pool[1]
    w = synthetic_weights(target, pool)
    np.testing.assert_allclose(w, [0.3, 0.7, 0.0], atol=1e-6)


def test_synthetic_comparison_balances_the_pre_period(rates):
    result = evaluate(
        rates, treated=["a0", "a1"], start=2007, end=2010, comparison="synthetic", **FAST
    )
    assert result.matches["weight"].sum() == pytest.approx(1.0)
    rest = evaluate(rates, treated=["a0", "a1"], start=2007, end=2010, **FAST)
    gap = result.balance.set_index("measure").loc["path_rmse", "std_difference"]
    assert gap < rest.balance.set_index("measure").loc["path_rmse", "std_difference"]


def test_levels_are_pooled_counts_and_changes_relative_to_the_comparison(rates):
    result = evaluate(rates, treated=["a0", "a1"], start=2007, end=2010, **FAST)
    row = result.changes.set_index("area_id").loc["a0"]
    a0 = rates[rates["area_id"] == "a0"]
    before = a0[a0["year"] <= 2007]
    assert row["before"] == pytest.approx(
        100 * before["numerator"].sum() / before["denominator"].sum()
    )
    during = a0[a0["year"].between(2008, 2010)]
    assert row["during"] == pytest.approx(
        100 * during["numerator"].sum() / during["denominator"].sum()
    )
    est = result.estimates.set_index("effect")
    assert est.loc["during", "low"] < 3.0 < est.loc["during", "high"]
    assert est.loc["during", "estimate"] == pytest.approx(3.0, abs=0.8)


# -- grid vintages and changed codes ---------------------------------------------------


def test_harmonise_small_cells_states_what_it_did():
    cells = gpd.GeoDataFrame({"pop_tot": [1.0, 4.0, 5.0, 6.0, 30.0]})
    up = harmonise_small_cells(cells, rule="floor5")
    assert up["pop_tot"].tolist() == [5.0, 5.0, 5.0, 6.0, 30.0]
    assert up.attrs["report"].notes["cells_raised"] == 2
    assert up.attrs["report"].notes["persons_added"] == 5.0
    assert cells["pop_tot"].tolist() == [1.0, 4.0, 5.0, 6.0, 30.0]  # input untouched
    dropped = harmonise_small_cells(cells, rule="drop5")
    assert dropped["pop_tot"].tolist() == [6.0, 30.0]
    assert dropped.attrs["report"].notes["persons_removed"] == 10.0
    with pytest.raises(InputError, match="unknown rule"):
        harmonise_small_cells(cells, rule="round")


def _grid(values):
    ids = [22560006672000 + 2500000000 * i for i in range(len(values))]  # 250 m steps east
    g = gpd.GeoDataFrame(
        {"ssbid": ids, "pop_tot": values}, geometry=cell_polygons(ids, 250), crs="EPSG:25833"
    )
    g.attrs["cell_size"] = 250
    return g


def test_grid_panel_applies_the_newer_rule_to_every_vintage():
    area = gpd.GeoDataFrame(
        {"area_id": ["A"]},
        geometry=[shapely.box(256000, 6672000, 257000, 6672250)],
        crs="EPSG:25833",
    )
    old = _grid([2.0, 3.0, 40.0, 7.0])  # exact counts
    new = _grid([5.0, 5.0, 41.0, 7.0])  # 1–4 published as 5
    panel = grid_panel({2007: old, 2022: new}, area)
    assert panel.attrs["rule"] == "floor5"
    assert panel.attrs["vintages"][2007]["published_rule"] == "none"
    assert panel.attrs["vintages"][2022]["published_rule"] == "floor5"
    values = panel.set_index("year")["value"]
    assert values[2007] == 5 + 5 + 40 + 7  # on the 2022 footing
    assert values[2022] == 58
    exact = grid_panel({2007: old, 2022: new}, area, rule="none")
    assert exact.set_index("year")["value"][2007] == 52


def test_grid_panel_on_real_vintages_matches_the_register(realdata):
    from geoloft.boundaries import GeometryRepairWarning, read_boundaries
    from geoloft.grid import read_grid

    with pytest.warns(GeometryRepairWarning, match="030117"):  # Marka's known bad ring
        areas = read_boundaries(
            realdata / "oslo-bydeler-gpkg" / "oslo_bydeler.gpkg", id_column="bydelsnr"
        )
    areas = areas[areas["area_id"].isin(["030110", "030111"])]  # Grorud, Stovner
    x0, y0, x1, y1 = areas.total_bounds
    grids = {}
    for year in (2019, 2022):
        g = read_grid(
            realdata / "ssb-grid-norway-250m-series" / f"NOR0250M_POP_{year}.csv",
            cell_size=250,
            geometry=False,
        )
        x, y = ssbid_to_corners(g["ssbid"].to_numpy())
        g = g[(x >= x0 - 250) & (x <= x1) & (y >= y0 - 250) & (y <= y1)]
        ids = g["ssbid"].to_numpy()
        grids[year] = gpd.GeoDataFrame(g, geometry=cell_polygons(ids, 250), crs="EPSG:25833")
        grids[year].attrs["cell_size"] = 250
    panel = grid_panel(grids, areas)
    assert panel.attrs["vintages"][2022]["published_rule"] == "floor5"
    assert panel.attrs["vintages"][2019]["cells_raised"] > 0
    pop = read_population_by_age(
        realdata / "ssb-population-bydel-2001-2020" / "Personerward2001-2020.csv"
    )
    reg = pop[(pop["year"] == 2019) & (pop["valid"] == "")].set_index("area_id")["pop_tot"]
    got = panel[panel["year"] == 2019].set_index("area_id")["value"]
    for area in ("030110", "030111"):
        # grid join vs register: boundaries and cell splits differ a little
        assert got[area] == pytest.approx(reg[area], rel=0.05)


def test_common_areas_splits_old_codes_and_conserves_counts():
    target = _squares(2)  # a0 | a1
    old = gpd.GeoDataFrame(
        {"area_id": ["old"]}, geometry=[shapely.box(X0, Y0, X0 + 2000, Y0 + 1000)], crs="EPSG:25833"
    )
    source = pd.concat([target[["area_id", "geometry"]], old], ignore_index=True)
    # the two 1 km cells under a0 and a1: ssbid = (x + 2 000 000) * 10^7 + y
    ids = [(X0 + 2_000_000) * 10**7 + Y0, (X0 + 1000 + 2_000_000) * 10**7 + Y0]
    grid = gpd.GeoDataFrame(
        {"ssbid": ids, "pop_tot": [300.0, 100.0]},
        geometry=cell_polygons(ids, 1000),
        crs="EPSG:25833",
    )
    grid.attrs["cell_size"] = 1000
    table = pd.DataFrame(
        {
            "area_id": ["old", "a0", "a1"],
            "year": [2010, 2011, 2011],
            "numerator": [40.0, 5.0, 6.0],
            "denominator": [400.0, 50, 60],
        }
    )
    moved = common_areas(table, source_areas=source, target_areas=target, grid=grid)
    y2010 = moved[moved["year"] == 2010].set_index("area_id")
    assert y2010.loc["a0", "numerator"] == pytest.approx(30.0)  # 3/4 of the people live in a0
    assert y2010.loc["a1", "numerator"] == pytest.approx(10.0)
    assert moved.attrs["conversions"][2010]["conserved"]
    assert moved[moved["year"] == 2011]["numerator"].tolist() == [5.0, 6.0]


# -- outputs ---------------------------------------------------------------------------


def test_write_evaluation_writes_tables_gpkg_figures_and_section(rates, tmp_path):
    areas = _squares(8)
    pop = rates[["area_id", "year"]].assign(
        pop_tot=rates["denominator"],
        pop_0_17=rates["denominator"] * 0.2,
        pop_67_plus=rates["denominator"] * 0.1,
    )
    result = evaluate(
        rates,
        treated=["a0", "a1"],
        start=2007,
        end=2010,
        areas=areas,
        population=pop,
        labels={"x": "Andel <x>"},
        **FAST,
    )
    written = write_evaluation(result, tmp_path / "nb")
    for name in ("changes", "estimates", "event_study", "pretrend", "placebo", "balance"):
        assert written[name].exists()
    changes = pd.read_csv(written["changes"], dtype={"area_id": str}).set_index("area_id")
    # a7 has 8 persons: every figure of it is withheld, the others are shown
    assert changes.loc["a7", ["before", "change_during", "numerator_before"]].isna().all()
    assert changes.loc["a7", "suppressed"]
    assert changes.loc["a3", ["before", "children_before"]].notna().all()
    assert changes.loc["a3", "children_before"] == pytest.approx(20.0)
    layers = [name for name, _ in pyogrio.list_layers(written["gpkg"])]
    assert layers == ["change_x"]
    layer = gpd.read_file(written["gpkg"], layer="change_x")
    assert len(layer) == 8
    assert "relative_during" in layer
    figures = sorted(p.name for p in (tmp_path / "nb" / "figures").iterdir())
    assert figures == ["areas_x.png", "change_map_x.png", "trend_x.png"]
    html = written["html"].read_text(encoding="utf-8")
    for part in ("<h2>Utvikling</h2>", "Andel &lt;x&gt;", "Område 0", "data:image/png;base64,"):
        assert part in html
    en = write_evaluation(result, tmp_path / "en", lang="en", figures=False)
    assert "Development over time" in en["html"].read_text(encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_evaluation(result, tmp_path / "en", lang="en", figures=False)


def test_population_and_composition_stand_beside_the_rates(rates):
    pop = rates[["area_id", "year"]].assign(
        pop_tot=1000.0 + 10 * (rates["year"] - 2004), pop_0_17=250.0, pop_67_plus=100.0
    )
    result = evaluate(rates, treated=["a0", "a1"], start=2007, end=2010, population=pop, **FAST)
    row = result.changes.set_index("area_id").loc["a0"]
    before = np.mean([1000, 1010, 1020, 1030])  # 2004–2007
    after = np.mean([1070, 1080])  # 2011–2012
    assert row["pop_before"] == pytest.approx(before)
    assert row["pop_change_pct"] == pytest.approx(100 * (after / before - 1))
    assert row["children_before"] == pytest.approx(100 * 250 / before)


def test_cli_evaluate_writes_and_prints_the_main_numbers(rates, tmp_path, capsys):
    path = tmp_path / "x.csv"
    rates.assign(label="Andel X").to_csv(path, index=False)
    areas = tmp_path / "areas.gpkg"
    _squares(8).to_file(areas)
    code = main(
        [
            "evaluate",
            str(path),
            "--areas",
            str(areas),
            "--treated",
            "a0,a1",
            "--period",
            "2007-2010",
            "-o",
            str(tmp_path / "out"),
            "--n-boot",
            "99",
            "--n-perm",
            "99",
            "--lang",
            "en",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "Andel X – during:" in printed
    assert "Pre-trend test" in printed
    assert (tmp_path / "out" / "utvikling.html").exists()
    assert (
        main(
            [
                "evaluate",
                str(path),
                "--treated",
                "zz",
                "--period",
                "2007-2010",
                "-o",
                str(tmp_path / "bad"),
            ]
        )
        == 1
    )
    assert (
        main(
            [
                "evaluate",
                str(path),
                "--treated",
                "a0",
                "--period",
                "2007",
                "-o",
                str(tmp_path / "bad"),
            ]
        )
        == 2
    )


def _real_cells(realdata, year, bounds):
    from geoloft.grid import read_grid

    g = read_grid(
        realdata / "ssb-grid-norway-250m-series" / f"NOR0250M_POP_{year}.csv",
        cell_size=250,
        geometry=False,
    )
    x, y = ssbid_to_corners(g["ssbid"].to_numpy())
    x0, y0, x1, y1 = bounds
    g = g[(x >= x0 - 250) & (x <= x1) & (y >= y0 - 250) & (y <= y1)]
    cells = gpd.GeoDataFrame(
        g, geometry=cell_polygons(g["ssbid"].to_numpy(), 250), crs="EPSG:25833"
    )
    cells.attrs["cell_size"] = 250
    return cells


def test_households_on_old_delbydel_codes_move_to_the_2017_units(realdata):
    from geoloft.boundaries import read_boundaries

    raw = pd.read_csv(
        realdata / "oslo-indicators" / "husholdninger_med_barn_delbydel_2008-2018.csv",
        sep=";",
        dtype={"delbydelid": str},
    )
    raw = raw[raw["delbydelid"].notna() & raw["År"].isin([2016, 2017])]
    raw["area_id"] = raw["delbydelid"].str[-4:]
    raw["with_children"] = raw["Antall husholdninger"].where(
        raw["Barn i husholdningen"] != "Ingen barn i HH", 0.0
    )
    counts = (
        raw.groupby(["area_id", "År"])[["with_children", "Antall husholdninger"]]
        .sum()
        .reset_index()
        .set_axis(["area_id", "year", "numerator", "denominator"], axis=1)
    )
    target = read_boundaries(
        realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson",
        id_column="DELBYDEL",
        name_column="DELBYDELSN",
    )
    # Hasle-Løren (0207) became Løren (0208) and Hasle (0209) in 2017
    union = target[target["area_id"].isin(["0208", "0209"])].union_all()
    old = gpd.GeoDataFrame({"area_id": ["0207"]}, geometry=[union], crs=target.crs)
    source = gpd.GeoDataFrame(
        pd.concat([target[["area_id", "geometry"]], old], ignore_index=True), crs=target.crs
    )
    cells = _real_cells(realdata, 2016, target.total_bounds)
    moved = common_areas(counts, source_areas=source, target_areas=target, grid=cells)
    notes = moved.attrs["conversions"][2016]
    assert notes["conserved"]
    y2016 = moved[moved["year"] == 2016].set_index("area_id")
    old_count = counts.set_index(["area_id", "year"]).loc[("0207", 2016), "denominator"]
    # the old unit is exactly the union of the new ones: its count lands there in full
    assert y2016.loc[["0208", "0209"], "denominator"].sum() == pytest.approx(old_count)
    # unchanged units keep their own count (their source and target geometry are the same)
    same = counts.set_index(["area_id", "year"]).loc[("1104", 2016), "denominator"]
    assert y2016.loc["1104", "denominator"] == pytest.approx(same)
    # what lies outside every 2017 unit is reported, not lost
    assert notes["unplaced"]["denominator"] > 0
    assert notes["total_out"]["denominator"] + notes["unplaced"]["denominator"] == (
        pytest.approx(notes["total_in"]["denominator"])
    )


def test_project_step_runs_from_settings_and_returns_the_section(rates, tmp_path):
    from dataclasses import dataclass, field
    from pathlib import Path

    from geoloft.evaluation.project import run_step

    table = tmp_path / "long.csv"
    rates.assign(label="Andel X").to_csv(table, index=False)

    @dataclass
    class Settings:  # the fields of geoloft.config.EvaluateConfig
        indicators: Path | None = table
        population: Path | None = None
        treated: list = field(default_factory=list)
        start: int | None = 2007
        end: int | None = 2010
        comparison: str = "matched"
        comparison_areas: list = field(default_factory=list)
        exclude: list = field(default_factory=lambda: ["a7"])
        counts: list = field(default_factory=list)
        n_matches: int = 2
        n_boot: int = 99
        n_perm: int = 99
        notes: list = field(default_factory=lambda: ["En merknad <fra prosjektet>."])

    step = run_step(
        Settings(),
        areas=_squares(8),
        run_treated=["a0", "a1"],
        out=tmp_path,
        lang="nb",
        overwrite=False,
        threshold=10,
    )
    assert step.result.programme.treated == ("a0", "a1")
    assert step.files["gpkg"] == tmp_path / "evaluate" / "evaluate.gpkg"
    assert step.section.startswith('<section id="utvikling">')
    assert "En merknad &lt;fra prosjektet&gt;." in step.section
    assert "data:image/png;base64," in step.section
    assert set(step.result.matches["area_id"]) <= {"a2", "a3", "a4", "a5", "a6"}
    with pytest.raises(InputError, match="needs indicators, start and end"):
        run_step(
            Settings(start=None),
            areas=_squares(8),
            run_treated=["a0"],
            out=tmp_path / "x",
            lang="nb",
            overwrite=False,
            threshold=10,
        )


def test_areas_inside_and_treated_from_a_boundary_file(rates, tmp_path, capsys):
    from geoloft.evaluation import areas_inside

    areas = _squares(8)
    # a zone over all of a0, 60 % of a1 and 30 % of a2 (in EPSG:4326, as GeoJSON is)
    zone = gpd.GeoDataFrame(
        geometry=[
            shapely.box(X0, Y0, X0 + 1600, Y0 + 1000).union(
                shapely.box(X0 + 2000, Y0, X0 + 2300, Y0 + 1000)
            )
        ],
        crs="EPSG:25833",
    ).to_crs("EPSG:4326")
    assert areas_inside(areas, zone) == ["a0", "a1"]
    assert areas_inside(areas, zone, min_share=0.25) == ["a0", "a1", "a2"]
    with pytest.raises(InputError, match="min_share"):
        areas_inside(areas, zone, min_share=0)
    path = tmp_path / "x.csv"
    rates.to_csv(path, index=False)
    areas.to_file(tmp_path / "areas.gpkg")
    zone.to_file(tmp_path / "zones.geojson")
    code = main(
        [
            "evaluate",
            str(path),
            "--areas",
            str(tmp_path / "areas.gpkg"),
            "--treated-from",
            str(tmp_path / "zones.geojson"),
            "--period",
            "2007-2010",
            "-o",
            str(tmp_path / "o"),
            "--n-boot",
            "99",
            "--n-perm",
            "99",
        ]
    )
    assert code == 0
    summary = (tmp_path / "o" / "evaluate.json").read_text(encoding="utf-8")
    assert '"treated": [\n      "a0",\n      "a1"\n    ]' in summary
    capsys.readouterr()
    assert main(["evaluate", str(path), "--period", "2007-2010", "-o", str(tmp_path / "p")]) == 2


def test_read_long_table_melts_one_column_per_year(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("bydel;Persons 2007;Persons 2008\n030112;44 000;45 100\n030111;:;29 000\n")
    table = read_long_table(path, columns={"bydel": "area_id"}, indicator="pop", wide=True)
    got = table.set_index(["area_id", "year"])["value"]
    assert got[("030112", 2008)] == 45_100
    assert np.isnan(got[("030111", 2007)])
    assert sorted(table["year"].unique()) == [2007, 2008]
    with pytest.raises(SchemaError, match="no column names a year"):
        read_long_table(
            path,
            columns={"bydel": "area_id", "Persons 2007": "a", "Persons 2008": "b"},
            indicator="pop",
            wide=True,
        )


def test_synthetic_placebo_in_space_ranks_a_real_break_first():
    rng = np.random.default_rng(2)
    years = list(range(2004, 2014))
    rows = []
    for i in range(12):
        base = rng.normal(30, 4)
        for y in years:
            jump = 6.0 if i < 2 and y > 2008 else 0.0
            rows.append((f"a{i:02d}", y, "x", base + 0.3 * (y - 2004) + jump + rng.normal(0, 0.3)))
    table = pd.DataFrame(rows, columns=["area_id", "year", "indicator", "value"])
    result = evaluate(
        table, treated=["a00", "a01"], start=2008, end=2013, comparison="synthetic", **FAST
    )
    est = result.estimates.iloc[0]
    # the real break is the largest post/pre gap ratio among 11 areas: p = 1 / 11
    assert est["n_synthetic_placebos"] == 10
    assert est["p_synthetic"] == pytest.approx(1 / 11)
    assert est["rmspe_ratio"] > 5


def test_a_table_without_years_after_the_start_is_refused(rates):
    early = rates[rates["year"] <= 2007]
    with pytest.raises(InputError, match="x: no year after the baseline"):
        evaluate(early, treated=["a0"], start=2007, end=2010, **FAST)


def test_missing_area_years_are_left_out_not_taken_as_zero(rates):
    holes = rates.copy()
    holes.loc[(holes["area_id"] == "a3") & (holes["year"] == 2009), "numerator"] = np.nan
    full = evaluate(rates, treated=["a0", "a1"], start=2007, end=2010, **FAST)
    gappy = evaluate(holes, treated=["a0", "a1"], start=2007, end=2010, **FAST)
    assert gappy.estimates["estimate"].notna().all()
    assert len(gappy.panel.dropna(subset=["value"])) == len(full.panel) - 1
    est = gappy.estimates.set_index("effect")
    assert est.loc["during", "estimate"] == pytest.approx(3.0, abs=0.8)


def test_groruddalen_worked_example_through_the_command(realdata, tmp_path, capsys):
    """The register part of docs/evaluate.md's example, end to end, with few replicates."""
    from geoloft.boundaries import GeometryRepairWarning

    pop = read_population_by_age(
        realdata / "ssb-population-bydel-2001-2020" / "Personerward2001-2020.csv"
    )
    pop = pop[(pop["valid"] == "") & pop["area_id"].str.match(r"^0301(0[1-9]|1[0-7])$")]
    keep = pop[["area_id", "year"]]
    table = pd.concat(
        [
            keep.assign(indicator="population", value=pop["pop_tot"]),
            keep.assign(
                indicator="children", numerator=pop["pop_0_17"], denominator=pop["pop_tot"]
            ),
        ]
    )
    table.to_csv(tmp_path / "long.csv", index=False)
    pop[["area_id", "year", "pop_tot", "pop_0_17", "pop_67_plus"]].to_csv(
        tmp_path / "pop.csv", index=False
    )
    args = [
        "evaluate", str(tmp_path / "long.csv"),
        "--areas", str(realdata / "oslo-bydeler-gpkg" / "oslo_bydeler.gpkg"),
        "--id-column", "bydelsnr",
        "--treated", "030109,030110,030111,030112",
        "--period", "2007-2016",
        "--exclude", "030116,030117",
        "--counts", "population",
        "--population", str(tmp_path / "pop.csv"),
        "--n-boot", "199", "--n-perm", "199", "-o", str(tmp_path / "out"), "--lang", "en",
    ]  # fmt: skip
    with pytest.warns(GeometryRepairWarning):
        assert main(args) == 0
    printed = capsys.readouterr().out
    assert "population – during:" in printed
    assert "Pre-trend test: paths diverged already before the programme" in printed
    assert "Placebo years: fake start 2005" in printed
    out = tmp_path / "out"
    for name in ("trend_population.png", "areas_children.png", "change_map_children.png"):
        assert (out / "figures" / name).stat().st_size > 10_000
    est = pd.read_csv(out / "estimates.csv").set_index(["indicator", "effect"])
    # Groruddalen grew more slowly than the rest of Oslo (log points; the register says so)
    reg = pop.set_index(["area_id", "year"])["pop_tot"]
    grorud = ["030109", "030110", "030111", "030112"]
    rest = [a for a in pop["area_id"].unique() if a not in (*grorud, "030116", "030117")]

    def growth(ids):
        return np.mean([np.log(reg[(a, 2016)] / reg[(a, 2007)]) for a in ids])

    assert est.loc[("population", "during"), "estimate"] < 0
    assert growth(grorud) - growth(rest) < 0
    changes = pd.read_csv(out / "changes.csv", dtype={"area_id": str}).set_index(
        ["indicator", "area_id"]
    )
    alna = pop[(pop["area_id"] == "030112") & pop["year"].between(2004, 2007)]
    assert changes.loc[("children", "030112"), "before"] == pytest.approx(
        100 * alna["pop_0_17"].sum() / alna["pop_tot"].sum()
    )
    assert "Development over time" in (out / "utvikling.html").read_text(encoding="utf-8")
