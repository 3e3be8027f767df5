"""A project file on the real Oslo files runs end to end."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest

from geoloft.config import load_project
from geoloft.pipeline import run

CATALOGUE = Path(__file__).parent / "data" / "oslo_housing_catalogue.toml"


@pytest.fixture
def oslo_project(realdata, tmp_path):
    text = f"""
disclosure_threshold = 10
[project]
name = "oslo"
title = "Oslo: eieform 2017"
source = "Oslo kommune; SSB"
[inputs.boundaries]
path = "{realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson"}"
level = "delbydel"
[inputs.grid]
path = "{realdata / "ssb-grid-norway-2015" / "ru250m_2015_oslo0301.csv"}"
[inputs.indicators]
path = "{realdata / "oslo-indicators" / "eieform_delbydel_2015-2017.csv"}"
key = "delbydel_id"
where = {{ aar = 2017 }}
catalogue = "{CATALOGUE}"
[score]
method = "below-average"
k = 2
bootstrap = 50
[delineate]
min_pop = 20000
[maps]
figures = false
[export]
formats = ["gpkg", "geojson"]
"""
    path = tmp_path / "project.toml"
    path.write_text(text, encoding="utf-8")
    return load_project(path)


def test_oslo_project_runs_end_to_end(oslo_project, tmp_path):
    with pytest.warns(UserWarning, match="1701"):  # Marka has a row but no polygon
        result = run(oslo_project, out=tmp_path / "out")
    areas = pyogrio.read_dataframe(tmp_path / "out" / "geoloft.gpkg", layer="areas")
    assert len(areas) == 97
    # The 250 m grid joined by area keeps the people inside the 97 delbydeler.
    joined = result.frames["areas"]["pop_tot"].sum()
    assert 500_000 < joined < 641_001
    zones = result.frames["zones"]
    assert len(zones) >= 1
    assert (zones["pop"] >= 20_000).all()
    for _, zone in zones.iterrows():  # never across a bydel: first two digits agree
        assert len({m[:2] for m in zone["members"].split(",")}) == 1
    assert (tmp_path / "out" / "report.html").is_file()
