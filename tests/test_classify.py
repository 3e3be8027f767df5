"""Class breaks, palettes and labels (geoloft.classify), checked against mapclassify,
matplotlib and hand-worked answers."""

from __future__ import annotations

import warnings

import mapclassify
import numpy as np
import pandas as pd
import pytest

from geoloft.classify import (
    CATEGORY_COLOURS,
    PALETTES,
    category_colours,
    choose_decimals,
    classify,
    palette_colours,
    scheme_label,
)
from geoloft.errors import InputError

RNG = np.random.default_rng(20250601)
SKEWED = np.round(RNG.gamma(2.0, 150.0, 300), 1)  # grid-like counts: many small, few large


def _mapclassify(cls, values, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed" from FisherJenks
        return cls(values, **kw)


@pytest.mark.parametrize("k", [3, 5, 7])
def test_quantiles_match_mapclassify(k):
    ref = _mapclassify(mapclassify.Quantiles, SKEWED, k=k)
    got = classify(SKEWED, scheme="quantiles", k=k)
    np.testing.assert_allclose(got.breaks, ref.bins)
    np.testing.assert_array_equal(got.bins, ref.yb)


@pytest.mark.parametrize("k", [2, 4, 6])
def test_natural_breaks_match_mapclassify_fisher_jenks(k):
    values = SKEWED[:150]
    ref = _mapclassify(mapclassify.FisherJenks, values, k=k)
    got = classify(values, scheme="natural_breaks", k=k)
    np.testing.assert_allclose(got.breaks, ref.bins)
    np.testing.assert_array_equal(got.bins, ref.yb)


def test_natural_breaks_by_hand():
    # three obvious groups: the optimal classes are the groups
    got = classify([20, 1, 11, 2, 21, 3, 10, 12, 22], scheme="jenks", k=3)
    assert got.breaks == (3.0, 12.0, 22.0)
    assert got.bins.tolist() == [2, 0, 1, 0, 2, 0, 1, 1, 2]
    assert got.labels == ("1 – 3", "4 – 12", "13 – 22")  # whole numbers in each class


def test_equal_interval_and_fixed_match_mapclassify():
    ref = _mapclassify(mapclassify.EqualInterval, SKEWED, k=4)
    got = classify(SKEWED, scheme="equal_interval", k=4)
    np.testing.assert_allclose(got.breaks, ref.bins)
    np.testing.assert_array_equal(got.bins, ref.yb)
    ref = _mapclassify(mapclassify.UserDefined, SKEWED, bins=[100, 250, 500])
    got = classify(SKEWED, scheme="fixed", breaks=[100, 250, 500])
    np.testing.assert_allclose(got.breaks, ref.bins)
    np.testing.assert_array_equal(got.bins, ref.yb)


def test_quantiles_by_hand_and_labels():
    got = classify(range(1, 11), k=5)
    np.testing.assert_allclose(got.bounds, [1, 2.8, 4.6, 6.4, 8.2, 10])
    assert got.decimals == 0
    # whole numbers: each label names the whole numbers its class holds
    assert got.labels == ("1 – 2", "3 – 4", "5 – 6", "7 – 8", "9 – 10")
    assert got.counts().tolist() == [2, 2, 2, 2, 2]


def test_missing_values_get_class_minus_one_and_keep_alignment():
    values = pd.Series([5.0, np.nan, 1.0, 3.0], index=[10, 11, 12, 13])
    got = classify(values, k=2)
    assert got.bins.tolist() == [1, -1, 0, 0]
    empty = classify([np.nan, np.nan])
    assert (empty.k, empty.bins.tolist()) == (0, [-1, -1])


def test_fewer_distinct_values_than_classes_gives_fewer_classes_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = classify([1, 1, 1, 1, 2], k=5)
        jenks = classify([4, 4, 9], scheme="natural_breaks", k=5)
    assert got.k == 2
    assert jenks.breaks == (4.0, 9.0)


def test_reverse_and_language():
    up = classify([1.5, 2.5, 3.5], k=3, palette="Blues")
    down = classify([1.5, 2.5, 3.5], k=3, palette="Blues", reverse=True, lang="en")
    assert down.colours == up.colours[::-1]
    assert up.labels[0] == "1,5 – 2,2"
    assert down.labels[0] == "1.5 – 2.2"


def _srgb_to_linear(colours):
    c = np.array([[int(h[i : i + 2], 16) / 255 for i in (1, 3, 5)] for h in colours])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lightness(linear_rgb):
    y = np.clip(linear_rgb, 0, 1) @ np.array([0.2126, 0.7152, 0.0722])
    f = np.where(y > 216 / 24389, np.cbrt(y), (24389 / 27 * y + 16) / 116)
    return 116 * f - 16


# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PALETTES))
@pytest.mark.parametrize("vision", sorted(CVD))
def test_palettes_stay_ordered_for_colour_blind_readers(name, vision):
    """Simulated dichromats still see every class darker than the one below it."""
    for k in (3, 5, 7):
        linear = _srgb_to_linear(palette_colours(name, k)) @ np.array(CVD[vision]).T
        steps = -np.diff(_lightness(linear))
        assert steps.min() > 4.0, (name, vision, k, steps)


@pytest.mark.parametrize("name", sorted(PALETTES))
def test_palettes_match_matplotlib(name):
    from matplotlib import colormaps
    from matplotlib.colors import to_rgb

    cmap = colormaps[f"{name}_r" if name in ("viridis", "cividis") else name]
    start = 0.0 if name in ("viridis", "cividis") else 0.15
    for k in (3, 5, 9):
        ours = np.array([to_rgb(c) for c in palette_colours(name, k)])
        ref = np.array([cmap(x)[:3] for x in np.linspace(start, 1.0, k)])
        assert np.abs(ours - ref).max() * 255 < 6


def test_categories_get_okabe_ito_in_order_of_appearance():
    got = category_colours(["sosial", "fysisk", "sosial", "kulturell"])
    assert list(got) == ["sosial", "fysisk", "kulturell"]
    assert list(got.values()) == list(CATEGORY_COLOURS[:3])
    many = category_colours([f"c{i}" for i in range(10)])
    assert many["c8"] == many["c0"]


def test_choose_decimals():
    assert choose_decimals([1, 2, 3000]) == 0
    assert choose_decimals([12.34, 99.9]) == 1
    assert choose_decimals([0.12, 0.5]) == 2
    assert choose_decimals([150.5, 2.25]) == 0
    assert choose_decimals([np.nan]) == 0


def test_scheme_label():
    assert scheme_label("quantiles", 5) == "5 klasser, kvantiler"
    assert scheme_label("user_defined", 3, lang="en") == "3 classes, fixed breaks"


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"scheme": "headtail"}, r"scheme: unknown classification scheme 'headtail'.*Fix: use one"),
        ({"palette": "Jet"}, r"palette: unknown palette 'Jet'.*Fix: use one of"),
        ({"k": 0}, r"k: k must be 1 or more"),
        ({"scheme": "fixed"}, r"breaks: the 'fixed' scheme needs class bounds"),
    ],
    ids=["scheme", "palette", "k", "fixed-without-breaks"],
)
def test_bad_arguments(kwargs, pattern):
    with pytest.raises(InputError, match=pattern):
        classify([1, 2, 3], **kwargs)


