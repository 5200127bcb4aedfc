"""The render stage: a year's whole published set, swapped in at once (core.publish)."""

from __future__ import annotations

from analysis.core.params import Params
from analysis.core.stage_paths import StagePaths
from analysis.render.reports import render_year


def run_render(params: Params, year: int, paths: StagePaths, jobs: int = 2) -> None:
    """Publish ``year``'s whole set: reports, workbook, figures.csv, drivers.csv, in one swap."""
    render_year(year, paths.processed_year(year), paths.reports_year(year), params, jobs=jobs)
