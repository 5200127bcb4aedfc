"""Recomputing the driver analysis: the sample and Johnson's relative weights.

An independent implementation of the weights (§4); only the bootstrap
intervals call the package's own seeded bootstrap, because a bootstrap can
only be reproduced by the same random draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.contract import MISSING_LISTWISE, MISSING_PAIRWISE
from analysis.core.dataset import SurveyData
from analysis.core.params import Params

#: docs/assumptions.md: a pairwise matrix's eigenvalues below this share of the largest
#: are raised to it, then the diagonal is made 1 again
PAIRWISE_EIGEN_FLOOR = 1e-6


def pairwise_correlation_matrix(values: np.ndarray) -> np.ndarray:
    """Available-case correlations of the columns of ``values`` (NaN = no answer).

    As docs/assumptions.md defines them: a column's mean and variance over
    every row that has it; a covariance over the rows that have both,
    about those means; then the eigenvalue repair.
    """
    frame = pd.DataFrame(values)
    centred = (frame - frame.mean()).to_numpy()
    have = ~np.isnan(centred)
    filled = np.nan_to_num(centred)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (filled.T @ filled) / (have.T.astype(float) @ have.astype(float))
        sd = np.sqrt(np.diag(cov))
        corr = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
    if not np.isfinite(corr).all():
        return corr
    return repaired(corr)


def repaired(corr: np.ndarray) -> np.ndarray:
    """Eigenvalues below PAIRWISE_EIGEN_FLOOR x the largest raised to it, unit diagonal again;
    a matrix that needs no repair is returned as it is."""
    eigval, eigvec = np.linalg.eigh(corr)
    floor = PAIRWISE_EIGEN_FLOOR * eigval[-1]
    if eigval[0] >= floor:
        return corr
    raised = eigvec @ np.diag(np.maximum(eigval, floor)) @ eigvec.T
    scale = np.sqrt(np.diag(raised))
    repaired = raised / np.outer(scale, scale)
    repaired = (repaired + repaired.T) / 2
    np.fill_diagonal(repaired, 1.0)
    return repaired


def johnson_relative_weights(
    outcome: np.ndarray, drivers: np.ndarray, missing: str = MISSING_LISTWISE
) -> np.ndarray:
    """Johnson (2000) relative weights of ``outcome`` on the columns of ``drivers``
    (:func:`weights_from_correlations` of :func:`driver_correlations`)."""
    return weights_from_correlations(
        driver_correlations(outcome, drivers, missing), drivers.shape[1]
    )


def driver_correlations(
    outcome: np.ndarray, drivers: np.ndarray, missing: str
) -> np.ndarray | None:
    """The correlations of [outcome, drivers] (listwise, or pairwise when ``missing`` says
    so: :func:`pairwise_correlation_matrix`); None when undefined (a constant column)."""
    if len(outcome) < 2:
        return None
    values = np.column_stack([outcome, drivers])
    with np.errstate(divide="ignore", invalid="ignore"):
        if missing == MISSING_PAIRWISE:
            corr = pairwise_correlation_matrix(values)
        else:
            corr = np.corrcoef(values, rowvar=False)
    return corr if np.isfinite(corr).all() else None


def weights_from_correlations(corr: np.ndarray | None, p: int) -> np.ndarray:
    """Relative weights from the correlations of [outcome, p drivers]; NaN when undefined.

    With the drivers' correlation matrix R = V diag(λ) Vᵀ, Λ = V diag(√λ) Vᵀ
    maps orthogonal counterparts back onto the drivers; β = Λ⁻¹ r_xy are the
    counterparts' regression weights on the outcome, and driver j's weight is
    Σ_k Λ_jk² β_k². The weights sum to R².
    """
    if corr is None:
        return np.full(p, np.nan)
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    eigval, eigvec = np.linalg.eigh(rxx)
    lam = eigvec @ np.diag(np.sqrt(np.clip(eigval, 0, None))) @ eigvec.T
    try:
        beta = np.linalg.solve(lam, rxy)
    except np.linalg.LinAlgError:
        return np.full(p, np.nan)  # perfectly collinear drivers: undefined
    return (lam**2) @ (beta**2)


def regression_weights_from_correlations(corr: np.ndarray | None, p: int) -> np.ndarray:
    """The drivers' standardised regression weights on the outcome, Rxx⁻¹ r_xy: drivers.csv
    ``beta``; NaN when undefined or when Rxx's condition number exceeds 10⁴ (docs/assumptions.md:
    then they swing with rounding and are published empty)."""
    if corr is None:
        return np.full(p, np.nan)
    rxx = corr[1:, 1:]
    spectrum = np.linalg.eigvalsh(rxx)
    if spectrum[0] * 1e4 <= spectrum[-1]:
        return np.full(p, np.nan)
    return np.linalg.solve(rxx, corr[1:, 0])


@dataclass(frozen=True)
class DriverRecomputation:
    """One sample's recomputed relative weights (and bootstrap intervals, if available)."""

    question_ids: tuple[str, ...]
    weights: np.ndarray
    importance: np.ndarray
    n_used: int
    ci_low: np.ndarray | None
    ci_high: np.ndarray | None
    beta: np.ndarray | None = None
    p_high: np.ndarray | None = None  # with the intervals: share of resamples in the high half
    p_negative: np.ndarray | None = None  # with the intervals: share with a negative weight
    p_random: np.ndarray | None = None  # with the intervals: share a random variable matches
    own_weight: float = 1.0  # below 1: shrunk towards the parent's matrix (driver_shrinkage)


