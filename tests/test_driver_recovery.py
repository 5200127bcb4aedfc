"""The planted organisation behind the driver-recovery benchmark: its truth is exact and
its schools really differ (the issue on each unit's own priority matrix, item 4)."""

from __future__ import annotations

import numpy as np

from analysis.drivers.planted_truth import unit_specific_drivers
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
