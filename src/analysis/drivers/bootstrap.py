"""One sample's relative weights with seeded percentile-bootstrap intervals of importance.

Everything here works on arrays (outcome, drivers, clusters); which
respondents form a sample, and who borrows, is :mod:`analysis.drivers.borrowing`.
The auditor recomputes the intervals through :func:`bootstrap_draws` and
:func:`sample_seed`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.contract import MISSING_LISTWISE as LISTWISE
from analysis.core.contract import MISSING_PAIRWISE as PAIRWISE
from analysis.core.contract import UNSTABLE
from analysis.core.params import DriverParams
from analysis.drivers.correlations import (
    MIN_PAIR_N,
    correlations_with_gaps,
    listwise_from_counts,
    pair_features,
    pairwise_correlations,
    pairwise_from_sums,
    repair_positive_definite,
)
from analysis.drivers.priority import high_importance_share
from analysis.drivers.relweights import (
    COLLINEARITY_TOL,
    ZERO_R2_TOL,
    DriverAnalysisError,
    johnson_weights,
    on_one_blas_thread,
    relative_weights_from_corr,
    sample_correlations,
    weights_and_regression,
)
from analysis.drivers.sample import DriverSample
from analysis.drivers.shrinkage import Prior, mix_with_prior

__all__ = [
    "BATCH_CELLS",
    "MAX_DEGENERATE_SHARE",
    "BootstrapDraws",
    "UnitAnalysis",
    "analyse_rows",
    "analyse_sample",
    "bootstrap_draws",
    "resampling_clusters",
    "sample_seed",
]

#: the spawn key of the random variable's stream (:func:`bootstrap_draws`)
RANDOM_STREAM = 1
#: more unusable bootstrap resamples than this share and the unit is not analysed.
MAX_DEGENERATE_SHARE = 0.05
#: bootstrap resamples per batch are capped so that one batch's weights stay ~32 MB.
BATCH_CELLS = 4_000_000
#: drivers.csv ``beta`` is left empty when Rxx is worse conditioned than this
MAX_CONDITION = 1e4


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
    p_high: np.ndarray  # per driver: share of resamples in the high-importance half
    p_negative: np.ndarray  # per driver: share of resamples with a negative regression weight
    p_random: np.ndarray  # per driver: share of resamples where a random variable weighs as much
    beta: np.ndarray  # standardised regression weights (negative: suppressor-like)
    correlations: np.ndarray  # the outcome-first matrix the weights come from
    own_weight: float = 1.0  # share of the sample's own correlations (below 1: shrunk)
    resampled_correlations: np.ndarray | None = None  # per resample, for children's priors


def sample_seed(base_seed: int, year: int, respondent_ids: np.ndarray) -> np.random.SeedSequence:
    """A bootstrap seed fixed by the parameters and *who* is analysed.

    Keyed by the respondents (not by the unit's name) so that the same people
    - a school and the rektor who manages exactly that school - get identical
    numbers in both reports; sha256, never Python's salted ``hash()``.
    """
    digest = hashlib.sha256("\x1f".join(sorted(respondent_ids)).encode("utf-8")).digest()
    return np.random.SeedSequence([base_seed, year, int.from_bytes(digest[:16], "little")])


@dataclass(frozen=True)
class BootstrapDraws:
    """What the usable resamples of one sample say, per resample and driver."""

    shares: np.ndarray  # importance (share of R²)
    negative: np.ndarray  # the standardised regression weight is below 0
    below_random: np.ndarray  # with a random variable added, it weighs no more than that
    degenerate: int  # resamples left out (constant or unexplained outcome)
    matrices: np.ndarray | None = None  # every resample's final matrix, if kept for children


@on_one_blas_thread  # thousands of small decompositions: one BLAS thread is faster
def bootstrap_draws(
    outcome: np.ndarray,
    drivers: np.ndarray,
    n_resamples: int,
    seed: np.random.SeedSequence | int,
    clusters: np.ndarray | None = None,
    missing: str = LISTWISE,
    prior: Prior | None = None,
    keep_matrices: bool = False,
) -> BootstrapDraws:
    """Importance (share of R²) and the regression weights' signs in each bootstrap
    resample; also how many were unusable.

    Each resample is a vector of counts over respondents (or, with
    ``clusters``, over whole clusters, every respondent taking their
    cluster's count), so all resamples' moments come from one matrix product
    of the counts with the centred values and their pairwise products, and
    the relative weights from one batched eigen-decomposition. With
    ``missing = "pairwise"`` the drivers may be missing (NaN) and each
    resample's correlations are pairwise, repaired like the point estimate
    (:mod:`analysis.drivers.correlations`).

    Within a resample a driver without variance gets weight 0 (it explains
    nothing there) and exactly collinear drivers share their common part
    (pseudo-inverse); a resample whose outcome is constant or unexplained
    (R² = 0) is left out and counted.

    The test against a random variable (Tonidandel, LeBreton & Johnson 2009):
    a standard normal column, drawn once per sample from its own stream of
    ``seed``, is resampled with the answers; in each resample the relative
    weights are computed a second time with it added as a driver, and
    ``below_random`` says which drivers weigh no more than it. The
    importances themselves come from the drivers alone.

    With a ``prior`` (pairwise only) each resample's own correlations are
    mixed with the parent's matrix exactly as the point estimate is
    (:func:`analysis.drivers.shrinkage.mix_with_prior`): the intervals are
    those of the shrunk estimator. With ``prior.resampled`` resample b is
    mixed with the parent's own resample b, so the parent's uncertainty is in
    them; without, the parent's matrix is held fixed. The random variable is
    shrunk like a driver towards a parent that knows it is noise
    (correlations 0), so it competes with the drivers on equal terms.
    ``keep_matrices`` keeps every resample's final matrix (outcome first,
    without the random variable): a child's ``prior.resampled``.
    """
    if prior is not None and missing != PAIRWISE:
        raise ValueError("a prior (shrinkage) needs drivers.missing = pairwise")
    if prior is not None and prior.resampled is not None and len(prior.resampled) != n_resamples:
        raise ValueError(
            f"the parent's {len(prior.resampled)} resampled matrices do not match "
            f"{n_resamples} resamples"
        )
    n, p = drivers.shape
    noise = np.random.default_rng(_random_variable_seed(seed)).standard_normal(n)
    values = np.column_stack([outcome, drivers, noise]).astype(float)
    q = p + 2
    upper_i, upper_j = np.triu_indices(q)
    if missing == PAIRWISE:
        moments = pair_features(values)
        full_var = np.nanvar(values, axis=0)
    else:
        centred = values - values.mean(axis=0)
        moments = np.hstack([centred, centred[:, upper_i] * centred[:, upper_j]])
        full_var = centred.var(axis=0)
    rng = np.random.default_rng(seed)
    cluster_codes, n_clusters = None, 0
    if clusters is not None:
        cluster_codes, cluster_names = pd.factorize(clusters)
        n_clusters = len(cluster_names)
    batch = max(1, min(n_resamples, BATCH_CELLS // max(n, 1)))
    shares: list[np.ndarray] = []
    negative: list[np.ndarray] = []
    below_random: list[np.ndarray] = []
    matrices: list[np.ndarray] = []
    degenerate = 0
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        counts = _resample_counts(rng, n, size, cluster_codes, n_clusters)
        if missing == PAIRWISE:
            corr, pairs, var = pairwise_from_sums(counts @ moments, q)
        else:
            corr, var = listwise_from_counts(counts, moments, upper_i, upper_j, q)
        constant = ~(var > 1e-12 * np.maximum(full_var, 1e-300))
        unknown = constant[:, :, None] | constant[:, None, :] | ~np.isfinite(corr)
        if prior is not None:
            unknown |= pairs < MIN_PAIR_N
            block = np.where(unknown[:, :-1, :-1], np.nan, corr[:, :-1, :-1])
        corr[unknown] = 0.0
        corr[:, np.arange(q), np.arange(q)] = 1.0
        if prior is not None:  # repaired below with the rest
            parent = prior.correlations
            if prior.resampled is not None:
                parent = prior.resampled[start : start + size]
            corr[:, :-1, :-1] = np.where(
                np.isnan(block), parent, prior.weight * block + (1 - prior.weight) * parent
            )
            # the random variable is a driver whose parent's correlations are 0: shrunk alike
            corr[:, -1, :-1] *= prior.weight
            corr[:, :-1, -1] *= prior.weight
        own = corr[:, :-1, :-1]  # outcome and drivers, without the random variable
        if missing == PAIRWISE:
            own = repair_positive_definite(own)
        if keep_matrices:
            matrices.append(np.ascontiguousarray(own))
        weights, regression = weights_and_regression(
            own[:, 1:, 1:], own[:, 1:, 0], COLLINEARITY_TOL
        )
        r2 = weights.sum(axis=1)
        usable = ~constant[:, 0] & (r2 > ZERO_R2_TOL) & np.isfinite(weights).all(axis=1)
        degenerate += int((~usable).sum())
        shares.append(weights[usable] / r2[usable, None])
        negative.append(regression[usable] < 0)
        if missing == PAIRWISE:
            corr = repair_positive_definite(corr)
        with_random = johnson_weights(corr[:, 1:, 1:], corr[:, 1:, 0], COLLINEARITY_TOL)
        below_random.append(with_random[usable, :p] <= with_random[usable, p:])
    return BootstrapDraws(
        np.vstack(shares),
        np.vstack(negative),
        np.vstack(below_random),
        degenerate,
        np.concatenate(matrices) if keep_matrices else None,
    )


def _random_variable_seed(seed: np.random.SeedSequence | int) -> np.random.SeedSequence:
    """A stream of its own for the random variable: the resamples' stays as it was."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, RANDOM_STREAM))
    return np.random.SeedSequence(seed, spawn_key=(RANDOM_STREAM,))


def _resample_counts(
    rng: np.random.Generator,
    n: int,
    size: int,
    cluster_codes: np.ndarray | None,
    n_clusters: int,
) -> np.ndarray:
    """``size`` resamples as counts per respondent (clusters drawn whole when given)."""
    counts = np.empty((size, n))
    for row in range(size):
        if cluster_codes is None:
            counts[row] = np.bincount(rng.integers(0, n, n), minlength=n)
        else:
            drawn = np.bincount(rng.integers(0, n_clusters, n_clusters), minlength=n_clusters)
            counts[row] = drawn[cluster_codes]
    return counts


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
    missing: str = LISTWISE,
    prior: Prior | None = None,
    keep_matrices: bool = False,
) -> UnitAnalysis:
    """Relative weights and bootstrap intervals, or ``DriverAnalysisError`` naming ``label``.

    ``missing``: ``listwise`` (every row complete: the contract's reference
    arithmetic) or ``pairwise`` (rows may miss drivers; ``n_used`` counts those
    who answered at least one). With a ``prior`` (pairwise only) the sample's
    correlations are shrunk towards its parent's (:mod:`analysis.drivers.shrinkage`);
    ``keep_matrices``: see :func:`bootstrap_draws`.
    """
    if n_resamples < 1:
        raise ValueError(f"drivers.bootstrap must be at least 1, got {n_resamples}")
    if not 0 < ci_level < 1:
        raise ValueError(f"drivers.ci_level must lie strictly between 0 and 1, got {ci_level}")
    names = list(question_ids)
    try:
        if prior is not None:
            own, n_used = correlations_with_gaps(outcome, drivers)
            full = mix_with_prior(own, prior)
            rxx, rxy = full[1:, 1:], full[1:, 0]
        elif missing == PAIRWISE:
            rxx, rxy, n_used = pairwise_correlations(outcome, drivers, names)
        else:
            rxx, rxy = sample_correlations(outcome, drivers, names)
            n_used = len(outcome)
        point = relative_weights_from_corr(rxx, rxy, names)
    except DriverAnalysisError as error:
        raise DriverAnalysisError(f"{label}: {error}", error.code, error.questions) from error
    if clusters is not None and len(np.unique(clusters)) < 2:
        raise ValueError(f"{label}: resampling units needs at least two units")
    resampled = "respondents" if clusters is None else "units"
    draws = bootstrap_draws(
        outcome, drivers, n_resamples, seed, clusters, missing, prior, keep_matrices
    )
    shares, degenerate = draws.shares, draws.degenerate
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
        n_used=n_used,
        n_resamples=len(shares),
        n_degenerate_resamples=degenerate,
        resampled=resampled,
        p_high=high_importance_share(shares),
        beta=regression_weights(rxx, rxy),
        p_negative=draws.negative.mean(axis=0),
        p_random=draws.below_random.mean(axis=0),
        correlations=_outcome_first(rxx, rxy),
        own_weight=1.0 if prior is None else prior.weight,
        resampled_correlations=draws.matrices,
    )
    numbers = [result.weights, result.importance, result.ci_low, result.ci_high]
    if not all(np.isfinite(x).all() for x in numbers):  # pragma: no cover - guarded above
        raise DriverAnalysisError(f"{label}: non-finite importances; refusing to publish them")
    return result


