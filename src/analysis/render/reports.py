"""Render one year: the published set (reports, decks, workbook, PDFs, the stages' CSVs)
or a subset.

The reports are rendered by warm-kernel workers (:mod:`analysis.render.workers`),
the förvaltning's, the områden's and the units' each with its PowerPoint deck
(:mod:`analysis.render.deck`, written by the kernel that ran the report), while
the workbook (:mod:`analysis.render.workbook`) is written beside them; then the
förvaltning's and the områden's reports are printed to PDF
(:mod:`analysis.render.pdf`).
A whole year is staged and swapped in at once by
:func:`analysis.core.publish.publication`, which also writes ``SHA256SUMS``.

Provenance (input hash, params, git commit and dirtiness, package versions)
is computed once per run and handed to every notebook as a parameter, so all
reports of a run carry the same footer. Nothing time-dependent goes into an
output: cell ids and metadata are normalised, PNGs carry no timestamp, the
workbook and the decks have fixed document and zip entry times, and the PDFs
fixed dates and structure ids.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from analysis.core.errors import StageError
from analysis.core.params import Params
from analysis.core.provenance import PROJECT_ROOT, collect_provenance
from analysis.core.publish import is_publication, publication
from analysis.render.errors import RenderError
from analysis.render.pdf import write_pdfs
from analysis.render.plan import NOTEBOOK_DIR, ReportJob, plan_reports
from analysis.render.workbook import write_workbook
from analysis.render.workers import render_reports
from analysis.report.processed import (
    ENHET,
    FORVALTNING,
    LEDARE,
    OMRADE,
    ProcessedYear,
    load_processed_year,
)

__all__ = [
    "DECK_KINDS",
    "ONE_REPORT_DIR",
    "PDF_KINDS",
    "PUBLISHED_CSVS",
    "one_report_year",
    "render_one",
    "render_year",
]

#: where ``python -m analysis render --unit/--manager`` writes by default: beside the
#: published sets, never one of them (git-ignored, not a DVC output)
ONE_REPORT_DIR = PROJECT_ROOT / "reports" / "enstaka"

#: the reports that a publication also carries as PDF
PDF_KINDS = (FORVALTNING, OMRADE)
#: the reports that a publication also carries as a PowerPoint deck (a leader's on demand)
DECK_KINDS = (FORVALTNING, OMRADE, ENHET)
#: the stages' tables (data/processed/<Y>/) that a publication carries beside the reports
PUBLISHED_CSVS = ("figures.csv", "drivers.csv")


def one_report_year(params: Params, year: int | None) -> int:
    """The year of ``render --unit/--manager``: the one asked for, else the last report year."""
    return year if year is not None else params.report.years[-1]


def render_one(
    year: int,
    processed_dir: Path,
    out_dir: Path,
    params: Params,
    unit_id: str | None = None,
    manager_id: str | None = None,
    notebook_dir: Path = NOTEBOOK_DIR,
    pdf: bool = False,
    pptx: bool = False,
) -> Path:
    """One unit's or one manager's report into ``out_dir``, as the published set has it.

    For an analyst's look at one report: nothing under DVC changes, so the next
    ``make report`` re-renders nothing. ``out_dir`` gets the report at its
    published place (``enhet/<id>.html`` ...) with the year's figures.csv and
    drivers.csv beside it, so its links work; not the workbook, which takes
    longer than the report (the published set has it). With ``pdf`` the
    report, whatever its kind, is also printed to a PDF beside it
    (:mod:`analysis.render.pdf`), with ``pptx`` written as a PowerPoint deck
    beside it (:mod:`analysis.render.deck`); the written path is the HTML's
    either way.
    A unit that has no report of its own (below the schools' level) or an
    unknown id is an error naming the reports there are.
    """
    if (unit_id is None) == (manager_id is None):
        raise StageError("render one report: give a unit id or a manager id (one of them)")
    processed_dir = Path(processed_dir).resolve()
    out_dir = Path(out_dir).resolve()
    data = load_processed_year(processed_dir)
    _check_year(data, year, processed_dir)
    provenance = collect_provenance(data, params)
    planned = plan_reports(data, out_dir, _json(provenance), Path(notebook_dir).resolve())
    wanted = (LEDARE, manager_id) if manager_id is not None else (None, unit_id)
    match = [
        j
        for j in planned
        if j.identifier == wanted[1] and ((j.kind == LEDARE) == (wanted[0] == LEDARE))
    ]
    if not match:
        what = f"manager {manager_id}" if manager_id is not None else f"unit {unit_id}"
        units = [j.identifier for j in planned if j.kind != LEDARE]
        raise StageError(
            f"no report for {what} in {year}: reports exist for the förvaltning, each "
            f"område and each unit right under an område ({len(units)} units, e.g. "
            f"{', '.join(units[:5])}) and for each manager (--manager)"
        )
    _refuse_publication(out_dir, year)
    job = match[0].with_deck() if pptx else match[0]
    written, *_deck = _render_jobs(
        out_dir,
        data,
        provenance,
        processed_dir,
        [job],
        jobs=1,
        progress=False,
        with_workbook=False,
        with_pdfs=False,
    )
    if pdf:
        write_pdfs([written])
    return written


def render_year(
    year: int,
    processed_dir: Path,
    out_dir: Path,
    params: Params,
    jobs: int = 2,
    only: Iterable[str] | None = None,
    notebook_dir: Path = NOTEBOOK_DIR,
    progress: bool = True,
    with_workbook: bool = True,
    with_pdfs: bool = True,
    deck_kinds: Collection[str] = DECK_KINDS,
) -> list[Path]:
    """Publish ``year``'s whole set as ``out_dir`` (reports/<Y>/), or render a subset into it.

    Without ``only`` this is the publication: every report, the workbook and
    the stages' ``figures.csv`` and ``drivers.csv`` (copied byte for byte from
    ``processed_dir``) are written into a staging directory and swapped in
    whole by :func:`analysis.core.publish.publication`; files of the previous set
    that the new one lacks are gone, and a failure leaves the previous set
    untouched.

    ``only`` (output paths relative to ``out_dir``, e.g. ``["index.html",
    "enhet/A.html"]``) is for tests and quick looks, and is not a
    publication: it writes straight into ``out_dir``, a scratch directory,
    with no staging and no ``SHA256SUMS``; it refuses a directory holding a
    publication and the project's own ``reports/<Y>``, so a partial set never
    passes for the published one. The workbook is written unless
    ``with_workbook`` is False, and the förvaltning's and the områden's
    reports among those rendered are printed to PDF beside them
    (:mod:`analysis.render.pdf`) unless ``with_pdfs`` is False; the reports
    of ``deck_kinds`` (the förvaltning's, the områden's and the units', not
    the leaders') get a PowerPoint deck beside them (only a subset may go
    without any of these, or with other decks); the CSVs are copied when
    ``processed_dir`` has them.

    Returns the written paths: reports in plan order, then the workbook, then the PDFs,
    then the decks in plan order.
    Workers are started with "spawn": a script calling this needs the usual
    ``if __name__ == "__main__":`` guard (``python -m analysis`` is safe).
    """
    processed_dir = Path(processed_dir).resolve()
    out_dir = Path(out_dir).resolve()
    data = load_processed_year(processed_dir)
    _check_year(data, year, processed_dir)
    provenance = collect_provenance(data, params)
    if only is None and not (with_workbook and with_pdfs and set(deck_kinds) == set(DECK_KINDS)):
        raise RenderError(
            "the published set always carries the workbook, the PDFs and the decks of "
            f"{', '.join(DECK_KINDS)}"
        )
    if only is None:
        for name in PUBLISHED_CSVS:
            if not (processed_dir / name).is_file():
                raise RenderError(
                    f"{processed_dir / name} is missing: the indexes and drivers stages "
                    "write it; run `dvc repro`"
                )
        with publication(out_dir) as staging:
            written = _render_into(
                staging, data, provenance, processed_dir, jobs, None, notebook_dir, progress
            )
        return [out_dir / p.relative_to(staging) for p in written]
    _refuse_publication(out_dir, year)
    return _render_into(
        out_dir,
        data,
        provenance,
        processed_dir,
        jobs,
        only,
        notebook_dir,
        progress,
        with_workbook=with_workbook,
        with_pdfs=with_pdfs,
        deck_kinds=deck_kinds,
    )


def _check_year(data: ProcessedYear, year: int, processed_dir: Path) -> None:
    if data.year != year:
        raise RenderError(f"{processed_dir / 'meta.json'}: holds year {data.year}, not {year}")


def _refuse_publication(out_dir: Path, year: int) -> None:
    """A subset is never written over a publication nor into the project's reports/<Y>."""
    if is_publication(out_dir) or out_dir == (PROJECT_ROOT / "reports" / str(year)).resolve():
        raise RenderError(
            f"{out_dir} is where year {year} is published; a subset (only=...) goes to a "
            "scratch directory, the whole set comes from a run without `only`"
        )


