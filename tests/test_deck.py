"""The PowerPoint decks: the page's numbers, section by section, the same bytes every run.

Three reports of the fixture are rendered as the render stage renders them (a
warm kernel; the deck written after the notebook): the förvaltning's,
Hagaskolan's, whose women are hidden to protect its few men and whose
youngest are too few, and a leader's (whose deck is written on demand). Each
deck is read back with python-pptx and compared with its page: the same
tables with the same cell texts (hidden figures with their words), each
picture the page's chart, and no number on a slide or in its notes that the
page's section does not show.
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from lxml import etree
from pptx import Presentation
from pptx.util import Emu
from report_fixture import YEAR, fixture_params, write_fixture

from analysis.core.provenance import collect_provenance
from analysis.render.deck import layout
from analysis.render.deck.fixed import ZIP_TIME, fixed_zip
from analysis.render.deck.parts import Lines, section_parts
from analysis.render.deck.plan import TableSlice, plan_section
from analysis.render.deck.table import TABLE_NAME
from analysis.render.deck.write import P14, deck_bytes
from analysis.render.plan import NOTEBOOK_DIR, UNIT_NOTEBOOK
from analysis.report.context import ShownSection
from analysis.report.markup import heading, render, table
from analysis.report.phrases import PROTECTED, SUPPRESSED
from analysis.report.processed import LEDARE, load_processed_year

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ["index.html", "enhet/H.html", "ledare/M1.html"]
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, Path]:
    """The processed fixture year and the two reports rendered with their decks."""
    from analysis.render.reports import DECK_KINDS, render_year

    root = tmp_path_factory.mktemp("deck")
    processed = write_fixture(root / "processed" / str(YEAR))
    out = root / "reports"
    written = render_year(
        YEAR,
        processed,
        out,
        fixture_params(),
        jobs=2,
        only=REPORTS,
        progress=False,
        with_workbook=False,
        with_pdfs=False,
        deck_kinds=(*DECK_KINDS, LEDARE),  # a leader's too, as render --manager --pptx
    )
    assert [p.relative_to(out).as_posix() for p in written] == [
        *REPORTS,
        *(Path(r).with_suffix(".pptx").as_posix() for r in REPORTS),
    ]
    return processed, out


# --- reading a deck and a page ---------------------------------------------------------


def _sections(path: Path) -> list[tuple[str, list]]:
    """The deck's PowerPoint sections: each name with its slides, in order."""
    prs = Presentation(str(path))
    by_id = {slide.slide_id: slide for slide in prs.slides}
    xml = etree.fromstring(zipfile.ZipFile(path).read("ppt/presentation.xml"))
    out = []
    for section in xml.iter(f"{{{P14}}}section"):
        ids = [int(s.get("id")) for s in section.iter(f"{{{P14}}}sldId")]
        out.append((section.get("name"), [by_id[i] for i in ids]))
    assert sum(len(slides) for _, slides in out) == len(prs.slides)
    return out


def _deck_tables(slides: list) -> list[list[list[str]]]:
    """Every table of the slides as rows of cell texts, continuations joined to their start."""
    tables: list[list[list[str]]] = []
    for slide in slides:
        for shape in slide.shapes:
            if not shape.has_table:
                continue
            rows = [[c.text for c in row.cells] for row in shape.table.rows]
            first_row = int(shape.name.removeprefix(TABLE_NAME).split("–")[0])
            if first_row > 1:  # a continuation: its heading row repeated
                assert tables and tables[-1][0] == rows[0]
                assert len(tables[-1]) == first_row  # heading + the rows before
                tables[-1].extend(rows[1:])
            else:
                tables.append(rows)
    return tables


def _deck_text(slides: list) -> str:
    """All words of the slides: titles, text boxes, tables and speaker notes."""
    texts = []
    for slide in slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [c.text for row in shape.table.rows for c in row.cells]
        if slide.has_notes_slide:
            texts.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(texts)


