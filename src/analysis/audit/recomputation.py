"""Everything recomputed from the input, once per year and target on demand.

The one object both checks ask, so a year's figures, tree and driver
analyses are computed once however many published rows need them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.audit.driver_analysis import (
    DriverRecomputation,
    DriverSampleOfYear,
    bootstrap_intervals,
    driver_correlations,
    driver_sample,
    null_noise,
    regression_weights_from_correlations,
    weights_from_correlations,
)
from analysis.audit.driver_shrinkage import ShrinkTarget, shrink
from analysis.audit.figures import recompute_figures
from analysis.audit.tree import (
    Organisation,
    comparable_measures,
    composite_questions,
    organisation,
)
from analysis.core.catalogue import question_measure
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
        self._shrunk: dict[int, tuple[dict[int, float], dict[str, DriverRecomputation]]] = {}
        self._root_resampled: dict[int, np.ndarray | None] = {}
        self._shrinks: dict[int, bool] = {}
        self._roots: dict[int, str] = {}
        self._spreads: dict[int, dict[str, float]] = {}

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

    def respondent_spreads(self, year: int) -> dict[str, float]:
        """Each measure's pooled within-unit SD of respondent scores (index points), the
        changes' intervals rest on (plain pandas, none of the pipeline's interval code)."""
        if year not in self._spreads:
            self._spreads[year] = _respondent_spreads(self.data, self.params, year)
        return self._spreads[year]

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
            weights = weights_from_correlations(corr, len(sample.question_ids))
            intervals, resampled = None, None
            if self.with_intervals and bool(np.isfinite(weights).all()):
                # the förvaltning's resampled matrices: its shrunk children's resampled priors
                keep = target == self.root(year) and self._shrinkage_asked()
                intervals, resampled = bootstrap_intervals(
                    sample, members, self.params, year, keep_matrices=keep
                )
            if target == self.root(year):
                self._root_resampled[year] = resampled
            self._analyses[key] = _recomputed(sample, members, corr, weights, intervals)
        return self._analyses[key]

    def shrinks(self, year: int) -> bool:
        """Whether units' matrices are shrunk towards their parents' (and the root analysable);
        asked for every unit's rows, so worked out once per year."""
        if year not in self._shrinks:
            self._shrinks[year] = self._shrinkage_asked() and self.analysable(year, self.root(year))
        return self._shrinks[year]

    def _shrinkage_asked(self) -> bool:
        settings = self.params.drivers
        return settings.shrinkage == "empirical_bayes" and settings.missing == MISSING_PAIRWISE

    def root(self, year: int) -> str:
        if year not in self._roots:
            chains = self.organisation(year).chains
            self._roots[year] = next(u for u, chain in chains.items() if len(chain) == 1)
        return self._roots[year]

    def final_analysis(self, year: int, target: str) -> DriverRecomputation | None:
        """The analysis a target publishes as its own: shrunk below the root when the year
        shrinks (None: too few respondents or nothing to explain), else its own."""
        if target == self.root(year) or not self.shrinks(year):
            return self.drivers_analysis(year, target)
        return self.shrunk(year)[1].get(target)

    def shrunk(self, year: int) -> tuple[dict[int, float], dict[str, DriverRecomputation]]:
        """(tau2 per depth, every shrunk target's analysis) of the year, computed once."""
        if year not in self._shrunk:
            sample = self._sample(year)
            root_corr = driver_correlations(sample.outcome, sample.drivers, sample.missing)
            self.drivers_analysis(year, self.root(year))  # and the root's resampled matrices
            self._shrunk[year] = shrink(
                sample,
                root_corr,
                self._shrink_targets(year),
                self.params.drivers.min_own,
                lambda members, parent, importance: null_noise(
                    sample, members, parent, importance, root_corr, self.params, year
                ),
                lambda *analysed: self._shrunk_analysis(year, *analysed),
                self._root_resampled.get(year),
            )
        return self._shrunk[year]

    def _shrink_targets(self, year: int) -> list[ShrinkTarget]:
        """Units below the root by depth, then managers by the depth of their home unit."""
        org = self.organisation(year)
        units = [
            ShrinkTarget(u, self.members(year, u), chain[1:], False)
            for u, chain in org.chains.items()
            if len(chain) > 1
        ]
        managers = []
        for manager in org.managers:
            theirs = [u for u, m in self._manager_of(year).items() if m == manager]
            home = _common_ancestor([org.chains[u] for u in theirs])
            target = MANAGER_PREFIX + manager
            managers.append(
                ShrinkTarget(target, self.members(year, target), org.chains[home], True)
            )
        units.sort(key=lambda t: len(t.lenders))
        managers.sort(key=lambda t: len(t.lenders))
        return units + managers

    def _manager_of(self, year: int) -> dict[str, str]:
        units = self.data.units_in(year)
        return {
            str(u): str(m)
            for u, m in zip(units["unit_id"], units["manager_id"], strict=True)
            if str(m) != ""
        }

    def _shrunk_analysis(
        self,
        year: int,
        members: np.ndarray,
        matrix: np.ndarray,
        weight: float,
        parent: np.ndarray,
        parent_resampled: np.ndarray | None,
        keep: bool,
    ) -> tuple[DriverRecomputation, np.ndarray | None]:
        sample = self._sample(year)
        weights = weights_from_correlations(matrix, len(sample.question_ids))
        intervals, resampled = None, None
        if self.with_intervals:
            prior = (parent, weight, parent_resampled)
            intervals, resampled = bootstrap_intervals(
                sample, members, self.params, year, prior, keep_matrices=keep
            )
        return _recomputed(sample, members, matrix, weights, intervals, weight), resampled