def _json(provenance: dict[str, Any]) -> str:
    """The provenance as every report of a run gets it (a notebook parameter)."""
    return json.dumps(provenance, ensure_ascii=False, sort_keys=True)


def _render_into(
    out_dir: Path,
    data: ProcessedYear,
    provenance: dict[str, Any],
    processed_dir: Path,
    jobs: int,
    only: Iterable[str] | None,
    notebook_dir: Path,
    progress: bool,
    with_workbook: bool = True,
    with_pdfs: bool = True,
    deck_kinds: Collection[str] = DECK_KINDS,
) -> list[Path]:
    """Reports (those of ``deck_kinds`` with their decks), workbook (``with_workbook``),
    PDFs (``with_pdfs``) and the stages' CSVs into ``out_dir``; the written paths."""
    planned = plan_reports(data, out_dir, _json(provenance), Path(notebook_dir).resolve())
    if only is not None:
        wanted = {str(p) for p in only}
        planned = [j for j in planned if j.output.relative_to(out_dir).as_posix() in wanted]
        missing = wanted - {j.output.relative_to(out_dir).as_posix() for j in planned}
        if missing:
            raise RenderError(f"no such report in {data.year}: {sorted(missing)}")
    planned = [j.with_deck() if j.kind in deck_kinds else j for j in planned]
    return _render_jobs(
        out_dir, data, provenance, processed_dir, planned, jobs, progress, with_workbook, with_pdfs
    )


