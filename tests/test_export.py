"""Exports read back with pyogrio: ids, æøå names, CRS, geometry, styles, atomicity."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geoloft.errors import CRSError, InputError, OutputExistsError
from geoloft.export import LayerStyle, write, write_layers
from geoloft.export.formats import read_layer_styles
from geoloft.export.shapefile import shapefile_field_map


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    # Two squares of 1 km² and a triangle of 0.5 km² near Oslo (EPSG:25833 metres).
    x0, y0 = 262_000, 6_650_000
    geoms = [
        shapely.box(x0, y0, x0 + 1000, y0 + 1000),
        shapely.box(x0 + 1000, y0, x0 + 2000, y0 + 1000),
        shapely.Polygon([(x0, y0 + 1000), (x0 + 1000, y0 + 1000), (x0, y0 + 2000)]),
    ]
    return gpd.GeoDataFrame(
        {
            "area_id": ["0101", "0102", "0301"],
            "name": ["Grünerløkka", "Sagene Øst", "Ærøy-Bø"],
            "low_income_rate": [12.5, 3.25, np.nan],
            "members": [["0101", "0102"], ["0102"], []],
        },
        geometry=geoms,
        crs="EPSG:25833",
    )


FORMATS = ["gpkg", "geojson", "fgb", "shp", "parquet", "csv"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_keeps_ids_names_crs_and_area(tmp_path, areas, suffix):
    path = write(areas, tmp_path / f"areas.{suffix}")
    if suffix == "csv":
        back = gpd.read_file(path, engine="pyogrio")
        back = gpd.GeoDataFrame(
            back, geometry=gpd.GeoSeries.from_wkt(back["WKT"]), crs="EPSG:25833"
        )
    elif suffix == "parquet":
        back = gpd.read_parquet(path)
    else:
        back = pyogrio.read_dataframe(path)
    if suffix == "fgb":  # a spatial index orders features along its Hilbert curve
        back = back.sort_values("area_id", ignore_index=True)
    assert back["area_id"].tolist() == ["0101", "0102", "0301"]
    assert back["name"].tolist() == ["Grünerløkka", "Sagene Øst", "Ærøy-Bø"]
    expected_crs = "EPSG:4326" if suffix == "geojson" else "EPSG:25833"
    assert back.crs.equals(expected_crs)
    back_area = back.to_crs(25833).area.to_numpy()
    np.testing.assert_allclose(back_area, areas.area.to_numpy(), rtol=1e-6)


def test_geojson_is_rfc7946(tmp_path, areas):
    text = write(areas, tmp_path / "a.geojson").read_text(encoding="utf-8")
    assert '"crs"' not in text  # RFC 7946 has no crs member; WGS84 lon/lat implied
    lon, lat = pyogrio.read_dataframe(tmp_path / "a.geojson").geometry[0].exterior.coords[0]
    assert 10 < lon < 11
    assert 59 < lat < 61


def test_target_crs_25832(tmp_path, areas):
    back = pyogrio.read_dataframe(write(areas, tmp_path / "a.gpkg", crs="EPSG:25832"))
    assert back.crs.equals("EPSG:25832")
    np.testing.assert_allclose(back.to_crs(25833).area, areas.area, rtol=1e-6)


def test_gpkg_layers_styles_and_descriptions(tmp_path, areas):
    style = LayerStyle(
        column="low_income_rate",
        breaks=(0, 5, 15),
        colours=("#fde725", "#440154"),
        labels=("0–5", "5–15"),
    )
    path = write_layers(
        {"areas": areas, "centres": areas.set_geometry(areas.centroid)},
        tmp_path / "out.gpkg",
        styles={"areas": style},
        descriptions={"areas": "Delbydeler med indikatorer"},
        metadata={"title": "Demo", "licence": "CC BY 4.0"},
    )
    layers = [name for name, _ in pyogrio.list_layers(path)]
    assert layers == ["areas", "centres", "layer_styles"]  # QGIS registers it the same way
    rows = read_layer_styles(path)
    assert [r["f_table_name"] for r in rows] == ["areas"]
    assert rows[0]["useAsDefault"] == 1
    assert "&quot;low_income_rate&quot; &gt;= " in rows[0]["styleQML"]  # rule on the column
    assert "#440154" not in rows[0]["styleQML"]
    assert "68,1,84" in rows[0]["styleQML"]
    with sqlite3.connect(path) as con:
        desc = con.execute(
            "SELECT description FROM gpkg_contents WHERE table_name='areas'"
        ).fetchone()[0]
    assert desc == "Delbydeler med indikatorer"
    assert pyogrio.read_info(path, layer="areas")["layer_metadata"]["title"] == "Demo"
    # reading lists layers; GDAL wrote a .aux.xml beside a GeoPackage with dataset metadata
    before = sorted(tmp_path.iterdir())
    pyogrio.list_layers(path)
    pyogrio.read_dataframe(path, layer="areas")
    assert sorted(tmp_path.iterdir()) == before


def test_shapefile_field_names_and_sidecars(tmp_path, areas):
    wide = areas.assign(low_income_flag=[True, False, True])
    path = write(wide, tmp_path / "a.shp")
    assert (tmp_path / "a.cpg").read_text() == "UTF-8"
    mapping = (tmp_path / "a.fields.csv").read_text(encoding="utf-8").splitlines()
    assert "low_income,low_income_rate" in mapping
    assert "low_inco_1,low_income_flag" in mapping
    fields = pyogrio.read_info(path)["fields"].tolist()
    assert all(len(f) <= 10 for f in fields)
    assert not list(tmp_path.glob(".*"))  # no temporary leftovers


def test_field_map_is_stable_and_unique():
    cols = [f"indicator_{i}" for i in range(12)]
    first, second = shapefile_field_map(cols), shapefile_field_map(cols)
    assert first == second
    assert len(set(first.values())) == 12
    assert all(len(v) <= 10 for v in first.values())


def test_refuses_to_overwrite_without_flag(tmp_path, areas):
    path = write(areas, tmp_path / "a.gpkg")
    before = path.read_bytes()
    with pytest.raises(OutputExistsError, match="exists; pass overwrite=True"):
        write(areas.head(1), path)
    assert path.read_bytes() == before
    write(areas.head(1), path, overwrite=True)
    assert len(pyogrio.read_dataframe(path)) == 1


def test_never_overwrites_an_input(tmp_path, areas):
    path = write(areas, tmp_path / "in.gpkg")
    with pytest.raises(OutputExistsError, match="input"):
        write(areas, path, overwrite=True, inputs=(path,))


def test_interrupted_write_leaves_no_partial_file(tmp_path, areas, monkeypatch):
    import geoloft.export.formats as formats

    def explode(*args, **kwargs):
        (args[1]).write_bytes(b"half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(formats.pyogrio, "write_dataframe", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        write(areas, tmp_path / "a.gpkg")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_survives_failed_overwrite(tmp_path, areas, monkeypatch):
    path = write(areas, tmp_path / "a.gpkg")
    before = path.read_bytes()
    import geoloft.export.formats as formats

    monkeypatch.setattr(
        formats.pyogrio,
        "write_dataframe",
        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")),
    )
    with pytest.raises(RuntimeError):
        write(areas, path, overwrite=True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.gpkg"]


def test_bad_format_and_missing_crs(tmp_path, areas):
    with pytest.raises(InputError, match=r"a\.kml.*cannot write '\.kml'.*\.gpkg"):
        write(areas, tmp_path / "a.kml")
    with pytest.raises(CRSError, match="no CRS"):
        write(areas.set_crs(None, allow_override=True), tmp_path / "a.gpkg")
    with pytest.raises(InputError, match="holds one layer"):
        write_layers({"a": areas, "b": areas}, tmp_path / "a.geojson")


def test_shapefile_refuses_text_it_would_cut(tmp_path, areas):
    long = areas.assign(members=[",".join(f"{i:04d}" for i in range(60)), "0102", ""])
    with pytest.raises(InputError, match=r"column 'members'.*1 row: 1.*254 bytes.*\.gpkg"):
        write(long, tmp_path / "zones.shp")
    assert list(tmp_path.iterdir()) == []


def test_flatgeobuf_and_geoparquet_carry_title_source_and_licence(tmp_path, areas):
    # Only the GeoPackage (and GeoJSON's description) kept them; FlatGeobuf has layer
    # metadata and GeoParquet file metadata for the same purpose.
    import json

    import pyarrow.parquet as pq

    meta = {"title": "Levekår i Oslo", "source": "SSB", "licence": "CC BY 4.0"}
    fgb = write(areas, tmp_path / "a.fgb", metadata=meta, description="Delbydeler")
    info = pyogrio.read_info(fgb)["layer_metadata"]
    assert info["TITLE"] == "Levekår i Oslo"
    assert info["DESCRIPTION"].startswith("Delbydeler (")
    assert "source: SSB" in info["DESCRIPTION"]
    assert "licence: CC BY 4.0" in info["DESCRIPTION"]
    assert "date: " in info["DESCRIPTION"]
    parquet = write(areas, tmp_path / "a.parquet", metadata=meta)
    schema = pq.read_schema(parquet).metadata
    stored = json.loads(schema[b"geoloft"].decode("utf-8"))
    assert {k: stored[k] for k in meta} == meta
    assert stored["date"]
    assert b"geo" in schema  # still GeoParquet
    back = gpd.read_parquet(parquet)
    assert back.crs.equals("EPSG:25833")
    assert list(back["area_id"]) == list(areas["area_id"])


def test_flatgeobuf_has_a_spatial_index(tmp_path, areas):
    path = write(areas, tmp_path / "a.fgb")
    # GDAL reports a FlatGeobuf's packed R-tree as a fast spatial filter (false without)
    info = pyogrio.read_info(path)
    assert info["capabilities"]["fast_spatial_filter"]
    box = areas.geometry.iloc[2].bounds
    hit = pyogrio.read_dataframe(path, bbox=box)
    assert "0301" in set(hit["area_id"])
