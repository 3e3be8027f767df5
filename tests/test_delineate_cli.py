"""``geoloft delineate``: files in, areas out, clear errors."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from geoloft.cli import main
from geoloft.grid import corners_to_ssbid

X0, Y0 = 260_000, 6_650_000


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
    assert "2 in, 2 out" in printed
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
