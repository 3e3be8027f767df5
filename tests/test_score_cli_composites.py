"""``geoloft score`` withholds what a hidden rate gives away: the area's composite figures.

With two criteria, an area's index (how many it is worse on, or the mean of its
z-scores) together with its published rate says where the hidden rate lies, so
the whole composite of that area goes, in one method's table and in ``--compare``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from geoloft.cli import app

CATALOGUE = "".join(
    f'[[indicator]]\nid = "{i}"\nlabel_nb = "{i}"\nlabel_en = "{i}"\n'
    f'numerator = "{i}_n"\ndenominator = "{i}_d"\nunit = "percent"\n'
    f'domain = "{d}"\ndirection = "higher_is_worse"\n\n'
    for i, d in (("low", "income"), ("crowd", "housing"))
)


@pytest.fixture
def inputs(tmp_path):
    catalogue = tmp_path / "cat.toml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")
    table = tmp_path / "t.csv"
    pd.DataFrame(
        {
            "area_id": ["0101", "0102", "0103", "0104", "0105"],
            "low_n": [30, 50, 3, 60, 45],  # 3 persons: 0103's rate is hidden
            "low_d": [300, 400, 200, 500, 350],
            "crowd_n": [40, 20, 90, 70, 35],
            "crowd_d": [300, 400, 200, 500, 350],
        }
    ).to_csv(table, sep=";", index=False)
    return table, catalogue


def _score(inputs, target, *extra):
    table, catalogue = inputs
    args = ["score", str(table), "-c", str(catalogue), "--min-pop", "0", "-o", str(target)]
    result = CliRunner().invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output
    return pd.read_csv(target, dtype={"area_id": str}).set_index("area_id")


@pytest.mark.parametrize("method", ["below-average", "zscore", "imd"])
def test_an_area_with_a_hidden_rate_loses_its_composite_figures(inputs, tmp_path, method):
    scores = _score(inputs, tmp_path / "s.csv", "--method", method)
    composite = ["index", "rank", "decile", "qualifies", "status", "explanation", "n_flags"]
    composite += [c for c in scores.columns if c.startswith("domain_")]
    assert scores.loc["0103", ["low_rate", "low_std", "low_flag"]].isna().all()
    assert scores.loc["0103", composite].isna().all(), scores.loc["0103", composite]
    # still published: 90 / 200 = 45 %, shrunk a little toward the city's 25.5 %
    assert 40.0 < scores.loc["0103", "crowd_rate"] <= 45.0
    others = ["0101", "0102", "0104", "0105"]
    assert scores.loc[others, ["index", "rank", "qualifies"]].notna().all().all()
    # the four published ranks stay the ranks among all five areas, a gap where 0103 was
    assert set(scores.loc[others, "rank"].astype(int)) < {1, 2, 3, 4, 5}


def test_compare_withholds_every_method_of_that_area(inputs, tmp_path):
    table = _score(inputs, tmp_path / "c.csv", "--compare")
    methods = [c for c in table.columns if c.endswith(("_index", "_rank", "_qualifies"))]
    assert len(methods) >= 15
    assert table.loc["0103", methods].isna().all()
    assert table.drop(index="0103")[methods].notna().all().all()


def test_switched_off_everything_is_written(inputs, tmp_path):
    scores = _score(inputs, tmp_path / "s.csv", "--no-disclosure")
    assert scores.loc["0103", ["low_rate", "index", "rank", "explanation"]].notna().all()
    table = _score(inputs, tmp_path / "c.csv", "--compare", "--no-disclosure")
    assert table.loc["0103"].drop("name", errors="ignore").notna().all()


def test_a_share_given_as_a_value_of_few_persons_is_withheld(tmp_path):
    """12.5 % of 8 pupils is one pupil: the rate goes, and the area's composite with it."""
    catalogue = tmp_path / "cat.toml"
    catalogue.write_text(
        '[[indicator]]\nid = "drop"\nlabel_nb = "Frafall"\nlabel_en = "Drop-out"\n'
        'value = "drop_pct"\npopulation = "pupils"\nunit = "percent"\n'
        'domain = "education"\ndirection = "higher_is_worse"\n\n'
        '[[indicator]]\nid = "crowd"\nlabel_nb = "Trangbodd"\nlabel_en = "Crowded"\n'
        'value = "crowd_pct"\npopulation = "residents"\nunit = "percent"\n'
        'domain = "housing"\ndirection = "higher_is_worse"\n',
        encoding="utf-8",
    )
    table = tmp_path / "v.csv"
    pd.DataFrame(
        {
            "area_id": ["0101", "0102", "0103", "0104"],
            "drop_pct": [10.0, 12.5, 6.0, 8.0],
            "pupils": [200, 8, 150, 300],  # 0102: 1 of 8 pupils
            "crowd_pct": [20.0, 30.0, 25.0, 15.0],
            "residents": [2000, 900, 1500, 2500],
        }
    ).to_csv(table, sep=";", index=False)
    target = tmp_path / "s.csv"
    args = ["score", str(table), "-c", str(catalogue), "--min-pop", "0", "-o", str(target)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(target, dtype={"area_id": str}).set_index("area_id")
    assert scores.loc["0102", ["drop_rate", "drop_std", "index", "rank"]].isna().all()
    assert 25.0 < scores.loc["0102", "crowd_rate"] <= 30.0  # published (shrunk a little)
    assert scores.drop(index="0102")[["drop_rate", "index", "rank"]].notna().all().all()
    CliRunner().invoke(app, [*args, "--overwrite", "--no-disclosure"])
    again = pd.read_csv(target, dtype={"area_id": str}).set_index("area_id")
    assert pd.notna(again.loc["0102", "drop_rate"])  # switched off: shown (shrunk toward 9 %)