def _page_sections(html: Path) -> dict[str, BeautifulSoup]:
    """The page's sections (``div.rapport``) by their first heading."""
    soup = BeautifulSoup(html.read_text("utf-8"), "html.parser")
    out = {}
    for div in soup.select("div.rapport"):
        heading = div.find(["h1", "h2", "h3"])
        if heading is not None:
            out[" ".join(heading.get_text().split())] = div
    return out


def _cell_text(td) -> str:
    """A cell as the deck shows it: an area by its name, no screen reader's words."""
    strong = td.find("strong")
    if strong is not None:
        return " ".join(strong.get_text().split())
    for hidden in td.select(".skarmlasare"):
        hidden.decompose()
    return " ".join(td.get_text().split())


def _page_tables(div) -> list[list[list[str]]]:
    """The section's tables as rows of texts, without a column of bars (empty heading
    and cells: the deck shows the numbers beside it)."""
    tables = []
    for found in div.find_all("table"):
        rows = [[_cell_text(c) for c in tr.find_all(["th", "td"])] for tr in found.find_all("tr")]
        keep = [i for i in range(len(rows[0])) if any(row[i] for row in rows)]
        tables.append([[row[i] for i in keep] for row in rows])
    return tables


def _numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text))


# --- the tests -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("report", REPORTS)
def test_the_deck_shows_the_pages_tables_and_numbers_section_by_section(rendered, report):
    _, out = rendered
    html = out / report
    page = _page_sections(html)
    sections = _sections(html.with_suffix(".pptx"))
    names = [name for name, _ in sections]
    # the title slide, then every section of the page but its links, in the page's order
    assert names == [n for n in page if n != "Fler rapporter"]
    compared = 0
    for name, slides in sections:
        div = page[name]
        assert _deck_tables(slides) == _page_tables(div), name
        compared += len(_page_tables(div))
        # no number in the deck that the page's section does not show
        extra = _numbers(_deck_text(slides)) - _numbers(div.get_text(" "))
        assert not extra, (name, sorted(extra))
    assert compared >= 5


@pytest.mark.slow
@pytest.mark.parametrize("report", REPORTS)
def test_each_picture_is_its_sections_chart_with_its_alt_text(rendered, report):
    _, out = rendered
    page = _page_sections(out / report)
    pictures = 0
    for name, slides in _sections((out / report).with_suffix(".pptx")):
        images = [
            img
            for img in page[name].find_all("img")
            if img.get("src", "").startswith("data:image/png")
        ]
        shown = [shape for slide in slides for shape in slide.shapes if shape.shape_type == 13]
        assert len(shown) == len(images), name
        for shape, img in zip(shown, images, strict=True):
            assert shape.image.blob == base64.b64decode(img["src"].split(",", 1)[1])
            assert shape._element.nvPicPr.cNvPr.get("descr") == img["alt"]
            # inside the slide, its proportions kept
            assert shape.left >= 0 and shape.top >= 0
            assert shape.left + shape.width <= Emu(int(layout.SLIDE_WIDTH * 914400))
            assert shape.top + shape.height <= Emu(int(layout.SLIDE_HEIGHT * 914400))
            w, h = shape.image.size
            assert abs(shape.width / shape.height - w / h) < 0.01
        pictures += len(shown)
    assert pictures >= 3


