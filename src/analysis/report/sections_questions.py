"""The question and school sections: highest and lowest, largest changes, every question,
the top schools and the schools under the good level.

Each ``*_section`` builds a context of plain values and renders its template
(``templates/<name>.html.j2``); it returns ``None`` when the section is empty.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.core.catalogue import area_measure
from analysis.core.rounding import format_change
from analysis.report import plots
from analysis.report.area_texts import area_text
from analysis.report.comparisons import question_results
from analysis.report.context import Report
from analysis.report.figures import Shown
from analysis.report.markup import figure, show, sorted_like_bars, table
from analysis.report.orgtree import school_units
from analysis.report.phrases import PROTECTED, count
from analysis.report.processed import ENHET, LEDARE
from analysis.report.section_parts import comparison_note, level_bands, question_table
from analysis.report.selection import (
    highest_lowest,
    largest_changes,
    top_units,
    units_under_threshold,
)


def extremes_section(report: Report) -> Any:
    """The three highest and three lowest questions."""
    if report.too_small:
        return None
    levels = report.params.levels
    results = question_results(report.data, report.figures, levels)
    high, low = highest_lowest(results, 3)
    if high.empty:
        return None
    texts, labels = sorted_like_bars(
        [*high["value"], *low["value"]],
        [*high["text_value"], *low["text_value"]],
        [*high["text"], *low["text"]],
    )
    return show(
        report,
        "extremes.html.j2",
        chart=figure(
            plots.extremes_bars(high, low, levels),
            "Högst och lägst resultat",
            zip(labels, texts, strict=True),
        ),
        lists=[("Högst", question_table(high)), ("Lägst", question_table(low))],
    )


def changes_section(report: Report) -> Any:
    """The largest positive and negative changes, new and reworded questions left out."""
    if report.too_small:
        return None
    data = report.data
    if data.previous_year is None:
        return show(
            report, "changes.html.j2", previous_year=None, comparison_note=comparison_note(report)
        )
    results = question_results(data, report.figures, report.params.levels)
    changes = largest_changes(results, 3)
    chart = None
    if not changes.positive.empty or not changes.negative.empty:
        both = pd.concat([changes.positive, changes.negative])
        chart = figure(
            plots.change_bars(changes.positive, changes.negative),
            "Största utvecklingen",
            zip(both["text"], (format_change(int(c)) for c in both["change"]), strict=True),
        )
    lists = [
        (title, question_table(rows) if not rows.empty else None, none_text)
        for title, rows, none_text in (
            ("Störst ökning", changes.positive, "Ingen fråga har ökat."),
            ("Störst minskning", changes.negative, "Ingen fråga har minskat."),
        )
    ]
    excluded = list(zip(changes.excluded["text"], changes.excluded["status"], strict=True))
    return show(
        report,
        "changes.html.j2",
        previous_year=data.previous_year,
        chart=chart,
        lists=lists,
        excluded=excluded,
    )


def questions_section(report: Report) -> Any:
    """Results per question within each area, with the policy text of the area."""
    if report.too_small:
        return None
    data, levels = report.data, report.params.levels
    results = question_results(data, report.figures, levels)
    if results.empty:
        return None
    areas = []
    for area in dict.fromkeys(results["area"]):
        rows = results[results["area"] == area]
        area_shown = report.figures.get(area_measure(area)) if area else Shown()
        title = area or "Övriga frågor"
        has_index = bool(area) and report.figures.has(area_measure(area))
        areas.append(
            {
                "title": title.upper() + (f" – index {area_shown.text}" if has_index else ""),
                "description": (area_text(area) if area else None) or "",
                "has_new": bool((rows["status"] != "").any()),
                "table": question_table(rows, with_bar=True),
            }
        )
    return show(
        report,
        "questions.html.j2",
        bands=level_bands(levels),
        areas=areas,
        previous_year=data.previous_year,
    )


def top_units_section(report: Report) -> Any:
    """The schools with the highest AMI (ties share a place)."""
    if report.too_small or report.kind == LEDARE:
        return None
    settings = report.params.report
    frame = top_units(report.data, report.unit_id, settings.school_types, settings.top_units)
    if frame.empty:
        return None
    rows = [
        [str(place), name, unit_type, str(shown)]
        for place, name, unit_type, shown in zip(
            frame["place"], frame["unit_name"], frame["unit_type"], frame["shown"], strict=True
        )
    ]
    return show(
        report,
        "top_units.html.j2",
        n_shown=len(frame),
        table=table(["Placering", "Skola", "Skolform", "AMI"], rows, [True, False, False, True]),
    )


def under_threshold_section(report: Report) -> Any:
    """Schools with displayed AMI under the good level, counted per school form (the list,
    by who approves each action plan, is :func:`sections_followup.action_plans_section`)."""
    if report.too_small or report.kind == LEDARE:
        return None
    settings, levels = report.params.report, report.params.levels
    if not school_units(report.data, report.unit_id, settings.school_types):
        return None
    result = units_under_threshold(
        report.data, report.unit_id, settings.school_types, levels.good_from
    )
    counts = table(
        ["Skolform", f"Antal under {levels.good_from}"],
        [
            [unit_type, str(k)]
            for unit_type, k in zip(result.counts["unit_type"], result.counts["count"], strict=True)
        ],
        [False, True],
    )
    notes = []
    if result.suppressed:
        notes.append(f"{count(result.suppressed, 'skola')} har för få svar för att AMI ska visas.")
    if result.protected:
        notes.append(
            f"För {count(result.protected, 'skola')} visas inte AMI: siffran är {PROTECTED}."
        )
    return show(
        report,
        "under_threshold.html.j2",
        good_from=levels.good_from,
        with_list=report.kind != ENHET,  # sections_followup.action_plans_section's
        counts=counts,
        notes=notes,
    )
