"""A run published alongside earlier runs protects itself jointly with them.

The hand-made city: nine 1 km cells on a 3 × 3 km square, each four 250 m cells.

* ``a`` (south-west): 3 + 4 = 7 persons, the only small 1 km cell;
* ``b`` (the middle): 4 × 15 = 60 persons, the smallest other 1 km cell;
* ``c`` (south-east): 11 + 3 × 40 = 131 persons, holding the smallest 250 m cell of
  10 or more; every other 1 km cell is 4 × 40 = 160 persons.

Alone, the 250 m run hides 3 and 4 (primary) and 11 (the cheapest helper), and the
1 km run hides ``a`` and its cheapest helper ``b``. Together they disclose ``a``: the
250 m run publishes ``b``'s four cells (and ``b`` lies inside the 250 m run's cover, so
it is exactly their sum, 60), and the 1 km run's exact study-area total minus its
published cells leaves ``a + b``: ``a = 7`` exactly. Hiding ``b`` as well cannot help
the 1 km run; it must hide a cell whose persons the 250 m run does not publish all of:
``c`` (its 11 is hidden there).
"""

from __future__ import annotations

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
FINE[(2, 0)] = [11, 40, 40, 40]  # c


def _ssbid(x: int, y: int) -> int:
    return (x + 2_000_000) * 10**7 + y


A, B, C = (_ssbid(X0 + 1000 * i, Y0 + 1000 * j) for i, j in ((0, 0), (1, 1), (2, 0)))


def _grids(folder: Path, fine: dict[tuple[int, int], list[int]]) -> None:
    """Write the 250 m and 1 km grids (SSB's CSV layout) of the city."""
    cells = [
        (_ssbid(X0 + 1000 * i + dx, Y0 + 1000 * j + dy), v)
        for (i, j), values in fine.items()
        for (dx, dy), v in zip(QUARTERS, values, strict=True)
        if v
    ]
    pd.DataFrame(cells, columns=["ru250m", "pop_tot"]).to_csv(
        folder / "g250.csv", sep=";", index=False
    )
    coarse = [(_ssbid(X0 + 1000 * i, Y0 + 1000 * j), sum(v)) for (i, j), v in fine.items()]
    pd.DataFrame(coarse, columns=["ssbid_1000m", "pop_tot"]).to_csv(
        folder / "g1k.csv", sep=";", index=False
    )


def _project(folder: Path, name: str, grid: str, extra: str = "") -> Path:
    size = 250 if grid == "g250.csv" else 1000
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


def _joint_notes(out: Path) -> dict:
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    stage = next(s for s in record["stages"] if s["stage"] == "disclosure model")
    return stage["notes"]["published_with"]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The hand-made city's files and its 250 m run (published first)."""
    folder = tmp_path_factory.mktemp("city")
    _grids(folder, FINE)
    gpd.GeoDataFrame(
        {"id": ["01"], "name": ["Kvartalet"]},
        geometry=[box(X0, Y0, X0 + 3000, Y0 + 3000)],
        crs="EPSG:25833",
    ).to_file(folder / "areas.geojson")
    return folder, _run(folder, "fine", "g250.csv")


def test_the_fine_run_hides_what_the_rules_say(city):
    _, fine = city
    small = {_ssbid(X0, Y0), _ssbid(X0 + 250, Y0)}  # 3 and 4 persons
    assert _hidden_cells(fine) == small | {_ssbid(X0 + 2000, Y0)}  # and the 11
    assert audit([fine]).pinned.empty


def test_each_run_alone_is_safe_together_they_disclose_a(city):
    folder, fine = city
    coarse = _run(folder, "coarse", "g1k.csv")
    assert _hidden_cells(coarse) == {A, B}
    assert audit([coarse]).pinned.empty
    pinned = audit([fine, coarse]).pinned.set_index("label")
    assert list(pinned.index) == [f"grid1000:{A}:pop_tot"]
    assert pinned["low"].iloc[0] == pytest.approx(7, abs=1e-3)
    assert pinned["high"].iloc[0] == pytest.approx(7, abs=1e-3)


