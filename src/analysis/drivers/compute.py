"""The driver table: what drives motivation, per unit and per manager (contract §4).

For one survey year every unit of the tree (the förvaltning, each område,
each school/avdelning, ...) and every manager (``manager:<id>``) gets Johnson's
relative weights of the respondents' Motivation score on all other questions
asked that year, with seeded bootstrap intervals, its own published question
indexes as scores, and the priority-matrix quadrant of each question.

A unit with fewer than ``drivers.min_n`` listwise-complete respondents, or
whose data cannot be analysed (see ``DriverAnalysisError``), takes the
importances of its nearest ancestor that has its own analysis, with its own
scores; ``importance_from`` names that ancestor, ``basis`` says ``borrowed``
(and ``borrow_code``/``borrow_reason`` in drivers.parquet say why), so the
table and the report can say so. A manager borrows from the lowest common
ancestor of the units they manage, or its ancestors.

Degenerate input never stops the pipeline and never publishes a NaN or a
silently wrong importance: a driver question with no valid answer at all is
left out (and noted); when the förvaltning itself cannot be analysed (no
Motivation questions, too few complete respondents, degenerate answers) it has
no rows, and neither has any unit that would borrow from it. Every such
decision is recorded in :class:`DriverResults` ``notes`` (written beside
drivers.parquet as drivers.json) and in ``warnings`` (the stage prints them).
A förvaltning below ``drivers.min_n`` cannot borrow: it is analysed and marked
``basis = own_below_min_n``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.atomic import write_text_atomic
from analysis.core.catalogue import motivation_questions, question_measure
from analysis.core.contract import (
    BASIS_BORROWED,
    BASIS_OWN,
    BASIS_OWN_BELOW_MIN_N,
    DRIVERS_CSV_COLUMNS,
    DRIVERS_TABLE_COLUMNS,
    MANAGER_PREFIX,
    NO_ANALYSIS,
    NO_DRIVERS,
    NO_MOTIVATION,
    NO_OUTCOME,
    NO_QUESTIONS,
    NOT_ANALYSED,
    SMALL,
    SUPPRESSED_SCORES,
    TOO_FEW,
    UNSTABLE,
    params_record,
)
from analysis.core.dataset import SurveyData
from analysis.core.params import DriverParams, Params
from analysis.drivers.priority import quadrant_labels
from analysis.drivers.relweights import (
    COLLINEARITY_TOL,
    ZERO_R2_TOL,
    DriverAnalysisError,
    johnson_weights,
    relative_weights_from_corr,
    sample_correlations,
)

__all__ = [
    "CSV_COLUMNS",
    "TABLE_COLUMNS",
    "DriverAnalysisError",
    "DriverQuestions",
    "DriverResults",
    "DriverSample",
    "Target",
    "UnitAnalysis",
    "YearDrivers",
    "analyse_sample",
    "analyse_year",
    "analysis_targets",
    "bootstrap_importance",
    "build_driver_sample",
    "driver_questions",
    "driver_results",
    "driver_table",
    "drivers_csv_text",
    "motivation_score",
    "published_scores",
    "resampling_clusters",
    "write_drivers_csv",
]

log = logging.getLogger(__name__)

CSV_COLUMNS = DRIVERS_CSV_COLUMNS
#: the full table (data/processed/<year>/drivers.parquet): drivers.csv's
#: columns, then why a unit borrowed (a code and a sentence) and what the
#: bootstrap resampled for its intervals (``respondents`` or ``units``).
TABLE_COLUMNS = DRIVERS_TABLE_COLUMNS
#: more unusable bootstrap resamples than this share and the unit is not analysed.
MAX_DEGENERATE_SHARE = 0.05
#: bootstrap resamples per batch are capped so that one batch's weights stay ~32 MB.
BATCH_CELLS = 4_000_000
#: how many questions a warning names when too few respondents answered all.
MAX_SUSPECTS = 5

# ``basis`` of a unit's rows (the codes themselves live in analysis.core.contract)
OWN, OWN_BELOW_MIN_N, BORROWED = BASIS_OWN, BASIS_OWN_BELOW_MIN_N, BASIS_BORROWED


# ------------------------------------------------------------------ the sample


@dataclass(frozen=True)
class DriverQuestions:
    """The outcome's and the drivers' question ids of one year (catalogue order).

    ``excluded``: asked that year (a non-empty column) but without a single
    valid answer - everyone said don't-know - so they are left out of the
    drivers instead of leaving no complete respondent at all.
    """

    motivation: tuple[str, ...]
    drivers: tuple[str, ...]
    excluded: tuple[str, ...]


@dataclass(frozen=True)
class DriverSample:
    """The listwise-complete respondents of one year: outcome, drivers, units.

    ``outcome`` is the Motivation score 0-100; ``drivers`` the raw answers
    (rescaling is linear, so correlations do not change) in ``question_ids``
    order; ``unit_ids`` the unit each respondent belongs to. ``missing``
    counts, per driver, the respondents with a Motivation score but no valid
    answer to it (what listwise deletion loses to each question).
    """

    year: int
    question_ids: tuple[str, ...]
    motivation_ids: tuple[str, ...]
    outcome: np.ndarray
    drivers: np.ndarray
    respondent_ids: np.ndarray
    unit_ids: np.ndarray
    n_respondents: int
    n_with_outcome: int = 0
    missing: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    excluded: tuple[str, ...] = ()

    @property
    def n_complete(self) -> int:
        return len(self.outcome)

    def most_missing(self, k: int = MAX_SUSPECTS) -> list[tuple[str, int]]:
        """The ``k`` drivers most often unanswered by respondents with an outcome (id, count)."""
        order = np.argsort(-self.missing, kind="stable")[:k]
        return [(self.question_ids[i], int(self.missing[i])) for i in order if self.missing[i] > 0]


def motivation_score(
    responses: pd.DataFrame, motivation_ids: Sequence[str], scale_min: float, scale_max: float
) -> pd.Series:
    """Each respondent's mean valid Motivation answer rescaled to 0-100 (NaN if none valid)."""
    mean = responses[list(motivation_ids)].mean(axis=1, skipna=True)
    return (mean - scale_min) / (scale_max - scale_min) * 100


