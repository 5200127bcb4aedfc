"""A group against the rest of its unit, from published numbers only: worked by hand."""

from __future__ import annotations

import math

import pytest

from analysis.report.differences import against_rest
from analysis.report.figures import Shown


def test_a_group_against_the_rest_by_hand():
    # unit 60 respondents at 75; women 40 at 80: the other 20 are at (4500 - 3200) / 20 = 65
    difference = against_rest(Shown(75.0, 60), Shown(80.0, 40), 15.0, 5)
    assert difference.value == pytest.approx(15.0)
    half = 1.959963984540054 * 15.0 * math.sqrt(1 / 40 + 1 / 20)  # 8.05
    assert (difference.low, difference.high) == pytest.approx((15.0 - half, 15.0 + half))
    assert difference.text == "+15" and difference.marked


def test_a_small_difference_is_within_the_margin():
    difference = against_rest(Shown(75.0, 60), Shown(76.0, 40), 15.0, 5)
    assert difference.value == pytest.approx(3.0)  # rest (4500 - 3040) / 20 = 73
    assert difference.text == "+3" and not difference.marked


def test_no_difference_against_a_rest_too_small_or_hidden():
    # the rest would be 4 people: their value is not to be shown as a difference either
    assert against_rest(Shown(75.0, 44), Shown(80.0, 40), 15.0, 5) is None
    assert against_rest(Shown(75.0, 60), Shown(None, None, "threshold"), 15.0, 5) is None
    assert against_rest(Shown(None, None, "complementary"), Shown(80.0, 40), 15.0, 5) is None
    assert against_rest(Shown(75.0, 60), Shown(80.0, 40), None, 5) is None


def test_a_missing_difference_says_why():
    from analysis.report.differences import no_difference_text

    assert no_difference_text(Shown(75.0, 44), Shown(80.0, 40), 5) == "för få övriga"
    hidden = Shown(None, None, "threshold")
    assert no_difference_text(Shown(75.0, 60), hidden, 5) == "för få svar"
    protected = Shown(None, None, "complementary")
    assert no_difference_text(protected, Shown(80.0, 40), 5) == (
        "dold för att skydda en mindre grupp"
    )
