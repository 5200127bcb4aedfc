"""The priority section says where a matrix's importances come from, or why there is none.

Worked on the hand-made processed year of ``tests/report_fixture.py`` (and
copies of it with drivers.parquet/drivers.json changed as the drivers stage
writes them in each situation); the expected Swedish sentences are stated in
full, so a reader sees exactly what a unit head reads.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import report_fixture as rf
from bs4 import BeautifulSoup

from analysis.report import sections as rs
from analysis.report.context import open_report
from analysis.report.priority_basis import priority_status
from analysis.report.processed import load_processed_year


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    return rf.write_fixture(tmp_path_factory.mktemp("processed") / "2023")


def _provenance(processed: Path) -> str:
    from analysis.core.provenance import collect_provenance

    data = load_processed_year(processed)
    return json.dumps(collect_provenance(data, rf.fixture_params()))


def section_text(processed: Path, unit_id: str) -> str:
    report = open_report(processed, unit_id, _provenance(processed))
    shown = rs.priority_section(report)
    assert shown is not None
    return " ".join(BeautifulSoup(shown.data, "html.parser").get_text(" ").split())


def _copy(processed: Path, tmp_path: Path) -> Path:
    target = tmp_path / "2023"
    shutil.copytree(processed, target)
    return target


def _rewrite_notes(directory: Path, **changes) -> None:
    notes = json.loads((directory / "drivers.json").read_text("utf-8")) | changes
    (directory / "drivers.json").write_text(json.dumps(notes, ensure_ascii=False), "utf-8")


# --------------------------------------------------------------- data layer


def test_priority_status_of_own_borrowed_and_missing_matrices(processed: Path) -> None:
    data = load_processed_year(processed)
    own = priority_status(data, "F")
    assert (own.source, own.basis, own.n_used, own.why_none) == ("F", "own", 110, "")
    borrowed = priority_status(data, "manager:M1")
    assert (borrowed.source, borrowed.basis, borrowed.borrow_code) == ("N", "borrowed", "small")
    assert borrowed.n_used == 58 and len(borrowed.table) == 9
    missing = priority_status(data, "manager:M3")
    assert missing.table.empty
    assert (missing.why_none, missing.questions) == ("suppressed_scores", ("q7",))


# --------------------------------------------------------------- the section


def test_own_analysis_states_its_respondents(processed: Path) -> None:
    text = section_text(processed, "F")
    assert "Analysen bygger på 110 svarande med svar på alla frågor." in text
    assert "Tolka försiktigt" not in text and "görs ingen egen" not in text


def test_a_borrowing_unit_names_the_lender_and_the_lender_s_respondents(
    processed: Path,
) -> None:
    text = section_text(processed, "A")
    assert (
        "För Alfaskolan görs ingen egen drivkraftsanalys: för få svarande har svarat på alla "
        "frågor (minst 100 behövs). Frågornas betydelse (x-axeln) kommer därför från analysen "
        "för Område Norr; resultaten (y-axeln) är enhetens egna. Analysen för Område Norr "
        "bygger på 58 svarande med svar på alla frågor."
    ) in text
    assert "Analysen bygger på" not in text  # never the lender's n as the unit's own


def test_a_leader_report_shows_the_borrowed_matrix_of_their_group(processed: Path) -> None:
    text = section_text(processed, "manager:M1")
    assert "För Chef M1 görs ingen egen drivkraftsanalys" in text
    assert "resultaten (y-axeln) är gruppens egna" in text
    assert "Styrkor" in text and "Fokusområden" in text


def test_a_unit_that_borrowed_because_of_degenerate_answers_says_so(
    processed: Path, tmp_path: Path
) -> None:
    directory = _copy(processed, tmp_path)
    _set_drivers(directory, {"borrow_code": "no_variance"}, unit_id="A")
    _rewrite_notes(
        directory, borrowed={"A": {"from": "N", "code": "no_variance", "questions": ["q8"]}}
    )
    text = section_text(directory, "A")
    assert (
        "För Alfaskolan görs ingen egen drivkraftsanalys: alla som svarat på alla frågor gav "
        "samma svar på ”Jag har de digitala verktyg jag behöver”, så frågans betydelse går "
        "inte att skatta."
    ) in text
    assert "för få svar" not in text


def _set_drivers(directory: Path, values: dict[str, object], **where: str) -> None:
    """drivers.parquet with ``values`` set on the rows matching ``where`` (column = value)."""
    drivers = pd.read_parquet(directory / "drivers.parquet")
    rows = np.logical_and.reduce([drivers[column] == value for column, value in where.items()])
    for column, value in values.items():
        drivers.loc[rows, column] = value
    drivers.to_parquet(directory / "drivers.parquet", index=False)


def _shrunk(directory: Path, unit_id: str, own_weight: float, towards: str) -> None:
    shrunk = {"importance_from": unit_id, "basis": "shrunk", "own_weight": own_weight}
    _set_drivers(directory, shrunk | {"borrow_code": ""}, unit_id=unit_id)
    _rewrite_notes(
        directory,
        borrowed={},
        shrinkage={"tau2": 0.01, "noise": {unit_id: 0.01}, "towards": {unit_id: towards}},
    )


def test_a_shrunk_matrix_says_how_much_of_it_is_the_unit_s_own(
    processed: Path, tmp_path: Path
) -> None:
    directory = _copy(processed, tmp_path)
    _shrunk(directory, "A", 0.384, "N")
    text = section_text(directory, "A")
    assert (
        "Frågornas betydelse (x-axeln) bygger till 38 % på enhetens egna svar (58 svarande "
        "med svar på alla frågor) och i övrigt på sambanden i Område Norr: med så få svar "
        "säger de egna svaren inte ensamma vad som driver motivationen. Resultaten (y-axeln) "
        "är enhetens egna."
    ) in text
    assert "görs ingen egen" not in text
    _shrunk(directory, "A", 0.951, "N")  # 95 % or more of its own: its own analysis
    text = section_text(directory, "A")
    assert "Analysen bygger på 58 svarande med svar på alla frågor." in text
    assert "Område Norr" not in text.split("Analysen bygger på")[1][:200]


def test_a_leader_with_a_suppressed_score_is_told_which_question(processed: Path) -> None:
    report = open_report(processed, "manager:M3", _provenance(processed))
    soup = BeautifulSoup(rs.priority_section(report).data, "html.parser")
    text = " ".join(soup.get_text(" ").split())
    assert (
        "Prioriteringsmatris saknas: 1 av 9 frågor har för få svar i chefens grupp för att "
        "resultatet ska kunna visas, och matrisen visas bara när alla frågors resultat kan "
        "visas."
    ) in text
    assert [li.get_text() for li in soup("li")] == [
        "Jag känner till vilka lönekriterierna är på min arbetsplats"
    ]
    assert soup.find("img") is None


def test_a_forvaltning_below_min_n_is_marked_interpret_with_care(
    processed: Path, tmp_path: Path
) -> None:
    directory = _copy(processed, tmp_path)
    _set_drivers(directory, {"basis": "own_below_min_n"}, unit_id="F")
    text = section_text(directory, "F")
    assert (
        "Tolka försiktigt: analysen bygger på bara 110 svarande med svar på alla frågor "
        "(riktvärdet för en egen analys är minst 100)."
    ) in text


@pytest.mark.parametrize(
    ("code", "questions", "expected"),
    [
        pytest.param(
            "no_motivation", [],
            "Prioriteringsmatris saknas. Ingen drivkraftsanalys för 2023: inga frågor om "
            "motivation (AMI-delindex Motivation) ställdes i år, så det finns inget "
            "motivationsvärde att förklara.",
            id="no motivation questions",
        ),
        pytest.param(
            "too_few", ["q7", "q8"],
            "Prioriteringsmatris saknas. Ingen drivkraftsanalys för 2023: för få svarande har "
            "svarat på alla 9 frågor: analysen behöver fler svarande än frågor. Flest "
            "saknade svar har frågorna ”Jag känner till vilka lönekriterierna är på min "
            "arbetsplats”, ”Jag har de digitala verktyg jag behöver”.",
            id="disjoint questions",
        ),
        pytest.param(
            "collinear", ["q3", "q4"],
            "Prioriteringsmatris saknas. Ingen drivkraftsanalys för 2023: svaren på ”Min chef "
            "visar mig uppskattning för mina arbetsinsatser”, ”Min chef visar förtroende för "
            "mig som medarbetare” följer varandra helt, så frågornas betydelse går inte att "
            "skilja åt.",
            id="collinear",
        ),
    ],
)  # fmt: skip
def test_a_year_without_any_analysis_says_why_in_swedish(
    processed: Path, tmp_path: Path, code: str, questions: list, expected: str
) -> None:
    directory = _copy(processed, tmp_path)
    pd.read_parquet(directory / "drivers.parquet").iloc[:0].to_parquet(
        directory / "drivers.parquet", index=False
    )
    root = {"status": "not_analysed", "code": code, "message": "...", "questions": questions}
    _rewrite_notes(directory, root_analysis=root, without_rows={})
    forvaltning = section_text(directory, "F")
    assert expected in forvaltning
    assert "Det gäller hela förvaltningen" not in forvaltning
    omrade = section_text(directory, "N")
    assert expected in omrade
    assert "Det gäller hela förvaltningen, så ingen rapport har någon matris i år." in omrade


def test_questions_left_out_are_named(processed: Path, tmp_path: Path) -> None:
    directory = _copy(processed, tmp_path)
    _rewrite_notes(directory, excluded=["q9"])
    text = section_text(directory, "F")
    assert (
        "Ingår inte i analysen: ”Jag vet vart jag ska vända mig om jag utsätts för kränkande "
        "särbehandling” – frågan ställdes men fick bara ”vet ej”-svar eller inga svar alls."
    ) in text
    _rewrite_notes(directory, excluded=["q8", "q9"])
    assert "” – frågorna ställdes men fick bara ”vet ej”-svar" in section_text(directory, "F")


def test_every_reason_the_drivers_stage_records_has_a_swedish_explanation() -> None:
    from analysis.core import contract as c
    from analysis.report.sections import NO_ANALYSIS_AT_ALL, OWN_ANALYSIS_MISSING

    sample = {c.TOO_FEW, c.NO_VARIANCE, c.COLLINEAR, c.CONSTANT_OUTCOME, c.NOTHING_EXPLAINED}
    borrowing = {c.SMALL, c.UNSTABLE, c.BELOW_MIN_OWN, c.LIKE_PARENT}
    assert sample | borrowing <= set(OWN_ANALYSIS_MISSING)
    year = {c.NO_QUESTIONS, c.NO_MOTIVATION, c.NO_OUTCOME, c.NO_DRIVERS}
    assert sample | year | {c.UNSTABLE} <= set(NO_ANALYSIS_AT_ALL)


def test_an_unsettled_placement_is_named_and_a_negative_weight_only_when_sure(
    processed: Path, tmp_path: Path
) -> None:
    """F's median importance is 0.12: q8 (0.12) sits in the high half, but only 6 of 10
    resamples agree (p_high 0.6 < 0.8); q5's standardised weight is negative in 97 % of the
    resamples (not sure: under 97.5 %)."""
    directory = _copy(processed, tmp_path)
    _set_drivers(directory, {"p_high": 0.6}, unit_id="F", question_id="q8")
    _set_drivers(directory, {"beta": -0.1, "p_negative": 0.97}, unit_id="F", question_id="q5")
    text = section_text(directory, "F")
    assert (
        "Osäker placering (ofylld punkt): ”Jag har de digitala verktyg jag behöver” hamnar på "
        "samma sida av den lodräta mittlinjen i färre än 8 av 10 omdragningar av svaren, så om "
        "frågan hör till de viktigare eller de mindre viktiga är inte säkert."
    ) in text
    # a negative regression weight that 3 % of the resamples contradict is not named
    assert "Negativ" not in text
    plain = section_text(processed, "F")  # the settled fixture
    assert "Osäker placering" not in plain

    # in 98 % of the resamples: surely negative, named with its question text
    _set_drivers(directory, {"p_negative": 0.98}, unit_id="F", question_id="q5")
    text = section_text(directory, "F")
    q5 = "”Jag är insatt i min arbetsplats mål”"
    assert (
        f"Negativ vikt: när de andra frågorna hålls konstanta hänger {q5} negativt ihop med "
        "motivationen (i minst 975 av 1 000 omdragningar av svaren). Frågan fångar främst det "
        "som de andra frågorna redan mäter, så läs frågans plats i matrisen med försiktighet."
    ) in text
    assert "slumpen" not in text  # the fixture's drivers all beat the random variable

    # the test against a random variable: in 10 % of the resamples it weighs as much as q7
    _set_drivers(directory, {"p_random": 0.1}, unit_id="F", question_id="q7")
    assert (
        "Skiljer sig inte säkert från slumpen: ”Jag känner till vilka lönekriterierna är på min "
        "arbetsplats” — i fler än 25 av 1 000 omdragningar av svaren väger en påhittad fråga med "
        "slumpmässiga svar minst lika tungt, så frågan kan sakna betydelse för motivationen."
    ) in section_text(directory, "F")


def test_unsettled_means_fewer_than_eight_in_ten_resamples_on_the_published_side() -> None:
    from analysis.drivers.priority import high_importance_share, unsettled

    # three resamples of three drivers: the first always highest, the third always lowest,
    # the middle one in the high half (>= the median) every time
    shares = [[0.5, 0.3, 0.2], [0.6, 0.25, 0.15], [0.4, 0.35, 0.25]]
    assert high_importance_share(shares).tolist() == [1.0, 1.0, 0.0]
    # published 0.5 / 0.3 / 0.2: median 0.3, so the second is high; p_high 0.7 < 0.8
    assert unsettled([0.5, 0.3, 0.2], [1.0, 0.7, 0.0]).tolist() == [False, True, False]
    assert unsettled([0.5, 0.3, 0.2], [1.0, 0.8, 0.25]).tolist() == [False, False, True]


def test_when_most_drivers_fail_the_random_variable_test_the_few_that_pass_are_named(
    processed: Path, tmp_path: Path
) -> None:
    """F has 9 drivers. In a unit of a hundred most may not beat a random variable: listing
    them all would bury the point, so the report counts them and names the few that pass."""
    directory = _copy(processed, tmp_path)
    _set_drivers(directory, {"p_random": 0.3}, unit_id="F")
    _set_drivers(directory, {"p_random": 0.0}, unit_id="F", question_id="q5")
    assert (
        "Bara 1 av 9 frågor skiljer sig säkert från slumpen: ”Jag är insatt i min arbetsplats "
        "mål”. För de andra gäller att i fler än 25 av 1 000 omdragningar av svaren väger en "
        "påhittad fråga med slumpmässiga svar minst lika tungt, så deras plats i matrisen är "
        "osäker."
    ) in section_text(directory, "F")

    _set_drivers(directory, {"p_random": 0.3}, unit_id="F")  # none passes
    assert "Ingen av de 9 frågorna skiljer sig säkert från slumpen" in section_text(directory, "F")


def test_a_question_ending_in_a_full_stop_ends_the_sentence_without_a_second_one(
    processed: Path, tmp_path: Path
) -> None:
    """Swedish typography: '… ”Jag är insatt i min arbetsplats mål.” För …', never '.”.'."""
    directory = _copy(processed, tmp_path)
    questions = pd.read_parquet(directory / "questions.parquet")
    q5 = questions["question_id"] == "q5"
    questions.loc[q5, "text"] = questions.loc[q5, "text"] + "."
    questions.to_parquet(directory / "questions.parquet", index=False)
    drivers = pd.read_parquet(directory / "drivers.parquet")
    at_f = drivers["unit_id"] == "F"
    drivers.loc[at_f, "p_random"] = 0.3
    drivers.loc[at_f & (drivers["question_id"] == "q5"), "p_random"] = 0.0
    drivers.to_parquet(directory / "drivers.parquet", index=False)
    text = section_text(directory, "F")
    assert (
        "Bara 1 av 9 frågor skiljer sig säkert från slumpen: ”Jag är insatt i min arbetsplats "
        "mål.” För de andra gäller att i fler än 25 av 1 000 omdragningar av svaren väger en "
        "påhittad fråga med slumpmässiga svar minst lika tungt, så deras plats i matrisen är "
        "osäker."
    ) in text
    assert ".”." not in text


def test_when_many_drivers_pass_and_many_fail_the_report_counts_those_that_fail() -> None:
    from types import SimpleNamespace

    from analysis.report.sections_priority import _random_variable_note

    frame = pd.DataFrame({"question_id": [f"d{i}" for i in range(14)]})
    frame["p_random"] = [0.0] * 6 + [0.2] * 8  # 6 pass, 8 fail: too many to list either way
    report = SimpleNamespace(data=SimpleNamespace(question_texts={}))
    assert _random_variable_note(report, frame) == [
        "8 av 14 frågor skiljer sig inte säkert från slumpen: för dem gäller att i fler än 25 "
        "av 1 000 omdragningar av svaren väger en påhittad fråga med slumpmässiga svar minst "
        "lika tungt, så deras plats i matrisen är osäker."
    ]
