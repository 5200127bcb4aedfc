"""The group sections: AMI by gender and by chef/medarbetare, and by age group.

Each group is shown this year, against the rest of its unit
(:mod:`analysis.report.differences`: a difference marked when it is
säkerställd), last year and the change. Each ``*_section`` renders its
template and returns ``None`` when the section is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.core.catalogue import AMI
from analysis.report import plot_groups
from analysis.report.comparisons import ami_measures, group_breakdown
from analysis.report.context import Report
from analysis.report.markup import Table, change_cell, chart, show, table, value_cell
from analysis.report.phrases import MOT_OVRIGA
from analysis.report.processed import MEASURE_LABELS
from analysis.report.section_parts import comparison_note, difference_note, high_low_sentence
from analysis.report.selection import higher_on, ranked


def ami_groups_section(report: Report) -> Any:
    """AMI by gender and by chef/medarbetare, this year against last."""
    if report.too_small:
        return None
    measures = ami_measures(report.data)
    year, prev = report.data.year, report.data.previous_year
    k = report.params.privacy.min_group_size
    groups = []
    for variable, title in (("gender", "kön"), ("role", "chef/medarbetare")):
        frame = group_breakdown(report.figures, variable, measures, k)
        if frame.empty:
            continue
        groups.append(
            {
                "title": title,
                "summary": [line for line in [_groups_summary(frame)] if line],
                "chart": chart(
                    [*frame["value"], *frame["value_prev"]],
                    lambda frame=frame: plot_groups.grouped_index_bars(
                        frame, MEASURE_LABELS, year, prev
                    ),
                    f"AMI per {title}",
                    *_grouped_points(frame, year, prev),
                ),
                "table": _breakdown_table(frame, measures, year, prev),
                "note": _groups_note(report, frame),
            }
        )
    if not groups:
        return None
    return show(report, "ami_groups.html.j2", groups=groups)


def _grouped_points(
    frame: pd.DataFrame, year: int, prev: int | None
) -> tuple[list[str], list[str]]:
    """The bars of a group chart as (texts, labels), "Kvinna, AMI totalt 2023" - group by
    group, each index last year then this year, as they stand; a missing bar's words
    (last year's: why there is no comparison) as the chart writes them."""
    texts, labels = [], []
    for label in dict.fromkeys(frame["label"]):
        for _, row in frame[frame["label"] == label].iterrows():
            name = f"{label}, {MEASURE_LABELS[row['measure']]}"
            if prev is not None:
                texts.append(row["prev_text"] or row["change_text"])
                labels.append(f"{name} {prev}")
            texts.append(row["text"])
            labels.append(f"{name} {year}")
    return texts, labels


def _groups_summary(frame: pd.DataFrame) -> str:
    """Two groups: who is higher on AMI, and on how many dimensions; more: highest and lowest."""
    total = frame[frame["measure"] == AMI]
    order = ranked(list(total["label"]), list(total["value"]))
    if len(order) < 2:
        return ""
    if len(order) > 2:
        return high_low_sentence("AMI totalt", list(total["label"]), list(total["value"]))
    (first, a), (second, b) = order
    if a == b:
        return f"{first} och {second} ligger lika på AMI totalt ({a})."
    sentence = f"{first} ligger högre än {second} på AMI totalt ({a} mot {b})."
    dims = [m for m in dict.fromkeys(frame["measure"]) if m != AMI]
    compared, higher = higher_on(frame, first, second, dims)
    if compared:
        share = f"alla {compared}" if higher == compared else f"{higher} av {compared}"
        sentence = sentence[:-1] + f", och på {share} delindex."
    return sentence


def _breakdown_table(
    frame: pd.DataFrame, measures: Sequence[str], year: int, prev: int | None
) -> Table:
    """Group × index: this year, against the rest of the unit, last year and the change
    (long form: one index per row)."""
    headers = ["Grupp", "Index", str(year), MOT_OVRIGA]
    numeric = [False, False, True, True]
    if prev is not None:
        headers += [str(prev), "Förändring"]
        numeric += [True, True]
    rows = []
    for label in dict.fromkeys(frame["label"]):
        part = frame[frame["label"] == label].set_index("measure")
        for number, measure in enumerate(m for m in measures if m in part.index):
            row = part.loc[measure]
            line = [
                label if number == 0 else "",
                MEASURE_LABELS[measure],
                value_cell(row["text"]),
                change_cell(row["difference_text"], row["difference_marked"]),
            ]
            if prev is not None:
                line += [
                    value_cell(row["prev_text"]),
                    change_cell(row["change_text"], row["marked"]),
                ]
            rows.append(line)
    return table(headers, rows, numeric)


def ami_age_section(report: Report) -> Any:
    """AMI by age group, this year against last."""
    if report.too_small or AMI not in ami_measures(report.data):
        return None
    frame = group_breakdown(
        report.figures, "age_group", [AMI], report.params.privacy.min_group_size
    )
    if frame.empty:
        return None
    year, prev = report.data.year, report.data.previous_year
    rows = [
        [
            label,
            value_cell(text),
            change_cell(difference, difference_marked),
            value_cell(prev_text),
            change_cell(change, marked),
        ]
        for label, text, difference, difference_marked, prev_text, change, marked in zip(
            frame["label"],
            frame["text"],
            frame["difference_text"],
            frame["difference_marked"],
            frame["prev_text"],
            frame["change_text"],
            frame["marked"],
            strict=True,
        )
    ]
    headers = ["Åldersgrupp", f"AMI {year}", MOT_OVRIGA]
    numeric = [False, True, True]
    if prev is not None:
        headers += [f"AMI {prev}", "Förändring"]
        numeric += [True, True]
    else:
        rows = [r[:3] for r in rows]
    summary = high_low_sentence(
        "AMI", list(frame["label"]), list(frame["value"]), ("åldersgruppen ", "åldersgrupperna ")
    )
    return show(
        report,
        "ami_age.html.j2",
        summary=[summary] if summary else [],
        chart=chart(
            [*frame["value"], *frame["value_prev"]],
            lambda: plot_groups.age_bars(frame, year, prev),
            "AMI per åldersgrupp",
            *_grouped_points(frame, year, prev),
        ),
        table=table(headers, rows, numeric),
        comparison_note=_groups_note(report, frame),
    )


def _groups_note(report: Report, frame: pd.DataFrame) -> str:
    """How to read a group table: the difference against the rest, then the change."""
    parts = [difference_note(report.params.privacy.min_group_size, frame["difference_text"])]
    if report.data.previous_year is not None:
        parts.append(comparison_note(report, frame["change_text"]))
    return " ".join(parts)
