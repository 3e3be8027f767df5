"""The command line: help, exit codes, one-line errors, info and export."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

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


# --- no traceback without -v; -v/-q anywhere; --version -----------------------------------


def _boom(*args, **kwargs):
    raise KeyError("area_id")


def test_a_bug_is_one_line_naming_command_and_how_to_see_more(capsys, monkeypatch):
    monkeypatch.setattr("geoloft.info.describe_file", _boom)
    assert main(["info", GRID]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    line = " ".join(err.split())  # rich wraps long lines at the terminal width
    assert "this is a bug in geoloft (KeyError: 'area_id')" in line
    assert "while running 'geoloft info'" in line
    assert "with -v" in line


@pytest.mark.parametrize(
    "args", [["-v", "info", GRID], ["info", GRID, "-v"]], ids=["before", "after"]
)
def test_verbose_anywhere_shows_the_traceback_of_a_bug(capsys, monkeypatch, args):
    monkeypatch.setattr("geoloft.info.describe_file", _boom)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "KeyError" in err


def test_a_long_exception_text_is_cut_to_one_short_line(capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise ValueError("row\n" * 500)

    monkeypatch.setattr("geoloft.info.describe_file", boom)
    assert main(["info", GRID]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "(ValueError: row row" in err
    assert "…) while running 'geoloft info'" in err
    assert len(err) < 500


def test_a_bug_in_a_pipeline_stage_names_the_stage(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("geoloft.pipeline.stages.stage_join", _boom)
    assert main(["demo", "--out", str(tmp_path / "out")]) == 1
    line = " ".join(capsys.readouterr().err.split())
    assert "while running 'geoloft demo', stage 'join'" in line
    assert "Traceback" not in line


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ImportError("GeoParquet output needs pyarrow: pip install 'geoloft[parquet]'."),
            "error: GeoParquet output needs pyarrow: pip install 'geoloft[parquet]'.",
        ),
        (
            ModuleNotFoundError("No module named 'contextily.tile'", name="contextily.tile"),
            "error: the package 'contextily' is not installed",
        ),
    ],
    ids=["optional-extra", "missing-package"],
)
def test_a_missing_package_is_one_line_saying_what_to_install(capsys, monkeypatch, error, expected):
    def missing(*args, **kwargs):
        raise error

    monkeypatch.setattr("geoloft.info.describe_file", missing)
    assert main(["info", GRID]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith(expected)
    assert "bug" not in err
    assert "Traceback" not in err


def test_a_command_module_that_fails_to_import_is_one_line(capsys, monkeypatch):
    from geoloft import cli

    monkeypatch.setitem(cli.LOAD_ERRORS, "figure", ImportError("No module named 'matplotlib'"))
    assert main(["info", GRID]) == 0  # the other commands still work
    captured = capsys.readouterr()
    assert "kind:    grid" in captured.out
    assert "bug in geoloft (ImportError: No module named 'matplotlib')" in (
        " ".join(captured.err.split())
    )
    assert "'geoloft figure'" in captured.err


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_anywhere_prints_nothing_but_errors(capsys, tmp_path, where):
    target = tmp_path / "d.gpkg"
    args = ["export", DEMO, "-o", str(target)]
    assert main(args) == 0
    assert "Wrote 36 boundaries rows" in capsys.readouterr().out
    args = [*args, "--overwrite"]
    assert main(["-q", *args] if where == "before" else [*args, "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["-q", "export", DEMO, "-o", str(target)]) == 1  # exists: an error still shows
    assert "the file exists" in capsys.readouterr().err


def test_quiet_run_draws_no_progress_bar(capsys, monkeypatch, tmp_path):
    import io

    from rich.console import Console

    from geoloft.demo import write_demo_project

    project = write_demo_project(tmp_path / "p")
    screens = []
    for quiet in ([], ["-q"]):
        screen = io.StringIO()
        monkeypatch.setattr(
            "geoloft.cli.project.console", Console(file=screen, force_terminal=True)
        )
        out = str(tmp_path / f"out{len(quiet)}")
        assert main(["run", str(project), "--only", "ingest", "-o", out, *quiet]) == 0
        screens.append((screen.getvalue(), capsys.readouterr()))
    (bar, (out, _)), (quiet_bar, quiet_out) = screens
    assert "ingest" in bar  # the bar names the stage it is in
    assert "Wrote" in out
    assert quiet_bar == ""
    assert quiet_out == ("", "")


def test_quiet_silences_notes_on_stderr_but_not_errors(capsys, monkeypatch):
    from geoloft import info
    from geoloft.cli import _app

    describe = info.describe_file

    def noisy(*args, **kwargs):
        _app.console.print("disclosure: 3 counts under 10 persons hidden")
        return describe(*args, **kwargs)

    monkeypatch.setattr("geoloft.info.describe_file", noisy)
    assert main(["info", GRID]) == 0
    assert "disclosure: 3 counts" in capsys.readouterr().err
    assert main(["info", GRID, "-q"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["info", "missing.csv", "-q"]) == 1
    assert "missing.csv: file not found" in capsys.readouterr().err


def test_quiet_info_still_describes_the_file(capsys):
    assert main(["info", GRID, "-q"]) == 0
    assert "kind:    grid" in capsys.readouterr().out


def test_version_and_python_dash_m(capsys):
    import subprocess
    import sys
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"geoloft {version('geoloft')}"
    done = subprocess.run(
        [sys.executable, "-m", "geoloft", "info", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "Usage: geoloft info" in " ".join(done.stdout.split())


def test_flags_after_double_dash_are_left_alone():
    from geoloft.cli._app import hoist_global_flags

    assert hoist_global_flags(["info", "x", "-q", "--", "-v"]) == ["-q", "info", "x", "--", "-v"]


# --- init never replaces what the user edited -------------------------------------------


def test_init_overwrite_writes_what_is_missing_and_keeps_identical_files(tmp_path, capsys):
    folder = tmp_path / "p"
    assert main(["init", str(folder)]) == 0
    grid = folder / "data" / "grid" / "demoby_ru250m_syntetisk.csv"
    original = grid.read_bytes()
    grid.unlink()
    project = folder / "project.toml"
    stamp = project.stat().st_mtime_ns
    assert main(["init", str(folder)]) == 1  # project.toml exists
    assert "--overwrite" in capsys.readouterr().err
    assert main(["init", str(folder), "--overwrite"]) == 0
    assert grid.read_bytes() == original  # the missing file is back
    assert project.stat().st_mtime_ns == stamp  # the identical one was not rewritten


def test_init_overwrite_refuses_to_replace_edited_files(tmp_path, capsys):
    folder = tmp_path / "p"
    assert main(["init", str(folder)]) == 0
    project = folder / "project.toml"
    catalogue = folder / "data" / "indicators" / "catalogue.toml"
    edited = project.read_text(encoding="utf-8").replace("min_pop = 50 ", "min_pop = 80 ")
    project.write_text(edited, encoding="utf-8")
    catalogue.write_text("# my own catalogue\n", encoding="utf-8")
    missing = folder / "data" / "measures" / "demoby_tiltak.csv"
    missing.unlink()
    assert main(["init", str(folder), "--overwrite"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "2 existing file(s) differ" in err
    assert "data/indicators/catalogue.toml, project.toml" in err
    assert "--replace-edited" in err
    assert project.read_text(encoding="utf-8") == edited  # nothing replaced ...
    assert catalogue.read_text(encoding="utf-8") == "# my own catalogue\n"
    assert not missing.exists()  # ... and nothing written
    assert main(["init", str(folder), "--replace-edited"]) == 0
    assert "min_pop = 50 " in project.read_text(encoding="utf-8")
    assert missing.is_file()


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


# --- info on every real and demo file ---------------------------------------------------

# kind of each file, from the realdata READMEs and data/README.md
REAL_FILES = {
    "kommuner-2024/Kommuner-S.geojson": ("boundaries", "rows:    357"),
    "kommuner-2024/Kommuner-S.topojson": ("boundaries", "rows:    357"),
    # README: 030117 (Marka) is invalid ("Hole lies outside shell"); info names it
    "oslo-bydeler-gpkg/oslo_bydeler.gpkg": ("boundaries", "repaired_geometries: ['030117']"),
    "oslo-delbydeler/oslo_bydeler2.geojson": ("boundaries", "rows:    16"),
    "oslo-delbydeler/oslo_delbydeler.geojson": ("boundaries", "rows:    97"),
    "ssb-grid-norway-2015/Oslo_bef_100m_2015.csv": ("grid", "cell_size: 100"),
    "ssb-grid-norway-2015/nor2015pop_1kmruter.csv": ("grid", "rows:    55213"),
    # README: pop_ave is "." in 858 cells of the 5 km file; info counts the missing values
    "ssb-grid-norway-2015/nor2015pop_5kmruter.csv": ("grid", "missing_values: {'pop_ave': 858}"),
    "ssb-grid-norway-2015/ru250m_2015.csv": ("grid", "rows:    220171"),
    "ssb-grid-norway-2015/ru250m_2015_oslo0301.csv": ("grid", "cell_size: 250"),
    "ssb-grid-oslo-1km-2019/BefolkningOslo1km2019.gml": ("grid", "rows:    258"),
    # tables with several rows per area or names for keys: described as they are
    "oslo-indicators/eieform_delbydel_2015-2017.csv": ("indicators", "rows per area"),
    "oslo-indicators/husholdninger_med_barn_delbydel_2008-2018.csv": ("indicators", "År"),
    "oslo-indicators/snittinntekt_delbydel.csv": ("indicators", "rows:    127"),
    "oslo-indicators/snittinntekt_delbydel.xls": ("indicators", "rows:    127"),
    # README: 535 grunnkrets polygons, EPSG:25833, 8-digit grunnkretsnummer
    "asker-baerum-grunnkretser/ab.geojson": ("boundaries", "id_column: grunnkretsnummer"),
    # README: 2,124 rows, codes without leading zeros in `geografi`, rows by sex and age
    "oslo-employment-2024/SYS002_2.csv": ("indicators", "key column: geografi"),
    # README: 2,667 points, national, no year/category/budget columns
    "schools-norway/skoler.geojson": ("measures", "rows:    2667"),
    # README: rows and cell ids per vintage; 1 km 2019 has mean age with a decimal comma
    "ssb-grid-norway-250m-series/NOR0250M_POP_2007.csv": ("grid", "rows:    214875"),
    "ssb-grid-norway-250m-series/NOR0250M_POP_2016.csv": ("grid", "rows:    220931"),
    "ssb-grid-norway-250m-series/NOR0250M_POP_2019.csv": ("grid", "rows:    221947"),
    "ssb-grid-norway-250m-series/NOR0250M_POP_2022.csv": ("grid", "rows:    223347"),
    "ssb-grid-norway-250m-series/NOR1000M_POP_2019.csv": ("grid", "cell_size: 1000"),
    # README: two title lines before the header (SSB statbank), 10,494 rows by region and age
    "ssb-population-bydel-2001-2020/Personerward2001-2020.csv": ("indicators", "rows:    10494"),
}
#: JSON that is neither GeoJSON nor TopoJSON: not a geoloft input, one clear error each
NOT_INPUTS = {
    # README: object keyed by grunnkretsnummer -> counts and shares (context only)
    "asker-baerum-grunnkretser/immigrants.json": "a JSON object of 518 entries ('02190101'",
    "oslo-indicators/trangboddhet_bydel_2017.json": "a JSON object of 4 entries ('district'",
}
DEMO_FILES = {
    "data/boundaries/demoby_bydeler.geojson": "boundaries",
    "data/boundaries/demoby_delbydeler.geojson": "boundaries",
    "data/grid/demoby_1km_syntetisk.csv": "grid",
    "data/grid/demoby_ru250m_syntetisk.csv": "grid",
    "data/indicators/catalogue.toml": "catalogue",
    "data/indicators/demoby_levekar_delbydel.csv": "indicators",
    "data/measures/demoby_tiltak.csv": "measures",
    "data/measures/demoby_tiltak_omrader.geojson": "measures",  # polygons, tiltak columns
}


@pytest.mark.parametrize("name", REAL_FILES, ids=[n.split("/")[-1] for n in REAL_FILES])
def test_info_describes_every_real_file(realdata, capsys, name):
    kind, expected = REAL_FILES[name]
    assert main(["info", str(realdata / name)]) == 0
    captured = capsys.readouterr()
    assert f"kind:    {kind}" in captured.out
    assert expected in captured.out
    assert "Traceback" not in captured.err
    assert captured.err == ""  # warnings are part of the description, on stdout


def test_every_real_and_demo_file_is_covered(realdata, repo):
    data = {str(p.relative_to(realdata)) for p in realdata.glob("*/*")}
    data -= {n for n in data if n.endswith((".md", ".gfs", ".csvt"))}
    assert data == set(REAL_FILES) | set(NOT_INPUTS)
    demo = {str(p.relative_to(repo)) for p in (repo / "data").glob("*/*")}
    assert demo == set(DEMO_FILES)


@pytest.mark.parametrize("name", DEMO_FILES)
def test_info_describes_every_demo_file(capsys, name):
    assert main(["info", name]) == 0
    captured = capsys.readouterr()
    assert f"kind:    {DEMO_FILES[name]}" in captured.out
    assert captured.err == ""


def test_info_on_a_table_needing_options_says_what_to_pass(realdata, capsys):
    assert main(["info", str(realdata / "oslo-indicators/eieform_delbydel_2015-2017.csv")]) == 0
    text = capsys.readouterr().out
    assert "rows:    358" in text  # README: 358 rows
    assert "key column: delbydel_id" in text
    assert "not usable as is: duplicate ids 0101" in text


def test_info_describes_catalogue_and_polygon_measures(capsys):
    assert main(["info", "data/indicators/catalogue.toml"]) == 0
    text = capsys.readouterr().out
    assert "rows:    6" in text
    assert "indicators: low_income, low_education, not_employed" in text
    assert main(["info", "data/measures/demoby_tiltak_omrader.geojson"]) == 0
    text = capsys.readouterr().out
    assert "kind:    measures" in text
    assert "measure_id, name, category, status, start_year" in text


def _cut(source: Path, target: Path, n: int) -> Path:
    target.write_bytes(source.read_bytes()[:n])
    return target


@pytest.mark.parametrize("command", ["info", "export", "delineate"])
def test_truncated_geojson_is_bad_input_not_a_traceback(capsys, tmp_path, command):
    cut = _cut(Path(DEMO), tmp_path / "cut.geojson", 3000)
    args = {
        "info": ["info", str(cut)],
        "export": ["export", str(cut), "-o", str(tmp_path / "o.gpkg")],
        "delineate": ["delineate", str(cut), "--select", "q", "-o", str(tmp_path / "o.gpkg")],
    }[command]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert re.search(r"cut\.geojson: cannot read the file \(Failed to read GeoJSON data", err)
    assert "check that the file is complete" in err
    assert "<DRIVER>" not in err


@pytest.mark.parametrize("name", NOT_INPUTS, ids=[n.split("/")[-1] for n in NOT_INPUTS])
def test_json_that_is_not_geojson_is_one_clear_error(realdata, capsys, name):
    assert main(["info", str(realdata / name)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert f"{Path(name).name}: {NOT_INPUTS[name]}" in err
    assert "plain JSON, not GeoJSON or TopoJSON" in err
    assert "Fix: to use these numbers, save them as a table" in err
    assert "Traceback" not in err


def test_info_names_the_title_lines_of_an_ssb_statbank_table(realdata, capsys):
    # README: "Two title lines before the header"; header "region";"age";"Persons 2001";…
    path = realdata / "ssb-population-bydel-2001-2020/Personerward2001-2020.csv"
    assert main(["info", str(path)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "columns: region, age, Persons 2001, Persons 2002" in text
    assert "title lines: 2 above the header (line 1: '10826: Population, by region" in text
    assert "delete the first 2 line(s)" in text


def test_info_guesses_a_key_and_says_how_to_pick_rows(realdata, capsys):
    # README: `geografi` is the area code without leading zeros; rows by kjoenn and aldersgrupper
    assert main(["info", str(realdata / "oslo-employment-2024/SYS002_2.csv")]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "key column: geografi (guessed" in text
    assert "not usable as is: duplicate ids 102" in text
    assert "rows repeat over 'kjoenn', 'aldersgrupper'" in text


def test_info_shows_long_lists_as_examples_and_a_count(capsys):
    from geoloft.cli.info import _short

    assert _short(["a", "b"]) == "['a', 'b']"
    assert _short([f"M{i:04d}" for i in range(1, 2668)]) == (
        "['M0001', 'M0002', 'M0003', 'M0004', 'M0005', 'M0006', 'M0007', 'M0008', 'M0009', "
        "'M0010', …] (2,667 in all)"
    )


def test_layer_choice_and_unknown_layer(capsys, tmp_path):
    areas = pyogrio.read_dataframe(DEMO)
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(areas, path, layer="delbydeler")
    pyogrio.write_dataframe(areas.iloc[:3], path, layer="utvalg")
    assert main(["info", str(path)]) == 0  # several layers: each is described
    text = " ".join(capsys.readouterr().out.split())  # rich wraps at the terminal width
    assert "two.gpkg (layer delbydeler)" in text
    assert "two.gpkg (layer utvalg)" in text
    assert re.findall(r"rows:\s+(\d+)", text) == ["36", "3"]
    assert main(["info", str(path), "--layer", "utvalg"]) == 0
    assert "rows:    3" in capsys.readouterr().out
    assert main(["info", str(path), "--layer", "bydeler"]) == 1
    assert "two.gpkg: no layer 'bydeler'; the file has: delbydeler, utvalg" in (
        capsys.readouterr().err
    )
    target = tmp_path / "out.gpkg"
    args = ["export", str(path), "--layer", "utvalg", "--out-layer", "tre", "-o", str(target)]
    assert main(args) == 0
    assert pyogrio.list_layers(target)[:, 0].tolist() == ["tre"]
    assert len(pyogrio.read_dataframe(target)) == 3


def test_random_text_file_is_bad_input(capsys, tmp_path):
    path = tmp_path / "notat.txt"
    path.write_text("Møte om områdeløft\ntirsdag kl 10\n", encoding="latin-1")
    assert main(["info", str(path)]) == 1
    err = capsys.readouterr().err
    assert "notat.txt: found no key (area id) column" in err
    assert "Traceback" not in err


# --- export -----------------------------------------------------------------------------


def test_export_keeps_the_other_attributes(tmp_path):
    target = tmp_path / "d.gpkg"
    assert main(["export", DEMO, "-o", str(target)]) == 0
    back = pyogrio.read_dataframe(target)
    source = pyogrio.read_dataframe(DEMO)
    assert back["area_id"].tolist() == source["DELBYDEL"].tolist()
    assert back["kilde"].tolist() == source["kilde"].tolist()  # the 'synthetic' note survives
    assert back["DATAFANGST"].tolist() == source["DATAFANGST"].tolist()


def test_export_of_polygon_measures_keeps_their_columns(tmp_path):
    target = tmp_path / "t.geojson"
    assert main(["export", "data/measures/demoby_tiltak_omrader.geojson", "-o", str(target)]) == 0
    back = pyogrio.read_dataframe(target)
    assert {"measure_id", "category", "status", "budget"} <= set(back.columns)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["data/indicators/demoby_levekar_delbydel.csv"], 1, "looks like an indicator table"),
        (["data/indicators/catalogue.toml"], 1, "looks like a catalogue"),
        ([GRID, "--crs", "EPSG:99999"], 2, "unknown CRS 'EPSG:99999'"),
        ([GRID, "--kind", "indicators"], 2, "use one of grid, boundaries, measures"),
    ],
    ids=["indicator-table", "catalogue", "unknown-crs", "bad-kind"],
)
def test_export_bad_input_and_usage(capsys, tmp_path, args, code, message):
    target = tmp_path / "x.gpkg"
    assert main(["export", *args, "-o", str(target)]) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not target.exists()


# --- every help example runs ------------------------------------------------------------


def _examples(command: str) -> list[list[str]]:
    """The example command lines of a command's help, continuation lines joined."""
    from geoloft.cli import app

    callback = next(c.callback for c in app.registered_commands if _name(c) == command)
    text = (callback.__doc__ or "").split("Example", 1)[1]
    runs: list[list[str]] = []
    for block in text.split("\n\n"):
        line = " ".join(part.strip().rstrip("\\") for part in block.strip().splitlines())
        if line.startswith("geoloft "):
            runs.append(shlex.split(line)[1:])
    return runs


