"""A report's deck: the title slide, then each shown section's slides, written to a file.

The slides of each report section are grouped in a PowerPoint section named by
the section's heading (PowerPoint's and LibreOffice's slide sorter shows them;
the tests read them to compare the deck with the page section by section).
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from xml.sax.saxutils import quoteattr

from pptx import Presentation
from pptx.oxml import parse_xml
from pptx.util import Inches

from analysis.core.atomic import write_bytes_atomic
from analysis.render.deck import layout as L
from analysis.render.deck.fixed import fix_properties, fixed_zip
from analysis.render.deck.parts import prose, section_parts
from analysis.render.deck.plan import plan_section
from analysis.render.deck.slides import content_slide, title_slide
from analysis.render.errors import RenderError
from analysis.report.context import Report, ShownSection

#: the title slide's lines leave out the page's notes (the link back to the förvaltning)
_PAGE_ONLY = "not"
#: PowerPoint 2010's extension for sections, and its namespace
_SECTIONS_EXT = "{521415D9-36F7-43E2-AB2F-B90AF26B5E84}"
P14 = "http://schemas.microsoft.com/office/powerpoint/2010/main"
#: the namespace of the sections' ids (a section's id is derived from its place and name)
_SECTION_IDS = uuid.UUID("6f0b8f3e-2f4d-4c53-9a43-6d6564617274")


def add_sections(prs: object, groups: list[tuple[str, list[int]]]) -> None:
    """Group the slides (by slide id) into named PowerPoint sections, in order."""
    sections = []
    for number, (name, slide_ids) in enumerate(groups):
        ident = uuid.uuid5(_SECTION_IDS, f"{number}:{name}")
        ids = "".join(f'<p14:sldId id="{i}"/>' for i in slide_ids)
        sections.append(
            f'<p14:section name={quoteattr(name)} id="{{{str(ident).upper()}}}">'
            f"<p14:sldIdLst>{ids}</p14:sldIdLst></p14:section>"
        )
    ext = parse_xml(
        f'<p:ext xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
        f'uri="{_SECTIONS_EXT}"><p14:sectionLst xmlns:p14="{P14}">{"".join(sections)}'
        "</p14:sectionLst></p:ext>"
    )
    presentation = prs.part._element  # type: ignore[attr-defined]
    ext_list = presentation.find(f"{{{presentation.nsmap['p']}}}extLst")
    if ext_list is None:
        ext_list = parse_xml(
            '<p:extLst xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>'
        )
        presentation.append(ext_list)
    ext_list.append(ext)


def _title(header: ShownSection) -> tuple[str, list[str]]:
    """The report's title and the header's lines (kind, response rate, warnings)."""
    lines = [p.text for p in prose(header.body).paragraphs if _PAGE_ONLY not in p.classes]
    return header.heading, lines


def deck_bytes(report: Report) -> bytes:
    """The deck of a report whose notebook has run: the same bytes for the same sections."""
    headers = [s for s in report.shown if s.template == L.TITLE_TEMPLATE]
    if not headers:
        raise RenderError(
            f"report {report.unit_id!r}: no section has been shown yet (the deck is drawn "
            "from the sections a notebook showed: run it first)"
        )
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(L.SLIDE_WIDTH), Inches(L.SLIDE_HEIGHT)
    prs.part._element.sldSz.attrib.pop("type", None)  # not the template's 4:3 any more
    title, lines = _title(headers[0])
    groups = [(title, [title_slide(prs, title, lines).slide_id])]
    for section in report.shown:
        if section.template == L.TITLE_TEMPLATE or section.template in L.LEFT_OUT:
            continue
        slides = [content_slide(prs, plan) for plan in plan_section(section_parts(section))]
        groups.append((section.heading, [slide.slide_id for slide in slides]))
    add_sections(prs, groups)
    context = headers[0].context
    fix_properties(
        prs,
        title=title,
        subject=str(context.get("kind_title", "")),
        author=str(context.get("root_name", "")),
        year=report.data.year,
    )
    package = io.BytesIO()
    prs.save(package)
    return fixed_zip(package.getvalue())


def write_deck(report: Report, path: str | Path) -> Path:
    """Write the report's deck to ``path`` (atomically); the path."""
    target = Path(path)
    write_bytes_atomic(deck_bytes(report), target)
    return target
