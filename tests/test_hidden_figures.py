"""A hidden figure says why it is hidden, and never shows its number.

``suppression`` (contract §5) is ``threshold`` for a figure on fewer than k
respondents - the reports say "för få svar" - and ``complementary`` for one
hidden to protect another, smaller group - the reports say "dold för att
skydda en mindre grupp", and the report explains that once, in its footer.

Worked on ``tests/report_fixture.py``, where Hagaskolan's women are hidden to
protect its men (too few), and on copies of it with one more figure hidden.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import report_fixture as rf
from bs4 import BeautifulSoup
from report_fixture import rendered_year  # noqa: F401  (session fixture)

from analysis.core.contract import COMPLEMENTARY, FIGURES_CSV_COLUMNS, THRESHOLD
from analysis.core.provenance import collect_provenance, effective_params
from analysis.render.workbook import workbook_bytes
from analysis.report import sections as rs
from analysis.report.comparisons import ami_measures, group_breakdown
from analysis.report.context import Report
from analysis.report.figures import Shown
from analysis.report.phrases import protection_note
from analysis.report.processed import ProcessedYear, load_processed_year
from analysis.report.selection import top_units, units_under_threshold
from analysis.report.unit_figures import UnitFigures

TOO_FEW = "för få svar"
PROTECTED = "dold för att skydda en mindre grupp"
NOTE = protection_note(5)
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> ProcessedYear:
    return load_processed_year(rf.write_fixture(tmp_path_factory.mktemp("hidden") / "2023"))


def _hide(data: ProcessedYear, why: str, **where: object) -> ProcessedYear:
    """The fixture year with the rows matching ``where`` (column=value) hidden for ``why``."""
    figures = data.figures.copy()
    rows = np.logical_and.reduce([figures[c] == v for c, v in where.items()])
    figures.loc[rows, ["value", "change", "change_low", "change_high", "value_prev"]] = np.nan
    figures.loc[rows, "n"] = pd.NA
    figures.loc[rows, "suppression"] = why
    return rf.variant(data, figures=figures)


def _report(data: ProcessedYear, unit_id: str) -> Report:
    provenance = collect_provenance(data, rf.fixture_params())
    return Report(data, unit_id, effective_params(provenance), provenance)


def _soup(section) -> BeautifulSoup:
    return BeautifulSoup(section.data, "html.parser")


def _rows(table) -> list[list[str]]:
    return [[c.get_text(" ", strip=True) for c in tr(["td", "th"])] for tr in table("tr")]


def _whole_report(report: Report, notebook: str = "unit_report.ipynb") -> str:
    """Every section the notebook calls, in the notebook's order, as one page of text."""
    cells = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"]
    calls = [
        "".join(c["source"]).strip()
        for c in cells
        if c["cell_type"] == "code" and "".join(c["source"]).startswith("sections.")
    ]
    assert calls[-1] == "sections.provenance_section(report)"  # the footer comes last
    shown = [getattr(rs, call[len("sections.") : call.index("(")])(report) for call in calls]
    return " ".join(_soup(s).get_text(" ", strip=True) for s in shown if s is not None)


# --------------------------------------------------------------- one figure


def test_each_reason_has_its_own_words_and_no_number():
    for why, words in ((THRESHOLD, TOO_FEW), (COMPLEMENTARY, PROTECTED)):
        # a row that (wrongly) kept its number still shows none once it is hidden
        shown = Shown(80.4, 26, why)
        assert (shown.value, shown.n, shown.rounded, shown.published) == (None, None, None, False)
        assert (shown.text, shown.n_text) == (words, words)
    assert Shown(80.4, 26).text == "80" and Shown(80.4, 26).n_text == "26"
    assert Shown().text == TOO_FEW  # no row at all: as before


def test_a_change_says_which_year_is_hidden_and_why(data):
    """The förvaltning's AMI (79.4 against 80.3) with 2022, then 2023 too, hidden."""
    last_year = _hide(data, COMPLEMENTARY, unit_id="F", year=rf.PREV, group="all", measure="AMI")
    ami = UnitFigures(last_year, "F").compare("AMI")
    assert (ami.now.text, ami.prev_text, ami.change, ami.change_text) == (
        "79",
        PROTECTED,
        None,
        PROTECTED,
    )
    both = _hide(last_year, THRESHOLD, unit_id="F", year=rf.YEAR, group="all", measure="AMI")
    ami = UnitFigures(both, "F").compare("AMI")
    # this year's reason first: its own figure is what the row is about
    assert (ami.now.text, ami.prev_text, ami.change_text) == (TOO_FEW, PROTECTED, TOO_FEW)


