"""Recomputing the driver analysis: the sample and Johnson's relative weights.

An independent implementation of the weights (§4); only the bootstrap
intervals call the package's own seeded bootstrap, because a bootstrap can
only be reproduced by the same random draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.dataset import SurveyData
from analysis.core.params import Params


def johnson_relative_weights(outcome: np.ndarray, drivers: np.ndarray) -> np.ndarray:
    """Johnson (2000) relative weights of ``outcome`` on the columns of ``drivers``.

    With the drivers' correlation matrix R = V diag(λ) Vᵀ, Λ = V diag(√λ) Vᵀ
    maps orthogonal counterparts back onto the drivers; β = Λ⁻¹ r_xy are the
    counterparts' regression weights on the outcome, and driver j's weight is
    Σ_k Λ_jk² β_k². The weights sum to R².
    """
    undefined = np.full(drivers.shape[1], np.nan)
    if len(outcome) < 2:
        return undefined
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.corrcoef(np.column_stack([outcome, drivers]), rowvar=False)
    if not np.isfinite(corr).all():
        return undefined  # a constant column: no correlations, no weights
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    eigval, eigvec = np.linalg.eigh(rxx)
    lam = eigvec @ np.diag(np.sqrt(np.clip(eigval, 0, None))) @ eigvec.T
    try:
        beta = np.linalg.solve(lam, rxy)
    except np.linalg.LinAlgError:
        return undefined  # perfectly collinear drivers: weights undefined
    return (lam**2) @ (beta**2)


@dataclass(frozen=True)
class DriverRecomputation:
    """One sample's recomputed relative weights (and bootstrap intervals, if available)."""

    question_ids: tuple[str, ...]
    weights: np.ndarray
    importance: np.ndarray
    n_used: int
    ci_low: np.ndarray | None
    ci_high: np.ndarray | None


@dataclass(frozen=True)
class DriverSampleOfYear:
    """Listwise-complete respondents of a year: outcome 0-100 and raw driver answers."""

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
    complete = outcome.notna().to_numpy() & ~np.isnan(answers).any(axis=1)
    return DriverSampleOfYear(
        question_ids=tuple(drivers),
        outcome=outcome.to_numpy(dtype=float)[complete],
        drivers=answers[complete],
        respondent_ids=responses["respondent_id"].astype(str).to_numpy()[complete],
        unit_ids=responses["unit_id"].astype(str).to_numpy()[complete],
    )


def bootstrap_intervals(
    sample: DriverSampleOfYear, members: np.ndarray, params: Params, year: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The pipeline's seeded bootstrap for one sample, or None if the package offers none.

    Calls ``analysis.drivers.bootstrap.bootstrap_importance`` with the seed the pipeline
    derives from the parameters and the respondents (``sample_seed``); the
    percentile step is done here.
    """
    try:
        from analysis.drivers.bootstrap import bootstrap_importance, sample_seed
    except ImportError:
        return None
    settings = params.drivers
    clusters = sample.unit_ids[members] if settings.resample == "units" else None
    if clusters is not None and len(np.unique(clusters)) < settings.resample_min_units:
        clusters = None  # too few units: the pipeline resamples respondents (docs/parameters.md)
    shares, _ = bootstrap_importance(
        sample.outcome[members],
        sample.drivers[members],
        settings.bootstrap,
        sample_seed(settings.seed, year, sample.respondent_ids[members]),
        clusters,
    )
    if len(shares) == 0:
        return None
    tail = (1 - settings.ci_level) / 2
    low, high = np.quantile(shares, [tail, 1 - tail], axis=0)
    return low, high
