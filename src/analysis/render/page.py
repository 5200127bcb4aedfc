"""The page shell: an executed report notebook as one self-contained HTML page.

The page is nbconvert's HTML exporter on this package's template
(``templates/report``: ``index.html.j2`` extends the "basic" template, which
emits only the cells, and includes ``report.css``), so no require.js,
MathJax, web font or style sheet comes from the network, and the markup and
the CSS are edited as the files they are.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import nbformat

#: the template folders nbconvert searches besides its own (``report`` lives here)
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "report"
#: the reports' language, the page's ``lang``
LANGUAGE = "sv"
#: a cell with this tag is executed but never shown (the kernel's namespace reset)
REMOVE_TAG = "remove-cell"


def normalise_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what differs between runs or shows nothing: timings, random ids, silent cells."""
    kept = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if REMOVE_TAG in tags:
            continue
        if cell.cell_type == "code" and not cell.get("outputs"):
            continue  # parameters, imports: nothing to show
        kept.append(cell)
    for number, cell in enumerate(kept):
        cell["id"] = f"cell-{number}"
        cell["metadata"] = {}
        if cell.cell_type == "code":
            cell["execution_count"] = None
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = None
                output["metadata"] = {}
    nb.cells = kept
    nb.metadata = {"language_info": {"name": "python"}}
    return nb


@functools.cache
def exporter() -> Any:
    """nbconvert's HTML exporter on the report template: outputs only, no prompts.

    One per process: building it compiles the templates (50 ms), converting with
    it again takes a few; a worker renders hundreds of reports.
    """
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        language_code=LANGUAGE,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )


def notebook_to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """The executed notebook as a self-contained page (no code, no prompts, no network)."""
    page = normalise_notebook(nb)
    page.metadata["title"] = title
    html, _ = exporter().from_notebook_node(page)
    return html
