"""The index sections: AMI and its dimensions, areas, targets, leadership.

Each ``*_section`` builds a context of plain values and renders its template
(``templates/<name>.html.j2``); it returns ``None`` when the section is empty.
The selection it rests on is in :mod:`analysis.report.selection`, the Swedish
in :mod:`analysis.report.phrases`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.core.catalogue import AMI, AMI_DIMENSIONS, LEADERSHIP
from analysis.core.orgtree import heads_write_action_plans
from analysis.report import plots
from analysis.report.comparisons import (
    ami_measures,
    area_overview,
    index_table,
    question_results,
    target_table,
)
from analysis.report.context import Report
from analysis.report.figures import has_value
from analysis.report.markup import (
    area_cell,
    change_cell,
    chart,
    show,
    sorted_like_bars,
    table,
    value_cell,
)
from analysis.report.phrases import NO_COMPARISON, amount, join_words, movement
from analysis.report.processed import LEDARE
from analysis.report.section_parts import (
    comparison_note,
    high_low_sentence,
    index_rows,
    level_bands,
    question_table,
)
from analysis.report.selection import (
    count_at_least,
    highest_first,
    largest_question_change,
    ranked,
    whole_or_none,
)


def ami_section(report: Report) -> Any:
    """AMI total and its dimensions with the change since last year, and its questions."""
    if report.too_small:
        return None
    measures = ami_measures(report.data)
    if not measures:
        return None
    data, levels, prev = report.data, report.params.levels, report.data.previous_year
    frame = index_table(report.figures, measures, levels)
    asked = data.asked_questions
    ami_questions = asked[asked["ami_dimension"].isin(AMI_DIMENSIONS)]
    results = question_results(data, report.figures, levels, list(ami_questions["question_id"]))
    dimension_of = dict(
        zip(ami_questions["question_id"], ami_questions["ami_dimension"], strict=True)
    )
    questions = None
    if not results.empty:
        rows = []
        for dimension in AMI_DIMENSIONS:
            part = results[results["question_id"].map(dimension_of) == dimension]
            for number, (_, r) in enumerate(part.iterrows()):
                rows.append(
                    [
                        dimension if number == 0 else "",
                        r["text"],
                        value_cell(r["text_value"], r["level"]),
                        change_cell(r["change_text"] or r["status"], r["marked"]),
                    ]
                )
        questions = table(
            ["Delindex", "Fråga", "Index", "Förändring"], rows, [False, False, True, True]
        )
    own = report.figures.get(AMI)
    action_plan = (
        report.kind != LEDARE
        and heads_write_action_plans(
            data.tree.depth[report.unit_id],
            data.unit_type(report.unit_id),
            report.params.report.school_types,
        )
        and own.published
        and own.rounded < levels.good_from
    )
    return show(
        report,
        "ami.html.j2",
        summary=_ami_summary(frame, results, prev),
        n_questions=len(ami_questions),
        chart=chart(
            frame["value"],
            lambda: plots.index_columns(frame, levels),
            "AMI totalt och delindex",
            frame["text"],
            frame["label"],
        ),
        indexes=index_rows(frame),
        questions=questions,
        comparison_note=comparison_note(report, [*frame["change_text"], *results["change_text"]]),
        action_plan=action_plan,
        good_from=levels.good_from,
        deadline=report.params.report.action_plan_deadline,
        year=data.year,
    )


def _ami_summary(frame: pd.DataFrame, results: pd.DataFrame, prev: int | None) -> list[str]:
    """The seed's AMI bullets, from the displayed values and changes."""
    lines: list[str] = []
    rows = {m: r for m, r in zip(frame["measure"], frame.to_dict("records"), strict=True)}
    total = rows.get(AMI)
    if total is None or not has_value(total["value"]):
        return lines

    def moved(row: dict[str, Any]) -> str:
        return movement(row["label"], row["text"], whole_or_none(row["change"]), prev)

    lines.append(
        movement(
            "AMI totalt",
            total["text"],
            whole_or_none(total["change"]),
            prev,
            sure=bool(total["marked"]),
        )
    )
    dims = [r for m, r in rows.items() if m != AMI and has_value(r["value"])]
    changed = [r for r in dims if has_value(r["change"])]
    if prev is None or not changed:
        if dims:
            parts = [f"{r['label']} {r['text']}" for r in dims]
            lines.append("Delindexen ligger på " + join_words(parts) + ".")
        return lines
    # only säkerställda changes are spoken of as changes
    sure = [r for r in changed if r["marked"]]
    within = [r for r in changed if not r["marked"] and r["change"] != 0]
    same = [r for r in changed if r["change"] == 0]
    total_change = total["change"] if total["marked"] else 0
    down = [r for r in sure if r["change"] < 0]
    up = [r for r in sure if r["change"] > 0]
    if total_change < 0 and down:
        lines.append(f"Nedgången har skett inom {join_words([r['label'] for r in down])}.")
        lines += [moved(r) for r in up]
    elif total_change > 0 and up:
        lines.append(f"Uppgången har skett inom {join_words([r['label'] for r in up])}.")
        lines += [moved(r) for r in down]
    else:
        lines += [moved(r) for r in sure]
    if within:
        what = "Förändringarna" if len(within) > 1 else "Förändringen"
        lines.append(
            f"{what} i {join_words([r['label'] for r in within])} ligger inom felmarginalen."
        )
    if same:
        values = join_words([r["text"] for r in same], "respektive")
        lines.append(f"{join_words([r['label'] for r in same])} ligger kvar på {values}.")
    biggest = largest_question_change(results[results["marked"].astype(bool)])
    if biggest is not None and abs(int(biggest["change"])) >= 2:
        change = int(biggest["change"])
        verb = "ökat" if change > 0 else "minskat"
        lines.append(f"”{biggest['text']}” har {verb} med {amount(abs(change))}.")
    return lines


