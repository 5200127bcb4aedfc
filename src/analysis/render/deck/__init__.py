"""A report as a PowerPoint deck, with the page's numbers by construction.

The deck is drawn from what the report's sections showed, not from the
tables again: :func:`analysis.report.markup.show` records each section's
context (its :class:`~analysis.report.markup.Table` of display texts, its
:class:`~analysis.report.markup.Chart` with the PNG the page embeds, its
summary lines) and markup on the :class:`~analysis.report.context.Report`
(``report.shown``). :mod:`.parts` walks those contexts generically into slide
parts, :mod:`.plan` lays them out (long tables split over continuation
slides), :mod:`.slides` and :mod:`.table` draw them with python-pptx,
:mod:`.fixed` makes the bytes repeat, :mod:`.write` puts it together; sizes,
fonts and colours are in :mod:`.layout`.

Where it is written, and why there
----------------------------------
The recorded contexts live in the kernel that executed the notebook (charts
are PNGs in memory; nothing of them reaches the render worker but the page).
So the deck is written in that kernel, right after the notebook's last cell:
when a planned report has a deck (``ReportJob.deck``), the warm kernel
(:meth:`analysis.render.kernel.WarmKernel.execute`) appends one hidden cell,
:func:`epilogue`, that calls :func:`.write.write_deck` on the notebook's
``report``.
The notebooks stay a list of sections (no parameter to pass, nothing to
write; a notebook opened by hand writes no file unless one calls
``write_deck(report, path)`` after its cells), the structural privacy test
of what a notebook imports is unchanged, and the deck is written beside the
HTML by the same worker, in parallel with the others. The alternative, a
post-step in the worker, would have to carry the contexts out of the kernel.
This package's ``__init__`` imports nothing of python-pptx: the workers only
need :func:`epilogue`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["REPORT_NAME", "epilogue"]

#: the name the report notebooks give their Report (``report = open_report(...)``)
REPORT_NAME = "report"


def epilogue(path: Path) -> str:
    """The code of the cell that writes ``report``'s deck to ``path`` after the notebook."""
    return (
        "from analysis.render.deck.write import write_deck as _write_deck\n"
        f"_write_deck({REPORT_NAME}, {str(path)!r})\n"
    )
