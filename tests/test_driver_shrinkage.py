"""Empirical-Bayes shrinkage of a unit's priority matrix towards its parent's: the
arithmetic by hand, and on planted organisations the properties it is chosen for."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.core.contract import MISSING_PAIRWISE
from analysis.drivers.bootstrap import bootstrap_draws
from analysis.drivers.correlations import (
    pair_features,
    pairwise_from_sums,
    repair_positive_definite,
)
from analysis.drivers.planted_truth import unit_specific_drivers
from analysis.drivers.relweights import johnson_weights
from analysis.drivers.shrinkage import (
    Prior,
    between_variance,
    importance_shares,
    mix_with_prior,
    null_noise,
    own_weight,
)


def _matrix(outcome: np.ndarray, drivers: np.ndarray) -> np.ndarray:
    values = np.column_stack([outcome, drivers])
    corr, _, _ = pairwise_from_sums(pair_features(values).sum(axis=0), values.shape[1])
    corr = np.nan_to_num(corr)
    np.fill_diagonal(corr, 1.0)
    return repair_positive_definite(corr)


def shrink_to_parents(own: np.ndarray, parent: np.ndarray, noise: np.ndarray):
    """One depth of the stage's rule (analysis.drivers.shrunk_year): tau2 over the units,
    each unit's weight, its mixed matrix and importances."""
    tau2 = between_variance(importance_shares(own), importance_shares(parent), noise)
    weight = own_weight(tau2, noise)
    mixed = np.array(
        [mix_with_prior(o, Prior(p, w)) for o, p, w in zip(own, parent, weight, strict=True)]
    )
    return tau2, weight, mixed, importance_shares(mixed)


def _two_driver_matrix(r1: float, r2: float, r12: float) -> np.ndarray:
    return np.array([[1.0, r1, r2], [r1, 1.0, r12], [r2, r12, 1.0]])


def test_own_weight_by_hand():
    assert own_weight(0.02, np.array([0.02, 0.06, 0.0])) == pytest.approx([0.5, 0.25, 1.0])
    assert own_weight(0.0, np.array([0.02, 0.0])).tolist() == [0.0, 0.0]


def test_between_variance_by_hand():
    own = np.array([[0.5, 0.5], [1.0, 0.0]])
    parent = np.array([[0.5, 0.5], [0.5, 0.5]])
    # squared distances 0 and 0.5, less the noise 0.1 each: (-0.1 + 0.4) / 2
    assert between_variance(own, parent, np.array([0.1, 0.1])) == pytest.approx(0.15)
    # more noise than distance: units do not differ beyond chance
    assert between_variance(own, parent, np.array([1.0, 1.0])) == 0.0


def test_importance_shares_are_johnsons_weights_over_r2():
    corr = _two_driver_matrix(0.5, 0.3, 0.2)
    weights = johnson_weights(corr[1:, 1:], corr[1:, 0])
    assert importance_shares(corr) == pytest.approx(weights / weights.sum())
    assert importance_shares(corr).sum() == pytest.approx(1.0)


def test_a_noiseless_unit_keeps_its_own_matrix_and_identical_units_take_their_parents():
    own = np.array([_two_driver_matrix(0.6, 0.1, 0.2), _two_driver_matrix(0.1, 0.6, 0.2)])
    parent = np.array([_two_driver_matrix(0.4, 0.4, 0.2)] * 2)
    _, weight, _, importance = shrink_to_parents(own, parent, np.array([0.0, 0.0]))
    assert weight.tolist() == [1.0, 1.0]
    assert importance == pytest.approx(importance_shares(own))
    tau2, weight, _, importance = shrink_to_parents(parent, parent, np.array([0.01, 0.01]))
    assert tau2 == 0.0 and weight.tolist() == [0.0, 0.0]
    assert importance == pytest.approx(importance_shares(parent))


def test_a_halfway_weight_mixes_the_matrices_halfway():
    own = np.array([_two_driver_matrix(0.6, 0.1, 0.2), _two_driver_matrix(0.4, 0.4, 0.2)])
    parent = np.array([_two_driver_matrix(0.4, 0.4, 0.2)] * 2)
    # squared distance d for the first unit, 0 for the second; noise d/2 and 0
    d = float(((importance_shares(own[0]) - importance_shares(parent[0])) ** 2).sum())
    noise = np.array([d / 2, 0.0])
    tau2, weight, mixed, _ = shrink_to_parents(own, parent, noise)
    assert tau2 == pytest.approx(d / 4)  # ((d - d/2) + (0 - 0)) / 2
    assert weight == pytest.approx([1 / 3, 1.0])
    halfway = own[0] / 3 + parent[0] * 2 / 3
    assert mixed[0] == pytest.approx(halfway)


