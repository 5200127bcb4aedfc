"""Everything recomputed from the input, once per year and target on demand.

The one object both checks ask, so a year's figures, tree and driver
analyses are computed once however many published rows need them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.audit.driver_analysis import (
    DriverRecomputation,
    DriverSampleOfYear,
    bootstrap_intervals,
    driver_correlations,
    driver_sample,
    regression_weights_from_correlations,
    weights_from_correlations,
)
from analysis.audit.figures import recompute_figures
from analysis.audit.tree import Organisation, comparable_measures, organisation
from analysis.core.contract import MANAGER_PREFIX, MISSING_PAIRWISE
from analysis.core.dataset import SurveyData
from analysis.core.params import Params


class Recomputation:
    """Everything recomputed from the input, computed once per year on demand."""

    def __init__(self, data: SurveyData, params: Params, with_intervals: bool = True) -> None:
        self.data = data
        self.params = params
        self.with_intervals = with_intervals
        self._figures: dict[int, pd.DataFrame] = {}
        self._samples: dict[int, DriverSampleOfYear] = {}
        self._analyses: dict[tuple[int, str], DriverRecomputation] = {}
        self._orgs: dict[int, Organisation] = {}

    def figures(self, year: int) -> pd.DataFrame:
        if year not in self._figures:
            self._figures[year] = recompute_figures(self.data, self.params, year)
        return self._figures[year]

    def organisation(self, year: int) -> Organisation:
        if year not in self._orgs:
            self._orgs[year] = organisation(self.data.units_in(year), year)
        return self._orgs[year]

    def comparable(self, year: int, previous: int) -> set[str]:
        d = self.data
        return comparable_measures(d.questions, d.asked_in(year), d.asked_in(previous))

    def drivers_of(self, year: int) -> tuple[str, ...]:
        return self._sample(year).question_ids

    def _sample(self, year: int) -> DriverSampleOfYear:
        if year not in self._samples:
            self._samples[year] = driver_sample(self.data, self.params, year)
        return self._samples[year]

    def members(self, year: int, target: str) -> np.ndarray:
        """Positions in the year's complete sample of a unit's subtree or a manager's staff."""
        sample, org = self._sample(year), self.organisation(year)
        if target.startswith(MANAGER_PREFIX):
            manager = target[len(MANAGER_PREFIX) :]
            inside = [org.nearest_manager.get(u) == manager for u in sample.unit_ids]
        else:
            inside = [target in org.chains.get(u, ()) for u in sample.unit_ids]
        return np.flatnonzero(np.array(inside, dtype=bool))

    def analysable(self, year: int, target: str) -> bool:
        """Whether relative weights are defined for the target's complete respondents.

        Not when there is no outcome or no driver, when there are no more
        respondents than drivers + 1, or when a column is constant, drivers
        are exactly collinear or nothing is explained (the weights are NaN).
        """
        sample = self._sample(year)
        members = self.members(year, target)
        p = len(sample.question_ids)
        if p == 0 or len(members) <= p + 1:
            return False
        weights = self.drivers_analysis(year, target).weights
        if not np.isfinite(weights).all() or weights.sum() <= 1e-12:
            return False
        if sample.missing == MISSING_PAIRWISE:
            # every pair of questions answered together by at least 10 (docs/assumptions.md)
            have = (~np.isnan(sample.drivers[members])).astype(float)
            return bool((have.T @ have).min() >= 10)
        rxx = np.corrcoef(sample.drivers[members], rowvar=False).reshape(p, p)
        spectrum = np.linalg.eigvalsh(rxx)
        return bool(spectrum[0] > 1e-10 * spectrum[-1])

    def drivers_analysis(self, year: int, target: str) -> DriverRecomputation:
        key = (year, target)
        if key not in self._analyses:
            sample = self._sample(year)
            members = self.members(year, target)
            corr = driver_correlations(
                sample.outcome[members], sample.drivers[members], sample.missing
            )
            p = len(sample.question_ids)
            weights = weights_from_correlations(corr, p)
            analysable = bool(np.isfinite(weights).all())
            intervals = (
                bootstrap_intervals(sample, members, self.params, year)
                if self.with_intervals and analysable
                else None
            )
            self._analyses[key] = DriverRecomputation(
                question_ids=sample.question_ids,
                weights=weights,
                importance=weights / weights.sum(),
                n_used=len(members),
                ci_low=None if intervals is None else intervals[0],
                ci_high=None if intervals is None else intervals[1],
                beta=regression_weights_from_correlations(corr, p),
                p_high=None if intervals is None else intervals[2],
                p_negative=None if intervals is None else intervals[3],
                p_random=None if intervals is None else intervals[4],
            )
        return self._analyses[key]
