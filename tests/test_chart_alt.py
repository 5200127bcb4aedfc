"""Every chart states its numbers: the image's text alternative, and a table beside it.

WCAG 2.1 1.1.1 (non-text content) and 1.3.1 (info and relationships): a reader who
cannot see a chart must get every figure it draws. On the fixture organisation
(``tests/report_fixture.py``, rendered once through the real notebooks) each
image's alt text names the chart and lists label: figure for every bar or point,
each figure also standing in a table of the same section; the areas, AMI and
priority-matrix charts are checked pair by pair against the hand-set fixture.
"""

from __future__ import annotations

import report_fixture as rf
from bs4 import BeautifulSoup
from report_fixture import rendered_year  # noqa: F401  (session fixture)

from analysis.core.rounding import round_half_up


def _soup(rendered, name: str) -> BeautifulSoup:
    return BeautifulSoup((rendered.out_dir / name).read_text(encoding="utf-8"), "html.parser")


def _pairs(alt: str) -> tuple[str, list[tuple[str, str]]]:
    """ "Titel. A: 78; B: 65." -> ("Titel", [("A", "78"), ("B", "65")])."""
    title, _, rest = alt.partition(". ")
    assert rest.endswith("."), alt
    pairs = [tuple(p.rsplit(": ", 1)) for p in rest[:-1].split("; ")]
    assert all(len(p) == 2 for p in pairs), alt
    return title, pairs


def _charts(soup: BeautifulSoup) -> dict[str, tuple[list[tuple[str, str]], BeautifulSoup]]:
    """Each image's title -> its (label, figure) pairs and the section (cell) holding it."""
    found = {}
    for img in soup.find_all("img"):
        title, pairs = _pairs(img["alt"])
        found[title] = (pairs, img.find_parent("section") or img.find_parent("div"))
    return found


def _cells(section: BeautifulSoup) -> set[str]:
    """The section's table cells, a change's säkerställd mark and a unit's " %" dropped."""
    cells = {td.get_text(" ", strip=True).removesuffix(" * (säkerställd)") for td in section("td")}
    return cells | {c.removesuffix(" %") for c in cells}


def test_every_chart_of_every_report_states_figures_that_its_section_tables_hold(
    rendered_year,  # noqa: F811
) -> None:
    """Each figure of an alt text (a number, or the words shown for a hidden one) stands in
    a table cell of the chart's section (the priority matrix: "påverkan 4,3 %, resultat
    78, styrka" in its own columns)."""
    checked = 0
    for name in rf.RENDERED:
        charts = _charts(_soup(rendered_year, name))  # enhet/L is too small for any
        checked += len(charts)
        for title, (pairs, section) in charts.items():
            assert pairs, (name, title)
            cells = {c.lower() for c in _cells(section)}
            for label, figure in pairs:
                for part in figure.split(", "):
                    part = part.removeprefix("påverkan ").removeprefix("resultat ")
                    assert part.lower() in cells or part.removesuffix(" %") in cells, (
                        name,
                        title,
                        label,
                        part,
                    )
    assert checked >= 20


def test_the_areas_and_ami_charts_say_what_their_tables_say(rendered_year) -> None:  # noqa: F811
    soup = _soup(rendered_year, "index.html")
    charts = _charts(soup)
    areas, section = charts["Frågeområden"]
    rows = [
        [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in section.find("table")("tr")[1:]
    ]
    # the bars highest first, as the chart draws them; the table holds each pair
    by_area = {row[0].split(" ")[0]: row[1] for row in rows}
    assert [int(v) for _, v in areas] == sorted((int(v) for _, v in areas), reverse=True)
    assert {label.split(" ")[0]: v for label, v in areas} == by_area
    ami, _ = charts["AMI totalt och delindex"]
    # the hand-set fixture: 79, 79, 81, 78 (see test_render.test_ami_and_its_change)
    assert ami == [
        ("AMI totalt", "79"),
        ("Motivation", "79"),
        ("Ledarskap", "81"),
        ("Styrning", "78"),
    ]


def test_the_priority_matrix_lists_every_point_in_words_and_in_a_table(
    rendered_year,  # noqa: F811
) -> None:
    soup = _soup(rendered_year, "index.html")
    img = next(i for i in soup.find_all("img") if i["alt"].startswith("Prioriteringsmatris."))
    _, pairs = _pairs(img["alt"])
    drivers = rf.drivers_table()
    root = drivers[drivers["unit_id"] == "F"].reset_index(drop=True)
    texts = {q[0]: q[1] for q in rf.QUESTIONS}
    assert len(pairs) == len(root) == len(rf.DRIVER_QUESTIONS)
    data = img.find_next("details", class_="diagramdata").find("table")
    rows = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in data("tr")[1:]]
    quadrant_words = {"styrka": "Styrka", "fokusområde": "Fokusområde", "övrigt": "Övrig fråga"}
    for (label, figure), row, (_, driver) in zip(pairs, rows, root.iterrows(), strict=True):
        # IMPORTANCE["F"] by hand: 0.20 -> 20,0 %, 0.05 -> 5,0 %; the score as shown
        share = f"{round(driver['importance'] * 100)},0 %"
        score = str(round_half_up(driver["score"]))
        placement = quadrant_words[driver["quadrant"]]
        number = str(len([r for r in rows if rows.index(r) < rows.index(row)]) + 1)
        assert label == f"{number}. {texts[driver['question_id']].rstrip('.')}"
        assert figure == f"påverkan {share}, resultat {score}, {placement.lower()}"
        assert row == [number, texts[driver["question_id"]], share, score, placement]
