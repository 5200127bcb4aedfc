"""A group against the rest of its unit: the difference, its 95 % interval and its mark.

Made from published numbers only, so it can reveal nothing that suppression
hides: the rest's value is the unit's total less the group, by respondents,

    rest = (n_unit * unit - n_group * group) / (n_unit - n_group),

and the interval is difference ± 1.96 · s · √(1/n_group + 1/n_rest), with s the
measure's respondent spread pooled over the organisation (meta.json,
``respondent_spread``). Two groups of one year are different people, so the
two-sample variance is the right one here (no calibration as for changes).
A rest of fewer than ``privacy.min_group_size`` respondents is not compared:
the difference would show a small group's value.

For a composite the rest's value by respondents is the composite of the
rest only approximately (its questions' indexes rest on slightly different
counts); the difference is what a reader can recompute from figures.csv.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from analysis.core.rounding import Z95, format_change, is_marked, round_half_up
from analysis.report.figures import Shown
from analysis.report.phrases import NO_COMPARISON

__all__ = ["FEW_OTHERS", "Difference", "against_rest", "no_difference_text"]

#: why a group is not compared with the rest of its unit: the rest is too small
FEW_OTHERS = "för få övriga"


@dataclass(frozen=True)
class Difference:
    """The group's value minus the rest of its unit's, with a 95 % interval."""

    value: float
    low: float
    high: float

    @property
    def shown(self) -> int:
        """The difference as displayed: rounded half up."""
        return round_half_up(self.value)

    @property
    def text(self) -> str:
        return format_change(self.shown)

    @property
    def marked(self) -> bool:
        return is_marked(self.shown, self.low, self.high)


def against_rest(unit: Shown, group: Shown, spread: float | None, k: int) -> Difference | None:
    """The group against the rest of the unit, or None where it cannot be shown."""
    if not (unit.published and group.published) or unit.n is None or group.n is None:
        return None
    rest_n = unit.n - group.n
    if rest_n < k or group.n < 1 or spread is None or not math.isfinite(spread):
        return None
    rest = (unit.n * unit.value - group.n * group.value) / rest_n
    value = group.value - rest
    half = Z95 * spread * math.sqrt(1 / group.n + 1 / rest_n)
    return Difference(value, value - half, value + half)


def no_difference_text(unit: Shown, group: Shown, k: int) -> str:
    """Why :func:`against_rest` gives none, in the words a reader sees (never a blank)."""
    if not group.published:
        return group.text
    if not unit.published:
        return unit.text
    if unit.n is None or group.n is None or unit.n - group.n < k:
        return FEW_OTHERS
    return NO_COMPARISON
