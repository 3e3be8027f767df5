"""A run protected against SSB's own published grid (``published_with`` an SSB grid file).

The hand-made city: nine 1 km cells on a 3 × 3 km square, each four 250 m cells; SSB's
250 m file of it is ``g250.csv``, its 1 km file ``g1k.csv``.

* ``a`` (south-west): 3 + 4 = 7 persons, the only small 1 km cell;
* ``b`` (the middle): 4 × 15 = 60 persons, the smallest other 1 km cell; SSB publishes
  every one of its 250 m cells (all 10 or more), so b = 60 is public;
* ``d`` (north-west): 5 + 3 × 40 = 125 persons; SSB hides the 5 (under 10);
* every other 1 km cell: 4 × 40 = 160 persons.

Alone, the 1 km run hides ``a`` and its cheapest helper ``b`` (the study-area total less
the published cells is a + b). With SSB's 250 m grid b is known (60), so hiding it
leaves a = total − published − 60 = 7 exactly: ``b`` is of no use. The cheapest cell
that SSB does not publish in full is ``d``: a + d = 132 and d = 120 + (the hidden 5),
so a + (the hidden 5) = 12 and a may lie anywhere from 0 to 12.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geoloft.cli import main
from geoloft.config import load_project
from geoloft.disclosure.audit import audit
from geoloft.errors import ConfigError, InputError
from geoloft.pipeline import run

X0, Y0 = 260_000, 6_650_000  # a corner of a 5 km block: all nine cells in one block
QUARTERS = [(0, 0), (250, 0), (0, 250), (250, 250)]
FINE = {(i, j): [40, 40, 40, 40] for i in range(3) for j in range(3)}
FINE[(0, 0)] = [3, 4, 0, 0]  # a
FINE[(1, 1)] = [15, 15, 15, 15]  # b
FINE[(0, 2)] = [5, 40, 40, 40]  # d


def _ssbid(x: int, y: int) -> int:
    return (x + 2_000_000) * 10**7 + y


A, B, D = (_ssbid(X0 + 1000 * i, Y0 + 1000 * j) for i, j in ((0, 0), (1, 1), (0, 2)))


def _fine_cells(fine: dict[tuple[int, int], list[int]]) -> pd.DataFrame:
    cells = [
        (_ssbid(X0 + 1000 * i + dx, Y0 + 1000 * j + dy), v)
        for (i, j), values in fine.items()
        for (dx, dy), v in zip(QUARTERS, values, strict=True)
        if v
    ]
    return pd.DataFrame(cells, columns=["ru250m", "pop_tot"])


def _project(folder: Path, name: str, grid: str, extra: str = "") -> Path:
    size = 250 if grid.startswith("g250") else 1000
    path = folder / f"{name}.toml"
    path.write_text(
        f'{extra}\n[inputs.boundaries]\npath = "areas.geojson"\nid_column = "id"\n'
        f'name_column = "name"\n[inputs.grid]\npath = "{grid}"\ncell_size = {size}\n'
        "[maps]\nfigures = false\n",
        encoding="utf-8",
    )
    return path


def _run(folder: Path, name: str, grid: str, extra: str = "") -> Path:
    out = folder / f"out_{name}"
    run(load_project(_project(folder, name, grid, extra)), out=out, only=["export"])
    return out


def _hidden_cells(out: Path) -> set[int]:
    grid = gpd.read_file(out / "geoloft.gpkg", layer="grid")
    return set(grid.loc[grid["pop_tot"].isna(), "ssbid"].astype("int64"))


def _record(out: Path) -> dict:
    return json.loads((out / "run.json").read_text(encoding="utf-8"))


def _joint_notes(out: Path) -> dict:
    stage = next(s for s in _record(out)["stages"] if s["stage"] == "disclosure model")
    return stage["notes"]["published_with"]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The city's files, its 250 m run and its 1 km run (each protected alone)."""
    folder = tmp_path_factory.mktemp("city")
    _fine_cells(FINE).to_csv(folder / "g250.csv", sep=";", index=False)
    coarse = [(_ssbid(X0 + 1000 * i, Y0 + 1000 * j), sum(v)) for (i, j), v in FINE.items()]
    pd.DataFrame(coarse, columns=["ssbid_1000m", "pop_tot"]).to_csv(
        folder / "g1k.csv", sep=";", index=False
    )
    gpd.GeoDataFrame(
        {"id": ["01"], "name": ["Kvartalet"]},
        geometry=[box(X0, Y0, X0 + 3000, Y0 + 3000)],
        crs="EPSG:25833",
    ).to_file(folder / "areas.geojson")
    return folder, _run(folder, "fine", "g250.csv"), _run(folder, "alone", "g1k.csv")