def test_small_shares_get_enough_decimals_to_tell_classes_apart():
    # values 0.001-0.004 were labelled "0,00 – 0,00" in every class
    got = classify([0.001, 0.002, 0.0031, 0.004], k=4)
    assert len(set(got.labels)) == len(got.labels)
    assert got.labels[0].startswith("0,0010")
    assert choose_decimals([0.05, 0.01]) == 3
    assert choose_decimals([0.25, 0.001]) == 2  # the largest value decides


def test_classes_that_would_read_alike_are_merged():
    """Ties and near-ties: no two legend rows print the same, no row reads 'a – a'."""
    near = [37.51, 37.52, 37.53, 37.54, 37.54, 37.54, 37.54, 41.0, 44.5, 50.0]
    zones = [0, 0, 0, 0, 0, 0, 1, 0, 0, 1]
    for values in (near, zones, [5.0] * 7, [0.04, 0.04, 0.041, 0.041, 0.9]):
        c = classify(values, scheme="quantiles", k=5)
        assert len(set(c.labels)) == len(c.labels), c.labels
        for label in c.labels:
            parts = label.split(" – ")
            assert len(parts) == 1 or parts[0] != parts[1], label
        # every value is in a class whose printed bounds hold its printed value
        assert (c.bins >= 0).all()
        assert c.counts().sum() == len(values)
    zone_classes = classify(zones, scheme="quantiles", k=3)
    assert zone_classes.labels == ("0", "1")  # not "0 / 0 / 1"
    assert zone_classes.counts().tolist() == [8, 2]
    # the quantile bounds 37.52 ... 37.54 all print 37,5: one class, labelled by one number
    tied = classify(near, scheme="quantiles", k=5)
    assert tied.labels[0] == "37,5"
    assert tied.counts()[0] == 7


def test_a_class_after_a_single_number_does_not_start_with_that_number():
    # shares of indicators worse than the reference: many areas at exactly 0
    shares = [0, 0, 0, 0, 0, 1 / 6, 1 / 3, 1 / 2, 2 / 3, 5 / 6, 1, 1]
    got = classify(shares, k=3, lang="nb")
    assert got.labels[0] == "0,0"
    assert got.labels[1].startswith("0,2 – ")  # 1/6 is the smallest value in the class
    assert all(not label.startswith("0,0 –") for label in got.labels)