def test_the_groups_table_reads_each_reason(data):
    """Hagaskolan: women hidden to protect the men, men too few; both in every index."""
    table = group_breakdown(UnitFigures(data, "H"), "gender", ami_measures(data))
    texts = dict(zip(table["group"] + " " + table["measure"], table["text"], strict=True))
    assert {t for k, t in texts.items() if k.startswith("gender=Kvinna")} == {PROTECTED}
    assert {t for k, t in texts.items() if k.startswith("gender=Man")} == {TOO_FEW}
    assert table["value"].isna().all()


def test_a_previous_year_hidden_to_protect_says_so(data):
    """The förvaltning's women of 2022 hidden to protect: this year's value, no change."""
    hidden = _hide(data, COMPLEMENTARY, unit_id="F", year=rf.PREV, group="gender=Kvinna")
    table = group_breakdown(UnitFigures(hidden, "F"), "gender", ["AMI"])
    women = table[table["label"] == "Kvinna"].iloc[0]
    assert (women["text"], women["prev_text"], women["change_text"]) == ("80", PROTECTED, PROTECTED)
    section = _soup(rs.ami_groups_section(_report(hidden, "F")))
    gender = _rows(section.find("table"))
    # the fixture's groups rest on as many respondents as the unit: no one else to compare
    assert gender[1] == ["Kvinna", "AMI totalt", "80", "för få övriga", PROTECTED, PROTECTED]
    assert gender[5] == ["Man", "AMI totalt", "78", "för få övriga", "79", "−1"]  # 77.8, 78.7
    cells = section.find("table").select("td.ffs")
    assert {c.get_text() for c in cells} == {PROTECTED}  # marked like "för få svar"
    text = section.get_text(" ")
    assert f"”{PROTECTED}”: ett av årens värden visas inte" in text
    assert f"”{TOO_FEW}”:" not in text  # no cell of this section reads "för få svar"


# --------------------------------------------------------------- sections


def test_a_section_never_calls_a_protected_figure_too_few(data):
    section = _soup(rs.ami_groups_section(_report(data, "H")))
    gender = _rows(section.find("table"))
    # Hagaskolan is new in 2023: no 2022 value, and the change says so
    # no group difference either, for the same reason
    assert gender[1] == ["Kvinna", "AMI totalt", PROTECTED, PROTECTED, "", "inget värde 2022"]
    assert gender[5] == ["Man", "AMI totalt", TOO_FEW, TOO_FEW, "", "inget värde 2022"]
    assert all(not re.search(r"\d", row[2]) for row in gender[1:])
    assert (
        "Diagrammet ”AMI per kön” visas inte: alla värden har för få svar eller är dolda för "
        "att skydda en mindre grupp." in section.get_text()
    )


def test_the_school_counts_say_why_an_ami_is_missing(data):
    """Deltaskolan's AMI hidden to protect: not ranked, not judged, and counted apart."""
    hidden = _hide(data, COMPLEMENTARY, unit_id="D", year=rf.YEAR, group="all", measure="AMI")
    result = units_under_threshold(hidden, "S", ["grundskola", "gymnasieskola"], 70)
    assert (result.suppressed, result.protected) == (1, 1)  # Lillskolan, Deltaskolan
    top = top_units(hidden, "S", ["grundskola", "gymnasieskola"], 2)
    assert list(top["unit_name"]) == ["Gammagymnasiet", "Epsilongymnasiet"]
    text = _soup(rs.under_threshold_section(_report(hidden, "S"))).get_text(" ")
    assert "1 skola har för få svar för att AMI ska visas." in text
    assert f"För 1 skola visas inte AMI: siffran är {PROTECTED}." in text
    plain = _soup(rs.under_threshold_section(_report(data, "S"))).get_text(" ")
    assert "visas inte AMI" not in plain  # only where a school's AMI is hidden to protect


def test_a_unit_whose_figures_all_protect_another_is_not_called_too_small(data):
    hidden = _hide(data, COMPLEMENTARY, unit_id="D", year=rf.YEAR)
    report = _report(hidden, "D")
    assert report.too_small
    text = _soup(rs.header_section(report)).get_text(" ")
    assert (
        "Inga resultat visas för Deltaskolan: de är dolda för att skydda en mindre grupp." in text
    )
    assert f"Svarsfrekvens: {PROTECTED}" in text
    assert "För få svar" not in text and "färre än" not in text
    assert not re.search(r"\d", text.replace("2023", "").replace(str(rf.ROWS_REJECTED), ""))