@pytest.fixture(scope="module")
def with_ssb(city):
    """The 1 km run protected against SSB's 250 m file."""
    folder, _, _ = city
    return _run(folder, "with_ssb", "g1k.csv", 'published_with = ["g250.csv"]')


def test_alone_the_helper_is_a_cell_ssb_publishes_in_full(city):
    _, fine, alone = city
    assert _hidden_cells(alone) == {A, B}
    assert audit([alone]).pinned.empty
    # the 250 m run publishes b's four cells as SSB does: a = total − published − 60
    pinned = audit([fine, alone]).pinned.set_index("label")
    assert list(pinned.index) == [f"grid1000:{A}:pop_tot"]
    assert pinned["low"].iloc[0] == pytest.approx(7, abs=1e-3)
    assert pinned["high"].iloc[0] == pytest.approx(7, abs=1e-3)


def test_with_ssb_grid_the_helper_is_a_cell_ssb_does_not_publish_in_full(city, with_ssb):
    _, fine, _ = city
    assert _hidden_cells(with_ssb) == {A, D}
    notes = _joint_notes(with_ssb)
    assert notes["joint_pinned"] == 0
    assert notes["beyond_reach"] == 0
    assert audit([with_ssb]).pinned.empty
    found = audit([fine, with_ssb])
    assert found.pinned.empty
    a = found.table.set_index("label").loc[f"grid1000:{A}:pop_tot"]
    assert a["high"] - a["low"] >= 5


def test_the_run_record_names_the_file_and_its_hash(city, with_ssb):
    folder, _, _ = city
    (entry,) = _joint_notes(with_ssb)["ssb_grids"]
    digest = hashlib.sha256((folder / "g250.csv").read_bytes()).hexdigest()
    assert entry["file"] == "g250.csv"  # relative to the project
    assert entry["sha256"] == digest
    assert entry["cell_size"] == 250
    # 2 cells in a, 4 in b, 4 in d, 4 in each of the six others; hidden: 3, 4 and 5
    assert (entry["cells_in_file"], entry["cells_used"]) == (34, 34)
    assert (entry["cells_published"], entry["cells_hidden"]) == (31, 3)
    assert entry["small_cells_in_file"] is True
    assert _joint_notes(with_ssb)["runs"] == []
    record = _record(with_ssb)
    assert record["parameters"]["published_with"] == [str((folder / "g250.csv").resolve())]
    assert any("protected jointly with g250.csv" in note for note in record["notes"])


def test_a_file_without_its_small_cells_leaves_the_rest_unknown(city):
    """SSB's files from 2019 on leave cells under 10 out: a coarse cell is then only known
    to hold at least its published sub-cells. b >= 60 leaves a anywhere in 0-7, so b serves
    as the helper again, and d (at least 120, its 5 left out) is not needed.
    """
    folder, _, _ = city
    cells = _fine_cells(FINE)
    cells[cells["pop_tot"] >= 10].to_csv(folder / "g250_2019.csv", sep=";", index=False)
    out = _run(folder, "left_out", "g1k.csv", 'published_with = ["g250_2019.csv"]')
    assert _hidden_cells(out) == {A, B}
    notes = _joint_notes(out)
    (entry,) = notes["ssb_grids"]
    assert entry["small_cells_in_file"] is False
    assert (entry["cells_published"], entry["cells_hidden"]) == (31, 0)
    assert notes["joint_pinned"] == 0


def test_the_cli_flag_takes_a_grid_file(city, tmp_path):
    folder, _, _ = city
    path = _project(folder, "cli", "g1k.csv")
    out = tmp_path / "cli"
    args = ["-q", "run", str(path), "--out", str(out), "--only", "export"]
    assert main([*args, "--published-with", str(folder / "g250.csv")]) == 0
    assert _hidden_cells(out) == {A, D}


def _bad_files(folder: Path) -> None:
    """Files that are not SSB grids in EPSG:25833."""
    (folder / "broken.gpkg").write_text("not a geopackage", encoding="utf-8")
    (folder / "names.csv").write_text("name;value\na;1\n", encoding="utf-8")
    cells = gpd.read_file(folder / "out_fine" / "geoloft.gpkg", layer="grid")
    cells = cells[["ssbid", "pop_tot", "geometry"]].rename(columns={"ssbid": "ru250m"})
    cells.to_crs("EPSG:3035").to_file(folder / "laea.gpkg", driver="GPKG")


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("broken.gpkg", r"published_with.*broken\.gpkg: not a grid file geoloft can read"),
        ("names.csv", r"published_with.*names\.csv: not a grid file .*no SSB id column"),
        ("laea.gpkg", r"published_with.*laea\.gpkg: its cells are in EPSG:3035, not EPSG:25833"),
    ],
    ids=["unreadable", "not-a-grid", "other-crs"],
)
def test_bad_grid_files_are_named_before_any_work(city, name, match):
    folder, _, _ = city
    _bad_files(folder)
    path = _project(folder, "bad", "g1k.csv", f'published_with = ["{name}"]')
    with pytest.raises(ConfigError, match=match):
        load_project(path)


