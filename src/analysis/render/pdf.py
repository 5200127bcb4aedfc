"""A report as PDF: the HTML printed by Chromium, byte for byte the same on every run.

The förvaltning's and each område's reports get a PDF beside the HTML (for
the nämnd's papers and the workplace meeting); any report can have one on
demand (``python -m analysis render --unit ID --pdf``). Printing goes through
Debian's Chromium driven by Playwright, the browser the tests already use;
the report's print stylesheet (``templates/report.css``, ``@media print``)
keeps charts and table rows whole on a page. Each report is printed in a page
of its own (its own browser context, so its own renderer process). Links are
printed as text: Chromium would write this machine's file paths into the PDF
(and those of the staging folder, gone after the swap).

Why the printed bytes are rewritten
-----------------------------------
Two prints of the same HTML differ in two places, and neither Chromium nor
Playwright has an option to leave them out:

* **The date.** ``/CreationDate`` and ``/ModDate`` in the document
  information are the moment of printing (UTC, to the second): they differ
  from one second to the next. :func:`fixed_dates` puts :data:`FIXED_DATE`
  (with a zero zone) in their place.
* **The structure elements' ids.** The PDF is tagged (``tagged=True``):
  headings, lists and tables a screen reader can follow, and the outline (the
  bookmarks), which Chromium builds from the tags and leaves out without them.
  In it every table header cell is named ``(node00000054)`` after a number
  the page's renderer process hands out from one counter, and each data cell
  points at its headers by those names (``/Headers``; the structure tree's
  ``/IDTree`` maps the names back). So the numbers depend on what the process
  numbered before: a tab that showed another page first shifts them all by
  that page's count, and even a fresh process now and then numbers one node
  more or less before printing (seen in about 1 print in 16 with two renders
  printing side by side: every id shifted by one, the same size, other
  bytes). The numbers mean nothing but which header a cell belongs to, so
  :func:`renumbered_nodes` replaces each by its rank among them (the smallest
  becomes ``node00000001``), keeping the number of digits.

Both are rewrites to bytes of the same length, so every object stays at the
offset the cross-reference table gives and the file stays a valid PDF; the
renumbering keeps the ids' order, so the ``/IDTree``'s keys stay sorted and
its ``/Limits`` right. The dates and the ids sit in uncompressed dictionaries
(Chromium writes PDF 1.4, without object streams); a literal string
``(nodeNNNNNNNN)`` appears nowhere else, as the page text is in compressed
content streams. Everything else in the file (object numbers, font subset names,
compressed streams) already comes out the same on every print. The bytes do
depend on the Chromium version (its name is in ``/Creator``) and the fonts
installed, like any rendering. ``tests/test_pdf.py`` prints one report in
separate browsers, in separate Python processes and in a tab that showed
another report first, and compares the bytes.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.core.atomic import write_bytes_atomic
from analysis.render.errors import RenderError

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = [
    "CHROMIUM",
    "FIXED_DATE",
    "PDF_OPTIONS",
    "chromium",
    "fixed_dates",
    "normalised",
    "print_page",
    "renumbered_nodes",
    "write_pdfs",
]

#: Debian's chromium (Playwright cannot download its own browser here)
CHROMIUM = Path("/usr/bin/chromium")
#: what every PDF date becomes: 1 January 2000, midnight (D:YYYYMMDDHHmmSS)
FIXED_DATE = b"20000101000000"
#: Page.pdf's options: A4 with the reports' colours, tagged, with the headings as outline
PDF_OPTIONS: dict[str, Any] = {
    "format": "A4",
    "print_background": True,
    "outline": True,
    "tagged": True,
}
#: a PDF date: D:YYYYMMDDHHmmSS and, optionally, its zone as +HH'mm' (or -, Z)
_PDF_DATE = re.compile(rb"\(D:\d{14}(?:[+\-Z]\d{2}'\d{2}')?")
#: a structure element's id as a literal string (not an escaped "\(" inside a string)
_NODE_ID = re.compile(rb"(?<!\\)\(node(\d+)\)")
#: this machine's network is closed: no background fetches, updates or sync
_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: links are printed as text (see the module docstring)
_UNLINK = "document.querySelectorAll('a[href]').forEach(a => a.removeAttribute('href'))"


def fixed_dates(pdf: bytes) -> bytes:
    """The PDF with every date ``(D:YYYYMMDDHHmmSS[zone]`` as :data:`FIXED_DATE`, zone zero.

    A zone ``+HH'mm'`` or ``-HH'mm'`` becomes ``+00'00'`` (Chromium writes UTC, but not
    every build need); a date without one is left without one. Same length throughout.
    """

    def fixed(match: re.Match[bytes]) -> bytes:
        zone = match.group(0)[17:]
        return b"(D:" + FIXED_DATE + (b"+00'00'" if zone else b"")

    return _PDF_DATE.sub(fixed, pdf)


def renumbered_nodes(pdf: bytes) -> bytes:
    """The PDF with its structure elements' ids ``(nodeN)`` renumbered 1, 2, ... in order.

    Each distinct number becomes its rank among them, written with as many digits as
    before; the order (and so the ``/IDTree``'s sorting) is kept.
    """
    numbers = sorted({int(digits) for digits in _NODE_ID.findall(pdf)})
    rank = {number: position for position, number in enumerate(numbers, start=1)}

    def renumbered(match: re.Match[bytes]) -> bytes:
        digits = match.group(1)
        return b"(node%0*d)" % (len(digits), rank[int(digits)])

    return _NODE_ID.sub(renumbered, pdf)


def normalised(pdf: bytes) -> bytes:
    """Chromium's PDF with what differs between prints made fixed (the module docstring)."""
    result = renumbered_nodes(fixed_dates(pdf))
    if len(result) != len(pdf):  # cannot happen: every rewrite keeps the length
        raise RenderError("normalising a PDF changed its length; its offsets would be wrong")
    return result


def _chromium() -> Path:
    found = CHROMIUM if CHROMIUM.is_file() else shutil.which("chromium")
    if not found:
        raise RenderError(
            "a PDF needs Debian's chromium (apt-get install chromium, or `make browser`)"
        )
    return Path(found)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright (closed when the block ends)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(_chromium()), args=_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def print_page(page: Page, html: Path) -> bytes:
    """``html`` opened in ``page`` and printed, as Chromium prints it (not yet normalised)."""
    page.goto(Path(html).resolve().as_uri(), wait_until="load")
    page.evaluate(_UNLINK)
    return page.pdf(**PDF_OPTIONS)


def write_pdfs(html_paths: Sequence[Path]) -> list[Path]:
    """Print each report to a PDF beside it (``x.html`` -> ``x.pdf``); the written paths.

    One browser prints them all, each report in a new page of its own; each file is
    :func:`normalised` and written atomically.
    """
    if not html_paths:
        return []
    from playwright.sync_api import Error as PlaywrightError

    written = []
    try:
        with chromium() as browser:
            for html in html_paths:
                page = browser.new_page()
                try:
                    pdf = print_page(page, html)
                finally:
                    page.close()
                target = Path(html).with_suffix(".pdf")
                write_bytes_atomic(normalised(pdf), target)
                written.append(target)
    except PlaywrightError as error:
        raise RenderError(f"Chromium could not print a report to PDF: {error}") from error
    return written
