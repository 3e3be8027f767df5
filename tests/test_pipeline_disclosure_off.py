"""``disclosure = false`` in a project: every figure is published, and every map says so."""

from __future__ import annotations

import pyogrio
import pytest

from geoloft.cli import main
from geoloft.demo import write_demo_project
from geoloft.labels import text


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("off")
    project = write_demo_project(root / "p")
    source = project.read_text(encoding="utf-8")
    assert main(["run", str(project), "--out", str(root / "on")]) == 0
    line = "disclosure_threshold = 10"
    project.write_text(source.replace(line, f"disclosure = false\n{line}", 1), encoding="utf-8")
    assert main(["run", str(project), "--out", str(root / "off")]) == 0
    return root / "on", root / "off"


def test_every_map_says_protection_is_off(runs):
    on, off = runs
    note = text("disclosure_off_note", "nb")
    pages = sorted((off / "maps").glob("*.html"))
    assert len(pages) >= 2  # the overview and a page per intervention area
    for page in pages:
        assert note in page.read_text(encoding="utf-8"), page.name
    for page in (on / "maps").glob("*.html"):
        assert note not in page.read_text(encoding="utf-8"), page.name


def test_small_cells_are_published_when_switched_off(runs):
    on, off = runs
    grid_on = pyogrio.read_dataframe(on / "geoloft.gpkg", layer="grid")
    grid_off = pyogrio.read_dataframe(off / "geoloft.gpkg", layer="grid")
    assert grid_on["pop_tot"].isna().sum() > 0
    assert grid_off["pop_tot"].isna().sum() == 0
    small = grid_off[(grid_off["pop_tot"] > 0) & (grid_off["pop_tot"] < 10)]
    assert len(small) > 0
