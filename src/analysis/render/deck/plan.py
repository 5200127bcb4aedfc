"""Which slides a section needs: its parts' blocks laid out, long tables split.

Pure layout, no python-pptx: a :class:`SlidePlan` says what one slide shows.
A slide has a title, a column of text and tables stacked in order, and
perhaps a chart: with a chart, the column takes the left of the slide and the
chart the rest (the chart alone takes it all); without, the column takes the
full width. Beside a chart goes only what fits whole; a table that does not
fit starts a slide of its own and goes on over continuation slides, its heading
row repeated. A part of a section that is only tables and lines (the
"Högst" and "Lägst" lists, an area's questions) goes on the slide before it,
under its own caption, when that slide has no chart and it fits there whole;
the slide is then titled by the section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.render.deck import layout as L
from analysis.render.deck.parts import Lines, Part, cell_text, shown_columns
from analysis.report.markup import Chart, Table


@dataclass(frozen=True)
class Caption:
    """A part's title over its blocks on a slide titled by another part."""

    text: str


@dataclass(frozen=True)
class TableSlice:
    """Rows ``start:stop`` of a table, its shown columns and their widths (inches)."""

    table: Table
    columns: tuple[int, ...]
    widths: tuple[float, ...]
    start: int
    stop: int

    def heights(self) -> list[float]:
        """The heading row's height, then each of these rows' (inches, estimated)."""
        return row_heights(self)[: 1 + self.stop - self.start]


Entry = Caption | Lines | TableSlice


@dataclass
class SlidePlan:
    """One slide: title (and the section above it), its column, a chart, speaker notes."""

    title: str
    label: str = ""
    column: list[Entry] = field(default_factory=list)
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def column_width(self) -> float:
        """The width of the text column: beside a chart, or the whole slide."""
        if self.chart is None:
            return L.CONTENT_WIDTH
        return L.CONTENT_WIDTH * L.SIDE_SHARE - L.GAP / 2

    def used_height(self, width: float | None = None) -> float:
        """How far down the column is filled (at ``width``), inches from the content's top."""
        width = self.column_width if width is None else width
        return sum(entry_height(e, width) + gap_after(e) for e in self.column)

    def lines_size(self) -> float:
        """The size of this slide's lines: the largest at which the whole column fits."""
        width = self.column_width
        fixed = sum(
            entry_height(e, width) + gap_after(e) for e in self.column if not isinstance(e, Lines)
        )
        texts = [t for e in self.column if isinstance(e, Lines) for t in e.texts]
        count = sum(isinstance(e, Lines) for e in self.column)
        room = L.CONTENT_HEIGHT - fixed - count * L.GAP
        return lines_box(texts, width, room)[0] if texts else L.LINE_SIZE


def lines_box(
    texts: list[str] | tuple[str, ...],
    width: float,
    height: float = L.CONTENT_HEIGHT,
    sizes: tuple[float, ...] = L.LINE_SIZES,
    indent: float = L.BULLET_INDENT,
) -> tuple[float, float]:
    """The largest of ``sizes`` at which ``texts`` (list items: ``indent``) fit ``height``,
    and their height there."""
    inner = width - L.TEXT_INSET - indent
    for size in sizes:
        needed = L.text_height(list(texts), inner, size)
        if needed <= height:
            return size, needed
    return sizes[-1], L.text_height(list(texts), inner, sizes[-1])


def gap_after(entry: Entry) -> float:
    """The space under an entry of the column: a caption stays with what it names."""
    return L.CAPTION_GAP if isinstance(entry, Caption) else L.GAP


def entry_height(entry: Entry, width: float) -> float:
    if isinstance(entry, Caption):
        return L.text_height([entry.text], width - L.TEXT_INSET, L.CAPTION_SIZE)
    if isinstance(entry, Lines):
        return lines_box(entry.texts, width)[1]
    return sum(entry.heights())


def _word_width(heading: str, texts: list[str]) -> float:
    """The width (inches) a column needs so that no word in it is broken."""
    words = [L.word_width(w, L.TABLE_SIZE, True) for w in heading.split()]
    words += [L.word_width(w, L.TABLE_SIZE) for t in texts for w in t.split()]
    return max(words, default=0.0) + L.CELL_INSET + L.CELL_SLACK


def column_widths(
    table: Table, columns: list[int], width: float, strict: bool = True
) -> tuple[float, ...] | None:
    """Widths (inches) that break no word, and room for each column's longest text as far
    as ``width`` has it (a table narrower than ``width`` is not stretched).

    When the columns cannot fit ``width`` without breaking a word: None, or (not
    ``strict``) widths in proportion to what each would need.
    """
    headings = [table.columns[i].text for i in columns]
    texts = [[cell_text(row[i]) for row in table.rows] for i in columns]
    least = [_word_width(h, t) for h, t in zip(headings, texts, strict=True)]
    spare = width - sum(least)
    if spare < 0:
        return None if strict else tuple(width * m / sum(least) for m in least)
    wants = [
        min(max((L.text_width(s, L.TABLE_SIZE) for s in [h, *t]), default=0.0), L.LONGEST_CELL)
        + L.CELL_INSET
        - m
        for h, t, m in zip(headings, texts, least, strict=True)
    ]
    wants = [max(0.0, w) for w in wants]
    share = min(1.0, spare / sum(wants)) if sum(wants) else 0.0
    return tuple(m + w * share for m, w in zip(least, wants, strict=True))