def driver_questions(data: SurveyData, year: int) -> DriverQuestions:
    """Outcome and driver questions of ``year``; drivers without any valid answer set aside."""
    asked = data.asked_in(year)
    motivation = set(motivation_questions(data.questions))
    candidates = [q for q in asked if q not in motivation]
    responses = data.responses_in(year)
    answered = responses[candidates].notna().any(axis=0) if candidates else pd.Series(dtype=bool)
    return DriverQuestions(
        motivation=tuple(q for q in asked if q in motivation),
        drivers=tuple(q for q in candidates if answered[q]),
        excluded=tuple(q for q in candidates if not answered[q]),
    )


def build_driver_sample(data: SurveyData, params: Params, year: int) -> DriverSample:
    """Outcome and drivers of ``year``; the complete (listwise) respondents only.

    Raises ``DriverAnalysisError`` (with a year-level ``code``) when the year
    has no outcome or no drivers at all.
    """
    asked = data.asked_in(year)
    if not asked:
        raise DriverAnalysisError(
            f"year {year}: no questions were asked (or no such year)", NO_QUESTIONS
        )
    questions = driver_questions(data, year)
    motivation, drivers = list(questions.motivation), list(questions.drivers)
    if not motivation:
        raise DriverAnalysisError(
            f"year {year}: no Motivation questions were asked (questions with ami_dimension = "
            f"'Motivation'; {len(asked)} questions asked), so there is no outcome for the "
            "driver analysis",
            NO_MOTIVATION,
        )
    if not drivers:
        raise DriverAnalysisError(
            f"year {year}: no question besides the Motivation questions has a valid answer; "
            "there are no drivers to analyse",
            NO_DRIVERS,
            questions.excluded,
        )
    responses = data.responses_in(year)
    outcome = motivation_score(
        responses, motivation, params.survey.scale_min, params.survey.scale_max
    )
    has_outcome = outcome.notna().to_numpy()
    if not has_outcome.any():
        raise DriverAnalysisError(
            f"year {year}: nobody gave a valid answer to the Motivation questions {motivation} "
            "(only don't-know or empty), so there is no outcome for the driver analysis",
            NO_OUTCOME,
            tuple(motivation),
        )
    answers = responses[drivers].to_numpy(dtype=float)
    valid = np.isfinite(answers)
    complete = has_outcome & valid.all(axis=1)
    return DriverSample(
        year=year,
        question_ids=tuple(drivers),
        motivation_ids=tuple(motivation),
        outcome=outcome.to_numpy(dtype=float)[complete],
        drivers=answers[complete],
        respondent_ids=responses["respondent_id"].astype(str).to_numpy()[complete],
        unit_ids=responses["unit_id"].astype(str).to_numpy()[complete],
        n_respondents=len(responses),
        n_with_outcome=int(has_outcome.sum()),
        missing=(~valid[has_outcome]).sum(axis=0).astype(np.int64),
        excluded=questions.excluded,
    )


