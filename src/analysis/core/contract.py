"""Names the contract fixes for the published tables (contract §5).

One place for the column lists and the leader-row prefix, so the writers,
the report loader, the Excel workbook and the audit cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from analysis.core.catalogue import AMI, AMI_DIMENSIONS, RESPONSE_RATE, dimension_measure

#: leader-report rows: unit_id = manager:<manager_id>
MANAGER_PREFIX = "manager:"

#: reports/<year>/figures.csv; ``suppression`` says why a figure is hidden
FIGURES_CSV_COLUMNS: list[str] = [
    "year",
    "unit_id",
    "group",
    "measure",
    "n",
    "value",
    "change",
    "change_low",
    "change_high",
    "suppression",
]
#: ``change_low``/``change_high``: a 95 % interval for the change
#: (analysis.indexes.change_intervals); ``suppression``: empty when published;
#: fewer than privacy.min_group_size respondents; hidden to protect another
#: group (analysis.privacy)
PUBLISHED, THRESHOLD, COMPLEMENTARY = "", "threshold", "complementary"
SUPPRESSION_REASONS = (PUBLISHED, THRESHOLD, COMPLEMENTARY)
#: data/processed/<year>/figures.parquet: the same, plus the previous value the
#: reports need to show a change as the difference of two displayed values.
FIGURES_TABLE_COLUMNS: list[str] = [*FIGURES_CSV_COLUMNS, "value_prev"]

#: reports/<year>/drivers.csv: contract §5, then where the importances came from
#: (the unit itself, or the ancestor a small unit borrows from) and on what
#: basis (``own``, ``own_below_min_n`` for a förvaltning too small to borrow,
#: ``borrowed``).
DRIVERS_CSV_COLUMNS: list[str] = [
    "year",
    "unit_id",
    "question_id",
    "weight",
    "importance",
    "ci_low",
    "ci_high",
    "score",
    "quadrant",
    "n_used",
    "importance_from",
    "basis",
    "own_weight",
    "p_high",
    "beta",
    "p_negative",
    "p_random",
]
#: drivers.csv's numbers (written as figures.csv writes them, empty when NaN)
DRIVERS_CSV_NUMBERS: tuple[str, ...] = (
    "weight",
    "importance",
    "ci_low",
    "ci_high",
    "score",
    "own_weight",
    "p_high",
    "beta",
    "p_negative",
    "p_random",
)
#: data/processed/<year>/drivers.parquet: the same, plus why a unit borrowed
#: (a code and a sentence) and what its bootstrap resampled.
DRIVERS_TABLE_COLUMNS: list[str] = [
    *DRIVERS_CSV_COLUMNS,
    "borrow_code",
    "borrow_reason",
    "resampled",
]

# The words the drivers stage writes and the reports read back (drivers.csv
# ``basis``, drivers.parquet ``borrow_code``, drivers.json): defined once here,
# so that a renamed code cannot silently lose its Swedish explanation.
#: ``basis``: the unit's own analysis, a förvaltning's own below drivers.min_n,
#: importances borrowed from an ancestor, or the unit's own correlations
#: shrunk towards its parent's (``own_weight`` says how much is its own).
BASIS_OWN, BASIS_OWN_BELOW_MIN_N, BASIS_BORROWED = "own", "own_below_min_n", "borrowed"
BASIS_SHRUNK = "shrunk"
# drivers.shrinkage: how a unit's importances lean on its parent's
SHRINKAGE_EB, SHRINKAGE_NONE = "empirical_bayes", "none"

# drivers.missing: which respondents the correlations behind the importances rest on
MISSING_LISTWISE, MISSING_PAIRWISE = "listwise", "pairwise"
#: why there is no analysis of a sample (analysis.drivers.relweights)
TOO_FEW, NO_VARIANCE, COLLINEAR = "too_few", "no_variance", "collinear"
CONSTANT_OUTCOME, NOTHING_EXPLAINED, INVALID = "constant_outcome", "nothing_explained", "invalid"
#: ... of a year (no sample at all) or of a unit (analysis.drivers.borrowing)
NO_QUESTIONS, NO_MOTIVATION, NO_DRIVERS = "no_questions", "no_motivation", "no_drivers"
NO_OUTCOME, SMALL, UNSTABLE = "no_outcome", "small", "unstable"
#: with shrinkage: fewer than drivers.min_own respondents; a unit no different from its
#: parent beyond noise (its own weight 0: its matrix is the parent's)
BELOW_MIN_OWN, LIKE_PARENT = "below_min_own", "like_parent"
#: drivers.json ``root_analysis.status`` when the förvaltning could not be analysed
NOT_ANALYSED = "not_analysed"
#: why a unit has no driver rows (drivers.json ``without_rows``)
SUPPRESSED_SCORES, NO_ANALYSIS = "suppressed_scores", "no_analysis"

#: measures whose earlier years a year's figures.csv carries (the reports'
#: trend lines), for units, every group; the comparison year is carried whole.
HISTORY_MEASURES: tuple[str, ...] = (
    RESPONSE_RATE,
    AMI,
    *(dimension_measure(d) for d in AMI_DIMENSIONS),
)


#: params.yaml sections behind each stage's outputs, recorded beside them so a
#: report's footer shows the parameters that produced its numbers rather than
#: params.yaml as it is at render time: ``indexes`` is what meta.json records
#: (the sections ingest and indexes declare in dvc.yaml), ``drivers`` what
#: drivers.json records under ``params``, ``render`` the render stage's own.
STAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "indexes": ("input", "survey", "privacy"),
    "drivers": ("survey", "drivers"),
    "render": ("report", "levels", "targets", "privacy"),
}


def params_record(params: Any, stage: str) -> dict[str, Any]:
    """The sections of ``params`` (a Params) that ``stage`` declares, as plain JSON values."""
    full = dataclasses.asdict(params)
    return {section: full[section] for section in STAGE_PARAMS[stage]}


def manager_unit_id(manager_id: str) -> str:
    """The ``unit_id`` of a leader report's rows (contract §5)."""
    return f"{MANAGER_PREFIX}{manager_id}"


def is_manager_unit(unit_id: str) -> bool:
    return unit_id.startswith(MANAGER_PREFIX)


# The optional input tables (contract §2), as ingest hands them on (data/interim) and the
# indexes stage writes them beside a year's figures (data/processed/<year>/), for the
# reported year and its previous survey year; the report reads them through ProcessedYear.
#: action_plans: a unit's action plan of a survey year and how far it has come
ACTION_PLAN_COLUMNS: list[str] = ["year", "unit_id", "status", "deadline", "note"]
#: ``status``: the four words of the follow-up (seed 002), in this spelling
PLAN_STATUSES: tuple[str, ...] = ("Klar", "Pågående", "Ej påbörjad", "Ej slutförd")
#: benchmarks: an outside figure (e.g. the city's) for a measure of figures.csv
BENCHMARK_COLUMNS: list[str] = ["year", "measure", "value", "source"]
