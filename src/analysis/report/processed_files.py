"""How ``data/processed/<Y>/`` is read: each file, the columns the reports rely on, their types.

The report layer's only door to the stages' outputs (:mod:`analysis.report.processed`
builds the indexed year from what this returns): the aggregate tables, the run's
metadata and the optional action plans and benchmarks - never respondent rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core.contract import (
    ACTION_PLAN_COLUMNS,
    BENCHMARK_COLUMNS,
    DRIVERS_TABLE_COLUMNS,
    FIGURES_TABLE_COLUMNS,
)

FIGURE_COLUMNS = tuple(FIGURES_TABLE_COLUMNS)
UNIT_COLUMNS = ("year", "unit_id", "unit_name", "parent_id", "unit_type", "invited", "manager_id")
QUESTION_COLUMNS = (
    "question_id",
    "text",
    "area",
    "ami_dimension",
    "leadership",
    "replaces",
    "asked",
    "asked_prev",
)
DRIVER_COLUMNS = tuple(DRIVERS_TABLE_COLUMNS)
#: the optional tables, year Y's and its previous survey year's rows in input order: year
#: (int), unit_id, status (contract.PLAN_STATUSES), deadline, note ("" if none); year (int),
#: measure (as figures.csv names it), value (float), source
PLAN_COLUMNS = tuple(ACTION_PLAN_COLUMNS)
BENCHMARK_TABLE_COLUMNS = tuple(BENCHMARK_COLUMNS)
_NUMBERS = {"year": "int64", "value": "float64"}
#: keys of data/processed/<year>/drivers.json (written by the drivers stage)
DRIVER_NOTE_KEYS = (
    "drivers",
    "excluded",
    "min_n",
    "missing",
    "root_analysis",
    "without_rows",
)
META_KEYS = (
    "year",
    "previous_year",
    "years",
    "input_sha256",
    "rows_rejected",
    "params",
    "respondent_spread",
)


class ReportDataError(ValueError):
    """The processed directory does not hold what a report needs."""


def read_parquet(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        raise ReportDataError(
            f"{path}: missing; the indexes/drivers stages write it (run `dvc repro`)"
        )
    frame = pd.read_parquet(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportDataError(f"{path}: missing column(s) {missing}")
    return frame


def text_column(series: pd.Series) -> pd.Series:
    """A string column with empty strings for NA, as every later comparison expects."""
    return series.astype(object).where(series.notna(), "").astype(str)


def typed_table(frame: pd.DataFrame | None, columns: Sequence[str]) -> pd.DataFrame:
    """An optional table with exactly ``columns``, numbers as numbers, text "" for NA."""
    if frame is None:
        frame = pd.DataFrame({c: [] for c in columns})
    out = pd.DataFrame(index=range(len(frame)))
    for column in columns:
        values = frame[column].reset_index(drop=True)
        out[column] = values.astype(_NUMBERS[column]) if column in _NUMBERS else text_column(values)
    return out


def optional_parquet(path: Path, columns: Sequence[str]) -> pd.DataFrame | None:
    """An optional table, None when the file is not there (a directory written before
    the tables existed)."""
    return read_parquet(path, columns) if path.is_file() else None


def file_signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    names = (
        "figures.parquet",
        "units.parquet",
        "questions.parquet",
        "drivers.parquet",
        "action_plans.parquet",
        "benchmarks.parquet",
    )
    out = []
    for name in (*names, "meta.json", "drivers.json"):
        path = directory / name
        stat = path.stat() if path.exists() else None
        out.append((name, stat.st_mtime_ns if stat else -1, stat.st_size if stat else -1))
    return tuple(out)


def read_year_files(directory: Path) -> tuple:
    """meta, figures, units, questions, drivers, driver notes, action plans, benchmarks of
    one processed year, typed as the reports expect (the optional two None when absent)."""
    meta = read_json(directory / "meta.json", META_KEYS, "indexes")

    figures = read_parquet(directory / "figures.parquet", FIGURE_COLUMNS)
    figures = figures[list(FIGURE_COLUMNS)].copy()
    figures["year"] = figures["year"].astype("int64")
    for column in ("unit_id", "group", "measure"):
        figures[column] = text_column(figures[column])
    for column in ("value", "change", "change_low", "change_high", "value_prev"):
        figures[column] = figures[column].astype("float64")
    figures["n"] = figures["n"].astype("Int64")

    units = read_parquet(directory / "units.parquet", UNIT_COLUMNS)
    for column in ("unit_id", "unit_name", "parent_id", "unit_type", "manager_id"):
        units[column] = text_column(units[column])

    questions = read_parquet(directory / "questions.parquet", QUESTION_COLUMNS)
    for column in ("question_id", "text", "area", "ami_dimension", "replaces"):
        questions[column] = text_column(questions[column])
    for column in ("leadership", "asked", "asked_prev"):
        questions[column] = questions[column].astype(bool)

    drivers = read_parquet(directory / "drivers.parquet", DRIVER_COLUMNS)
    for column in ("unit_id", "question_id", "quadrant", "importance_from", "basis"):
        drivers[column] = text_column(drivers[column])
    for column in ("borrow_code", "borrow_reason", "resampled"):
        drivers[column] = text_column(drivers[column])
    notes = read_json(directory / "drivers.json", DRIVER_NOTE_KEYS, "drivers")
    plans = optional_parquet(directory / "action_plans.parquet", PLAN_COLUMNS)
    benchmarks = optional_parquet(directory / "benchmarks.parquet", BENCHMARK_TABLE_COLUMNS)
    return meta, figures, units, questions, drivers, notes, plans, benchmarks


def read_json(path: Path, keys: Sequence[str], stage: str) -> dict[str, Any]:
    """A stage's JSON record, with the keys the reports rely on."""
    if not path.is_file():
        raise ReportDataError(f"{path}: missing; the {stage} stage writes it")
    record = json.loads(path.read_text(encoding="utf-8"))
    missing = [k for k in keys if k not in record]
    if missing:
        raise ReportDataError(f"{path}: missing key(s) {missing}")
    return record