@pytest.mark.slow
def test_hidden_figures_show_their_words_and_no_value(rendered):
    """Hagaskolan: its women hidden to protect its men, its men and youngest too few."""
    _, out = rendered
    deck = (out / "enhet" / "H.html").with_suffix(".pptx")
    cells = [
        (cell.text, cell)
        for _, slides in _sections(deck)
        for slide in slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]
    hidden = [(text, cell) for text, cell in cells if text in (PROTECTED, SUPPRESSED)]
    assert {text for text, _ in hidden} == {PROTECTED, SUPPRESSED}
    for _, cell in hidden:  # in grey italics, as on the page
        run = cell.text_frame.paragraphs[0].runs[0]
        assert run.font.italic and str(run.font.color.rgb) == layout.HIDDEN_COLOUR
    # the women's row of AMI per kön: the words, not the figure behind them
    groups = next(slides for name, slides in _sections(deck) if name.startswith("AMI – kön"))
    rows = [row for table in _deck_tables(groups) for row in table]
    women = [row for row in rows if row[0] == "Kvinna"]
    assert women and women[0][2] == PROTECTED


def _in_process_report(processed: Path, unit_id: str):
    """The unit notebook's cells run here (not in a kernel), as the render runs them."""
    data = load_processed_year(processed)
    provenance = json.dumps(
        collect_provenance(data, fixture_params()), ensure_ascii=False, sort_keys=True
    )
    cells = json.loads((NOTEBOOK_DIR / UNIT_NOTEBOOK).read_text("utf-8"))["cells"]
    namespace = {
        "year": YEAR,
        "unit_id": unit_id,
        "processed_dir": str(processed),
        "provenance_json": provenance,
    }
    for cell in cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "code" and "parameters" not in tags:
            exec("".join(cell["source"]), namespace)
    return namespace["report"]


