"""The tables the sections show: this year against last, per measure, group, area, question."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.core.catalogue import (
    AMI,
    AMI_DIMENSIONS,
    RESPONSE_RATE,
    area_measure,
    dimension_measure,
    question_measure,
)
from analysis.core.params import LevelParams
from analysis.core.rounding import format_change, round_half_up
from analysis.report.area_texts import area_text
from analysis.report.differences import against_rest, no_difference_text
from analysis.report.figures import ALL, Shown
from analysis.report.phrases import NO_COMPARISON, NO_ROW
from analysis.report.processed import MEASURE_LABELS, ProcessedYear
from analysis.report.unit_figures import UnitFigures


def response_rate_history(data: ProcessedYear, unit_id: str) -> pd.DataFrame:
    """Response rate of every survey year with rows for the unit: year, n, value, text."""
    figures = UnitFigures(data, unit_id)
    years = sorted(int(y) for y in data.meta.get("years", []) if int(y) <= data.year)
    rows = []
    for year in years:
        if figures.has(RESPONSE_RATE, year=year):
            shown = figures.get(RESPONSE_RATE, year=year)
            rows.append(
                {
                    "year": year,
                    "n": shown.n,
                    "value": shown.value,
                    "text": shown.text,
                    "n_text": shown.n_text,
                }
            )
    return pd.DataFrame(rows, columns=["year", "n", "value", "text", "n_text"])


INDEX_TABLE_COLUMNS = [
    "measure",
    "label",
    "value",
    "text",
    "value_prev",
    "prev_text",
    "change",
    "change_text",
    "marked",
    "level",
]


def child_history(data: ProcessedYear, unit_id: str, measure: str) -> pd.DataFrame:
    """One measure for each child unit in every survey year up to Y (long form).

    Columns unit_id, unit_name, year, value, text: why where the row is
    suppressed (:func:`hidden_text`), "ingen uppgift" where the child has no row that year
    (e.g. it did not exist). Years are those in which any child has a row.
    """
    history = data.history_of(measure)
    children = data.children.get(unit_id, [])
    is_child = set(children)
    years = sorted({y for (u, y) in history if y <= data.year and u in is_child} | {data.year})
    rows = []
    for child in children:
        for year in years:
            present = (child, year) in history
            shown = history.get((child, year), Shown())
            rows.append(
                {
                    "unit_id": child,
                    "unit_name": data.unit_name(child),
                    "year": year,
                    "value": shown.value,
                    "text": shown.text if present else NO_ROW,
                }
            )
    return pd.DataFrame(rows, columns=["unit_id", "unit_name", "year", "value", "text"])


def index_table(
    figures: UnitFigures, measures: Sequence[str], levels: LevelParams, group: str = ALL
) -> pd.DataFrame:
    """The measures that exist, each against last year (``change_text`` says why when none)."""
    rows = []
    for measure in measures:
        if not figures.has(measure, group):
            continue
        compared = figures.compare(measure, group)
        rows.append(
            {
                "measure": measure,
                "label": MEASURE_LABELS.get(measure, measure),
                "value": compared.now.value,
                "text": compared.now.text,
                "value_prev": compared.prev_value,
                "prev_text": compared.prev_text,
                "change": compared.change,
                "change_text": compared.change_text,
                "marked": compared.marked,
                "level": compared.now.level(levels),
            }
        )
    return pd.DataFrame(rows, columns=INDEX_TABLE_COLUMNS)


def ami_measures(data: ProcessedYear) -> list[str]:
    """AMI and its dimensions that exist this year (another organisation may lack some)."""
    present = set(data.current_all.columns)
    return [m for m in (AMI, *(dimension_measure(d) for d in AMI_DIMENSIONS)) if m in present]


def group_breakdown(
    figures: UnitFigures, variable: str, measures: Sequence[str], k: int = 5
) -> pd.DataFrame:
    """One row per label of ``variable`` × measure, this year against last and the rest.

    Columns: group, label, measure, value, text, value_prev, prev_text,
    change, change_text, marked (*säkerställd*), and the group against the
    rest of the unit (:mod:`analysis.report.differences`; ``k`` is
    ``privacy.min_group_size``): difference_text (why, where there is none) and
    difference_marked. A previous-year row that is suppressed says why
    (``prev_text``), never a blank; ``prev_text`` is "" only where no
    comparable row exists, and ``change_text`` then says why.
    """
    spread = figures.data.respondent_spread
    rows = []
    for label in figures.groups(variable):
        group = f"{variable}={label}"
        for measure in measures:
            compared = figures.compare(measure, group)
            unit = figures.get(measure)
            difference = against_rest(unit, compared.now, spread.get(measure), k)
            rows.append(
                {
                    "group": group,
                    "label": label,
                    "measure": measure,
                    "value": compared.now.value,
                    "text": compared.now.text,
                    "value_prev": compared.prev_value,
                    "prev_text": compared.prev_text,
                    "change": compared.change,
                    "change_text": compared.change_text,
                    "marked": compared.marked,
                    "difference_text": (
                        difference.text if difference else no_difference_text(unit, compared.now, k)
                    ),
                    "difference_marked": bool(difference and difference.marked),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "group",
            "label",
            "measure",
            "value",
            "text",
            "value_prev",
            "prev_text",
            "change",
            "change_text",
            "marked",
            "difference_text",
            "difference_marked",
        ],
    )


def area_overview(data: ProcessedYear, figures: UnitFigures, levels: LevelParams) -> pd.DataFrame:
    """Each area asked this year: area, value, text, change_text, marked, level, has_new,
    description."""
    asked = data.asked_questions
    rows = []
    for area in dict.fromkeys(a for a in asked["area"] if a):
        measure = area_measure(area)
        if not figures.has(measure):
            continue
        compared = figures.compare(measure)
        shown = compared.now
        in_area = asked[asked["area"] == area]
        rows.append(
            {
                "area": area,
                "value": shown.value,
                "text": shown.text,
                "change_text": compared.change_text,
                "marked": compared.marked,
                "level": shown.level(levels),
                "has_new": bool((in_area["status"] != "").any()),
                "description": area_text(area),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "area",
            "value",
            "text",
            "change_text",
            "marked",
            "level",
            "has_new",
            "description",
        ],
    )


def question_results(
    data: ProcessedYear,
    figures: UnitFigures,
    levels: LevelParams,
    question_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per question asked this year (catalogue order): the figure, its change and status."""
    asked = data.asked_questions
    if question_ids is not None:
        wanted = set(question_ids)
        asked = asked[asked["question_id"].isin(wanted)]
    rows = []
    for qid, text, area, status in zip(
        asked["question_id"], asked["text"], asked["area"], asked["status"], strict=True
    ):
        compared = figures.compare(question_measure(qid), not_comparable=status or NO_COMPARISON)
        shown = compared.now
        rows.append(
            {
                "question_id": qid,
                "text": text,
                "area": area,
                "status": status,
                "value": shown.value,
                "text_value": shown.text,
                "change": compared.change,
                "change_text": compared.change_text,
                "marked": compared.marked,
                "exact_change": compared.exact_change,
                "level": shown.level(levels),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "question_id",
            "text",
            "area",
            "status",
            "value",
            "text_value",
            "change",
            "change_text",
            "marked",
            "exact_change",
            "level",
        ],
    )


def target_table(shown: Shown, targets: dict[str, float]) -> pd.DataFrame:
    """AMI against each target: label, target, text, gap_text (displayed AMI minus target)."""
    rows = []
    for label, target in targets.items():
        gap = None if shown.rounded is None else shown.rounded - round_half_up(target)
        rows.append(
            {
                "label": label,
                "target": round_half_up(target),
                "text": shown.text,
                "gap_text": shown.text if gap is None else format_change(gap),
                "reached": None if gap is None else gap >= 0,
            }
        )
    return pd.DataFrame(rows, columns=["label", "target", "text", "gap_text", "reached"])