def test_published_with_the_fine_run_the_coarse_run_hides_c(city):
    folder, fine = city
    coarse = _run(folder, "coarse_joint", "g1k.csv", f'published_with = ["{fine.name}"]')
    hidden = _hidden_cells(coarse)
    assert {A, B, C} <= hidden  # b alone cannot help: c had to go too
    assert len(hidden) == 3  # the 160-person cells stay published
    result = audit([fine, coarse])
    assert result.pinned.empty
    assert len(result.table) == 3 + len(hidden)
    notes = _joint_notes(coarse)
    assert [r["folder"] for r in notes["runs"]] == [str(fine.resolve())]
    assert notes["joint_pinned"] == 0
    assert notes["beyond_reach"] == 0
    record = json.loads((coarse / "run.json").read_text(encoding="utf-8"))
    assert record["parameters"]["published_with"] == [str(fine.resolve())]


def test_a_run_hides_what_an_earlier_run_of_the_same_cells_hid(city):
    folder, fine = city
    again = _run(folder, "fine_again", "g250.csv", f'published_with = ["{fine.name}"]')
    assert _hidden_cells(again) >= _hidden_cells(fine)
    assert audit([fine, again]).pinned.empty


def test_a_leak_of_the_earlier_run_with_ssb_blocks_is_reported_not_chased(city):
    """1 km first: it hides b, a cell SSB publishes (as the 1 km sum of b's 250 m cells).

    Then ``a`` = the 1 km run's total − its published cells − 60, whatever the 250 m
    run hides: the 250 m run names it as beyond its reach.
    """
    folder, _ = city
    coarse = _run(folder, "coarse_first", "g1k.csv")
    fine = _run(folder, "fine_second", "g250.csv", f'published_with = ["{coarse.name}"]')
    notes = _joint_notes(fine)
    assert notes["beyond_reach"] == 1
    assert notes["beyond_reach_examples"] == [f"grid1000:{A}:pop_tot"]
    pinned = audit([coarse, fine]).pinned
    assert set(pinned["label"]) == {f"grid1000:{A}:pop_tot"}
    record = json.loads((fine / "run.json").read_text(encoding="utf-8"))
    assert any("beyond_reach" in note for note in record["notes"])


@pytest.fixture(scope="module")
def unprotected(city):
    folder, _ = city
    return _run(folder, "open", "g250.csv", "disclosure = false")


@pytest.mark.parametrize(
    ("extra", "folder", "match"),
    [
        ("", "nowhere", r"published_with.*not found.*nowhere"),
        ("", "empty", r"published_with.*empty: no run\.json or geoloft\.gpkg"),
        ("disclosure_threshold = 12", "out_fine", r"out_fine was protected with .*= 10.*12"),
        ("", "out_open", r"out_open was written with disclosure = false"),
    ],
    ids=["missing", "not-a-run", "other-threshold", "unprotected"],
)
def test_bad_publications_are_named_before_any_work(city, unprotected, extra, folder, match):
    root, _ = city
    (root / "empty").mkdir(exist_ok=True)
    del unprotected
    path = _project(root, "bad", "g1k.csv", f'{extra}\npublished_with = ["{folder}"]')
    with pytest.raises(ConfigError, match=match):
        load_project(path)


def test_a_grid_that_does_not_nest_is_refused(city, tmp_path):
    root, fine = city
    ids = [_ssbid(X0 + 2000 + 100 * k, Y0 + 2000) for k in range(3)]
    pd.DataFrame({"ru100m": ids, "pop_tot": [40, 50, 60]}).to_csv(
        root / "g100.csv", sep=";", index=False
    )
    path = _project(root, "hundred", "g1k.csv", f'published_with = ["{fine.name}"]')
    text = path.read_text(encoding="utf-8").replace("g1k.csv", "g100.csv")
    path.write_text(text.replace("cell_size = 1000", "cell_size = 100"), encoding="utf-8")
    with pytest.raises(InputError, match=r"its 250 m cells and this run's 100 m cells do not nest"):
        run(load_project(path), out=tmp_path / "out", only=["export"])


def test_other_counts_are_refused(city, tmp_path):
    root, fine = city
    other = tmp_path / "other"
    other.mkdir()
    changed = dict(FINE)
    changed[(1, 1)] = [15, 15, 15, 16]  # one more person in b
    _grids(other, changed)
    (other / "areas.geojson").write_bytes((root / "areas.geojson").read_bytes())
    path = _project(other, "other", "g1k.csv", f'published_with = ["{fine}"]')
    said = rf"counts other people than this run \(1000 m cell {B} pop_tot = .*: 61 against 60\)"
    with pytest.raises(InputError, match=said):
        run(load_project(path), out=other / "out", only=["export"])


