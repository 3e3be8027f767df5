"""User-facing text and Norwegian number format (geoloft.labels)."""

from __future__ import annotations

import string

import pandas as pd
import pytest

from geoloft._io import parse_numbers
from geoloft.errors import InputError
from geoloft.labels import (
    LANGS,
    TEXT,
    check_lang,
    format_nok,
    format_number,
    format_range,
    format_year,
    format_years,
    index_label,
    text,
    zone_index_label,
)
from geoloft.score.methods import METHODS

NBSP = "\u00a0"
MINUS = "\u2212"


@pytest.mark.parametrize(
    ("value", "decimals", "nb", "en"),
    [
        (1234.5, 1, f"1{NBSP}234,5", "1,234.5"),
        (1234567, 0, f"1{NBSP}234{NBSP}567", "1,234,567"),
        (999, 0, "999", "999"),
        (0.25, 2, "0,25", "0.25"),
        (-1234.5, 1, f"{MINUS}1{NBSP}234,5", "-1,234.5"),
        (12.345, 0, "12", "12"),
        (2.5, 0, "2", "2"),  # half to even, as Python rounds
        (-0.001, 1, "0,0", "0.0"),  # no minus on a number that rounds to zero
    ],
    ids=[
        "thousands-decimal",
        "millions",
        "three-digits",
        "fraction",
        "negative",
        "round",
        "half-even",
        "negative-zero",
    ],
)
def test_format_number(value, decimals, nb, en):
    assert format_number(value, decimals=decimals, lang="nb") == nb
    assert format_number(value, decimals=decimals, lang="en") == en


@pytest.mark.parametrize("value", [None, float("nan")])
def test_missing_numbers_are_said_in_words(value):
    assert format_number(value) == "Ingen data"
    assert format_number(value, lang="en") == "No data"


@pytest.mark.parametrize("value", [1234.5, 640797.0, -12.25, 0.5, 5146614.0])
def test_norwegian_format_reads_back_with_the_project_parser(value):
    """The readers' parser (geoloft._io) must read what the maps write."""
    written = format_number(value, decimals=2)
    parsed = parse_numbers(pd.Series([written]))
    assert parsed.bad_rows.size == 0
    assert parsed.values.iloc[0] == pytest.approx(value)


def test_ranges_money_and_years():
    assert format_range(1000, 2500) == f"1{NBSP}000 – 2{NBSP}500"
    assert format_range(0.5, 1.25, decimals=2, lang="en") == "0.50 – 1.25"
    assert format_nok(1_200_000) == f"1{NBSP}200{NBSP}000{NBSP}kr"
    assert format_nok(1_200_000, lang="en") == "NOK 1,200,000"
    assert format_nok(None) == "Ingen data"
    assert format_years(2021, 2024) == "2021–2024"
    assert format_years(2023, 2023) == "2023"
    assert format_years(None, 2024) == "–2024"
    assert format_years(float("nan"), None, lang="en") == "No data"


def test_every_text_has_both_languages_and_its_fields():
    for key, (nb, en) in TEXT.items():
        assert nb.strip(), key
        assert en.strip(), key
        fields_nb = {f for _, f, _, _ in string.Formatter().parse(nb) if f}
        fields_en = {f for _, f, _, _ in string.Formatter().parse(en) if f}
        assert fields_nb == fields_en, key


def test_text_is_bokmal_first_and_fills_fields():
    assert text("measures") == "Tiltak"
    assert text("measures", "en") == "Measures"
    assert text("basemap_topograatone") == "Kartverket gråtone"
    assert text("grid", "nb", size=250) == "Befolkning per rute (250 m)"
    assert "10" in text("suppressed", "en", threshold=10)


def test_unknown_language_is_refused():
    assert check_lang("en") == "en"
    assert LANGS == ("nb", "en")
    with pytest.raises(InputError, match=r"lang.*unknown language 'nn'.*Fix: use 'nb'"):
        text("map", "nn")
    with pytest.raises(InputError, match="unknown language"):
        format_number(1.0, lang="de")


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT], ids=repr)
def test_missing_values_of_every_kind_are_missing(missing):
    assert format_years(missing, 2020) == "–2020"
    assert format_years(2021, missing) == "2021–"
    assert format_years(missing, missing) == text("missing")
    assert format_nok(missing) == text("missing")
    assert format_number(missing) == text("missing")
    assert format_year(missing) == ""


@pytest.mark.parametrize("year", [2015, 2015.0, "2015", pd.array([2015], dtype="Int64")[0]])
def test_years_print_as_years(year):
    assert format_year(year) == "2015"
    assert format_years(year, year) == "2015"
    assert format_number(2015) == f"2{NBSP}015"  # which is why years never go through it


@pytest.mark.parametrize("lang", LANGS)
def test_every_scoring_method_names_its_index(lang):
    labels = {method: index_label(method, lang) for method in METHODS}
    assert len(set(labels.values())) == len(METHODS)  # each says what it is
    assert text("index", lang) not in labels.values()  # none falls back to the plain word
    composite = text("zone_index", lang)
    assert [m for m, label in labels.items() if label == composite] == ["zscore"]
    assert index_label(None, lang) == text("index", lang)


def test_a_zone_index_is_named_by_how_it_was_computed():
    assert zone_index_label("below-average", from_counts=True) == "Sammensatt z-skår"
    mean = zone_index_label("below-average", from_counts=False)
    assert mean.startswith(index_label("below-average"))
    assert "z-skår" not in mean
