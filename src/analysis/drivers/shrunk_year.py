"""Every unit's and manager's own priority matrix, shrunk towards its parent's (one year).

With ``drivers.shrinkage: empirical_bayes`` (and pairwise correlations) no
unit simply borrows its område's importances: each unit and manager with at
least ``drivers.min_own`` respondents gets its own correlations mixed with
its parent's (:mod:`analysis.drivers.shrinkage`), down the tree, so a school
of 15 shows mostly its område's structure plus what its own answers say
strongly, and a school of 200 mostly its own. A manager's parent is the
smallest unit holding all their respondents, as for borrowing.

Two passes, because the weight of a unit's own data depends on every unit:

1. each unit's and manager's own importances (a gap in its correlations --
   a pair answered together by too few -- filled from the förvaltning's) and
   their noise ``v``: how far ``NOISE_DRAWS`` samples of as many respondents
   drawn from its parent land from the parent's importances
   (:func:`null_noise`; the unit's own bootstrap would understate it);
   ``tau2`` by the method of moments over the units of each depth
   (:func:`between_variance`): what their importances' distance from their
   parent's exceeds the noise;
2. top down, each target's matrix ``w * own + (1 - w) * parent's final
   matrix`` with ``w = tau2 / (tau2 + v)``, its importances, and bootstrap
   intervals of that shrunk estimator: each of the target's resamples is
   mixed with the same-numbered resample of its parent's final matrix, so
   the parent's uncertainty is in the target's intervals. The bootstraps
   therefore run in waves down the tree (the områden, then their schools, ...),
   each wave's in parallel, each parent's resampled matrices kept for its children.

Targets with exactly the same respondents share one analysis (the first in
tree order: a school and the rektor who manages exactly it show the same
matrix). The förvaltning is analysed on its own as before.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from analysis.core.contract import BELOW_MIN_OWN, LIKE_PARENT, MANAGER_PREFIX
from analysis.core.params import DriverParams
from analysis.drivers.bootstrap import UnitAnalysis, analyse_rows, sample_seed
from analysis.drivers.correlations import correlations_with_gaps
from analysis.drivers.relweights import DriverAnalysisError
from analysis.drivers.sample import DriverSample
from analysis.drivers.shrinkage import (
    Prior,
    between_variance,
    importance_shares,
    mix_with_prior,
    null_noise,
    own_weight,
)
from analysis.drivers.targets import Target

__all__ = ["NOISE_DRAWS", "ShrunkYear", "noise_seed", "shrink_targets"]

#: samples drawn from a unit's parent behind its noise v
NOISE_DRAWS = 100
#: the spawn key of the noise draws' stream (the intervals' stays as it was)
NOISE_STREAM = 2


class ShrunkYear:
    """What the shrinkage of one year decided: tau2, each target's noise and analysis."""

    def __init__(self) -> None:
        self.tau2: dict[int, float] = {}  # per depth below the förvaltning (len(lenders))
        self.noise: dict[str, float] = {}
        self.analyses: dict[str, UnitAnalysis] = {}
        self.problems: dict[str, DriverAnalysisError] = {}
        self.towards: dict[str, str] = {}  # whose matrix each target was shrunk towards


