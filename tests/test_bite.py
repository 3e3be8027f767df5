"""Tests that bite: each one fails on a small planted bug that the rest of the suite missed.

* growth: two areas that grow into each other merge (``grow_to_floor``), by the
  contact path, not the shared-node path;
* GEOSTAT short codes: the INSPIRE divisor for 10 km cells (``10kmN269E434``);
* the centroid rule: cell centres against shapely's point-in-polygon on
  shapes whose edges cross rows and columns at every offset;
* escaping: once, never twice (a round trip through the browser's decoding
  gives the text back).

Expected values are worked out by hand or come from shapely, ``html`` and
``json`` of the standard library.
"""

from __future__ import annotations

import html
import itertools
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import given
from hypothesis import strategies as st

from geoloft.delineation import delineate
from geoloft.delineation.regions import grow_to_floor, priority_rank
from geoloft.grid import cell_centres, corners_to_ssbid, neighbour_ssbids
from geoloft.grid.codec import corners_to_geostat, geostat_to_corners
from geoloft.join import crosswalk
from geoloft.maps import make_map
from geoloft.maps.escape import html_text, safe_json

X0, Y0 = 262_000, 6_649_000


# ------------------------------------------------------------------ growth


def path_graph(n: int) -> sp.csr_array:
    return sp.csr_array(np.eye(n, k=1) + np.eye(n, k=-1))


def test_areas_growing_into_each_other_merge() -> None:
    # 0-1-2-3, both ends selected, 100 persons each, floor 250: area 0 takes
    # node 1, area 1 takes node 2 in the same round; 1 and 2 touch, so the two
    # areas are one of 400 persons (with no merge: two of 200, both under the floor)
    labels = np.array([0, -1, -1, 1])
    pop = np.full(4, 100.0)
    rank = priority_rank(np.zeros(4), pop)
    out, added = grow_to_floor(
        path_graph(4), labels, pop, rank, floor=250.0, eligible=np.ones(4, bool)
    )
    assert out.tolist() == [0, 0, 0, 0]
    assert added.tolist() == [False, True, True, False]


def test_delineate_merges_areas_that_meet_while_growing() -> None:
    ids = corners_to_ssbid(X0 + 250 * np.arange(4), np.full(4, Y0))
    cells = pd.DataFrame(
        {"ssbid": ids, "cell_size": 250, "pop_tot": 100.0, "sel": [True, False, False, True]}
    )
    areas = delineate(cells, select="sel", min_pop=250)
    assert len(areas) == 1
    assert areas["pop"].iloc[0] == 400.0
    assert set(map(int, areas["members"].iloc[0].split(","))) == set(ids.tolist())


def test_growth_stops_at_the_floor() -> None:
    # 0-1-2-3-4-5: one area at 0, floor 250: it takes 1 and 2 (300) and stops
    labels = np.array([0, -1, -1, -1, -1, -1])
    pop = np.full(6, 100.0)
    out, added = grow_to_floor(
        path_graph(6),
        labels,
        pop,
        priority_rank(np.zeros(6), pop),
        floor=250.0,
        eligible=np.ones(6, bool),
    )
    assert out.tolist() == [0, 0, 0, -1, -1, -1]
    assert added.sum() == 2


def test_two_areas_picking_one_node_count_its_people_once() -> None:
    # nodes: 0 (area A) - 4 - 2 (area C) - 5, and 3 (area B) - 1; 100 persons each,
    # floor 350. Round 1: A and C both pick node 4 (and merge through it, 300
    # persons), B picks node 1. Counted once, the merged area is still under the
    # floor and takes node 5 (400); B (200) has nothing left to take.
    rows = np.array([0, 4, 3, 2])
    cols = np.array([4, 2, 1, 5])
    graph = sp.csr_array((np.ones(8), (np.r_[rows, cols], np.r_[cols, rows])), shape=(6, 6))
    labels = np.array([0, -1, 2, 1, -1, -1])
    pop = np.full(6, 100.0)
    out, added = grow_to_floor(
        graph, labels, pop, priority_rank(np.zeros(6), pop), floor=350.0, eligible=np.ones(6, bool)
    )
    assert out.tolist() == [0, 1, 0, 1, 0, 0]
    assert added.tolist() == [False, True, False, False, True, True]


