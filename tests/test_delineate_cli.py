"""``geoloft delineate``: files in, areas out, clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from geoloft.cli import main
from geoloft.grid import corners_to_ssbid

X0, Y0 = 260_000, 6_650_000
DEMO = Path(__file__).parents[1] / "data/boundaries/demoby_delbydeler.geojson"


def write_grid(path: Path, pops: list[list[int]]) -> Path:
    """A 250 m grid CSV in SSB's 2015 layout; row 0 of ``pops`` is the northern row."""
    rows = []
    for r, line in enumerate(pops):
        for c, pop in enumerate(line):
            if pop:
                ssbid = corners_to_ssbid(X0 + c * 250, Y0 + (len(pops) - 1 - r) * 250)
                rows.append(f"{int(ssbid)};{pop}")
    path.write_text("ru250m;pop_tot\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_grid_csv_to_gpkg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_grid(
        tmp_path / "grid.csv", [[90, 80, 0, 0, 70], [5, 5, 0, 0, 60], [0, 0, 0, 0, 0]]
    )
    target = tmp_path / "areas.gpkg"
    code = main(
        ["delineate", str(source), "--select", "pop_tot>=50", "--min-pop", "120", "-o", str(target)]
    )
    assert code == 0
    areas = gpd.read_file(target, layer="intervention_areas")
    assert sorted(areas["pop"]) == [130.0, 170.0]
    assert areas.crs.to_epsg() == 25833
    printed = capsys.readouterr().out
    # 6 populated cells, 4 with >= 50 persons in two blobs (90+80, 70+60), both over 120
    assert "delineate: 6 cells in, 4 selected (pop_tot >= 50.0); 2 candidate areas in, 2 out." in (
        printed
    )
    assert "2 areas, 300 persons." in printed
    assert "Wrote" in printed


def test_units_with_scores_and_settlement(tmp_path: Path) -> None:
    units = gpd.GeoDataFrame(
        {
            "area_id": ["0101", "0102", "0201"],
            "name": ["Nord", "Sør", "Øst"],
            "pop_tot": [400.0, 300.0, 200.0],
            "parent_id": ["01", "01", "02"],
        },
        geometry=[
            shapely.box(X0, Y0 + 500, X0 + 500, Y0 + 1000),
            shapely.box(X0, Y0, X0 + 500, Y0 + 500),
            shapely.box(X0 + 500, Y0, X0 + 1000, Y0 + 1000),
        ],
        crs=25833,
    )
    source = tmp_path / "units.gpkg"
    units.to_file(source)
    scores = tmp_path / "scores.csv"
    pd.DataFrame({"area_id": ["0101", "0102", "0201"], "qualifies": [True, True, True]}).to_csv(
        scores, index=False
    )
    grid = write_grid(
        tmp_path / "grid.csv", [[5, 0, 0, 0], [5, 5, 0, 0], [0, 0, 0, 0], [0, 5, 5, 0]]
    )
    target = tmp_path / "areas.gpkg"
    args = ["delineate", str(source), "--scores", str(scores), "--select", "qualifies"]
    args += ["--within", "parent_id", "--grid", str(grid), "--lock-out", "0201", "-o", str(target)]
    assert main(args) == 0
    assert [name for name, _ in pyogrio.list_layers(target)] == ["intervention_areas", "settlement"]
    areas = gpd.read_file(target, layer="intervention_areas")
    assert areas["members"].tolist() == ["0101,0102"]
    assert areas["name"].tolist() == ["Nord\u2013Sør"]
    lived = gpd.read_file(target, layer="settlement")
    assert lived.geometry.iloc[0].within(areas.geometry.iloc[0].buffer(1e-6))


def test_unreadable_select_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_grid(tmp_path / "grid.csv", [[90]])
    code = main(
        ["delineate", str(source), "--select", "pop_tot >>= 3", "-o", str(tmp_path / "a.gpkg")]
    )
    assert code == 1
    assert "no column 'pop_tot >>= 3'" in capsys.readouterr().err


