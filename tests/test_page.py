"""The page shell (analysis.render.page): nbconvert on the package's own template.

The page's head is ours (language, title, the style sheet from report.css);
the body is nbconvert's "basic" cells without code or prompts.
"""

from __future__ import annotations

import base64

import nbformat
from bs4 import BeautifulSoup

from analysis.render.page import REMOVE_TAG, TEMPLATE_DIR, notebook_to_html

TITLE = "Medarbetarenkät 2023 – Område Syd & Väst <\"citat\"> 'x'"


def _notebook() -> nbformat.NotebookNode:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\nnot really").decode()
    shown = nbformat.v4.new_code_cell(
        "sections.ami(report)",
        outputs=[
            nbformat.v4.new_output(
                "display_data", data={"text/html": "<h2>AMI</h2><p>79</p>", "text/plain": "x"}
            ),
            nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "f"}),
        ],
        execution_count=3,
    )
    silent = nbformat.v4.new_code_cell("import pandas as pd")
    removed = nbformat.v4.new_code_cell(
        "reset()", outputs=[nbformat.v4.new_output("stream", name="stdout", text="hidden\n")]
    )
    removed.metadata["tags"] = [REMOVE_TAG]
    text = nbformat.v4.new_markdown_cell("## Om enkäten\n\nText.")
    nb = nbformat.v4.new_notebook()
    nb.cells = [silent, removed, text, shown]
    return nb


def test_the_head_is_ours_and_the_css_comes_from_its_file() -> None:
    soup = BeautifulSoup(notebook_to_html(_notebook(), TITLE), "html.parser")
    assert soup.html["lang"] == "sv"
    assert soup.head.title.get_text() == TITLE  # escaped in the markup, the same text
    metas = [m.attrs for m in soup.head.find_all("meta")]
    assert metas == [
        {"charset": "utf-8"},
        {"name": "viewport", "content": "width=device-width, initial-scale=1"},
    ]
    styles = soup.find_all("style")
    css = (TEMPLATE_DIR / "report" / "report.css").read_text(encoding="utf-8")
    assert [s.get_text().strip() for s in styles] == [css.strip()]
    assert soup.find_all(["script", "link"]) == []


def test_the_body_has_outputs_and_text_but_no_code_prompts_or_removed_cells() -> None:
    page = notebook_to_html(_notebook(), TITLE)
    soup = BeautifulSoup(page, "html.parser")
    assert page.startswith("<!DOCTYPE html>\n<html")
    text = soup.body.get_text(" ", strip=True)
    assert text == "Om enkäten Text. AMI 79"
    assert "import pandas" not in page and "reset()" not in page and "hidden" not in page
    assert "In&nbsp;[" not in page and "Out[" not in page
    (image,) = soup.body.find_all("img")
    assert image["src"].startswith("data:image/png;base64,")
    ids = [c["id"] for c in soup.body.select("[id^=cell-id]")]
    assert ids == ["cell-id=cell-0", "cell-id=cell-1"]  # normalised: the same every run


def test_the_page_repeats() -> None:
    assert notebook_to_html(_notebook(), TITLE) == notebook_to_html(_notebook(), TITLE)
