"""The synthetic answers 1..5: calibrated to the targets, with planted school results.

Kept apart from the latent model because this is the search part: the
answer locations are solved so the förvaltning's question indexes hit the
catalogue's targets, and a few schools' effects so their AMI lands low or high.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from analysis.synth import catalogue as cat
from analysis.synth.latent import Model
from analysis.synth.organisation import Organisation
from analysis.synth.respondents import Respondents

SCALE_MIN, SCALE_MAX, DONT_KNOW = 1, 5, 0
# Cut points of the latent answer scale (1|2, 2|3, 3|4, 4|5): skewed like a real
# engagement survey, where most answers are 4 or 5.
THRESHOLDS = np.array([-1.9, -1.35, -0.7, 0.2])

# --- latent model -----------------------------------------------------------
SCHOOL_SD = 0.30  # school/avdelning effect on the general factor
SCHOOL_DRIFT_SD = 0.08  # its change per earlier year

# --- planted school results (latest year), shares of the seed's counts ------
LOW_SHARE = {"grundskola": 9 / 140, "gymnasieskola": 2 / 30}
TOP_SHARE = {"grundskola": 4 / 140, "gymnasieskola": 2 / 30}
LOW_RANGE = (61.0, 68.0)
TOP_RANGE = (88.8, 90.4)
NORMAL_RANGE = (71.0, 87.5)  # other schools are kept inside
CLAMP_MARGIN = 2.0
SCHOOL_TYPES = ("grundskola", "gymnasieskola")
SOLVE_ROUNDS = 4

# --- calibration -------------------------------------------------------------


def _mean_answer(sorted_latent: np.ndarray, location: float) -> float:
    above = len(sorted_latent) - np.searchsorted(sorted_latent, THRESHOLDS - location, "right")
    return SCALE_MIN + float(above.sum()) / len(sorted_latent)


def _solve_location(latent: np.ndarray, target_index: float) -> float:
    """Location whose answers have the target question index (bisection on the step curve)."""
    target = SCALE_MIN + target_index / 100 * (SCALE_MAX - SCALE_MIN)
    ordered = np.sort(latent)
    low, high = -10.0, 10.0
    for _ in range(60):
        mid = (low + high) / 2
        if _mean_answer(ordered, mid) < target:
            low = mid
        else:
            high = mid
    return high


def _locations(
    r: Respondents, latent: np.ndarray, valid: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """μ per year position and question, hitting each question's target index."""
    out = np.zeros(targets.shape)
    for pos in range(targets.shape[0]):
        rows = r.year_pos == pos
        for i in range(targets.shape[1]):
            cells = rows & valid[:, i]
            if not np.isnan(targets[pos, i]) and cells.any():
                out[pos, i] = _solve_location(latent[cells, i], float(targets[pos, i]))
    return out


def _answer_values(latent: np.ndarray) -> np.ndarray:
    return SCALE_MIN + (latent[..., None] > THRESHOLDS).sum(axis=-1)


def _school_ami(
    latent: np.ndarray, valid: np.ndarray, school: np.ndarray, n_schools: int
) -> np.ndarray:
    """Each school's AMI (mean of question indexes over its subtree) from latent + μ."""
    values = _answer_values(latent)
    indexes = np.full((n_schools, latent.shape[1]), np.nan)
    for j in range(latent.shape[1]):
        ok = valid[:, j]
        total = np.bincount(school[ok], weights=values[ok, j], minlength=n_schools)
        count = np.bincount(school[ok], minlength=n_schools)
        with np.errstate(invalid="ignore", divide="ignore"):
            indexes[:, j] = (total / count - SCALE_MIN) / (SCALE_MAX - SCALE_MIN) * 100
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a school without answers: NaN
        return np.nanmean(indexes, axis=1)


@dataclass
class _LatestAmi:
    """The latest year's AMI answers in latent form: what a school's AMI depends on."""

    base: np.ndarray  # respondents x AMI questions, without the school effect
    loading: np.ndarray  # respondents x AMI questions: d latent / d school effect
    valid: np.ndarray
    school: np.ndarray
    targets: np.ndarray  # the förvaltning's target index per AMI question
    n_schools: int

    def school_ami(self, mu: np.ndarray, effect: np.ndarray) -> np.ndarray:
        latent = self.base + mu + self.loading * effect[self.school][:, None]
        return _school_ami(latent, self.valid, self.school, self.n_schools)

    def locations(self, effect: np.ndarray) -> np.ndarray:
        latent = self.base + self.loading * effect[self.school][:, None]
        return np.array(
            [
                _solve_location(latent[self.valid[:, j], j], float(self.targets[j]))
                for j in range(latent.shape[1])
            ]
        )


