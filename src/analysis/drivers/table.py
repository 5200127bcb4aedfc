"""The driver table of a year (contract §4) with drivers.json's notes and the warnings.

For one survey year every unit of the tree (the förvaltning, each område,
each school/avdelning, ...) and every manager (``manager:<id>``) gets Johnson's
relative weights of the respondents' Motivation score on all other questions
asked that year, with seeded bootstrap intervals, its own published question
indexes as scores, and the priority-matrix quadrant of each question.

When the förvaltning itself cannot be analysed (no Motivation questions, too
few complete respondents, degenerate answers) it has no rows, and neither has
any unit that would borrow from it. Every such decision is recorded in
:class:`DriverResults` ``notes`` (written beside drivers.parquet as
drivers.json) and in ``warnings`` (the stage prints them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.catalogue import question_measure
from analysis.core.contract import (
    DRIVERS_CSV_NUMBERS,
    DRIVERS_TABLE_COLUMNS,
    NO_ANALYSIS,
    NOT_ANALYSED,
    SUPPRESSED_SCORES,
    params_record,
)
from analysis.core.dataset import SurveyData
from analysis.core.params import Params
from analysis.drivers.borrowing import OWN_BELOW_MIN_N, YearDrivers, analyse_year, who_counts
from analysis.drivers.priority import quadrant_labels

__all__ = [
    "TABLE_COLUMNS",
    "DriverResults",
    "driver_results",
    "driver_table",
    "published_scores",
    "table_from_analyses",
]

#: the full table (data/processed/<year>/drivers.parquet): drivers.csv's
#: columns, then why a unit borrowed (a code and a sentence) and what the
#: bootstrap resampled for its intervals (``respondents`` or ``units``).
TABLE_COLUMNS = DRIVERS_TABLE_COLUMNS


def published_scores(figures: pd.DataFrame, year: int) -> pd.DataFrame:
    """Published question indexes (group ``all``) of ``year``: units × question ids."""
    needed = ["year", "unit_id", "group", "measure", "value"]
    missing = [c for c in needed if c not in figures.columns]
    if missing:
        raise ValueError(f"figures table lacks column(s) {missing}")
    rows = figures[
        (figures["year"] == year)
        & (figures["group"] == "all")
        & figures["measure"].astype(str).str.startswith(question_measure(""))
    ]
    duplicated = rows.duplicated(["unit_id", "measure"])
    if duplicated.any():
        first = rows[duplicated].iloc[0]
        raise ValueError(
            f"figures table has more than one {first['measure']} row for unit {first['unit_id']}"
        )
    question = rows["measure"].str.slice(len(question_measure("")))
    return (
        rows.assign(question_id=question)
        .pivot(index="unit_id", columns="question_id", values="value")
        .astype(float)
    )


@dataclass(frozen=True)
class DriverResults:
    """The driver table of a year, what was decided on the way, and what to warn about.

    ``notes`` is JSON-ready (drivers.json beside drivers.parquet): the
    outcome and driver questions, the questions left out, whether and how the
    förvaltning was analysed, whom each borrowing unit borrowed from and why
    (with the questions to blame), why each unit or manager without rows
    has none, and the params sections the stage declares (``params``, shown in
    the reports' footer). ``warnings`` are one line each, naming year, unit
    and questions.
    """

    table: pd.DataFrame
    notes: dict[str, Any]
    warnings: list[str]


def driver_results(
    data: SurveyData, params: Params, year: int, figures: pd.DataFrame, jobs: int = 1
) -> DriverResults:
    """The driver table of ``year`` with its notes and warnings.

    ``score`` is the unit's published question index from ``figures``, so the
    drivers never publish a score the figures suppressed: a unit (or manager)
    with any driver's score missing or suppressed has no rows at all (the
    notes name the questions). ``jobs``: processes for the shrunk matrices' bootstraps.
    """
    year_drivers = analyse_year(data, params, year, jobs)
    table, without_rows = table_from_analyses(year_drivers, published_scores(figures, year))
    root = _root_id(data, year)
    notes = _notes(year_drivers, root, without_rows)
    # the params sections this stage declares, as it ran: the reports' footer shows them
    notes["params"] = params_record(params, "drivers")
    return DriverResults(table, notes, _warnings(year_drivers, root))


def driver_table(
    data: SurveyData, params: Params, year: int, figures: pd.DataFrame
) -> pd.DataFrame:
    """The driver table of ``year`` (``TABLE_COLUMNS``), one row per unit × driver."""
    return driver_results(data, params, year, figures).table


def _root_id(data: SurveyData, year: int) -> str:
    units = data.units_in(year)
    roots = units.loc[units["parent_id"].astype(str) == "", "unit_id"].astype(str)
    return roots.iloc[0] if len(roots) == 1 else ""


def table_from_analyses(
    year_drivers: YearDrivers, scores: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """The table (priority quadrants added), and why each target without rows has none."""
    sample = year_drivers.sample
    parts: dict[str, list[np.ndarray]] = {c: [] for c in TABLE_COLUMNS if c != "year"}
    without: dict[str, dict[str, Any]] = {}
    questions = list(sample.question_ids) if sample is not None else []
    p = len(questions)
    matrix = scores.reindex(columns=questions).to_numpy(dtype=float)
    row_of = {unit: i for i, unit in enumerate(scores.index)}
    for target in year_drivers.targets:
        tid = target.target_id
        if tid not in year_drivers.source:
            problem = year_drivers.problems[tid]
            without[tid] = {
                "code": NO_ANALYSIS,
                "reason_code": problem.code,
                "reason": str(problem),
            }
            continue
        unit_scores = matrix[row_of[tid]] if tid in row_of else np.full(p, np.nan)
        hidden = [q for q, v in zip(questions, unit_scores, strict=True) if not np.isfinite(v)]
        if hidden:  # a score is missing or suppressed: the unit gets no rows
            without[tid] = {"code": SUPPRESSED_SCORES, "questions": hidden}
            continue
        analysis = year_drivers.analysis_for(tid)
        problem = year_drivers.problems.get(tid) if year_drivers.source[tid] != tid else None
        columns = {
            "unit_id": np.full(p, tid, dtype=object),
            "question_id": np.array(questions, dtype=object),
            "weight": analysis.weights,
            "importance": analysis.importance,
            "ci_low": analysis.ci_low,
            "ci_high": analysis.ci_high,
            "score": unit_scores,
            "quadrant": quadrant_labels(questions, analysis.importance, unit_scores),
            "n_used": np.full(p, analysis.n_used, dtype=np.int64),
            "importance_from": np.full(p, year_drivers.source[tid], dtype=object),
            "basis": np.full(p, year_drivers.basis(tid), dtype=object),
            "own_weight": np.full(p, _own_weight(year_drivers, tid)),
            "p_high": analysis.p_high,
            "beta": analysis.beta,
            "p_negative": analysis.p_negative,
            "p_random": analysis.p_random,
            "borrow_code": np.full(p, problem.code if problem else "", dtype=object),
            "borrow_reason": np.full(p, str(problem) if problem else "", dtype=object),
            "resampled": np.full(p, analysis.resampled, dtype=object),
        }
        for name, values in columns.items():
            parts[name].append(values)
    if not parts["unit_id"]:
        empty = pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in TABLE_COLUMNS})
        return empty, without
    joined = {name: np.concatenate(values) for name, values in parts.items()}
    table = pd.DataFrame(
        {"year": np.full(len(joined["unit_id"]), year_drivers.year, dtype=np.int64)}
    )
    for name in TABLE_COLUMNS[1:]:
        table[name] = joined[name]
    return table, without


def _own_weight(year_drivers: YearDrivers, target_id: str) -> float:
    """The share of the target's own data in its importances: 1 own, 0 borrowed."""
    if year_drivers.source[target_id] != target_id:
        return 0.0
    return year_drivers.analyses[target_id].own_weight


