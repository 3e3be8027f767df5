"""The whole pipeline: demo end to end, determinism, init + run, overwrite, provenance."""

from __future__ import annotations

import json
import sqlite3

import pyogrio
import pytest

from geoloft.cli import main
from geoloft.config import Project, load_project
from geoloft.demo import demo_data_dir, write_demo_project
from geoloft.errors import ConfigError, OutputExistsError
from geoloft.pipeline import run


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One demo run from the CLI, shared by the tests that only read its output."""
    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["demo", "--out", str(out)]) == 0
    return out


def test_demo_writes_the_documented_layout(demo_run):
    for rel in (
        "geoloft.gpkg",
        "intervention_areas.geojson",
        "maps/overview.html",
        "figures/overview.png",
        "report.html",
        "run.json",
    ):
        assert (demo_run / rel).is_file(), rel
    layers = {name for name, _ in pyogrio.list_layers(demo_run / "geoloft.gpkg")}
    assert {"areas", "grid", "intervention_areas", "measures"} <= layers


def test_demo_areas_and_zones_are_consistent(demo_run):
    areas = pyogrio.read_dataframe(demo_run / "geoloft.gpkg", layer="areas")
    zones = pyogrio.read_dataframe(demo_run / "geoloft.gpkg", layer="intervention_areas")
    assert areas.crs.equals("EPSG:25833")
    assert areas["area_id"].is_unique
    assert areas["area_id"].str.fullmatch(r"\d{4}").all()
    assert len(zones) >= 1
    members = {m for text in zones["members"] for m in text.split(",")}
    assert members <= set(areas["area_id"])
    # Every zone is (up to boundary precision) the union of its member units.
    for _, zone in zones.iterrows():
        units = areas[areas["area_id"].isin(zone["members"].split(","))]
        assert abs(units.union_all().area - zone.geometry.area) <= 1e-6 * zone.geometry.area


def test_gpkg_carries_qgis_styles(demo_run):
    with sqlite3.connect(demo_run / "geoloft.gpkg") as con:
        rows = con.execute("SELECT f_table_name, useAsDefault FROM layer_styles").fetchall()
    assert {name for name, _ in rows} >= {"areas", "grid"}
    assert all(flag == 1 for _, flag in rows)


def test_run_json_has_provenance(demo_run):
    record = json.loads((demo_run / "run.json").read_text(encoding="utf-8"))
    assert record["versions"]["geoloft"]
    assert record["seed"] == 0
    assert all(len(v["sha256"]) == 64 for v in record["inputs"].values())
    stages = {s["stage"] for s in record["stages"]}
    assert {"read_boundaries", "read_grid", "read_indicators", "read_measures"} <= stages
    for stage in record["stages"]:
        assert stage["rows_out"] <= stage["rows_in"] or stage["stage"] in ("join_grid", "delineate")


def test_report_is_escaped_and_mentions_synthetic_data(demo_run):
    page = (demo_run / "report.html").read_text(encoding="utf-8")
    assert '<html lang="nb">' in page
    assert "SYNTETISKE DATA" in page
    assert "@media print" in page
    assert "<script" not in page  # the report itself runs no script


def test_same_input_gives_identical_outputs(tmp_path):
    project = load_project(write_demo_project(tmp_path / "p"))
    first = run(project, out=tmp_path / "a")
    second = run(project, out=tmp_path / "b")
    same = [
        "intervention_areas.geojson",
        "report.html",
        "maps/overview.html",
        "maps/Z01.html",
        "figures/overview.png",
    ]
    for rel in same:
        assert (first.out / rel).read_bytes() == (second.out / rel).read_bytes(), rel
    for layer in ("areas", "grid", "intervention_areas", "measures"):
        layer_a = pyogrio.read_dataframe(first.out / "geoloft.gpkg", layer=layer)
        layer_b = pyogrio.read_dataframe(second.out / "geoloft.gpkg", layer=layer)
        assert layer_a.equals(layer_b), layer
    record_a = json.loads((first.out / "run.json").read_text(encoding="utf-8"))
    record_b = json.loads((second.out / "run.json").read_text(encoding="utf-8"))
    for record in (record_a, record_b):  # only the timestamp and timings may differ
        record.pop("created")
        record.pop("timings_s")
    assert record_a == record_b


def test_init_then_run(tmp_path):
    folder = tmp_path / "myproject"
    assert main(["init", str(folder)]) == 0
    assert (folder / "project.toml").read_text(encoding="utf-8").startswith("# geoloft")
    assert main(["run", str(folder / "project.toml"), "--only", "score"]) == 0
    assert (folder / "output" / "run.json").is_file()
    # A second run into the same folder needs --overwrite.
    assert main(["run", str(folder / "project.toml"), "--only", "score"]) == 1
    assert main(["run", str(folder / "project.toml"), "--only", "score", "--overwrite"]) == 0


def test_output_folder_may_not_hold_inputs(tmp_path):
    project = load_project(write_demo_project(tmp_path / "p"))
    with pytest.raises(OutputExistsError, match="holds input files"):
        run(project, out=tmp_path / "p" / "data")


def test_demo_data_is_found():
    assert (demo_data_dir() / "boundaries" / "demoby_delbydeler.geojson").is_file()


def test_unknown_columns_are_listed_before_any_work(tmp_path):
    path = write_demo_project(tmp_path / "p")
    text = path.read_text(encoding="utf-8")
    text = text.replace('id_column = "DELBYDEL"', 'id_column = "DELBYDL"')
    text = text.replace('key = "delbydel_id"', 'key = "delbydel"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Exception, match="2 problems") as info:
        run(load_project(path), out=tmp_path / "out")
    message = str(info.value)
    assert "did you mean 'DELBYDEL'" in message
    assert "did you mean 'delbydel_id'" in message
    assert not (tmp_path / "out" / "run.json").exists()


def test_project_made_in_code_without_boundaries_is_refused(tmp_path):
    # load_project refuses a project without boundaries; run() must too, before any work
    with pytest.raises(ConfigError, match=r"'inputs\.boundaries\.path' is required"):
        run(Project(root=tmp_path), out=tmp_path / "out")
    assert not (tmp_path / "out").exists()
