"""The deck's look in one place: slide size, margins, fonts, colours, and how much fits.

Sizes are in inches (converted to EMU where drawn), fonts in points. How much
text takes is measured word by word in DejaVu Sans (matplotlib's font, wider
than the Arial the slides ask for), to split long tables over continuation
slides and keep text inside its box: a slide that fills its box exactly is not
the aim, one that never overflows is.
"""

from __future__ import annotations

import functools
import math
from typing import Any

#: the section that makes the title slide, and those a deck leaves out: the links to
#: the other reports (a page's navigation, nothing to present)
TITLE_TEMPLATE = "header.html.j2"
LEFT_OUT = frozenset({"links.html.j2"})
#: sections whose slide shows all the page says (the footer: how hidden figures are
#: named, the input's hash, the code's version), not only the words it was given
PROSE_TEMPLATES = frozenset({"provenance.html.j2"})

#: 16:9, as PowerPoint's default widescreen
SLIDE_WIDTH, SLIDE_HEIGHT = 13.333, 7.5
MARGIN = 0.5
TITLE_TOP, TITLE_HEIGHT = 0.3, 0.9
CONTENT_TOP = 1.35
CONTENT_BOTTOM = SLIDE_HEIGHT - 0.4
CONTENT_WIDTH = SLIDE_WIDTH - 2 * MARGIN
CONTENT_HEIGHT = CONTENT_BOTTOM - CONTENT_TOP
#: beside a chart, the text or table column takes this share of the width
SIDE_SHARE = 0.4
GAP = 0.25
CAPTION_GAP = 0.05

FONT = "Arial"
#: text is measured in DejaVu Sans, wider than Arial: an estimate that errs on the safe side
MEASURE_FONT = "DejaVu Sans"
SPACE_EM = 0.35
LINE_SPACING = 1.2
#: the space after a paragraph, in ems (the slides' paragraphs are drawn with it)
PARAGRAPH_SPACE = 0.4
#: the reports' language, on every run of text (spelling, screen readers)
LANGUAGE = "sv-SE"
TITLE_SIZE = 26
SUBTITLE_SIZE = 18
LINE_SIZE = 16
TABLE_SIZE = 12
NOTE_SIZE = 12
CAPTION_SIZE = 16
#: the title slide: the report's title, and the header's lines under it
COVER_TITLE_SIZE = 34
COVER_TITLE_TOP, COVER_TITLE_HEIGHT = 1.6, 1.8
COVER_LINES_TOP, COVER_LINES_HEIGHT = 3.7, 3.2
#: a list item's bullet, and how far its text is indented, inches
BULLET = "•"
BULLET_INDENT = 0.3
#: the sizes lines may shrink to, largest first, so that they stay in their box
LINE_SIZES = (LINE_SIZE, 14, 12, 11, 10)
SUBTITLE_SIZES = (SUBTITLE_SIZE, 16, 14, 12, 11, 10)
#: a text box's inner margins, left and right together
TEXT_INSET = 0.4

#: the reports' colours (templates/report.css): headings, hidden figures, table rules
HEADING_COLOUR = "1F4E79"
TEXT_COLOUR = "222222"
HIDDEN_COLOUR = "595959"  # 7:1 on white, as the page's grey italics must be readable
HEADER_FILL = "DCE6F0"
ROW_FILL = "FFFFFF"

#: the mark of a säkerställd change, as the page shows it
SURE_MARK = "*"
#: a continuation slide's title ends with this
CONTINUED = " (forts.)"


@functools.cache
def _face(bold: bool) -> Any:
    """DejaVu Sans (matplotlib's own, so always there), regular or bold, for measuring."""
    from matplotlib import font_manager, ft2font

    weight = "bold" if bold else "normal"
    found = font_manager.findfont(font_manager.FontProperties(family=MEASURE_FONT, weight=weight))
    return ft2font.FT2Font(found)


@functools.cache
def word_width(word: str, size: float, bold: bool = False) -> float:
    """How wide ``word`` is set in ``size`` points, in inches (DejaVu Sans's metrics)."""
    face = _face(bold)
    face.set_size(size, 72)
    face.set_text(word)
    return face.get_width_height()[0] / 64 / 72


def space_width(size: float) -> float:
    return SPACE_EM * size / 72


def line_height(size: float) -> float:
    """One line of ``size`` points, in inches."""
    return size * LINE_SPACING / 72


def lines_needed(text: str, width: float, size: float, bold: bool = False) -> int:
    """How many lines ``text`` wraps to in ``width`` inches (at least one); a word wider
    than the line takes as many lines as it is wide."""
    lines, used = 1, 0.0
    for word in text.split():
        need = word_width(word, size, bold)
        if used and used + space_width(size) + need > width:
            lines, used = lines + 1, 0.0
        if need > width:
            lines += math.ceil(need / width) - 1
        used += (space_width(size) if used else 0.0) + need
    return lines


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` on one line, in inches."""
    words = text.split()
    return sum(word_width(w, size, bold) for w in words) + space_width(size) * max(
        0, len(words) - 1
    )


def text_height(texts: list[str], width: float, size: float) -> float:
    """The height of ``texts`` as paragraphs ``width`` inches wide, in inches."""
    spacing = size * PARAGRAPH_SPACE / 72
    return sum(lines_needed(t, width, size) * line_height(size) + spacing for t in texts)


#: a table row's padding above and below its text, and a cell's left and right, inches
ROW_PADDING = 0.1
CELL_INSET = 0.2
#: room a column gets beyond its longest word, so that a renderer's own metrics do not break it
CELL_SLACK = 0.08
#: a column gets no more than this many inches of spare room (its text wraps)
LONGEST_CELL = 5.0
