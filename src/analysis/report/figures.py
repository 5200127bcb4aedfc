"""One figure as the reader sees it (:class:`Shown`), against last year (:class:`Compared`).

Every number shown goes through :mod:`analysis.core.rounding` (half up; changes are
differences of displayed values; levels decided on the displayed integer), and a
hidden figure is shown as the words that say why, never as a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.core.params import LevelParams
from analysis.core.rounding import (
    displayed_change,
    format_change,
    is_marked,
    level,
    round_half_up,
)
from analysis.report.phrases import HIDDEN_TEXTS, hidden_text

#: the group of every respondent of a unit
ALL = "all"


def has_value(value: Any) -> bool:
    """A published number (not None, not NaN)."""
    return value is not None and not pd.isna(value)


def number_or_none(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Shown:
    """One published (or suppressed) figure: full precision in, display strings out.

    ``suppression`` is the row's (contract §5); a figure hidden for any reason
    keeps no number at all, so no display string can show one.
    """

    value: float | None = None
    n: int | None = None
    suppression: str = ""

    def __post_init__(self) -> None:
        if self.suppression in HIDDEN_TEXTS:
            object.__setattr__(self, "value", None)
            object.__setattr__(self, "n", None)

    @property
    def published(self) -> bool:
        return self.value is not None

    @property
    def rounded(self) -> int | None:
        return None if self.value is None else round_half_up(self.value)

    @property
    def text(self) -> str:
        return hidden_text(self.suppression) if self.value is None else str(self.rounded)

    @property
    def n_text(self) -> str:
        """The respondents behind a published figure, else why it is hidden."""
        return (
            str(self.n) if self.published and self.n is not None else hidden_text(self.suppression)
        )

    def level(self, levels: LevelParams) -> str | None:
        return None if self.value is None else level(self.value, levels)


@dataclass(frozen=True)
class Compared:
    """A figure of year Y beside the same unit's, group's and measure's previous-year figure.

    ``prev`` is the previous year's row (published or suppressed) where the
    measure is comparable and that row exists; otherwise None. ``reason``
    says why there is no change, so a reader never meets an unexplained
    blank: the hidden year's words (this year's first: "för få svar" or "dold
    för att skydda en mindre grupp"), "ingen jämförelse" (other
    questions than last year), "inget värde <år>" (no row last year), a
    question's status ("ny", "omformulerad"); "" when there is a change or no
    previous year. ``low`` and ``high`` bound the change's 95 % interval
    (``change_low``/``change_high`` of this year's row).
    """

    now: Shown
    prev: Shown | None
    reason: str
    low: float | None = None
    high: float | None = None

    @property
    def marked(self) -> bool:
        """*Säkerställd*: the interval excludes 0 on the side of the displayed change."""
        return is_marked(self.change, self.low, self.high)

    @property
    def change(self) -> int | None:
        """Displayed change: displayed value minus displayed previous value."""
        if self.prev is None or not self.now.published or not self.prev.published:
            return None
        return displayed_change(self.now.value, self.prev.value)

    @property
    def exact_change(self) -> float | None:
        """The full-precision change (ranks equal displayed changes)."""
        if self.change is None:
            return None
        return self.now.value - self.prev.value

    @property
    def change_text(self) -> str:
        return self.reason if self.change is None else format_change(self.change)

    @property
    def prev_value(self) -> float | None:
        return None if self.prev is None else self.prev.value

    @property
    def prev_text(self) -> str:
        """The previous year's displayed value, why it is hidden, or "" where there is none."""
        return "" if self.prev is None else self.prev.text
