"""Populations with planted relative weights, for measuring how right a driver method is.

The synthetic förvaltning's answers come from a latent model whose
importances are not known in closed form; here they are. A population has
correlated drivers (one common factor), an outcome that depends on them with
known coefficients, and "vet ej" that is likelier the lower the outcome: the
situation in which listwise deletion keeps an unrepresentative half. Its
relative weights follow from the population correlation matrix exactly.
Used by ``tests/test_driver_missing.py`` and ``bench/bench_drivers.py`` (never by the
pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.drivers.relweights import johnson_weights

__all__ = ["PlantedPopulation", "informative_dont_know"]


@dataclass(frozen=True)
class PlantedPopulation:
    """One simulated sample and the importances of the population it was drawn from."""

    outcome: np.ndarray
    drivers: np.ndarray  # NaN = "vet ej"
    importance: np.ndarray  # the population's relative weights, summing to 1


def informative_dont_know(
    seed: int,
    n: int = 4000,
    p: int = 12,
    base_rate: float = 0.06,
    slope: float = 1.5,
) -> PlantedPopulation:
    """A sample whose "vet ej" rate is logistic in the standardised outcome.

    Each answer is missing with probability 1 / (1 + exp(-(logit(base_rate)
    - slope * z))), z the respondent's standardised outcome: at the mean
    ``base_rate``, several times that among the least motivated. With the
    defaults about half the respondents answer every driver.
    """
    rng = np.random.default_rng(seed)
    loading = rng.uniform(0.4, 0.8, size=p)
    cxx = np.outer(loading, loading)
    np.fill_diagonal(cxx, 1.0)
    beta = rng.uniform(0.0, 0.3, size=p)
    noise = 0.5
    rxy = cxx @ beta / np.sqrt(beta @ cxx @ beta + noise)
    truth = johnson_weights(cxx, rxy)
    drivers = rng.multivariate_normal(np.zeros(p), cxx, size=n)
    outcome = drivers @ beta + rng.normal(scale=np.sqrt(noise), size=n)
    z = (outcome - outcome.mean()) / outcome.std()
    p_missing = 1 / (1 + np.exp(-(np.log(base_rate / (1 - base_rate)) - slope * z)))
    drivers[rng.random((n, p)) < p_missing[:, None]] = np.nan
    return PlantedPopulation(outcome, drivers, truth / truth.sum())