def areas_section(report: Report) -> Any:
    """The question areas (index 0–100) with the policy's text, and how to read the levels."""
    if report.too_small:
        return None
    levels = report.params.levels
    frame = area_overview(report.data, report.figures, levels)
    if frame.empty:
        return None
    order = ranked(list(frame["area"]), list(frame["value"]))
    summary = [high_low_sentence("index", list(frame["area"]), list(frame["value"]))]
    if order:
        summary.append(
            f"{count_at_least(order, levels.good_from)} av {len(order)} frågeområden ligger på "
            f"nivån förvalta och förädla ({levels.good_from}–100)."
        )
    has_new = bool(frame["has_new"].any())
    note = ""
    if report.data.previous_year is not None:
        # "ingen jämförelse" is what the has_new sentence explains, in the seed's words
        explained = {NO_COMPARISON} if has_new else set()
        note = comparison_note(report, [t for t in frame["change_text"] if t not in explained])
    return show(
        report,
        "areas.html.j2",
        summary=[line for line in summary if line],
        bands=level_bands(levels),
        chart=chart(
            frame["value"],
            lambda: plots.horizontal_bars(
                list(frame["area"]),
                list(frame["value"]),
                levels=levels,
                xlabel="Index",
                missing=list(frame["text"]),
            ),
            "Frågeområden",
            *sorted_like_bars(list(frame["value"]), frame["text"], frame["area"]),
        ),
        table=table(
            ["Frågeområde", "Index", "Förändring"],
            [
                [area_cell(area, description), value_cell(text, lvl), change_cell(change, marked)]
                for area, description, text, lvl, change, marked in zip(
                    frame["area"],
                    frame["description"],
                    frame["text"],
                    frame["level"],
                    frame["change_text"],
                    frame["marked"],
                    strict=True,
                )
            ],
            [False, True, True],
        ),
        has_new=has_new,
        comparison_note=note,
    )


def targets_section(report: Report) -> Any:
    """AMI against the nämnd's and the city's targets."""
    if report.too_small or AMI not in ami_measures(report.data):
        return None
    targets = {
        "Nämndens mål": report.params.targets.ami_namnd,
        "Stadens mål": report.params.targets.ami_stad,
    }
    shown = report.figures.get(AMI)
    frame = target_table(shown, targets)
    lines = []
    if shown.published:
        each = list(zip(frame["label"], frame["target"], frame["reached"], strict=True))
        reached = [f"{label.lower()} ({target})" for label, target, ok in each if ok]
        missed = [
            f"{amount(target - shown.rounded)} under {label.lower()} ({target})"
            for label, target, ok in each
            if not ok
        ]
        clauses = ([f"når {join_words(reached)}"] if reached else []) + (
            [f"ligger {join_words(missed)}"] if missed else []
        )
        lines.append(f"AMI {shown.text} " + " men ".join(clauses) + ".")
    return show(
        report,
        "targets.html.j2",
        summary=lines,
        chart=chart(
            [shown.value],
            lambda: plots.target_chart(shown.value, targets, report.params.levels, shown.text),
            "AMI mot målen",
            [shown.text, *(str(t) for t in targets.values())],
            ["AMI", *targets],
        ),
        table=table(
            ["Mål", "Målvärde", "AMI", "Skillnad"],
            [
                [label, str(target), value_cell(text), value_cell(gap)]
                for label, target, text, gap in zip(
                    frame["label"], frame["target"], frame["text"], frame["gap_text"], strict=True
                )
            ],
            [False, True, True, True],
        ),
    )


def leadership_section(report: Report) -> Any:
    """Ledarrapport: the leadership index and its questions for the manager's group."""
    if report.too_small:
        return None
    levels = report.params.levels
    asked = report.data.asked_questions
    leadership_ids = list(asked.loc[asked["leadership"], "question_id"])
    if not report.figures.has(LEADERSHIP) and not leadership_ids:
        return None
    frame = index_table(report.figures, [LEADERSHIP], levels)
    # the table's bars are the chart: highest first, hidden last
    results = highest_first(question_results(report.data, report.figures, levels, leadership_ids))
    change_texts = [*frame["change_text"], *results["change_text"]]
    prev = report.data.previous_year
    changed = prev is not None and LEADERSHIP not in report.data.comparable_measures
    if changed:  # the note says why the index has no change; the legend need not repeat it
        change_texts = [t for t in change_texts if t != NO_COMPARISON]
    return show(
        report,
        "leadership.html.j2",
        n_questions=len(leadership_ids),
        indexes=index_rows(frame),
        changed=changed,
        previous_year=prev,
        comparison_note=comparison_note(report, change_texts),
        bands=level_bands(levels),
        questions=question_table(results, with_bar=True),
    )
