"""Report sections on variants of the fixture year, without running a notebook.

Each test changes one thing in ``tests/report_fixture.py``'s processed year
(a manager without staff of their own, a leadership index whose questions
changed, a chart with nothing to draw) and reads the HTML the section returns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import report_fixture as rf
from bs4 import BeautifulSoup

from analysis.core.provenance import collect_provenance, effective_params
from analysis.report import sections as rs
from analysis.report.context import Report
from analysis.report.orgtree import manager_invited
from analysis.report.processed import ProcessedYear, load_processed_year


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_processed_year(rf.write_fixture(tmp_path_factory.mktemp("sections") / "2023"))


def _report(data: ProcessedYear, unit_id: str) -> Report:
    provenance = collect_provenance(data, rf.fixture_params())
    return Report(data, unit_id, effective_params(provenance), provenance)


def _text(section) -> str:
    return BeautifulSoup(section.data, "html.parser").get_text(" ", strip=True)


def _suppressed_rows(unit_id: str, measures: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": np.int64(rf.YEAR),
            "unit_id": unit_id,
            "group": "all",
            "measure": measures,
            "n": pd.array([pd.NA] * len(measures), dtype="Int64"),
            "value": np.nan,
            "change": np.nan,
            "value_prev": np.nan,
        }
    )


def test_a_manager_without_staff_of_their_own_shows_no_response_rate(data):
    """The förvaltning's head M0: every unit below has its own manager, nobody was invited."""
    units = data.units.copy()
    units.loc[units["unit_id"] == "F", "manager_id"] = "M0"
    units.loc[units["unit_id"].isin(["N", "S"]), "manager_id"] = ["MN", "MS"]
    # what the indexes stage writes for M0: rows, all empty (0 invited, 0 answers)
    extra = _suppressed_rows("manager:M0", ["leadership", "q:q3", "q:q4", "q:q11", "response_rate"])
    head = rf.variant(data, units=units, figures=pd.concat([data.figures, extra]))
    assert manager_invited(head, "manager:M0") == 0
    text = _text(rs.header_section(_report(head, "manager:M0")))
    assert "Inga medarbetare i enkäten har den här chefen som närmaste chef" in text
    assert "Svarsfrekvens" not in text and "för få svar" not in text
    # a manager with staff but too few answers still says so, response rate included
    small = _text(rs.header_section(_report(head, "manager:M2")))
    assert "Svarsfrekvens: för få svar" in small and "För få svar: Chef M2" in small


def test_a_leadership_index_with_new_questions_says_why_it_has_no_change(data):
    """q11 made new in 2023: the index rests on other questions than in 2022."""
    questions = data.questions.copy()
    questions.loc[questions["question_id"] == "q11", "asked_prev"] = False
    changed = rf.variant(data, questions=questions)
    assert "leadership" not in changed.comparable_measures
    section = rs.leadership_section(_report(changed, "manager:M1"))
    soup = BeautifulSoup(section.data, "html.parser")
    index_row = [td.get_text(strip=True) for td in soup.find("table")("td")]
    assert index_row == ["Ledarskapsindex", "81", "ingen jämförelse"]  # 81.3
    text = soup.get_text(" ", strip=True)
    assert "I år innehåller ledarskapsindexet nya eller omformulerade frågor" in text
    assert "jämförelser mot 2022 saknas i vissa fall" in text
    questions_table = soup.find_all("table")[1]
    cells = {
        tr("td")[0].get_text(strip=True)[:22]: tr("td")[2].get_text(strip=True)
        for tr in questions_table("tr")[1:]
    }
    # q3 83.0 vs 82.0 and q4 80.1 vs 79.1 keep their changes; q11 is new
    assert cells == {
        "Min chef visar mig upp": "+1",
        "Min chef visar förtroe": "+1",
        "Min chef ger mig förut": "ny",
    }
    # unchanged catalogue: the index has its change and no such note
    unchanged = _text(rs.leadership_section(_report(data, "manager:M1")))
    assert "I år innehåller ledarskapsindexet" not in unchanged


def test_a_chart_with_nothing_to_draw_is_one_sentence(data):
    """Every gender group of Område Norr suppressed in both years: no chart, one sentence."""
    figures = data.figures.copy()
    hide = (figures["unit_id"] == "N") & figures["group"].str.startswith("gender=")
    figures.loc[hide, ["value", "change", "value_prev"]] = np.nan
    figures.loc[hide, "n"] = pd.NA
    hidden = rf.variant(data, figures=figures)
    section = rs.ami_groups_section(_report(hidden, "N"))
    soup = BeautifulSoup(section.data, "html.parser")
    alts = [img["alt"].split(". ")[0] for img in soup("img")]  # the title; then its numbers
    assert alts == ["AMI per chef/medarbetare"]  # the role chart still has bars
    assert "Diagrammet ”AMI per kön” visas inte: alla värden har för få svar." in soup.get_text()
