"""Comparison with the city: the organisation's figures beside the benchmarks it was given.

The optional input table ``benchmarks`` (year, measure, value, source) carries figures
we do not compute - e.g. Stockholms stad's response rate, 88 % in 2023 (seed 000) or
its AMI (seed 003). They are shown beside the förvaltning's and the områden's own
figures, both half up, the difference that of the displayed values (as every change).
A benchmark is another organisation's published number, so it needs no protection;
our side shows only what this report already publishes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.core.catalogue import RESPONSE_RATE
from analysis.core.rounding import format_change, round_half_up
from analysis.report.context import Report
from analysis.report.markup import change_cell, show, table, value_cell
from analysis.report.phrases import NO_ROW
from analysis.report.processed import FORVALTNING, MEASURE_LABELS, OMRADE, ProcessedYear


def measure_label(data: ProcessedYear, measure: str) -> str:
    """A measure as a reader knows it: "AMI totalt", "Lön", a question's text."""
    if measure in MEASURE_LABELS:
        return MEASURE_LABELS[measure]
    kind, _, name = measure.partition(":")
    if kind == "q":
        return data.question_texts.get(name, name)
    return name or measure


def _with_unit(measure: str, text: str) -> str:
    return f"{text} %" if measure == RESPONSE_RATE and text[:1].isdigit() else text


def year_benchmarks(data: ProcessedYear) -> pd.DataFrame:
    """This year's benchmark rows, in the table's order."""
    rows = data.benchmarks
    return rows[rows["year"] == data.year].reset_index(drop=True)


def response_rate_benchmark(data: ProcessedYear) -> str:
    """ "Stockholms stad: 88 %" for the response-rate line; "" without such a benchmark."""
    rows = year_benchmarks(data)
    rows = rows[rows["measure"] == RESPONSE_RATE]
    return " · ".join(
        f"{source}: {round_half_up(value)} %"
        for source, value in zip(rows["source"], rows["value"], strict=True)
    )


def benchmarks_section(report: Report) -> Any:
    """The förvaltning's or område's figures against each benchmark source, measure by measure."""
    if report.kind not in (FORVALTNING, OMRADE) or report.too_small:
        return None
    data = report.data
    rows = year_benchmarks(data)
    if rows.empty:
        return None
    sources = list(dict.fromkeys(rows["source"]))
    value_of = {
        (m, s): float(v)
        for m, s, v in zip(rows["measure"], rows["source"], rows["value"], strict=True)
    }
    body, summary = [], []
    for measure in dict.fromkeys(rows["measure"]):
        ours = report.figures.get(measure)
        our_text = _with_unit(measure, ours.text) if report.figures.has(measure) else NO_ROW
        line = [measure_label(data, measure), value_cell(our_text)]
        for source in sources:
            theirs = value_of.get((measure, source))
            if theirs is None:
                line += ["", ""]
                continue
            shown = round_half_up(theirs)
            line.append(value_cell(_with_unit(measure, str(shown))))
            difference = format_change(round_half_up(ours.value) - shown) if ours.published else ""
            line.append(change_cell(difference))
        body.append(line)
        if ours.published and len(sources) == 1:
            shown = round_half_up(value_of[(measure, sources[0])])
            summary.append(
                f"{measure_label(data, measure)}: {_with_unit(measure, ours.text)} mot "
                f"{sources[0]} {_with_unit(measure, str(shown))}."
            )
    headers = ["Mått", report.name]
    for source in sources:
        headers += [source, f"Skillnad mot {source}"]
    return show(
        report,
        "benchmarks.html.j2",
        sources=sources,
        year=data.year,
        summary=summary,
        table=table(headers, body, [False, *([True] * (len(headers) - 1))]),
    )
