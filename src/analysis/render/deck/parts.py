"""What a recorded section puts on slides: its parts, each a title and blocks in order.

Nothing here computes a figure. A section's context (``ShownSection.context``,
what its template was given) is walked in order, generically over the plain
values the sections build:

* a :class:`~analysis.report.markup.Chart` is a picture (or, without one, the
  sentence saying why), a :class:`~analysis.report.markup.Table` a table;
* a list of strings is lines (the summaries, the listed items); a list of
  tuples of strings is a list of records, which the page writes out in its
  prose (and so the speaker notes);
* a dict with a ``title`` (or ``name``) is a part of its own, on slides of its
  own, titled by the page's sub-heading that names it, and so is a tuple that
  starts with its title (``("Högst", table)``); any other dict, dataclass or
  list is walked for what it holds;
* a string is words the page already says in a paragraph: shown on the slide
  only when its part would otherwise show nothing (``"Ingen fråga har ökat."``).

The page's own prose - its paragraphs, written by the template around these
values - is read back from the section's markup (:func:`prose`): it goes into
the speaker notes, and onto the slide of a section that has nothing else to
show (the footer). So a section the lead adds later appears in the deck as
it is, without code here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from analysis.render.deck.layout import PROSE_TEMPLATES, SURE_MARK
from analysis.report.context import ShownSection
from analysis.report.markup import AREA, BAR, EMPTY, Cell, Chart, Column, Table


@dataclass(frozen=True)
class Lines:
    """Lines of text shown as a list (a summary, the items of a list)."""

    texts: tuple[str, ...]


Block = Lines | Chart | Table


@dataclass
class Part:
    """One part of a section: its slide title, what it shows in order, and notes."""

    title: str
    label: str = ""  # the section's heading above a sub-part's title
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the speaker notes

    @property
    def has_figure(self) -> bool:
        return any(isinstance(b, Chart | Table) for b in self.blocks)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a section's markup as text, and the classes it carries."""

    text: str
    classes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Prose:
    """A section's markup read as text: sub-headings (h3) and paragraphs, in order."""

    headings: tuple[str, ...]
    paragraphs: tuple[Paragraph, ...]


# ---------------------------------------------------------------------------
# The page's prose
# ---------------------------------------------------------------------------

#: where no prose is: tables (the deck draws them), the summaries (lines already),
#: the style sheet, what a page folds away (<details>: the footer's parameters, the
#: lists of links and of the questions a matrix lacks, which are lines already)
_SKIPPED = frozenset({"table", "style", "pre", "details", "script"})
_PARAGRAPHS = frozenset({"p", "li"})
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "col", "wbr"})


