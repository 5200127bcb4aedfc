"""The render stage: a year's whole published set, swapped in at once (core.publish)."""

from __future__ import annotations

import pandas as pd

from analysis.core.params import Params
from analysis.core.stage_paths import StagePaths
from analysis.render.metrics import METRICS_FILE, write_year_metrics, year_metrics
from analysis.render.reports import render_year


def run_render(params: Params, year: int, paths: StagePaths, jobs: int = 2) -> None:
    """Publish ``year``'s whole set: reports, workbook, figures.csv, drivers.csv, in one swap;
    then the run's headline figures (:mod:`analysis.render.metrics`)."""
    processed = paths.processed_year(year)
    written = render_year(year, processed, paths.reports_year(year), params, jobs=jobs)
    metrics = year_metrics(
        pd.read_parquet(processed / "figures.parquet"),
        pd.read_parquet(processed / "units.parquet"),
        year,
        reports=sum(path.suffix == ".html" for path in written),
    )
    write_year_metrics(processed / METRICS_FILE, metrics)
