"""Commands that write statistics protect them by default; switching off is explicit."""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

from geoloft.cli import app, main
from geoloft.disclosure.audit import intervals
from geoloft.disclosure.model import build_system


@pytest.fixture
def grid_csv(tmp_path):
    """Four 250 m cells in one 1 km block: 3, 40, 50, 60 persons (SSB publishes 153)."""
    ids = [22600006650000, 22602506650000, 22600006650250, 22602506650250]
    path = tmp_path / "ru250m.csv"
    pd.DataFrame({"ru250m": ids, "pop_tot": [3, 40, 50, 60]}).to_csv(path, sep=";", index=False)
    return path


def test_export_hides_small_cells_and_their_helpers(grid_csv, tmp_path):
    target = tmp_path / "out.gpkg"
    result = CliRunner().invoke(app, ["export", str(grid_csv), "-o", str(target)])
    assert result.exit_code == 0, result.output
    grid = pyogrio.read_dataframe(target).set_index("ssbid")
    assert pd.isna(grid.loc[22600006650000, "pop_tot"])
    # the 1 km total minus three published cells would give 3: the 40-person cell goes too
    assert pd.isna(grid.loc[22602506650000, "pop_tot"])
    assert grid["pop_tot"].notna().sum() == 2
    grid["cell_size"] = 250
    system = build_system({"grid": grid.reset_index()}, known=False)
    assert not intervals(system, threshold=10)["pinned"].any()


def test_switching_off_is_explicit_and_printed(grid_csv, tmp_path):
    target = tmp_path / "out.gpkg"
    result = CliRunner().invoke(
        app, ["export", str(grid_csv), "-o", str(target), "--no-disclosure"]
    )
    assert result.exit_code == 0, result.output
    assert "disclosure control is OFF" in result.output
    assert pyogrio.read_dataframe(target)["pop_tot"].min() == 3


@pytest.mark.parametrize(
    ("extra", "code", "text"),
    [
        (["--threshold", "2"], 1, "allow-tiny-threshold"),
        (["--threshold", "0"], 1, "threshold of 0"),
    ],
    ids=["tiny-needs-second-flag", "zero-refused"],
)
def test_tiny_thresholds_are_refused(grid_csv, tmp_path, capsys, extra, code, text):
    assert main(["export", str(grid_csv), "-o", str(tmp_path / "o.gpkg"), *extra]) == code
    assert text in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "o.gpkg").exists()


def test_threshold_below_ten_warns(grid_csv, tmp_path):
    args = ["export", str(grid_csv), "-o", str(tmp_path / "o.gpkg")]
    with pytest.warns(UserWarning, match="below SSB's 10 persons"):
        CliRunner().invoke(app, [*args, "--threshold", "2", "--allow-tiny-threshold"])


def test_score_withholds_rates_of_small_counts(tmp_path):
    catalogue = tmp_path / "cat.toml"
    catalogue.write_text(
        '[[indicator]]\nid = "low"\nlabel_nb = "Lav"\nlabel_en = "Low"\n'
        'numerator = "low_n"\ndenominator = "low_d"\nunit = "percent"\n'
        'domain = "income"\ndirection = "higher_is_worse"\n',
        encoding="utf-8",
    )
    table = tmp_path / "t.csv"
    pd.DataFrame(
        {
            "area_id": ["0101", "0102", "0103", "0104"],
            "low_n": [30, 50, 3, 60],
            "low_d": [300, 400, 200, 500],
        }
    ).to_csv(table, sep=";", index=False)
    target = tmp_path / "s.csv"
    args = ["score", str(table), "-c", str(catalogue), "--min-pop", "0", "-o", str(target)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(target, dtype={"area_id": str}).set_index("area_id")
    # 3 persons with the trait: 0103's rate and z-score are withheld
    assert scores.loc["0103", ["low_rate", "low_std"]].isna().all()
    assert scores.loc[["0101", "0102", "0104"], "low_rate"].notna().all()
    result = CliRunner().invoke(app, [*args, "--overwrite", "--no-disclosure"])
    again = pd.read_csv(target, dtype={"area_id": str}).set_index("area_id")
    assert pd.notna(again.loc["0103", "low_rate"])  # shown when switched off


def test_figure_withholds_small_drawn_counts(monkeypatch, tmp_path, repo):
    import geoloft.figures

    drawn = {}

    def capture(frame, **kwargs):
        drawn["frame"] = frame
        return kwargs["out"]

    monkeypatch.setattr(geoloft.figures, "make_figure", capture)
    data = repo / "data"
    table = pd.read_csv(
        data / "indicators" / "demoby_levekar_delbydel.csv", sep=";", dtype={"delbydel_id": str}
    ).set_index("delbydel_id")
    args = [
        "figure",
        str(data / "boundaries" / "demoby_delbydeler.geojson"),
        "--indicators",
        str(data / "indicators" / "demoby_levekar_delbydel.csv"),
        "--column",
        "frafall_n",
        "-o",
        str(tmp_path / "f.png"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    shown = drawn["frame"].set_index("area_id")["frafall_n"]
    source = table["frafall_n"].reindex(shown.index)
    den = table["frafall_d"].reindex(shown.index)
    # the rule stated in docs/disclosure.md, worked out here from the source table
    small = source.between(1, 9) | (den - source).between(1, 9) | (den < 10)
    assert small.any()
    assert shown[small].isna().all()
    assert (shown[~small & source.notna()] == source[~small & source.notna()]).all()
