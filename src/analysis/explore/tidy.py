"""The published figures and drivers as tidy tables, each row carrying its unit and its display.

A report shows a figure rounded half up, its change as the difference of two
displayed values, a star when the change is *säkerställd*, and words where a
number is hidden. An analyst who recomputes that by hand from
``figures.parquet`` gets it subtly wrong (Python's ``round`` is banker's
rounding; the rounded change is not the change rounded). So every row here
carries the full-precision numbers *and* exactly what a report shows, through
the functions the reports use (:mod:`analysis.core.rounding`,
:mod:`analysis.report.phrases`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from analysis.core.catalogue import question_measure
from analysis.core.contract import DRIVERS_TABLE_COLUMNS
from analysis.core.rounding import is_marked, round_half_up_array
from analysis.explore.units import UNIT_COLUMNS, unit_table
from analysis.report.figures import ALL
from analysis.report.phrases import NO_COMPARISON, hidden_text, no_previous_text
from analysis.report.processed import MEASURE_LABELS, ProcessedYear

#: the unit columns every tidy table carries after its own keys
UNIT_INFO = UNIT_COLUMNS[UNIT_COLUMNS.index("unit_name") : UNIT_COLUMNS.index("omrade_name") + 1]

FIGURE_COLUMNS = [
    "year",
    "unit_id",
    *UNIT_INFO,
    "group",
    "variable",
    "label",
    "measure",
    "measure_name",
    "n",
    "value",
    "shown",
    "value_prev",
    "shown_prev",
    "change",
    "shown_change",
    "change_low",
    "change_high",
    "marked",
    "suppression",
    "reason",
    "change_reason",
]


def measure_names(data: ProcessedYear) -> dict[str, str]:
    """Each measure's name as a reader knows it: "AMI totalt", an area, a question's text."""
    names = dict(MEASURE_LABELS)
    for area in data.questions["area"]:
        if area:
            names[f"area:{area}"] = area
    for qid, text in data.question_texts.items():
        names[question_measure(qid)] = text
    return names


def split_group(group: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``gender=Kvinna`` -> ("gender", "Kvinna"); ``all`` -> ("all", "")."""
    parts = {g: [*g.split("=", 1), ""][:2] for g in pd.unique(group)}
    return group.map(lambda g: parts[g][0]), group.map(lambda g: parts[g][1])


def shown_numbers(values: pd.Series) -> pd.Series:
    """The displayed integers (half up, :func:`round_half_up`); empty where hidden."""
    return pd.Series(round_half_up_array(values.to_numpy(np.float64)), index=values.index).astype(
        "Int64"
    )


def figures(data: ProcessedYear) -> pd.DataFrame:
    """Every figure of the year (units and leader reports, every group and measure), tidy.

    Columns (:data:`FIGURE_COLUMNS`): the figure's keys and its unit's name,
    type, kind (förvaltning, omrade, enhet, ledare), level, parent and
    område; the group split into ``variable`` and ``label``; ``n`` and
    ``value`` at full precision and ``shown``, the number a report prints;
    the previous survey year's ``value_prev``/``shown_prev`` where a change
    exists, the change at full precision (``change``) and as a report shows
    it (``shown_change``: displayed value minus displayed previous value),
    its 95 % interval and ``marked`` (*säkerställd*); ``suppression`` and
    ``reason``, the words a report shows instead of a hidden figure; and
    ``change_reason``, why there is no change where there is none (the
    report's words: hidden, "ingen jämförelse", "ny", "omformulerad",
    "inget värde <år>"). Rows are in the order of ``figures.csv``.
    """
    return _figures(data).copy()


