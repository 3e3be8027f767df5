"""Tests of the indicator catalogue: Indicator, Catalogue, TOML loading, the default."""

from __future__ import annotations

import textwrap

import pytest

from geoloft.errors import ConfigError, InputError
from geoloft.indicators import Catalogue, Indicator, default_catalogue, load_catalogue
from geoloft.indicators.catalogue import default_catalogue_path

GOOD = """\
title = "test"

[[indicator]]
id = "low_income"
label_nb = "Lavinntekt"
label_en = "Low income"
numerator = "low_income_n"
denominator = "low_income_d"
domain = "income"
weight = 2

[[indicator]]
id = "mean_income"
label_nb = "Snittinntekt"
label_en = "Mean income"
value = "inntekt"
population = "hush"
unit = "NOK"
domain = "income"
direction = "higher_is_better"
context_only = true
"""


def write(tmp_path, text, name="cat.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def make(**kw):
    base = {"id": "x", "label_nb": "X", "label_en": "X", "value": "x", "domain": "d"}
    return Indicator(**{**base, **kw})


# -- default catalogue -----------------------------------------------------------------------


def test_default_catalogue_covers_the_levekar_indicators():
    cat = default_catalogue()
    assert len(cat) == 10
    wanted = {"lavinntekt", "barn_lavinntekt", "lav_utdanning", "ikke_sysselsatt", "sosialhjelp",
              "uforetrygd", "frafall", "trangbodd", "enslige_forsorgere", "flytting"}  # fmt: skip
    assert set(cat.ids) == wanted
    for ind in cat:
        assert ind.from_counts
        assert ind.definition
        assert ind.direction == "higher_is_worse"
        assert not ind.is_sensitive
        assert not ind.context_only


@pytest.mark.parametrize(
    "ident", ["lavinntekt", "lav_utdanning", "ikke_sysselsatt", "barn_lavinntekt", "frafall",
              "trangbodd"],
)  # fmt: skip
def test_default_catalogue_uses_demo_column_names(ident):
    ind = default_catalogue()[ident]
    assert (ind.numerator, ind.denominator) == (f"{ident}_n", f"{ident}_d")


def test_default_catalogue_file_is_a_loadable_template():
    assert load_catalogue(default_catalogue_path()) == default_catalogue()


# -- loading ----------------------------------------------------------------------------------


def test_load_catalogue_reads_every_field(tmp_path):
    cat = load_catalogue(write(tmp_path, GOOD))
    assert cat.ids == ("low_income", "mean_income")
    li, mi = cat["low_income"], cat["mean_income"]
    assert li.weight == 2
    assert li.columns == ("low_income_n", "low_income_d")
    assert li.is_rate
    assert li.scale == 100.0
    assert mi.columns == ("inntekt", "hush")
    assert mi.sign == -1
    assert mi.context_only
    assert not mi.is_rate  # NOK is a level
    assert mi.scale == 1.0
    assert cat.columns == ("low_income_n", "low_income_d", "inntekt", "hush")


def test_unknown_key_names_line_and_closest_key(tmp_path):
    text = GOOD.replace('numerator = "low_income_n"', 'numerater = "low_income_n"')
    with pytest.raises(ConfigError, match=r"cat\.toml.*line 7: unknown key 'numerater' in "
                       r"indicator 1 \('low_income'\); did you mean 'numerator'\?"):  # fmt: skip
        load_catalogue(write(tmp_path, text))


def test_unknown_top_level_key(tmp_path):
    text = GOOD.replace("[[indicator]]", "[[indicators]]", 1)
    with pytest.raises(ConfigError, match=r"line 3: unknown top-level key 'indicators'; did you "
                       r"mean 'indicator'"):  # fmt: skip
        load_catalogue(write(tmp_path, text))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("weight = 2", 'weight = "2"', r"line 10: 'weight' in indicator 1 .* must be a number"),
        ("context_only = true", 'context_only = "yes"',
         r"line 21: 'context_only' in indicator 2 .* must be true or false"),
        ('domain = "income"\nweight', "weight", r"line 3: indicator 1 \('low_income'\) lacks "
         r"domain"),
        ('direction = "higher_is_better"', 'direction = "up"', r"line 12: indicator 2 .*"
         r"direction 'up' must be one of higher_is_worse"),
        ("weight = 2", "weight = 0", r"line 3: .*weight 0 must be a number > 0"),
        ('id = "mean_income"', 'id = "low_income"', r"line 4: indicator id 'low_income' is used "
         r"more than once"),
        ('id = "low_income"', 'id = "Low income"', r"not column-safe"),
    ],
    ids=["weight-text", "bool-text", "missing-domain", "bad-direction", "zero-weight",
         "duplicate-id", "unsafe-id"],
)  # fmt: skip
def test_bad_values_are_reported_with_lines(tmp_path, old, new, message):
    assert old in GOOD
    with pytest.raises(ConfigError, match=message):
        load_catalogue(write(tmp_path, GOOD.replace(old, new, 1)))