def row_heights(piece: TableSlice) -> list[float]:
    """The heading row's height, then each row's from ``piece.start`` to the table's end."""
    table = piece.table

    def height(texts: list[str], bold: bool = False) -> float:
        lines = max(
            L.lines_needed(t, w - L.CELL_INSET, L.TABLE_SIZE, bold)
            for t, w in zip(texts, piece.widths, strict=True)
        )
        return lines * L.line_height(L.TABLE_SIZE) + L.ROW_PADDING

    heading = height([table.columns[i].text for i in piece.columns], bold=True)
    rows = [height([cell_text(row[i]) for i in piece.columns]) for row in table.rows[piece.start :]]
    return [heading, *rows]


def _slice(
    table: Table, start: int, width: float, room: float, strict: bool = True
) -> TableSlice | None:
    """The rows from ``start`` on that fit ``room`` inches (at least one); None when the
    columns do not fit ``width`` (``strict``) without breaking a word."""
    columns = shown_columns(table)
    widths = column_widths(table, columns, width, strict)
    if widths is None:
        return None
    piece = TableSlice(table, tuple(columns), widths, start, len(table.rows))
    heights = row_heights(piece)
    used, stop = heights[0], start
    for h in heights[1:]:
        if used + h > room and stop > start:
            break
        used, stop = used + h, stop + 1
    return TableSlice(table, tuple(columns), widths, start, stop)


class _Planner:
    """Lays out one section's parts over slides (see the module docstring)."""

    def __init__(self, heading: str) -> None:
        self.heading = heading
        self.slides: list[SlidePlan] = []
        self.part: Part | None = None
        self.current: SlidePlan | None = None

    def title(self, title: str) -> str:
        """``title``, marked as continued when a slide before has it."""
        if any(s.title.removesuffix(L.CONTINUED) == title for s in self.slides):
            return title + L.CONTINUED
        return title

    def new(self) -> SlidePlan:
        assert self.part is not None
        self.current = SlidePlan(self.title(self.part.title), self.part.label)
        self.slides.append(self.current)
        return self.current

    def join(self, part: Part) -> None:
        """Put ``part`` under the current slide's column, under its caption; a slide that
        a sub-part's title names is then titled by the section, its part a caption too."""
        slide = self.current
        assert slide is not None
        if slide.label:
            first = slide.title.removesuffix(L.CONTINUED)
            slide.title, slide.label = "", ""
            slide.title = self.title(self.heading)
            slide.column.insert(0, Caption(first))
        slide.column.append(Caption(part.title))

    def fits_whole(self, part: Part) -> bool:
        """Whether ``part`` (tables and lines only) fits under the current slide's column."""
        slide = self.current
        if slide is None or slide.chart or any(isinstance(b, Chart) for b in part.blocks):
            return False
        width = slide.column_width
        captions = [part.title] + ([slide.title] if slide.label else [])  # see join()
        height = slide.used_height() + sum(
            entry_height(Caption(c), width) + L.CAPTION_GAP for c in captions
        )
        for block in part.blocks:
            if isinstance(block, Lines):
                height += lines_box(block.texts, width)[1] + L.GAP
                continue
            assert isinstance(block, Table)
            if not block.rows:
                continue
            piece = _slice(block, 0, width, L.CONTENT_HEIGHT)
            if piece is None or piece.stop < len(block.rows):
                return False
            height += sum(piece.heights()) + L.GAP
        return height <= L.CONTENT_HEIGHT

    def add_part(self, part: Part, may_join: bool) -> None:
        self.part = part
        if may_join and self.fits_whole(part):
            self.join(part)
        else:
            self.current = None
        for block in part.blocks:
            if isinstance(block, Chart) and not block.png:
                block = Lines((block.sentence,))
            if isinstance(block, Lines):
                self.add_lines(block)
            elif isinstance(block, Chart):
                if self.current is None or self.current.chart:
                    self.new()
                assert self.current is not None
                if self.current.used_height(L.CONTENT_WIDTH * L.SIDE_SHARE) > L.CONTENT_HEIGHT:
                    self.new()  # the column would not fit beside the chart
                self.current.chart = block
            elif block.rows:
                self.add_table(block)

    def add_lines(self, lines: Lines) -> None:
        slide = self.current or self.new()
        width = slide.column_width
        need = lines_box(lines.texts, width, sizes=(L.NOTE_SIZE,))[1]
        if slide.column and slide.used_height() + need > L.CONTENT_HEIGHT:
            slide = self.new()
        slide.column.append(lines)

    def add_table(self, table: Table) -> None:
        start = 0
        while start < len(table.rows):
            slide = self.current or self.new()
            room = L.CONTENT_HEIGHT - slide.used_height()
            piece = _slice(table, start, slide.column_width, room)
            busy = bool(slide.column or slide.chart)
            if piece is None or (busy and (piece.stop < len(table.rows) or room <= 0)):
                if busy:
                    self.new()  # beside other things only a whole table
                    continue
                # too wide even for a whole slide: its longest words will break
                piece = _slice(table, start, slide.column_width, room, strict=False)
                assert piece is not None
            slide.column.append(piece)
            start = piece.stop
            if start < len(table.rows):
                self.new()


def plan_section(parts: list[Part]) -> list[SlidePlan]:
    """The slides of one section's parts, in order; the first carries the section's notes."""
    planner = _Planner(parts[0].label or parts[0].title)
    for number, part in enumerate(parts):
        planner.add_part(part, may_join=number > 0)
    if not planner.slides:
        planner.part = parts[0]
        planner.new()
    planner.slides[0].notes = [n for p in parts for n in p.notes]
    return planner.slides
