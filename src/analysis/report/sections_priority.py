"""The priority matrix section: the matrix, styrkor and fokusområden, or why there is none.

Where the importances come from (own analysis, borrowed, a small basis) and why a
report has no matrix are said in words here; the markup is ``templates/priority.html.j2``.
Counts shown are of questions or parameters, never of respondents beyond the
published ``n_used``: a respondent count that is no published row could be small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analysis.core.catalogue import question_measure
from analysis.core.contract import (
    BASIS_BORROWED,
    BASIS_OWN_BELOW_MIN_N,
    BASIS_SHRUNK,
    BELOW_MIN_OWN,
    COLLINEAR,
    CONSTANT_OUTCOME,
    LIKE_PARENT,
    MISSING_LISTWISE,
    MISSING_PAIRWISE,
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
from analysis.core.rounding import round_half_up
from analysis.drivers import priority
from analysis.report import priority_points
from analysis.report.context import Report
from analysis.report.markup import figure, show, table
from analysis.report.phrases import (
    SUPPRESSED,
    closed,
    hidden_predicate,
    join_words,
    quoted,
    the_questions,
)
from analysis.report.priority_basis import PriorityStatus, priority_status
from analysis.report.processed import FORVALTNING, LEDARE

#: why a unit has no driver analysis of its own (``borrow_code``), completing
#: "För <enhet> görs ingen egen drivkraftsanalys: ..."; {questions} = quoted texts.
OWN_ANALYSIS_MISSING = {
    SMALL: "för få svarande har {answered} (minst {min_n} behövs)",
    BELOW_MIN_OWN: "för få svarande har {answered} (minst {min_own} behövs)",
    LIKE_PARENT: ("sambanden i svaren skiljer sig inte från helhetens mer än slumpen kan förklara"),
    TOO_FEW: "för få svarande har {answered}",
    NO_VARIANCE: (
        "alla som {answered} gav samma svar på {questions}, så {the_questions_of} "
        "betydelse går inte att skatta"
    ),
    COLLINEAR: (
        "svaren på {questions} följer varandra helt, så frågornas betydelse går inte att skilja åt"
    ),
    CONSTANT_OUTCOME: "alla som {answered} har samma motivationsvärde",
    NOTHING_EXPLAINED: "frågorna förklarar ingenting av skillnaderna i motivation",
    UNSTABLE: "resultatet blir för osäkert (för många slumpade omdragningar saknar variation)",
}
#: who the analysis rests on, by drivers.missing ({answered} above; the notes below)
ANSWERED = {MISSING_LISTWISE: "svarat på alla frågor", MISSING_PAIRWISE: "svarat på frågorna"}
#: a shrunk matrix this much (%) the unit's own reads as its own analysis
OWN_ENOUGH = 95
WITH_ANSWERS = {
    MISSING_LISTWISE: "med svar på alla frågor",
    MISSING_PAIRWISE: (
        "med svar på minst en av frågorna (varje samband mellan två frågor skattas på dem "
        "som besvarat båda)"
    ),
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

#: how a note reads: a plain note or a caution
NOTE, CAUTION = "note", "caution"


@dataclass(frozen=True)
class Note:
    """One paragraph of the section, and how it reads."""

    text: str
    tone: str = NOTE


@dataclass(frozen=True)
class Missing:
    """Why there is no matrix, and the questions to blame (under ``title``) when listed."""

    sentence: str
    title: str = ""
    items: tuple[str, ...] = ()


def priority_section(report: Report) -> Any:
    """The priority matrix with its five styrkor and five fokusområden, or why there is none."""
    if report.too_small:
        return None
    from analysis.report.plot_priority import priority_matrix_figure

    status = priority_status(report.data, report.unit_id)
    frame = status.table
    excluded = _excluded_questions_note(report, status)
    if frame.empty:
        return show(
            report,
            "priority.html.j2",
            missing=_no_priority_matrix(report, status),
            excluded=excluded,
        )
    texts = report.data.question_texts
    matrix = priority_matrix_figure(frame, texts, f"Prioriteringsmatris – {report.name}")
    points = priority_points.matrix_rows(frame, texts)
    quadrants = []
    for title, intro, rows in (
        (
            "Styrkor",
            "De frågor som värderas högst och samtidigt har störst påverkan på "
            "motivationen hos medarbetarna.",
            priority.styrkor(frame),
        ),
        (
            "Fokusområden",
            "De frågor som värderas lägst och samtidigt har störst påverkan på "
            "motivationen hos medarbetarna.",
            priority.fokusomraden(frame),
        ),
    ):
        listed = None
        if not rows.empty:
            listed = table(
                ["Fråga", "Resultat"],
                [
                    [texts.get(q, q), str(round_half_up(s))]
                    for q, s in zip(rows["question_id"], rows["score"], strict=True)
                ],
                [False, True],
            )
        quadrants.append({"title": title, "intro": intro, "table": listed})
    return show(
        report,
        "priority.html.j2",
        missing=None,
        chart=figure(
            matrix,
            priority_points.TITLE,
            priority_points.matrix_points(points),
            data=priority_points.matrix_table(points),
        ),
        basis=_priority_basis_note(report, status),
        excluded=excluded,
        uncertain=_uncertainty_note(report, frame),
        quadrants=quadrants,
    )


def _uncertainty_note(report: Report, frame: Any) -> str:
    """Which drivers' side of the importance line is a near coin flip, and which weigh surely
    negatively once the others are held constant (suppressor-like), or "".

    A negative ``beta`` is named only when the resamples confirm it
    (:func:`priority.surely_negative`): most negative weights are noise (on the
    synthetic default, whose planted effects are all >= 0, the förvaltning has
    four)."""
    texts = report.data.question_texts
    sentences = []
    if "p_high" in frame:
        shaky = frame.loc[priority.unsettled(frame["importance"], frame["p_high"]), "question_id"]
        if len(shaky):
            settled = round(priority.SETTLED_SHARE * 10)
            sentences.append(
                f"Osäker placering (ofylld punkt): {quoted(texts.get(q, q) for q in shaky)} "
                f"hamnar på samma sida av den lodräta mittlinjen i färre än {settled} av 10 "
                f"omdragningar av svaren, så om {the_questions(len(shaky))} hör till de "
                "viktigare eller de mindre viktiga är inte säkert."
            )
    if "p_random" in frame:
        sentences += _random_variable_note(report, frame)
    if {"beta", "p_negative"} <= set(frame.columns):
        negative = frame.loc[
            priority.surely_negative(frame["beta"], frame["p_negative"]), "question_id"
        ]
        if len(negative):
            per_mille = round(priority.SURELY_NEGATIVE_SHARE * 1000)
            these = the_questions(len(negative))
            sentences.append(
                "Negativ vikt: när de andra frågorna hålls konstanta hänger "
                f"{quoted(texts.get(q, q) for q in negative)} negativt ihop med motivationen "
                f"(i minst {per_mille} av 1 000 omdragningar av svaren). {these.capitalize()} "
                "fångar främst det som de andra frågorna redan mäter, så läs "
                f"{the_questions(len(negative), genitive=True)} plats i matrisen med försiktighet."
            )
    return " ".join(sentences)


def _random_variable_note(report: Report, frame: Any) -> list[str]:
    """The test against a random variable, in one sentence: the few questions that fail it,
    or (when most do, as in a unit of a hundred) how many, naming the few that pass."""
    texts = report.data.question_texts
    like = priority.like_random(frame["p_random"])
    chance, sure = frame.loc[like, "question_id"], frame.loc[~like, "question_id"]
    if not len(chance):
        return []
    test = (
        f"i fler än {round(priority.RANDOM_LIMIT * 1000)} av 1 000 omdragningar av svaren väger "
        "en påhittad fråga med slumpmässiga svar minst lika tungt"
    )
    if len(chance) <= priority.MAX_LISTED:
        these = the_questions(len(chance))
        return [
            f"Skiljer sig inte säkert från slumpen: {quoted(texts.get(q, q) for q in chance)} — "
            f"{test}, så {these} kan sakna betydelse för motivationen."
        ]
    total = len(frame)
    if not len(sure):
        return [
            f"Ingen av de {total} frågorna skiljer sig säkert från slumpen: för var och en "
            f"gäller att {test}. Med så här få svarande går det inte att säga säkert vilka "
            "frågor som väger tyngst; läs matrisen som en fingervisning."
        ]
    if len(sure) <= priority.MAX_LISTED:
        return [
            f"Bara {len(sure)} av {total} frågor skiljer sig säkert från slumpen: "
            f"{closed(quoted(texts.get(q, q) for q in sure))} För de andra gäller att {test}, så "
            "deras plats i matrisen är osäker."
        ]
    return [
        f"{len(chance)} av {total} frågor skiljer sig inte säkert från slumpen: för dem gäller "
        f"att {test}, så deras plats i matrisen är osäker."
    ]


def _question_texts(report: Report, question_ids: Sequence[str]) -> str:
    texts = report.data.question_texts
    return quoted(texts.get(q, q) for q in question_ids)


def _reason_text(
    template: str, report: Report, status: PriorityStatus, questions: Sequence[str]
) -> str:
    return template.format(
        min_n=report.data.driver_min_n,
        min_own=report.data.driver_notes.get("min_own", ""),
        questions=_question_texts(report, questions) or "en fråga",
        the_questions_of=the_questions(max(len(questions), 1), genitive=True),
        n_drivers=status.n_drivers,
        answered=ANSWERED[report.data.driver_missing],
    )


def _excluded_questions_note(report: Report, status: PriorityStatus) -> str:
    """The questions left out of the year's drivers (never validly answered), or ""."""
    if not status.excluded:
        return ""
    return (
        f"Ingår inte i analysen: {_question_texts(report, status.excluded)} – "
        f"{the_questions(len(status.excluded))} ställdes men fick bara ”vet ej”-svar "
        "eller inga svar alls."
    )


