"""``--out`` may not be the folder the shell stands in (or one above it)."""

from __future__ import annotations

import pytest

from geoloft.cli import main
from geoloft.config import load_project
from geoloft.errors import OutputExistsError
from geoloft.pipeline import run


@pytest.fixture
def project(tmp_path):
    from geoloft.demo import write_demo_project

    return write_demo_project(tmp_path / "p")


@pytest.mark.parametrize("where", ["here", "above"])
def test_the_current_folder_is_refused(project, tmp_path, monkeypatch, where):
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    monkeypatch.chdir(out if where == "here" else out / "sub")
    with pytest.raises(OutputExistsError, match="the shell stands in this folder"):
        run(load_project(project), out=out, only=["score"])
    assert not (out / "run.json").exists()


def test_the_command_says_so_and_a_subfolder_works(project, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)
    assert main(["run", str(project), "--out", ".", "--only", "score"]) == 1
    assert "--out output" in capsys.readouterr().err.replace("\n", " ")
    assert main(["run", str(project), "--out", "output", "--only", "score"]) == 0
    assert (out / "output" / "run.json").is_file()