def test_a_missing_priority_matrix_says_why_each_question_is_hidden(data):
    """M3's q7: too few answers in the fixture, hidden to protect in the copy."""
    before = _soup(rs.priority_section(_report(data, "manager:M3"))).get_text(" ")
    assert "1 av 9 frågor har för få svar i chefens grupp" in before
    hidden = _hide(data, COMPLEMENTARY, unit_id="manager:M3", year=rf.YEAR, measure="q:q7")
    section = _soup(rs.priority_section(_report(hidden, "manager:M3")))
    text = " ".join(section.get_text(" ").split())
    assert (
        "Prioriteringsmatris saknas: resultatet för 1 av 9 frågor visas inte i chefens grupp "
        f"(1 är {PROTECTED}), och matrisen visas bara när alla frågors resultat kan visas."
    ) in text
    assert "för få svar" not in text
    assert [li.get_text() for li in section("li")] == [
        f"Jag känner till vilka lönekriterierna är på min arbetsplats – {PROTECTED}"
    ]


# --------------------------------------------------------------- the whole report


def test_the_explanation_comes_once_and_only_where_needed(data):
    protecting = _whole_report(_report(data, "H"))
    assert protecting.count(NOTE) == 1
    assert protecting.count(PROTECTED) > 1  # the table cells it explains
    for unit_id in ("F", "S", "A", "L"):  # nothing hidden to protect in their reports
        assert _whole_report(_report(data, unit_id)).count("skydda en mindre grupp") == 0
    # a leader report: M3's q7 hidden to protect, named by the priority section
    hidden = _hide(data, COMPLEMENTARY, unit_id="manager:M3", year=rf.YEAR, measure="q:q7")
    leader = _whole_report(_report(hidden, "manager:M3"), "leader_report.ipynb")
    assert leader.count(NOTE) == 1
    plain = _whole_report(_report(data, "manager:M3"), "leader_report.ipynb")
    assert NOTE not in plain


def test_the_rendered_school_report_reads_each_reason(rendered_year):  # noqa: F811
    soup = BeautifulSoup((rendered_year.out_dir / "enhet/H.html").read_text("utf-8"), "html.parser")
    gender = _rows(soup.find("h3", string="AMI per kön").find_next("table"))
    assert [r[0] for r in gender[1:9:4]] == ["Kvinna", "Man"]
    assert [r[2] for r in gender[1:5]] == [PROTECTED] * 4  # Kvinna: AMI and 3 dimensions
    assert [r[2] for r in gender[5:9]] == [TOO_FEW] * 4  # Man
    text = " ".join(soup.get_text(" ").split())
    assert text.count(NOTE) == 1
    assert NOTE in " ".join(soup.find("footer").get_text(" ").split())
    forvaltning = (rendered_year.out_dir / "index.html").read_text("utf-8")
    assert "skydda en mindre grupp" not in forvaltning


# --------------------------------------------------------------- the workbook


def test_the_workbook_carries_the_reason_and_explains_it(data):
    provenance = collect_provenance(data, rf.fixture_params())
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(data, provenance)))
    rows = list(book["figurer"].iter_rows(values_only=True))
    # the contract's column list, suppression included, then the unit's name
    assert rows[0] == (*FIGURES_CSV_COLUMNS, "unit_name")
    why = rows[0].index("suppression")
    by_key = {r[:4]: r for r in rows[1:]}
    assert by_key[(2023, "H", "gender=Kvinna", "AMI")][why] == "complementary"
    assert by_key[(2023, "H", "gender=Man", "AMI")][why] == "threshold"
    assert by_key[(2023, "H", "all", "AMI")][why] is None  # published: empty
    assert by_key[(2023, "H", "gender=Kvinna", "AMI")][4:7] == (None, None, None)
    readme = {r[0]: r[1] for r in book["README"].iter_rows(values_only=True) if r and r[0]}
    assert readme["suppression = (tomt)"] == "siffran är publicerad"
    assert "färre än 5 svarande" in readme["suppression = threshold"]
    assert "”för få svar”" in readme["suppression = threshold"]
    assert "skulle avslöja en grupp med färre än 5" in readme["suppression = complementary"]
    assert f"”{PROTECTED}”" in readme["suppression = complementary"]