@pytest.mark.slow
def test_a_deck_is_the_same_bytes_however_often_and_wherever_written(rendered):
    processed, out = rendered
    report = _in_process_report(processed, "H")
    first, second = deck_bytes(report), deck_bytes(report)
    assert first == second
    # ... and the bytes the render's kernel wrote, in another process, earlier
    assert first == (out / "enhet" / "H.pptx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        entries = package.infolist()
        assert entries[0].filename == "[Content_Types].xml"
        assert [e.filename for e in entries[1:]] == sorted(e.filename for e in entries[1:])
        assert {e.date_time for e in entries} == {ZIP_TIME}
    props = Presentation(io.BytesIO(first)).core_properties
    assert props.created.year == YEAR and props.modified == props.created
    assert props.title == f"Medarbetarenkät {YEAR} – Hagaskolan"
    assert props.last_modified_by == "medarbetarenkat-analysis" and props.revision == 1


@pytest.mark.slow
def test_each_picture_is_the_png_its_chart_was_drawn_as(rendered):
    """The deck takes each chart's PNG bytes as drawn, not decoded back from the page."""
    from analysis.report.markup import Chart

    processed, _ = rendered
    report = _in_process_report(processed, "H")
    charts = [
        block
        for section in report.shown
        for part in section_parts(section)
        for block in part.blocks
        if isinstance(block, Chart) and block.png
    ]
    assert len(charts) >= 3
    for chart in charts:
        assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
        assert chart.src == "data:image/png;base64," + base64.b64encode(chart.png).decode()
    prs = Presentation(io.BytesIO(deck_bytes(report)))
    pictures = [shape for slide in prs.slides for shape in slide.shapes if shape.shape_type == 13]
    assert [p.image.blob for p in pictures] == [c.png for c in charts]
    assert [p._element.nvPicPr.cNvPr.get("descr") for p in pictures] == [c.alt for c in charts]


@pytest.mark.slow
def test_render_one_unit_with_pptx_writes_its_deck(tmp_path, capsys):
    from analysis.pipeline.cli import main

    processed = write_fixture(tmp_path / "processed" / str(YEAR))
    params = tmp_path / "params.yaml"
    params.write_text((ROOT / "params.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "one"
    argv = ["--params", str(params), "render", "--processed", str(processed.parent)]
    assert main([*argv, "--year", str(YEAR), "--unit", "B", "--pptx", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [str(out / "enhet" / "B.html"), str(out / "enhet" / "B.pptx")]
    prs = Presentation(str(out / "enhet" / "B.pptx"))
    assert prs.slides[0].shapes.title.text == f"Medarbetarenkät {YEAR} – Betaskolan"
    assert len(prs.slides) > 5
    assert sorted(p.name for p in (out / "enhet").iterdir()) == ["B.html", "B.pptx"]


# --- the parts and the layout, without a kernel ----------------------------------------


def _shown(template: str, **context) -> ShownSection:
    body = render(template, **context)
    return ShownSection(template, heading(body), context, body)


def test_a_long_table_goes_on_over_continuation_slides_its_rows_once_in_order() -> None:
    rows = [[f"Fråga {i} om arbetet och arbetsmiljön", str(50 + i % 40)] for i in range(70)]
    long = table(["Fråga", "Index"], rows, [False, True])
    section = _shown(
        "top_units.html.j2", n_shown=70, table=long
    )  # any template with one table will do
    slides = plan_section(section_parts(section))
    title = section.heading
    assert [s.title for s in slides] == [title] + [title + layout.CONTINUED] * (len(slides) - 1)
    assert len(slides) >= 3
    pieces = [e for s in slides for e in s.column]
    assert all(isinstance(p, TableSlice) for p in pieces)
    covered = [i for p in pieces for i in range(p.start, p.stop)]
    assert covered == list(range(70))
    for plan in slides:  # each slice fits the slide
        assert plan.used_height() <= layout.CONTENT_HEIGHT + layout.GAP


def test_a_part_with_nothing_but_words_shows_them_and_the_prose_goes_to_the_notes() -> None:
    section = _shown(
        "changes.html.j2",
        previous_year=2022,
        chart=None,
        lists=[
            ("Störst ökning", None, "Ingen fråga har ökat."),
            ("Störst minskning", None, "Ingen fråga har minskat."),
        ],
        excluded=[("Jag har de digitala verktyg jag behöver", "ny")],
    )
    parts = section_parts(section)
    assert [p.title for p in parts] == ["Störst ökning", "Störst minskning"]
    assert [p.blocks for p in parts] == [
        [Lines(("Ingen fråga har ökat.",))],
        [Lines(("Ingen fråga har minskat.",))],
    ]
    # the records of words (question, status) are not lines; the page's prose has them
    assert "Jag har de digitala verktyg jag behöver (ny)" in parts[0].notes
    slides = plan_section(parts)
    assert len(slides) == 1 and slides[0].title == section.heading


def test_a_section_of_words_only_shows_each_paragraph_once() -> None:
    section = _shown(
        "provenance.html.j2",
        year=2023,
        min_group_size=5,
        suppressed=SUPPRESSED,
        protection_note="En skyddad siffra.",
        sure_note="",
        input_sha256="ab" * 32,
        commit="c" * 40,
        dirty="nej",
        rows_rejected=0,
        packages="numpy 2.4.6",
        params_text="{}",
    )
    (part,) = section_parts(section)
    (lines,) = part.blocks
    assert len(lines.texts) == len(set(lines.texts)) and "En skyddad siffra." in lines.texts
    assert any(t.startswith("Kodversion (git commit): ccc") for t in lines.texts)
    assert not any(t.startswith("Per steg") for t in lines.texts)  # folded away on the page


def test_the_zip_is_rewritten_with_fixed_times_whatever_it_was_written_with() -> None:
    def package(when: tuple[int, ...]) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name in ("ppt/slides/slide1.xml", "[Content_Types].xml", "docProps/core.xml"):
                z.writestr(zipfile.ZipInfo(name, date_time=when), name * 20)
        return out.getvalue()

    first, second = package((2026, 12, 7, 8, 0, 0)), package((2027, 1, 2, 3, 4, 6))
    assert first != second and fixed_zip(first) == fixed_zip(second)
    names = zipfile.ZipFile(io.BytesIO(fixed_zip(first))).namelist()
    assert names == ["[Content_Types].xml", "docProps/core.xml", "ppt/slides/slide1.xml"]