def analyse_rows(
    sample: DriverSample,
    rows: np.ndarray,
    settings: DriverParams,
    label: str,
    prior: Prior | None = None,
    keep_matrices: bool = False,
) -> UnitAnalysis:
    """:func:`analyse_sample` of some rows of a year's sample, seeded by who they are."""
    return analyse_sample(
        sample.outcome[rows],
        sample.drivers[rows],
        sample.question_ids,
        label=label,
        n_resamples=settings.bootstrap,
        ci_level=settings.ci_level,
        seed=sample_seed(settings.seed, sample.year, sample.respondent_ids[rows]),
        clusters=resampling_clusters(sample.unit_ids[rows], settings),
        missing=sample.method,
        prior=prior,
        keep_matrices=keep_matrices,
    )


def _outcome_first(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """The (1 + p) matrix with the outcome first, as a child's prior needs it."""
    full = np.empty((len(rxy) + 1, len(rxy) + 1))
    full[0, 0], full[0, 1:], full[1:, 0], full[1:, 1:] = 1.0, rxy, rxy, rxx
    return full


def regression_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Standardised regression weights Rxx⁻¹ r_xy, or NaN where they mean nothing.

    Relative weights stay well defined for nearly collinear drivers; the
    regression weights do not: with a condition number of Rxx above
    ``MAX_CONDITION`` (a pairwise matrix repaired to its eigenvalue floor
    has about 10⁶) they swing wildly with rounding, so they are left empty.
    """
    eigval = np.linalg.eigvalsh(rxx)
    if eigval[0] * MAX_CONDITION <= eigval[-1]:
        return np.full(len(rxy), np.nan)
    return np.linalg.solve(rxx, rxy)


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
