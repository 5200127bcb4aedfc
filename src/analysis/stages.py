"""The pipeline stages as plain functions (the CLI and the tests call these).

Each stage reads what the previous one wrote and writes its outputs
atomically. Only the render stage publishes: indexes and drivers write
``figures.csv`` and ``drivers.csv`` under ``data/processed/<year>/``, and
render swaps in ``reports/<year>/`` whole with them (:mod:`analysis.publish`),
so a failed run never leaves a half-replaced publication behind.
The report notebooks read only ``data/processed/<year>/``, which holds
suppressed aggregates and the organisation tree - never respondent rows.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

import pandas as pd

from analysis.atomic import write_parquet_atomic, write_text_atomic
from analysis.contract import HISTORY_MEASURES, is_manager_unit, params_record
from analysis.dataset import SurveyData
from analysis.params import Params


@dataclass(frozen=True)
class StagePaths:
    interim: Path = Path("data/interim")
    processed: Path = Path("data/processed")
    reports: Path = Path("reports")

    def processed_year(self, year: int) -> Path:
        return self.processed / str(year)

    def reports_year(self, year: int) -> Path:
        return self.reports / str(year)


def write_json_atomic(payload: object, path: Path) -> None:
    """Write sorted, indented JSON (byte-stable, never half-written)."""
    text = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    write_text_atomic(text, path)


def run_synthesize(params: Params, out_dir: Path) -> None:
    from analysis.synth import generate

    generate(params.synth, out_dir)


def run_ingest_stage(params: Params, out_dir: Path) -> None:
    from analysis.ingest import run_ingest

    result = run_ingest(params, out_dir)
    summary = result.summary
    print(
        f"ingest: {params.input.dir}: "
        + ", ".join(
            f"{name} {info['rows_in']} rows in, {info['rows_used']} used, "
            f"{info['rows_rejected']} rejected"
            for name, info in sorted(summary["tables"].items())
        )
    )


def _check_year(data: SurveyData, year: int) -> None:
    from analysis.errors import StageError

    if year not in data.years:
        raise StageError(
            f"report.years names {year}, but the input has survey years {data.years}; "
            "set report.years in params.yaml to years present in the data"
        )


def history_figures(data: SurveyData, params: Params, year: int) -> pd.DataFrame:
    """Figures of ``year``, all of the comparison year's, and the trend rows before it.

    Each year is suppressed once (the costly step, :func:`published_years`)
    and reused for its own rows and as the comparison of the year after it.
    """
    from analysis.indexes import figures_with_changes

    published = published_years(data, params, [y for y in data.years if y <= year])
    previous = data.previous_year(year)
    tables = [figures_with_changes(data, year, published.__getitem__)]
    for earlier in sorted((y for y in data.years if y < year), reverse=True):
        table = figures_with_changes(data, earlier, published.__getitem__)
        if earlier != previous:
            is_unit = ~table["unit_id"].map(is_manager_unit)
            table = table[is_unit & table["measure"].isin(HISTORY_MEASURES)]
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


#: respondent rows from which the years are suppressed in parallel processes: below
#: this a year's disclosure audit takes seconds, less than starting a process
PARALLEL_FROM_RESPONSES = 2_000


def published_years(data: SurveyData, params: Params, years: list[int]) -> dict[int, pd.DataFrame]:
    """Each year's suppressed figures (:func:`analysis.indexes.published_figures`).

    The years are independent, and on a large survey each one's disclosure
    audit takes most of a minute, so they run in separate processes, one per
    core (processes, not threads: HiGHS instances are not safe to run side
    by side in one process). The result does not depend on the scheduling.
    """
    from analysis.indexes import published_figures

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


def run_indexes(params: Params, year: int, paths: StagePaths) -> None:
    from analysis.figures_io import write_figures_csv

    data = SurveyData.load(paths.interim)
    _check_year(data, year)
    figures = history_figures(data, params, year)
    summary = json.loads((paths.interim / "ingest_summary.json").read_text(encoding="utf-8"))
    meta = {
        "year": year,
        "previous_year": data.previous_year(year),
        "years": data.years,
        "input_sha256": summary["input_sha256"],
        "rows_rejected": sum(t["rows_rejected"] for t in summary["tables"].values()),
        # the sections behind these figures (contract.STAGE_PARAMS), `input` as ingest used it
        "params": {**params_record(params, "indexes"), "input": summary["params"]["input"]},
    }
    out = paths.processed_year(year)
    write_parquet_atomic(figures, out / "figures.parquet")
    write_parquet_atomic(data.units_in(year), out / "units.parquet")
    write_parquet_atomic(questions_for_year(data, year), out / "questions.parquet")
    write_json_atomic(meta, out / "meta.json")
    # published by the render stage, whole with the reports (analysis.publish)
    write_figures_csv(figures, out / "figures.csv")


def run_drivers(params: Params, year: int, paths: StagePaths) -> None:
    """The driver analysis of ``year``: drivers.parquet, drivers.json and drivers.csv (processed).

    Degenerate answers never stop the stage: what could not be analysed is
    recorded in drivers.json (the reports explain it) and printed on stderr.
    """
    from analysis.drivers import driver_results, write_drivers_csv

    data = SurveyData.load(paths.interim)
    _check_year(data, year)
    figures = pd.read_parquet(paths.processed_year(year) / "figures.parquet")
    results = driver_results(data, params, year, figures[figures["year"] == year])
    for warning in results.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    out = paths.processed_year(year)
    write_parquet_atomic(results.table, out / "drivers.parquet")
    write_json_atomic(results.notes, out / "drivers.json")
    write_drivers_csv(results.table, out / "drivers.csv")  # published by render


def run_render(params: Params, year: int, paths: StagePaths, jobs: int = 2) -> None:
    """Publish ``year``'s whole set: reports, workbook, figures.csv, drivers.csv, in one swap."""
    from analysis.render import render_year

    render_year(year, paths.processed_year(year), paths.reports_year(year), params, jobs=jobs)
