"""``geoloft map`` protects what it draws as one publication, like every command.

Three hand-made delbydeler of 1 km side by side; the grid puts 1 503 persons in
0101 (one cell of 3), 7 in 0102 (cells of 4 and 3) and 3 400 in 0103. The
indicator table carries counts (``lavinntekt_n``/``lavinntekt_d``, a default
catalogue pair) and a value whose link to the counts is unknown (``indeks``).
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geoloft.cli import main
from geoloft.disclosure.protect import protect_layers
from geoloft.errors import InputError
from geoloft.grid import corners_to_ssbid, read_grid
from geoloft.labels import text
from geoloft.maps.files import write_map

X0, Y0 = 262_000, 6_649_000  # Oslo, EPSG:25833; 1 km blocks start at X0
#: cell column (250 m steps from X0) -> persons; 0101 is columns 0-3, 0102 4-7, 0103 8-11
CELLS = {0: 400, 1: 500, 2: 3, 3: 600, 4: 4, 5: 3, 8: 700, 9: 800, 10: 900, 11: 1000}
TABLE = (
    "area_id;lavinntekt_n;lavinntekt_d;indeks\n"
    "0101;4;1200;4321\n"  # 4 persons with low income: hidden
    "0102;2;6;8765\n"  # an area of 7 persons: nothing of it is shown
    "0103;300;2500;1357\n"
)
SECRETS = ["4321", "4\u00a0321", "8765", "8\u00a0765"]


@pytest.fixture
def inputs(tmp_path):
    """Boundaries, grid and indicator table as files."""
    boundaries = tmp_path / "delbydeler.geojson"
    gpd.GeoDataFrame(
        {"DELBYDEL": ["0101", "0102", "0103"], "DELBYDELSN": ["Nord", "Midt", "Sør"]},
        geometry=[shapely.box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(3)],
        crs=25833,
    ).to_crs(4326).to_file(boundaries)
    cols = np.array(list(CELLS))
    ids = corners_to_ssbid(X0 + 250 * cols, np.full(len(cols), Y0))
    grid = tmp_path / "ru250m.csv"
    rows = [f"{i};{p}" for i, p in zip(ids, CELLS.values(), strict=True)]
    grid.write_text("ru250m;pop_tot\n" + "\n".join(rows) + "\n", encoding="utf-8")
    table = tmp_path / "indikatorer.csv"
    table.write_text(TABLE, encoding="utf-8")
    return {"boundaries": boundaries, "grid": grid, "table": table, "dir": tmp_path}


def _page(path) -> str:
    """The page without its encoded coordinates (long runs of digits)."""
    return re.sub(r'"d":\[[-\d,]*\]', "", path.read_text(encoding="utf-8"))


def _table(page: str, table_id: str) -> list[list[str]]:
    """Cells of one data table under the map, header row first."""
    found = re.search(rf'<caption id="{table_id}">.*?</table>', page, re.S)
    assert found, table_id
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(), re.S)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]


def _number(cell: str) -> float | None:
    """A Norwegian number as the page writes it (``1 234,5``); None for '–' or 'skjult'."""
    cleaned = cell.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    cleaned = cleaned.replace(",", ".").replace("\u2212", "-")
    return float(cleaned) if re.fullmatch(r"-?\d+(\.\d+)?", cleaned) else None


def _map(inputs, *args):
    out = inputs["dir"] / "kart.html"
    argv = ["map", str(inputs["boundaries"]), "-o", str(out), "--basemap", "none", *args]
    return main(argv), out


def test_small_area_and_cell_leave_no_figure_on_the_page(inputs, capsys):
    code, out = _map(inputs, "--grid", str(inputs["grid"]), "--indicators", str(inputs["table"]))
    assert code == 0
    printed = capsys.readouterr()
    assert re.search(r"disclosure: \d+ counts under 10 persons hidden", printed.err)
    page = _page(out).replace("&nbsp;", "\u00a0")
    for secret in SECRETS:
        assert secret not in page
    rows = {row[1]: row for row in _table(page, "gl-table-areas")[1:]}
    # 0102 has 7 persons: only its name and number remain
    assert rows["0102"][2:] == [text("suppressed_short", "nb")] * 4
    # 0101's 4 persons with low income are hidden, and with them the value whose link to
    # the counts is unknown; its (rounded) persons stay. (Whether its denominator may
    # stay is the disclosure model's choice: see the next test.)
    numerator, _, value, persons = (_number(c) for c in rows["0101"][2:])
    assert (numerator, value, persons) == (None, None, 1500.0)
    assert [_number(c) for c in rows["0103"][2:]] == [300.0, 2500.0, 1357.0, 3400.0]
    # the grid's classes count persons of published cells only: no 3, 4 or 3 in them
    persons = [_number(r[2]) for r in _table(page, "gl-table-grid")[1:]]
    published = sum(p for p in persons if p is not None)
    assert published <= sum(CELLS.values()) - 3 - 4 - 3


def test_page_numbers_are_those_of_the_protected_layers(inputs):
    written = write_map(
        inputs["boundaries"],
        inputs["dir"] / "kart.html",
        grid=inputs["grid"],
        indicators=inputs["table"],
        columns=["lavinntekt_n", "lavinntekt_d"],
        basemap="none",
    )
    assert written.disclosure is not None
    assert written.disclosure["primary_hidden"] >= 4
    # the same publication protected directly: areas with their persons (the exact
    # shares of whole cells inside them) and counts, and the grid
    from geoloft.disclosure.model import Rate

    grid = read_grid(inputs["grid"])
    areas = gpd.GeoDataFrame(
        {
            "area_id": ["0101", "0102", "0103"],
            "pop_tot": [1503.0, 7.0, 3400.0],
            "lavinntekt_n": [4.0, 2.0, 300.0],
            "lavinntekt_d": [1200.0, 6.0, 2500.0],
        },
        geometry=[shapely.box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(3)],
        crs=25833,
    )
    rate = Rate("lavinntekt", "lavinntekt_n", "lavinntekt_d", 100.0)
    protected = protect_layers({"areas": areas, "grid": grid}, threshold=10, rates=[rate])
    shown = protected.layers["areas"].set_index("area_id")
    rows = {row[1]: row for row in _table(_page(written.path), "gl-table-areas")[1:]}
    for area_id in ("0101", "0103"):  # 0102 is under the threshold: every figure withheld
        page = [_number(c) for c in rows[area_id][2:]]
        expected = [shown.loc[area_id, c] for c in ("lavinntekt_n", "lavinntekt_d", "pop_tot")]
        assert page == [None if np.isnan(v) else v for v in expected], area_id
    assert np.isnan(shown.loc["0101", "lavinntekt_n"])  # hand-worked: 4 persons is hidden
    assert shown.loc["0101", "pop_tot"] == 1500  # rounded to 10


def test_no_disclosure_warns_and_says_so_on_the_page(inputs, capsys):
    code, out = _map(
        inputs,
        "--grid",
        str(inputs["grid"]),
        "--indicators",
        str(inputs["table"]),
        "--no-disclosure",
    )
    assert code == 0
    assert "disclosure control is OFF (--no-disclosure)" in capsys.readouterr().err
    page = _page(out)
    notes = page[page.index(f"<h3>{text('notes', 'nb')}</h3>") :]
    assert text("disclosure_off_note", "nb") in notes
    rows = {row[1]: row for row in _table(page, "gl-table-areas")[1:]}
    assert [_number(c) for c in rows["0101"][2:]] == [4.0, 1200.0, 4321.0, 1503.0]
    assert _number(rows["0102"][2]) == 2.0  # small counts too: it is off
    written = write_map(
        inputs["boundaries"], out, indicators=inputs["table"], disclosure=False, overwrite=True
    )
    assert written.disclosure is None
    assert text("disclosure_off_note", "nb") in written.notes


def test_values_without_persons_behind_them_are_refused(inputs, capsys):
    table = inputs["dir"] / "andeler.csv"
    table.write_text("area_id;andel\n0101;12.5\n0102;50.0\n0103;7.5\n", encoding="utf-8")
    code, out = _map(inputs, "--indicators", str(table))
    assert code == 1
    err = capsys.readouterr().err
    assert "andeler.csv" in err
    for fix in ("population column (pop_tot)", "--grid", "--no-disclosure"):
        assert fix in err
    assert not out.exists()
    with pytest.raises(InputError, match=r"andeler\.csv: nothing tells how many persons"):
        write_map(inputs["boundaries"], out, indicators=table)
    # the same table with a population column is protected with it
    table.write_text(
        "area_id;andel;befolkning\n0101;12.5;1503\n0102;98.7654;7\n0103;7.5;3400\n",
        encoding="utf-8",
    )
    write_map(inputs["boundaries"], out, indicators=table, columns=["andel"], basemap="none")
    rows = {row[1]: row for row in _table(_page(out), "gl-table-areas")[1:]}
    assert rows["0102"][2] == text("suppressed_short", "nb")
    assert _number(rows["0101"][2]) == 12.5
    assert not re.search(r"98[.,][78]", _page(out))  # 0102's share, in no form


def test_counts_alone_protect_with_the_largest_denominator(inputs):
    # no grid and no population column: the counts tell how many persons stand
    # behind each rate (0102's 6 are too few), as the run does without a grid
    out = inputs["dir"] / "kart.html"
    write_map(inputs["boundaries"], out, indicators=inputs["table"], basemap="none")
    page = _page(out).replace("&nbsp;", "\u00a0")
    for secret in SECRETS:
        assert secret not in page
    rows = {row[1]: row for row in _table(page, "gl-table-areas")[1:]}
    assert rows["0102"][2:] == [text("suppressed_short", "nb")] * 3
    numerator, _, value = (_number(c) for c in rows["0101"][2:])
    assert (numerator, value) == (None, None)
    assert [_number(c) for c in rows["0103"][2:]] == [300.0, 2500.0, 1357.0]


def test_zones_that_do_not_add_up_from_their_members_are_refused(inputs, capsys):
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z1", "Z2"], "name": ["Nord", "Sør"], "members": ["0101,0102", "0103"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 2000, Y0 + 1000),
            shapely.box(X0 + 2000, Y0, X0 + 3000, Y0 + 1000),
        ],
        crs=25833,
    )
    path = inputs["dir"] / "innsats.gpkg"
    zones.assign(pop=[1510.0, 3000.0]).to_file(path)  # Z2 has 3 400 persons in the grid
    code, _ = _map(inputs, "--grid", str(inputs["grid"]), "--areas", str(path))
    assert code == 1
    err = capsys.readouterr().err
    assert "innsats.gpkg: column 'zone_id'" in err
    assert "Z2" in err
    assert "Z1" not in err
    zones.assign(pop=[1510.0, 3400.0]).to_file(path)  # as a run on this grid writes them
    code, out = _map(inputs, "--grid", str(inputs["grid"]), "--areas", str(path), "--overwrite")
    assert code == 0
    rows = {row[0]: row for row in _table(_page(out), "gl-table-zones")[1:]}
    assert _number(rows["Sør"][1]) == 3400.0
