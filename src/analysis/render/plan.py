"""Which reports a year has: the notebooks, their parameters, file names and titles.

Planning reads only the processed year's organisation (units, their
children, the managers); it starts no kernel, so tests and the pipeline's
end-to-end check can ask what a render would write without rendering.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.core.contract import MANAGER_PREFIX
from analysis.core.provenance import PROJECT_ROOT
from analysis.render.errors import RenderError
from analysis.report.paths import report_path
from analysis.report.processed import ENHET, FORVALTNING, LEDARE, OMRADE, ProcessedYear

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
UNIT_NOTEBOOK = "unit_report.ipynb"
LEADER_NOTEBOOK = "leader_report.ipynb"
#: the notebooks rendered into reports: they read only data/processed/<year>/
#: (tests/test_structural_privacy.py holds them to that)
REPORT_NOTEBOOKS = (UNIT_NOTEBOOK, LEADER_NOTEBOOK)
#: a report's deck is its page's path with this suffix
DECK_SUFFIX = ".pptx"
#: analysts' notebooks: they may read respondent-level data/interim and are
#: never rendered into a report; every notebook is in exactly one of the lists
ANALYST_NOTEBOOKS = ("explore_drivers.ipynb", "explore.ipynb")


@dataclass(frozen=True)
class ReportJob:
    """One report to render: which notebook, with which parameters, to which file;
    ``deck``: where its PowerPoint deck goes too (None: no deck)."""

    kind: str
    identifier: str
    notebook: Path
    parameters: dict[str, Any]
    output: Path
    title: str
    deck: Path | None = None

    def with_deck(self) -> ReportJob:
        """The same job, its deck beside the page (``x.html`` -> ``x.pptx``)."""
        return dataclasses.replace(self, deck=self.output.with_suffix(DECK_SUFFIX))


def plan_reports(
    data: ProcessedYear,
    out_dir: Path,
    provenance_json: str,
    notebook_dir: Path = NOTEBOOK_DIR,
) -> list[ReportJob]:
    """The year's reports: förvaltning, each område, each unit under an område, each manager.

    Heaviest first, so the parallel workers finish together.
    """
    processed_dir = str(data.directory)
    year = data.year
    unit_nb, leader_nb = notebook_dir / UNIT_NOTEBOOK, notebook_dir / LEADER_NOTEBOOK
    jobs: list[ReportJob] = []

    def unit_job(kind: str, unit_id: str) -> ReportJob:
        return ReportJob(
            kind,
            unit_id,
            unit_nb,
            {
                "year": year,
                "unit_id": unit_id,
                "processed_dir": processed_dir,
                "provenance_json": provenance_json,
            },
            out_dir / report_path(kind, unit_id),
            f"Medarbetarenkät {year} – {data.unit_name(unit_id)}",
        )

    root = data.root_id
    jobs.append(unit_job(FORVALTNING, root))
    omraden = data.children.get(root, [])
    jobs.extend(unit_job(OMRADE, o) for o in omraden)
    jobs.extend(unit_job(ENHET, u) for o in omraden for u in data.children.get(o, []))
    for manager in data.managers:
        manager_id = manager[len(MANAGER_PREFIX) :]
        jobs.append(
            ReportJob(
                LEDARE,
                manager_id,
                leader_nb,
                {
                    "year": year,
                    "manager_id": manager_id,
                    "processed_dir": processed_dir,
                    "provenance_json": provenance_json,
                },
                out_dir / report_path(LEDARE, manager),
                f"Ledarrapport {year} – chef {manager_id}",
            )
        )
    stray = sorted({j.notebook.name for j in jobs} - set(REPORT_NOTEBOOKS))
    if stray:  # pragma: no cover - a programming error: only report notebooks render
        raise RenderError(f"not report notebooks: {stray}")
    outputs = [j.output for j in jobs]
    if len(set(outputs)) != len(outputs):
        dupes = sorted({str(p) for p in outputs if outputs.count(p) > 1})
        raise RenderError(f"two reports would be written to the same file: {dupes[:5]}")
    return jobs
