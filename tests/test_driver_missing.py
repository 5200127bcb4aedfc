"""drivers.missing: pairwise correlations from every respondent, listwise as the reference.

Hand-worked: the pairwise matrix against a loop written from its definition,
the repair of a matrix that is not positive definite. Planted truth: under
"vet ej" that is more common among the less motivated, the pairwise
importances lie closer to the population's than the listwise ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.core.contract import TOO_FEW
from analysis.core.params import ParamsError, params_from_dict
from analysis.drivers.bootstrap import analyse_sample
from analysis.drivers.correlations import (
    EIGEN_FLOOR,
    MIN_PAIR_N,
    pairwise_correlations,
    repair_positive_definite,
)
from analysis.drivers.planted_truth import informative_dont_know
from analysis.drivers.relweights import (
    DriverAnalysisError,
    johnson_weights,
    sample_correlations,
)


def correlated(n: int, p: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    drivers = rng.normal(size=(n, p)) @ rng.normal(size=(p, p))
    outcome = drivers @ rng.normal(size=p) + 3 * rng.normal(size=n)
    return outcome, drivers


def names(p: int) -> list[str]:
    return [f"d{i}" for i in range(p)]


def test_complete_answers_give_the_listwise_matrix_and_weights():
    outcome, drivers = correlated(300, 6, seed=1)
    rxx, rxy = sample_correlations(outcome, drivers, names(6))
    prxx, prxy, n_used = pairwise_correlations(outcome, drivers, names(6))
    assert n_used == 300
    np.testing.assert_allclose(prxx, rxx, atol=1e-14)
    np.testing.assert_allclose(prxy, rxy, atol=1e-14)
    common = {"label": "t", "n_resamples": 50, "ci_level": 0.95, "seed": 7}
    listwise = analyse_sample(outcome, drivers, names(6), **common)
    pairwise = analyse_sample(outcome, drivers, names(6), **common, missing="pairwise")
    np.testing.assert_allclose(pairwise.weights, listwise.weights, atol=1e-14)


def test_pairwise_matrix_follows_its_definition():
    """Variance over everyone who answered a question; covariance over those who answered
    both, about each question's own mean; correlation = their ratio."""
    rng = np.random.default_rng(2)
    drivers = rng.normal(size=(200, 5)) + rng.normal(size=(200, 1))  # one common factor
    outcome = drivers @ rng.normal(size=5) + rng.normal(size=200)
    drivers[rng.random(drivers.shape) < 0.25] = np.nan
    drivers[0] = np.nan  # answered no driver: not among n_used
    rxx, rxy, n_used = pairwise_correlations(outcome, drivers, names(5))
    values = np.column_stack([outcome, drivers])[1:]
    expected = np.eye(6)
    for i in range(6):
        for j in range(6):
            if i != j:
                both = ~np.isnan(values[:, i]) & ~np.isnan(values[:, j])
                mean_i, mean_j = np.nanmean(values[:, i]), np.nanmean(values[:, j])
                cov = np.mean((values[both, i] - mean_i) * (values[both, j] - mean_j))
                expected[i, j] = cov / np.sqrt(np.nanvar(values[:, i]) * np.nanvar(values[:, j]))
    assert n_used == 199
    eigval = np.linalg.eigvalsh(expected)
    assert eigval[0] > EIGEN_FLOOR * eigval[-1]  # positive definite: nothing repaired
    np.testing.assert_allclose(rxx, expected[1:, 1:], atol=1e-14)
    np.testing.assert_allclose(rxy, expected[1:, 0], atol=1e-14)


def test_repair_raises_negative_eigenvalues_and_keeps_a_unit_diagonal():
    broken = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    assert np.linalg.eigvalsh(broken)[0] < 0
    fixed = repair_positive_definite(broken)
    eigval = np.linalg.eigvalsh(fixed)
    assert eigval[0] > 0.5 * EIGEN_FLOOR * eigval[-1]
    np.testing.assert_allclose(np.diag(fixed), 1.0)
    np.testing.assert_allclose(fixed, fixed.T)
    # by hand: the eigenvector (1, -1, 1)/sqrt(3) has eigenvalue 1 - 1.8 < 0; raised to
    # ~0 the off-diagonals become +-0.5 after rescaling
    np.testing.assert_allclose(np.abs(fixed[0, 1:]), 0.5, atol=1e-5)
    healthy = np.array([[1.0, 0.3], [0.3, 1.0]])
    assert repair_positive_definite(healthy) is healthy


def test_a_pair_answered_together_by_too_few_is_named():
    outcome, drivers = correlated(100, 3, seed=4)
    drivers[: 100 - (MIN_PAIR_N - 1), 2] = np.nan  # d2 answered by MIN_PAIR_N - 1 only
    with pytest.raises(DriverAnalysisError) as caught:
        pairwise_correlations(outcome, drivers, names(3))
    assert caught.value.code == TOO_FEW
    assert "d2" in caught.value.questions


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_pairwise_recovers_planted_importances_better_than_listwise(seed):
    planted = informative_dont_know(seed)
    outcome, drivers, truth = planted.outcome, planted.drivers, planted.importance
    complete = ~np.isnan(drivers).any(axis=1)
    assert 0.3 < complete.mean() < 0.6  # listwise loses about half, as on the default
    rxx, rxy = sample_correlations(outcome[complete], drivers[complete], names(12))
    listwise = johnson_weights(rxx, rxy)
    prxx, prxy, n_used = pairwise_correlations(outcome, drivers, names(12))
    pairwise = johnson_weights(prxx, prxy)
    assert n_used == (~np.isnan(drivers).all(axis=1)).sum()  # answered at least one driver
    error_listwise = np.abs(listwise / listwise.sum() - truth).mean()
    error_pairwise = np.abs(pairwise / pairwise.sum() - truth).mean()
    assert error_pairwise < 0.8 * error_listwise, (error_pairwise, error_listwise)


def test_drivers_missing_is_a_checked_parameter():
    assert params_from_dict({"drivers": {"missing": "listwise"}}).drivers.missing == "listwise"
    assert params_from_dict({}).drivers.missing == "pairwise"
    with pytest.raises(ParamsError, match=r"drivers\.missing"):
        params_from_dict({"drivers": {"missing": "mean"}})