def _dtype(column: str) -> str:
    if column in ("year", "n_used"):
        return "int64"
    if column in DRIVERS_CSV_NUMBERS:
        return "float64"
    return "object"


def _notes(
    year_drivers: YearDrivers, root: str, without_rows: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """What drivers.json records: the questions, the förvaltning's analysis, units without rows."""
    sample = year_drivers.sample
    problem = year_drivers.year_problem or year_drivers.problems.get(root)
    if problem is not None and root not in year_drivers.analyses:
        analysis: dict[str, Any] = {
            "status": NOT_ANALYSED,
            "code": problem.code,
            "message": str(problem),
            "questions": list(problem.questions),
        }
    else:
        own = year_drivers.analyses[root]
        analysis = {"status": year_drivers.basis(root), "n_used": own.n_used, "r2": own.r2}
    return {
        "year": year_drivers.year,
        "root": root,
        "min_n": year_drivers.min_n,
        "min_own": year_drivers.min_own,
        "missing": year_drivers.method,
        "motivation": list(sample.motivation_ids) if sample else [],
        "drivers": list(sample.question_ids) if sample else [],
        "excluded": list(year_drivers.excluded),
        "n_respondents": sample.n_respondents if sample else None,
        "n_with_outcome": sample.n_with_outcome if sample else None,
        "n_complete": sample.n_complete if sample else None,
        "root_analysis": analysis,
        # empirical-Bayes shrinkage (analysis.drivers.shrunk_year): the units' spread
        # tau2 per depth below the förvaltning and each shrunk target's noise v, so
        # own_weight = tau2 / (tau2 + v) with the tau2 of its depth (len(lenders)), and
        # whose matrix each was shrunk towards
        "shrinkage": None
        if year_drivers.tau2 is None
        else {
            "tau2": {str(depth): t for depth, t in year_drivers.tau2.items()},
            "noise": dict(sorted(year_drivers.noise.items())),
            "towards": dict(sorted(year_drivers.towards.items())),
        },
        "borrowed": {
            target: {
                "from": lender,
                "code": year_drivers.problems[target].code,
                "questions": list(year_drivers.problems[target].questions),
            }
            for target, lender in year_drivers.source.items()
            if lender != target
        },
        "without_rows": without_rows,
    }


def _warnings(year_drivers: YearDrivers, root: str) -> list[str]:
    """One line per thing an analyst must know: left-out questions, no or weak root analysis."""
    year = year_drivers.year
    out = []
    if year_drivers.excluded:
        out.append(
            f"drivers, year {year}: question(s) {list(year_drivers.excluded)} were asked but "
            "have no valid answer (only don't-know or empty); left out of the drivers"
        )
    problem = year_drivers.year_problem or year_drivers.problems.get(root)
    if problem is not None and root not in year_drivers.analyses:
        out.append(f"drivers, year {year}, unit {root}: no driver analysis: {problem}")
    elif root in year_drivers.analyses and year_drivers.basis(root) == OWN_BELOW_MIN_N:
        n_used = year_drivers.analyses[root].n_used
        out.append(
            f"drivers, year {year}, unit {root}: only {n_used} {who_counts(year_drivers.method)} "
            f"(fewer than drivers.min_n = {year_drivers.min_n}); the förvaltning cannot "
            f"borrow, so it is analysed anyway and marked basis = {OWN_BELOW_MIN_N}"
        )
    return out
