"""The README's Python example runs as written (on the demo city)."""

from __future__ import annotations

import re

import pyogrio


def test_python_example_runs(repo, tmp_path, monkeypatch, capsys):
    text = (repo / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(import geoloft.*?)```", text, re.DOTALL).group(1)
    (tmp_path / "data").symlink_to(repo / "data")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    zones = pyogrio.read_dataframe(tmp_path / "innsatsomrader.gpkg")
    assert len(zones) >= 1
    assert zones["pop"].min() >= 5000
    assert "Z01" in capsys.readouterr().out
