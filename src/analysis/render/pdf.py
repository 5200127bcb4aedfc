"""A report as PDF: the HTML printed by Chromium, byte for byte the same on every run.

The förvaltning's and each område's reports get a PDF beside the HTML (for
the nämnd's papers and the workplace meeting); any report can have one on
demand (``python -m analysis render --unit ID --pdf``). Printing goes through
Debian's Chromium driven by Playwright, the browser the tests already use;
the report's print stylesheet (``templates/report.css``, ``@media print``)
keeps charts and table rows whole on a page.

Chromium stamps a PDF with the time it was made; :func:`fixed_dates` puts a
fixed date in its place (same length, so the file's byte offsets hold). Links
are printed as text (Chromium would write this machine's file paths into the
PDF). So the same report prints to the same bytes, wherever it is rendered.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from analysis.render.errors import RenderError

__all__ = ["CHROMIUM", "FIXED_DATE", "fixed_dates", "write_pdfs"]

#: Debian's chromium (Playwright cannot download its own browser here)
CHROMIUM = Path("/usr/bin/chromium")
#: what every PDF date becomes: 1 January 2000 (D:YYYYMMDDHHmmSS with its zone)
FIXED_DATE = b"20000101000000"
_PDF_DATE = re.compile(rb"\(D:(\d{14})")
_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def fixed_dates(pdf: bytes) -> bytes:
    """The PDF with every ``(D:YYYYMMDDHHmmSS`` date replaced by :data:`FIXED_DATE`."""
    return _PDF_DATE.sub(b"(D:" + FIXED_DATE, pdf)


def _chromium() -> Path:
    found = CHROMIUM if CHROMIUM.is_file() else shutil.which("chromium")
    if not found:
        raise RenderError(
            "a PDF needs Debian's chromium (apt-get install chromium, or `make browser`)"
        )
    return Path(found)


def write_pdfs(html_paths: Sequence[Path]) -> list[Path]:
    """Print each report to a PDF beside it (``x.html`` -> ``x.pdf``); the written paths."""
    if not html_paths:
        return []
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(_chromium()), args=_ARGS)
        try:
            for html in html_paths:
                page = browser.new_page()
                page.goto(Path(html).resolve().as_uri(), wait_until="load")
                # Chromium would turn each link into an absolute file:// path of this
                # machine (and of the staging folder, gone after the swap): print them as text
                page.evaluate(
                    "document.querySelectorAll('a[href]').forEach(a => a.removeAttribute('href'))"
                )
                pdf = page.pdf(format="A4", print_background=True, outline=True, tagged=True)
                page.close()
                target = Path(html).with_suffix(".pdf")
                target.write_bytes(fixed_dates(pdf))
                written.append(target)
        finally:
            browser.close()
    return written