@dataclass(frozen=True)
class DriverSampleOfYear:
    """The respondents a year's driver analysis rests on: outcome 0-100, raw driver answers.

    ``listwise``: those who answered every driver; ``pairwise``: those with an
    outcome who answered at least one (NaN where they did not).
    """

    missing: str
    question_ids: tuple[str, ...]
    outcome: np.ndarray
    drivers: np.ndarray
    respondent_ids: np.ndarray
    unit_ids: np.ndarray


def driver_sample(data: SurveyData, params: Params, year: int) -> DriverSampleOfYear:
    """Outcome: mean valid Motivation answer rescaled 0-100; drivers: every other asked question.

    A driver question without a single valid answer that year is left out.
    """
    asked = data.asked_in(year)
    motivation = set(
        data.questions.loc[data.questions["ami_dimension"] == "Motivation", "question_id"]
    )
    responses = data.responses_in(year)
    # a question asked but never validly answered (all don't-know) is no driver
    drivers = [q for q in asked if q not in motivation and responses[q].notna().any()]
    outcome_ids = [q for q in asked if q in motivation]
    span = params.survey.scale_max - params.survey.scale_min
    if outcome_ids:
        outcome = (responses[outcome_ids].mean(axis=1) - params.survey.scale_min) / span * 100
    else:
        outcome = pd.Series(np.nan, index=responses.index)
    answers = responses[drivers].to_numpy(dtype=float)
    answered = ~np.isnan(answers)
    missing = params.drivers.missing
    rows = answered.all(axis=1) if missing == MISSING_LISTWISE else answered.any(axis=1)
    complete = outcome.notna().to_numpy() & rows
    return DriverSampleOfYear(
        missing=missing,
        question_ids=tuple(drivers),
        outcome=outcome.to_numpy(dtype=float)[complete],
        drivers=answers[complete],
        respondent_ids=responses["respondent_id"].astype(str).to_numpy()[complete],
        unit_ids=responses["unit_id"].astype(str).to_numpy()[complete],
    )


def bootstrap_intervals(
    sample: DriverSampleOfYear,
    members: np.ndarray,
    params: Params,
    year: int,
    prior: tuple[np.ndarray, float, np.ndarray | None] | None = None,
    keep_matrices: bool = False,
) -> tuple[tuple[np.ndarray, ...] | None, np.ndarray | None]:
    """The pipeline's seeded bootstrap for one sample: (ci_low, ci_high, p_high, p_negative,
    p_random), or None if the package offers none; and, with ``keep_matrices``, every
    resample's final matrix (a shrunk child's resampled prior).

    Calls ``analysis.drivers.bootstrap.bootstrap_draws`` with the seed the pipeline
    derives from the parameters and the respondents (``sample_seed``); the
    percentile step and the shares are done here. ``prior`` (the parent's
    matrix, the unit's own weight and the parent's resampled matrices, None to
    hold the parent fixed) bootstraps a shrunk matrix.
    """
    try:
        from analysis.drivers.bootstrap import bootstrap_draws, sample_seed
    except ImportError:
        return None, None
    settings = params.drivers
    clusters = sample.unit_ids[members] if settings.resample == "units" else None
    if clusters is not None and len(np.unique(clusters)) < settings.resample_min_units:
        clusters = None  # too few units: the pipeline resamples respondents (docs/parameters.md)
    draws = bootstrap_draws(
        sample.outcome[members],
        sample.drivers[members],
        settings.bootstrap,
        sample_seed(settings.seed, year, sample.respondent_ids[members]),
        clusters,
        sample.missing,
        **({} if prior is None else {"prior": _package_prior(*prior)}),
        keep_matrices=keep_matrices,
    )
    shares = draws.shares
    if len(shares) == 0:
        return None, draws.matrices
    tail = (1 - settings.ci_level) / 2
    low, high = np.quantile(shares, [tail, 1 - tail], axis=0)
    # in the high half of a resample: at or above its median importance
    in_high = shares >= np.median(shares, axis=1, keepdims=True)
    intervals = (
        low,
        high,
        in_high.mean(axis=0),
        draws.negative.mean(axis=0),
        draws.below_random.mean(axis=0),
    )
    return intervals, draws.matrices


def null_noise(
    sample: DriverSampleOfYear,
    members: np.ndarray,
    parent_members: np.ndarray,
    parent_importance: np.ndarray,
    fill: np.ndarray,
    params: Params,
    year: int,
) -> float:
    """The package's seeded noise v of a unit: samples of its size drawn from its parent's
    respondents, their importances' mean squared distance from the parent's
    (``analysis.drivers.shrinkage.null_noise``, with the stage's seed and draws)."""
    from analysis.drivers.shrinkage import null_noise as package_null_noise
    from analysis.drivers.shrunk_year import NOISE_DRAWS, noise_seed

    values = np.column_stack([sample.outcome[parent_members], sample.drivers[parent_members]])
    return package_null_noise(
        values,
        len(members),
        _package_prior(fill, 1.0),
        parent_importance,
        NOISE_DRAWS,
        noise_seed(params.drivers.seed, year, sample.respondent_ids[members]),
    )


def _package_prior(matrix: np.ndarray, weight: float, resampled: np.ndarray | None = None):
    from analysis.drivers.shrinkage import Prior

    return Prior(matrix, weight, resampled)
