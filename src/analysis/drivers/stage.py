"""The drivers stage: a year's driver analysis under ``data/processed/<year>/``."""

from __future__ import annotations

import sys

import pandas as pd

from analysis.core.atomic import write_json_atomic, write_parquet_atomic
from analysis.core.dataset import SurveyData
from analysis.core.params import Params
from analysis.core.stage_paths import StagePaths, check_report_year
from analysis.drivers.drivers_csv import write_drivers_csv
from analysis.drivers.table import driver_results


def run_drivers(params: Params, year: int, paths: StagePaths, jobs: int = 2) -> None:
    """The driver analysis of ``year``: drivers.parquet, drivers.json and drivers.csv (processed).

    ``jobs`` processes bootstrap the units' shrunk matrices (the numbers do not depend
    on it). Degenerate answers never stop the stage: what could not be analysed is
    recorded in drivers.json (the reports explain it) and printed on stderr.
    """
    data = SurveyData.load(paths.interim)
    check_report_year(data, year)
    figures = pd.read_parquet(paths.processed_year(year) / "figures.parquet")
    results = driver_results(data, params, year, figures[figures["year"] == year], jobs)
    for warning in results.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    out = paths.processed_year(year)
    write_parquet_atomic(results.table, out / "drivers.parquet")
    write_json_atomic(results.notes, out / "drivers.json")
    write_drivers_csv(results.table, out / "drivers.csv")  # published by render