@lru_cache(maxsize=2)
def _figures(data: ProcessedYear) -> pd.DataFrame:
    rows = data.figures[data.figures["year"] == data.year].sort_index()
    table = rows.merge(unit_table(data), on="unit_id", how="left", validate="many_to_one")
    table["variable"], table["label"] = split_group(table["group"])
    table["measure_name"] = table["measure"].map(measure_names(data)).fillna(table["measure"])
    table["shown"] = shown_numbers(table["value"])
    table["shown_prev"] = shown_numbers(table["value_prev"])
    # displayed value minus displayed previous value (core.rounding.displayed_change)
    has_change = table["change"].notna() & table["value_prev"].notna()
    table["shown_change"] = (table["shown"] - table["shown_prev"]).where(has_change)
    marked = np.zeros(len(table), dtype=bool)
    at = np.flatnonzero(has_change.to_numpy())
    marked[at] = [
        is_marked(int(c), low, high)
        for c, low, high in zip(
            table["shown_change"].to_numpy(object)[at],
            table["change_low"].to_numpy()[at],
            table["change_high"].to_numpy()[at],
            strict=True,
        )
    ]
    table["marked"] = marked
    words = {why: hidden_text(why) for why in pd.unique(table["suppression"])}
    table["reason"] = table["suppression"].map(words).where(table["value"].isna(), "")
    table["change_reason"] = _change_reasons(data, table)
    return table[FIGURE_COLUMNS].reset_index(drop=True)


def _change_reasons(data: ProcessedYear, table: pd.DataFrame) -> np.ndarray:
    """Why a row has no change, in the order a report checks it
    (:meth:`analysis.report.unit_figures.UnitFigures.compare`)."""
    previous = data.previous_year
    if previous is None:
        return np.full(len(table), "", dtype=object)
    keys = ["unit_id", "group", "measure"]
    before = data.figures.loc[data.figures["year"] == previous, [*keys, "value", "suppression"]]
    before = before.rename(columns={"value": "before", "suppression": "why_before"})
    merged = table[[*keys, "value", "suppression", "change"]].merge(
        before, on=keys, how="left", indicator=True, validate="many_to_one"
    )
    status = {
        question_measure(q): s
        for q, s in zip(
            data.asked_questions["question_id"], data.asked_questions["status"], strict=True
        )
    }
    measure = merged["measure"]
    not_comparable = measure.map(lambda m: status.get(m) or NO_COMPARISON)
    words = {w: hidden_text(w) for w in pd.unique(merged[["suppression", "why_before"]].stack())}
    conditions = [
        ~measure.isin(data.comparable_measures),
        merged["_merge"] != "both",
        merged["value"].isna(),
        merged["before"].isna(),
        merged["change"].isna(),
    ]
    choices = [
        not_comparable,
        no_previous_text(previous),
        merged["suppression"].map(words),
        merged["why_before"].map(words),
        NO_COMPARISON,
    ]
    return np.select(
        [c.to_numpy(bool) for c in conditions],
        [np.broadcast_to(np.asarray(c, dtype=object), len(merged)) for c in choices],
        default="",
    )


def driver_columns() -> list[str]:
    """drivers.parquet's columns (the contract's, in its order) with the unit's and the
    question's names beside them, ``shown_score`` after ``score``."""
    out = ["year", "unit_id", *UNIT_INFO, "question_id", "question_text", "area"]
    for column in DRIVERS_TABLE_COLUMNS:
        if column not in out:
            out.append(column)
        if column == "score":
            out.append("shown_score")
        if column == "importance_from":
            out.append("importance_from_name")
    return out


def drivers(data: ProcessedYear) -> pd.DataFrame:
    """The driver analysis behind every priority matrix, tidy (:func:`driver_columns`).

    The columns of ``drivers.parquet`` (docs/architecture.md, "Drivers
    table") with the unit's name, type, level, parent and område, the
    question's text and area, ``shown_score`` as the matrix labels it and the
    name of the unit whose analysis a borrowing unit shows.
    """
    table = data.drivers.merge(unit_table(data), on="unit_id", how="left", validate="many_to_one")
    questions = data.questions.set_index("question_id")
    table["question_text"] = table["question_id"].map(questions["text"]).fillna("")
    table["area"] = table["question_id"].map(questions["area"]).fillna("")
    table["shown_score"] = shown_numbers(table["score"])
    names = unit_table(data).set_index("unit_id")["unit_name"]
    table["importance_from_name"] = table["importance_from"].map(names).fillna("")
    return table[driver_columns()].reset_index(drop=True)


def is_total(table: pd.DataFrame) -> pd.Series:
    """Rows of group ``all`` (a unit's or leader's total, not a background group)."""
    return table["group"] == ALL
