"""End to end: the fixture organisation rendered through the real notebooks.

The expected numbers are worked out by hand from ``tests/report_fixture.py``
(e.g. the förvaltning's AMI 79.4 against 80.3: shown 79, change 79 − 80 = −1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest
import report_fixture as rf
from bs4 import BeautifulSoup
from report_fixture import rendered_year  # noqa: F401  (session fixture)

from analysis.core.labels import MINUS
from analysis.core.provenance import (
    PROJECT_ROOT,
    ProvenanceError,
    collect_provenance,
    effective_params,
)
from analysis.render import workbook
from analysis.render.errors import RenderError
from analysis.render.kernel import KERNEL_NAME, check_kernel, kernel_environment, parameter_names
from analysis.render.plan import plan_reports
from analysis.render.reports import render_year
from analysis.report.processed import load_processed_year

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: a säkerställd change's mark in a table cell as text: the star, then what a screen reader says
SURE = " * (säkerställd)"


def _soup(rendered, name: str) -> BeautifulSoup:
    return BeautifulSoup((rendered.out_dir / name).read_text(encoding="utf-8"), "html.parser")


def _table_after(soup: BeautifulSoup, heading: str) -> list[list[str]]:
    """The rows (cell texts) of the first table after the heading with this text."""
    tag = soup.find(["h2", "h3"], string=heading)
    assert tag is not None, f"no heading {heading!r}"
    table = tag.find_next("table")
    return [[c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])] for tr in table("tr")]


def _main_text(soup: BeautifulSoup) -> str:
    """The visible text without the provenance footer."""
    for footer in soup.find_all("footer"):
        footer.decompose()
    return soup.get_text(" ", strip=True)


# ------------------------------------------------------------------ files


def test_every_requested_report_and_the_workbook_are_written(rendered_year):  # noqa: F811
    expected = [rendered_year.out_dir / p for p in rf.RENDERED]
    workbook = rendered_year.out_dir / "medarbetarenkat_2023.xlsx"
    # the förvaltning's and the områden's reports among them also as PDF
    pdfs = [rendered_year.out_dir / p for p in ("index.pdf", "omrade/S.pdf")]
    # the förvaltning's, the områden's and the units' (not the leaders') also as a deck
    decks = [p.with_suffix(".pptx") for p in expected if p.parent.name != "ledare"]
    assert rendered_year.written == [*expected, workbook, *pdfs, *decks]
    assert all(p.is_file() and p.stat().st_size > 0 for p in rendered_year.written)
    # atomic writes leave no temporary files behind
    assert not list(rendered_year.out_dir.rglob("*.tmp"))


def test_plan_covers_forvaltning_omraden_enheter_and_leaders(tmp_path):
    processed = rf.write_fixture(tmp_path / "2023")
    data = load_processed_year(processed)
    jobs = plan_reports(data, tmp_path / "out", "{}")
    paths = [j.output.relative_to(tmp_path / "out").as_posix() for j in jobs]
    # W (a work group under a school) gets no report of its own
    assert paths == [
        "index.html",
        "omrade/N.html",
        "omrade/S.html",
        *(f"enhet/{u}.html" for u in ["A", "B", "H", "G", "D", "E", "L"]),
        "ledare/M1.html",
        "ledare/M2.html",
        "ledare/M3.html",
    ]
    assert jobs[-1].parameters["manager_id"] == "M3"
    assert jobs[2].parameters["unit_id"] == "S"


def test_committed_notebooks_have_no_outputs_and_literal_parameters():
    for name in ("unit_report.ipynb", "leader_report.ipynb"):
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, name
        names = parameter_names(nb)
        assert {"year", "processed_dir", "provenance_json"} <= names


def test_notebooks_render_and_makefile_name_the_same_project_kernel():
    makefile = (NOTEBOOKS.parent / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^KERNEL := (\S+)$", makefile, re.M).group(1) == KERNEL_NAME
    assert KERNEL_NAME == "medarbetarenkat"
    for name in ("unit_report.ipynb", "leader_report.ipynb"):
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == KERNEL_NAME, name
    # the tests run in the .venv where `make setup` installed it (--sys-prefix)
    spec = check_kernel()
    assert spec.name == KERNEL_NAME and (spec / "kernel.json").is_file()


def test_a_missing_kernel_says_to_run_make_setup():
    with pytest.raises(RenderError, match=r"'no-such-kernel' is not installed.*make setup"):
        check_kernel("no-such-kernel")


# ------------------------------------------------------------------ the förvaltning report


def test_forvaltning_sections_in_order(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    assert soup.find("h1").get_text() == "Medarbetarenkät 2023 – Testförvaltningen"
    assert [h.get_text() for h in soup.find_all("h2")] == [
        "Om enkäten",
        "Svarsfrekvens",
        "Aktivt Medskapande Index (AMI)",
        "AMI – kön och chef/medarbetare",
        "AMI – ålder",
        "Översikt frågeområden",
        "Prioriteringsmatris",
        "Högst och lägst resultat",
        "Största utvecklingen",
        "Toppresultat (AMI) – topp 3 skolor",
        "AMI under 70",
        "Handlingsplaner: enheter med AMI under 70",
        "Uppföljning: enheter under 70 år 2022",
        "AMI mot målen",
        "Jämförelse med Stockholms stad",
        "Resultat på enskilda frågor",
        "Fler rapporter",
    ]


def test_ami_and_its_change(rendered_year):  # noqa: F811
    rows = _table_after(_soup(rendered_year, "index.html"), "Aktivt Medskapande Index (AMI)")
    assert rows == [
        ["Index", "Värde", "Förändring"],
        ["AMI totalt", "79", f"{MINUS}1"],
        ["Motivation", "79", f"{MINUS}1"],
        ["Ledarskap", "81", f"{MINUS}1"],
        ["Styrning", "78", f"{MINUS}1"],
    ]


def test_response_rate_over_the_years(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    assert "Svarsfrekvens: 87 % · Antal svar: 130" in soup.get_text()
    assert _table_after(soup, "Svarsfrekvens")[1:] == [
        ["2021", "83", "120"],
        ["2022", "85", "125"],
        ["2023", "87", "130"],
    ]


def _section(soup: BeautifulSoup, heading: str) -> BeautifulSoup:
    """The notebook cell (one section) that holds the h2 with this text."""
    return soup.find("h2", string=heading).parent


def _summary(soup: BeautifulSoup, heading: str) -> list[str]:
    """The summary bullets right under a section's heading."""
    box = _section(soup, heading).find("ul", class_="sammanfattning")
    return [li.get_text() for li in box("li")] if box else []


