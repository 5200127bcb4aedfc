"""The planted organisation behind the driver-recovery benchmark: its truth is exact and
its schools really differ (the issue on each unit's own priority matrix, item 4)."""

from __future__ import annotations

import numpy as np

from analysis.core.params import params_from_dict
from analysis.drivers.planted_truth import published_importances, unit_specific_drivers
from analysis.drivers.relweights import relative_weights


def test_a_schools_planted_importances_are_what_a_huge_sample_estimates():
    # one very large school without "vet ej": its sample weights converge on the planted ones
    (school,) = unit_specific_drivers(
        3, p=6, areas=1, schools=1, smallest=60_000, largest=60_000, dont_know=1e-9
    )
    assert np.isfinite(school.drivers).all()
    estimate = relative_weights(school.drivers, school.outcome).weights
    assert np.allclose(estimate / estimate.sum(), school.importance, atol=0.01)
    assert np.isclose(school.importance.sum(), 1.0)


def test_each_schools_two_local_drivers_lead_its_true_ranking():
    units = unit_specific_drivers(0)
    for unit in units:
        top_two = set(np.argsort(-unit.importance)[:2].tolist())
        assert top_two == set(unit.local), unit.unit_id


def test_the_schools_differ_so_borrowing_the_omrades_ranking_is_not_right_by_construction():
    units = unit_specific_drivers(0)
    tops = {tuple(sorted(np.argsort(-u.importance)[:3].tolist())) for u in units}
    assert len(tops) > len(units) // 2  # most schools have a top three of their own
    sizes = np.array([len(u.outcome) for u in units])
    assert sizes.min() >= 10 and sizes.max() <= 200
    assert {u.parent_id for u in units} == {"A0", "A1", "A2", "A3"}
    # informative "vet ej": missing answers are commoner among the least motivated
    outcome = np.concatenate([u.outcome for u in units])
    missing = np.concatenate([np.isnan(u.drivers).mean(axis=1) for u in units])
    low = outcome < np.quantile(outcome, 0.25)
    assert missing[low].mean() > 2 * missing[~low].mean()


def top3(values: np.ndarray) -> set[int]:
    return set(np.argsort(-values, kind="stable")[:3].tolist())


def test_the_published_shrunk_importances_find_each_schools_own_drivers():
    # the drivers stage's shrinkage on two planted organisations: each school's true top
    # three are found far more often than by borrowing the område's, and more often than
    # by the school's own correlations (the vendors' method) or its own listwise weights
    settings = params_from_dict({"drivers": {"bootstrap": 10}}).drivers
    found: dict[str, list[float]] = {"published": [], "område": [], "Pearson": []}
    for seed in (0, 1):
        units = unit_specific_drivers(seed)
        published = published_importances(units, settings)
        for unit, shown in zip(units, published, strict=True):
            truth = top3(unit.importance)
            mine = [u for u in units if u.parent_id == unit.parent_id]
            pooled = relative_weights(
                np.vstack([u.drivers for u in mine]), np.concatenate([u.outcome for u in mine])
            ).weights
            have = np.isfinite(unit.drivers)
            pearson = [
                np.corrcoef(unit.drivers[have[:, j], j], unit.outcome[have[:, j]])[0, 1]
                for j in range(unit.drivers.shape[1])
            ]
            found["published"].append(len(top3(shown) & truth) / 3)
            found["område"].append(len(top3(np.asarray(pooled)) & truth) / 3)
            found["Pearson"].append(len(top3(np.asarray(pearson)) & truth) / 3)
    mean = {k: float(np.mean(v)) for k, v in found.items()}
    assert mean["published"] >= mean["område"] + 0.15, mean
    assert mean["published"] >= mean["Pearson"] + 0.03, mean