def _recomputed(
    sample: DriverSampleOfYear,
    members: np.ndarray,
    corr: np.ndarray | None,
    weights: np.ndarray,
    intervals: tuple[np.ndarray, ...] | None,
    own_weight: float = 1.0,
) -> DriverRecomputation:
    """One target's recomputation from its matrix, weights and (optional) bootstrap."""
    drawn = [None] * 5 if intervals is None else list(intervals)
    return DriverRecomputation(
        question_ids=sample.question_ids,
        weights=weights,
        importance=weights / weights.sum(),
        n_used=len(members),
        ci_low=drawn[0],
        ci_high=drawn[1],
        beta=regression_weights_from_correlations(corr, len(sample.question_ids)),
        p_high=drawn[2],
        p_negative=drawn[3],
        p_random=drawn[4],
        own_weight=own_weight,
    )


def _common_ancestor(chains: list[tuple[str, ...]]) -> str:
    """The lowest unit on every chain (chains run from a unit up to the root)."""
    common = set(chains[0])
    for chain in chains[1:]:
        common &= set(chain)
    return next(u for u in chains[0] if u in common)


def _respondent_spreads(data: SurveyData, params: Params, year: int) -> dict[str, float]:
    """Each measure's pooled within-unit SD of respondent scores (index points)."""
    survey = params.survey
    responses = data.responses_in(year)
    asked = data.asked_in(year)
    span = survey.scale_max - survey.scale_min
    scores = (responses[asked].astype(float) - survey.scale_min) / span * 100
    frame = {question_measure(q): scores[q] for q in asked}
    for name, ids in composite_questions(data.questions, asked).items():
        frame[name] = scores[ids].mean(axis=1)  # mean of the valid answers
    table = pd.DataFrame(frame)
    table["unit"] = responses["unit_id"].astype(str).to_numpy()
    out = {}
    for measure in frame:
        valid = table[["unit", measure]].dropna()
        deviation = valid[measure] - valid.groupby("unit")[measure].transform("mean")
        df = len(valid) - valid["unit"].nunique()
        out[measure] = math.sqrt((deviation**2).sum() / df) if df > 0 else math.nan
    return out