def test_add_edges_links_both_ways() -> None:
    from geoloft.delineation.regions import add_edges

    graph = path_graph(4)
    linked = add_edges(graph, np.array([0]), np.array([3]))
    assert linked.toarray().tolist() == [[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]]
    assert (add_edges(graph, np.zeros(0, np.int64), np.zeros(0, np.int64)) != graph).nnz == 0


# ------------------------------------------------------------------ GEOSTAT


@pytest.mark.parametrize(
    ("code", "x", "y", "size"),
    [
        ("10kmN269E434", 4_340_000, 2_690_000, 10_000),  # divide by 10^4
        ("1kmN2696E4341", 4_341_000, 2_696_000, 1_000),  # 10^3
        ("100mN26960E43410", 4_341_000, 2_696_000, 100),  # 10^2
        ("250mN269600E434100", 4_341_000, 2_696_000, 250),  # 250 has one trailing zero
        ("5kmN2695E4340", 4_340_000, 2_695_000, 5_000),  # 5000 has three
    ],
)
def test_geostat_short_codes_follow_inspire(code: str, x: int, y: int, size: int) -> None:
    assert corners_to_geostat([x], [y], size, short=True).tolist() == [code]
    got = geostat_to_corners([code])
    assert [int(v[0]) for v in got] == [x, y, size]


@pytest.mark.parametrize("size", [100, 250, 1000])
def test_queen_and_rook_neighbours_are_the_cells_around(size: int) -> None:
    x, y = 262_000, 6_649_000
    d = [(size, 0), (-size, 0), (0, size), (0, -size)]  # east, west, north, south
    d += [(size, size), (size, -size), (-size, size), (-size, -size)]  # NE, SE, NW, SW
    expected = corners_to_ssbid([x + dx for dx, _ in d], [y + dy for _, dy in d]).tolist()
    cell = corners_to_ssbid([x], [y])
    assert neighbour_ssbids(cell, size, queen=True)[0].tolist() == expected
    assert neighbour_ssbids(cell, size)[0].tolist() == expected[:4]


# ------------------------------------------------------------------ centroid rule


SHAPES = [
    shapely.Polygon([(130, 40), (1070, 260), (690, 1130)]),  # triangle, every slope
    shapely.box(155, 155, 905, 1045).difference(shapely.box(430, 380, 640, 720)),  # hole
    shapely.affinity.rotate(shapely.box(300, 300, 900, 800), 33, origin="centroid"),
    shapely.MultiPolygon([shapely.box(20, 520, 240, 980), shapely.box(820, 30, 1180, 180)]),
]


@pytest.mark.parametrize("shape", SHAPES, ids=["triangle", "hole", "rotated", "multi"])
def test_centroid_rule_equals_point_in_polygon(shape: shapely.Geometry) -> None:
    # a 12 x 12 block of 100 m cells with gaps (rows with and without cells at
    # both ends); no centre lies on an edge, so shapely's answer is the truth
    rng = np.random.default_rng(5)
    col, row = np.meshgrid(np.arange(12), np.arange(12))
    keep = rng.random(col.size) > 0.2
    x = X0 + 100 * col.ravel()[keep]
    y = Y0 + 100 * row.ravel()[keep]
    ids = corners_to_ssbid(x, y)
    grid = gpd.GeoDataFrame(
        {"ssbid": ids}, geometry=gpd.GeoSeries.from_xy(x, y).buffer(1), crs="EPSG:25833"
    )
    grid.attrs["cell_size"] = 100
    placed = shapely.affinity.translate(shape, X0, Y0)
    areas = gpd.GeoDataFrame({"area_id": ["A"]}, geometry=[placed], crs="EPSG:25833")
    table = crosswalk(grid, areas, method="centroid")
    cx, cy = cell_centres(ids, 100)
    expected = set(ids[shapely.contains_xy(placed, cx, cy)].tolist())
    assert expected  # the shape holds some centres
    assert set(table["ssbid"].tolist()) == expected


