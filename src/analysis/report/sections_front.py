"""The report's frame: title and response rate, the survey, response rates, links, footer.

Each ``*_section`` builds a context of plain values and renders its template
(``templates/<name>.html.j2``); it returns ``None`` when the section is empty.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from analysis.core.catalogue import AMI_DIMENSIONS, RESPONSE_RATE
from analysis.report import plots
from analysis.report.comparisons import child_history, response_rate_history
from analysis.report.context import Report
from analysis.report.markup import (
    chart,
    percent_texts,
    show,
    sorted_like_bars,
    table,
    value_cell,
)
from analysis.report.orgtree import manager_invited, manager_units
from analysis.report.paths import relative_href, report_path
from analysis.report.phrases import (
    NEW,
    NO_ROW,
    PROTECTED,
    REWORDED,
    SUPPRESSED,
    SURE_CHANGE,
    count,
    hidden_predicate,
    join_words,
    movement,
    protection_note,
    share_of_children,
    sure_change_note,
)
from analysis.report.processed import ENHET, FORVALTNING, LEDARE, OMRADE
from analysis.report.sections_benchmarks import response_rate_benchmark
from analysis.report.selection import highest_first, improving_units

KIND_TITLES = {
    FORVALTNING: "Förvaltningsrapport",
    OMRADE: "Områdesrapport",
    ENHET: "Enhetsrapport",
    LEDARE: "Ledarrapport",
}

#: more child units than this and the response rates are a table, not a chart
MAX_CHART_BARS = 30
#: up to this many child units, their response rates are drawn year by year
MAX_YEAR_GROUPS = 8


def header_section(report: Report) -> Any:
    """Title, response rate, quarantine note, navigation; the only section of a tiny unit."""
    data = report.data
    is_leader = report.kind == LEDARE
    rate = report.figures.get(RESPONSE_RATE)
    no_own_staff = is_leader and not manager_invited(data, report.unit_id)
    rate_text = ""
    if report.figures.has(RESPONSE_RATE) and not no_own_staff:  # nobody invited: no rate
        answers = "" if rate.n is None else f" · Antal svar: {rate.n}"
        rate_text = (rate.text if not rate.published else f"{rate.text} %") + answers
        city = response_rate_benchmark(data) if report.kind in (FORVALTNING, OMRADE) else ""
        rate_text += f" · {city}" if city else ""  # "Stockholms stad: 88 %" (benchmarks)
    hidden_why = ""
    if report.too_small:  # the header explains a report without results only
        hidden = report.figures.hidden_texts()
        hidden_why = hidden_predicate(hidden, 2) if PROTECTED in hidden else ""
    return show(
        report,
        "header.html.j2",
        back_href=relative_href(report.kind, "index.html")
        if report.links and report.kind != FORVALTNING
        else "",
        root_name=data.unit_name(data.root_id),
        year=data.year,
        name=report.name,
        kind_title=KIND_TITLES[report.kind],
        unit_type="" if is_leader else data.unit_type(report.unit_id),
        led_units=[data.unit_name(u) for u in manager_units(data, report.unit_id)]
        if is_leader
        else [],
        rate_text=rate_text,
        quarantine=data.quarantine_mode or bool(data.rows_rejected),
        rows_rejected=count(data.rows_rejected, "rad"),
        too_small=report.too_small,
        no_own_staff=no_own_staff,
        hidden_why=hidden_why,
        min_group_size=report.params.privacy.min_group_size,
    )


def about_section(report: Report) -> Any:
    """Om enkäten: questions, indexes, anonymity rule and answers, counted from the tables."""
    if report.too_small or report.kind == LEDARE:
        return None
    data, prev = report.data, report.data.previous_year
    asked = data.asked_questions
    new = int((asked["status"] == NEW).sum())
    reworded = int((asked["status"] == REWORDED).sum())
    n_ami = int(asked["ami_dimension"].isin(AMI_DIMENSIONS).sum())
    n_leadership = int(asked["leadership"].sum())
    questions = f"{count(len(asked), 'fråga')} i enkäten {data.year}"
    if prev is not None and (new or reworded):
        changes = [count(k, word) for k, word in ((new, NEW), (reworded, REWORDED)) if k]
        questions += f", varav {join_words(changes)} sedan {prev}"
    items = [questions + "."]
    if n_ami:
        items.append(f"{count(n_ami, 'fråga')} utgör AMI.")
    if n_leadership:
        items.append(f"{count(n_leadership, 'fråga')} utgör ledarskapsindexet.")
    items.append(
        f"Minst {report.params.privacy.min_group_size} svarande för att få gruppresultat; "
        f"färre visas som ”{SUPPRESSED}”."
    )
    if report.figures.has(RESPONSE_RATE):
        rate = report.figures.get(RESPONSE_RATE)
        items.append(f"Antal svarande i {report.name}: {rate.n_text}.")
    workbook = f"medarbetarenkat_{data.year}.xlsx"
    return show(
        report,
        "about.html.j2",
        items=items,
        links=report.links,
        figures_href=relative_href(report.kind, "figures.csv"),
        drivers_href=relative_href(report.kind, "drivers.csv"),
        workbook=workbook,
        workbook_href=relative_href(report.kind, workbook),
    )


def response_rate_section(report: Report) -> Any:
    """Svarsfrekvens: this year and earlier years, and per child unit over the years."""
    if report.too_small:
        return None
    data, prev = report.data, report.data.previous_year
    history = response_rate_history(data, report.unit_id)
    own = report.figures.compare(RESPONSE_RATE)
    lines = []
    if own.now.published:
        sentence = movement(
            "Svarsfrekvensen",
            f"{own.now.text} %",
            own.change,
            prev,
            "procentenhet",
            sure=own.marked,
        )
        if own.change is not None and own.change != 0 and own.marked:
            sentence = sentence[:-1] + f" ({prev}: {own.prev_text} %)."
        lines.append(sentence)
    children = child_history(data, report.unit_id, RESPONSE_RATE)
    show_children = report.kind != LEDARE and not children.empty
    if show_children and prev is not None:
        now = children[children["year"] == data.year].set_index("unit_id")["value"]
        before = children[children["year"] == prev].set_index("unit_id")["value"]
        both, up = improving_units(now.to_dict(), before.to_dict())
        if both:
            lines.append(
                f"Svarsfrekvensen har ökat i {share_of_children(len(up), len(both))} "
                f"med jämförbara värden sedan {prev}."
            )
    by_year = None
    if len(history) > 1:
        by_year = chart(
            history["value"],
            lambda: plots.response_rate_by_year(history),
            "Svarsfrekvens per år",
            percent_texts(history["value"], history["text"]),
            [str(y) for y in history["year"]],
        )
    years_table = None
    if not history.empty:
        years_table = table(
            ["År", "Svarsfrekvens (%)", "Antal svar"],
            [
                [str(y), value_cell(t), value_cell(n)]
                for y, t, n in zip(history["year"], history["text"], history["n_text"], strict=True)
            ],
            [False, True, True],
        )
    return show(
        report,
        "response_rate.html.j2",
        lines=lines,
        by_year=by_year,
        years_table=years_table,
        children=_children_rates(report, children) if show_children else None,
    )


def _children_rates(report: Report, children: pd.DataFrame) -> dict[str, Any]:
    """Each child unit's response rate per survey year: chart (few units) and table."""
    years = sorted(dict.fromkeys(children["year"]))
    names = list(dict.fromkeys(children["unit_name"]))
    current = children[children["year"] == report.data.year]
    figure = None
    if len(names) <= MAX_YEAR_GROUPS and len(years) > 1:
        figure = chart(
            children["value"],
            lambda: plots.bars_by_year(children, "Svarsfrekvens (%)", " %"),
            "Svarsfrekvens per enhet och år",
            percent_texts(children["value"], children["text"]),
            [f"{n} {y}" for n, y in zip(children["unit_name"], children["year"], strict=True)],
        )
    elif len(names) <= MAX_CHART_BARS:
        figure = chart(
            current["value"],
            lambda: plots.horizontal_bars(
                list(current["unit_name"]),
                list(current["value"]),
                xlabel="Svarsfrekvens (%)",
                colour=plots.ACCENT,
                missing=list(current["text"]),
            ),
            "Svarsfrekvens per enhet",
            *sorted_like_bars(
                list(current["value"]),
                percent_texts(current["value"], current["text"]),
                current["unit_name"],
            ),
        )
    # the table: every unit and year, highest this year first, hidden last
    wide = children.pivot(index="unit_id", columns="year", values="text")
    order = highest_first(current)
    rows = [
        [name, *(value_cell(wide.loc[unit_id, y]) for y in years)]
        for unit_id, name in zip(order["unit_id"], order["unit_name"], strict=True)
    ]
    return {
        "name": report.name,
        "chart": figure,
        "table": table(
            ["Enhet", *(f"{y} (%)" for y in years)], rows, [False, *([True] * len(years))]
        ),
        "no_row": NO_ROW if NO_ROW in set(children["text"]) else "",
    }


