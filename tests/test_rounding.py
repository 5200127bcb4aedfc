"""Display rounding, level bands and signed changes (contract §3)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.core.labels import LEVEL_DEVELOP, LEVEL_GOOD, LEVEL_IMPROVE
from analysis.core.params import LevelParams
from analysis.core.rounding import (
    displayed_change,
    format_change,
    level,
    round_half_up,
    round_half_up_array,
)


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (79.5, 80),  # half up, where Python's round() gives 80 by luck ...
        (80.5, 81),  # ... and here banker's rounding would give 80
        (0.5, 1),
        (2.5, 3),
        (79.4999999999, 80),  # float noise of an exact half is still a half
        (79.5000000001, 80),
        (79.49, 79),
        (79.499999, 79),  # a genuine difference (1e-6) is not noise
        (100.0, 100),
        (0.0, 0),
        (-0.5, -1),  # negatives symmetric: halves away from zero
        (-1.5, -2),
        (-1.4, -1),
        (-2.4999999999, -3),
    ],
)
def test_round_half_up(x, expected):
    assert round_half_up(x) == expected
    assert isinstance(round_half_up(x), int)


def test_round_half_up_of_a_composite_with_float_noise():
    # (125/3 + 62.5 + 25/3) / 3 = 37.5 exactly, but the float mean is 37.49999999999999
    noisy = (50 * 100 / 120 + 10 * 100 / 16 + 3 * 100 / 36) / 3
    assert noisy < 37.5
    assert round_half_up(noisy) == 38
    assert round_half_up(0.1 * 3 * 100 / 0.6) == 50  # 50.00000000000001 -> 50


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), None])
def test_round_half_up_refuses_missing_values(bad):
    with pytest.raises(ValueError, match="cannot round"):
        round_half_up(bad)


def test_round_half_up_array_keeps_suppressed_empty():
    out = round_half_up_array([79.5, np.nan, -0.5, 44.4999999999])
    assert out[0] == 80 and out[2] == -1 and out[3] == 45
    assert math.isnan(out[1])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100.0, LEVEL_GOOD),
        (70.0, LEVEL_GOOD),
        (69.5, LEVEL_GOOD),  # displayed as 70: never "70" labelled below 70
        (69.49, LEVEL_IMPROVE),
        (45.0, LEVEL_IMPROVE),
        (44.5, LEVEL_IMPROVE),  # displayed as 45
        (44.4999999999, LEVEL_IMPROVE),  # noise of 44.5
        (44.49, LEVEL_DEVELOP),
        (0.0, LEVEL_DEVELOP),
    ],
)
def test_level_is_decided_on_the_displayed_integer(value, expected):
    assert level(value, LevelParams()) == expected


def test_level_uses_the_cut_offs_from_params():
    levels = LevelParams(good_from=80, improve_from=60)
    assert level(79.5, levels) == LEVEL_GOOD
    assert level(79.4, levels) == LEVEL_IMPROVE
    assert level(59.5, levels) == LEVEL_IMPROVE
    assert level(59.4, levels) == LEVEL_DEVELOP


def test_displayed_change_is_the_difference_of_displayed_values():
    assert displayed_change(70.4, 69.6) == 0  # 70 - 70, although the difference is 0.8
    assert displayed_change(79.5, 78.4) == 2  # 80 - 78, although the difference is 1.1
    assert displayed_change(60.0, 62.5) == -3  # 60 - 63


def test_format_change_signs():
    assert format_change(2) == "+2"
    assert format_change(-1) == "\u22121"
    assert format_change(0) == "0"
    assert format_change(np.int64(-12)) == "\u221212"
