"""The project's [access] section: a run measures reach, proposes sites and publishes them."""

from __future__ import annotations

import json

import numpy as np
import pyogrio
import pytest

import geoloft
from geoloft.accessibility import DIST, access
from geoloft.cli import main
from geoloft.config import load_project
from geoloft.errors import ConfigError


def test_run_writes_access_layers_map_and_report(access_run):
    _, out = access_run
    layers = {name for name, _ in pyogrio.list_layers(out / "geoloft.gpkg")}
    assert {"access_cells", "access_areas", "access_facilities"} <= layers
    assert "access_cells" in layers
    assert (out / "maps" / "access.html").is_file()
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Nærmiljø" in report
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    (stage,) = [s for s in record["stages"] if s["stage"] == "access"]
    # run.json holds the counts of persons as published: rounded to 10.
    for t in (300, 1000):
        value = stage["notes"][f"persons within {t} m"]
        assert value is None or value % 10 == 0


def test_run_matches_the_library_on_the_same_input(access_run):
    folder, out = access_run
    project = load_project(folder / "project.toml")
    grid = geoloft.read_grid(project.inputs.grid.path, cell_size=250)
    cells = pyogrio.read_dataframe(out / "geoloft.gpkg", layer="access_cells")
    facilities = pyogrio.read_dataframe(out / "geoloft.gpkg", layer="access_facilities")
    # The facilities are the demo's physical measures (read independently here).
    measures = geoloft.read_measures(folder / "data" / "measures" / "demoby_tiltak.csv")
    assert len(facilities) == int((measures["category"] == "fysisk").sum())
    own = access(grid, facilities.to_crs(25833), thresholds=[300, 1000]).cells
    merged = cells.merge(own[["ssbid", DIST]], on="ssbid", suffixes=("", "_lib"))
    np.testing.assert_allclose(merged[DIST], merged[f"{DIST}_lib"], atol=1e-6)
    assert "pop_tot" not in cells.columns  # cell populations live in the grid layer


def test_published_area_counts_are_rounded(access_run):
    _, out = access_run
    areas = pyogrio.read_dataframe(out / "geoloft.gpkg", layer="access_areas")
    counts = areas["pop_within_1000"].dropna().to_numpy()
    assert len(counts)
    assert np.all(counts % 10 == 0)


def test_bad_access_settings_are_listed(tmp_path):
    folder = tmp_path / "p"
    assert main(["init", str(folder)]) == 0
    project = folder / "project.toml"
    bad = '\n[access]\ncategory = ["fysisk"]\nthresholds = [0]\nobjective = "centre"\n'
    project.write_text(project.read_text(encoding="utf-8") + bad, encoding="utf-8")
    with pytest.raises(ConfigError, match="objective") as err:
        load_project(project)
    assert "thresholds" in str(err.value)