def links_section(report: Report) -> Any:
    """Links to the reports below this one (relative, so the folder can be moved)."""
    if not report.links or report.kind in (LEDARE, ENHET):
        return None
    data = report.data
    children = data.children.get(report.unit_id, [])

    def link(kind: str, unit_id: str) -> dict[str, str]:
        return {
            "href": relative_href(report.kind, report_path(kind, unit_id)),
            "name": data.unit_name(unit_id),
        }

    areas, managers, units = [], [], []
    if report.kind == FORVALTNING:
        areas = [
            {**link(OMRADE, o), "units": [link(ENHET, u) for u in data.children.get(o, [])]}
            for o in children
        ]
        managers = [link(LEDARE, m) for m in data.managers]
    elif report.kind == OMRADE:
        units = [link(ENHET, u) for u in children]
    if not (areas or managers or units):
        return None
    return show(report, "links.html.j2", areas=areas, managers=managers, units=units)


def provenance_section(report: Report) -> Any:
    """The provenance footer: input hash, parameters, code version, package versions."""
    prov = report.provenance
    git = prov.get("git", {})
    packages = ", ".join(f"{k} {v}" for k, v in sorted(prov.get("packages", {}).items()))
    min_group_size = report.params.privacy.min_group_size
    return show(
        report,
        "provenance.html.j2",
        year=report.data.year,
        min_group_size=min_group_size,
        suppressed=SUPPRESSED,
        protection_note=protection_note(min_group_size) if PROTECTED in report.hidden_shown else "",
        sure_note=(
            sure_change_note(report.data.previous_year)
            if SURE_CHANGE in report.hidden_shown
            else ""
        ),
        input_sha256=prov.get("input_sha256", ""),
        commit=git.get("commit") or "okänd",
        dirty={True: "ja", False: "nej"}.get(git.get("dirty"), "okänt"),
        rows_rejected=report.data.rows_rejected,
        packages=packages,
        params_text=json.dumps(
            prov.get("params", {}), ensure_ascii=False, indent=1, sort_keys=True
        ),
    )