def test_about_the_survey_is_counted_from_the_tables(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    items = [li.get_text() for li in _section(soup, "Om enkäten").find("ul")("li")]
    assert items == [
        # q1..q11 asked (q10old no longer); q9 is new, q10 rewords q10old
        "11 frågor i enkäten 2023, varav 1 ny och 1 omformulerad sedan 2022.",
        "6 frågor utgör AMI.",  # q1..q6
        "3 frågor utgör ledarskapsindexet.",  # q3, q4, q11
        "Minst 5 svarande för att få gruppresultat; färre visas som ”för få svar”.",
        "Antal svarande i Testförvaltningen: 130.",  # n of the response-rate row
    ]
    hrefs = [a["href"] for a in _section(soup, "Om enkäten")("a")]
    assert hrefs == ["figures.csv", "drivers.csv", "medarbetarenkat_2023.xlsx"]
    omrade = _section(_soup(rendered_year, "omrade/S.html"), "Om enkäten")
    assert [a["href"] for a in omrade("a")] == [
        "../figures.csv",
        "../drivers.csv",
        "../medarbetarenkat_2023.xlsx",
    ]


def test_response_rate_per_unit_over_the_years(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    # 87.2 against 85.0; Norr 88.0 against 86.5 (shows 87), Syd & Väst 86.4 against 84.9
    assert _summary(soup, "Svarsfrekvens") == [
        "Svarsfrekvensen har gått upp 2 procentenheter sedan 2022 och ligger i år på 87 % "
        "(2022: 85 %).",
        "Svarsfrekvensen har ökat i båda underliggande enheterna med jämförbara värden sedan 2022.",
    ]
    rows = _table_after(soup, "Svarsfrekvens per enhet under Testförvaltningen")
    assert rows == [
        ["Enhet", "2021 (%)", "2022 (%)", "2023 (%)"],
        ["Område Norr", "85", "87", "88"],  # 85.0, 86.5, 88.0
        ["Område Syd & Väst", "83", "85", "86"],  # 83.4, 84.9, 86.4
    ]
    south = _soup(rendered_year, "omrade/S.html")
    rows = _table_after(south, "Svarsfrekvens per enhet under Område Syd & Väst")
    assert rows[1:] == [  # highest this year first; each unit 3.0 and 1.5 lower before
        ["Deltaskolan", "88", "89", "91"],  # 87.9, 89.4, 90.9
        ["Gammagymnasiet", "83", "84", "86"],  # 82.7, 84.2, 85.7
        ["Epsilongymnasiet", "78", "79", "81"],  # 77.8, 79.3, 80.8
        ["Lillskolan", "ingen uppgift", "ingen uppgift", "för få svar"],  # no rows before 2023
    ]
    assert "”ingen uppgift”: enheten fanns inte med det året." in south.get_text()
    assert _summary(south, "Svarsfrekvens")[1] == (
        "Svarsfrekvensen har ökat i alla 3 underliggande enheter med jämförbara värden sedan 2022."
    )


def test_ami_summary_and_questions_by_dimension(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    # the fixture's intervals are the change +- 1.5: AMI 79.4 vs 80.3 and its dimensions
    # (79.05 vs 79.8, 80.75 vs 82.2, 78.4 vs 78.9) are within the margin
    assert _summary(soup, "Aktivt Medskapande Index (AMI)") == [
        "AMI totalt ligger i år på 79, oförändrat inom felmarginalen jämfört med 2022.",
        "Förändringarna i Motivation, Ledarskap och Styrning ligger inom felmarginalen.",
        # q4 79.0 vs 82.4 and q5 80.2 vs 83.1 both show −3 (säkerställda); q4's exact
        # change is larger
        "”Min chef visar förtroende för mig som medarbetare” har minskat med 3 punkter.",
    ]
    rows = _table_after(soup, "AMI-frågorna per delindex")
    sure = SURE  # the mark, and what a screen reader says for it
    assert [[r[0], r[2], r[3]] for r in rows] == [
        ["Delindex", "Index", "Förändring"],
        ["Motivation", "83", "+1"],  # q1 83.0 vs 82.2
        ["", "75", f"{MINUS}2{sure}"],  # q2 75.1 vs 77.4
        ["Ledarskap", "83", "+1"],  # q3 82.5 vs 82.0: 83 − 82
        ["", "79", f"{MINUS}3{sure}"],  # q4
        ["Styrning", "80", f"{MINUS}3{sure}"],  # q5
        ["", "77", f"+2{sure}"],  # q6 76.6 vs 74.7: 77 − 75
    ]


def test_group_age_area_and_target_summaries(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    groups = _section(soup, "AMI – kön och chef/medarbetare")
    bullets = [li.get_text() for li in groups("li")]
    # Kvinna 80.1 vs Man 77.8; dimensions 80/77, 81/79, 79/77. Chef 84.2 vs Medarbetare 79.0
    assert bullets == [
        "Kvinna ligger högre än Man på AMI totalt (80 mot 78), och på alla 3 delindex.",
        "Chef ligger högre än Medarbetare på AMI totalt (84 mot 79), och på alla 3 delindex.",
    ]
    # 50-59 80.6 and 60- 81.4 both show 81; 30-49 78.2; -29 is suppressed
    assert _summary(soup, "AMI – ålder") == [
        "Högst AMI har åldersgrupperna 50-59 och 60- (81) och lägst 30-49 (78)."
    ]
    # areas: 83, 75, 80 (79.73), 78, 58, 66, 88, 71: six at 70 or above
    assert _summary(soup, "Översikt frågeområden") == [
        "Högst index har Lika rättigheter och möjligheter (88) och lägst Lön (58).",
        "6 av 8 frågeområden ligger på nivån förvalta och förädla (70–100).",
    ]
    assert _summary(soup, "AMI mot målen") == [
        "AMI 79 ligger en punkt under nämndens mål (80) och 4 punkter under stadens mål (83)."
    ]


def test_area_overview_carries_the_policy_texts(rendered_year):  # noqa: F811
    rows = _table_after(_soup(rendered_year, "index.html"), "Översikt frågeområden")
    by_area = {r[0].split(" ", 1)[0]: r for r in rows[1:]}
    assert rows[1][0].startswith("Vårt gemensamma uppdrag Som medarbetare i Stockholms stad")
    assert "individuell och differentierad lönesättning" in by_area["Lön"][0]
    assert by_area["Digitalisering"][0] == "Digitalisering"  # not a policy area: no text
    assert by_area["Lön"][1:] == ["58", f"+2{SURE}"]  # 58.3 vs 56.0: more than 1.5
    assert by_area["Utvecklas"][1:] == ["71", "ingen jämförelse"]  # q10 replaces q10old


def test_suppressed_age_group_says_too_few_answers_in_either_year(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    rows = _table_after(soup, "AMI – ålder")
    assert rows == [
        # the fixture's groups rest on as many respondents as the unit: no one to compare with
        ["Åldersgrupp", "AMI 2023", "Mot övriga", "AMI 2022", "Förändring"],
        ["-29", "för få svar", "för få svar", "77", "för få svar"],  # 2022: 80.3 − 3.0
        ["30-49", "78", "för få övriga", "79", f"{MINUS}1"],  # 78.2 vs 79.1
        ["50-59", "81", "för få övriga", "82", f"{MINUS}1"],  # 80.6 vs 81.5
        ["60-", "81", "för få övriga", "för få svar", "för få svar"],  # 2022 suppressed
    ]
    table = soup.find("h2", string="AMI – ålder").find_next("table")
    assert len(table.select("td.ffs")) == 5  # marked as suppressed, not as numbers
    section = soup.find("h2", string="AMI – ålder").parent.get_text(" ")
    assert "”för få svar”: ett av åren har för få svarande" in section


def test_a_new_unit_says_why_it_has_no_change(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "enhet/H.html")
    rows = _table_after(soup, "Aktivt Medskapande Index (AMI)")
    # Hagaskolan is new in 2023: AMI 60.2; Motivation 79.05 − 19.2; Ledarskap 80.75 − 19.2;
    # Styrning 78.4 − 19.2 (every question is the förvaltning's shifted by 60.2 − 79.4)
    assert rows == [
        ["Index", "Värde", "Förändring"],
        ["AMI totalt", "60", "inget värde 2022"],
        ["Motivation", "60", "inget värde 2022"],
        ["Ledarskap", "62", "inget värde 2022"],
        ["Styrning", "59", "inget värde 2022"],
    ]
    assert "”inget värde 2022”: enheten eller gruppen fanns inte med 2022." in soup.get_text()
    assert "AMI är under 70: enhetschef/rektor upprättar en handlingsplan" in soup.get_text()


def test_highest_and_lowest(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    high = _table_after(soup, "Högst")
    low = _table_after(soup, "Lägst")
    assert [r[1] for r in high[1:]] == ["88", "83", "83"]
    assert high[1][0].startswith("Jag vet vart jag ska vända mig") and high[1][2] == "ny"
    assert [r[1] for r in low[1:]] == ["58", "66", "71"]


def test_largest_changes_leave_out_new_and_reworded_questions(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    up = _table_after(soup, "Störst ökning")
    down = _table_after(soup, "Störst minskning")
    # each more than 1.5 exactly (2.3, 2.2, 1.9; -3.4, -2.9, -2.3): säkerställda
    assert [(r[0][:25], r[2]) for r in up[1:]] == [
        ("Jag känner till vilka lön", f"+2{SURE}"),
        ("Jag har de digitala verkt", f"+2{SURE}"),
        ("Jag vet vad som förväntas", f"+2{SURE}"),
    ]
    assert [r[2] for r in down[1:]] == [f"{MINUS}3{SURE}", f"{MINUS}3{SURE}", f"{MINUS}2{SURE}"]
    footer = soup.find("footer").get_text(" ")
    assert "* efter en förändring sedan 2022 eller en skillnad: den är säkerställd." in footer
    changed = " ".join(r[0] for r in up + down)
    assert "kränkande" not in changed and "prövar vi nya" not in changed
    section = soup.find("h2", string="Största utvecklingen").find_next("ul").get_text(" ")
    assert "(ny)" in section and "(omformulerad)" in section
    assert "Utveckling för nya och omformulerade frågor redovisas ej" in soup.get_text()


def test_top_list_shows_all_schools_tied_at_the_cut(rendered_year):  # noqa: F811
    rows = _table_after(_soup(rendered_year, "index.html"), "Toppresultat (AMI) – topp 3 skolor")
    assert rows[1:] == [
        ["1", "Alfaskolan", "grundskola", "90"],
        ["1", "Deltaskolan", "grundskola", "90"],
        ["1", "Gammagymnasiet", "gymnasieskola", "90"],
    ]


def test_under_70_counted_per_school_form_with_deadline(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    heading = soup.find("h2", string="AMI under 70")
    rows = [[c.get_text() for c in tr(["td", "th"])] for tr in heading.find_next("table")("tr")]
    assert rows == [["Skolform", "Antal under 70"], ["grundskola", "1"], ["gymnasieskola", "1"]]
    # the units themselves, by who approves their action plans (no manager above them here)
    plans = _section(soup, "Handlingsplaner: enheter med AMI under 70")
    assert plans.find("h3").get_text() == "Ingen överordnad chef angiven"
    rows = [[c.get_text() for c in tr("td")] for tr in plans.find("table")("tr")[1:]]
    assert rows == [["Hagaskolan", "grundskola", "60"], ["Epsilongymnasiet", "gymnasieskola", "65"]]
    text = soup.get_text(" ")
    assert "senast den 16 juni 2023" in text
    assert "1 skola har för få svar" in text
    assert "2 av 7 enheter ligger under 70" in plans.get_text(" ")


def test_last_year_s_units_under_70_are_followed_up_with_their_plans(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    section = _section(soup, "Uppföljning: enheter under 70 år 2022")
    # Epsilongymnasiet: 66.0 -> 64.6 (65); its change -1.4 ± 1.5 (report_fixture._row):
    # -2.9 to 0.1, half up -3 to 0 - includes 0, so the change is not marked
    rows = [[c.get_text(" ", strip=True) for c in tr("td")] for tr in section("tr")[1:]]
    low, high = f"{MINUS}3", "0"
    epsilon = ["Epsilongymnasiet", "66", "65", f"{MINUS}1", f"{low} till {high}", "nej"]
    assert rows == [
        [*epsilon, "Pågående", "Arbetsmiljögrupp startad"],
        ["Q", "", "finns inte i årets organisation", "", "", "", "Klar", ""],
    ]
    assert _summary(soup, "Uppföljning: enheter under 70 år 2022") == [
        "1 enhet hade AMI under 70 år 2022: ingen har nu 70 eller mer och 1 ligger kvar under 70.",
        "Handlingsplanerna från 2022: Klar 1, Pågående 1.",
    ]


def test_the_city_s_figures_stand_beside_the_forvaltning_s(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    assert "Svarsfrekvens: 87 % · Antal svar: 130 · Stockholms stad: 88 %" in soup.get_text()
    assert _table_after(soup, "Jämförelse med Stockholms stad") == [
        ["Mått", "Testförvaltningen", "Stockholms stad", "Skillnad mot Stockholms stad"],
        ["Svarsfrekvens", "87 %", "88 %", f"{MINUS}1"],
        ["AMI totalt", "79", "81", f"{MINUS}2"],  # 79.4 and 81.4, half up
    ]
    # a unit's own report compares nothing with the city
    unit = _soup(rendered_year, "enhet/A.html")
    assert unit.find("h2", string="Jämförelse med Stockholms stad") is None
    assert "Stockholms stad: 88 %" not in unit.get_text()


def test_targets(rendered_year):  # noqa: F811
    rows = _table_after(_soup(rendered_year, "index.html"), "AMI mot målen")
    assert rows[1:] == [
        ["Nämndens mål", "80", "79", f"{MINUS}1"],
        ["Stadens mål", "83", "79", f"{MINUS}4"],
    ]


def test_priority_lists_and_area_texts(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    styrkor = _table_after(soup, "Styrkor")
    fokus = _table_after(soup, "Fokusområden")
    assert [r[1] for r in styrkor[1:]] == ["83", "79"]  # q3 82.5, q4 79.0
    assert [r[1] for r in fokus[1:]] == ["58", "66", "71"]  # q7, q8, q10: lowest first
    text = soup.get_text(" ")
    assert "Stockholms stad har individuell och differentierad lönesättning" in text
    assert "70–100 Förvalta och förädla" in text and "0–44 Utvecklingsbehov" in text
    digital = soup.find("h3", string=re.compile("^DIGITALISERING"))
    assert digital.find_next_sibling().name == "table"  # no policy text for this area


def test_links_are_relative_and_resolve(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    hrefs = [a["href"] for a in soup("a")]
    assert {"omrade/N.html", "omrade/S.html", "enhet/A.html", "ledare/M3.html"} <= set(hrefs)
    assert all(not h.startswith(("http", "/")) for h in hrefs)
    for name in rf.RENDERED[1:]:
        back = _soup(rendered_year, name).find("a")["href"]
        assert back == "../index.html"
        assert (rendered_year.out_dir / name).parent.joinpath(back).resolve().is_file()


# ------------------------------------------------------------------ other reports


def test_omrade_report_has_its_own_schools_only(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "omrade/S.html")
    assert soup.find("h1").get_text() == "Medarbetarenkät 2023 – Område Syd & Väst"
    rows = _table_after(soup, "Toppresultat (AMI) – topp 2 skolor")
    # both show 90 (90.4 and 89.6): a shared first place, then by name
    assert [r[:2] for r in rows[1:]] == [["1", "Deltaskolan"], ["1", "Gammagymnasiet"]]
    assert _table_after(soup, "AMI under 70")[1:] == [["grundskola", "0"], ["gymnasieskola", "1"]]


def test_school_report_borrows_importances_and_says_so(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "enhet/A.html")
    text = soup.get_text(" ")
    assert "För Alfaskolan görs ingen egen drivkraftsanalys: för få svarande" in text
    assert "kommer därför från analysen för Område Norr" in text
    # the lender's respondents, named as the lender's (never as Alfaskolan's own)
    assert "Analysen för Område Norr bygger på 58 svarande" in text
    assert "Analysen bygger på" not in text
    headings = [h.get_text() for h in soup.find_all("h2")]
    assert not any(h.startswith("Toppresultat") or h.startswith("AMI under") for h in headings)
    # the Chef group has fewer than five answers at Alfaskolan
    role = _table_after(soup, "AMI per chef/medarbetare")
    assert role[0] == ["Grupp", "Index", "2023", "Mot övriga", "2022", "Förändring"]
    too_few = ["för få svar"] * 4
    assert role[1] == ["Chef", "AMI totalt", *too_few]
    assert [r[1:] for r in role[2:4]] == [["Motivation", *too_few], ["Ledarskap", *too_few]]
    # Medarbetare: 90.2 − 0.4 = 89.8 against 88.9 − 0.4 = 88.5 (shows 89)
    assert role[5] == ["Medarbetare", "AMI totalt", "90", "för få övriga", "89", "+1"]


def test_too_small_unit_shows_no_number(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "enhet/L.html")
    text = _main_text(soup)
    assert "För få svar: Lillskolan har färre än 5 svarande" in text
    assert soup.find_all("h2") == [] and soup.find_all("img") == []
    # the only numbers on the page: the year, the threshold and the rejected-row count
    assert set(re.findall(r"\d+", text)) == {"2023", "5", str(rf.ROWS_REJECTED)}


def test_leader_reports(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "ledare/M1.html")
    assert soup.find("h1").get_text() == "Medarbetarenkät 2023 – Chef M1"
    assert [h.get_text() for h in soup.find_all("h2")] == [
        "Svarsfrekvens",
        "Aktivt Medskapande Index (AMI)",
        "Ledarskapsindex",
        "Prioriteringsmatris",
    ]
    # M1's staff are Alfaskolan's (AMI 90.2 -> 90, 88.9 -> 89 in 2022): their AMI rows
    assert _table_after(soup, "Aktivt Medskapande Index (AMI)")[1] == ["AMI totalt", "90", "+1"]
    assert [img["alt"].split(". ")[0] for img in soup("img")] == [
        "Svarsfrekvens per år",  # 2022 and 2023 (the comparison year's leader rows)
        "AMI totalt och delindex",
        "Prioriteringsmatris",
    ]
    assert "Analysen för Område Norr bygger på 58 svarande" in soup.get_text(" ")
    assert "Chefens enheter: Alfaskolan." in soup.get_text()
    assert _table_after(soup, "Ledarskapsindex")[1] == ["Ledarskapsindex", "81", "+1"]
    questions = soup.find("h2", string="Ledarskapsindex").find_all_next("table")[1]
    values = [tr("td")[1].get_text(strip=True) for tr in questions("tr")[1:]]
    assert values == ["83", "81", "80"]  # q3 83.0, q11 80.8, q4 80.1: sorted
    small = _main_text(_soup(rendered_year, "ledare/M2.html"))
    assert "För få svar: Chef M2" in small
    assert "Chefens enheter: Arbetslag Alfa 1." in small
    # numbers: the year, the manager id M2, the unit name, the threshold, rejected rows
    assert set(re.findall(r"\d+", small)) == {"2023", "2", "1", "5", str(rf.ROWS_REJECTED)}


# ------------------------------------------------------------------ every report


@pytest.mark.parametrize("name", rf.RENDERED)
def test_no_code_no_prompts_no_external_resources(rendered_year, name):  # noqa: F811
    html = (rendered_year.out_dir / name).read_text(encoding="utf-8")
    assert 'src="http' not in html and 'href="http' not in html
    assert "<script" not in html and "<link" not in html
    assert "open_report(" not in html and "analysis.report" not in html
    assert "provenance_json" not in html
    assert "jp-InputArea" not in html and "In&nbsp;[" not in html
    soup = BeautifulSoup(html, "html.parser")
    assert all(img["src"].startswith("data:image/png;base64,") for img in soup("img"))
    assert "3 rader underkändes" in soup.get_text()  # quarantine note on every report


@pytest.mark.parametrize("name", rf.RENDERED)
def test_provenance_footer(rendered_year, name):  # noqa: F811
    footer = _soup(rendered_year, name).find("footer")
    text = " ".join(footer.get_text(" ").split())
    assert f"Indata (SHA-256): {rf.INPUT_SHA}" in text
    assert "Underkända rader i indata: 3" in text
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    commit = head.stdout.strip() if head.returncode == 0 else "okänd"
    assert f"Kodversion (git commit): {commit}" in text
    assert re.search(r"ej incheckade ändringar: (ja|nej)", text)
    import pandas

    assert f"pandas {pandas.__version__}" in text
    # per stage, the sections it declares, as recorded beside its outputs
    params = json.loads(footer.find("pre").get_text())
    fixture = json.loads(json.dumps(dataclasses.asdict(rf.fixture_params())))
    assert params == {
        "indexes": {s: fixture[s] for s in ("input", "survey", "privacy")},
        "drivers": {s: fixture[s] for s in ("survey", "drivers")},
        "render": {s: fixture[s] for s in ("report", "levels", "targets", "privacy")},
    }
    assert params["render"]["report"]["top_units"] == 2  # the fixture's, not the default 5
    assert params["indexes"]["input"]["on_invalid"] == "quarantine"


def test_footer_params_are_the_ones_each_stage_ran_with(tmp_path):
    """Not params.yaml at render time: a drivers setting changed since is not shown."""
    produced = rf.fixture_params()
    processed = rf.write_fixture(tmp_path / "2023", produced)
    data = load_processed_year(processed)
    later = dataclasses.replace(
        produced, drivers=dataclasses.replace(produced.drivers, bootstrap=7, seed=1)
    )
    provenance = collect_provenance(data, later)
    recorded = provenance["params"]["drivers"]["drivers"]  # the drivers stage's section
    assert recorded["bootstrap"] == produced.drivers.bootstrap == 1000
    assert recorded["seed"] == produced.drivers.seed
    assert effective_params(provenance).drivers.bootstrap == 1000
    assert set(provenance["params"]) == {"indexes", "drivers", "render"}
    # the synthesis section is read by no stage behind a report
    assert all("synth" not in sections for sections in provenance["params"].values())
    assert effective_params(provenance).report.top_units == 2


def test_a_threshold_changed_since_the_figures_is_refused(tmp_path):
    produced = rf.fixture_params()
    data = load_processed_year(rf.write_fixture(tmp_path / "2023", produced))
    stale = dataclasses.replace(
        produced, privacy=dataclasses.replace(produced.privacy, min_group_size=8)
    )
    with pytest.raises(ProvenanceError, match=r"'privacy' differs .* run `dvc repro`"):
        collect_provenance(data, stale)


def test_a_drivers_record_without_params_is_named(tmp_path):
    """drivers.json from before the stage recorded its params: rerun it, never guess."""
    processed = rf.write_fixture(tmp_path / "2023")
    notes = json.loads((processed / "drivers.json").read_text(encoding="utf-8"))
    del notes["params"]
    (processed / "drivers.json").write_text(json.dumps(notes), encoding="utf-8")
    data = load_processed_year(processed)
    with pytest.raises(
        ProvenanceError,
        match=r"drivers\.json: records no params section\(s\) \['survey', 'drivers'\]; rerun",
    ):
        collect_provenance(data, rf.fixture_params())


def test_stage_params_are_the_sections_dvc_yaml_declares():
    import yaml

    from analysis.core.contract import STAGE_PARAMS

    stages = yaml.safe_load((NOTEBOOKS.parent / "dvc.yaml").read_text(encoding="utf-8"))["stages"]

    def declared(name: str) -> set[str]:
        stage = stages[name].get("do", stages[name])
        return set(stage["params"])

    assert set(STAGE_PARAMS["drivers"]) == declared("drivers")
    assert set(STAGE_PARAMS["render"]) == declared("render")
    # meta.json records what its inputs were produced with: ingest's and indexes' sections
    assert set(STAGE_PARAMS["indexes"]) == declared("ingest") | declared("indexes")


def test_images_are_figures(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    # each alt text names its chart, then states its numbers (tests/test_chart_alt.py)
    alts = [img["alt"].split(". ")[0] for img in soup("img")]
    assert alts == [
        "Svarsfrekvens per år",
        "Svarsfrekvens per enhet och år",
        "AMI totalt och delindex",
        "AMI per kön",
        "AMI per chef/medarbetare",
        "AMI per åldersgrupp",
        "Frågeområden",
        "Prioriteringsmatris",
        "Högst och lägst resultat",
        "Största utvecklingen",
        "AMI mot målen",
    ]


# ------------------------------------------------------------------ the workbook


def test_workbook_sheets_and_cells(rendered_year):  # noqa: F811
    book = openpyxl.load_workbook(rendered_year.out_dir / "medarbetarenkat_2023.xlsx")
    assert book.sheetnames == ["README", "figurer", "drivkrafter"]
    assert book.properties.created == dt.datetime(2000, 1, 1)
    assert book.properties.modified == dt.datetime(2000, 1, 1)
    readme = [
        [c for c in row if c is not None] for row in book["README"].iter_rows(values_only=True)
    ]
    assert ["Indata (SHA-256)", rf.INPUT_SHA] in readme
    assert ["Underkända rader", 3] in readme

    figures = list(book["figurer"].iter_rows(values_only=True))
    assert figures[0] == (
        "year",
        "unit_id",
        "group",
        "measure",
        "n",
        "value",
        "change",
        "change_low",
        "change_high",
        "suppression",
        "unit_name",
    )
    assert len(figures) - 1 == len(rf.figure_rows())  # every year's rows, not only 2023's
    ami = [r for r in figures if r[:4] == (2023, "F", "all", "AMI")]
    assert len(ami) == 1
    assert ami[0][4] == 12 and ami[0][5] == pytest.approx(79.4)
    assert ami[0][6] == pytest.approx(79.4 - 80.3)
    # the fixture's interval: the change +- 1.5
    assert ami[0][7:9] == pytest.approx((79.4 - 80.3 - 1.5, 79.4 - 80.3 + 1.5))
    assert ami[0][9] is None  # published: no reason (Excel has no empty-text cell)
    assert ami[0][10] == "Testförvaltningen"
    earlier = [r[0] for r in figures if r[1:4] == ("F", "all", "AMI")]
    assert sorted(earlier) == [2021, 2022, 2023]
    tiny = next(r for r in figures if r[1] == "L" and r[3] == "AMI" and r[2] == "all")
    assert tiny[4:9] == (None,) * 5  # suppressed: empty, never 0
    assert tiny[9] == "threshold"

    drivers = list(book["drivkrafter"].iter_rows(values_only=True))
    assert drivers[0][:3] == ("year", "unit_id", "question_id")
    assert drivers[0][-7:] == (
        "importance_from", "basis", "own_weight", "p_high", "beta", "p_negative", "p_random"
    )  # fmt: skip
    assert len(drivers) - 1 == len(rf.drivers_table())
    borrowed = [r for r in drivers if r[1] == "A"]
    assert {r[-7] for r in borrowed} == {"N"} and {r[-6] for r in borrowed} == {"borrowed"}
    assert {r[-5] for r in borrowed} == {0.0}


def _sheet_rows(book, name: str, columns: list[str]) -> list[tuple]:
    rows = list(book[name].iter_rows(values_only=True))
    assert list(rows[0][: len(columns)]) == columns
    return [row[: len(columns)] for row in rows[1:]]


def test_workbook_holds_exactly_the_rows_of_the_published_csvs(rendered_year):  # noqa: F811
    """Row by row, value by value: the analysts' workbook is figures.csv and drivers.csv."""
    from analysis.core.contract import DRIVERS_CSV_COLUMNS, DRIVERS_CSV_NUMBERS, FIGURES_CSV_COLUMNS
    from analysis.core.figures_io import read_figures_csv

    book = openpyxl.load_workbook(rendered_year.out_dir / "medarbetarenkat_2023.xlsx")
    published = read_figures_csv(rendered_year.out_dir / "figures.csv")
    expected = [  # an empty field is an empty cell: Excel has no empty-text cells
        tuple(None if pd.isna(v) or v == "" else v for v in row)
        for row in published.itertuples(index=False, name=None)
    ]
    assert _sheet_rows(book, "figurer", FIGURES_CSV_COLUMNS) == expected  # exact floats
    assert {r[0] for r in expected} == {2021, 2022, 2023}
    assert any(r[5] is None for r in expected)  # suppressed rows stay empty, never 0

    drivers = pd.read_csv(rendered_year.out_dir / "drivers.csv", dtype=str, keep_default_na=False)
    numbers = set(DRIVERS_CSV_NUMBERS)
    counts = {"year", "n_used"}

    def cell(column: str, text: str):
        if text == "":
            return None
        return float(text) if column in numbers else int(text) if column in counts else text

    expected = [
        tuple(cell(c, t) for c, t in zip(DRIVERS_CSV_COLUMNS, row, strict=True))
        for row in drivers[DRIVERS_CSV_COLUMNS].itertuples(index=False, name=None)
    ]
    assert _sheet_rows(book, "drivkrafter", DRIVERS_CSV_COLUMNS) == expected


def test_a_table_too_long_for_a_worksheet_is_refused(tmp_path, monkeypatch):
    processed = rf.write_fixture(tmp_path / "2023")
    data = load_processed_year(processed)
    provenance = collect_provenance(data, rf.fixture_params())
    monkeypatch.setattr(workbook, "EXCEL_MAX_ROWS", len(data.figures))  # one row short
    with pytest.raises(RenderError, match=r"'figurer' would need .* figures\.csv"):
        workbook.workbook_bytes(data, provenance)


def test_workbook_bytes_repeat(tmp_path):
    processed = rf.write_fixture(tmp_path / "2023")
    data = load_processed_year(processed)
    provenance = collect_provenance(data, rf.fixture_params())
    assert workbook.workbook_bytes(data, provenance) == workbook.workbook_bytes(data, provenance)


def test_unknown_report_name_is_refused(tmp_path):
    processed = rf.write_fixture(tmp_path / "2023")
    with pytest.raises(RenderError, match=r"no such report in 2023: \['enhet/X.html'\]"):
        render_year(
            2023,
            processed,
            tmp_path / "out",
            rf.fixture_params(),
            only=["enhet/X.html"],
            progress=False,
        )


@pytest.mark.parametrize(
    "missing",
    [{"with_workbook": False}, {"with_pdfs": False}, {"deck_kinds": ()}, {"deck_kinds": ["enhet"]}],
)
def test_the_published_set_always_carries_the_workbook_the_pdfs_and_the_decks(tmp_path, missing):
    processed = rf.write_fixture(tmp_path / "2023")
    with pytest.raises(RenderError, match="always carries the workbook, the PDFs and the decks"):
        render_year(2023, processed, tmp_path / "out", rf.fixture_params(), **missing)
    assert not (tmp_path / "out").exists()


def test_the_project_root_and_the_kernels_path_are_where_the_files_are() -> None:
    """Both are found from this package's own location, which moves when modules move."""
    assert (PROJECT_ROOT / "pyproject.toml").is_file()
    assert (PROJECT_ROOT / "params.yaml").is_file()
    first = kernel_environment()["PYTHONPATH"].split(os.pathsep)[0]
    assert (Path(first) / "analysis" / "__init__.py").is_file()


def test_one_report_is_planned_once_with_the_run_s_provenance(tmp_path, monkeypatch):
    """render --unit/--manager plans the year's reports once and renders the one it found."""
    from analysis.core.errors import StageError
    from analysis.render import reports

    processed = rf.write_fixture(tmp_path / "processed" / str(rf.YEAR))
    plans, rendered = [], []

    def counted_plan(*args, **kwargs):
        plans.append(args)
        return plan_reports(*args, **kwargs)

    def no_kernel(planned, jobs, progress, desc=""):  # what the workers would write
        rendered.append((list(planned), jobs))
        for job in planned:
            job.output.parent.mkdir(parents=True, exist_ok=True)
            job.output.write_text("<html></html>", encoding="utf-8")
            if job.deck is not None:
                job.deck.write_bytes(b"PK")
        return [job.output for job in planned]

    monkeypatch.setattr(reports, "plan_reports", counted_plan)
    monkeypatch.setattr(reports, "render_reports", no_kernel)
    out = tmp_path / "one"
    params = rf.fixture_params()
    written = reports.render_one(rf.YEAR, processed, out, params, manager_id="M1", pptx=True)
    assert written == out / "ledare" / "M1.html" and len(plans) == 1
    [(jobs, workers)] = rendered
    assert workers == 1 and [(j.kind, j.identifier) for j in jobs] == [("ledare", "M1")]
    assert jobs[0].deck == out / "ledare" / "M1.pptx"
    # the notebook gets the run's provenance (planned once, with it), not a placeholder
    provenance = json.loads(jobs[0].parameters["provenance_json"])
    expected = collect_provenance(load_processed_year(processed), params)
    assert provenance == json.loads(json.dumps(expected))
    assert jobs[0].parameters["manager_id"] == "M1"
    # without --pptx no deck; an unknown id is refused after that one plan, rendering nothing
    plans.clear()
    rendered.clear()
    one = reports.render_one(rf.YEAR, processed, out, params, unit_id="A")
    assert one == out / "enhet" / "A.html"
    assert len(plans) == 1 and rendered[0][0][0].deck is None
    plans.clear()
    rendered.clear()
    with pytest.raises(StageError, match="no report for unit W in 2023"):
        reports.render_one(rf.YEAR, processed, out, params, unit_id="W")
    assert len(plans) == 1 and rendered == []
    # nor into the project's published year, nor a year the directory does not hold
    with pytest.raises(RenderError, match="is where year 2023 is published"):
        published = PROJECT_ROOT / "reports" / str(rf.YEAR)
        reports.render_one(rf.YEAR, processed, published, params, unit_id="A")
    with pytest.raises(RenderError, match="holds year 2023, not 2022"):
        reports.render_one(2022, processed, out, params, unit_id="A")
    assert rendered == []


def test_one_report_renders_alone_into_a_folder_of_ones_choice(rendered_year, tmp_path):  # noqa: F811
    """render --unit/--manager: the report at its published place, its CSVs beside it."""
    import shutil

    from analysis.core.figures_io import write_figures_csv
    from analysis.drivers.drivers_csv import write_drivers_csv
    from analysis.render.reports import render_one

    # the processed year as the stages leave it: the CSVs render publishes beside the parquets
    processed = tmp_path / "processed" / str(rf.YEAR)
    shutil.copytree(rendered_year.processed, processed)
    write_figures_csv(rf.figures_table(), processed / "figures.csv")
    write_drivers_csv(rf.drivers_table(), processed / "drivers.csv")
    out = tmp_path / "one"
    written = render_one(rf.YEAR, processed, out, rf.fixture_params(), unit_id="A")
    assert written == out / "enhet" / "A.html"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "drivers.csv",
        "enhet/A.html",
        "figures.csv",
    ]
    # the same report as in the published set, but for the run's own provenance
    one = _soup(rendered_year, "enhet/A.html").find("h1").get_text()
    assert BeautifulSoup(written.read_text("utf-8"), "html.parser").find("h1").get_text() == one
    # any report as PDF on demand (render --pdf), whatever its kind; a unit's
    # report without --pdf has none (nor has the subset a workbook, nor without
    # --pptx a deck)
    leader = render_one(rf.YEAR, processed, out, rf.fixture_params(), manager_id="M1", pdf=True)
    assert leader == out / "ledare" / "M1.html" and leader.is_file()
    assert leader.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf")) == ["ledare/M1.pdf"]
