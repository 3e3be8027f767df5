"""``[evaluate]`` in a project file: the run writes OUT/evaluate/ and report.html shows it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from geoloft.boundaries import read_boundaries
from geoloft.config import load_project
from geoloft.demo import write_demo_project
from geoloft.errors import ConfigError
from geoloft.pipeline import run


def _history(project_dir):
    """A long table for the demo delbydeler, 2010-2020 (synthetic, seeded)."""
    areas = read_boundaries(project_dir / "data" / "boundaries" / "demoby_delbydeler.geojson")
    rng = np.random.default_rng(1)
    rows = []
    for area in areas["area_id"]:
        level = rng.uniform(0.1, 0.3)
        for year in range(2010, 2021):
            den = 2000.0
            rows.append(
                (
                    area,
                    year,
                    "x",
                    "Andel X",
                    round(den * (level + 0.002 * (year - 2010) + rng.normal(0, 0.003))),
                    den,
                )
            )
    table = pd.DataFrame(
        rows, columns=["area_id", "year", "indicator", "label", "numerator", "denominator"]
    )
    path = project_dir / "historikk.csv"
    table.to_csv(path, index=False)
    return path


def _project(tmp_path, section: str):
    toml = write_demo_project(tmp_path / "p")
    _history(tmp_path / "p")
    toml.write_text(toml.read_text(encoding="utf-8") + "\n" + section, encoding="utf-8")
    return toml


def test_a_project_with_evaluate_writes_the_folder_and_the_report_section(tmp_path):
    toml = _project(
        tmp_path,
        '[evaluate]\nindicators = "historikk.csv"\nstart = 2014\nend = 2018\n'
        "n_boot = 99\nn_perm = 99\n",
    )
    project = load_project(toml)
    assert project.evaluate.start == 2014
    result = run(project, out=tmp_path / "out")
    out = tmp_path / "out"
    estimates = pd.read_csv(out / "evaluate" / "estimates.csv")
    assert set(estimates["effect"]) == {"during", "after"}
    # no treated list: the areas inside the run's intervention areas are the treated ones
    summary = json.loads((out / "evaluate" / "evaluate.json").read_text(encoding="utf-8"))
    assert summary["programme"]["treated"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="utvikling">' in report
    assert "Andel X" in report
    recorded = json.loads((out / "run.json").read_text(encoding="utf-8"))["files"]
    assert "evaluate/estimates.csv" in recorded
    assert any(r.stage == "evaluate" for r in result.reports)


@pytest.mark.parametrize(
    ("section", "match"),
    [
        (
            '[evaluate]\nindicators = "historikk.csv"\nstart = 2014\nend = 2018\n'
            'comparison = "nearest"\n',
            "comparison.*nearest",
        ),
        ('[evaluate]\nindicators = "mangler.csv"\nstart = 2014\nend = 2018\n', "not found"),
        (
            '[evaluate]\nindicators = "historikk.csv"\nstart = 2014\nend = 2018\nn_boot = -1\n',
            "n_boot.*at least 0",
        ),
    ],
    ids=["unknown-comparison", "missing-file", "negative-boot"],
)
def test_bad_evaluate_sections_are_named(tmp_path, section, match):
    with pytest.raises(ConfigError, match=match):
        load_project(_project(tmp_path, section))
