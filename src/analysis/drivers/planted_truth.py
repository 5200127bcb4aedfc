"""Populations with planted relative weights, for measuring how right a driver method is.

The synthetic förvaltning's answers come from a latent model whose
importances are not known in closed form; here they are. A population has
correlated drivers (one common factor), an outcome that depends on them with
known coefficients, and "vet ej" that is likelier the lower the outcome: the
situation in which listwise deletion keeps an unrepresentative half. Its
relative weights follow from the population correlation matrix exactly.
Used by ``tests/test_driver_missing.py`` and ``bench/bench_drivers.py`` (never by the
pipeline).

:func:`unit_specific_drivers` plants a whole organisation whose schools
differ: each has two locally strong drivers of its own on top of its
område's effects, so a school's true importances are not its område's
(``tests/test_driver_recovery.py``, ``bench/bench_driver_recovery.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.core.contract import MISSING_PAIRWISE
from analysis.core.params import DriverParams
from analysis.drivers.bootstrap import analyse_sample
from analysis.drivers.relweights import johnson_weights
from analysis.drivers.sample import DriverSample
from analysis.drivers.shrunk_year import shrink_targets
from analysis.drivers.targets import Target

__all__ = [
    "PlantedPopulation",
    "PlantedUnit",
    "informative_dont_know",
    "published_importances",
    "unit_specific_drivers",
]


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
    cxx = _one_factor(rng, p)
    beta = rng.uniform(0.0, 0.3, size=p)
    outcome, drivers = _answers(rng, cxx, beta, n, base_rate, slope)
    return PlantedPopulation(outcome, drivers, _importance(cxx, beta))


@dataclass(frozen=True)
class PlantedUnit:
    """One school of a planted organisation: its answers and its population's importances."""

    unit_id: str
    parent_id: str  # its område
    outcome: np.ndarray
    drivers: np.ndarray  # NaN = "vet ej"
    importance: np.ndarray  # relative weights of the school's population, summing to 1
    local: tuple[int, int]  # the school's two locally strong drivers


def unit_specific_drivers(
    seed: int,
    p: int = 12,
    areas: int = 4,
    schools: int = 12,
    smallest: int = 10,
    largest: int = 200,
    local_effect: float = 0.5,
    base_high: float = 0.15,
    area_spread: float = 0.05,
    dont_know: float = 0.04,
    slope: float = 1.0,
) -> list[PlantedUnit]:
    """``areas`` x ``schools`` schools whose drivers matter differently from school to school.

    The drivers are correlated through one common factor (loadings 0.4-0.8),
    as a survey's questions are. A school's outcome depends on them with
    coefficients: the organisation's (uniform on 0 .. ``base_high``), plus
    its område's deviation (normal, sd ``area_spread``), plus
    ``local_effect`` on two drivers drawn for the school -- its local
    strengths or problems. Sizes are log-uniform between ``smallest`` and
    ``largest``; "vet ej" is likelier the lower the outcome, as in
    :func:`informative_dont_know`. Each school's importances are its
    population's relative weights, exact.
    """
    rng = np.random.default_rng(seed)
    cxx = _one_factor(rng, p)
    base = rng.uniform(0.0, base_high, size=p)
    units = []
    for area in range(areas):
        area_beta = base + rng.normal(0.0, area_spread, size=p)
        for school in range(schools):
            beta = area_beta.copy()
            local = rng.choice(p, size=2, replace=False)
            beta[local] += local_effect
            beta = np.maximum(beta, 0.0)
            n = int(np.exp(rng.uniform(np.log(smallest), np.log(largest + 1))))
            outcome, drivers = _answers(rng, cxx, beta, n, dont_know, slope)
            units.append(
                PlantedUnit(
                    f"S{area}-{school:02d}",
                    f"A{area}",
                    outcome,
                    drivers,
                    _importance(cxx, beta),
                    (int(local[0]), int(local[1])),
                )
            )
    return units


def published_importances(units: list[PlantedUnit], settings: DriverParams) -> list[np.ndarray]:
    """Each school's importances as the drivers stage publishes them with ``settings``.

    The planted organisation becomes one year's driver sample (a root above
    the områden, each school's lenders its område and the root) and goes
    through the stage's own shrinkage (:func:`shrink_targets`); a school
    without a matrix of its own shows its område's, or the root's.
    """
    outcome = np.concatenate([u.outcome for u in units])
    drivers = np.vstack([u.drivers for u in units])
    unit_ids = np.concatenate([[u.unit_id] * len(u.outcome) for u in units])
    respondents = np.array([f"r{i:06d}" for i in range(len(outcome))])
    p = drivers.shape[1]
    sample = DriverSample(
        year=2023,
        question_ids=tuple(f"q{j:02d}" for j in range(p)),
        motivation_ids=("m",),
        outcome=outcome,
        drivers=drivers,
        respondent_ids=respondents,
        unit_ids=unit_ids,
        n_respondents=len(outcome),
        method=MISSING_PAIRWISE,
    )
    everyone = np.arange(len(outcome))
    targets = [Target("ROOT", everyone, (), is_root=True)]
    for area in sorted({u.parent_id for u in units}):
        mine = np.flatnonzero(np.isin(unit_ids, [u.unit_id for u in units if u.parent_id == area]))
        targets.append(Target(area, mine, ("ROOT",)))
    targets += [
        Target(u.unit_id, np.flatnonzero(unit_ids == u.unit_id), (u.parent_id, "ROOT"))
        for u in units
    ]
    root = analyse_sample(
        outcome,
        drivers,
        sample.question_ids,
        label="ROOT",
        n_resamples=settings.bootstrap,
        ci_level=settings.ci_level,
        seed=settings.seed,
        missing=MISSING_PAIRWISE,
    )
    shrunk = shrink_targets(sample, targets, root, "ROOT", settings)
    out = []
    for u in units:
        source = next((t for t in (u.unit_id, u.parent_id) if t in shrunk.analyses), None)
        out.append(shrunk.analyses[source].importance if source else root.importance)
    return out


#: the outcome's variance beyond what the drivers explain
NOISE = 0.5


def _one_factor(rng: np.random.Generator, p: int) -> np.ndarray:
    """Correlations of p drivers sharing one common factor (loadings 0.4-0.8)."""
    loading = rng.uniform(0.4, 0.8, size=p)
    cxx = np.outer(loading, loading)
    np.fill_diagonal(cxx, 1.0)
    return cxx


def _answers(
    rng: np.random.Generator,
    cxx: np.ndarray,
    beta: np.ndarray,
    n: int,
    dont_know: float,
    slope: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(outcome, drivers) of n respondents; an answer is "vet ej" (NaN) with probability
    1 / (1 + exp(-(logit(dont_know) - slope * z))), z the standardised outcome."""
    drivers = rng.multivariate_normal(np.zeros(len(beta)), cxx, size=n)
    outcome = drivers @ beta + rng.normal(scale=np.sqrt(NOISE), size=n)
    z = (outcome - outcome.mean()) / max(float(outcome.std()), 1e-9)
    p_missing = 1 / (1 + np.exp(-(np.log(dont_know / (1 - dont_know)) - slope * z)))
    drivers[rng.random(drivers.shape) < p_missing[:, None]] = np.nan
    return outcome, drivers


def _importance(cxx: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """The population's relative weights, summing to 1."""
    rxy = cxx @ beta / np.sqrt(beta @ cxx @ beta + NOISE)
    truth = johnson_weights(cxx, rxy)
    return truth / truth.sum()
