"""Drawing the planned slides with python-pptx: titles, lines, pictures, tables, notes.

Every slide's title is in its title placeholder (so PowerPoint's outline and a
screen reader find it), every picture carries its chart's alt text, every run
of text is marked Swedish. A hidden figure's cell shows its words ("för få
svar") in grey italics, as on the page (:mod:`.table`).
"""

from __future__ import annotations

import io
import struct

from pptx.dml.color import RGBColor
from pptx.enum.lang import MSO_LANGUAGE_ID
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls
from pptx.presentation import Presentation as PresentationType
from pptx.shapes.picture import Picture
from pptx.slide import Slide
from pptx.text.text import TextFrame
from pptx.util import Inches, Pt

from analysis.render.deck import layout as L
from analysis.render.deck.plan import Caption, SlidePlan, TableSlice, gap_after, lines_box
from analysis.render.deck.table import add_table
from analysis.render.errors import RenderError
from analysis.report.markup import Chart

#: the default template's layouts: a title slide, and a slide with a title only
TITLE_LAYOUT, TITLE_ONLY_LAYOUT = 0, 5
_PNG = b"\x89PNG\r\n\x1a\n"


def _run_style(
    run: object, size: float, colour: str, bold: bool = False, italic: bool = False
) -> None:
    font = run.font  # type: ignore[attr-defined]
    font.name, font.size, font.bold, font.italic = L.FONT, Pt(size), bold, italic
    font.color.rgb = RGBColor.from_string(colour)
    font.language_id = MSO_LANGUAGE_ID.SWEDISH


def write_paragraphs(
    frame: TextFrame,
    texts: list[str],
    size: float,
    colour: str = L.TEXT_COLOUR,
    bold: bool = False,
    italic: bool = False,
    bullets: bool = False,
) -> None:
    """``texts`` as the frame's paragraphs (replacing what it held), wrapped; ``bullets``:
    each a list item (a bullet drawn by the paragraph, not a character of its text)."""
    frame.word_wrap = True
    for number, text in enumerate(texts):
        paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
        paragraph.alignment = PP_ALIGN.LEFT
        paragraph.space_after = Pt(size * L.PARAGRAPH_SPACE)
        if bullets:
            properties = paragraph._p.get_or_add_pPr()
            properties.set("marL", str(Inches(L.BULLET_INDENT)))
            properties.set("indent", str(-Inches(L.BULLET_INDENT)))
            properties.append(parse_xml(f'<a:buChar {nsdecls("a")} char="{L.BULLET}"/>'))
        run = paragraph.add_run()
        run.text = text
        _run_style(run, size, colour, bold, italic)


def _place(shape: object, left: float, top: float, width: float, height: float) -> None:
    shape.left, shape.top = Inches(left), Inches(top)  # type: ignore[attr-defined]
    shape.width, shape.height = Inches(width), Inches(height)  # type: ignore[attr-defined]


def title_slide(prs: PresentationType, title: str, lines: list[str]) -> Slide:
    """The first slide: the report's title and the header's lines (kind, response rate)."""
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_LAYOUT])
    heading, subtitle = slide.placeholders[0], slide.placeholders[1]
    _place(heading, L.MARGIN, L.COVER_TITLE_TOP, L.CONTENT_WIDTH, L.COVER_TITLE_HEIGHT)
    heading.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    write_paragraphs(heading.text_frame, [title], L.COVER_TITLE_SIZE, L.HEADING_COLOUR, bold=True)
    _place(subtitle, L.MARGIN, L.COVER_LINES_TOP, L.CONTENT_WIDTH, L.COVER_LINES_HEIGHT)
    subtitle.text_frame.vertical_anchor = MSO_ANCHOR.TOP
    size, _ = lines_box(lines, L.CONTENT_WIDTH, L.COVER_LINES_HEIGHT, L.SUBTITLE_SIZES, 0.0)
    write_paragraphs(subtitle.text_frame, lines, size)
    return slide


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _picture(
    slide: Slide, chart: Chart, left: float, top: float, width: float, height: float
) -> Picture:
    """The chart's picture, as large as fits the box with its proportions, centred in it."""
    data = chart.png  # the bytes the page's data URI encodes
    if not data.startswith(_PNG):
        raise RenderError(f"chart {chart.alt!r}: holds no PNG, cannot go in a deck")
    pixels_w, pixels_h = _png_size(data)
    scale = min(width / pixels_w, height / pixels_h)
    w, h = pixels_w * scale, pixels_h * scale
    picture = slide.shapes.add_picture(
        io.BytesIO(data),
        Inches(left + (width - w) / 2),
        Inches(top + (height - h) / 2),
        Inches(w),
        Inches(h),
    )
    # the alt text a screen reader reads (python-pptx would name the file)
    picture._element.nvPicPr.cNvPr.set("descr", chart.alt)
    picture.name = chart.alt
    return picture


def content_slide(prs: PresentationType, plan: SlidePlan) -> Slide:
    """One planned slide: title (the section's heading above it), column, chart, notes."""
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY_LAYOUT])
    title = slide.shapes.title
    _place(title, L.MARGIN, L.TITLE_TOP, L.CONTENT_WIDTH, L.TITLE_HEIGHT)
    title.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    write_paragraphs(title.text_frame, [plan.title], L.TITLE_SIZE, L.HEADING_COLOUR, bold=True)
    if plan.label:
        label = slide.shapes.add_textbox(
            Inches(L.MARGIN), Inches(0.05), Inches(L.CONTENT_WIDTH), Inches(0.35)
        )
        write_paragraphs(label.text_frame, [plan.label], L.NOTE_SIZE, L.HIDDEN_COLOUR)
    width, top, size = plan.column_width, L.CONTENT_TOP, plan.lines_size()
    for entry in plan.column:
        if isinstance(entry, TableSlice):
            top += add_table(slide, entry, L.MARGIN, top) + L.GAP
            continue
        if isinstance(entry, Caption):
            texts, font, bold, bullets = [entry.text], L.CAPTION_SIZE, True, False
        else:
            texts, font, bold, bullets = list(entry.texts), size, False, True
        indent = L.BULLET_INDENT if bullets else 0.0
        height = L.text_height(texts, width - L.TEXT_INSET - indent, font)
        box = slide.shapes.add_textbox(
            Inches(L.MARGIN), Inches(top), Inches(width), Inches(height + 0.1)
        )
        write_paragraphs(box.text_frame, texts, font, bold=bold, bullets=bullets)
        top += height + gap_after(entry)
    if plan.chart is not None:
        side = width + L.GAP if plan.column else 0.0
        left, chart_width = L.MARGIN + side, L.CONTENT_WIDTH - side
        _picture(slide, plan.chart, left, L.CONTENT_TOP, chart_width, L.CONTENT_HEIGHT)
    if plan.notes:
        write_paragraphs(slide.notes_slide.notes_text_frame, plan.notes, L.NOTE_SIZE)
    return slide