def test_all_problems_are_listed_at_once(tmp_path):
    text = GOOD.replace("weight = 2", 'weight = "2"').replace("unit =", "units =")
    with pytest.raises(ConfigError, match=r"2 problems:(.|\n)*weight(.|\n)*'units'.*did you "
                       r"mean 'unit'"):  # fmt: skip
        load_catalogue(write(tmp_path, text))


def test_toml_syntax_error_names_the_line(tmp_path):
    with pytest.raises(ConfigError, match=r"cat\.toml: not valid TOML.*line 2"):
        load_catalogue(write(tmp_path, '[[indicator]]\nid = "x\n'))


def test_missing_file_and_empty_catalogue(tmp_path):
    with pytest.raises(InputError, match=r"nope\.toml: indicator catalogue not found"):
        load_catalogue(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="no \\[\\[indicator\\]\\] tables"):
        load_catalogue(write(tmp_path, 'title = "empty"\n'))


# -- Indicator and Catalogue objects ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"id": "2x"}, "not column-safe"),
        ({"weight": -1.0}, "must be a number > 0"),
        ({"weight": float("nan")}, "must be a number > 0"),
        ({"numerator": "n", "denominator": "d"}, "not both"),
        ({"value": None, "numerator": "n"}, "needs a denominator"),
        ({"value": None}, "give numerator \\+ denominator"),
        ({"direction": "lower_is_worse"}, "direction"),
        ({"label_en": " "}, "label_en must be a non-empty text"),
    ],
)
def test_indicator_validation(kw, message):
    with pytest.raises(ConfigError, match=message):
        make(**kw)


def test_catalogue_lookup_select_and_weights():
    cat = Catalogue((make(id="a"), make(id="b", weight=3.0)))
    assert "a" in cat
    assert "z" not in cat
    assert cat.select(["b"]).ids == ("b",)
    assert cat.with_weights({"a": 5}).indicators[0].weight == 5.0
    with pytest.raises(KeyError, match="Did you mean 'b'"):
        cat["bb"]
    with pytest.raises(ConfigError, match="unknown indicators: q"):
        cat.with_weights({"q": 1.0})
    with pytest.raises(ConfigError, match="duplicate indicator ids: a"):
        Catalogue((make(id="a"), make(id="a")))
    with pytest.raises(TypeError, match="Indicator objects"):
        Catalogue(("a",))


@pytest.mark.parametrize(
    ("kw", "sensitive"),
    [
        ({}, False),
        ({"sensitive": True}, True),
        ({"domain": "origin"}, True),
        ({"id": "innvandrere", "label_nb": "Innvandrere"}, True),
        ({"label_en": "Foreign-born residents"}, True),
        ({"label_en": "Original buildings"}, False),
    ],
)
def test_sensitive_indicators_are_recognised(kw, sensitive):
    assert make(**kw).is_sensitive is sensitive
