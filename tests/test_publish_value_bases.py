"""A run withholds a share given as a value when few persons stand behind it.

The demo project with its school drop-out indicator given as a percentage and the
number of pupils (``value`` + ``population`` in the catalogue) instead of counts, and
one delbydel with 8 pupils: its drop-out share (one pupil is 12.5 %) must not be
published, nor its composite figures.
"""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest

from geoloft.cli import main
from geoloft.demo import write_demo_project

SMALL = "0401"


@pytest.fixture(scope="module")
def areas(tmp_path_factory):
    root = tmp_path_factory.mktemp("bases")
    project = write_demo_project(root / "p")
    data = root / "p" / "data" / "indicators"
    path = data / "demoby_levekar_delbydel.csv"
    table = pd.read_csv(path, sep=";", dtype={"delbydel_id": str, "bydel_id": str})
    table.loc[table["delbydel_id"] == SMALL, ["frafall_n", "frafall_d"]] = [1, 8]
    table["frafall_pct"] = 100 * table["frafall_n"] / table["frafall_d"]
    table["elever"] = table["frafall_d"]
    table.to_csv(path, sep=";", index=False)
    catalogue = data / "catalogue.toml"
    text = catalogue.read_text(encoding="utf-8")
    assert 'numerator = "frafall_n"\ndenominator = "frafall_d"' in text
    text = text.replace(
        'numerator = "frafall_n"\ndenominator = "frafall_d"',
        'value = "frafall_pct"\npopulation = "elever"',
    )
    catalogue.write_text(text, encoding="utf-8")
    assert main(["run", str(project), "--out", str(root / "out"), "--only", "export"]) == 0
    layer = pyogrio.read_dataframe(root / "out" / "geoloft.gpkg", layer="areas")
    return layer.set_index("area_id"), table.set_index("delbydel_id")


def test_the_share_of_eight_pupils_is_withheld(areas):
    layer, table = areas
    rate = next(c for c in layer.columns if c.endswith("_rate") and "dropout" in c)
    assert pd.isna(layer.loc[SMALL, rate])
    assert pd.isna(layer.loc[SMALL, "index"])
    assert rate.removesuffix("_rate") + "_rate" in str(layer.loc[SMALL, "withheld"])
    big = table.index[table["elever"] >= 10].intersection(layer.index)
    assert layer.loc[big, rate].notna().mean() > 0.9