def shrink_targets(
    sample: DriverSample,
    targets: list[Target],
    root: UnitAnalysis,
    root_id: str,
    settings: DriverParams,
    jobs: int = 1,
) -> ShrunkYear:
    """Pass 1 and pass 2 of the module docstring for every target below the förvaltning.

    A target's matrix is its children's parent even when its own intervals
    cannot be computed (it then borrows); a target whose own weight is 0 has
    exactly its parent's matrix and borrows its analysis, intervals included.
    ``root.resampled_correlations`` are the förvaltning's resampled matrices
    (None: its matrix held fixed). ``jobs`` processes run each wave's bootstraps.
    """
    year = ShrunkYear()
    ordered = sorted((t for t in targets if not t.is_root), key=lambda t: t.analysis_order)
    own_importance: dict[str, np.ndarray] = {root_id: root.importance}
    own: dict[str, np.ndarray] = {}  # each measured target's correlations, gaps NaN
    positions = {t.target_id: t.positions for t in targets}
    lender_of: dict[str, str] = {}
    first_of: dict[bytes, str] = {}
    noise_jobs: list[_NoiseJob] = []
    for target in ordered:
        tid = target.target_id
        if len(target.positions) < settings.min_own:
            year.problems[tid] = DriverAnalysisError(
                f"{len(target.positions)} respondents who answered a driver, fewer than "
                f"drivers.min_own = {settings.min_own}",
                BELOW_MIN_OWN,
            )
            continue
        key = target.positions.tobytes()
        if key in first_of:
            continue
        first_of[key] = tid
        lender = next(u for u in (*target.lenders, root_id) if u in own_importance)
        try:
            own[tid], _ = correlations_with_gaps(
                sample.outcome[target.positions], sample.drivers[target.positions]
            )
        except DriverAnalysisError as error:
            year.problems[tid] = error
            continue
        # gaps filled from the förvaltning's, as the noise draws' are
        own_importance[tid] = importance_shares(
            mix_with_prior(own[tid], Prior(root.correlations, 1.0))
        )
        lender_of[tid] = lender
        noise_jobs.append(
            _NoiseJob(
                tid,
                positions[lender],
                len(target.positions),
                own_importance[lender],
                noise_seed(settings.seed, sample.year, sample.respondent_ids[target.positions]),
            )
        )
    year.noise = dict(
        zip(
            (job.target_id for job in noise_jobs),
            _in_workers(_noise_shared, (sample, root.correlations), noise_jobs, jobs),
            strict=True,
        )
    )
    year.tau2 = _between_units(ordered, own_importance, year.noise, lender_of)
    # the matrices top down (cheap), then every target's bootstrap, in parallel
    final: dict[str, np.ndarray] = {root_id: root.correlations}
    jobs_to_run: list[_Job] = []
    for target in ordered:
        tid = target.target_id
        first = first_of.get(target.positions.tobytes())
        if first is None or tid in year.problems or first != tid:
            continue
        parent_id = next(u for u in (*target.lenders, root_id) if u in final)
        weight = float(own_weight(year.tau2.get(len(target.lenders), 0.0), year.noise[tid]))
        if weight == 0.0:  # its matrix is its parent's: it shows the parent's analysis
            year.problems[tid] = DriverAnalysisError(
                f"its answers differ from {parent_id}'s no more than chance would make "
                "them (own weight 0)",
                LIKE_PARENT,
            )
            continue
        final[tid] = mix_with_prior(own[tid], Prior(final[parent_id], weight))
        year.towards[tid] = parent_id
        jobs_to_run.append(_Job(tid, target.positions, Prior(final[parent_id], weight), parent_id))
    _bootstrap_in_waves(year, jobs_to_run, root_id, root, sample, settings, jobs)
    for target in ordered:  # the same respondents: the same matrix
        tid = target.target_id
        first = first_of.get(target.positions.tobytes())
        if first is None or first == tid:
            continue
        if first in year.analyses:
            year.analyses[tid] = year.analyses[first]
            year.noise[tid] = year.noise[first]
            year.towards[tid] = year.towards[first]
        elif first in year.problems:
            year.problems[tid] = year.problems[first]
    return year


@dataclass(frozen=True)
class _Job:
    """One target's bootstrap of its shrunk matrix."""

    target_id: str
    rows: np.ndarray
    prior: Prior  # the parent's point matrix; its resampled ones are filled in by the worker
    parent_id: str