def _priority_basis_note(report: Report, status: PriorityStatus) -> Note:
    """Whose analysis the matrix shows, on how many respondents, and how to read it."""
    n_used = status.n_used
    if status.basis == BASIS_BORROWED or (status.source and status.source != report.unit_id):
        lender = report.data.unit_name(status.source)
        template = OWN_ANALYSIS_MISSING.get(status.borrow_code, "underlaget räcker inte")
        why = _reason_text(template, report, status, status.questions)
        whose = "gruppens" if report.kind == LEDARE else "enhetens"
        return Note(
            f"För {report.name} görs ingen egen drivkraftsanalys: {why}. Frågornas betydelse "
            f"(x-axeln) kommer därför från analysen för {lender}; resultaten (y-axeln) är "
            f"{whose} egna. Analysen för {lender} bygger på {n_used} svarande "
            f"{WITH_ANSWERS[report.data.driver_missing]}."
        )
    if status.basis == BASIS_SHRUNK:
        return _shrunk_note(report, status)
    if status.basis == BASIS_OWN_BELOW_MIN_N:
        return Note(
            f"Tolka försiktigt: analysen bygger på bara {n_used} svarande "
            f"{WITH_ANSWERS[report.data.driver_missing]} (riktvärdet för en egen analys är "
            f"minst {report.data.driver_min_n}).",
            CAUTION,
        )
    return Note(f"Analysen bygger på {n_used} svarande {WITH_ANSWERS[report.data.driver_missing]}.")