@pytest.fixture(scope="module")
def planted():
    """Two planted organisations: each school's own, its område's and its shrunk importances."""
    rows = []
    for seed in (0, 1):
        units = unit_specific_drivers(seed, p=8)
        area = {}
        for parent in {u.parent_id for u in units}:
            mine = [u for u in units if u.parent_id == parent]
            area[parent] = _matrix(
                np.concatenate([u.outcome for u in mine]), np.vstack([u.drivers for u in mine])
            )
        own = np.array([_matrix(u.outcome, u.drivers) for u in units])
        # v as the stage draws it: samples of the school's size from its område's answers
        values = {
            parent: np.vstack(
                [np.column_stack([u.outcome, u.drivers]) for u in units if u.parent_id == parent]
            )
            for parent in area
        }
        noise = np.array(
            [
                null_noise(
                    values[u.parent_id],
                    len(u.outcome),
                    Prior(area[u.parent_id], 1.0),
                    importance_shares(area[u.parent_id]),
                    100,
                    np.random.SeedSequence([seed, i]),
                )
                for i, u in enumerate(units)
            ]
        )
        parents = np.array([area[u.parent_id] for u in units])
        _, weight, _, importance = shrink_to_parents(own, parents, noise)
        for i, unit in enumerate(units):
            rows.append(
                (
                    len(unit.outcome),
                    weight[i],
                    unit.importance,
                    importance_shares(own[i]),
                    importance_shares(parents[i]),
                    importance[i],
                )
            )
    return rows


def test_the_own_data_weigh_more_the_larger_the_school(planted):
    size = np.array([r[0] for r in planted])
    weight = np.array([r[1] for r in planted])
    assert weight.min() > 0.0 and weight.max() < 1.0
    assert weight[size >= 100].mean() > weight[size < 25].mean() + 0.1
    assert np.corrcoef(np.argsort(np.argsort(size)), np.argsort(np.argsort(weight)))[0, 1] > 0.6


def test_shrunk_importances_are_closer_to_each_schools_truth_than_its_own_or_its_omrades(planted):
    def error(column: int) -> float:
        return float(np.mean([((r[column] - r[2]) ** 2).sum() for r in planted]))

    own, borrowed, shrunk = error(3), error(4), error(5)
    # measured: own 0.038, område 0.079, shrunk 0.035 (the mean squared error EB targets)
    assert shrunk < own and shrunk < 0.5 * borrowed, (own, borrowed, shrunk)


def _nested_samples() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A parent of 400 complete respondents on 4 drivers, and a child of 60 of them."""
    units = unit_specific_drivers(3, p=4)
    outcome = np.concatenate([u.outcome for u in units])[:400]
    drivers = np.vstack([u.drivers for u in units])[:400]
    return (outcome, drivers), (outcome[:60], drivers[:60])


def _parent_draws(parent: tuple[np.ndarray, np.ndarray], resamples: int):
    return bootstrap_draws(
        *parent, resamples, np.random.SeedSequence(1), missing=MISSING_PAIRWISE, keep_matrices=True
    )


def test_a_unit_with_no_weight_of_its_own_resamples_exactly_as_its_parent() -> None:
    parent, child = _nested_samples()
    drawn = _parent_draws(parent, 200)
    assert drawn.matrices.shape == (200, 5, 5)
    point = _matrix(*parent)
    seed = np.random.SeedSequence(2)
    nested = bootstrap_draws(
        *child, 200, seed, missing=MISSING_PAIRWISE, prior=Prior(point, 0.0, drawn.matrices)
    )
    np.testing.assert_allclose(nested.shares, drawn.shares, atol=1e-12)
    # held fixed, the parent's matrix would give every resample the same importances
    fixed = bootstrap_draws(*child, 200, seed, missing=MISSING_PAIRWISE, prior=Prior(point, 0.0))
    assert np.ptp(fixed.shares, axis=0).max() < 1e-12 < np.ptp(nested.shares, axis=0).min()


def test_each_resample_is_mixed_with_the_parent_s_resample_of_the_same_number() -> None:
    parent, child = _nested_samples()
    stack = _parent_draws(parent, 50).matrices
    point = _matrix(*parent)

    def kept(weight: float) -> np.ndarray:
        prior = Prior(point, weight, stack)
        seed = np.random.SeedSequence(2)  # the child's own resamples, the same in both runs
        return bootstrap_draws(
            *child, 50, seed, missing=MISSING_PAIRWISE, prior=prior, keep_matrices=True
        ).matrices

    own = kept(1.0)  # complete answers: the child's own resampled correlations, nothing to fill
    assert np.linalg.eigvalsh(0.3 * own + 0.7 * stack).min() > 1e-3  # no repair needed
    np.testing.assert_allclose(kept(0.3), 0.3 * own + 0.7 * stack, atol=1e-14)


def test_the_parent_s_resampled_matrices_must_match_the_resamples() -> None:
    parent, child = _nested_samples()
    stack = _parent_draws(parent, 20).matrices
    with pytest.raises(ValueError, match="20 resampled matrices do not match 30"):
        bootstrap_draws(
            *child, 30, 1, missing=MISSING_PAIRWISE, prior=Prior(_matrix(*parent), 0.5, stack)
        )