def test_the_cli_names_the_flag_and_the_file(city, tmp_path, capsys):
    folder, _, _ = city
    _bad_files(folder)
    path = _project(folder, "cli_bad", "g1k.csv")
    args = ["-q", "run", str(path), "--out", str(tmp_path / "o"), "--only", "export"]
    assert main([*args, "--published-with", str(folder / "names.csv")]) == 1
    said = " ".join(capsys.readouterr().err.split())
    assert f"--published-with: {folder / 'names.csv'}: not a grid file" in said


def test_cells_that_do_not_nest_are_refused(city, tmp_path):
    folder, _, _ = city
    ids = [_ssbid(X0 + 100 * k, Y0) for k in range(3)]
    pd.DataFrame({"ru100m": ids, "pop_tot": [40, 50, 60]}).to_csv(
        folder / "g100.csv", sep=";", index=False
    )
    path = _project(folder, "nest", "g250.csv", 'published_with = ["g100.csv"]')
    said = r"published_with: .*g100\.csv: its 100 m cells and this run's 250 m cells do not nest"
    with pytest.raises(InputError, match=said):
        run(load_project(path), out=tmp_path / "out", only=["export"])


def test_a_file_with_more_persons_than_the_run_is_refused(city, tmp_path):
    folder, _, _ = city
    more = {**FINE, (1, 1): [15, 15, 15, 16]}  # one more person in b than the 1 km file
    _fine_cells(more).to_csv(folder / "g250_more.csv", sep=";", index=False)
    path = _project(folder, "more", "g1k.csv", 'published_with = ["g250_more.csv"]')
    said = rf"g250_more\.csv counts other people than this run \(1000 m cell {B} pop_tot"
    with pytest.raises(InputError, match=said):
        run(load_project(path), out=tmp_path / "out", only=["export"])


SSB_250M = "ssb-grid-norway-2015/ru250m_2015_oslo0301.csv"
LEAK = "grid1000:22610006646000:pop_tot"  # 1 resident in SSB's 1 km file
HELPER = _ssbid(262_000, 6_647_000)  # 40 persons, one 250 m cell in SSB's 250 m file


def test_oslo_1km_with_ssb_250m_then_250m_run_audit_clean(realdata, tmp_path):
    """The 1 km run first, protected against SSB's 250 m file; then the 250 m run with
    ``published_with`` the 1 km run: together nothing is pinned, where without the file
    the 1 km run's helper (a cell SSB publishes whole) left the 1-person cell pinned.
    """
    grids = realdata / "ssb-grid-norway-2015"
    ssb = pd.read_csv(realdata / SSB_250M, sep=";")
    x, y = ssb["ru250m"] // 10**7 - 2_000_000, ssb["ru250m"] % 10**7
    assert ssb.loc[(x // 1000 == 262) & (y // 1000 == 6647), "pop_tot"].tolist() == [40]

    def oslo_run(name: str, grid: str, size: int, published_with: Path) -> Path:
        project = tmp_path / f"{name}.toml"
        project.write_text(
            f'published_with = ["{published_with}"]\n[inputs.boundaries]\n'
            f'path = "{realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson"}"\n'
            f'level = "delbydel"\n[inputs.grid]\npath = "{grids / grid}"\n'
            f'cell_size = {size}\n[study_area]\nkommune = ["0301"]\n'
            "[maps]\nfigures = false\n",
            encoding="utf-8",
        )
        out = tmp_path / name
        run(load_project(project), out=out, only=["export"])
        return out

    coarse = oslo_run("coarse", "nor2015pop_1kmruter.csv", 1000, realdata / SSB_250M)
    assert HELPER not in _hidden_cells(coarse)
    assert _ssbid(261_000, 6_646_000) in _hidden_cells(coarse)  # the 1-person cell
    notes = _joint_notes(coarse)
    assert notes["joint_pinned"] == 0
    assert notes["ssb_grids"][0]["file"].endswith("ru250m_2015_oslo0301.csv")
    fine = oslo_run("fine", "ru250m_2015_oslo0301.csv", 250, coarse)
    assert _joint_notes(fine)["beyond_reach"] == 0
    found = audit([coarse, fine])
    assert LEAK in set(found.table["label"])
    assert found.pinned.empty
