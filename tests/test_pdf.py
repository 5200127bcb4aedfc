"""The reports as PDF: valid files, and the same bytes however often and wherever printed.

Chromium stamps each print with its time and names the tagged tables' header
cells after numbers its renderer process hands out (``analysis.render.pdf``
says why and what is rewritten). These tests print the fixture's förvaltning
report again and again, in new browsers, in other Python processes and in a
tab that printed another report first, and compare the bytes with those the
render wrote.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from bs4 import BeautifulSoup
from report_fixture import rendered_year  # noqa: F401  (session fixture)

from analysis.render.pdf import (
    FIXED_DATE,
    chromium,
    fixed_dates,
    normalised,
    print_page,
    renumbered_nodes,
    write_pdfs,
)

SRC = Path(__file__).resolve().parents[1] / "src"
#: prints of one report, each in a browser of its own
LAUNCHES = 5
_NODE_ID = re.compile(rb"\(node(\d+)\)")


def _node_ids(pdf: bytes) -> list[int]:
    return [int(digits) for digits in _NODE_ID.findall(pdf)]


def _assert_xref_holds(pdf: bytes) -> None:
    """Every object is where the cross-reference table says (nothing moved by a rewrite)."""
    start = int(re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf).group(1))
    assert pdf.startswith(b"xref", start)
    tokens = pdf[start + 4 : pdf.index(b"trailer", start)].split()
    checked, i = 0, 0
    while i < len(tokens):
        first, count = int(tokens[i]), int(tokens[i + 1])
        i += 2
        for number in range(first, first + count):
            offset, generation, kind = int(tokens[i]), int(tokens[i + 1]), tokens[i + 2]
            i += 3
            if kind == b"n":
                assert pdf.startswith(b"%d %d obj" % (number, generation), offset), number
                checked += 1
    assert checked > 100


def _assert_valid_report(pdf: bytes, html: Path) -> None:
    """A PDF a reader opens (strictly), with pages, the report's headline and an outline."""
    assert pdf.startswith(b"%PDF-")
    _assert_xref_holds(pdf)
    reader = pypdf.PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) >= 3
    headline = BeautifulSoup(html.read_text("utf-8"), "html.parser").find("h1").get_text()
    first_page = " ".join(reader.pages[0].extract_text().split())
    assert " ".join(headline.split()) in first_page
    assert reader.metadata.title == headline  # the HTML's <title>
    assert reader.outline  # the headings as bookmarks (Chromium builds them from the tags)
    assert reader.metadata["/CreationDate"] == "D:" + FIXED_DATE.decode() + "+00'00'"
    # no path of this machine (links are printed as text)
    assert b"file://" not in pdf and str(html.parent).encode() not in pdf


def test_normalising_fixes_dates_and_renumbers_ids_in_place() -> None:
    raw = (
        b"<</CreationDate (D:20261207034346+00'00')\n/ModDate (D:20261207034346-05'00')>>\n"
        b"<</ID (node00000731)>> <</ID (node00000054)>>\n"
        b"/Headers [(node00000054)] /Headers [(node00000731) (node00000054)]\n"
        b"<</Limits [(node00000054) (node00000731)]\n"
        b"/Names [(node00000054) 12 0 R (node00000731) 7 0 R]>>\n"
        b"/Title (\\(node00000099\\)) /Other (D:2026)"
    )
    expected = (
        b"<</CreationDate (D:20000101000000+00'00')\n/ModDate (D:20000101000000+00'00')>>\n"
        b"<</ID (node00000002)>> <</ID (node00000001)>>\n"
        b"/Headers [(node00000001)] /Headers [(node00000002) (node00000001)]\n"
        b"<</Limits [(node00000001) (node00000002)]\n"
        b"/Names [(node00000001) 12 0 R (node00000002) 7 0 R]>>\n"
        b"/Title (\\(node00000099\\)) /Other (D:2026)"
    )
    assert normalised(raw) == expected and len(expected) == len(raw)
    # what a busier renderer prints: every id one higher, another second
    shifted = re.sub(rb"(?<!\\)\(node(\d+)\)", lambda m: b"(node%08d)" % (int(m[1]) + 1), raw)
    shifted = shifted.replace(b"D:20261207034346", b"D:20261207034347")
    assert normalised(shifted) == expected
    # as many digits as Chromium wrote; a PDF without ids or dates is left alone
    assert renumbered_nodes(b"[(node123456789) (node5)]") == b"[(node000000002) (node1)]"
    assert fixed_dates(b"(D:20261207034346)") == b"(D:" + FIXED_DATE + b")"
    assert normalised(b"%PDF-1.4 nothing to do") == b"%PDF-1.4 nothing to do"


@pytest.mark.slow
def test_a_report_prints_to_the_same_valid_pdf_in_every_browser(rendered_year, tmp_path):  # noqa: F811
    html = rendered_year.out_dir / "index.html"
    published = html.with_suffix(".pdf").read_bytes()
    _assert_valid_report(published, html)
    assert _node_ids(published)  # a tagged PDF, its tables' header cells named
    assert min(_node_ids(published)) == 1
    # the same HTML in other folders, each printed by a browser of its own
    for launch in range(LAUNCHES):
        again = tmp_path / f"print{launch}" / "index.html"
        again.parent.mkdir()
        shutil.copyfile(html, again)
        assert write_pdfs([again]) == [again.with_suffix(".pdf")]
        assert again.with_suffix(".pdf").read_bytes() == published, f"print {launch}"


@pytest.mark.slow
def test_other_python_processes_print_the_same_bytes(rendered_year, tmp_path):  # noqa: F811
    """Two processes printing side by side (as two renders would), each its own Chromium."""
    names = ["index.html", "omrade/S.html"]
    script = "import sys; from pathlib import Path; from analysis.render.pdf import write_pdfs; "
    script += "write_pdfs([Path(a) for a in sys.argv[1:]])"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    runs = []
    for run in ("a", "b"):
        copies = []
        for name in names:
            copy = tmp_path / run / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(rendered_year.out_dir / name, copy)
            copies.append(copy)
        command = [sys.executable, "-c", script, *map(str, copies)]
        runs.append(subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True))
    for process in runs:
        assert process.wait(timeout=120) == 0, process.stderr.read()
    for name in names:
        published = (rendered_year.out_dir / name).with_suffix(".pdf").read_bytes()
        _assert_valid_report(published, rendered_year.out_dir / name)
        for run in ("a", "b"):
            assert (tmp_path / run / name).with_suffix(".pdf").read_bytes() == published, (
                run,
                name,
            )


@pytest.mark.slow
def test_a_tab_that_printed_another_report_first_gives_the_same_pdf(rendered_year):  # noqa: F811
    """The ids go on counting in a renderer that numbered another page's nodes before."""
    out = rendered_year.out_dir
    published = (out / "index.pdf").read_bytes()
    with chromium() as browser:
        page = browser.new_page()
        print_page(page, out / "omrade" / "S.html")
        raw = print_page(page, out / "index.html")
        page.close()
    # Chromium's own bytes: the same length, the ids shifted (this is what varied) ...
    assert len(raw) == len(published)
    assert min(_node_ids(raw)) > max(_node_ids(published)), "the tab's renderer started anew"
    assert fixed_dates(raw) != published
    # ... and once normalised, the bytes of every other print
    assert normalised(raw) == published