class _ProseReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[str] = []
        self.paragraphs: list[Paragraph] = []
        self._stack: list[tuple[str, frozenset[str]]] = []
        self._text: list[str] = []

    def _skipping(self) -> bool:
        return any(
            tag in _SKIPPED or (tag == "ul" and "sammanfattning" in classes)
            for tag, classes in self._stack
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            if tag == "br" and not self._skipping():
                self._text.append(" ")
            return
        classes = frozenset((dict(attrs).get("class") or "").split())
        if tag in _PARAGRAPHS or tag in ("h1", "h2", "h3"):
            self._text = []
        self._stack.append((tag, classes))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not any(t == tag for t, _ in self._stack):
            return
        while self._stack:
            open_tag, classes = self._stack.pop()
            if open_tag == tag:
                break
        if self._skipping():
            return
        text = " ".join("".join(self._text).split())
        if tag == "h3" and text:
            self.headings.append(text)
        elif tag in _PARAGRAPHS and text:
            inherited = frozenset().union(*(c for t, c in self._stack if t == "ul"))
            self.paragraphs.append(Paragraph(text, classes | inherited))
        if tag in _PARAGRAPHS or tag in ("h1", "h2", "h3"):
            self._text = []

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self._text.append(data)


def prose(body: str) -> Prose:
    """The sub-headings and paragraphs (``p``, ``li``) of a section's markup, as text."""
    reader = _ProseReader()
    reader.feed(body)
    reader.close()
    return Prose(tuple(reader.headings), tuple(reader.paragraphs))


# ---------------------------------------------------------------------------
# The parts of a section
# ---------------------------------------------------------------------------

_TITLE_KEYS = ("title", "name")


def _fields(value: Any) -> Iterator[tuple[str, Any]]:
    """A dict's or a dataclass's items, in order; nothing for anything else."""
    if isinstance(value, dict):
        yield from value.items()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield f.name, getattr(value, f.name)


def _is_lines(value: Any) -> bool:
    if not isinstance(value, list | tuple) or not value:
        return False
    return all(isinstance(v, str) for v in value)


def _is_titled_tuple(value: Any) -> bool:
    """``(title, table, ...)``: a tuple that starts with its title and holds more than words."""
    return (
        isinstance(value, tuple)
        and len(value) > 1
        and isinstance(value[0], str)
        and not all(isinstance(v, str) for v in value)
    )


class _Walker:
    """Walks one section's context into parts (see the module docstring)."""

    def __init__(self, section: ShownSection, read: Prose) -> None:
        self.heading = section.heading
        self.headings = list(read.headings)
        self.said = {p.text for p in read.paragraphs}
        self.parts = [Part(section.heading)]

    def sub_heading(self, title: str) -> str:
        """The page's next sub-heading that names ``title`` (skipping those before it)."""
        for number, heading in enumerate(self.headings):
            if title in heading:
                del self.headings[: number + 1]
                return heading
        return title

    def walk(self, value: Any, part: Part) -> None:
        if isinstance(value, Chart | Table):
            part.blocks.append(value)
            if isinstance(value, Chart) and value.data is not None:
                part.blocks.append(value.data)  # the chart's numbers, as the page's table
        elif isinstance(value, Cell | Column | bool | int | float) or value is None:
            return
        elif isinstance(value, str):
            text = " ".join(value.split())
            if text in self.said:
                part.notes.append(text)
        elif _is_lines(value):
            part.blocks.append(Lines(tuple(" ".join(v.split()) for v in value)))
        elif _is_titled_tuple(value):
            self.sub_part(value[0], value[1:])
        elif isinstance(value, list | tuple):
            for item in value:
                if not (isinstance(item, tuple) and _is_lines(item)):
                    self.walk(item, part)  # a tuple of words is a record: the notes say it
        else:
            items = list(_fields(value))
            title = None
            if isinstance(value, dict):  # a dataclass's name is a field (a level band's)
                title = next(
                    (v for k, v in items if k in _TITLE_KEYS and isinstance(v, str) and v), None
                )
            if title is not None:
                self.sub_part(title, [v for k, v in items if k not in _TITLE_KEYS])
            else:
                for _, item in items:
                    self.walk(item, part)

    def sub_part(self, title: str, values: Any) -> None:
        part = Part(self.sub_heading(title), label=self.heading)
        self.parts.append(part)
        for value in values:
            self.walk(value, part)


def shown_columns(table: Table) -> list[int]:
    """The columns a slide shows: all but a column of bars (its numbers are beside it)."""
    drawn = (BAR, EMPTY)
    return [
        i
        for i, column in enumerate(table.columns)
        if column.text or not all(row[i].kind in drawn for row in table.rows)
    ]


def cell_text(cell: Cell) -> str:
    """A cell's words on a slide, as the page shows them: a säkerställd change with its mark,
    an area by its name (the policy's text under it is in the speaker notes)."""
    if cell.kind in (BAR, EMPTY):
        return ""
    return cell.text + (SURE_MARK if cell.marked else "")


def _descriptions(parts: list[Part]) -> list[str]:
    """The texts under the areas' names in the page's tables, for the speaker notes."""
    return [
        f"{cell.text}: {cell.description}"
        for part in parts
        for block in part.blocks
        if isinstance(block, Table)
        for row in block.rows
        for cell in row
        if cell.kind == AREA and cell.description
    ]


def section_parts(section: ShownSection) -> list[Part]:
    """The parts a section shows, in order; the first carries the section's prose as notes.

    A part without a chart or a table shows the words its strings say (a part
    without even those, only its title, is dropped when other parts carry the
    section); a section that shows nothing else, or whose template is one of
    :data:`~analysis.render.deck.layout.PROSE_TEMPLATES`, shows its whole prose.
    """
    read = prose(section.body)
    walker = _Walker(section, read)
    for _, value in section.context.items():
        walker.walk(value, walker.parts[0])
    parts = walker.parts
    if section.template in PROSE_TEMPLATES:
        parts = [Part(section.heading, blocks=[Lines(tuple(p.text for p in read.paragraphs))])]
    for part in parts:
        if not part.has_figure and part.notes:
            part.blocks.insert(0, Lines(tuple(part.notes)))
    if not any(p.blocks for p in parts):  # nothing but words: the page's, all of them
        parts[0].blocks.append(Lines(tuple(p.text for p in read.paragraphs)))
    kept = [p for p in parts if p.blocks] or parts[:1]
    kept[0].notes = [p.text for p in read.paragraphs] + _descriptions(parts)
    for part in kept[1:]:
        part.notes = []
    return kept
