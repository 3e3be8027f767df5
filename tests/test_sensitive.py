"""The origin guard: sensitive data never decides which areas qualify unless allowed."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoloft.cli import main
from geoloft.config import load_project
from geoloft.delineation import delineate
from geoloft.demo import write_demo_project
from geoloft.errors import ConfigError, InputError
from geoloft.indicators import Indicator, default_catalogue
from geoloft.pipeline import run
from geoloft.score import score_areas
from geoloft.sensitive import check_criteria, is_sensitive_text, sensitive_theme

# Real labels of published statistics (SSB tables in bokmål, nynorsk and English, Udir,
# the Norwegian Directorate of Integration and Diversity, Oslo kommune's statistikkbank)
# and the column names of ../shared/realdata/asker-baerum-grunnkretser/immigrants.json.
SENSITIVE_LABELS = [
    "Innvandrere og norskfødte med innvandrerforeldre",
    "Innvandrarar og norskfødde med innvandrarforeldre",
    "Immigrants and Norwegian-born to immigrant parents",
    "Norskfødte med innvandrerforeldre",
    "Arbeidsinnvandrere",
    "Innvandrere fra EU/EØS-land",
    "Ikke-vestlig bakgrunn",
    "Ikkje-vestleg bakgrunn",
    "Non-Western background",
    "Innvandrere etter landbakgrunn",
    "Landbakgrunn: Asia, Afrika, Latin-Amerika og Oseania utenom Australia og New Zealand",
    "Country background",
    "Country of birth",
    "Født i utlandet",
    "Fødd i utlandet",
    "Born abroad",
    "Utenlandsfødte",
    "Foreign-born population",
    "Personer med flyktningbakgrunn",
    "Personar med flyktningbakgrunn",
    "Persons with refugee background",
    "Bosatte flyktninger",
    "Refugees",
    "Asylsøkere i mottak",
    "Familiegjenforente",
    "Utenlandske statsborgere",
    "Utanlandske statsborgarar",
    "Foreign citizens",
    "Overgang til norsk statsborgerskap",
    "Citizenship",
    "Medlemmer i tros- og livssynssamfunn utenfor Den norske kirke",
    "Medlemmer i trus- og livssynssamfunn utanfor Den norske kyrkja",
    "Members of religious and life stance communities outside the Church of Norway",
    "Religious affiliation",
    "Etnisk bakgrunn",
    "Ethnic minority",
    "Samisk",
    "Minoritetsspråklige barn i barnehage",
    "Elever med særskilt norskopplæring",
    "western-count",
    "non-western-count",
    "western-share",
    "non-western-share",
    "immigrant-share",
    "non-immigrant-share",
]
# Living-condition labels that must pass (false alarms would stop a run).
PLAIN_LABELS = [
    "Innflyttere",
    "Netto innflytting",
    "Flytting",
    "Net migration",
    "Ikke sysselsatt",
    "Ikke fullført videregående",
    "Utenfor arbeid og utdanning",
    "Trangbodde",
    "Uføretrygdede",
    "Barnevernstiltak",
    "Personer som bor alene",
    "Kommunale utleieboliger",
    "Sysselsettingsrate",
    "Sosialhjelpsmottakere",
    "Enslige forsørgere",
    "Barn i lavinntektshusholdninger",
    "Vestlige bydeler",
    "Western districts",
    "Original buildings",
    "qualifies",
    "index",
    "pop_tot",
]


def _column(label: str) -> str:
    """A column-safe id made from a label, as a user would (``Født i utlandet`` -> ``fodt_i_…``)."""
    folded = label.lower().translate(str.maketrans({"æ": "ae", "ø": "o", "å": "a", "é": "e"}))
    return "_".join("".join(c if c.isalnum() else " " for c in folded).split())[:40]


def test_the_label_list_is_long_enough_and_covers_the_audit():
    assert len(SENSITIVE_LABELS) >= 30
    for must in ("Ikke-vestlig bakgrunn", "Refugees", "Foreign citizens", "Født i utlandet"):
        assert must in SENSITIVE_LABELS


@pytest.mark.parametrize("label", SENSITIVE_LABELS)
def test_every_sensitive_label_and_its_column_id_is_recognised(label):
    assert is_sensitive_text(label)
    assert is_sensitive_text(_column(label)), _column(label)


@pytest.mark.parametrize("label", PLAIN_LABELS)
def test_living_condition_labels_are_not_flagged(label):
    assert sensitive_theme(label) is None


def test_the_default_catalogue_is_not_sensitive():
    assert not [i.id for i in default_catalogue() if i.is_sensitive]


def test_themes_are_named():
    assert sensitive_theme("Utanlandske statsborgarar") == "citizenship"
    assert sensitive_theme("Fødd i utlandet") == "country of origin"
    assert sensitive_theme("Personar med flyktningbakgrunn") == "refugee status"
    assert sensitive_theme("Trussamfunn") == "religion"
    assert sensitive_theme("Etnisitet") == "ethnicity"
    with pytest.raises(InputError, match=r"'x_rate' \(marked\)"):
        check_criteria(["x_rate"], allow=False, source="s", marked=["x_rate"])


# -- score ----------------------------------------------------------------------------------------

IDS = [f"a{i:02d}" for i in range(12)]
TABLE = pd.DataFrame(
    {
        "area_id": IDS,
        "li_n": [100, 120, 90, 300, 80, 110, 95, 105, 250, 60, 100, 130],
        "li_d": [1000] * 12,
        "s_n": [200, 100, 300, 400, 50, 60, 70, 80, 500, 90, 100, 10],
        "s_d": [1000] * 12,
    }
)
LOW_INCOME = Indicator("li", "Lavinntekt", "Low income", numerator="li_n", denominator="li_d",
                       domain="income")  # fmt: skip


def _sensitive(label: str, **kw: object) -> Indicator:
    return Indicator("s", label, label, numerator="s_n", denominator="s_d", domain="d", **kw)


@pytest.mark.parametrize("label", SENSITIVE_LABELS)
def test_score_refuses_each_label_as_criterion_and_shows_it_as_context(label):
    with pytest.raises(InputError, match=r"cannot decide which areas qualify.*allow_sensitive"):
        score_areas(TABLE, [LOW_INCOME, _sensitive(label)])
    context = score_areas(TABLE, [LOW_INCOME, _sensitive(label, context_only=True)])
    alone = score_areas(TABLE, [LOW_INCOME])
    pd.testing.assert_series_equal(context["qualifies"], alone["qualifies"])
    np.testing.assert_allclose(context["s_rate"], TABLE["s_n"] / TABLE["s_d"] * 100, rtol=0.2)


def test_score_allows_sensitive_criteria_only_explicitly_and_records_them():
    cat = [LOW_INCOME, _sensitive("Utenlandske statsborgere")]
    got = score_areas(TABLE, cat, allow_sensitive=True)
    assert got.attrs["report"].notes["sensitive_criteria"] == ["s"]
    assert (got["n_indicators"] == 2).all()
    assert got.attrs["sensitive_columns"]["s_rate"] == "citizenship"


def test_a_weight_on_a_sensitive_context_indicator_is_a_criterion():
    cat = [LOW_INCOME, _sensitive("Religion", context_only=True)]
    with pytest.raises(InputError, match=r"catalogue, weights: 's' \(religion\)"):
        score_areas(TABLE, cat, weights={"s": 2.0})
    score_areas(TABLE, cat, weights={"li": 2.0})


def test_marked_and_domain_sensitive_entries_are_refused():
    marked = Indicator("share_x", "Andel X", "Share X", numerator="s_n", denominator="s_d",
                       domain="d", sensitive=True)  # fmt: skip
    with pytest.raises(InputError, match=r"'share_x' \(marked sensitive\)"):
        score_areas(TABLE, [LOW_INCOME, marked])
    by_domain = Indicator("share_x", "Andel X", "Share X", numerator="s_n", denominator="s_d",
                          domain="religion")  # fmt: skip
    with pytest.raises(InputError, match=r"domain 'religion'"):
        score_areas(TABLE, [LOW_INCOME, by_domain])


# -- delineate ------------------------------------------------------------------------------------


def _units(column: str) -> gpd.GeoDataFrame:
    """Twelve 1 km squares in a row, 1,000 persons each; ``column`` high in the middle."""
    boxes = [shapely.box(i * 1000, 6_600_000, (i + 1) * 1000, 6_601_000) for i in range(12)]
    values = [5.0, 6, 7, 40, 45, 50, 42, 8, 6, 5, 4, 3]
    return gpd.GeoDataFrame(
        {"area_id": IDS, "pop_tot": 1000.0, column: values, "index": np.linspace(0, 1, 12)},
        geometry=boxes,
        crs=25833,
    )


@pytest.mark.parametrize("label", SENSITIVE_LABELS)
def test_delineate_refuses_each_label_in_a_rule_and_allows_it_explicitly(label):
    col = _column(label)
    units = _units(col)
    with pytest.raises(InputError, match=rf"select: '{col}' \(.*\) describe"):
        delineate(units, select=(col, ">=", 30))
    zones = delineate(units, select=(col, ">=", 30), allow_sensitive=True)
    assert zones["members"].tolist() == ["a03,a04,a05,a06"]
    assert zones.attrs["report"].notes["sensitive criteria (allowed)"] == [col]


@pytest.mark.parametrize(
    ("select", "score"),
    [
        ("innvandrere_rate >= 30", None),
        ("innvandrere_rate top 25%", None),
        ("hotspots:innvandrere_rate", None),
        (("innvandrere_rate", "hotspots"), None),
        ("innvandrere_rate", None),  # as a boolean column
        ("index >= 0.5", "innvandrere_rate"),  # as the priority of growth and splits
        ("hotspots", "innvandrere_rate"),  # the Gi* variable taken from score=
    ],
)
def test_every_way_a_column_enters_delineate_is_guarded(select, score):
    units = _units("innvandrere_rate")
    if select == "innvandrere_rate":
        units["innvandrere_rate"] = units["innvandrere_rate"] > 30
    with pytest.raises(InputError, match="innvandrere_rate' \\(immigrant background\\)"):
        delineate(units, select=select, score=score)


def test_delineate_also_refuses_columns_a_score_table_marks_sensitive():
    units = _units("share_x")
    units.attrs["sensitive_columns"] = {"share_x": "marked sensitive"}
    with pytest.raises(InputError, match=r"'share_x' \(marked sensitive\)"):
        delineate(units, select="share_x >= 30")
    assert len(delineate(units, select="index >= 0.5"))


def test_real_origin_data_is_context_only(realdata):
    """Asker and Bærum grunnkretser with their immigrant shares (2018)."""
    folder = realdata / "asker-baerum-grunnkretser"
    raw = json.loads((folder / "immigrants.json").read_text(encoding="utf-8"))
    shares = pd.DataFrame.from_dict(raw, orient="index").apply(pd.to_numeric, errors="coerce")
    shares.index = shares.index.astype(str).str.zfill(8)
    units = gpd.read_file(folder / "ab.geojson").set_crs(25833, allow_override=True)
    units = units.rename(columns={"grunnkretsnummer": "area_id"})[["area_id", "geometry"]]
    units = units.merge(shares, left_on="area_id", right_index=True, how="inner")
    units["pop_tot"] = units["non-western-count"] / units["non-western-share"] * 100
    units = units[np.isfinite(units["pop_tot"])]
    assert len(units) > 400
    for column in ("non-western-share", "immigrant-share", "western-share"):
        with pytest.raises(InputError, match="cannot decide which areas qualify"):
            delineate(units, select=f"{column} top 10%".replace("-", "_"))  # text rule
        with pytest.raises(InputError, match="cannot decide which areas qualify"):
            delineate(units, select=(column, ">=", 30))
    # as context, the same frame goes through when the criterion is something else
    units["index"] = units["pop_tot"].rank(pct=True)
    zones = delineate(units, select="index >= 0.95")
    assert len(zones) > 0


# -- project file, pipeline and command line -------------------------------------------------------


def _origin_project(folder: Path, *, allow: bool) -> Path:
    """The demo project plus a context-only indicator of immigrants, selected on."""
    path = write_demo_project(folder)
    data = folder / "data" / "indicators"
    table = next(data.glob("*levekar*.csv"))
    frame = pd.read_csv(table, sep=";", dtype=str)
    frame["innv_n"] = frame["lav_utdanning_n"]
    frame["innv_d"] = frame["lav_utdanning_d"]
    frame.to_csv(table, sep=";", index=False)
    catalogue = next(data.glob("*.toml"))
    with catalogue.open("a", encoding="utf-8") as f:
        f.write(
            '\n[[indicator]]\nid = "innvandrere"\nlabel_nb = "Innvandrere"\n'
            'label_en = "Immigrants"\nnumerator = "innv_n"\ndenominator = "innv_d"\n'
            'domain = "population"\ncontext_only = true\n'
        )
    text = path.read_text(encoding="utf-8").replace(
        'select = "qualifies"',
        'select = "innvandrere_rate top 30%"' + ("\nallow_sensitive = true" if allow else ""),
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_project_file_refuses_a_sensitive_select_before_any_work(tmp_path):
    path = _origin_project(tmp_path / "p", allow=False)
    with pytest.raises(ConfigError, match=r"'delineate\.select' = 'innvandrere_rate top 30%'"):
        load_project(path)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out" / "run.json").exists()


def test_project_file_refuses_a_scored_sensitive_indicator(tmp_path):
    write_demo_project(tmp_path / "p")
    catalogue = next((tmp_path / "p" / "data" / "indicators").glob("*.toml"))
    text = catalogue.read_text(encoding="utf-8")
    catalogue.write_text(text.replace('label_nb = "Trangbodd"', 'label_nb = "Født i utlandet"'))
    if "Født i utlandet" not in catalogue.read_text(encoding="utf-8"):
        pytest.skip("demo catalogue has no 'Trangbodd' label")
    with pytest.raises(ConfigError, match=r"\(country of origin\).*\[score\]"):
        run(load_project(tmp_path / "p" / "project.toml"), out=tmp_path / "out")


def test_an_allowed_sensitive_select_is_recorded_in_run_json(tmp_path):
    path = _origin_project(tmp_path / "p", allow=True)
    result = run(load_project(path), out=tmp_path / "out", only=["delineate"])
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert record["parameters"]["delineate"]["allow_sensitive"] is True
    stage = next(s for s in record["stages"] if s["stage"] == "delineate")
    assert stage["notes"]["sensitive criteria (allowed)"] == ["innvandrere_rate"]
    assert any("innvandrere_rate" in n and "explicitly allowed" in n for n in record["notes"])
    from geoloft.pipeline.report_data import _sensitive_lines

    assert "innvandrere_rate" in _sensitive_lines(result, "nb")[0]


def test_cli_delineate_refuses_and_allows(tmp_path, capsys):
    units = _units("innvandrere_rate")
    source = tmp_path / "units.gpkg"
    units.to_file(source)
    target = tmp_path / "zones.gpkg"
    args = ["delineate", str(source), "--select", "innvandrere_rate >= 30", "-o", str(target)]
    assert main(args) == 1
    assert "innvandrere_rate' (immigrant background)" in capsys.readouterr().err
    assert main([*args, "--allow-sensitive"]) == 0
    assert "sensitive criteria used because --allow-sensitive" in capsys.readouterr().out


def test_cli_score_refuses_a_sensitive_catalogue(tmp_path, capsys):
    table = tmp_path / "t.csv"
    TABLE.assign(area_id=[f"03{i:02d}" for i in range(12)]).to_csv(table, index=False)
    catalogue = tmp_path / "c.toml"
    catalogue.write_text(
        '[[indicator]]\nid = "li"\nlabel_nb = "Lavinntekt"\nlabel_en = "Low income"\n'
        'numerator = "li_n"\ndenominator = "li_d"\ndomain = "income"\n\n'
        '[[indicator]]\nid = "s"\nlabel_nb = "Ikke-vestlig bakgrunn"\nlabel_en = "Non-Western"\n'
        'numerator = "s_n"\ndenominator = "s_d"\ndomain = "population"\n',
        encoding="utf-8",
    )
    args = ["score", str(table), "-c", str(catalogue), "-o", str(tmp_path / "s.csv")]
    assert main(args) == 1
    assert "'s' (country of origin)" in capsys.readouterr().err
    assert main([*args, "--allow-sensitive"]) == 0
    assert "sensitive criteria used because --allow-sensitive was given: s." in (
        capsys.readouterr().out
    )