def _shrunk_note(report: Report, status: PriorityStatus) -> Note:
    """How much of a shrunk matrix is the unit's own: a reader must know what they act on."""
    whose = "gruppens" if report.kind == LEDARE else "enhetens"
    answered = f"{status.n_used} svarande {WITH_ANSWERS[report.data.driver_missing]}"
    share = round_half_up(100 * status.own_weight)
    parent = report.data.unit_name(status.towards) if status.towards else "organisationen"
    if share >= OWN_ENOUGH:
        return Note(f"Analysen bygger på {answered}.")
    if share == 0:
        return Note(
            f"Frågornas betydelse (x-axeln) är densamma som för {parent}: sambanden bland "
            f"{whose} {answered} skiljer sig inte från dem mer än slumpen kan förklara. "
            f"Resultaten (y-axeln) är {whose} egna."
        )
    return Note(
        f"Frågornas betydelse (x-axeln) bygger till {share} % på {whose} egna svar "
        f"({answered}) och i övrigt på sambanden i {parent}: med så få svar säger de egna "
        f"svaren inte ensamma vad som driver motivationen. Resultaten (y-axeln) är {whose} egna."
    )


def _no_priority_matrix(report: Report, status: PriorityStatus) -> Missing:
    """One clear sentence (and the questions) on why this report has no priority matrix."""
    year, name = report.data.year, report.name
    if status.why_none == NOT_ANALYSED:
        template = NO_ANALYSIS_AT_ALL.get(status.root_code, "underlaget räcker inte")
        why = _reason_text(template, report, status, status.questions)
        text = f"Ingen drivkraftsanalys för {year}: {why}."
        if status.root_code == TOO_FEW and status.questions:
            text += f" Flest saknade svar har frågorna {_question_texts(report, status.questions)}."
        if report.kind != FORVALTNING:
            text += " Det gäller hela förvaltningen, så ingen rapport har någon matris i år."
        return Missing(f"Prioriteringsmatris saknas. {text}")
    if status.why_none == SUPPRESSED_SCORES:
        n_hidden = len(status.questions)
        total = status.n_drivers or n_hidden
        who = "chefens grupp" if report.kind == LEDARE else name
        texts = report.data.question_texts
        why = {q: report.figures.get(question_measure(q)).text for q in status.questions}
        counts = {t: list(why.values()).count(t) for t in dict.fromkeys(why.values())}
        if set(counts) == {SUPPRESSED}:  # the words the threshold alone has always had
            head = (
                f"{n_hidden} av {total} frågor har för få svar i {who} för att resultatet ska "
                "kunna visas"
            )
            title, items = "Frågor med för få svar", [texts.get(q, q) for q in why]
        else:
            each = join_words([f"{k} {hidden_predicate([t], k)}" for t, k in counts.items()])
            head = f"resultatet för {n_hidden} av {total} frågor visas inte i {who} ({each})"
            title = "Frågor vars resultat inte visas"
            items = [f"{texts.get(q, q)} – {t}" for q, t in why.items()]
        return Missing(
            f"Prioriteringsmatris saknas: {head}, och matrisen visas bara när alla frågors "
            "resultat kan visas.",
            title,
            tuple(items),
        )
    return Missing(
        f"Prioriteringsmatris saknas: underlaget räcker inte för en drivkraftsanalys för {name}."
    )