def test_centre_on_a_row_line_is_counted_once() -> None:
    # two areas split exactly through the centres of a column of cells
    ids = corners_to_ssbid(X0 + 100 * np.arange(3), np.full(3, Y0))
    grid = gpd.GeoDataFrame({"ssbid": ids}, geometry=[None] * 3, crs="EPSG:25833")
    grid.attrs["cell_size"] = 100
    areas = gpd.GeoDataFrame(
        {"area_id": ["W", "E"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 150, Y0 + 100),
            shapely.box(X0 + 150, Y0, X0 + 300, Y0 + 100),
        ],
        crs="EPSG:25833",
    )
    table = crosswalk(grid, areas, method="centroid")
    assert table["ssbid"].tolist() == ids.tolist()  # each cell exactly once
    assert table["area_id"].tolist()[0] == "W"
    assert table["area_id"].tolist()[2] == "E"


@pytest.mark.parametrize("method", ["area", "centroid"])
def test_crosswalk_rows_are_in_cell_then_area_order(method: str) -> None:
    # five vertical strips over a 4 x 4 block of 250 m cells: most cells meet two
    # strips, and the strips' numbers exceed the cells' positions in places
    x = X0 + 250 * np.tile(np.arange(4), 4)
    y = Y0 + 250 * np.repeat(np.arange(4), 4)
    ids = corners_to_ssbid(x, y)
    grid = gpd.GeoDataFrame({"ssbid": ids}, geometry=[None] * 16, crs="EPSG:25833")
    grid.attrs["cell_size"] = 250
    edges = X0 + np.array([0, 130, 310, 560, 800, 1000])
    strips = [shapely.box(a, Y0, b, Y0 + 1000) for a, b in itertools.pairwise(edges)]
    areas = gpd.GeoDataFrame(
        {"area_id": [f"s{i}" for i in range(5)]}, geometry=strips, crs="EPSG:25833"
    )
    table = crosswalk(grid, areas, method=method)
    cell = pd.Index(ids).get_indexer(table["ssbid"])
    area = table["area_id"].str[1:].astype(int).to_numpy()
    key = cell * 5 + area
    assert (np.diff(key) > 0).all()
    if method == "area":
        assert np.bincount(cell, weights=table["share"]).tolist() == pytest.approx([1.0] * 16)


# ------------------------------------------------------------------ escaping once


HOSTILE = ["Tøyen & Grønland", "<b>x</b>", "a\"b'c", "${1+1}", "{{ 7*7 }}", "`x`", "&amp;"]


@pytest.mark.parametrize("text", HOSTILE)
def test_html_text_is_escaped_exactly_once(text: str) -> None:
    escaped = html_text(text)
    assert html.unescape(escaped) == text  # twice would leave "&amp;" behind
    assert not any(c in escaped for c in "<>\"'`${}")


def test_html_text_of_none_is_empty_and_json_keeps_letters() -> None:
    assert html_text(None) == ""
    assert safe_json(["{{"]) == '["\\u007b\\u007b"]'  # braces in strings, however few
    assert safe_json(["a}"]) == '["a\\u007d"]'
    assert safe_json({"a": float("nan"), "b": [float("inf"), 1.5]}) == '{"a":null,"b":[null,1.5]}'
    assert safe_json({"navn": "Tøyen Ål"}) == '{"navn":"Tøyen Ål"}'  # short, not \u00f8


@given(st.text(max_size=40))
def test_html_text_round_trips(text: str) -> None:
    assert html.unescape(html_text(text)) == text


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(
            st.text(max_size=20),
            st.integers(),
            st.floats(allow_nan=False, allow_infinity=False),
            st.lists(st.text(max_size=5)),
        ),
        max_size=4,
    )
)
def test_safe_json_round_trips(value: dict) -> None:
    text = safe_json(value)
    assert json.loads(text) == value
    assert not any(c in text for c in "<>&`$'")


def test_a_name_with_an_ampersand_reaches_the_map_escaped_once() -> None:
    areas = gpd.GeoDataFrame(
        {
            "area_id": ["0101", "0102"],
            "name": ["Tøyen & Grønland", "Vålerenga"],
            "pop_tot": [5000.0, 1200.0],
            "index": [-0.5, 1.25],
        },
        geometry=[shapely.box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(2)],
        crs="EPSG:25833",
    )
    page = make_map(areas, indicators={"index": "Levekårsindeks"}).get_root().render()
    assert "Tøyen &amp; Grønland" in page
    assert "&amp;amp;" not in page
