"""A table slice as DrawingML: written as one piece of XML, not cell by cell.

python-pptx's cell and run properties each walk the XML tree to find or make
their element; for the hundreds of cells of a förvaltning's deck that took
most of its second. The table (``a:tbl``) is therefore written here as one
string and parsed once into the frame python-pptx made: a heading row on a
light fill, then the rows, each cell with a thin rule under it (as the page's
tables), numbers right-aligned, a hidden figure's words in grey italics.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls
from pptx.slide import Slide
from pptx.util import Emu, Inches

from analysis.render.deck import layout as L
from analysis.render.deck.parts import cell_text
from analysis.render.deck.plan import TableSlice
from analysis.report.markup import AREA, HIDDEN

#: PowerPoint's "No Style, No Grid": the deck sets every fill and rule itself
NO_STYLE = "{2D5ABB26-0587-4C30-8999-92F81FD0307C}"
RULE_COLOUR = "BFBFBF"
#: a table's shape is named "Tabell, rader 1–12" (the rows of its table it shows)
TABLE_NAME = "Tabell, rader"
_EMU_PER_POINT = 12700


def _emu(inches: float) -> int:
    return int(Emu(Inches(inches)))


def _cell(text: str, right: bool, fill: str, colour: str, bold: bool, italic: bool) -> str:
    """One ``a:tc``: a paragraph of one run, the cell's margins, rule and fill."""
    size = int(L.TABLE_SIZE * 100)
    attributes = f'lang="{L.LANGUAGE}" sz="{size}" b="{int(bold)}" i="{int(italic)}" dirty="0"'
    align = ' algn="r"' if right else ""
    margin = _emu(L.CELL_INSET / 2)
    return (
        f"<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:pPr{align}/>"
        f"<a:r><a:rPr {attributes}>"
        f'<a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'
        f'<a:latin typeface="{L.FONT}"/><a:cs typeface="{L.FONT}"/></a:rPr>'
        f"<a:t>{escape(text)}</a:t></a:r></a:p></a:txBody>"
        f'<a:tcPr marL="{margin}" marR="{margin}" marT="{_emu(L.ROW_PADDING / 2)}" '
        f'marB="{_emu(L.ROW_PADDING / 2)}">'
        f'<a:lnB w="{_EMU_PER_POINT}"><a:solidFill><a:srgbClr val="{RULE_COLOUR}"/>'
        f"</a:solidFill></a:lnB>"
        f'<a:solidFill><a:srgbClr val="{fill}"/></a:solidFill></a:tcPr></a:tc>'
    )


def table_xml(piece: TableSlice) -> str:
    """The ``a:tbl`` of one slice: the heading row, then rows ``start:stop``."""
    heights = piece.heights()
    columns = [piece.table.columns[i] for i in piece.columns]
    grid = "".join(f'<a:gridCol w="{_emu(w)}"/>' for w in piece.widths)
    heading = "".join(
        _cell(c.text, c.numeric, L.HEADER_FILL, L.TEXT_COLOUR, True, False) for c in columns
    )
    rows = [f'<a:tr h="{_emu(heights[0])}">{heading}</a:tr>']
    for row, height in zip(piece.table.rows[piece.start : piece.stop], heights[1:], strict=True):
        cells = []
        for i, column in zip(piece.columns, columns, strict=True):
            shown = row[i]
            hidden = shown.kind == HIDDEN
            cells.append(
                _cell(
                    cell_text(shown),
                    shown.numeric or column.numeric or hidden,
                    L.ROW_FILL,
                    L.HIDDEN_COLOUR if hidden else L.TEXT_COLOUR,
                    shown.kind == AREA,
                    hidden,
                )
            )
        rows.append(f'<a:tr h="{_emu(height)}">{"".join(cells)}</a:tr>')
    return (
        f"<a:tbl {nsdecls('a')}>"
        f'<a:tblPr firstRow="1" bandRow="0"><a:tableStyleId>{NO_STYLE}</a:tableStyleId></a:tblPr>'
        f"<a:tblGrid>{grid}</a:tblGrid>{''.join(rows)}</a:tbl>"
    )


def add_table(slide: Slide, piece: TableSlice, left: float, top: float) -> float:
    """The slice drawn at (``left``, ``top``) inches; its height (inches)."""
    heights = piece.heights()
    frame = slide.shapes.add_table(
        1 + piece.stop - piece.start,
        len(piece.columns),
        Inches(left),
        Inches(top),
        Inches(sum(piece.widths)),
        Inches(sum(heights)),
    )
    old = frame._element.graphic.graphicData.tbl
    old.getparent().replace(old, parse_xml(table_xml(piece)))
    # the name says which rows (a continuation starts after row 1), in the selection pane
    frame.name = f"{TABLE_NAME} {piece.start + 1}–{piece.stop}"
    return sum(heights)