# ------------------------------------------------------------ who is analysed


@dataclass(frozen=True)
class Target:
    """One unit or manager to analyse.

    ``positions`` index the rows of the year's ``DriverSample`` (complete
    respondents in its subtree, or under its management); ``lenders`` are the
    units it may borrow importances from, nearest first.
    """

    target_id: str
    positions: np.ndarray
    lenders: tuple[str, ...]
    is_root: bool = False

    @property
    def analysis_order(self) -> tuple[bool, int]:
        """Units before managers, ancestors before descendants (lenders come first)."""
        return (self.target_id.startswith(MANAGER_PREFIX), len(self.lenders))


def _unit_chains(units: pd.DataFrame, year: int) -> dict[str, tuple[str, ...]]:
    """Each unit's chain (itself, parent, ..., root); refuses a forest or a cycle."""
    parent = dict(zip(units["unit_id"].astype(str), units["parent_id"].astype(str), strict=True))
    roots = [u for u, p in parent.items() if p == ""]
    if len(roots) != 1:
        raise DriverAnalysisError(f"year {year}: the units table must have one root, found {roots}")
    chains: dict[str, tuple[str, ...]] = {}
    for unit in parent:
        chain = [unit]
        while parent[chain[-1]] != "":
            nxt = parent[chain[-1]]
            if nxt not in parent or nxt in chain:
                raise DriverAnalysisError(
                    f"year {year}: unit {chain[-1]!r} has parent {nxt!r}, which is "
                    + ("not a unit" if nxt not in parent else "on a cycle")
                )
            chain.append(nxt)
        chains[unit] = tuple(chain)
    return chains


def analysis_targets(data: SurveyData, sample: DriverSample) -> list[Target]:
    """Every unit of the year's tree (tree order of the units table), then every manager.

    A manager's respondents are those whose nearest responsible manager it is
    (walking up from their unit to the first unit with a manager_id); the
    manager borrows from the unit they manage - the lowest common ancestor if
    they manage several - or that unit's ancestors.
    """
    units = data.units_in(sample.year)
    chains = _unit_chains(units, sample.year)
    unknown = sorted(set(sample.unit_ids) - set(chains))
    if unknown:
        raise DriverAnalysisError(f"year {sample.year}: respondents' units not in units: {unknown}")
    codes, uniques = pd.factorize(sample.unit_ids)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    own = {u: order[bounds[i] : bounds[i + 1]] for i, u in enumerate(uniques)}

    subtree: dict[str, list[np.ndarray]] = {u: [] for u in chains}
    for unit, positions in own.items():
        for ancestor in chains[unit]:
            subtree[ancestor].append(positions)
    targets = [
        Target(
            unit, _sorted_concat(subtree[unit]), chains[unit][1:], is_root=len(chains[unit]) == 1
        )
        for unit in chains
    ]
    targets.sort(key=lambda t: not t.is_root)

    manager_of = dict(
        zip(units["unit_id"].astype(str), units["manager_id"].astype(str), strict=True)
    )
    responsible = {
        unit: next((manager_of[u] for u in chain if manager_of[u] != ""), "")
        for unit, chain in chains.items()
    }
    managed: dict[str, list[str]] = {}
    for unit in chains:
        if manager_of[unit] != "":
            managed.setdefault(manager_of[unit], []).append(unit)
    for manager, their_units in managed.items():
        home = _common_ancestor([chains[u] for u in their_units])
        positions = _sorted_concat([p for unit, p in own.items() if responsible[unit] == manager])
        targets.append(Target(MANAGER_PREFIX + manager, positions, chains[home]))
    return targets


def _sorted_concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.intp)


def _common_ancestor(chains: list[tuple[str, ...]]) -> str:
    """The lowest unit that all chains (unit ... root) pass through."""
    common = set(chains[0]).intersection(*chains[1:])
    return next(u for u in chains[0] if u in common)


# ------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class UnitAnalysis:
    """One sample's relative weights with percentile-bootstrap intervals of importance."""

    weights: np.ndarray
    importance: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    r2: float
    n_used: int
    n_resamples: int
    n_degenerate_resamples: int
    resampled: str