def _bootstrap_in_waves(
    year: ShrunkYear,
    work: list[_Job],
    root_id: str,
    root: UnitAnalysis,
    sample: DriverSample,
    settings: DriverParams,
    jobs: int,
) -> None:
    """Every job's bootstrap, parents before children; ``year.analyses`` and ``.problems``.

    A wave is every job whose parent's resampled matrices are known (the
    förvaltning's first); a parent whose own bootstrap failed leaves its
    children its point matrix, held fixed.
    """
    parents = {job.parent_id for job in work}
    resampled = {root_id: root.resampled_correlations}
    depth = {root_id: 0}
    for job in work:  # tree order: a parent's job comes before its children's
        depth[job.target_id] = depth[job.parent_id] + 1
    for wave in sorted({depth[job.target_id] for job in work}):
        these = [job for job in work if depth[job.target_id] == wave]
        outcomes = _in_workers(_analyse_shared, (sample, settings, resampled, parents), these, jobs)
        for job, outcome in zip(these, outcomes, strict=True):
            if isinstance(outcome, UnitAnalysis):
                resampled[job.target_id] = outcome.resampled_correlations
                year.analyses[job.target_id] = replace(outcome, resampled_correlations=None)
            else:
                year.problems[job.target_id] = DriverAnalysisError(*outcome)


@dataclass(frozen=True)
class _NoiseJob:
    """One target's null calibration: samples of its size from its lender's respondents."""

    target_id: str
    lender_rows: np.ndarray
    n: int
    lender_importance: np.ndarray
    seed: np.random.SeedSequence


#: what every job of one pool reads (the year's sample and more), inherited by forked workers
_SHARED: tuple | None = None


def _in_workers(work_of: Callable, shared: tuple, work: list, jobs: int) -> list:
    """``work_of(job)`` for each job, in order: in ``jobs`` forked processes that inherit
    ``shared`` (nothing pickled but the jobs and results), or here for one job or one process."""
    global _SHARED
    _SHARED = shared
    try:
        if jobs <= 1 or len(work) < 2:
            return [work_of(job) for job in work]
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork")) as pool:
            return list(pool.map(work_of, work, chunksize=4))
    finally:
        _SHARED = None


def _noise_shared(job: _NoiseJob) -> float:
    assert _SHARED is not None
    sample, root_correlations = _SHARED
    return null_noise(
        _values(sample, job.lender_rows),
        job.n,
        Prior(root_correlations, 1.0),
        job.lender_importance,
        NOISE_DRAWS,
        job.seed,
    )


def _analyse_shared(job: _Job) -> UnitAnalysis | tuple:
    assert _SHARED is not None
    sample, settings, resampled, parents = _SHARED
    prior = replace(job.prior, resampled=resampled.get(job.parent_id))
    label = f"year {sample.year}, unit {job.target_id}"
    try:
        return analyse_rows(
            sample, job.rows, settings, label, prior, keep_matrices=job.target_id in parents
        )
    except DriverAnalysisError as error:  # returned: an exception's own fields do not pickle
        return (str(error), error.code, error.questions)


def noise_seed(base_seed: int, year: int, respondent_ids: np.ndarray) -> np.random.SeedSequence:
    """The noise draws' own stream of the target's seed (:func:`sample_seed`)."""
    seed = sample_seed(base_seed, year, respondent_ids)
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, NOISE_STREAM))


def _values(sample: DriverSample, rows: np.ndarray) -> np.ndarray:
    return np.column_stack([sample.outcome[rows], sample.drivers[rows]])


def _between_units(
    ordered: list[Target],
    own_importance: dict[str, np.ndarray],
    noise: dict[str, float],
    lender_of: dict[str, str],
) -> dict[int, float]:
    """tau2 per depth, over the units (not managers: their groups are nested in units).

    Units at one depth differ from their parents alike, and differently from
    another depth's: schools from their område by their local drivers, work
    groups from their school hardly at all. One tau2 for all would give the
    schools the work groups' trust. A manager takes the tau2 of the depth
    just below the unit holding their group, where such a group sits.
    """
    by_depth: dict[int, list[str]] = {}
    for target in ordered:
        if not target.target_id.startswith(MANAGER_PREFIX) and target.target_id in lender_of:
            by_depth.setdefault(len(target.lenders), []).append(target.target_id)
    return {
        depth: between_variance(
            np.array([own_importance[u] for u in units]),
            np.array([own_importance[lender_of[u]] for u in units]),
            np.array([noise[u] for u in units]),
        )
        for depth, units in sorted(by_depth.items())
    }