def _render_jobs(
    out_dir: Path,
    data: ProcessedYear,
    provenance: dict[str, Any],
    processed_dir: Path,
    planned: list[ReportJob],
    jobs: int,
    progress: bool,
    with_workbook: bool,
    with_pdfs: bool,
) -> list[Path]:
    """The planned reports (with their decks), workbook, PDFs and CSVs into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in PUBLISHED_CSVS:
        if (processed_dir / name).is_file():
            shutil.copyfile(processed_dir / name, out_dir / name)

    desc = f"rapporter {data.year}"
    if with_workbook:
        with ThreadPoolExecutor(1) as side:
            # the workbook is written beside the workers (the main process is idle meanwhile)
            workbook = side.submit(write_workbook, data, provenance, out_dir)
            reports = render_reports(planned, jobs, progress, desc=desc)
            workbooks = [workbook.result()]
    else:
        reports, workbooks = render_reports(planned, jobs, progress, desc=desc), []
    # the förvaltning's and the områden's reports also as PDF, for papers and meetings
    pdfs = write_pdfs([j.output for j in planned if j.kind in PDF_KINDS]) if with_pdfs else []
    decks = [j.deck for j in planned if j.deck is not None]
    missing = [d for d in decks if not d.is_file()]
    if missing:  # pragma: no cover - the kernel writes each deck or the report fails
        raise RenderError(f"decks not written: {[str(d) for d in missing[:5]]}")
    return [*reports, *workbooks, *pdfs, *decks]
