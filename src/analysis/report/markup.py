"""Markup: the one Jinja2 environment of the report sections, and the plain data it draws.

A section builds a context of plain values - text, :class:`Cell` rows of a
:class:`Table`, a :class:`Chart` - and renders its template in ``templates/``
(autoescaped: a unit or question name is always text, never markup). No HTML is
written in Python; charts reach the template as PNG data URIs (and the deck as the
same PNG bytes).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2
from matplotlib.figure import Figure

from analysis.report import plots
from analysis.report.context import Report, ShownSection
from analysis.report.figures import has_value
from analysis.report.phrases import (
    PROTECT_CLAUSE,
    PROTECTED,
    SUPPRESSED,
    SURE_CHANGE,
    SURE_CHANGE_CLASS,
    hidden_predicate,
)
from analysis.report.style import LEVEL_COLOURS


@cache
def environment() -> jinja2.Environment:
    """The templates of ``analysis/report/templates``, created once per kernel."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("analysis.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    """One template rendered with ``context`` (every name it uses must be given)."""
    return environment().get_template(template).render(**context)


def show(report: Report, template: str, **context: Any) -> Any:
    """A section for a notebook cell; records what it showed, and from what, on ``report``.

    The footer (the last cell) explains "dold för att skydda en mindre grupp" and the
    mark of a säkerställd change only in a report that showed them, so every section
    records them here. The section itself (template, heading, context, markup) goes
    to ``report.shown``, from which the deck is drawn with the same values.
    """
    from IPython.display import HTML

    body = render(template, **context)
    if PROTECT_CLAUSE in body:
        report.hidden_shown.add(PROTECTED)
    if SURE_CHANGE_CLASS in body:
        report.hidden_shown.add(SURE_CHANGE)
    report.shown.append(ShownSection(template, heading(body), context, body))
    return HTML(body)


_HEADING = re.compile(r"<h([123])[^>]*>(.*?)</h\1>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def heading(body: str) -> str:
    """The first heading (h1-h3) of rendered markup as text, "" when it has none."""
    found = _HEADING.search(body)
    if found is None:
        return ""
    return " ".join(html.unescape(_TAG.sub("", found.group(2))).split())


# ---------------------------------------------------------------------------
# Tables as data
# ---------------------------------------------------------------------------

TEXT, VALUE, HIDDEN, BAR, EMPTY, AREA = "text", "value", "hidden", "bar", "empty", "area"


@dataclass(frozen=True)
class Cell:
    """One table cell; ``kind`` says how the ``cell`` macro draws it."""

    kind: str
    text: str = ""
    numeric: bool = False
    level: str = ""  # a value's level name (its swatch), "" for none
    colour: str = ""  # the level's colour (swatch or bar)
    width: str = ""  # a bar's width in per cent, one decimal
    description: str = ""  # an area's policy text
    marked: bool = False  # a change that is säkerställd (its interval excludes 0)


def value_cell(text: str, level_name: Any = None) -> Cell:
    """A figure: its text, with the level's swatch; a hidden figure's words in grey italics."""
    if text in (SUPPRESSED, PROTECTED):
        return Cell(HIDDEN, text)
    if isinstance(level_name, str):
        return Cell(VALUE, text, level=level_name, colour=LEVEL_COLOURS[level_name])
    return Cell(VALUE, text)


def change_cell(text: str, marked: Any = False) -> Cell:
    """A change (or why there is none), marked when it is säkerställd."""
    cell = value_cell(text)
    # a table row may hand over numpy's bool; a missing mark (None, NaN) is no mark
    return Cell(cell.kind, cell.text, marked=bool(has_value(marked) and marked))


def bar_cell(value: Any, level_name: Any) -> Cell:
    """A bar 0-100 in the level's colour; an empty cell for a hidden figure."""
    if not has_value(value) or not isinstance(level_name, str):
        return Cell(EMPTY)
    width = max(0.0, min(100.0, value))
    return Cell(BAR, width=f"{width:.1f}", colour=LEVEL_COLOURS[level_name])


def area_cell(area: str, description: Any) -> Cell:
    """An area's name, with the policy's text under it when there is one."""
    text = description if isinstance(description, str) else ""
    return Cell(AREA, area, description=text)


@dataclass(frozen=True)
class Column:
    """A table heading; numeric columns are right-aligned."""

    text: str
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    """Headings and rows of cells, as the ``table`` macro draws them."""

    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)


def table(
    headers: Sequence[str], rows: Iterable[Sequence[str | Cell]], numeric: Sequence[bool] = ()
) -> Table:
    """A table whose plain-text cells take their column's alignment."""
    aligned = list(numeric) or [False] * len(headers)
    return Table(
        [Column(h, n) for h, n in zip(headers, aligned, strict=True)],
        [
            [
                c if isinstance(c, Cell) else Cell(TEXT, c, numeric=n)
                for c, n in zip(row, aligned, strict=True)
            ]
            for row in rows
        ],
    )


# ---------------------------------------------------------------------------
# Charts as data
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A figure (``png``: its bytes) or, when it has no bar, the sentence saying why.

    ``alt`` names the chart and states every number it draws, as the report shows
    it (WCAG 1.1.1: a reader who cannot see the picture gets its numbers); ``data``
    is the chart's table when no table beside it already holds its numbers. The
    page shows the picture as :attr:`src`, the deck places the bytes as they are.
    """

    alt: str
    sentence: str = ""
    data: Table | None = None
    png: bytes = field(default=b"", repr=False)

    @property
    def src(self) -> str:
        """The picture as a PNG data URI for the page's ``img`` ("" without a picture)."""
        return plots.png_data_uri(self.png) if self.png else ""


def chart_alt(title: str, points: Iterable[tuple[str, str]]) -> str:
    """``title``, then each drawn label with its displayed figure: "Titel. A: 78; B: 65."
    (a question's own full stop dropped before the colon)."""
    shown = "; ".join(f"{label.rstrip('.')}: {text}" for label, text in points)
    return f"{title}. {shown}." if shown else title


def percent_texts(values: Iterable[Any], texts: Iterable[str]) -> list[str]:
    """ "87 %" for a shown figure, the words of a hidden one as they are."""
    return [f"{t} %" if has_value(v) else t for v, t in zip(values, texts, strict=True)]


def sorted_like_bars(
    values: Sequence[Any], texts: Iterable[str], labels: Iterable[str]
) -> tuple[list[str], list[str]]:
    """``texts`` and ``labels`` in the order :func:`plots.horizontal_bars` draws them."""
    order = plots.bar_order(list(values))
    texts, labels = list(texts), list(labels)
    return [texts[i] for i in order], [labels[i] for i in order]


def figure(
    fig: Figure, title: str, points: Iterable[tuple[str, str]], data: Table | None = None
) -> Chart:
    """A drawn figure; its alt text states ``points`` (label, displayed figure)."""
    png = plots.figure_png(fig)
    return Chart(chart_alt(title, points), data=data, png=png)


def chart(
    values: Iterable[Any],
    build: Callable[[], Figure],
    title: str,
    texts: Iterable[str],
    labels: Iterable[str],
) -> Chart:
    """The figure ``build`` draws, alt text from ``labels`` and their ``texts``; or one
    sentence (why, from ``texts``) when it has no bar."""
    texts = list(texts)
    if not plots.any_number(list(values)):
        return Chart(
            title,
            sentence=f"Diagrammet ”{title}” visas inte: alla värden {hidden_predicate(texts, 2)}.",
        )
    return figure(build(), title, zip(labels, texts, strict=True))
