"""scripts/bench_disclosure.py on its demo case: the primary-only publication leaks, protection not.

The full measurement (real Oslo data, joint runs) is the script; here its demo case
must show what docs/disclosure.md says: per-table suppression leaves hidden values that
the audit pins, the default protection leaves none.
"""

from __future__ import annotations

from types import ModuleType

import geopandas as gpd
import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_script) -> ModuleType:
    return load_script("bench_disclosure")


@pytest.fixture(scope="module")
def demo(bench, tmp_path_factory):
    return bench.demo_rows(tmp_path_factory.mktemp("bench"))


def test_before_leaks_and_after_does_not(demo):
    before, after = demo
    assert before.before
    assert not after.before
    assert before.pinned >= 1
    assert after.pinned == 0
    assert after.found.summary()["published_small"] == 0
    secondary = after.runs[0].notes["secondary_hidden"]
    assert secondary > 0  # protection had to hide more than the small counts
    assert len(after.found.table) > len(before.found.table)


def test_before_is_each_table_suppressed_by_its_own_population(demo):
    before, _ = demo
    folder = before.runs[0].out
    unprotected = folder.with_name(folder.name.replace("_before", "_open"))
    true = gpd.read_file(unprotected / "geoloft.gpkg", layer="grid").set_index("ssbid")
    shown = gpd.read_file(folder / "geoloft.gpkg", layer="grid").set_index("ssbid")
    small = true["pop_tot"] < 10
    assert small.any()
    assert shown.loc[small, "pop_tot"].isna().all()
    # every other cell keeps its true count: no secondary suppression
    assert np.array_equal(shown.loc[~small, "pop_tot"], true.loc[~small, "pop_tot"])


def test_the_table_has_a_line_per_row(bench, demo):
    lines = bench.markdown(demo).splitlines()
    assert len(lines) == 2 + len(demo)
    assert lines[2].startswith("| demo, before | ")
    assert "| – / " in lines[2]  # no protection time before