def _solve_effects(
    ami: _LatestAmi, mu: np.ndarray, effect: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """Shift each school with a target (not NaN) to the smallest effect reaching it."""
    low, high = effect - 6.0, effect + 6.0
    for _ in range(45):
        mid = (low + high) / 2
        below = ami.school_ami(mu, mid) < target
        low = np.where(below, mid, low)
        high = np.where(below, high, mid)
    return np.where(np.isnan(target), effect, high)


def plant_school_results(
    questions: list[cat.QuestionSpec],
    org: Organisation,
    r: Respondents,
    model: Model,
    targets: np.ndarray,
    valid: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Workplace effect per school index (rows) and year position (columns).

    Schools and avdelningar, and the own staff of the förvaltning and the
    områden, each have one; only schools are planted.

    The latest year's results are planted: a few schools below AMI 70 and a
    few at 89-90 (counts scaled from the seed's 9 + 2 and top 6), every other
    school kept inside NORMAL_RANGE. Each planted school's effect is solved on
    the realised answers, alternating with the μ calibration until both hold;
    earlier years drift from it.
    """
    n_schools = len(org.school_types)
    types = np.array(org.school_types)
    effect = SCHOOL_SD * rng.standard_normal(n_schools)
    target = np.full(n_schools, np.nan)
    for kind in SCHOOL_TYPES:
        members = np.flatnonzero(types == kind)
        # stratified normal quantiles keep the spread stable for any seed
        quantiles = ndtri((np.arange(len(members)) + 0.5) / max(len(members), 1))
        effect[members] = SCHOOL_SD * quantiles[rng.permutation(len(members))]
        n_low = round(LOW_SHARE[kind] * len(members))
        n_top = round(TOP_SHARE[kind] * len(members))
        chosen = [int(m) for m in rng.permutation(members)]
        # the seed's named top schools, where present, are among the top ones
        top = [m for m in chosen if org.school_names[m] in cat.SEED_TOP_SCHOOLS][:n_top]
        rest = [m for m in chosen if m not in top]
        top += rest[n_low : n_low + n_top - len(top)]
        target[rest[:n_low]] = rng.uniform(*LOW_RANGE, n_low)
        target[top] = rng.uniform(*TOP_RANGE, len(top))
    clamp_low = rng.uniform(NORMAL_RANGE[0], NORMAL_RANGE[0] + CLAMP_MARGIN, n_schools)
    clamp_high = rng.uniform(NORMAL_RANGE[1] - CLAMP_MARGIN, NORMAL_RANGE[1], n_schools)
    drift = rng.normal(0.0, SCHOOL_DRIFT_SD, (n_schools, targets.shape[0]))
    drift[:, -1] = 0.0

    latest = r.year_pos == targets.shape[0] - 1
    cols = np.flatnonzero(
        [not np.isnan(targets[-1, i]) and q.ami_dimension != "" for i, q in enumerate(questions)]
    )
    if len(cols) == 0:
        return effect[:, None] + drift
    ami = _LatestAmi(
        base=model.base[np.ix_(latest, cols)],
        loading=model.school_loading[np.ix_(r.unit[latest], cols)],
        valid=valid[np.ix_(latest, cols)],
        school=r.school[latest],
        targets=targets[-1, cols],
        n_schools=n_schools,
    )
    is_school = np.isin(types, SCHOOL_TYPES)
    for _ in range(SOLVE_ROUNDS):
        mu = ami.locations(effect)
        current = ami.school_ami(mu, effect)
        free = is_school & np.isnan(target)
        too_low = free & (current < NORMAL_RANGE[0])
        too_high = free & (current > NORMAL_RANGE[1])
        target[too_low] = clamp_low[too_low]
        target[too_high] = clamp_high[too_high]
        effect = _solve_effects(ami, mu, effect, target)
    return effect[:, None] + drift


def realised_answers(
    r: Respondents,
    model: Model,
    school_effect: np.ndarray,
    targets: np.ndarray,
    valid: np.ndarray,
) -> np.ndarray:
    """Answers 1..5 where asked (float, NaN elsewhere); don't-know is set by the caller."""
    loading = model.school_loading[r.unit]
    latent = model.base + loading * school_effect[r.school, r.year_pos][:, None]
    mu = _locations(r, latent, valid, targets)
    values = _answer_values(latent + mu[r.year_pos]).astype(float)
    values[~valid] = np.nan
    return values
