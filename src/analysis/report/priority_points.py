"""The priority matrix's numbers in words and as a table (its alt text and data table).

The matrix is a picture of every driver's importance (x) and score (y); a reader
who cannot see it gets the same numbers, point by point in the chart's
numbering, in the image's text alternative and in a table beside it (WCAG 2.1
1.1.1 and 1.3.1). Importance is shown as a share of the explained variation with
one decimal, half up, as the axis reads it; the score as the report's integer.
"""

from __future__ import annotations

import pandas as pd

from analysis.core.rounding import round_half_up
from analysis.drivers import priority
from analysis.report.markup import Table, table
from analysis.report.plot_priority import LEGEND, UNSETTLED

TITLE = "Prioriteringsmatris"
DATA_COLUMNS = ["Nr", "Fråga", "Påverkan", "Resultat", "Placering"]


def importance_text(importance: float) -> str:
    """0.0425 -> "4,3 %": a share of the explained variation, one decimal, half up."""
    tenths = round_half_up(float(importance) * 1000)
    return f"{tenths // 10},{tenths % 10} %"


def _placements(frame: pd.DataFrame) -> list[str]:
    """Each point's quadrant as the legend names it, "osäker placering" added where the
    bootstrap does not settle its side of the importance median."""
    names = [LEGEND[q] for q in frame["quadrant"]]
    if "p_high" not in frame:
        return names
    shaky = priority.unsettled(frame["importance"], frame["p_high"])
    return [f"{n}, {UNSETTLED.lower()}" if s else n for n, s in zip(names, shaky, strict=True)]


Row = tuple[str, str, str, str, str]


def matrix_rows(frame: pd.DataFrame, texts: dict[str, str]) -> list[Row]:
    """Each point as shown: its number in the chart, question, importance, score, placement
    (worked out once for the alt text and the table)."""
    each = zip(
        frame["question_id"], frame["importance"], frame["score"], _placements(frame), strict=True
    )
    return [
        (str(n), texts.get(q, q), importance_text(i), str(round_half_up(s)), p)
        for n, (q, i, s, p) in enumerate(each, start=1)
    ]


def matrix_points(rows: list[Row]) -> list[tuple[str, str]]:
    """(label, figures) per point in the chart's numbering: "3. Fråga" -> "påverkan 4,3 %,
    resultat 78, styrka"."""
    return [
        (f"{n}. {text}", f"påverkan {share}, resultat {score}, {placement.lower()}")
        for n, text, share, score, placement in rows
    ]


def matrix_table(rows: list[Row]) -> Table:
    """Every point of the matrix: its number in the chart, question, importance, score, quadrant."""
    return table(DATA_COLUMNS, [list(row) for row in rows], [True, False, True, True, False])