def sample_seed(base_seed: int, year: int, respondent_ids: np.ndarray) -> np.random.SeedSequence:
    """A bootstrap seed fixed by the parameters and *who* is analysed.

    Keyed by the respondents (not by the unit's name) so that the same people
    - a school and the rektor who manages exactly that school - get identical
    numbers in both reports; sha256, never Python's salted ``hash()``.
    """
    digest = hashlib.sha256("\x1f".join(sorted(respondent_ids)).encode("utf-8")).digest()
    return np.random.SeedSequence([base_seed, year, int.from_bytes(digest[:16], "little")])


def bootstrap_importance(
    outcome: np.ndarray,
    drivers: np.ndarray,
    n_resamples: int,
    seed: np.random.SeedSequence | int,
    clusters: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Importance (share of R²) in each bootstrap resample; also how many were unusable.

    Each resample is a vector of counts over respondents (or, with
    ``clusters``, over whole clusters, every respondent taking their
    cluster's count), so all resamples' moments come from one matrix product
    of the counts with the centred values and their pairwise products, and
    the relative weights from one batched eigen-decomposition.

    Within a resample a driver without variance gets weight 0 (it explains
    nothing there) and exactly collinear drivers share their common part
    (pseudo-inverse); a resample whose outcome is constant or unexplained
    (R² = 0) is left out and counted.
    """
    n, p = drivers.shape
    values = np.column_stack([outcome, drivers]).astype(float)
    centred = values - values.mean(axis=0)
    q = p + 1
    upper_i, upper_j = np.triu_indices(q)
    moments = np.hstack([centred, centred[:, upper_i] * centred[:, upper_j]])
    full_var = centred.var(axis=0)
    rng = np.random.default_rng(seed)
    if clusters is not None:
        cluster_codes, cluster_names = pd.factorize(clusters)
        n_clusters = len(cluster_names)
    batch = max(1, min(n_resamples, BATCH_CELLS // max(n, 1)))
    shares: list[np.ndarray] = []
    degenerate = 0
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        counts = np.empty((size, n))
        for row in range(size):
            if clusters is None:
                counts[row] = np.bincount(rng.integers(0, n, n), minlength=n)
            else:
                drawn = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)
                counts[row] = drawn[cluster_codes]
        totals = counts @ moments / counts.sum(axis=1, keepdims=True)
        mean = totals[:, :q]
        cov_upper = totals[:, q:] - mean[:, upper_i] * mean[:, upper_j]
        cov = np.empty((size, q, q))
        cov[:, upper_i, upper_j] = cov_upper
        cov[:, upper_j, upper_i] = cov_upper
        var = np.diagonal(cov, axis1=1, axis2=2).copy()
        constant = var <= 1e-12 * np.maximum(full_var, 1e-300)
        sd = np.sqrt(np.where(constant, 1.0, var))
        corr = cov / sd[:, :, None] / sd[:, None, :]
        corr[constant[:, :, None] | constant[:, None, :]] = 0.0
        corr[:, np.arange(q), np.arange(q)] = 1.0
        weights = johnson_weights(corr[:, 1:, 1:], corr[:, 1:, 0], COLLINEARITY_TOL)
        r2 = weights.sum(axis=1)
        usable = ~constant[:, 0] & (r2 > ZERO_R2_TOL) & np.isfinite(weights).all(axis=1)
        degenerate += int((~usable).sum())
        shares.append(weights[usable] / r2[usable, None])
    return np.vstack(shares), degenerate


def analyse_sample(
    outcome: np.ndarray,
    drivers: np.ndarray,
    question_ids: Sequence[str],
    *,
    label: str,
    n_resamples: int,
    ci_level: float,
    seed: np.random.SeedSequence | int,
    clusters: np.ndarray | None = None,
) -> UnitAnalysis:
    """Relative weights and bootstrap intervals, or ``DriverAnalysisError`` naming ``label``."""
    if n_resamples < 1:
        raise ValueError(f"drivers.bootstrap must be at least 1, got {n_resamples}")
    if not 0 < ci_level < 1:
        raise ValueError(f"drivers.ci_level must lie strictly between 0 and 1, got {ci_level}")
    names = list(question_ids)
    try:
        rxx, rxy = sample_correlations(outcome, drivers, names)
        point = relative_weights_from_corr(rxx, rxy, names)
    except DriverAnalysisError as error:
        raise DriverAnalysisError(f"{label}: {error}", error.code, error.questions) from error
    if clusters is not None and len(np.unique(clusters)) < 2:
        raise ValueError(f"{label}: resampling units needs at least two units")
    resampled = "respondents" if clusters is None else "units"
    shares, degenerate = bootstrap_importance(outcome, drivers, n_resamples, seed, clusters)
    if degenerate > MAX_DEGENERATE_SHARE * n_resamples:
        raise DriverAnalysisError(
            f"{label}: {degenerate} of {n_resamples} bootstrap resamples had a constant or "
            "unexplained outcome; the intervals would be unreliable",
            UNSTABLE,
        )
    tail = (1 - ci_level) / 2
    low, high = np.quantile(shares, [tail, 1 - tail], axis=0)
    weights = point.weights.to_numpy()
    result = UnitAnalysis(
        weights=weights,
        importance=weights / point.r2,
        ci_low=low,
        ci_high=high,
        r2=point.r2,
        n_used=len(outcome),
        n_resamples=len(shares),
        n_degenerate_resamples=degenerate,
        resampled=resampled,
    )
    numbers = [result.weights, result.importance, result.ci_low, result.ci_high]
    if not all(np.isfinite(x).all() for x in numbers):  # pragma: no cover - guarded above
        raise DriverAnalysisError(f"{label}: non-finite importances; refusing to publish them")
    return result


@dataclass
class YearDrivers:
    """All analyses of one year: each target's own, the one it borrowed, or why it has none.

    ``source`` maps a target to the target whose analysis it shows (itself
    or a lender); a target missing from ``source`` has no analysis at all.
    ``problems`` says why a target has no analysis of its own;
    ``year_problem`` why nothing at all could be analysed (no sample).
    """

    year: int
    sample: DriverSample | None
    targets: list[Target]
    min_n: int
    analyses: dict[str, UnitAnalysis] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    problems: dict[str, DriverAnalysisError] = field(default_factory=dict)
    year_problem: DriverAnalysisError | None = None
    excluded: tuple[str, ...] = ()

    def analysis_for(self, target_id: str) -> UnitAnalysis:
        return self.analyses[self.source[target_id]]

    def basis(self, target_id: str) -> str:
        """``own``, ``own_below_min_n`` (a förvaltning too small to borrow) or ``borrowed``."""
        if self.source[target_id] != target_id:
            return BORROWED
        return OWN if self.analyses[target_id].n_used >= self.min_n else OWN_BELOW_MIN_N


def resampling_clusters(unit_ids: np.ndarray, settings: DriverParams) -> np.ndarray | None:
    """The clusters the bootstrap resamples for one target; None = resample respondents.

    With ``drivers.resample: units`` the respondents' own units are resampled
    whole - but only when they sit in at least ``drivers.resample_min_units``
    units: a school with one or two work groups has no between-unit
    variation to speak of, so its intervals come from resampling respondents
    (and the table's ``resampled`` column says so).
    """
    if settings.resample != "units":
        return None
    if len(np.unique(unit_ids)) < settings.resample_min_units:
        return None
    return unit_ids


def analyse_year(data: SurveyData, params: Params, year: int) -> YearDrivers:
    """Analyse every unit and manager of ``year`` that is large enough; others borrow.

    Never raises for what the answers are like: a problem is recorded (for the
    year, or per target) and the target borrows or goes without. Targets with
    exactly the same respondents share one analysis (computed once; the seed
    depends on the respondents, so the numbers are the same either way).
    """
    settings = params.drivers
    try:
        sample = build_driver_sample(data, params, year)
    except DriverAnalysisError as error:
        excluded = () if error.code == NO_QUESTIONS else driver_questions(data, year).excluded
        return YearDrivers(year, None, [], settings.min_n, year_problem=error, excluded=excluded)
    result = YearDrivers(
        year, sample, analysis_targets(data, sample), settings.min_n, excluded=sample.excluded
    )
    outcomes: dict[bytes, tuple[str, UnitAnalysis | DriverAnalysisError]] = {}
    for target in sorted(result.targets, key=lambda t: t.analysis_order):
        tid = target.target_id
        n_used = len(target.positions)
        label = f"year {year}, unit {tid}"
        if n_used < settings.min_n and not target.is_root:
            problem = DriverAnalysisError(
                f"{n_used} complete respondents, fewer than drivers.min_n = {settings.min_n}",
                SMALL,
            )
        else:
            key = target.positions.tobytes()
            if key not in outcomes:
                outcomes[key] = (label, _analyse_target(sample, target, settings, label))
            first_label, outcome = outcomes[key]
            if isinstance(outcome, UnitAnalysis):
                result.analyses[tid] = outcome
                result.source[tid] = tid
                continue
            problem = DriverAnalysisError(
                str(outcome).removeprefix(f"{first_label}: "), outcome.code, outcome.questions
            )
            if target.is_root and problem.code == TOO_FEW:
                problem = _blame_missing(problem, sample)
        result.problems[tid] = problem
        lender = next((u for u in target.lenders if u in result.analyses), None)
        if lender is not None:
            log.info("%s borrows importances from %s: %s", label, lender, problem)
            result.source[tid] = lender
    return result


def _blame_missing(problem: DriverAnalysisError, sample: DriverSample) -> DriverAnalysisError:
    """Name the drivers that listwise deletion lost the most respondents to."""
    suspects = sample.most_missing()
    if not suspects:
        return DriverAnalysisError(
            f"{problem}; all {sample.n_with_outcome} respondents with a Motivation score "
            "answered every driver: there are simply too few respondents",
            problem.code,
        )
    named = ", ".join(f"{q} ({n} missing)" for q, n in suspects)
    return DriverAnalysisError(
        f"{problem}; of the {sample.n_with_outcome} respondents with a Motivation score, "
        f"these drivers have the most missing answers: {named}",
        problem.code,
        tuple(q for q, _ in suspects),
    )


def _analyse_target(
    sample: DriverSample, target: Target, settings: DriverParams, label: str
) -> UnitAnalysis | DriverAnalysisError:
    """The target's own analysis, or the reason it has none (returned, to be cached)."""
    rows = target.positions
    try:
        return analyse_sample(
            sample.outcome[rows],
            sample.drivers[rows],
            sample.question_ids,
            label=label,
            n_resamples=settings.bootstrap,
            ci_level=settings.ci_level,
            seed=sample_seed(settings.seed, sample.year, sample.respondent_ids[rows]),
            clusters=resampling_clusters(sample.unit_ids[rows], settings),
        )
    except DriverAnalysisError as error:
        return error


# ---------------------------------------------------------------- the table


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
    data: SurveyData, params: Params, year: int, figures: pd.DataFrame
) -> DriverResults:
    """The driver table of ``year`` with its notes and warnings.

    ``score`` is the unit's published question index from ``figures``, so the
    drivers never publish a score the figures suppressed: a unit (or manager)
    with any driver's score missing or suppressed has no rows at all (the
    notes name the questions).
    """
    year_drivers = analyse_year(data, params, year)
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


def _dtype(column: str) -> str:
    if column in ("year", "n_used"):
        return "int64"
    if column in ("weight", "importance", "ci_low", "ci_high", "score"):
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
        "motivation": list(sample.motivation_ids) if sample else [],
        "drivers": list(sample.question_ids) if sample else [],
        "excluded": list(year_drivers.excluded),
        "n_respondents": sample.n_respondents if sample else None,
        "n_with_outcome": sample.n_with_outcome if sample else None,
        "n_complete": sample.n_complete if sample else None,
        "root_analysis": analysis,
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
            f"drivers, year {year}, unit {root}: only {n_used} complete respondents "
            f"(fewer than drivers.min_n = {year_drivers.min_n}); the förvaltning cannot "
            f"borrow, so it is analysed anyway and marked basis = {OWN_BELOW_MIN_N}"
        )
    return out


# ---------------------------------------------------------------- drivers.csv


def drivers_csv_text(table: pd.DataFrame) -> str:
    """The exact text of drivers.csv: contract columns, ``importance_from``, ``basis``."""
    from analysis.core.figures_io import format_number

    missing = [c for c in CSV_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"driver table lacks column(s) {missing}")
    out = table[CSV_COLUMNS].copy()
    for column in ("weight", "importance", "ci_low", "ci_high", "score"):
        out[column] = [format_number(v) for v in out[column].astype("float64")]
    return out.to_csv(index=False, lineterminator="\n")


def write_drivers_csv(table: pd.DataFrame, path: str | Path) -> None:
    """Write drivers.csv atomically, so a failed run never leaves half a file."""
    write_text_atomic(drivers_csv_text(table), path)