def _name(command) -> str:
    return command.name or command.callback.__name__.replace("_", "-")


@pytest.mark.parametrize("command", ["info", "score", "delineate", "figure", "export"])
def test_help_examples_run(repo, tmp_path, monkeypatch, capsys, command):
    (tmp_path / "data").symlink_to(repo / "data")
    monkeypatch.chdir(tmp_path)
    examples = _examples(command)
    assert examples, f"'geoloft {command} --help' has no example"
    for args in examples:
        assert main(args) == 0, (args, capsys.readouterr().err)
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("code", "reason"),
    [(30, "Read-only file system"), (28, "No space left on device")],
    ids=["read-only", "disk-full"],
)
def test_a_folder_that_cannot_be_written_is_one_line(capsys, tmp_path, monkeypatch, code, reason):
    # Only PermissionError was caught: a read-only mount (EROFS) or a full disk
    # (ENOSPC) printed a traceback. The temporary file's name is not the user's.
    import tempfile

    def refuse(*args, dir=None, **kwargs):
        raise OSError(code, reason, str(Path(dir) / ".out.abc123.tmp.gpkg"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert main(["export", DEMO, "-o", str(tmp_path / "out.gpkg")]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path}: {reason[0].lower()}{reason[1:]}" in err
    assert "Traceback" not in err
    assert ".tmp" not in err
    assert not (tmp_path / "out.gpkg").exists()
