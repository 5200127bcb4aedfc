"""One unit's figures of the year, looked up by measure, group and year, and compared."""

from __future__ import annotations

import re

import pandas as pd

from analysis.report.figures import ALL, Compared, Shown, number_or_none
from analysis.report.phrases import NO_COMPARISON, no_previous_text
from analysis.report.processed import ProcessedYear


class UnitFigures:
    """The figure rows of one unit, looked up by (measure, group, year)."""

    def __init__(self, data: ProcessedYear, unit_id: str) -> None:
        self.data = data
        self.unit_id = unit_id
        rows = data.unit_figures(unit_id)
        keys = list(zip(rows["year"].astype(int), rows["group"], rows["measure"], strict=True))
        self._rows = {
            key: Shown(number_or_none(v), None if pd.isna(n) else int(n), why)
            for key, v, n, why in zip(
                keys, rows["value"], rows["n"], rows["suppression"], strict=True
            )
        }
        self._intervals = {
            key: (number_or_none(low), number_or_none(high))
            for key, low, high in zip(keys, rows["change_low"], rows["change_high"], strict=True)
        }

    def get(self, measure: str, group: str = ALL, year: int | None = None) -> Shown:
        """The figure, or an empty (suppressed-looking) one where no row exists."""
        return self._rows.get((year or self.data.year, group, measure), Shown())

    def has(self, measure: str, group: str = ALL, year: int | None = None) -> bool:
        return (year or self.data.year, group, measure) in self._rows

    def compare(
        self, measure: str, group: str = ALL, not_comparable: str = NO_COMPARISON
    ) -> Compared:
        """This year's figure against the previous survey year's, with the reason for no change.

        ``not_comparable`` is the reason shown when the measure rests on other
        questions than last year (a question passes its status, "ny" or
        "omformulerad").
        """
        now = self.get(measure, group)
        previous = self.data.previous_year
        if previous is None:
            return Compared(now, None, "")
        if measure not in self.data.comparable_measures:
            return Compared(now, None, not_comparable)
        if not self.has(measure, group, previous):
            return Compared(now, None, no_previous_text(previous))
        prev = self.get(measure, group, previous)
        hidden = next((s.text for s in (now, prev) if not s.published), "")
        low, high = self._intervals.get((self.data.year, group, measure), (None, None))
        return Compared(now, prev, hidden, low, high)

    def groups(self, variable: str, year: int | None = None) -> list[str]:
        """Labels of one background variable with rows this year, in natural order."""
        prefix = f"{variable}="
        labels = {
            g[len(prefix) :]
            for (y, g, _m) in self._rows
            if y == (year or self.data.year) and g.startswith(prefix) and g[len(prefix) :]
        }
        key = age_sort_key if variable == "age_group" else str.casefold
        return sorted(labels, key=key)

    def hidden_texts(self, group: str = ALL) -> set[str]:
        """Why the group's hidden figures of year Y are hidden, as the words a reader sees."""
        year = self.data.year
        rows = self._rows.items()
        return {s.text for (y, g, _m), s in rows if (y, g) == (year, group) and not s.published}

    def any_published(self) -> bool:
        """Whether the unit has a single published number in year Y."""
        year = self.data.year
        return any(s.published for (y, _g, _m), s in self._rows.items() if y == year)


def age_sort_key(label: str) -> tuple[int, float, str]:
    """Sort age bands by age ("<30", "-29" < "30-39" < "60-"/"60+"); others last.

    A band written as an upper bound ("<30", "-29", "under 30") is younger than
    the band that starts at that number.
    """
    text = label.strip()
    found = re.search(r"\d+", text)
    if found is None:
        return (1, 0.0, text.casefold())
    start = float(found.group())
    if re.match(r"(<|≤|-|–|under\b|upp till\b)", text.casefold()):
        start -= 0.5
    return (0, start, text.casefold())
