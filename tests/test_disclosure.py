"""Disclosure control (geoloft.disclosure): nothing under the threshold gets out."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoloft.disclosure import (
    SUPPRESSED,
    disclosure_note,
    suppress,
    suppression_codes,
)
from geoloft.errors import InputError, SchemaError
from geoloft.grid import cell_polygons
from geoloft.report import get_report


@pytest.fixture
def cells():
    # populations chosen around the threshold 10: 0, 1, 9 withheld; 10, 11 shown; NaN withheld
    return gpd.GeoDataFrame(
        {
            "ssbid": np.arange(6, dtype="int64"),
            "pop_tot": [0, 1, 9, 10, 11, np.nan],
            "pop_ave": [0.0, 81.5, 44.25, 39.5, 40.0, 50.0],
            "label": ["a", "b", "c", "d", "e", "f"],
        },
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(6)],
        crs="EPSG:25833",
        index=[10, 11, 12, 13, 14, 15],
    )


def test_rows_under_the_threshold_are_withheld(cells):
    out = suppress(cells, columns=["pop_ave", "label"], threshold=10)
    assert out[SUPPRESSED].tolist() == [True, True, True, False, False, True]
    assert out["pop_tot"].tolist()[3:5] == [10.0, 11.0]
    assert out["pop_tot"].isna().tolist() == [True, True, True, False, False, True]
    assert out["pop_ave"].isna().tolist() == [True, True, True, False, False, True]
    assert out["label"].isna().tolist() == [True, True, True, False, False, True]
    # geometry, ids and index stay; the input is untouched
    assert isinstance(out, gpd.GeoDataFrame)
    assert out.index.equals(cells.index)
    assert out.geometry.geom_equals(cells.geometry).all()
    assert out["ssbid"].tolist() == list(range(6))
    assert cells["pop_tot"].tolist()[:5] == [0, 1, 9, 10, 11]
    assert SUPPRESSED not in cells


def test_threshold_is_a_parameter(cells):
    out = suppress(cells, columns=["pop_ave"], threshold=1)
    assert out[SUPPRESSED].tolist() == [True, False, False, False, False, True]


def test_report_and_note(cells):
    out = suppress(cells, columns=["pop_ave"])
    report = get_report(out)
    assert report is not None
    assert (report.rows_in, report.rows_out) == (6, 6)
    assert report.notes["suppressed_rows"] == 4
    assert report.notes["threshold"] == 10
    assert disclosure_note(out).startswith("Tall for ruter og områder med under 10 innbyggere")
    assert "Suppressed: 4." in disclosure_note(out, lang="en")
    assert disclosure_note(cells) == ""


def test_suppression_codes_and_combining_earlier_suppression(cells):
    first = suppress(cells, columns=["pop_ave"], threshold=2)  # rows 0 and 5
    again = suppress(first.assign(pop_tot=cells["pop_tot"]), columns=["pop_ave"], threshold=1)
    assert again[SUPPRESSED].tolist() == [True, True, False, False, False, True]
    assert suppression_codes(again).tolist() == [":", ":", "", "", "", ":"]
    assert suppression_codes(pd.DataFrame({"x": [1]})).tolist() == [""]


def test_real_oslo_grid_no_count_under_ten_survives(realdata):
    """SSB's 2015 250 m file still has cells of 1-9 persons; after suppression none is left."""
    raw = pd.read_csv(realdata / "ssb-grid-norway-2015" / "ru250m_2015_oslo0301.csv", sep=";")
    grid = gpd.GeoDataFrame(
        {"ssbid": raw["ru250m"].astype("int64"), "pop_tot": raw["pop_tot"].astype(float)},
        geometry=cell_polygons(raw["ru250m"].to_numpy(), 250),
        crs="EPSG:25833",
    )
    out = suppress(grid, threshold=10)
    small = int((raw["pop_tot"] < 10).sum())  # counted on the file, independently
    assert small > 0
    assert int(out[SUPPRESSED].sum()) == small
    kept = out["pop_tot"].dropna()
    assert kept.min() >= 10
    assert kept.sum() == raw.loc[raw["pop_tot"] >= 10, "pop_tot"].sum()


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"columns": ["nope"]}, SchemaError, r"suppress: column 'nope'.*'nope' not found"),
        ({"pop": "persons"}, SchemaError, r"column 'persons'.*Fix: join a population column"),
        ({"threshold": 0}, InputError, r"threshold: the threshold must be at least 1"),
        ({"threshold": 9.5}, TypeError, r"threshold must be an int"),
        ({"threshold": True}, TypeError, r"threshold must be an int"),
    ],
    ids=["missing-column", "missing-pop", "zero-threshold", "float-threshold", "bool-threshold"],
)
def test_bad_arguments(cells, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        suppress(cells, **kwargs)


def test_population_that_is_not_a_number_is_named_by_row(cells):
    bad = cells.assign(pop_tot=["12", "x", "3", "40", "..", "7"])
    with pytest.raises(SchemaError, match=r"column 'pop_tot': 2 rows: 11, 14: population values"):
        suppress(bad)


def test_not_a_frame():
    with pytest.raises(TypeError, match="DataFrame"):
        suppress([1, 2, 3])  # type: ignore[arg-type]
