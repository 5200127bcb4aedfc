"""The report's markup: autoescaped templates drawing plain data (report.markup)."""

from __future__ import annotations

import base64

import jinja2
import pytest
from bs4 import BeautifulSoup

from analysis.report import markup, plots
from analysis.report.phrases import PROTECTED, SUPPRESSED
from analysis.report.style import LEVEL_COLOURS


def _table_html(table: markup.Table) -> BeautifulSoup:
    template = markup.environment().from_string(
        '{% import "macros.html.j2" as m %}{{ m.table(t) }}'
    )
    return BeautifulSoup(template.render(t=table), "html.parser")


def test_the_environment_is_made_once_autoescaped_and_strict() -> None:
    env = markup.environment()
    assert env is markup.environment()
    assert env.autoescape is True
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()


def test_names_are_text_never_markup() -> None:
    table = markup.table(["Skola"], [["<b>Alfa & Beta</b>"]])
    soup = _table_html(table)
    assert soup.find("b") is None
    assert soup.td.get_text() == "<b>Alfa & Beta</b>"


def test_cells_carry_alignment_level_and_hidden_words() -> None:
    level = next(iter(LEVEL_COLOURS))
    table = markup.table(
        ["Fråga", "Index", "Förändring"],
        [["q1", markup.value_cell("80", level), markup.value_cell(SUPPRESSED)]],
        [False, True, True],
    )
    soup = _table_html(table)
    assert [th.get("class") for th in soup.find_all("th")] == [None, ["tal"], ["tal"]]
    text, value, hidden = soup.find_all("td")
    assert text.get("class") is None
    assert value["class"] == ["tal"]
    assert value.span["title"] == level
    assert value.span["style"] == f"background:{LEVEL_COLOURS[level]}"
    assert hidden["class"] == ["tal", "ffs"] and hidden.get_text() == SUPPRESSED
    assert markup.value_cell(PROTECTED).kind == markup.HIDDEN


def test_a_bar_is_clamped_to_0_100_and_hidden_values_draw_none() -> None:
    level = next(iter(LEVEL_COLOURS))
    assert markup.bar_cell(104.0, level).width == "100.0"
    assert markup.bar_cell(62.25, level).width == "62.2"
    assert markup.bar_cell(None, level).kind == markup.EMPTY
    assert markup.bar_cell(50.0, None).kind == markup.EMPTY


def test_a_chart_without_a_bar_is_a_sentence_saying_why() -> None:
    chart = markup.chart(
        [None, None], lambda: pytest.fail("nothing to draw"), "AMI", [PROTECTED], ["Kvinna"]
    )
    assert chart.src == "" and chart.png == b""
    assert chart.sentence == (
        "Diagrammet ”AMI” visas inte: alla värden är dolda för att skydda en mindre grupp."
    )


def test_a_chart_s_alt_text_states_each_bar_in_the_order_drawn() -> None:
    assert markup.chart_alt("Frågeområden", [("Lön.", "62"), ("Arbetsmiljö", "för få svar")]) == (
        "Frågeområden. Lön: 62; Arbetsmiljö: för få svar."
    )
    # horizontal bars: highest first, ties in their order, the hidden last
    texts, labels = markup.sorted_like_bars(
        [70.0, None, 81.2, 70.0], ["70", "för få svar", "81", "70"], ["a", "b", "c", "d"]
    )
    assert labels == ["c", "a", "d", "b"] and texts == ["81", "70", "70", "för få svar"]
    assert markup.percent_texts([87.2, None], ["87", "för få svar"]) == ["87 %", "för få svar"]
    # a hidden bar is stated by its words beside its own label, never with a number
    drawn = markup.chart(
        [81.2, None],
        lambda: plots.horizontal_bars(["Kvinna", "Man"], [81.2, None], missing=["81", PROTECTED]),
        "AMI per kön",
        ["81", PROTECTED],
        ["Kvinna", "Man"],
    )
    assert drawn.src.startswith("data:image/png;base64,")
    # the deck's bytes: the PNG itself, the very bytes the page's data URI encodes
    assert drawn.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert base64.b64decode(drawn.src.split(",", 1)[1]) == drawn.png
    assert drawn.alt == f"AMI per kön. Kvinna: 81; Man: {PROTECTED}."


def test_a_change_cell_is_marked_whatever_kind_of_true_a_table_row_hands_over():
    import numpy as np

    from analysis.report.markup import change_cell

    assert change_cell("+3", np.bool_(True)).marked  # a row of a pandas frame
    assert change_cell("+3", True).marked
    assert not change_cell("+1", np.bool_(False)).marked
    assert not change_cell("+1", None).marked and not change_cell("+1", float("nan")).marked
    # a hidden figure's words are never marked, and keep their grey italics
    hidden = change_cell("för få svar", False)
    assert hidden.kind == "hidden" and not hidden.marked
