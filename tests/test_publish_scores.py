"""Index, rank and the other composite figures of an area go when one of its rates is hidden.

The demo project, with one change: delbydel 0401, a member of an intervention area,
has 4 pupils who dropped out of upper-secondary school, a count disclosure control
hides. An area's composite figures are computed from all its rates together, so with
the other rates published they would give the hidden one away (below-average: the
index times the number of indicators, less the published flags, is the hidden flag;
the explanation names the hidden rate's ratio to the city outright).
"""

from __future__ import annotations

import re
import tomllib

import numpy as np
import pandas as pd
import pyogrio
import pytest

from geoloft.cli import main
from geoloft.demo import write_demo_project
from geoloft.labels import index_label

MEMBER = "0401"
#: What the score stage computes from several rates at once (besides the domain scores).
COMPOSITE = [
    "status",
    "index",
    "rank",
    "decile",
    "qualifies",
    "n_flags",
    "rank_lo",
    "rank_hi",
    "p_worst_decile",
    "p_qualifies",
    "explanation",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One run of the changed demo project: its output folder, input table and catalogue."""
    root = tmp_path_factory.mktemp("scores")
    project = write_demo_project(root / "p")
    data = root / "p" / "data" / "indicators"
    path = data / "demoby_levekar_delbydel.csv"
    table = pd.read_csv(path, sep=";", dtype={"delbydel_id": str})
    table.loc[table["delbydel_id"] == MEMBER, "frafall_n"] = 4
    table.to_csv(path, sep=";", index=False)
    catalogue = tomllib.loads((data / "catalogue.toml").read_text(encoding="utf-8"))
    assert main(["run", str(project), "--out", str(root / "out")]) == 0
    return root / "out", table.set_index("delbydel_id"), catalogue["indicator"]


def _areas(run):
    out, table, indicators = run
    areas = pyogrio.read_dataframe(out / "geoloft.gpkg", layer="areas").set_index("area_id")
    # a rate is hidden where the input had its counts and the published areas have no rate
    hidden = pd.DataFrame(
        {
            ind["id"]: table[[ind["numerator"], ind["denominator"]]]
            .notna()
            .all(axis=1)
            .reindex(areas.index, fill_value=False)
            & areas[f"{ind['id']}_rate"].isna()
            for ind in indicators
        }
    )
    scored = table.index.intersection(areas.index[~areas["suppressed"].astype(bool)])
    return areas, hidden, scored


def test_areas_with_a_hidden_rate_publish_no_composite_figure(run):
    areas, hidden, scored = _areas(run)
    domains = [c for c in areas.columns if c.startswith("domain_")]
    assert len(domains) == 4
    assert set(COMPOSITE) <= set(areas.columns)
    some = hidden.loc[scored].any(axis=1)
    assert some[MEMBER]  # the changed count is hidden
    assert 1 < some.sum() < len(scored) - 10
    withheld = areas.loc[some[some].index, COMPOSITE + domains]
    assert withheld.isna().all().all(), withheld.dropna(how="all").to_dict()
    for area_id, row in hidden.loc[some[some].index].iterrows():
        for ind in row[row].index:  # the hidden rate's own derived figures go too
            assert np.isnan(areas.loc[area_id, f"{ind}_std"]), (area_id, ind)
            assert pd.isna(areas.loc[area_id, f"{ind}_flag"]), (area_id, ind)
    # every figure of a published rate stays, and the name and outline
    published = (
        ~hidden.loc[some[some].index]
        & areas.loc[some[some].index, [f"{i}_rate" for i in hidden.columns]].notna().to_numpy()
    )
    assert published.to_numpy().any()
    assert areas.loc[some[some].index, "name"].notna().all()
    assert not areas.loc[some[some].index].geometry.is_empty.any()


def test_areas_with_every_rate_published_keep_their_composite_figures(run):
    areas, hidden, scored = _areas(run)
    full = scored[~hidden.loc[scored].any(axis=1).to_numpy()]
    assert len(full) >= 10
    kept = areas.loc[full, ["status", "index", "rank", "qualifies", "explanation"]]
    assert kept.notna().all().all()
    assert (areas.loc[full, "status"] == "ok").all()


def test_overview_table_shows_no_index_for_areas_with_a_hidden_rate(run):
    out, _, _ = run
    areas, hidden, scored = _areas(run)
    page = (out / "maps" / "overview.html").read_text(encoding="utf-8")
    found = re.search(r'<caption id="gl-table-areas">.*?</table>', page, re.S)
    assert found
    rows = [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        for row in re.findall(r"<tr>(.*?)</tr>", found.group(), re.S)
    ]
    column = rows[0].index(index_label("below-average", "nb"))
    cells = {row[1]: row[column] for row in rows[1:]}
    some = hidden.loc[scored].any(axis=1)
    for area_id in scored:
        cell = cells[area_id]
        if some[area_id]:
            assert cell == "skjult", (area_id, cell)  # withheld, not "no data"
        else:
            number = float(cell.replace(",", "."))
            decimals = len(cell.split(",")[1]) if "," in cell else 0
            assert abs(number - areas.loc[area_id, "index"]) <= 0.5 * 10**-decimals, area_id


def test_zone_withholds_what_it_averages_over_a_withheld_member(run):
    out, _, _ = run
    _, hidden, scored = _areas(run)
    zones = pyogrio.read_dataframe(out / "geoloft.gpkg", layer="intervention_areas")
    some = set(hidden.loc[scored].index[hidden.loc[scored].any(axis=1)])
    with_member = zones["members"].str.split(",").map(lambda m: MEMBER in m)
    assert with_member.sum() == 1
    for members, shares, stability in zip(
        zones["members"], zones["member_stability"], zones["stability"], strict=True
    ):
        ids = members.split(",")
        for member, share in zip(ids, shares.split(","), strict=True):
            assert (share == ":") == (member in some), (member, share)
        # the zone's stability is its members' shares averaged: it goes with any of them
        assert np.isnan(stability) == bool(some & set(ids)), members
    assert np.isnan(zones.loc[with_member, "stability"]).all()
    assert np.isfinite(zones.loc[~with_member, "stability"]).any()


def test_added_members_do_not_say_whether_a_withheld_member_qualifies(run):
    """A member not in ``added`` qualified: for 0401 that is withheld, the list says ``:``."""
    out, _, _ = run
    zones = pyogrio.read_dataframe(out / "geoloft.gpkg", layer="intervention_areas")
    holding = zones[zones["members"].str.split(",").map(lambda m: MEMBER in m)]
    assert len(holding) == 1
    added = str(holding["added"].iloc[0] or "").split(",")
    assert MEMBER not in added
    assert ":" in added
    others = zones.drop(index=holding.index)
    assert not others["added"].fillna("").str.contains(":").any()


def test_each_area_names_the_figures_withheld_from_it(run):
    """``withheld`` lets maps and readers tell a withheld figure from a missing one."""
    areas, hidden, scored = _areas(run)
    _, _, indicators = run
    lists = areas["withheld"].fillna("").str.split(",").map(lambda names: set(names) - {""})
    dropout = next(i["id"] for i in indicators if i["numerator"] == "frafall_n")
    assert {f"{dropout}_rate", "index", "rank", "qualifies", "explanation"} <= lists[MEMBER]
    full = scored[~hidden.loc[scored].any(axis=1).to_numpy()]
    assert not any(lists[a] & {"index", "rank", "qualifies"} for a in full)
    for area_id in scored:  # every figure it names is absent from the published area
        for name in lists[area_id]:
            assert pd.isna(areas.loc[area_id, name]), (area_id, name)
    assert areas.loc[areas["suppressed"].astype(bool), "withheld"].isna().all()
