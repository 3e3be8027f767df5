"""Every spatial file a demo run writes reads back with ``geoloft info`` and geoloft's readers.

The layers must come back with the rows the run wrote (counted with pyogrio) and, for
areas, polygonal geometry only; reading them must write nothing beside them.
"""

from __future__ import annotations

import pyogrio
import pytest

from geoloft import read_boundaries, read_grid, read_measures
from geoloft.cli import main

#: Layer -> the reader that must take it back.
READERS = {
    "areas": read_boundaries,
    "intervention_areas": read_boundaries,
    "settlements": read_boundaries,
    "grid": read_grid,
    "measures": read_measures,
}
SPATIAL = {".gpkg", ".geojson", ".fgb", ".shp", ".parquet"}


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("readback") / "out"
    assert main(["demo", "--out", str(out)]) == 0
    return out


def _spatial_files(out):
    return sorted(p for p in out.rglob("*") if p.suffix in SPATIAL)


def test_every_spatial_file_reads_back_with_info(demo_out, capsys):
    files = _spatial_files(demo_out)
    assert {p.name for p in files} >= {"geoloft.gpkg", "intervention_areas.geojson"}
    before = sorted(demo_out.rglob("*"))
    for path in files:
        capsys.readouterr()
        assert main(["info", str(path)]) == 0, path
        shown = " ".join(capsys.readouterr().out.split())  # long paths wrap
        assert "kind:" in shown
        if path.suffix == ".gpkg":
            for name, geometry in pyogrio.list_layers(path):
                if geometry is not None:
                    assert f"(layer {name})" in shown
    assert sorted(demo_out.rglob("*")) == before  # reading wrote nothing (no .aux.xml)


@pytest.mark.parametrize("layer", sorted(READERS))
def test_every_gpkg_layer_reads_back_with_its_reader(demo_out, layer):
    path = demo_out / "geoloft.gpkg"
    names = [str(n) for n, _ in pyogrio.list_layers(path)]
    if layer not in names:
        pytest.skip(f"the demo wrote no {layer} layer")
    written = pyogrio.read_dataframe(path, layer=layer)
    back = READERS[layer](path, layer=layer)
    assert len(back) == len(written)
    if layer == "measures":  # ids and sources survive the round trip
        assert back["measure_id"].tolist() == written["measure_id"].tolist()
        assert back["source"].tolist() == written["source"].tolist()
    if READERS[layer] is read_boundaries:
        assert set(back.geom_type) <= {"Polygon", "MultiPolygon"}
        assert set(written.geom_type) <= {"Polygon", "MultiPolygon"}


def test_intervention_areas_geojson_is_polygonal_and_reads_back(demo_out):
    path = demo_out / "intervention_areas.geojson"
    written = pyogrio.read_dataframe(path)
    assert set(written.geom_type) <= {"Polygon", "MultiPolygon"}
    assert written.is_valid.all()
    back = read_boundaries(path, id_column="zone_id")
    assert back["area_id"].tolist() == written["zone_id"].tolist()
