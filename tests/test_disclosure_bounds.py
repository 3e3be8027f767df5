"""Disclosure thresholds at their documented boundaries (warn below 10, refuse below 3).

SSB publishes no counts of 1-9 persons; geoloft warns for any threshold under
10 and refuses one under 3 unless the user allows it explicitly.
"""

from __future__ import annotations

import warnings

import pytest

from geoloft.disclosure.protect import check_threshold
from geoloft.errors import InputError


def test_ten_is_silent() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_threshold(10)


@pytest.mark.parametrize("threshold", [3, 9])
def test_three_to_nine_warn_but_pass(threshold: int) -> None:
    with pytest.warns(UserWarning, match=f"threshold {threshold} is below SSB's 10"):
        check_threshold(threshold)


@pytest.mark.parametrize("threshold", [1, 2])
def test_one_and_two_need_the_flag(threshold: int) -> None:
    with pytest.raises(InputError, match="allow_tiny_threshold"):
        check_threshold(threshold)
    with pytest.warns(UserWarning, match=f"counts of {threshold}-9 persons"):
        check_threshold(threshold, allow_tiny=True)


def test_zero_is_refused_even_with_the_flag() -> None:
    with pytest.raises(InputError, match="use 10"):
        check_threshold(0, allow_tiny=True)
