"""Each unit's and manager's analysis of one year: its own, shrunk, borrowed, or why none.

By default (``drivers.shrinkage: empirical_bayes`` with pairwise
correlations) the förvaltning is analysed here and every unit and manager
below it gets its own matrix shrunk towards its parent's
(:mod:`analysis.drivers.shrunk_year`); one that cannot (fewer than
``drivers.min_own``, no different from its parent, degenerate answers)
borrows as below. Without shrinkage, a unit with fewer than
``drivers.min_n`` respondents in its analysis (complete
ones with ``drivers.missing: listwise``, those who answered a driver with
``pairwise``), or
whose data cannot be analysed (see ``DriverAnalysisError``), takes the
importances of its nearest ancestor that has its own analysis, with its own
scores; ``importance_from`` names that ancestor, ``basis`` says ``borrowed``
(and ``borrow_code``/``borrow_reason`` in drivers.parquet say why), so the
table and the report can say so. A manager borrows from the lowest common
ancestor of the units they manage, or its ancestors.

Degenerate input never stops the pipeline and never publishes a NaN or a
silently wrong importance: every decision is recorded in :class:`YearDrivers`
(the table, drivers.json and the stage's warnings are made from it, in
:mod:`analysis.drivers.table`). A förvaltning below ``drivers.min_n`` cannot
borrow: it is analysed and marked ``basis = own_below_min_n``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from analysis.core.contract import (
    BASIS_BORROWED,
    BASIS_OWN,
    BASIS_OWN_BELOW_MIN_N,
    BASIS_SHRUNK,
    MISSING_LISTWISE,
    MISSING_PAIRWISE,
    NO_QUESTIONS,
    SHRINKAGE_EB,
    SMALL,
    TOO_FEW,
)
from analysis.core.dataset import SurveyData
from analysis.core.params import DriverParams, Params
from analysis.drivers.bootstrap import UnitAnalysis, analyse_rows
from analysis.drivers.relweights import DriverAnalysisError
from analysis.drivers.sample import DriverSample, build_driver_sample, driver_questions
from analysis.drivers.shrunk_year import shrink_targets
from analysis.drivers.targets import Target, analysis_targets

__all__ = ["BORROWED", "OWN", "OWN_BELOW_MIN_N", "SHRUNK", "YearDrivers", "analyse_year"]

log = logging.getLogger(__name__)

#: who counts towards drivers.min_n, by drivers.missing
_WHO = {
    MISSING_LISTWISE: "complete respondents",
    MISSING_PAIRWISE: "respondents who answered a driver",
}

# ``basis`` of a unit's rows (the codes themselves live in analysis.core.contract)
OWN, OWN_BELOW_MIN_N, BORROWED, SHRUNK = (
    BASIS_OWN,
    BASIS_OWN_BELOW_MIN_N,
    BASIS_BORROWED,
    BASIS_SHRUNK,
)


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
    method: str  # drivers.missing
    analyses: dict[str, UnitAnalysis] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    problems: dict[str, DriverAnalysisError] = field(default_factory=dict)
    year_problem: DriverAnalysisError | None = None
    excluded: tuple[str, ...] = ()
    min_own: int = 0  # drivers.min_own
    #: with shrinkage: the units' between-unit variance and each shrunk target's noise
    tau2: dict[int, float] | None = None
    noise: dict[str, float] = field(default_factory=dict)
    towards: dict[str, str] = field(default_factory=dict)

    def analysis_for(self, target_id: str) -> UnitAnalysis:
        return self.analyses[self.source[target_id]]

    def basis(self, target_id: str) -> str:
        """``own``, ``own_below_min_n`` (a förvaltning too small to borrow), ``shrunk``
        or ``borrowed``."""
        if self.source[target_id] != target_id:
            return BORROWED
        if target_id in self.noise:
            return SHRUNK
        return OWN if self.analyses[target_id].n_used >= self.min_n else OWN_BELOW_MIN_N


def analyse_year(data: SurveyData, params: Params, year: int, jobs: int = 1) -> YearDrivers:
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
        return YearDrivers(
            year, None, [], settings.min_n, settings.missing, year_problem=error, excluded=excluded
        )
    result = YearDrivers(
        year,
        sample,
        analysis_targets(data, sample),
        settings.min_n,
        settings.missing,
        excluded=sample.excluded,
        min_own=settings.min_own,
    )
    shrink = settings.shrinkage == SHRINKAGE_EB and sample.method == MISSING_PAIRWISE
    ordered = sorted(result.targets, key=lambda t: t.analysis_order)
    # shrinking: the förvaltning's resampled matrices are its children's resampled priors
    _own_or_borrowed(result, [t for t in ordered if t.is_root or not shrink], settings, shrink)
    root = next((t.target_id for t in ordered if t.is_root), None)
    if shrink and root in result.analyses:
        shrunk = shrink_targets(sample, ordered, result.analyses[root], root, settings, jobs)
        result.analyses = {
            tid: replace(analysis, resampled_correlations=None)
            for tid, analysis in result.analyses.items()
        }
        result.tau2, result.noise, result.towards = shrunk.tau2, shrunk.noise, shrunk.towards
        result.analyses.update(shrunk.analyses)
        for target in ordered:
            tid = target.target_id
            if tid in shrunk.analyses:
                result.source[tid] = tid
            elif not target.is_root:
                result.problems[tid] = shrunk.problems[tid]
                _borrow(result, target, f"year {year}, unit {tid}")
    elif shrink:  # no förvaltning to shrink towards: the units stand on their own or borrow
        _own_or_borrowed(result, [t for t in ordered if not t.is_root], settings)
    return result


def _own_or_borrowed(
    result: YearDrivers, targets: list[Target], settings: DriverParams, keep_root: bool = False
) -> None:
    """Each target's own analysis when it has ``drivers.min_n``, else its lender's
    (``keep_root``: the förvaltning's resampled matrices kept, for shrinking)."""
    sample, year = result.sample, result.year
    outcomes: dict[bytes, tuple[str, UnitAnalysis | DriverAnalysisError]] = {}
    for target in targets:
        tid = target.target_id
        n_used = len(target.positions)
        label = f"year {year}, unit {tid}"
        if n_used < settings.min_n and not target.is_root:
            problem = DriverAnalysisError(
                f"{n_used} {who_counts(sample.method)}, fewer than drivers.min_n = "
                f"{settings.min_n}",
                SMALL,
            )
        else:
            key = target.positions.tobytes()
            if key not in outcomes:
                keep = keep_root and target.is_root
                outcomes[key] = (label, _analyse_target(sample, target, settings, label, keep))
            first_label, outcome = outcomes[key]
            if isinstance(outcome, UnitAnalysis):
                result.analyses[tid] = outcome
                result.source[tid] = tid
                continue
            problem = DriverAnalysisError(
                str(outcome).removeprefix(f"{first_label}: "), outcome.code, outcome.questions
            )
            if target.is_root and problem.code == TOO_FEW and sample.method == MISSING_LISTWISE:
                # pairwise names its own culprits (a thin pair, a rarely answered driver)
                problem = _blame_missing(problem, sample)
        result.problems[tid] = problem
        _borrow(result, target, label)


def _borrow(result: YearDrivers, target: Target, label: str) -> None:
    """The nearest lender's analysis, if any has one (else the target has none)."""
    lender = next((u for u in target.lenders if u in result.analyses), None)
    if lender is not None:
        log.info(
            "%s borrows importances from %s: %s", label, lender, result.problems[target.target_id]
        )
        result.source[target.target_id] = lender


def who_counts(method: str) -> str:
    """Whom ``n_used`` counts under ``drivers.missing`` (for messages)."""
    return _WHO[method]


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
    sample: DriverSample, target: Target, settings: DriverParams, label: str, keep: bool
) -> UnitAnalysis | DriverAnalysisError:
    """The target's own analysis, or the reason it has none (returned, to be cached)."""
    try:
        return analyse_rows(sample, target.positions, settings, label, keep_matrices=keep)
    except DriverAnalysisError as error:
        return error
