"""The synthetic demo city in data/: determinism, topology, schemas, consistency."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoloft.grid import cell_centres, parent_ssbid, ssbid_to_corners

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "make_demo_data.py"
DATA = REPO / "data"
KILDE = "SYNTETISKE DATA – geoloft demoby"
MARKA = ["0701", "0702", "0703"]
STEMS = [
    "lavinntekt",
    "lav_utdanning",
    "ikke_sysselsatt",
    "barn_lavinntekt",
    "frafall",
    "trangbodd",
]


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _first_line(path: Path) -> str:
    with path.open(encoding="utf-8") as file:
        return file.readline()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """A generation made by running the script as a command."""
    out = tmp_path_factory.mktemp("demo")
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True, cwd=REPO)
    return out


@pytest.fixture(scope="module")
def delbydeler() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / "boundaries" / "demoby_delbydeler.geojson").to_crs(25833)


@pytest.fixture(scope="module")
def bydeler() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / "boundaries" / "demoby_bydeler.geojson").to_crs(25833)


@pytest.fixture(scope="module")
def cells(delbydeler) -> pd.DataFrame:
    """The 250 m cells with their delbydel by cell centre (a spatial join, not the script)."""
    frame = pd.read_csv(DATA / "grid" / "demoby_ru250m_syntetisk.csv", sep=";", dtype=str)
    frame = frame.astype({"ru250m": "int64", "pop_tot": "int64"})
    x, y = cell_centres(frame["ru250m"].to_numpy(), 250)
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(x, y), crs=25833)
    joined = points.sjoin(delbydeler[["DELBYDEL", "geometry"]], how="left", predicate="within")
    return pd.DataFrame(joined.drop(columns=["geometry", "index_right"]))


@pytest.fixture(scope="module")
def indicators() -> pd.DataFrame:
    path = DATA / "indicators" / "demoby_levekar_delbydel.csv"
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)


# --- determinism -------------------------------------------------------------------------


def test_two_runs_give_identical_bytes(fresh, tmp_path, load_script):
    load_script("make_demo_data").generate(tmp_path)
    assert _files(tmp_path) == _files(fresh)


def test_the_seed_changes_the_city(fresh, tmp_path, load_script):
    load_script("make_demo_data").generate(tmp_path, seed=7)
    name = "grid/demoby_ru250m_syntetisk.csv"
    assert (tmp_path / name).read_bytes() != (fresh / name).read_bytes()


def test_shipped_data_equal_a_fresh_generation(fresh):
    shipped = _files(DATA)
    assert shipped.pop("README.md")
    made = _files(fresh)
    assert sorted(shipped) == sorted(made)
    changed = [name for name in made if made[name] != shipped[name]]
    assert not changed, f"data/ is stale, run: python scripts/make_demo_data.py ({changed})"


def test_shipped_data_are_small():
    assert sum(len(b) for b in _files(DATA).values()) < 2_000_000


# --- labels and encodings ----------------------------------------------------------------


def test_every_file_says_it_is_synthetic():
    for name, content in _files(DATA).items():
        text = content.decode("utf-8")
        assert "syntetisk" in name.lower() or "SYNTETISK" in text.upper(), name


def test_readme_describes_every_file():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme
    assert "scripts/make_demo_data.py" in readme
    for name in _files(DATA):
        assert name == "README.md" or f"`{name}`" in readme, name


def test_files_are_plain_utf8_with_lf():
    for name, content in _files(DATA).items():
        assert not content.startswith(b"\xef\xbb\xbf"), name
        assert b"\r" not in content, name
        assert content.endswith(b"\n"), name
        content.decode("utf-8")


def test_kilde_on_every_feature_and_row(indicators):
    for name in ["boundaries/demoby_delbydeler.geojson", "boundaries/demoby_bydeler.geojson",
                 "measures/demoby_tiltak_omrader.geojson"]:  # fmt: skip
        features = json.loads((DATA / name).read_text(encoding="utf-8"))["features"]
        assert {f["properties"]["kilde"] for f in features} == {KILDE}, name
    tiltak = pd.read_csv(DATA / "measures" / "demoby_tiltak.csv", sep=";", dtype=str)
    assert set(tiltak["kilde"]) == set(indicators["kilde"]) == {KILDE}


# --- boundaries --------------------------------------------------------------------------


def test_delbydeler_form_a_coverage(delbydeler):
    geoms = delbydeler.geometry.to_numpy()
    assert 30 <= len(geoms) <= 40
    assert shapely.is_valid(geoms).all()
    assert set(shapely.get_type_id(geoms)) == {3}  # Polygon
    assert shapely.coverage_is_valid(geoms)
    assert shapely.is_empty(shapely.coverage_invalid_edges(geoms)).all()
    union = shapely.union_all(geoms)
    assert union.area == pytest.approx(shapely.area(geoms).sum(), rel=1e-6)  # no overlaps
    assert union.geom_type == "Polygon"
    assert not union.interiors


def test_delbydel_schema_matches_oslo(realdata, delbydeler):
    real_path = realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson"
    real = gpd.read_file(real_path)
    assert set(real.columns) <= set(delbydeler.columns)
    demo_crs = json.loads((DATA / "boundaries" / "demoby_delbydeler.geojson").read_bytes())["crs"]
    assert demo_crs == json.loads(real_path.read_bytes())["crs"]
    assert delbydeler["DELBYDEL"].str.fullmatch(r"\d{4}").all()
    assert delbydeler["DELBYDEL"].is_unique
    assert set(delbydeler["KOMM"]) == {"9901"}
    assert delbydeler["DELBYDELSN"].str.contains("[æøåÆØÅ]").any()
    areas = delbydeler["Shape_Area"].to_numpy()
    # Shape_Area is taken before rounding lon/lat to 7 decimals (~1 cm)
    np.testing.assert_allclose(areas, delbydeler.area.to_numpy(), rtol=1e-5)


def test_bydeler_are_exact_unions_of_delbydeler(bydeler, delbydeler):
    assert bydeler["bydelsnr"].str.fullmatch(r"9901\d{2}").all()
    assert bydeler["bydelsnr"].is_unique
    assert shapely.coverage_is_valid(bydeler.geometry.to_numpy())
    groups = delbydeler.groupby(delbydeler["DELBYDEL"].str[:2])
    assert set(groups.groups) == set(bydeler["bydelsnr"].str[4:])
    for code, geom in zip(bydeler["bydelsnr"].str[4:], bydeler.geometry, strict=True):
        union = shapely.union_all(groups.get_group(code).geometry.to_numpy())
        assert union.symmetric_difference(geom).area <= 1e-9 * geom.area, code
        assert union.normalize().equals_exact(geom.normalize(), tolerance=1e-6), code


def test_marka_is_forest_and_the_fjord_is_water(bydeler, cells):
    marka = bydeler.loc[bydeler["bydelsnavn"] == "Marka"]
    assert len(marka) == 1
    assert not cells["DELBYDEL"].str.startswith(marka["bydelsnr"].iloc[0][4:]).any()
    hull = shapely.convex_hull(shapely.union_all(bydeler.geometry.to_numpy()))
    assert hull.area > 1.05 * bydeler.area.sum()  # the fjord and the sea are cut out


# --- grid --------------------------------------------------------------------------------


def test_grid_250m_is_an_ssb_grid_inside_the_city(realdata, cells):
    header = _first_line(realdata / "ssb-grid-norway-2015" / "ru250m_2015.csv")
    assert _first_line(DATA / "grid" / "demoby_ru250m_syntetisk.csv") == header
    x, y = ssbid_to_corners(cells["ru250m"].to_numpy())
    assert (x % 250 == 0).all()
    assert (y % 250 == 0).all()
    assert cells["ru250m"].is_unique
    assert cells["ru250m"].is_monotonic_increasing
    assert cells["DELBYDEL"].notna().all()  # every centre lies in a delbydel
    assert (cells["pop_tot"] >= 1).all()
    assert 3_000 <= len(cells) <= 6_000
    assert 200_000 <= cells["pop_tot"].sum() <= 300_000


def test_grid_is_clustered(cells):
    pop = cells["pop_tot"]
    assert pop.max() > 20 * pop.median()  # dense centre and high-rise estates
    assert (pop < 10).mean() > 0.1  # thinly populated edges


def test_grid_1km_is_the_sum_of_the_250m_cells(realdata, cells):
    path = DATA / "grid" / "demoby_1km_syntetisk.csv"
    header = _first_line(realdata / "ssb-grid-norway-2015" / "nor2015pop_1kmruter.csv")
    assert _first_line(path) == header
    km = pd.read_csv(path, sep=";", dtype=str)
    expected = cells.groupby(parent_ssbid(cells["ru250m"].to_numpy(), 250, 1000))["pop_tot"].sum()
    got = km.set_index(km["ssbid_1000m"].astype("int64"))["pop_tot"].astype("int64")
    pd.testing.assert_series_equal(got, expected, check_names=False, check_index_type=False)
    male, female = km["pop_mal"].astype(int), km["pop_fem"].astype(int)
    assert ((male + female) == got.to_numpy()).all()
    age = km["pop_ave"].str.replace(",", ".").astype(float).to_numpy()
    assert km["pop_ave"].str.contains(",").any()
    np.testing.assert_array_equal(age == 0, got.to_numpy() <= 4)


# --- indicators --------------------------------------------------------------------------


def test_indicator_counts_are_consistent_with_the_grid(indicators, cells):
    people = cells.groupby("DELBYDEL")["pop_tot"].sum()
    assert set(indicators["delbydel_id"]) == set(people.index)  # Marka has nobody, no row
    table = indicators.set_index("delbydel_id")
    assert (table[[f"{s}_d" for s in STEMS]] == ".").sum().sum() == 0
    dens = table[[f"{s}_d" for s in STEMS]].astype(int)
    assert (dens > 0).all().all()
    assert dens.le(people, axis=0).all().all()
    assert (dens["lavinntekt_d"] >= 0.85 * people).all()
    nums = table[[f"{s}_n" for s in STEMS]]
    assert (nums == ".").sum().sum() == 1  # one suppressed value
    counts = nums.replace(".", np.nan).astype(float).to_numpy()
    assert np.nanmin(counts) >= 0
    assert (np.nan_to_num(counts) <= dens.to_numpy()).all()
    assert people.min() < 50  # the harbour


def test_indicators_have_spatial_structure(indicators, delbydeler):
    from esda.moran import Moran
    from libpysal.weights import Queen

    rates = indicators.set_index("delbydel_id")
    rate = rates["lavinntekt_n"].astype(int) / rates["lavinntekt_d"].astype(int)
    areas = delbydeler.set_index("DELBYDEL").loc[rate.index].reset_index()
    big = rates["lavinntekt_d"].astype(int).to_numpy() > 100
    w = Queen.from_dataframe(areas.loc[big], use_index=False)
    moran = Moran(rate.to_numpy()[big], w, permutations=0)
    assert moran.I > 0.3
    assert moran.p_norm < 0.01
    counts = rates[["lavinntekt_n", "lavinntekt_d"]].astype(int)
    by_bydel = counts.groupby(rates["bydel_id"]).sum()
    share = by_bydel["lavinntekt_n"] / by_bydel["lavinntekt_d"]
    assert share.idxmin() == "02"
    assert share.idxmax() in {"04", "05", "06"}


def test_catalogue_declares_the_six_indicators(indicators):
    catalogue = tomllib.loads((DATA / "indicators" / "catalogue.toml").read_text("utf-8"))
    entries = catalogue["indicator"]
    assert len(entries) == 6
    assert len({e["id"] for e in entries}) == 6
    keys = {"id", "label_nb", "label_en", "numerator", "denominator", "domain", "direction",
            "weight", "unit", "definition"}  # fmt: skip
    for entry in entries:
        assert set(entry) == keys
        assert {entry["numerator"], entry["denominator"]} <= set(indicators.columns)
        assert entry["direction"] == "higher_is_worse"
        assert entry["weight"] == 1.0
        assert entry["unit"] == "percent"


# --- measures ----------------------------------------------------------------------------


def test_point_measures(delbydeler, indicators):
    tiltak = pd.read_csv(DATA / "measures" / "demoby_tiltak.csv", sep=";", dtype=str)
    columns = [
        "id",
        "navn",
        "kategori",
        "status",
        "startår",
        "sluttår",
        "budsjett",
        "lon",
        "lat",
        "kilde",
    ]
    assert tiltak.columns.tolist() == columns
    assert 30 <= len(tiltak) <= 40
    assert tiltak["id"].is_unique
    assert tiltak["navn"].is_unique
    assert set(tiltak["kategori"]) == {"fysisk", "sosial", "kulturell"}
    assert set(tiltak["status"]) <= {"planlagt", "pågår", "fullført"}
    start, end = tiltak["startår"].astype(int), tiltak["sluttår"].astype(int)
    assert start.between(2020, 2028).all()
    assert end.between(2020, 2028).all()
    assert (start <= end).all()
    assert (tiltak["budsjett"].astype(int) > 0).all()
    xy = gpd.points_from_xy(tiltak["lon"].astype(float), tiltak["lat"].astype(float), crs=4326)
    points = gpd.GeoDataFrame(tiltak, geometry=xy).to_crs(25833)
    where = points.sjoin(delbydeler, predicate="within")["DELBYDEL"]
    assert len(where) == len(tiltak)  # every measure lies in the city
    table = indicators.set_index("delbydel_id")
    rate = table["lavinntekt_n"].astype(int) / table["lavinntekt_d"].astype(int)
    assert rate.loc[where].median() > rate.median()  # in the poorer areas


def test_polygon_measures(delbydeler):
    parks = gpd.read_file(DATA / "measures" / "demoby_tiltak_omrader.geojson").to_crs(25833)
    assert 3 <= len(parks) <= 5
    assert parks.is_valid.all()
    assert (parks.geom_type == "Polygon").all()
    city = shapely.union_all(delbydeler.geometry.to_numpy())
    assert parks.within(city.buffer(0.01)).all()
    assert {"id", "navn", "kategori", "status", "startår", "sluttår", "budsjett"} <= set(parks)


# --- the package's readers ---------------------------------------------------------------


def test_geoloft_readers_accept_the_demo_files(cells, indicators):
    import geoloft
    from geoloft.indicators.catalogue import load_catalogue

    areas = geoloft.read_boundaries(DATA / "boundaries" / "demoby_delbydeler.geojson")
    assert sorted(areas["area_id"]) == sorted(cells["DELBYDEL"].unique().tolist() + MARKA)
    assert len(geoloft.read_boundaries(DATA / "boundaries" / "demoby_bydeler.geojson")) == 7
    grid = geoloft.read_grid(DATA / "grid" / "demoby_ru250m_syntetisk.csv")
    assert grid["pop_tot"].sum() == cells["pop_tot"].sum()
    km = geoloft.read_grid(DATA / "grid" / "demoby_1km_syntetisk.csv")
    assert km["pop_tot"].sum() == cells["pop_tot"].sum()
    assert km["pop_ave"].isna().sum() == (km["pop_tot"] <= 4).sum()  # SSB's 0 is missing
    table = geoloft.read_indicators(DATA / "indicators" / "demoby_levekar_delbydel.csv")
    assert len(table) == len(indicators)
    assert table["barn_lavinntekt_n"].isna().sum() == 1
    assert len(load_catalogue(DATA / "indicators" / "catalogue.toml").indicators) == 6
    assert len(geoloft.read_measures(DATA / "measures" / "demoby_tiltak.csv")) == 36
    assert len(geoloft.read_measures(DATA / "measures" / "demoby_tiltak_omrader.geojson")) == 4
