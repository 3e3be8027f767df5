"""Tests for read_boundaries: real Norwegian boundary files, hand-made geometry, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geoloft.boundaries import EmptyGeometryWarning, GeometryRepairWarning, read_boundaries
from geoloft.columns import AREA_ID, LEVEL, NAME, PARENT_ID, WORKING_CRS
from geoloft.errors import CRSError, GeometryError, InputError, SchemaError
from geoloft.report import get_report

X0, Y0 = 260_000.0, 6_650_000.0  # a corner in Oslo, EPSG:25833 metres
UTM33 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}}


def square(x: float, y: float, size: float = 100.0) -> list:
    """GeoJSON polygon rings of a square with lower-left corner (X0 + x, Y0 + y)."""
    x, y = X0 + x, Y0 + y
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def feature(props: dict, rings: list | None, kind: str = "Polygon") -> dict:
    geometry = None if rings is None else {"type": kind, "coordinates": rings}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write_geojson(path: Path, features: list[dict], crs: dict | None = UTM33) -> Path:
    collection = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        collection["crs"] = crs
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def areas_frame(ids: list, names: list[str], crs: str = WORKING_CRS) -> gpd.GeoDataFrame:
    geoms = [shapely.box(X0 + 200 * i, Y0, X0 + 200 * i + 100, Y0 + 100) for i in range(len(ids))]
    frame = gpd.GeoDataFrame({"kommunenummer": ids, "kommunenavn": names}, geometry=geoms)
    return frame.set_crs(crs)


# --- real files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kommuner(realdata: Path) -> gpd.GeoDataFrame:
    with pytest.warns(GeometryRepairWarning, match=r"repaired 28 invalid"):
        return read_boundaries(realdata / "kommuner-2024" / "Kommuner-S.geojson")


def test_oslo_delbydeler(realdata: Path) -> None:
    path = realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson"
    areas = read_boundaries(path)
    raw = pyogrio.read_dataframe(path)
    assert len(areas) == 97
    assert areas[AREA_ID].str.fullmatch(r"\d{4}").all()
    named = dict(zip(areas[AREA_ID], areas[NAME], strict=True))
    assert named["0102"] == "Grønland"
    assert named["1104"] == "Haugenstua"
    assert named["1501"] == "Holmlia Syd"
    assert (areas[LEVEL] == "delbydel").all()
    assert areas.crs == WORKING_CRS
    assert not shapely.has_z(areas.geometry.values).any()
    assert areas.is_valid.all()
    # reprojection agrees with geopandas on the same file
    expected = shapely.force_2d(raw.to_crs(WORKING_CRS).geometry.values)
    assert shapely.equals_exact(areas.geometry.values, expected, tolerance=1e-6).all()
    # areas agree with the Shape_Area of the original projected data (within 1 %)
    ratio = areas.area.to_numpy() / raw["Shape_Area"].to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.01)
    assert areas.area.sum() == pytest.approx(raw["Shape_Area"].sum(), rel=0.01)
    report = get_report(areas)
    assert (report.rows_in, report.rows_out, report.dropped) == (97, 97, {})
    assert report.notes["id_column"] == "DELBYDEL"
    assert report.notes["name_column"] == "DELBYDELSN"


def test_parent_column_and_level(realdata: Path) -> None:
    path = realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson"
    areas = read_boundaries(path, parent_column="KOMM", level="område")
    assert (areas[PARENT_ID] == "0301").all()
    assert (areas[LEVEL] == "område").all()
    with pytest.raises(SchemaError, match=r"oslo_delbydeler.geojson.*'bydel'.*DELBYDELSN"):
        read_boundaries(path, parent_column="bydel")


def test_oslo_bydeler_without_number_column(realdata: Path) -> None:
    # The file has names (bnavn) but no bydel number: the names serve as ids.
    path = realdata / "oslo-delbydeler" / "oslo_bydeler2.geojson"
    areas = read_boundaries(path)
    assert len(areas) == 16
    assert (areas[AREA_ID] == areas[NAME]).all()
    assert {"Søndre Nordstrand", "St. Hanshaugen", "Grünerløkka"} <= set(areas[AREA_ID])
    assert (areas[LEVEL] == "bydel").all()
    notes = get_report(areas).notes
    assert "bnavn" in notes["id_from"]
    assert "EPSG:4979" in notes["source_crs"]  # 3D WGS 84, read as 2D
    by_objectid = read_boundaries(path, id_column="objectid")
    assert sorted(by_objectid[AREA_ID], key=int) == [str(i) for i in range(1, 18) if i != 7]


def test_oslo_bydeler_gpkg_marka_repaired(realdata: Path, kommuner: gpd.GeoDataFrame) -> None:
    path = realdata / "oslo-bydeler-gpkg" / "oslo_bydeler.gpkg"
    with pytest.warns(GeometryRepairWarning, match=r"oslo_bydeler.gpkg: repaired 1 .*030117"):
        areas = read_boundaries(path)
    assert areas[AREA_ID].tolist() == [f"0301{i:02d}" for i in range(1, 18)]
    assert (areas[NAME] == areas[AREA_ID]).all()  # the file has no bydel names
    assert areas.is_valid.all()
    assert get_report(areas).notes["repaired_geometries"] == ["030117"]
    # total area as measured independently (realdata README): 481.04 km2
    assert areas.area.sum() / 1e6 == pytest.approx(481.04, rel=0.005)
    # the repaired Marka keeps its big northern part, not only the 40 km2 shell
    assert areas.area.iloc[16] / 1e6 > 250
    # together the 17 bydeler cover Oslo kommune 0301 from an independent source
    oslo = kommuner.geometry[kommuner[AREA_ID] == "0301"].iloc[0]
    covered = shapely.intersection(oslo, shapely.union_all(areas.geometry.values)).area
    assert covered / oslo.area > 0.97


def test_kommuner_geojson(realdata: Path, kommuner: gpd.GeoDataFrame) -> None:
    raw = pyogrio.read_dataframe(realdata / "kommuner-2024" / "Kommuner-S.geojson")
    assert len(kommuner) == 357
    assert kommuner[AREA_ID].tolist() == raw["kommunenummer"].tolist()
    assert kommuner[AREA_ID].str.fullmatch(r"\d{4}").all()
    named = dict(zip(kommuner[AREA_ID], kommuner[NAME], strict=True))
    assert named["0301"] == "Oslo"
    assert {"4601", "5001"} <= set(named)
    assert kommuner.is_valid.all()
    assert set(kommuner.geom_type) <= {"Polygon", "MultiPolygon"}
    report = get_report(kommuner)
    assert (report.rows_in, report.rows_out, report.n_dropped) == (357, 357, 0)
    invalid = raw.loc[~raw.is_valid, "kommunenummer"]
    assert sorted(report.notes["repaired_geometries"]) == sorted(invalid)


def test_kommuner_topojson_matches_geojson(realdata: Path, kommuner: gpd.GeoDataFrame) -> None:
    with pytest.warns(GeometryRepairWarning, match=r"repaired 28 invalid"):
        topo = read_boundaries(realdata / "kommuner-2024" / "Kommuner-S.topojson")
    assert len(topo) == 357
    assert topo[AREA_ID].tolist() == kommuner[AREA_ID].tolist()
    assert topo.crs == WORKING_CRS
    assert topo.area.sum() == pytest.approx(kommuner.area.sum(), rel=0.01)
    same = shapely.equals_exact(topo.geometry.values, kommuner.geometry.values, tolerance=1e-6)
    assert same.all()
    assert get_report(topo).notes["driver"] == "TopoJSON"


# --- hand-made geometry -----------------------------------------------------------------


def quantised_topology() -> dict:
    """Two squares sharing an arc (one with a hole) and a two-part MultiPolygon.

    Positions are quantised (1 unit = 10 m) and delta-encoded.
    """
    return {
        "type": "Topology",
        "transform": {"scale": [10, 10], "translate": [X0, Y0]},
        "arcs": [
            [[100, 0], [0, 100]],  # 0: shared edge, up
            [[100, 100], [-100, 0], [0, -100], [100, 0]],  # 1: rest of A
            [[100, 0], [100, 0], [0, 100], [-100, 0]],  # 2: rest of B
            [[20, 20], [0, 20], [20, 0], [0, -20], [-20, 0]],  # 3: hole in A
            [[300, 0], [50, 0], [0, 50], [-50, 0], [0, -50]],  # 4: C part 1
            [[400, 0], [50, 0], [0, 50], [-50, 0], [0, -50]],  # 5: C part 2
        ],
        "objects": {
            "omrader": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0, 1], [3]], "properties": {"id": "A"}},
                    {"type": "Polygon", "arcs": [[2, -1]], "properties": {"id": "B"}},
                    {"type": "MultiPolygon", "arcs": [[[4]], [[5]]], "properties": {"id": "C"}},
                ],
            }
        },
    }


def test_quantised_topojson(tmp_path: Path) -> None:
    path = tmp_path / "omrader.topojson"
    path.write_text(json.dumps(quantised_topology()))
    areas = read_boundaries(path, crs="EPSG:25833")
    assert areas[AREA_ID].tolist() == ["A", "B", "C"]
    # by hand: A = 1000 m square minus a 200 m hole, B = 1000 m square, C = 2 x 500 m squares
    assert areas.area.tolist() == pytest.approx([960_000, 1_000_000, 500_000])
    assert areas.geom_type.tolist() == ["Polygon", "Polygon", "MultiPolygon"]
    a, b = areas.geometry.iloc[0], areas.geometry.iloc[1]
    assert a.bounds == pytest.approx((X0, Y0, X0 + 1000, Y0 + 1000))
    assert b.bounds == pytest.approx((X0 + 1000, Y0, X0 + 2000, Y0 + 1000))
    assert a.touches(b)
    # GDAL's own TopoJSON driver decodes the same file to the same polygons
    gdal = pyogrio.read_dataframe(path).geometry.values
    assert shapely.equals(areas.geometry.values, gdal).all()


def test_topojson_several_objects_need_layer(tmp_path: Path) -> None:
    topology = quantised_topology()
    topology["objects"]["kopi"] = topology["objects"]["omrader"]
    path = tmp_path / "to.topojson"
    path.write_text(json.dumps(topology))
    with pytest.raises(InputError, match=r"to.topojson: .*omrader, kopi.*Fix: pass layer="):
        read_boundaries(path, crs=25833)
    assert len(read_boundaries(path, crs=25833, layer="kopi")) == 3


def test_bowtie_repaired_and_reported(tmp_path: Path) -> None:
    bowtie = [[[X0, Y0], [X0 + 100, Y0 + 100], [X0 + 100, Y0], [X0, Y0 + 100], [X0, Y0]]]
    path = write_geojson(
        tmp_path / "b.geojson",
        [feature({"id": "0101"}, square(500, 0)), feature({"id": "0102"}, bowtie)],
    )
    with pytest.warns(GeometryRepairWarning, match=r"b.geojson: repaired 1 invalid .*0102"):
        areas = read_boundaries(path)
    repaired = areas.geometry.iloc[1]
    assert repaired.is_valid
    assert repaired.geom_type == "MultiPolygon"
    assert repaired.area == pytest.approx(2 * 0.5 * 100 * 50)  # two triangles
    assert get_report(areas).notes["repaired_geometries"] == ["0102"]


def test_repair_keeps_only_polygon_parts(tmp_path: Path) -> None:
    # a square with a dangling spike repairs to polygon + line; a flat ring to lines only
    spike = [
        [
            [X0, Y0],
            [X0 + 100, Y0],
            [X0 + 100, Y0 + 100],
            [X0 + 150, Y0 + 150],
            [X0 + 100, Y0 + 100],
            [X0, Y0 + 100],
            [X0, Y0],
        ]
    ]
    flat = [[[X0, Y0], [X0 + 100, Y0], [X0 + 200, Y0], [X0, Y0]]]
    path = write_geojson(
        tmp_path / "s.geojson", [feature({"id": "spike"}, spike), feature({"id": "flat"}, flat)]
    )
    with (
        pytest.warns(GeometryRepairWarning, match=r"repaired 2 invalid .*spike, flat"),
        pytest.warns(EmptyGeometryWarning, match=r"s.geojson: dropped 1 row: flat \(no area"),
    ):
        areas = read_boundaries(path)
    assert areas[AREA_ID].tolist() == ["spike"]
    assert areas.geom_type.tolist() == ["Polygon"]
    assert areas.area.iloc[0] == pytest.approx(100 * 100)
    assert get_report(areas).dropped == {"no area left after repair": 1}


def test_empty_geometries_dropped_and_reported(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "e.geojson",
        [
            feature({"id": "1"}, square(0, 0)),
            feature({"id": "2"}, None),
            feature({"id": "3"}, []),
        ],
    )
    with pytest.warns(EmptyGeometryWarning, match=r"e.geojson: dropped 2 rows: 2, 3 \(empty"):
        areas = read_boundaries(path)
    assert areas[AREA_ID].tolist() == ["1"]
    report = get_report(areas)
    assert (report.rows_in, report.rows_out) == (3, 1)
    assert report.dropped == {"empty or missing geometry": 2}


def test_schema_detection(tmp_path: Path) -> None:
    props = {
        "grunnkretsnummer": "03010101",
        "grunnkretsnavn": "Lodalen",
        "kommunenummer": "0301",
        "id": "x",
    }
    areas = read_boundaries(write_geojson(tmp_path / "g.geojson", [feature(props, square(0, 0))]))
    assert areas[[AREA_ID, NAME, LEVEL]].values.tolist() == [["03010101", "Lodalen", "grunnkrets"]]
    assert get_report(areas).notes["other_level_columns"] == ["kommunenummer"]
    plain = write_geojson(tmp_path / "p.geojson", [feature({"ID": 7, "Navn": "Å"}, square(0, 0))])
    areas = read_boundaries(plain)
    assert areas[[AREA_ID, NAME]].values.tolist() == [["7", "Å"]]
    assert LEVEL not in areas.columns


def test_other_formats_round_trip(tmp_path: Path) -> None:
    frame = areas_frame(["0301", "4601"], ["Oslo", "Bergen"])
    for suffix, layers in ((".fgb", None), (".gml", None), (".gpkg", ("a", "lines"))):
        path = tmp_path / f"k{suffix}"
        pyogrio.write_dataframe(frame, path, layer=layers[0] if layers else None)
        if layers:
            lines = gpd.GeoDataFrame(geometry=frame.boundary, crs=frame.crs)
            pyogrio.write_dataframe(lines, path, layer=layers[1])
        path.with_suffix(".xsd").unlink(missing_ok=True)  # GDAL must then scan the GML
        areas = read_boundaries(path).sort_values(AREA_ID, ignore_index=True)  # .fgb reorders
        assert areas[AREA_ID].tolist() == ["0301", "4601"], suffix
        assert areas.geometry.geom_equals_exact(frame.geometry, tolerance=1e-6).all(), suffix
    assert not list(tmp_path.glob("*.gfs"))  # reading GML wrote nothing beside it


def write_shapefile(path: Path, encoding: str, *, keep_cpg: bool, kommunenummer: list) -> Path:
    frame = areas_frame(kommunenummer, ["Bjørvika", "Ærøy"])
    with pytest.warns(RuntimeWarning, match="laundered"):  # kommunenummer -> kommunenum
        pyogrio.write_dataframe(frame, path, encoding=encoding)
    if not keep_cpg:
        path.with_suffix(".cpg").unlink()
    return path


@pytest.mark.parametrize(
    ("encoding", "keep_cpg"),
    [("latin1", False), ("latin1", True), ("utf-8", False)],
    ids=["latin1-no-cpg", "latin1-cpg", "utf8-no-cpg"],
)
def test_shapefile_encodings(tmp_path: Path, encoding: str, keep_cpg: bool) -> None:
    path = write_shapefile(
        tmp_path / "k.shp", encoding, keep_cpg=keep_cpg, kommunenummer=["0301", "0302"]
    )
    areas = read_boundaries(path)
    assert areas[NAME].tolist() == ["Bjørvika", "Ærøy"]
    assert areas[AREA_ID].tolist() == ["0301", "0302"]
    note = get_report(areas).notes["encoding"]
    assert ("k.cpg" in note) if keep_cpg else ("no .cpg" in note)


def test_numeric_kommunenummer_zero_padded(tmp_path: Path) -> None:
    path = write_shapefile(tmp_path / "n.shp", "utf-8", keep_cpg=True, kommunenummer=[301, 4601])
    areas = read_boundaries(path)
    assert areas[AREA_ID].tolist() == ["0301", "4601"]
    assert "zero-padded to 4" in get_report(areas).notes["ids_repaired"]


# --- bad input --------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope.geojson: boundary file not found.*Fix: check"):
        read_boundaries(tmp_path / "nope.geojson")


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "junk.txt"
    path.write_text("this is not a map\n1 2 3\n")
    with pytest.raises(InputError, match=r"junk.txt: cannot open .*Fix: give .*GeoJSON") as err:
        read_boundaries(path)
    # GDAL's advice to prefix the path with a driver name is no help to a planner
    assert "<DRIVER>" not in str(err.value)


def test_truncated_geojson_names_the_place(tmp_path: Path) -> None:
    full = write_geojson(tmp_path / "full.geojson", [feature({"id": "1"}, square(0, 0))])
    path = tmp_path / "cut.geojson"
    path.write_text(full.read_text()[:60], encoding="utf-8")
    with pytest.raises(
        InputError,
        match=r"cut\.geojson: cannot open the file as vector data \(.*line 1.*"
        r"Fix: .*check that the file is complete",
    ):
        read_boundaries(path)


def test_bom_in_geojson_is_read(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "bom.geojson",
        [feature({"kommunenummer": "0301", "kommunenavn": "Bærum"}, square(0, 0))],
    )
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    areas = read_boundaries(path)
    assert areas[[AREA_ID, NAME]].values.tolist() == [["0301", "Bærum"]]


def test_keep_attributes_carries_other_columns(tmp_path: Path) -> None:
    props = [
        {"DELBYDEL": "0101", "DELBYDELSN": "Lodalen", "areal": 1.5, "name": "x", "kilde": "a"},
        {"DELBYDEL": "0102", "DELBYDELSN": "Grønland", "areal": None, "name": "y", "kilde": "b"},
    ]
    path = write_geojson(
        tmp_path / "d.geojson", [feature(p, square(200 * i, 0)) for i, p in enumerate(props)]
    )
    plain = read_boundaries(path)
    assert list(plain.columns) == [AREA_ID, NAME, LEVEL, "geometry"]
    kept = read_boundaries(path, keep_attributes=True)
    assert list(kept.columns) == [AREA_ID, NAME, LEVEL, "areal", "kilde", "geometry"]
    assert kept[NAME].tolist() == ["Lodalen", "Grønland"]  # the detected name column wins
    assert kept["kilde"].tolist() == ["a", "b"]
    assert kept["areal"].iloc[0] == 1.5
    assert np.isnan(kept["areal"].iloc[1])
    assert get_report(kept).notes["attributes not kept"] == {
        "name": "named like a canonical column"
    }


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.geojson"
    path.touch()
    with pytest.raises(InputError, match=r"empty.geojson: the boundary file is empty \(0 bytes"):
        read_boundaries(path)


def test_no_features(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "none.geojson", [])
    with pytest.raises(InputError, match=r"none.geojson: layer 'none' holds no features"):
        read_boundaries(path)


def test_all_geometries_empty(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "void.geojson", [feature({"id": "1"}, None)])
    with (
        pytest.warns(EmptyGeometryWarning),
        pytest.raises(GeometryError, match=r"void.geojson: no feature has a polygon.*Fix"),
    ):
        read_boundaries(path)


def test_no_crs(tmp_path: Path) -> None:
    path = tmp_path / "k.shp"
    no_crs = areas_frame(["0301"], ["Oslo"]).set_crs(None, allow_override=True)
    no_crs = no_crs.rename(columns={"kommunenummer": "knr", "kommunenavn": "knavn"})
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        pyogrio.write_dataframe(no_crs, path)
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(CRSError, match=r"k.shp: the file declares no CRS.*Fix: pass crs="):
        read_boundaries(path)
    assert read_boundaries(path, crs="EPSG:25833").area.iloc[0] == pytest.approx(10_000)


@pytest.mark.parametrize(
    ("coords_crs", "declared", "match"),
    [
        ("EPSG:4326", "EPSG:25833", r"look like longitude/latitude.*Fix: pass crs='EPSG:4326'"),
        ("EPSG:25833", "EPSG:4326", r"look like projected metres.*Fix: .*crs='EPSG:25833'"),
    ],
    ids=["degrees-declared-utm", "metres-declared-lonlat"],
)
def test_declared_crs_does_not_fit(
    tmp_path: Path, coords_crs: str, declared: str, match: str
) -> None:
    frame = areas_frame(["0301"], ["Oslo"]).to_crs(coords_crs)
    path = tmp_path / "wrong.gpkg"
    pyogrio.write_dataframe(frame.set_crs(declared, allow_override=True), path)
    with pytest.raises(CRSError, match=r"wrong.gpkg: the coordinates \(x .*\) do not fit"):
        read_boundaries(path)
    with pytest.raises(CRSError, match=match):
        read_boundaries(path)
    fixed = read_boundaries(path, crs=coords_crs)
    assert fixed.area.iloc[0] == pytest.approx(10_000, rel=1e-3)


def test_coordinates_off_the_area_of_use(tmp_path: Path) -> None:
    # EPSG:3035 (Eurostat LAEA) metres declared as EPSG:25833 land near the Caspian Sea
    frame = areas_frame(["0301"], ["Oslo"]).to_crs("EPSG:3035")
    path = tmp_path / "laea.gpkg"
    pyogrio.write_dataframe(frame.set_crs(WORKING_CRS, allow_override=True), path)
    with pytest.raises(CRSError, match=r"laea.gpkg: .*far outside the area of use.*Fix: pass"):
        read_boundaries(path)
    assert read_boundaries(path, crs="EPSG:3035").area.iloc[0] == pytest.approx(10_000, rel=1e-3)


def test_geojson_in_utm_without_crs_member(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "utm.geojson", [feature({"id": "1"}, square(0, 0))], crs=None)
    with pytest.raises(CRSError, match=r"utm.geojson: .*EPSG:4326.*Fix: .*crs='EPSG:25833'"):
        read_boundaries(path)
    assert read_boundaries(path, crs="EPSG:25833").area.iloc[0] == pytest.approx(10_000)


def test_id_column_missing(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "k.geojson", [feature({"knr": "0301"}, square(0, 0))])
    with pytest.raises(SchemaError, match=r"k.geojson: column 'nope'.*the file has: knr\..*Fix"):
        read_boundaries(path, id_column="nope")


def test_no_id_or_name_column(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "k.geojson", [feature({"verdi": 1}, square(0, 0))])
    with pytest.raises(SchemaError, match=r"k.geojson: found no id column.*verdi.*id_column="):
        read_boundaries(path)


def test_duplicate_ids(tmp_path: Path) -> None:
    features = [
        feature({"kommunenummer": k}, square(200 * i, 0))
        for i, k in enumerate(["0301", "4601", "0301"])
    ]
    path = write_geojson(tmp_path / "d.geojson", features)
    with pytest.raises(SchemaError, match=r"d.geojson: column 'kommunenummer'.*duplicate ids 0301"):
        read_boundaries(path)


def test_missing_ids(tmp_path: Path) -> None:
    features = [feature({"id": v}, square(200 * i, 0)) for i, v in enumerate(["a", None, " "])]
    path = write_geojson(tmp_path / "m.geojson", features)
    with pytest.raises(SchemaError, match=r"m.geojson: column 'id', 2 rows: 2, 3: ids are missing"):
        read_boundaries(path)


@pytest.mark.parametrize(
    ("props", "listed"),
    [
        ({"id": "1", "area_id": "2"}, "id, area_id"),
        ({"bydelsnr": "1", "BYDELNR": "2"}, "bydelsnr, BYDELNR"),
    ],
    ids=["generic", "same-level"],
)
def test_ambiguous_id_columns(tmp_path: Path, props: dict, listed: str) -> None:
    path = write_geojson(tmp_path / "a.geojson", [feature(props, square(0, 0))])
    pattern = rf"a.geojson: several columns could be the id column: {listed}.*id_column="
    with pytest.raises(SchemaError, match=pattern):
        read_boundaries(path)
    assert read_boundaries(path, id_column=listed.split(", ")[1])[AREA_ID].iloc[0] == "2"


def test_specific_schema_preferred_over_generic(tmp_path: Path) -> None:
    props = {"id": "x1", "kommunenummer": "0301", "name": "x", "kommunenavn": "Oslo"}
    areas = read_boundaries(write_geojson(tmp_path / "k.geojson", [feature(props, square(0, 0))]))
    assert areas[[AREA_ID, NAME, LEVEL]].values.tolist() == [["0301", "Oslo", "kommune"]]


def test_non_polygon_geometries(tmp_path: Path) -> None:
    point = {
        "type": "Feature",
        "properties": {"id": "p9"},
        "geometry": {"type": "Point", "coordinates": [X0, Y0]},
    }
    path = write_geojson(tmp_path / "pt.geojson", [feature({"id": "a1"}, square(0, 0)), point])
    with pytest.raises(GeometryError, match=r"pt.geojson: 1 row: p9: geometries are not polygons"):
        read_boundaries(path)


def test_unknown_layer_and_several_polygon_layers(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    for name in ("bydeler", "delbydeler"):
        pyogrio.write_dataframe(areas_frame(["0301"], ["Oslo"]), path, layer=name)
    with pytest.raises(InputError, match=re.escape("two.gpkg: the file has 2 layers")):
        read_boundaries(path)
    with pytest.raises(
        InputError, match=r"no layer 'x'.*bydeler \(Polygon\).*Fix: pass layer=.*--layer"
    ):
        read_boundaries(path, layer="x")
    assert len(read_boundaries(path, layer="delbydeler")) == 1
