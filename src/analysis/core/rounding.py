"""Display rounding and level bands.

Tables keep full precision; only what a reader sees is rounded. Rounding is
half up (79.5 -> 80, contract §3), not Python's banker's rounding, and a
level is decided on the *displayed* integer so that a reader never sees "70"
labelled as below 70. Changes shown to readers are differences of displayed
values, so the arithmetic on the page always adds up.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

from analysis.core.labels import LEVEL_DEVELOP, LEVEL_GOOD, LEVEL_IMPROVE, MINUS
from analysis.core.params import LevelParams

# Float noise decides nothing: an exact half computed as 79.4999999999 is
# still a half. Nine decimals are far below any meaningful index difference.
NOISE_DECIMALS = 9


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves away from zero (79.5 -> 80, -79.5 -> -80).

    The value is first rounded to ``NOISE_DECIMALS`` decimals so that float
    noise around an exact half (79.4999999999) cannot flip the result.
    Negative values are symmetric: -0.5 -> -1 (a change of -0.5 displays as
    the mirror image of +0.5).
    """
    if x is None or not math.isfinite(x):
        raise ValueError(f"cannot round {x!r} for display: a suppressed or missing value")
    cleaned = round(float(x), NOISE_DECIMALS)
    magnitude = math.floor(abs(cleaned) + 0.5)
    return int(magnitude if cleaned >= 0 else -magnitude)


def round_half_up_array(values: np.ndarray | list[float]) -> np.ndarray:
    """:func:`round_half_up` element by element for table columns; NaN (suppressed) stays NaN.

    Returns floats so that suppressed cells survive. It applies the scalar
    function itself, so a table and a sentence can never disagree.
    """
    arr = np.asarray(values, dtype=np.float64)
    out = np.full(arr.shape, np.nan)
    finite = np.isfinite(arr)
    out[finite] = [round_half_up(v) for v in arr[finite]]
    return out


def level(value: float, levels: LevelParams) -> str:
    """The level band of an index, decided on its displayed integer."""
    shown = round_half_up(value)
    if shown >= levels.good_from:
        return LEVEL_GOOD
    if shown >= levels.improve_from:
        return LEVEL_IMPROVE
    return LEVEL_DEVELOP


def displayed_change(value: float, value_prev: float) -> int:
    """The change a reader sees: displayed value minus displayed previous value."""
    return round_half_up(value) - round_half_up(value_prev)


#: the normal quantile of a two-sided 95 % interval: a change's (contract §3) and a
#: group's difference against the rest of its unit
Z95 = float(norm.ppf(0.975))


def is_marked(shown_change: float | None, low: float | None, high: float | None) -> bool:
    """*Säkerställd*: the change's 95 % interval excludes 0 on the side of the change a
    reader sees (contract §3).

    A displayed change of 0 (two equal displayed values) is never marked, nor
    one whose sign the interval contradicts, nor one without an interval.
    """
    values = (shown_change, low, high)
    if any(v is None or v != v for v in values):  # None or NaN
        return False
    return bool((shown_change > 0 and low > 0) or (shown_change < 0 and high < 0))


def format_change(change: int) -> str:
    """A signed change for display: "+2", "−1" (typographic minus U+2212), "0"."""
    change = int(change)
    if change > 0:
        return f"+{change}"
    if change < 0:
        return f"{MINUS}{-change}"
    return "0"
