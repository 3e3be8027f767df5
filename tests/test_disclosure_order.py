"""A hidden numerator does not take its denominator with it.

``numerator <= denominator`` is a public inequality, not a published equation: with
the numerator hidden, the denominator alone says nothing about it beyond that bound.
The row pass of secondary suppression once treated it as an equation and hid every
denominator whose numerator was small (4 pupils of 1,200 hid the 1,200 too).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from geoloft.disclosure.audit import intervals
from geoloft.disclosure.model import Rate
from geoloft.disclosure.protect import protect_layers


def _areas(numerators: list[float]) -> gpd.GeoDataFrame:
    n = len(numerators)
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"a{i}" for i in range(n)],
            "pop_tot": np.linspace(1500.0, 1300.0, n),
            "low_n": numerators,
            "low_d": np.linspace(1200.0, 1000.0, n),
        },
        geometry=[box(1000 * i, 0, 1000 * (i + 1), 1000) for i in range(n)],
        crs=25833,
    )
    return areas.assign(low_rate=areas["low_n"] / areas["low_d"] * 100)


def test_a_small_numerator_hides_itself_and_its_rate_only():
    protection = protect_layers(
        {"areas": _areas([4.0, 200.0, 150.0])},
        threshold=10,
        rates=[Rate("low", "low_n", "low_d", 100.0)],
    )
    out = protection.layers["areas"].set_index("area_id")
    assert np.isnan(out.loc["a0", "low_n"])
    assert np.isnan(out.loc["a0", "low_rate"])
    assert out.loc["a0", "low_d"] == 1200.0  # published: it pins nothing
    assert protection.notes["secondary_hidden"] == 0
    found = intervals(protection.system, threshold=10, width=5.0)
    assert not found["pinned"].any()
    hidden = found.set_index("label")
    assert len(hidden) == 1
    assert hidden["low"].iloc[0] == 0.0  # the 4 can be anything from 0 to its denominator
    assert hidden["high"].iloc[0] == pytest.approx(1200.0)


def test_a_published_total_over_the_numerators_still_forces_a_second_one():
    """With the sum of numerators published (the reference), one hidden numerator would
    fall out by subtraction: another must go, the order rows change nothing there."""
    protection = protect_layers(
        {"areas": _areas([4.0, 200.0, 150.0])},
        threshold=10,
        rates=[Rate("low", "low_n", "low_d", 100.0)],
        references={"low": 354.0 / 3300.0 * 100},
    )
    found = intervals(protection.system, threshold=10, width=5.0)
    assert not found["pinned"].any()
    assert protection.notes["secondary_hidden"] >= 1
