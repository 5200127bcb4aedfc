"""The HTML of a yearly report: one ``*_section`` function per notebook cell.

Each section turns the tables of :mod:`analysis.report.data` into the HTML a
notebook cell shows, one function per section of the 2023 presentation, so the
notebooks stay a list of calls. Nothing here reads files or ranks numbers: the
selection lives in the data layer, where it is unit-tested on hand-made tables.

Every number shown goes through :mod:`analysis.core.rounding` (half up; changes are
differences of displayed values; levels decided on the displayed integer), and
a suppressed figure is shown as the data layer's words for why ("för få svar",
"dold för att skydda en mindre grupp"), never as a number; the footer explains
the second once, in a report that shows it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd

from analysis.core.catalogue import (
    AMI,
    AMI_DIMENSIONS,
    LEADERSHIP,
    RESPONSE_RATE,
    area_measure,
    question_measure,
)
from analysis.core.contract import (
    BASIS_BORROWED,
    BASIS_OWN_BELOW_MIN_N,
    COLLINEAR,
    CONSTANT_OUTCOME,
    NO_DRIVERS,
    NO_MOTIVATION,
    NO_OUTCOME,
    NO_QUESTIONS,
    NO_VARIANCE,
    NOT_ANALYSED,
    NOTHING_EXPLAINED,
    SMALL,
    SUPPRESSED_SCORES,
    TOO_FEW,
    UNSTABLE,
)
from analysis.core.labels import LEVEL_DEVELOP, LEVEL_GOOD, LEVEL_IMPROVE, MINUS
from analysis.core.params import LevelParams
from analysis.core.rounding import round_half_up
from analysis.drivers import priority
from analysis.report import plots
from analysis.report.area_texts import area_text
from analysis.report.data import (
    ENHET,
    FORVALTNING,
    LEDARE,
    MEASURE_LABELS,
    NEW,
    NO_COMPARISON,
    NO_ROW,
    OMRADE,
    PROTECT_CLAUSE,
    PROTECTED,
    REWORDED,
    SUPPRESSED,
    PriorityStatus,
    Report,
    Shown,
    ami_measures,
    area_overview,
    child_history,
    group_breakdown,
    hidden_predicate,
    highest_lowest,
    index_table,
    largest_changes,
    manager_invited,
    manager_units,
    no_previous_text,
    priority_status,
    protection_note,
    question_results,
    relative_href,
    report_path,
    response_rate_history,
    school_units,
    target_table,
    top_units,
    units_under_threshold,
)
from analysis.report.style import LEVEL_COLOURS

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


# ---------------------------------------------------------------------------
# HTML building blocks
# ---------------------------------------------------------------------------

REPORT_CSS = """
.rapport { font-family: "DejaVu Sans", Arial, sans-serif; color: #222; max-width: 60rem; }
.rapport h1 { font-size: 1.7rem; margin: 0.2rem 0; }
.rapport h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 2px solid #1f4e79;
  padding-bottom: 0.2rem; color: #1f4e79; }
.rapport h3 { font-size: 1.05rem; margin-top: 1.2rem; }
.rapport table.tabell { border-collapse: collapse; margin: 0.5rem 0 1rem 0; }
.rapport table.tabell th, .rapport table.tabell td { border-bottom: 1px solid #ddd;
  padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
.rapport table.tabell td.tal, .rapport table.tabell th.tal { text-align: right; }
.rapport .ffs { color: #777; font-style: italic; }
.rapport .not { color: #444; font-size: 0.9rem; }
.rapport .varning { background: #fff4d6; border-left: 4px solid #f2c230; padding: 0.4rem 0.8rem; }
.rapport .nyckeltal { font-size: 1.1rem; }
.rapport .stapel { height: 0.8rem; display: inline-block; vertical-align: middle; }
.rapport .stapelram { width: 10rem; background: #eee; display: inline-block; }
.rapport .niva { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem;
  vertical-align: middle; }
.rapport img { max-width: 100%; height: auto; }
.rapport footer { margin-top: 2.5rem; border-top: 1px solid #aaa; font-size: 0.8rem; color: #444; }
.rapport footer pre { white-space: pre-wrap; font-size: 0.75rem; }
.rapport ul.sammanfattning { background: #f2f6fa; border-left: 4px solid #1f4e79;
  padding: 0.5rem 0.8rem 0.5rem 1.8rem; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _wrap(report: Report, *parts: str) -> Any:
    """Wrap section HTML for display in a notebook cell, noting a figure hidden to protect."""
    from IPython.display import HTML

    body = "".join(parts)
    if PROTECT_CLAUSE in body:
        report.hidden_shown.add(PROTECTED)
    return HTML(f'<div class="rapport">{body}</div>')


def _value_cell(text: str, level_name: str | None = None) -> str:
    if text in (SUPPRESSED, PROTECTED):
        return f'<td class="tal ffs">{_e(text)}</td>'
    swatch = ""
    if isinstance(level_name, str):
        swatch = (
            f'<span class="niva" style="background:{LEVEL_COLOURS[level_name]}" '
            f'title="{_e(level_name)}"></span>'
        )
    return f'<td class="tal">{swatch}{_e(text)}</td>'


def html_table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool] | None = None
) -> str:
    """A plain table; cells are pre-rendered ``<td>`` strings or text to escape."""
    numeric = numeric or [False] * len(headers)
    head = "".join(
        f'<th class="tal">{_e(h)}</th>' if num else f"<th>{_e(h)}</th>"
        for h, num in zip(headers, numeric, strict=True)
    )
    body = []
    for row in rows:
        cells = []
        for cell, num in zip(row, numeric, strict=True):
            if cell.startswith("<td"):
                cells.append(cell)
            else:
                cells.append(f'<td class="tal">{_e(cell)}</td>' if num else f"<td>{_e(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="tabell"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _bar_cell(value: float | None, level_name: str | None) -> str:
    if value is None or pd.isna(value) or not isinstance(level_name, str):
        return "<td></td>"
    width = max(0.0, min(100.0, value))
    return (
        f'<td><span class="stapelram"><span class="stapel" style="width:{width:.1f}%;'
        f'background:{LEVEL_COLOURS[level_name]}"></span></span></td>'
    )


def _p(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{_e(text)}</p>"


def _h2(text: str) -> str:
    return f"<h2>{_e(text)}</h2>"


def _level_legend(levels: LevelParams) -> str:
    good, improve = levels.good_from, levels.improve_from
    bands = [
        (LEVEL_GOOD, f"{good}–100"),
        (LEVEL_IMPROVE, f"{improve}–{good - 1}"),
        (LEVEL_DEVELOP, f"0–{improve - 1}"),
    ]
    items = "".join(
        f'<li><span class="niva" style="background:{LEVEL_COLOURS[name]}"></span>'
        f"{_e(span)} {_e(name.capitalize())}</li>"
        for name, span in bands
    )
    return (
        "<p>Så läser du indexnivåerna (index 0–100, bedömt på det avrundade värdet):</p>"
        f'<ul class="not">{items}</ul>'
    )


def _comparison_note(report: Report, change_texts: Iterable[str] = ()) -> str:
    """How to read the change column, and what each reason for a missing change means."""
    prev = report.data.previous_year
    if prev is None:
        return _p(
            f"Jämförelse saknas: {report.data.year} är det första undersökningsåret i underlaget.",
            "not",
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
    return _p(" ".join(lines), "not")


def _new_questions_note(what: str, previous_year: int) -> str:
    """The seed's note for a measure whose question set changed since last year."""
    return _p(
        f"I år innehåller {what} nya eller omformulerade frågor. Det innebär att jämförelser "
        f"mot {previous_year} saknas i vissa fall.",
        "not",
    )


def _chart(
    values: Iterable[Any], build: Callable[[], Any], alt: str, texts: Iterable[str] = ()
) -> str:
    """The figure ``build`` draws, or one sentence (why, from ``texts``) when it has no bar."""
    if not plots.any_number(list(values)):
        return _p(
            f"Diagrammet ”{alt}” visas inte: alla värden {hidden_predicate(texts, 2)}.", "not"
        )
    return plots.figure_html(build(), alt)


def _summary(lines: Iterable[str]) -> str:
    """The seed's bullet points under a section heading (empty when there is nothing to say)."""
    kept = [line for line in lines if line]
    if not kept:
        return ""
    return '<ul class="sammanfattning">' + "".join(f"<li>{_e(t)}</li>" for t in kept) + "</ul>"


def _amount(k: int, unit: str = "punkt") -> str:
    """'en punkt', '3 punkter'; 'en procentenhet', '2 procentenheter'."""
    plural = {"punkt": "punkter", "procentenhet": "procentenheter"}[unit]
    return f"en {unit}" if k == 1 else f"{k} {plural}"


def _questions(k: int) -> str:
    """'1 fråga', '9 frågor'."""
    return f"{k} {'fråga' if k == 1 else 'frågor'}"


def _the_questions(k: int, genitive: bool = False) -> str:
    """'frågan'/'frågorna' (or 'frågans'/'frågornas') for one or several questions."""
    word = "frågan" if k == 1 else "frågorna"
    return word + "s" if genitive else word


def _join(items: Sequence[str], last: str = "och") -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} " + items[-1]


def _movement(
    subject: str, text: str, change: Any, previous_year: int | None, unit: str = "punkt"
) -> str:
    """'AMI totalt har gått ner en punkt sedan 2022 och ligger i år på 79.' (displayed values)."""
    if change is None or pd.isna(change) or previous_year is None:
        return f"{subject} ligger i år på {text}."
    change = int(change)
    if change == 0:
        return f"{subject} ligger kvar på {text}, som {previous_year}."
    direction = "upp" if change > 0 else "ner"
    return (
        f"{subject} har gått {direction} {_amount(abs(change), unit)} sedan {previous_year} "
        f"och ligger i år på {text}."
    )


def _ranked(labels: Sequence[str], values: Sequence[Any]) -> list[tuple[str, int]]:
    """(label, displayed value) of the published values, highest first, ties in given order."""
    shown = [(lbl, round_half_up(v)) for lbl, v in zip(labels, values, strict=True) if _has(v)]
    return sorted(shown, key=lambda item: -item[1])


def _has(value: Any) -> bool:
    return value is not None and not pd.isna(value)


def _high_low(
    what: str, labels: Sequence[str], values: Sequence[Any], prefix: tuple[str, str] = ("", "")
) -> str:
    """'Högst AMI har åldersgruppen 60- (82) och lägst -29 (75).' from displayed values.

    ``prefix`` is the word before the highest label(s): singular, plural.
    """
    ranked = _ranked(labels, values)
    if len(ranked) < 2 or ranked[0][1] == ranked[-1][1]:
        return ""
    top = [lbl for lbl, v in ranked if v == ranked[0][1]]
    bottom = [lbl for lbl, v in ranked if v == ranked[-1][1]]
    word = prefix[0] if len(top) == 1 else prefix[1]
    return (
        f"Högst {what} har {word}{_join(top)} ({ranked[0][1]}) "
        f"och lägst {_join(bottom)} ({ranked[-1][1]})."
    )


# ---------------------------------------------------------------------------
# Sections: one function per notebook cell
# ---------------------------------------------------------------------------


def header_section(report: Report) -> Any:
    """Title, response rate, quarantine note, navigation; the only section of a tiny unit."""
    data, year = report.data, report.data.year
    kind_title = KIND_TITLES[report.kind]
    parts = [f"<style>{REPORT_CSS}</style>"]
    if report.links and report.kind != FORVALTNING:
        parts.append(
            f'<p class="not"><a href="{relative_href(report.kind, "index.html")}">'
            f"← {_e(data.unit_name(data.root_id))} {year}</a></p>"
        )
    parts.append(f"<h1>Medarbetarenkät {year} – {_e(report.name)}</h1>")
    subtitle = kind_title
    if report.kind != LEDARE:
        subtitle += f" · {_e(data.unit_type(report.unit_id))}"
    parts.append(f"<p><strong>{subtitle}</strong></p>")
    if report.kind == LEDARE:
        led = [data.unit_name(u) for u in manager_units(data, report.unit_id)]
        if led:
            parts.append(_p("Chefens enheter: " + ", ".join(led) + "."))
    rate = report.figures.get(RESPONSE_RATE)
    no_own_staff = report.kind == LEDARE and not manager_invited(data, report.unit_id)
    if report.figures.has(RESPONSE_RATE) and not no_own_staff:  # nobody invited: no rate
        answers = "" if rate.n is None else f" · Antal svar: {rate.n}"
        rate_text = rate.text if not rate.published else f"{rate.text} %"
        parts.append(f'<p class="nyckeltal">Svarsfrekvens: {_e(rate_text)}{_e(answers)}</p>')
    if data.quarantine_mode or data.rows_rejected:
        parts.append(
            '<p class="varning">'
            f"Indata lästes i karantänläge: {data.rows_rejected} "
            f"{'rad' if data.rows_rejected == 1 else 'rader'} underkändes och ingår "
            "inte i resultaten (se rejects-filen).</p>"
        )
    if report.too_small and no_own_staff:
        parts.append(
            '<p class="varning">'
            "Inga medarbetare i enkäten har den här chefen som närmaste chef: alla svarande "
            "hör till enheter med egna chefer, vars ledarrapporter visar resultaten.</p>"
        )
    elif report.too_small:
        hidden = report.figures.hidden_texts()
        why = (
            f"Inga resultat visas för {_e(report.name)}: de {hidden_predicate(hidden, 2)}."
            if PROTECTED in hidden
            else f"För få svar: {_e(report.name)} har färre än "
            f"{report.params.privacy.min_group_size} svarande i varje redovisningsgrupp, så inga "
            "resultat kan visas för enheten."
        )
        parts.append(
            f'<p class="varning">{why} Resultaten ingår i överordnade enheters rapporter.</p>'
        )
    return _wrap(report, *parts)


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
    questions = f"{_questions(len(asked))} i enkäten {data.year}"
    if prev is not None and (new or reworded):
        changes = [
            f"{new} {'ny' if new == 1 else 'nya'}",
            f"{reworded} {'omformulerad' if reworded == 1 else 'omformulerade'}",
        ]
        questions += f", varav {_join([c for c in changes if not c.startswith('0 ')])} sedan {prev}"
    items = [questions + "."]
    if n_ami:
        items.append(f"{_questions(n_ami)} utgör AMI.")
    if n_leadership:
        items.append(f"{_questions(n_leadership)} utgör ledarskapsindexet.")
    items.append(
        f"Minst {report.params.privacy.min_group_size} svarande för att få gruppresultat; "
        f"färre visas som ”{SUPPRESSED}”."
    )
    if report.figures.has(RESPONSE_RATE):
        rate = report.figures.get(RESPONSE_RATE)
        items.append(f"Antal svarande i {report.name}: {rate.n_text}.")
    links = ""
    if report.links:
        links = (
            '<p class="not">Alla siffror i rapporten finns i '
            f'<a href="{relative_href(report.kind, "figures.csv")}">figures.csv</a> och '
            f'<a href="{relative_href(report.kind, "drivers.csv")}">drivers.csv</a>, och för '
            "analytiker i Excelfilen "
            f'<a href="{relative_href(report.kind, f"medarbetarenkat_{data.year}.xlsx")}">'
            f"medarbetarenkat_{data.year}.xlsx</a>.</p>"
        )
    listed = "".join(f"<li>{_e(item)}</li>" for item in items)
    return _wrap(report, _h2("Om enkäten"), f"<ul>{listed}</ul>", links)


def response_rate_section(report: Report) -> Any:
    """Svarsfrekvens: this year and earlier years, and per child unit over the years."""
    if report.too_small:
        return None
    data, prev = report.data, report.data.previous_year
    history = response_rate_history(data, report.unit_id)
    parts = [_h2("Svarsfrekvens")]
    own = report.figures.compare(RESPONSE_RATE)
    lines = []
    if own.now.published:
        sentence = _movement(
            "Svarsfrekvensen", f"{own.now.text} %", own.change, prev, "procentenhet"
        )
        if own.change is not None and own.change != 0:
            sentence = sentence[:-1] + f" ({prev}: {own.prev_text} %)."
        lines.append(sentence)
    children = child_history(data, report.unit_id, RESPONSE_RATE)
    if report.kind != LEDARE and not children.empty and prev is not None:
        now = children[children["year"] == data.year].set_index("unit_id")["value"]
        before = children[children["year"] == prev].set_index("unit_id")["value"]
        both = [u for u in now.index if _has(now.get(u)) and _has(before.get(u))]
        up = [u for u in both if round_half_up(now[u]) > round_half_up(before[u])]
        if both:
            if len(up) == len(both):
                share = {
                    1: "den enda underliggande enheten",
                    2: "båda underliggande enheterna",
                }.get(len(both), f"alla {len(both)} underliggande enheter")
            else:
                share = f"{len(up)} av {len(both)} underliggande enheter"
            lines.append(f"Svarsfrekvensen har ökat i {share} med jämförbara värden sedan {prev}.")
    parts.append(_summary(lines))
    if len(history) > 1:
        parts.append(
            _chart(
                history["value"],
                lambda: plots.response_rate_by_year(history),
                "Svarsfrekvens per år",
                history["text"],
            )
        )
    if not history.empty:
        parts.append(
            html_table(
                ["År", "Svarsfrekvens (%)", "Antal svar"],
                [
                    [str(y), _value_cell(t), _value_cell(n)]
                    for y, t, n in zip(
                        history["year"], history["text"], history["n_text"], strict=True
                    )
                ],
                [False, True, True],
            )
        )
    if report.kind != LEDARE and not children.empty:
        parts.append(_children_rates(report, children))
    return _wrap(report, *parts)


def _children_rates(report: Report, children: pd.DataFrame) -> str:
    """Each child unit's response rate per survey year: chart (few units) and table."""
    data = report.data
    years = sorted(dict.fromkeys(children["year"]))
    names = list(dict.fromkeys(children["unit_name"]))
    parts = [f"<h3>Svarsfrekvens per enhet under {_e(report.name)}</h3>"]
    current = children[children["year"] == data.year]
    if len(names) <= MAX_YEAR_GROUPS and len(years) > 1:
        parts.append(
            _chart(
                children["value"],
                lambda: plots.bars_by_year(children, "Svarsfrekvens (%)", " %"),
                "Svarsfrekvens per enhet och år",
                children["text"],
            )
        )
    elif len(names) <= MAX_CHART_BARS:
        parts.append(
            _chart(
                current["value"],
                lambda: plots.horizontal_bars(
                    list(current["unit_name"]),
                    list(current["value"]),
                    xlabel="Svarsfrekvens (%)",
                    colour=plots.ACCENT,
                    missing=list(current["text"]),
                ),
                "Svarsfrekvens per enhet",
                current["text"],
            )
        )
    # the table: every unit and year, highest this year first, suppressed last
    wide = children.pivot(index="unit_id", columns="year", values="text")
    order = current.sort_values("value", ascending=False, na_position="last", kind="mergesort")
    rows = [
        [name, *(_value_cell(wide.loc[unit_id, y]) for y in years)]
        for unit_id, name in zip(order["unit_id"], order["unit_name"], strict=True)
    ]
    parts.append(
        html_table(["Enhet", *(f"{y} (%)" for y in years)], rows, [False, *([True] * len(years))])
    )
    if NO_ROW in set(children["text"]):
        parts.append(_p(f"”{NO_ROW}”: enheten fanns inte med det året.", "not"))
    return "".join(parts)


def ami_section(report: Report) -> Any:
    """AMI total and its dimensions with the change since last year, and its questions."""
    if report.too_small:
        return None
    measures = ami_measures(report.data)
    if not measures:
        return None
    data, levels, prev = report.data, report.params.levels, report.data.previous_year
    table = index_table(report.figures, measures, levels)
    asked = data.asked_questions
    ami_questions = asked[asked["ami_dimension"].isin(AMI_DIMENSIONS)]
    results = question_results(data, report.figures, levels, list(ami_questions["question_id"]))
    dimension_of = dict(
        zip(ami_questions["question_id"], ami_questions["ami_dimension"], strict=True)
    )
    parts = [
        _h2("Aktivt Medskapande Index (AMI)"),
        _summary(_ami_summary(table, results, prev)),
        _p(
            f"AMI består av {len(ami_questions)} frågor som tillsammans bildar ett totalindex "
            "samt tre delindex: Motivation, Ledarskap och Styrning. Index 0–100."
        ),
        _chart(
            table["value"],
            lambda: plots.index_columns(table, levels),
            "AMI totalt och delindex",
            table["text"],
        ),
        html_table(
            ["Index", "Värde", "Förändring"],
            [
                [label, _value_cell(text, lvl), _value_cell(change)]
                for label, text, lvl, change in zip(
                    table["label"],
                    table["text"],
                    table["level"],
                    table["change_text"],
                    strict=True,
                )
            ],
            [False, True, True],
        ),
    ]
    if not results.empty:
        rows = []
        for dimension in AMI_DIMENSIONS:
            part = results[results["question_id"].map(dimension_of) == dimension]
            for number, (_, r) in enumerate(part.iterrows()):
                rows.append(
                    [
                        dimension if number == 0 else "",
                        r["text"],
                        _value_cell(r["text_value"], r["level"]),
                        _value_cell(r["change_text"] or r["status"]),
                    ]
                )
        parts.append("<h3>AMI-frågorna per delindex</h3>")
        parts.append(
            html_table(
                ["Delindex", "Fråga", "Index", "Förändring"], rows, [False, False, True, True]
            )
        )
    parts.append(_comparison_note(report, [*table["change_text"], *results["change_text"]]))
    own = report.figures.get(AMI)
    types = report.params.report.school_types
    if (
        report.kind != LEDARE
        and data.unit_type(report.unit_id) in types
        and own.published
        and own.rounded < levels.good_from
    ):
        parts.append(
            '<p class="varning">'
            f"AMI är under {levels.good_from}: enhetschef/rektor upprättar en handlingsplan som "
            "stäms av med överordnad chef senast den "
            f"{_e(report.params.report.action_plan_deadline)} {data.year}.</p>"
        )
    return _wrap(report, *parts)


def _ami_summary(table: pd.DataFrame, results: pd.DataFrame, prev: int | None) -> list[str]:
    """The seed's AMI bullets, from the displayed values and changes."""
    lines = []
    rows = {m: r for m, r in zip(table["measure"], table.to_dict("records"), strict=True)}
    total = rows.get(AMI)
    if total is None or not _has(total["value"]):
        return lines
    lines.append(_movement("AMI totalt", total["text"], total["change"], prev))
    dims = [r for m, r in rows.items() if m != AMI and _has(r["value"])]
    changed = [r for r in dims if _has(r["change"])]
    if prev is None or not changed:
        if dims:
            lines.append(
                "Delindexen ligger på " + _join([f"{r['label']} {r['text']}" for r in dims]) + "."
            )
        return lines
    total_change = total["change"] if _has(total["change"]) else 0
    down = [r["label"] for r in changed if r["change"] < 0]
    up = [r["label"] for r in changed if r["change"] > 0]
    same = [r for r in changed if r["change"] == 0]
    if total_change < 0 and down:
        lines.append(f"Nedgången har skett inom {_join(down)}.")
        up_rows = [r for r in changed if r["change"] > 0]
        lines += [_movement(r["label"], r["text"], r["change"], prev) for r in up_rows]
    elif total_change > 0 and up:
        lines.append(f"Uppgången har skett inom {_join(up)}.")
        down_rows = [r for r in changed if r["change"] < 0]
        lines += [_movement(r["label"], r["text"], r["change"], prev) for r in down_rows]
    else:
        lines += [
            _movement(r["label"], r["text"], r["change"], prev) for r in changed if r["change"]
        ]
    if same:
        values = _join([r["text"] for r in same], "respektive")
        lines.append(f"{_join([r['label'] for r in same])} ligger kvar på {values}.")
    moved = results[results["change"].notna()]
    if not moved.empty:
        # the largest displayed change; ties by the larger exact change, then catalogue order
        ranked = moved.assign(
            size=moved["change"].abs(), exact=moved["exact_change"].astype(float).abs()
        )
        biggest = ranked.sort_values(
            ["size", "exact"], ascending=[False, False], kind="mergesort"
        ).iloc[0]
        change = int(biggest["change"])
        if abs(change) >= 2:
            verb = "ökat" if change > 0 else "minskat"
            lines.append(f"”{biggest['text']}” har {verb} med {_amount(abs(change))}.")
    return lines


def ami_groups_section(report: Report) -> Any:
    """AMI by gender and by chef/medarbetare, this year against last."""
    if report.too_small:
        return None
    measures = ami_measures(report.data)
    year, prev = report.data.year, report.data.previous_year
    parts = []
    for variable, title in (("gender", "kön"), ("role", "chef/medarbetare")):
        table = group_breakdown(report.figures, variable, measures)
        if table.empty:
            continue
        parts.append(f"<h3>AMI per {_e(title)}</h3>")
        parts.append(_summary([_groups_summary(table)]))
        parts.append(
            _chart(
                [*table["value"], *table["value_prev"]],
                lambda table=table: plots.grouped_index_bars(table, MEASURE_LABELS, year, prev),
                f"AMI per {title}",
                [*table["text"], *table["prev_text"]],
            )
        )
        parts.append(_breakdown_table(table, measures, year, prev))
        parts.append(_comparison_note(report, table["change_text"]) if prev is not None else "")
    if not parts:
        return None
    return _wrap(report, _h2("AMI – kön och chef/medarbetare"), *parts)


def _groups_summary(table: pd.DataFrame) -> str:
    """Two groups: who is higher on AMI, and on how many dimensions; more: highest and lowest."""
    total = table[table["measure"] == AMI]
    ranked = _ranked(list(total["label"]), list(total["value"]))
    if len(ranked) < 2:
        return ""
    if len(ranked) > 2:
        return _high_low("AMI totalt", list(total["label"]), list(total["value"]))
    (first, a), (second, b) = ranked
    if a == b:
        sentence = f"{first} och {second} ligger lika på AMI totalt ({a})."
    else:
        sentence = f"{first} ligger högre än {second} på AMI totalt ({a} mot {b})."
    dims = [m for m in dict.fromkeys(table["measure"]) if m != AMI]
    compared = higher = 0
    for measure in dims:
        part = table[table["measure"] == measure].set_index("label")["value"]
        if _has(part.get(first)) and _has(part.get(second)):
            compared += 1
            higher += round_half_up(part[first]) > round_half_up(part[second])
    if compared and a != b:
        share = f"alla {compared}" if higher == compared else f"{higher} av {compared}"
        sentence = sentence[:-1] + f", och på {share} delindex."
    return sentence


def _breakdown_table(
    table: pd.DataFrame, measures: Sequence[str], year: int, prev: int | None
) -> str:
    """Group × index, this year, last year and the change (long form: one index per row)."""
    headers = ["Grupp", "Index", str(year)]
    numeric = [False, False, True]
    if prev is not None:
        headers += [str(prev), "Förändring"]
        numeric += [True, True]
    rows = []
    for label in dict.fromkeys(table["label"]):
        part = table[table["label"] == label].set_index("measure")
        for number, measure in enumerate(m for m in measures if m in part.index):
            row = part.loc[measure]
            line = [label if number == 0 else "", MEASURE_LABELS[measure], _value_cell(row["text"])]
            if prev is not None:
                line += [_value_cell(row["prev_text"]), _value_cell(row["change_text"])]
            rows.append(line)
    return html_table(headers, rows, numeric)


def ami_age_section(report: Report) -> Any:
    """AMI by age group, this year against last."""
    if report.too_small or AMI not in ami_measures(report.data):
        return None
    table = group_breakdown(report.figures, "age_group", [AMI])
    if table.empty:
        return None
    year, prev = report.data.year, report.data.previous_year
    rows = [
        [label, _value_cell(text), _value_cell(prev_text), _value_cell(change)]
        for label, text, prev_text, change in zip(
            table["label"], table["text"], table["prev_text"], table["change_text"], strict=True
        )
    ]
    headers = ["Åldersgrupp", f"AMI {year}"]
    numeric = [False, True]
    if prev is not None:
        headers += [f"AMI {prev}", "Förändring"]
        numeric += [True, True]
    else:
        rows = [r[:2] for r in rows]
    values = [*table["value"], *table["value_prev"]]
    summary = _high_low(
        "AMI",
        list(table["label"]),
        list(table["value"]),
        ("åldersgruppen ", "åldersgrupperna "),
    )
    return _wrap(
        report,
        _h2("AMI – ålder"),
        _summary([summary]),
        _chart(
            values,
            lambda: plots.age_bars(table, year, prev),
            "AMI per åldersgrupp",
            [*table["text"], *table["prev_text"]],
        ),
        html_table(headers, rows, numeric),
        _comparison_note(report, table["change_text"]) if prev is not None else "",
    )


def areas_section(report: Report) -> Any:
    """The question areas (index 0–100) with the policy's text, and how to read the levels."""
    if report.too_small:
        return None
    levels = report.params.levels
    table = area_overview(report.data, report.figures, levels)
    if table.empty:
        return None
    ranked = _ranked(list(table["area"]), list(table["value"]))
    good = sum(1 for _, v in ranked if v >= levels.good_from)
    lines = [_high_low("index", list(table["area"]), list(table["value"]))]
    if ranked:
        lines.append(
            f"{good} av {len(ranked)} frågeområden ligger på nivån förvalta och förädla "
            f"({levels.good_from}–100)."
        )

    def area_cell(area: str, description: Any) -> str:
        text = f"<strong>{_e(area)}</strong>"
        if isinstance(description, str) and description:
            text += f'<br><span class="not">{_e(description)}</span>'
        return f"<td>{text}</td>"

    parts = [
        _h2("Översikt frågeområden"),
        _summary(lines),
        _p(
            "Frågorna har delats in i frågeområden; där områdena är personalpolicyns står "
            "policyns text under namnet. Resultatet presenteras som ett index 0–100."
        ),
        _level_legend(levels),
        _chart(
            table["value"],
            lambda: plots.horizontal_bars(
                list(table["area"]),
                list(table["value"]),
                levels=levels,
                xlabel="Index",
                missing=list(table["text"]),
            ),
            "Frågeområden",
            table["text"],
        ),
        html_table(
            ["Frågeområde", "Index", "Förändring"],
            [
                [area_cell(area, description), _value_cell(text, lvl), _value_cell(change)]
                for area, description, text, lvl, change in zip(
                    table["area"],
                    table["description"],
                    table["text"],
                    table["level"],
                    table["change_text"],
                    strict=True,
                )
            ],
            [False, True, True],
        ),
    ]
    if table["has_new"].any():
        parts.append(
            _p(
                "Frågeområdena innehåller nya eller omformulerade frågor; för dem saknas "
                "jämförelse med föregående år.",
                "not",
            )
        )
    if report.data.previous_year is not None:
        # "ingen jämförelse" is what the sentence above explains, in the seed's words
        explained = {NO_COMPARISON} if table["has_new"].any() else set()
        texts = [t for t in table["change_text"] if t not in explained]
        parts.append(_comparison_note(report, texts))
    return _wrap(report, *parts)


def priority_section(report: Report) -> Any:
    """The priority matrix with its five styrkor and five fokusområden, or why there is none."""
    if report.too_small:
        return None
    from analysis.report.plot_priority import priority_matrix_figure

    status = priority_status(report.data, report.unit_id)
    table = status.table
    parts = [_h2("Prioriteringsmatris")]
    if table.empty:
        parts.append(_no_priority_matrix(report, status))
        parts.extend(_excluded_questions_note(report, status))
        return _wrap(report, *parts)
    texts = report.data.question_texts
    figure = priority_matrix_figure(table, texts, f"Prioriteringsmatris – {report.name}")
    parts.append(plots.figure_html(figure, "Prioriteringsmatris"))
    parts.extend(_priority_basis_notes(report, status))
    parts.extend(_excluded_questions_note(report, status))
    for title, intro, rows in (
        (
            "Styrkor",
            "De frågor som värderas högst och samtidigt har störst påverkan på "
            "motivationen hos medarbetarna.",
            priority.styrkor(table),
        ),
        (
            "Fokusområden",
            "De frågor som värderas lägst och samtidigt har störst påverkan på "
            "motivationen hos medarbetarna.",
            priority.fokusomraden(table),
        ),
    ):
        parts.append(f"<h3>{_e(title)}</h3>")
        parts.append(_p(intro))
        if rows.empty:
            parts.append(_p("Inga frågor i denna kvadrant.", "not"))
            continue
        parts.append(
            html_table(
                ["Fråga", "Resultat"],
                [
                    [texts.get(q, q), str(round_half_up(s))]
                    for q, s in zip(rows["question_id"], rows["score"], strict=True)
                ],
                [False, True],
            )
        )
    return _wrap(report, *parts)


# ---------------------------------------------------------------------------
# Priority matrix: where the importances come from, or why there are none
# ---------------------------------------------------------------------------

#: why a unit has no driver analysis of its own (``borrow_code``), completing
#: "För <enhet> görs ingen egen drivkraftsanalys: ..."; {questions} = quoted texts.
OWN_ANALYSIS_MISSING = {
    SMALL: "för få svarande har svarat på alla frågor (minst {min_n} behövs)",
    TOO_FEW: "för få svarande har svarat på alla frågor",
    NO_VARIANCE: (
        "alla som svarat på alla frågor gav samma svar på {questions}, så {the_questions_of} "
        "betydelse går inte att skatta"
    ),
    COLLINEAR: (
        "svaren på {questions} följer varandra helt, så frågornas betydelse går inte att skilja åt"
    ),
    CONSTANT_OUTCOME: "alla som svarat på alla frågor har samma motivationsvärde",
    NOTHING_EXPLAINED: "frågorna förklarar ingenting av skillnaderna i motivation",
    UNSTABLE: "resultatet blir för osäkert (för många slumpade omdragningar saknar variation)",
}
#: why the förvaltning - and so nobody - has a driver analysis this year (``root_code``)
NO_ANALYSIS_AT_ALL = {
    NO_QUESTIONS: "inga frågor ställdes",
    NO_MOTIVATION: (
        "inga frågor om motivation (AMI-delindex Motivation) ställdes i år, så det finns "
        "inget motivationsvärde att förklara"
    ),
    NO_OUTCOME: "ingen gav ett giltigt svar på motivationsfrågorna (bara ”vet ej” eller tomt)",
    NO_DRIVERS: "inga andra frågor än motivationsfrågorna fick giltiga svar",
    TOO_FEW: (
        "för få svarande har svarat på alla {n_drivers} frågor: analysen behöver fler "
        "svarande än frågor"
    ),
    **{k: v for k, v in OWN_ANALYSIS_MISSING.items() if k not in (SMALL, TOO_FEW)},
}


def _quoted(report: Report, question_ids: Sequence[str]) -> str:
    texts = report.data.question_texts
    return ", ".join(f"”{texts.get(q, q)}”" for q in question_ids)


def _reason_text(
    template: str, report: Report, status: PriorityStatus, questions: Sequence[str]
) -> str:
    # Counts shown here are of questions or parameters, never of respondents:
    # a respondent count that is no published row (contract §5) could be small.
    return template.format(
        min_n=report.data.driver_min_n,
        questions=_quoted(report, questions) or "en fråga",
        the_questions_of=_the_questions(max(len(questions), 1), genitive=True),
        n_drivers=status.n_drivers,
    )


def _priority_basis_notes(report: Report, status: PriorityStatus) -> list[str]:
    """Whose analysis the matrix shows, on how many respondents, and how to read it."""
    name, data = report.name, report.data
    n_used = status.n_used
    if status.basis == BASIS_BORROWED or (status.source and status.source != report.unit_id):
        lender = data.unit_name(status.source)
        template = OWN_ANALYSIS_MISSING.get(status.borrow_code, "underlaget räcker inte")
        why = _reason_text(template, report, status, status.questions)
        return [
            '<p class="not">'
            f"För {_e(name)} görs ingen egen drivkraftsanalys: {_e(why)}. Frågornas betydelse "
            f"(x-axeln) kommer därför från analysen för {_e(lender)}; resultaten (y-axeln) är "
            f"{'gruppens' if report.kind == LEDARE else 'enhetens'} egna. Analysen för "
            f"{_e(lender)} bygger på {n_used} svarande med svar på alla frågor.</p>"
        ]
    if status.basis == BASIS_OWN_BELOW_MIN_N:
        return [
            '<p class="varning">'
            f"Tolka försiktigt: analysen bygger på bara {n_used} svarande med svar på alla "
            f"frågor (riktvärdet för en egen analys är minst {report.data.driver_min_n}).</p>"
        ]
    return [_p(f"Analysen bygger på {n_used} svarande med svar på alla frågor.", "not")]


def _no_priority_matrix(report: Report, status: PriorityStatus) -> str:
    """One clear sentence (and the questions) on why this report has no priority matrix."""
    year, name = report.data.year, report.name
    if status.why_none == NOT_ANALYSED:
        template = NO_ANALYSIS_AT_ALL.get(status.root_code, "underlaget räcker inte")
        why = _reason_text(template, report, status, status.questions)
        text = f"Ingen drivkraftsanalys för {year}: {why}."
        if status.root_code == TOO_FEW and status.questions:
            text += f" Flest saknade svar har frågorna {_quoted(report, status.questions)}."
        if report.kind != FORVALTNING:
            text += " Det gäller hela förvaltningen, så ingen rapport har någon matris i år."
        return _p(f"Prioriteringsmatris saknas. {text}", "ffs")
    if status.why_none == SUPPRESSED_SCORES:
        count = len(status.questions)
        total = status.n_drivers or count
        who = "chefens grupp" if report.kind == LEDARE else _e(name)
        texts = report.data.question_texts
        why = {q: report.figures.get(question_measure(q)).text for q in status.questions}
        counts = {t: list(why.values()).count(t) for t in dict.fromkeys(why.values())}
        if set(counts) == {SUPPRESSED}:  # the words the threshold alone has always had
            head, title, items = (
                f"{count} av {total} frågor har för få svar i {who} för att resultatet ska "
                "kunna visas",
                "Frågor med för få svar",
                [texts.get(q, q) for q in why],
            )
        else:
            each = _join([f"{k} {hidden_predicate([t], k)}" for t, k in counts.items()])
            head, title, items = (
                f"resultatet för {count} av {total} frågor visas inte i {who} ({each})",
                "Frågor vars resultat inte visas",
                [f"{texts.get(q, q)} – {t}" for q, t in why.items()],
            )
        listed = "".join(f"<li>{_e(item)}</li>" for item in items)
        return (
            f'<p class="ffs">Prioriteringsmatris saknas: {head}, och matrisen visas bara när '
            "alla frågors resultat kan visas.</p>"
            f'<details class="not"><summary>{title}</summary><ul>{listed}</ul></details>'
        )
    return _p(
        f"Prioriteringsmatris saknas: underlaget räcker inte för en drivkraftsanalys för {name}.",
        "ffs",
    )


def _excluded_questions_note(report: Report, status: PriorityStatus) -> list[str]:
    if not status.excluded:
        return []
    return [
        _p(
            f"Ingår inte i analysen: {_quoted(report, status.excluded)} – "
            f"{_the_questions(len(status.excluded))} ställdes men fick bara ”vet ej”-svar "
            "eller inga svar alls.",
            "not",
        )
    ]


def extremes_section(report: Report) -> Any:
    """The three highest and three lowest questions."""
    if report.too_small:
        return None
    levels = report.params.levels
    results = question_results(report.data, report.figures, levels)
    high, low = highest_lowest(results, 3)
    if high.empty:
        return None
    parts = [
        _h2("Högst och lägst resultat"),
        _p("De frågor i undersökningen som fått högst respektive lägst resultat."),
        plots.figure_html(plots.extremes_bars(high, low, levels), "Högst och lägst resultat"),
    ]
    for title, rows in (("Högst", high), ("Lägst", low)):
        parts.append(f"<h3>{title}</h3>")
        parts.append(_question_table(rows))
    return _wrap(report, *parts)


def _question_table(rows: pd.DataFrame, with_bar: bool = False) -> str:
    headers = ["Fråga", "Index", "Förändring"]
    numeric = [False, True, True]
    if with_bar:
        headers.append("")
        numeric.append(False)
    body = []
    for _, r in rows.iterrows():
        change = r["change_text"] or r["status"]
        line = [r["text"], _value_cell(r["text_value"], r["level"]), _value_cell(change)]
        if with_bar:
            line.append(_bar_cell(r["value"], r["level"]))
        body.append(line)
    return html_table(headers, body, numeric)


def changes_section(report: Report) -> Any:
    """The largest positive and negative changes, new and reworded questions left out."""
    if report.too_small:
        return None
    data = report.data
    parts = [_h2("Största utvecklingen")]
    if data.previous_year is None:
        parts.append(_comparison_note(report))
        return _wrap(report, *parts)
    results = question_results(data, report.figures, report.params.levels)
    changes = largest_changes(results, 3)
    parts.append(
        _p(
            f"De 3 frågor som utvecklats mest positivt respektive negativt sedan "
            f"{data.previous_year}. Förändringen är skillnaden mellan avrundade värden."
        )
    )
    if not changes.positive.empty or not changes.negative.empty:
        parts.append(
            plots.figure_html(
                plots.change_bars(changes.positive, changes.negative), "Största utvecklingen"
            )
        )
    for title, rows, none_text in (
        ("Störst ökning", changes.positive, "Ingen fråga har ökat."),
        ("Störst minskning", changes.negative, "Ingen fråga har minskat."),
    ):
        parts.append(f"<h3>{title}</h3>")
        parts.append(_question_table(rows) if not rows.empty else _p(none_text, "not"))
    if not changes.excluded.empty:
        items = "".join(
            f"<li>{_e(t)} ({_e(s)})</li>"
            for t, s in zip(changes.excluded["text"], changes.excluded["status"], strict=True)
        )
        parts.append(
            '<p class="not">Utveckling för nya och omformulerade frågor redovisas ej, eftersom '
            f'jämförelse med {data.previous_year} saknas:</p><ul class="not">{items}</ul>'
        )
    return _wrap(report, *parts)


def top_units_section(report: Report) -> Any:
    """The schools with the highest AMI (ties share a place)."""
    if report.too_small or report.kind == LEDARE:
        return None
    cfg = report.params.report
    table = top_units(report.data, report.unit_id, cfg.school_types, cfg.top_units)
    if table.empty:
        return None
    rows = [
        [str(p), name, utype, str(shown)]
        for p, name, utype, shown in zip(
            table["place"], table["unit_name"], table["unit_type"], table["shown"], strict=True
        )
    ]
    return _wrap(
        report,
        _h2(f"Toppresultat (AMI) – topp {len(table)} skolor"),
        _p(
            "Skolor med högst AMI. Lika avrundat resultat delar placering; alla skolor som delar "
            "sista placeringen visas.",
            "not",
        ),
        html_table(["Placering", "Skola", "Skolform", "AMI"], rows, [True, False, False, True]),
    )


def under_threshold_section(report: Report) -> Any:
    """Schools with displayed AMI under the good level: action plans, counted per school form."""
    if report.too_small or report.kind == LEDARE:
        return None
    cfg, levels, year = report.params.report, report.params.levels, report.data.year
    if not school_units(report.data, report.unit_id, cfg.school_types):
        return None
    result = units_under_threshold(report.data, report.unit_id, cfg.school_types, levels.good_from)
    parts = [
        _h2(f"AMI under {levels.good_from}"),
        _p(
            f"Enhetschef/rektor som har ett AMI-resultat under {levels.good_from} för sin "
            "enhet/skola upprättar en handlingsplan som stäms av med överordnad chef senast den "
            f"{cfg.action_plan_deadline} {year}."
        ),
    ]
    parts.append(
        html_table(
            ["Skolform", f"Antal under {levels.good_from}"],
            [
                [t, str(c)]
                for t, c in zip(result.counts["unit_type"], result.counts["count"], strict=True)
            ],
            [False, True],
        )
    )
    if not result.units.empty:
        parts.append(
            html_table(
                ["Skola", "Skolform", "AMI"],
                [
                    [n, t, str(s)]
                    for n, t, s in zip(
                        result.units["unit_name"],
                        result.units["unit_type"],
                        result.units["shown"],
                        strict=True,
                    )
                ],
                [False, False, True],
            )
        )
    for k, sentence in (
        (result.suppressed, "{k} {schools} har för få svar för att AMI ska visas."),
        (result.protected, "För {k} {schools} visas inte AMI: siffran är " + PROTECTED + "."),
    ):
        if k:
            parts.append(_p(sentence.format(k=k, schools="skola" if k == 1 else "skolor"), "not"))
    return _wrap(report, *parts)


def targets_section(report: Report) -> Any:
    """AMI against the nämnd's and the city's targets."""
    if report.too_small or AMI not in ami_measures(report.data):
        return None
    targets = {
        "Nämndens mål": report.params.targets.ami_namnd,
        "Stadens mål": report.params.targets.ami_stad,
    }
    shown = report.figures.get(AMI)
    table = target_table(shown, targets)
    lines = []
    if shown.published:
        reached = [
            f"{label.lower()} ({target})"
            for label, target, ok in zip(
                table["label"], table["target"], table["reached"], strict=True
            )
            if ok
        ]
        missed = [
            f"{_amount(target - shown.rounded)} under {label.lower()} ({target})"
            for label, target, ok in zip(
                table["label"], table["target"], table["reached"], strict=True
            )
            if not ok
        ]
        clauses = ([f"når {_join(reached)}"] if reached else []) + (
            [f"ligger {_join(missed)}"] if missed else []
        )
        lines.append(f"AMI {shown.text} " + " men ".join(clauses) + ".")
    return _wrap(
        report,
        _h2("AMI mot målen"),
        _summary(lines),
        _chart(
            [shown.value],
            lambda: plots.target_chart(shown.value, targets, report.params.levels, shown.text),
            "AMI mot målen",
            [shown.text],
        ),
        html_table(
            ["Mål", "Målvärde", "AMI", "Skillnad"],
            [
                [lbl, str(t), _value_cell(txt), _value_cell(gap)]
                for lbl, t, txt, gap in zip(
                    table["label"], table["target"], table["text"], table["gap_text"], strict=True
                )
            ],
            [False, True, True, True],
        ),
    )


def questions_section(report: Report) -> Any:
    """Results per question within each area, with the policy text of the area."""
    if report.too_small:
        return None
    data, levels = report.data, report.params.levels
    results = question_results(data, report.figures, levels)
    if results.empty:
        return None
    parts = [_h2("Resultat på enskilda frågor"), _level_legend(levels)]
    for area in dict.fromkeys(results["area"]):
        rows = results[results["area"] == area]
        area_shown = report.figures.get(area_measure(area)) if area else Shown()
        title = area or "Övriga frågor"
        suffix = (
            f" – index {area_shown.text}" if area and report.figures.has(area_measure(area)) else ""
        )
        parts.append(f"<h3>{_e(title.upper())}{_e(suffix)}</h3>")
        description = area_text(area) if area else None
        if description:
            parts.append(_p(description))
        if (rows["status"] != "").any():
            parts.append(_new_questions_note("frågeområdet", data.previous_year))
        parts.append(_question_table(rows, with_bar=True))
    return _wrap(report, *parts)


def leadership_section(report: Report) -> Any:
    """Ledarrapport: the leadership index and its questions for the manager's group."""
    if report.too_small:
        return None
    levels = report.params.levels
    leadership_ids = list(
        report.data.asked_questions.loc[report.data.asked_questions["leadership"], "question_id"]
    )
    if not report.figures.has(LEADERSHIP) and not leadership_ids:
        return None
    table = index_table(report.figures, [LEADERSHIP], levels)
    results = question_results(report.data, report.figures, levels, leadership_ids)
    # the table's bars are the chart: highest first, suppressed last
    results = results.sort_values("value", ascending=False, na_position="last", kind="mergesort")
    change_texts = [*table["change_text"], *results["change_text"]]
    prev = report.data.previous_year
    changed = prev is not None and LEADERSHIP not in report.data.comparable_measures
    if changed:  # the note says why the index has no change; the legend need not repeat it
        change_texts = [t for t in change_texts if t != NO_COMPARISON]
    parts = [
        _h2("Ledarskapsindex"),
        _p(f"Ledarskapsindex bygger på {len(leadership_ids)} frågor om ledarskap. Index 0–100."),
        html_table(
            ["Index", "Värde", "Förändring"],
            [
                [lbl, _value_cell(t, lvl), _value_cell(c)]
                for lbl, t, lvl, c in zip(
                    table["label"], table["text"], table["level"], table["change_text"], strict=True
                )
            ],
            [False, True, True],
        ),
        _new_questions_note("ledarskapsindexet", prev) if changed else "",
        _comparison_note(report, change_texts),
        _level_legend(levels),
        _question_table(results, with_bar=True),
    ]
    return _wrap(report, *parts)


def links_section(report: Report) -> Any:
    """Links to the reports below this one (relative, so the folder can be moved)."""
    if not report.links or report.kind in (LEDARE, ENHET):
        return None
    data = report.data
    parts = []
    children = data.children.get(report.unit_id, [])
    if report.kind == FORVALTNING:
        for omrade in children:
            parts.append(
                f'<h3><a href="{relative_href(FORVALTNING, report_path(OMRADE, omrade))}">'
                f"{_e(data.unit_name(omrade))}</a></h3>"
            )
            enheter = data.children.get(omrade, [])
            if enheter:
                items = "".join(
                    f'<li><a href="{relative_href(FORVALTNING, report_path(ENHET, u))}">'
                    f"{_e(data.unit_name(u))}</a></li>"
                    for u in enheter
                )
                parts.append(
                    f"<details><summary>{len(enheter)} enhetsrapporter</summary>"
                    f"<ul>{items}</ul></details>"
                )
        if data.managers:
            items = "".join(
                f'<li><a href="{relative_href(FORVALTNING, report_path(LEDARE, m))}">'
                f"{_e(data.unit_name(m))}</a></li>"
                for m in data.managers
            )
            parts.append(
                f"<h3>Ledarrapporter</h3><details><summary>{len(data.managers)} "
                f"ledarrapporter</summary><ul>{items}</ul></details>"
            )
    elif report.kind == OMRADE and children:
        items = "".join(
            f'<li><a href="{relative_href(OMRADE, report_path(ENHET, u))}">'
            f"{_e(data.unit_name(u))}</a></li>"
            for u in children
        )
        parts.append(f"<ul>{items}</ul>")
    if not parts:
        return None
    return _wrap(report, _h2("Fler rapporter"), *parts)


def provenance_section(report: Report) -> Any:
    """The provenance footer: input hash, parameters, code version, package versions."""
    prov = report.provenance
    git = prov.get("git", {})
    commit = git.get("commit") or "okänd"
    dirty = git.get("dirty")
    dirty_text = {True: "ja", False: "nej"}.get(dirty, "okänt")
    packages = ", ".join(f"{k} {v}" for k, v in sorted(prov.get("packages", {}).items()))
    params_text = json.dumps(prov.get("params", {}), ensure_ascii=False, indent=1, sort_keys=True)
    data = report.data
    return _wrap(
        report,
        "<footer>",
        "<h3>Om rapporten</h3>",
        _p(
            f"Alla siffror bygger på de publicerade, sekretessgranskade tabellerna för "
            f"{data.year}. Ett värde som vilar på färre än "
            f"{report.params.privacy.min_group_size} svarande visas som ”{SUPPRESSED}”."
        ),
        _p(protection_note(report.params.privacy.min_group_size))
        if PROTECTED in report.hidden_shown
        else "",
        f"<p>Indata (SHA-256): <code>{_e(prov.get('input_sha256', ''))}</code></p>",
        f"<p>Kodversion (git commit): <code>{_e(commit)}</code> · ej incheckade ändringar: "
        f"{dirty_text}</p>",
        f"<p>Underkända rader i indata: {data.rows_rejected}</p>",
        f"<p>Paketversioner: {_e(packages)}</p>",
        "<details><summary>Parametrar</summary>",
        _p(
            "Per steg de avsnitt i params.yaml som steget läser, som de var när steget "
            "kördes: indexes (index och sekretess, meta.json), drivers (drivkraftsanalysen, "
            "drivers.json) och render (rapporterna)."
        ),
        f"<pre>{_e(params_text)}</pre></details>",
        "</footer>",
    )
