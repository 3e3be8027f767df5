"""The command line: help, exit codes, one-line errors, info and export."""

from __future__ import annotations

import pyogrio
import pytest

from geoloft.cli import main

DEMO = "data/boundaries/demoby_delbydeler.geojson"
GRID = "data/grid/demoby_ru250m_syntetisk.csv"


@pytest.fixture(autouse=True)
def _in_repo(repo, monkeypatch):
    monkeypatch.chdir(repo)


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in ("demo", "init", "run", "info", "export"):
        assert command in text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (DEMO, ["kind:    boundaries", "rows:    36", "EPSG:25833", "DELBYDEL"]),
        (GRID, ["kind:    grid", "rows:    3664", "cell_size: 250", "ru250m"]),
    ],
    ids=["boundaries", "grid"],
)
def test_info_describes_files(capsys, path, expected):
    assert main(["info", path]) == 0
    text = capsys.readouterr().out
    for item in expected:
        assert item in text


def test_bad_input_exits_1_with_one_line_and_no_traceback(capsys, tmp_path):
    assert main(["info", str(tmp_path / "missing.csv")]) == 1
    err = capsys.readouterr().err
    assert "missing.csv" in err
    assert "not found" in err
    assert "Traceback" not in err


def test_verbose_shows_traceback(capsys, tmp_path):
    assert main(["-v", "info", str(tmp_path / "missing.csv")]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    assert main(["info"]) == 2
    assert main(["no-such-command"]) == 2


def test_export_converts_and_refuses_overwrite(tmp_path):
    target = tmp_path / "delbydeler.gpkg"
    assert main(["export", DEMO, "-o", str(target), "--crs", "EPSG:25832"]) == 0
    back = pyogrio.read_dataframe(target)
    assert back.crs.equals("EPSG:25832")
    assert len(back) == 36
    assert back["area_id"].str.fullmatch(r"\d{4}").all()
    assert main(["export", DEMO, "-o", str(target)]) == 1
    assert main(["export", DEMO, "-o", str(target), "--overwrite"]) == 0


def test_export_never_overwrites_its_input(tmp_path):
    source = tmp_path / "a.geojson"
    source.write_bytes((__import__("pathlib").Path(DEMO)).read_bytes())
    before = source.read_bytes()
    assert main(["export", str(source), "-o", str(source), "--overwrite"]) == 1
    assert source.read_bytes() == before