def test_unknown_column_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_grid(tmp_path / "grid.csv", [[90]])
    code = main(["delineate", str(source), "--select", "income<=3", "-o", str(tmp_path / "a.gpkg")])
    assert code == 1
    assert "column 'income'" in capsys.readouterr().err


def test_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_grid(tmp_path / "grid.csv", [[90]])
    target = tmp_path / "a.gpkg"
    target.write_bytes(b"keep")
    assert main(["delineate", str(source), "--select", "pop_tot>=1", "-o", str(target)]) == 1
    assert "exists" in capsys.readouterr().err
    assert target.read_bytes() == b"keep"
    assert (
        main(["delineate", str(source), "--select", "pop_tot>=1", "-o", str(target), "--overwrite"])
        == 0
    )


def two_units(path: Path) -> Path:
    """Units A (west) and B (east), 500 m x 500 m each, without a population column."""
    units = gpd.GeoDataFrame(
        {"id": ["A", "B"], "navn": ["Vest", "Øst"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 500, Y0 + 500),
            shapely.box(X0 + 500, Y0, X0 + 1000, Y0 + 500),
        ],
        crs=25833,
    )
    units.to_file(path)
    return path


def scores_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_units_without_population_count_persons_from_the_grid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = two_units(tmp_path / "units.gpkg")
    # cells (250 m): A holds 10 + 20 = 30 persons, B holds 40
    grid = write_grid(tmp_path / "grid.csv", [[10, 0, 40, 0], [0, 20, 0, 0]])
    # Latin-1 score table with ; separator, as a spreadsheet might save it
    scores = scores_csv(
        tmp_path / "s.csv",
        "area_id;name;qualifies\nA;Vest;True\nB;Øst;False\nC;Nord;True\n",
        "latin-1",
    )
    target = tmp_path / "areas.gpkg"
    args = ["delineate", str(units), "--scores", str(scores), "--select", "qualifies"]
    assert main([*args, "--grid", str(grid), "--min-pop", "50", "-o", str(target)]) == 0
    areas = gpd.read_file(target, layer="intervention_areas")
    # A (30) is under the floor of 50 and takes its neighbour B (40)
    assert areas["pop"].tolist() == [70.0]
    assert areas["members"].tolist() == ["A,B"]
    assert areas["added"].tolist() == ["B"]
    printed = capsys.readouterr().out
    assert "note: 1 id (C) of s.csv match nothing in the input." in printed
    assert main([*args, "-o", str(tmp_path / "b.gpkg")]) == 1
    err = capsys.readouterr().err
    assert "units.gpkg: column 'pop_tot': the units have no population column 'pop_tot'" in err
    assert "Fix: add --grid CELLS" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, r"missing\.csv: score table not found"),
        (
            Path(DEMO).read_text()[:400],
            r"s\.csv: cannot read the score table \(.*Fix: give the CSV",
        ),
        ("area_id,qualifies\nA,True\nA,False\n", r"s\.csv: column 'area_id': duplicate ids A"),
        ("id,qualifies\nA,True\n", r"s\.csv: the score table has no 'area_id' column.*has: id"),
    ],
    ids=["missing", "not-a-table", "duplicate-ids", "no-key"],
)
def test_bad_score_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | None, message: str
) -> None:
    units = two_units(tmp_path / "units.gpkg")
    scores = tmp_path / "missing.csv" if text is None else scores_csv(tmp_path / "s.csv", text)
    args = ["delineate", str(units), "--scores", str(scores), "--select", "qualifies"]
    assert main([*args, "--pop", "navn", "-o", str(tmp_path / "a.gpkg")]) == 1
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err


def test_hot_spots_without_a_column_list_the_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_grid(tmp_path / "grid.csv", [[90, 80], [5, 5]])
    assert (
        main(["delineate", str(source), "--select", "hotspots", "-o", str(tmp_path / "h.gpkg")])
        == 1
    )
    err = capsys.readouterr().err
    assert "no column 'index' to select on; the input has: ssbid, cell_size, pop_tot." in err
    assert "'hotspots:index'" in err
