"""End to end: the fixture organisation rendered through the real notebooks.

The expected numbers are worked out by hand from ``tests/report_fixture.py``
(e.g. the förvaltning's AMI 79.4 against 80.3: shown 79, change 79 − 80 = −1).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import nbformat
import openpyxl
import pytest
import report_fixture as rf
from bs4 import BeautifulSoup
from report_fixture import rendered_year  # noqa: F401  (session fixture)

from analysis import render
from analysis.report_data import load_processed_year
from analysis.style import MINUS

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


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
    assert rendered_year.written == [*expected, workbook]
    assert all(p.is_file() and p.stat().st_size > 0 for p in rendered_year.written)
    # atomic writes leave no temporary files behind
    assert not list(rendered_year.out_dir.rglob("*.tmp"))


def test_plan_covers_forvaltning_omraden_enheter_and_leaders(tmp_path):
    processed = rf.write_fixture(tmp_path / "2023")
    data = load_processed_year(processed)
    jobs = render.plan_reports(data, tmp_path / "out", "{}")
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
        names = render.parameter_names(nb)
        assert {"year", "processed_dir", "provenance_json"} <= names


# ------------------------------------------------------------------ the förvaltning report


def test_forvaltning_sections_in_order(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    assert soup.find("h1").get_text() == "Medarbetarenkät 2023 – Testförvaltningen"
    assert [h.get_text() for h in soup.find_all("h2")] == [
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
        "AMI mot målen",
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


def test_suppressed_age_group_says_too_few_answers(rendered_year):  # noqa: F811
    rows = _table_after(_soup(rendered_year, "index.html"), "AMI – ålder")
    assert rows == [
        ["Åldersgrupp", "AMI 2023", "AMI 2022", "Förändring"],
        ["-29", "för få svar", "", ""],
        ["30-49", "78", "79", f"{MINUS}1"],  # 78.2 vs 79.1
        ["50-", "81", "82", f"{MINUS}1"],  # 80.6 vs 81.5
    ]


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
    assert [(r[0][:25], r[2]) for r in up[1:]] == [
        ("Jag känner till vilka lön", "+2"),
        ("Jag har de digitala verkt", "+2"),
        ("Jag vet vad som förväntas", "+2"),
    ]
    assert [r[2] for r in down[1:]] == [f"{MINUS}3", f"{MINUS}3", f"{MINUS}2"]
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
    counts, schools = heading.find_all_next("table")[:2]
    rows = [[c.get_text() for c in tr(["td", "th"])] for tr in counts("tr")]
    assert rows == [["Skolform", "Antal under 70"], ["grundskola", "1"], ["gymnasieskola", "1"]]
    rows = [[c.get_text() for c in tr("td")] for tr in schools("tr")[1:]]
    assert rows == [["Hagaskolan", "grundskola", "60"], ["Epsilongymnasiet", "gymnasieskola", "65"]]
    text = soup.get_text(" ")
    assert "senast den 16 juni 2023" in text
    assert "1 skola har för få svar" in text


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
    assert role[1] == ["Chef", "för få svar", "för få svar", "för få svar", "för få svar"]


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
    assert [img["alt"] for img in soup("img")] == ["AMI totalt och delindex", "Prioriteringsmatris"]
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
    assert "rd.open" not in html and "report_data" not in html and "provenance_json" not in html
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
        ["git", "rev-parse", "HEAD"], cwd=render.PROJECT_ROOT, capture_output=True, text=True
    )
    commit = head.stdout.strip() if head.returncode == 0 else "okänd"
    assert f"Kodversion (git commit): {commit}" in text
    assert re.search(r"ej incheckade ändringar: (ja|nej)", text)
    import pandas

    assert f"pandas {pandas.__version__}" in text
    params = json.loads(footer.find("pre").get_text())
    assert params == json.loads(json.dumps(dataclasses.asdict(rf.fixture_params())))


def test_images_are_figures(rendered_year):  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    alts = [img["alt"] for img in soup("img")]
    assert alts == [
        "Svarsfrekvens per år",
        "Svarsfrekvens per enhet",
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
        "unit_name",
    )
    current = [r for r in rf.figure_rows() if r["year"] == 2023]
    assert len(figures) - 1 == len(current)
    ami = [r for r in figures if r[1:4] == ("F", "all", "AMI")]
    assert len(ami) == 1
    assert ami[0][4] == 12 and ami[0][5] == pytest.approx(79.4)
    assert ami[0][6] == pytest.approx(79.4 - 80.3)
    assert ami[0][7] == "Testförvaltningen"
    tiny = next(r for r in figures if r[1] == "L" and r[3] == "AMI" and r[2] == "all")
    assert tiny[4:7] == (None, None, None)  # suppressed: empty, never 0

    drivers = list(book["drivkrafter"].iter_rows(values_only=True))
    assert drivers[0][:3] == ("year", "unit_id", "question_id")
    assert drivers[0][-2:] == ("importance_from", "basis")
    assert len(drivers) - 1 == len(rf.drivers_table())
    borrowed = [r for r in drivers if r[1] == "A"]
    assert {r[-2] for r in borrowed} == {"N"} and {r[-1] for r in borrowed} == {"borrowed"}


def test_workbook_bytes_repeat(tmp_path):
    processed = rf.write_fixture(tmp_path / "2023")
    data = load_processed_year(processed)
    provenance = {"params": dataclasses.asdict(rf.fixture_params()), "input_sha256": "x"}
    assert render.workbook_bytes(data, provenance) == render.workbook_bytes(data, provenance)


def test_unknown_report_name_is_refused(tmp_path):
    processed = rf.write_fixture(tmp_path / "2023")
    with pytest.raises(render.RenderError, match=r"no such report in 2023: \['enhet/X.html'\]"):
        render.render_year(
            2023,
            processed,
            tmp_path / "out",
            rf.fixture_params(),
            only=["enhet/X.html"],
            progress=False,
        )
