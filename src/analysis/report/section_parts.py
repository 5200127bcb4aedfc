"""What several sections share: the change column's explanation, the level legend, question rows.

Plain text and table data only; the markup is in ``templates/macros.html.j2``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.core.labels import LEVEL_DEVELOP, LEVEL_GOOD, LEVEL_IMPROVE, MINUS
from analysis.core.params import LevelParams
from analysis.report.context import Report
from analysis.report.differences import FEW_OTHERS
from analysis.report.markup import Table, bar_cell, change_cell, table, value_cell
from analysis.report.phrases import (
    MOT_OVRIGA,
    NO_COMPARISON,
    PROTECTED,
    SUPPRESSED,
    high_low,
    no_previous_text,
)
from analysis.report.selection import high_low as select_high_low
from analysis.report.style import LEVEL_COLOURS


def comparison_note(report: Report, change_texts: Iterable[str] = ()) -> str:
    """How to read the change column, and what each reason for a missing change means."""
    prev = report.data.previous_year
    if prev is None:
        return (
            f"Jämförelse saknas: {report.data.year} är det första undersökningsåret i underlaget."
        )
    texts = set(change_texts)
    lines = [
        f"Förändringen är skillnaden mot {prev} mellan de avrundade värdena "
        f"(+ ökning, {MINUS} minskning)."
    ]
    if SUPPRESSED in texts:
        lines.append(f"”{SUPPRESSED}”: ett av åren har för få svarande för att visas.")
    if PROTECTED in texts:
        lines.append(f"”{PROTECTED}”: ett av årens värden visas inte (se ”Om rapporten”).")
    if NO_COMPARISON in texts:
        lines.append(
            f"”{NO_COMPARISON}”: måttet bygger i år på andra frågor än {prev} "
            "(nya eller omformulerade frågor) och jämförs därför inte."
        )
    if no_previous_text(prev) in texts:
        lines.append(f"”{no_previous_text(prev)}”: enheten eller gruppen fanns inte med {prev}.")
    return " ".join(lines)


def difference_note(k: int, difference_texts: Iterable[str] = ()) -> str:
    """How to read the column of a group against the rest of its unit."""
    line = (
        f"”{MOT_OVRIGA}”: gruppens index minus övriga svarandes i enheten (avrundat); "
        "med * är skillnaden säkerställd."
    )
    if FEW_OTHERS in set(difference_texts):
        line += f" ”{FEW_OTHERS}”: färre än {k} svarande utanför gruppen, som inte jämförs."
    return line


@dataclass(frozen=True)
class Band:
    """One level of the legend: its colour, its span of displayed values, its name."""

    colour: str
    span: str
    name: str


def level_bands(levels: LevelParams) -> list[Band]:
    """The three index levels, best first, with the displayed values each covers."""
    good, improve = levels.good_from, levels.improve_from
    return [
        Band(LEVEL_COLOURS[name], span, name.capitalize())
        for name, span in (
            (LEVEL_GOOD, f"{good}–100"),
            (LEVEL_IMPROVE, f"{improve}–{good - 1}"),
            (LEVEL_DEVELOP, f"0–{improve - 1}"),
        )
    ]


def question_table(rows: pd.DataFrame, with_bar: bool = False) -> Table:
    """Question, index (with its level) and change (or why none); optionally a bar."""
    headers = ["Fråga", "Index", "Förändring"]
    numeric = [False, True, True]
    if with_bar:
        headers.append("")
        numeric.append(False)
    body = []
    for _, r in rows.iterrows():
        change = r["change_text"] or r["status"]
        line = [
            r["text"],
            value_cell(r["text_value"], r["level"]),
            change_cell(change, r["marked"]),
        ]
        if with_bar:
            line.append(bar_cell(r["value"], r["level"]))
        body.append(line)
    return table(headers, body, numeric)


def index_rows(frame: pd.DataFrame) -> Table:
    """Index, value (with its level) and change: the table under AMI and leadership."""
    return table(
        ["Index", "Värde", "Förändring"],
        [
            [label, value_cell(text, lvl), change_cell(change, marked)]
            for label, text, lvl, change, marked in zip(
                frame["label"],
                frame["text"],
                frame["level"],
                frame["change_text"],
                frame["marked"],
                strict=True,
            )
        ],
        [False, True, True],
    )


def high_low_sentence(
    what: str, labels: Sequence[str], values: Sequence[Any], prefix: tuple[str, str] = ("", "")
) -> str:
    """'Högst AMI har … och lägst …' from displayed values; "" unless two values differ."""
    found = select_high_low(labels, values)
    if found is None:
        return ""
    return high_low(what, found.top, found.top_value, found.bottom, found.bottom_value, prefix)
