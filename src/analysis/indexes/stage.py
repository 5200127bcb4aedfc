"""The indexes stage: a year's protected figures, the organisation and the questions under
``data/processed/<year>/`` (figures.csv there is published by render, whole with the reports),
with the optional action plans and benchmarks of the year and its previous survey year.

The report notebooks read only ``data/processed/<year>/``, which holds
suppressed aggregates and the organisation tree - never respondent rows.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import cache, partial
from itertools import repeat

import pandas as pd

from analysis.core.atomic import write_json_atomic, write_parquet_atomic
from analysis.core.contract import HISTORY_MEASURES, is_manager_unit, params_record
from analysis.core.dataset import SurveyData
from analysis.core.figures_io import write_figures_csv
from analysis.core.params import Params
from analysis.core.stage_paths import StagePaths, check_report_year
from analysis.indexes.change_intervals import measure_spread
from analysis.indexes.figures import figures_with_changes, published_figures


def history_figures(
    data: SurveyData,
    params: Params,
    year: int,
    spread: Callable[[int], dict[str, float]] | None = None,
) -> pd.DataFrame:
    """Figures of ``year``, all of the comparison year's, and the trend rows before it.

    Each year is suppressed once (the costly step, :func:`published_years`)
    and reused for its own rows and as the comparison of the year after it;
    ``spread(year)`` is each year's respondent spread (computed here when not given).
    """
    published = published_years(data, params, [y for y in data.years if y <= year])
    spread = spread or year_spreads(data, params)
    previous = data.previous_year(year)
    tables = [figures_with_changes(data, params.survey, year, published.__getitem__, spread)]
    for earlier in sorted((y for y in data.years if y < year), reverse=True):
        table = figures_with_changes(data, params.survey, earlier, published.__getitem__, spread)
        if earlier != previous:
            is_unit = ~table["unit_id"].map(is_manager_unit)
            table = table[is_unit & table["measure"].isin(HISTORY_MEASURES)]
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def year_spreads(data: SurveyData, params: Params) -> Callable[[int], dict[str, float]]:
    """Each year's respondent spread per measure, computed once per year when first asked."""
    return cache(partial(measure_spread, data, params.survey))


#: respondent rows from which the years are suppressed in parallel processes: below
#: this a year's disclosure audit takes seconds, less than starting a process
PARALLEL_FROM_RESPONSES = 2_000


def published_years(data: SurveyData, params: Params, years: list[int]) -> dict[int, pd.DataFrame]:
    """Each year's suppressed figures (:func:`analysis.indexes.figures.published_figures`).

    The years are independent, and on a large survey each one's disclosure
    audit takes most of a minute, so they run in separate processes, one per
    core (processes, not threads: HiGHS instances are not safe to run side
    by side in one process). The result does not depend on the scheduling.
    """
    years = sorted(years, reverse=True)  # the latest, usually largest, first
    workers = min(len(years), os.cpu_count() or 1)
    if workers < 2 or len(data.responses) < PARALLEL_FROM_RESPONSES:
        return {y: published_figures(data, params, y) for y in years}
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        tables = pool.map(published_figures, repeat(data), repeat(params), years)
        return dict(zip(years, tables, strict=True))


def questions_for_year(data: SurveyData, year: int) -> pd.DataFrame:
    """The catalogue with `asked` (this year) and `asked_prev` (previous survey year)."""
    previous = data.previous_year(year)
    questions = data.questions.copy()
    questions["asked"] = questions["question_id"].isin(data.asked_in(year))
    prev_asked = data.asked_in(previous) if previous is not None else []
    questions["asked_prev"] = questions["question_id"].isin(prev_asked)
    return questions


def follow_up_tables(data: SurveyData, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The action plans and benchmarks a report of ``year`` shows: its own year's and its
    previous survey year's (last year's plans are followed up), no rows when none."""
    previous = data.previous_year(year)
    years = [year] if previous is None else [previous, year]
    return data.plans_in(years), data.benchmarks_in(years)


def run_indexes(params: Params, year: int, paths: StagePaths) -> None:
    data = SurveyData.load(paths.interim)
    check_report_year(data, year)
    spread = year_spreads(data, params)
    figures = history_figures(data, params, year, spread)
    summary = json.loads((paths.interim / "ingest_summary.json").read_text(encoding="utf-8"))
    meta = {
        "year": year,
        "previous_year": data.previous_year(year),
        "years": data.years,
        "input_sha256": summary["input_sha256"],
        "rows_rejected": sum(t["rows_rejected"] for t in summary["tables"].values()),
        # the sections behind these figures (contract.STAGE_PARAMS), `input` as ingest used it
        "params": {**params_record(params, "indexes"), "input": summary["params"]["input"]},
        # each measure's respondent spread, pooled over the organisation: the reports'
        # group differences rest on it (analysis.indexes.change_intervals)
        "respondent_spread": {
            measure: (None if math.isnan(sd) else sd) for measure, sd in spread(year).items()
        },
    }
    out = paths.processed_year(year)
    write_parquet_atomic(figures, out / "figures.parquet")
    write_parquet_atomic(data.units_in(year), out / "units.parquet")
    write_parquet_atomic(questions_for_year(data, year), out / "questions.parquet")
    write_json_atomic(meta, out / "meta.json")
    # written even without rows, so the directory always has them (dvc.yaml lists them)
    plans, benchmarks = follow_up_tables(data, year)
    write_parquet_atomic(plans, out / "action_plans.parquet")
    write_parquet_atomic(benchmarks, out / "benchmarks.parquet")
    # published by the render stage, whole with the reports (analysis.core.publish)
    write_figures_csv(figures, out / "figures.csv")