def test_cli_flag_replaces_the_project_key(city, tmp_path, capsys):
    root, fine = city
    path = _project(root, "cli", "g1k.csv", 'published_with = ["empty"]')
    (root / "empty").mkdir(exist_ok=True)
    out = tmp_path / "cli"
    args = ["-q", "run", str(path), "--out", str(out), "--only", "export"]
    assert main(args) == 1  # the project's own list is checked first
    assert "empty: no run.json" in capsys.readouterr().err
    path.write_text(path.read_text(encoding="utf-8").replace('"empty"', ""), encoding="utf-8")
    assert main([*args, "--published-with", str(fine)]) == 0
    assert _hidden_cells(out) == {A, B, C}
    assert main([*args, "--overwrite", "--published-with", str(tmp_path / "none")]) == 1
    said = " ".join(capsys.readouterr().err.split())
    assert f"--published-with: {tmp_path / 'none'}: no such folder" in said
    assert main([*args, "--overwrite", "--published-with", str(out)]) == 1
    assert "both the output folder and a run it is published with" in capsys.readouterr().err


@pytest.fixture(scope="module")
def oslo(realdata, tmp_path_factory):
    """Oslo's 97 delbydeler with SSB's 2015 grid: the 250 m and 1 km runs."""
    folder = tmp_path_factory.mktemp("oslo")
    grids = realdata / "ssb-grid-norway-2015"
    sources = {"250m": (grids / "ru250m_2015_oslo0301.csv", 250)}
    sources["1km"] = (grids / "nor2015pop_1kmruter.csv", 1000)

    def oslo_run(name: str, grid: str, published_with: Path | None = None) -> Path:
        path, size = sources[grid]
        extra = f'published_with = ["{published_with}"]\n' if published_with else ""
        project = folder / f"{name}.toml"
        project.write_text(
            f'{extra}[inputs.boundaries]\npath = "{realdata / "oslo-delbydeler"}'
            '/oslo_delbydeler.geojson"\nlevel = "delbydel"\n'
            f'[inputs.grid]\npath = "{path}"\ncell_size = {size}\n'
            '[study_area]\nkommune = ["0301"]\n[maps]\nfigures = false\n',
            encoding="utf-8",
        )
        out = folder / name
        run(load_project(project), out=out, only=["export"])
        return out

    return oslo_run


def _line(label: str, out: Path, other: Path) -> str:
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    notes = next(s for s in record["stages"] if s["stage"] == "disclosure model")["notes"]
    found = audit([other, out]).summary()
    return (
        f"{label}: {found['hidden_values']} hidden values, {notes['secondary_hidden']} "
        f"secondary ({notes['persons_hidden_secondary']:.0f} persons), protect "
        f"{record['timings_s']['disclosure']:.1f} s, audit: {found['pinned']} pinned "
        f"({found['exact']} exact)"
    )


LEAK = "grid1000:22610006646000:pop_tot"  # 1 resident in SSB's 1 km file


def test_oslo_250m_then_1km_published_with_it(oslo, realdata, capsys):
    fine = oslo("fine", "250m")
    alone = oslo("coarse_alone", "1km")
    joint = oslo("coarse_joint", "1km", fine)
    assert LEAK in set(audit([fine, alone]).pinned["label"])  # each run protects itself
    assert audit([fine, joint]).pinned.empty
    assert _joint_notes(joint)["joint_pinned"] == 0
    with capsys.disabled():
        print(f"\n{_line('250 m, then 1 km alone', alone, fine)}")
        print(_line("250 m, then 1 km published_with the 250 m run", joint, fine))


def test_oslo_1km_then_250m_reports_what_it_cannot_mend(oslo, realdata):
    """1 km first: the 1-person cell's helper is a cell SSB publishes; reported, not chased.

    The 1 km run hid, as the helper, a 1 km cell of 40 persons that is one 250 m cell
    of SSB's 250 m file: no later run can hide it again.
    """
    ssb = pd.read_csv(realdata / "ssb-grid-norway-2015" / "ru250m_2015.csv", sep=";")
    x, y = ssb["ru250m"] // 10**7 - 2_000_000, ssb["ru250m"] % 10**7
    helper = ssb[(x // 1000 == 262) & (y // 1000 == 6647)]
    assert helper["pop_tot"].tolist() == [40]  # the whole 1 km cell in one 250 m cell
    coarse = oslo("coarse_first", "1km")
    assert _ssbid(262_000, 6_647_000) in _hidden_cells(coarse)
    fine = oslo("fine_second", "250m", coarse)
    notes = _joint_notes(fine)
    assert LEAK in notes["beyond_reach_examples"]
    assert set(audit([coarse, fine]).pinned["label"]) <= set(notes["beyond_reach_examples"])
