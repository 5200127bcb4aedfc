"""How sure a change since last year is: a 95 % interval for every published change.

The target is a change in the unit's working climate, not the noise of
answering again: when the same staff answer under unchanged conditions, at
most 5 % of changes may be marked *säkerställd* (contract §3). Three
choices, defended in docs/assumptions.md ("Change since last year"):

- **Two independent samples.** Respondents are anonymous across years, so a
  change's variance is this year's plus last year's: s²/n + s_prev²/n_prev.
  That ignores that mostly the same people answer both years, whose stable
  tendencies cancel in the change, so it overstates the noise (conservative).
- **One spread per measure and year**, the respondents' standard deviation
  around their own unit's mean, pooled over the organisation (a
  composite's respondent score is the mean of their valid answers to its
  questions). A cell's own spread would rest on as few as five people and
  would publish a second moment of every group (an attacker could subtract
  sums of squares as he subtracts sums); the pooled one rests on everyone,
  so an interval tells nothing that ``n`` and the change do not. No
  finite-population correction: the target is the climate the staff answer
  in, not the mean of this year's answers, so answering again is noise
  however many of the staff answered.
- **Calibrated on the organisation's own changes.** The changes of all the
  cells of a measure show how much figures really move from year to year:
  if the interquartile range of change / two-sample standard error is
  narrower than a standard normal's (1.349), the same people answering both
  years make the two-sample variance too large, and it is scaled down by
  the squared ratio (``calibration``, never above 1, and 1 with fewer than
  ``MIN_CALIBRATION_CHANGES`` changes). The middle half of the changes is
  little moved by a minority of units that really changed, and not at all
  by a change the whole organisation shares; a year in which most units
  change can only make the scale 1 again.

A response rate's change gets the binomial interval of a difference of two
proportions (invited = n / rate), with Agresti and Caffo's adjustment, and
no calibration: it rests on no respondent spread, and a unit has one
response rate against some thirty index measures, too few changes for the
scale to be estimated without over-marking.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.core.catalogue import RESPONSE_RATE, composites_for_year, question_measure
from analysis.core.dataset import SurveyData
from analysis.core.params import SurveyParams
from analysis.core.rounding import Z95

__all__ = [
    "MIN_CALIBRATION_CHANGES",
    "NORMAL_IQR",
    "Z95",
    "calibration",
    "change_intervals",
    "change_variance",
    "measure_spread",
    "pooled_within_sd",
    "response_rate_interval",
]

#: the interquartile range of a standard normal variable (1.349...)
NORMAL_IQR = float(norm.ppf(0.75) - norm.ppf(0.25))
#: fewer changes of a measure than this: no calibration (scale 1, the two-sample variance)
MIN_CALIBRATION_CHANGES = 30


def pooled_within_sd(scores: np.ndarray, unit_codes: np.ndarray) -> float:
    """Standard deviation of ``scores`` around their own unit's mean, pooled (NaN = none).

    Σ (x - unit mean)² / (respondents - units); NaN when no unit has two scores.
    """
    valid = np.isfinite(scores)
    x, codes = scores[valid], unit_codes[valid]
    if not len(x):
        return float("nan")
    width = int(codes.max()) + 1
    count = np.bincount(codes, minlength=width)
    total = np.bincount(codes, weights=x, minlength=width)
    square = np.bincount(codes, weights=x * x, minlength=width)
    present = count > 0
    within = float((square[present] - total[present] ** 2 / count[present]).sum())
    df = len(x) - int(present.sum())
    return float(np.sqrt(max(within, 0.0) / df)) if df > 0 else float("nan")


def measure_spread(data: SurveyData, survey: SurveyParams, year: int) -> dict[str, float]:
    """Each index measure's pooled within-unit respondent SD in ``year``, in index points."""
    responses = data.responses_in(year)
    asked = data.asked_in(year)
    span = survey.scale_max - survey.scale_min
    answers = (responses[asked].to_numpy(dtype=float) - survey.scale_min) * 100.0 / span
    codes = pd.factorize(responses["unit_id"].astype(str))[0]
    column = {q: j for j, q in enumerate(asked)}
    out = {question_measure(q): pooled_within_sd(answers[:, column[q]], codes) for q in asked}
    for name, ids in composites_for_year(data.questions, asked).items():
        part = answers[:, [column[q] for q in ids]]
        answered = np.isfinite(part).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(answered > 0, np.nansum(part, axis=1) / answered, np.nan)
        out[name] = pooled_within_sd(score, codes)
    return out


def change_variance(
    table: pd.DataFrame, spread: dict[str, float], spread_prev: dict[str, float]
) -> np.ndarray:
    """Two-sample variance of each index row's change (NaN where it has none, and for
    response rates, whose interval is :func:`response_rate_interval`).

    ``table`` has ``measure, n, change, n_prev``.
    """
    measure = table["measure"].astype(str)
    n = table["n"].to_numpy(dtype=float)
    n_prev = table["n_prev"].to_numpy(dtype=float)
    sd = measure.map(spread).to_numpy(dtype=float)
    sd_prev = measure.map(spread_prev).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = sd**2 / n + sd_prev**2 / n_prev
    usable = table["change"].notna().to_numpy() & (measure != RESPONSE_RATE).to_numpy()
    return np.where(usable & (variance > 0), variance, np.nan)


def response_rate_interval(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """95 % interval for the change of a response rate (Agresti & Caffo 2000), NaN elsewhere.

    Each year's invited = n / rate; one respondent and one non-respondent are
    added to each year before the normal interval of the difference, which
    keeps its coverage near 95 % for rates near 100 % and for a handful of
    invited, where the plain one falls short.
    """
    n = table["n"].to_numpy(dtype=float)
    n_prev = table["n_prev"].to_numpy(dtype=float)
    rate = table["value"].to_numpy(dtype=float) / 100.0
    rate_prev = table["value_prev"].to_numpy(dtype=float) / 100.0
    use = (
        (table["measure"].astype(str) == RESPONSE_RATE).to_numpy()
        & table["change"].notna().to_numpy()
        & (rate > 0)
        & (rate_prev > 0)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        invited, invited_prev = np.rint(n / rate), np.rint(n_prev / rate_prev)
        p = (n + 1) / (invited + 2)
        p_prev = (n_prev + 1) / (invited_prev + 2)
        half = Z95 * np.sqrt(
            p * (1 - p) / (invited + 2) + p_prev * (1 - p_prev) / (invited_prev + 2)
        )
    centre = (p - p_prev) * 100.0
    low = np.where(use, centre - half * 100.0, np.nan)
    high = np.where(use, centre + half * 100.0, np.nan)
    return low, high


def calibration(change: np.ndarray, variance: np.ndarray) -> float:
    """The scale of the two-sample variance that the measure's own changes support (<= 1)."""
    usable = np.isfinite(change) & np.isfinite(variance) & (variance > 0)
    if usable.sum() < MIN_CALIBRATION_CHANGES:
        return 1.0
    z = change[usable] / np.sqrt(variance[usable])
    low, high = np.quantile(z, [0.25, 0.75])
    return min(1.0, float(((high - low) / NORMAL_IQR) ** 2))


def change_intervals(
    table: pd.DataFrame, spread: dict[str, float], spread_prev: dict[str, float]
) -> tuple[pd.DataFrame, dict[str, float]]:
    """``change_low`` and ``change_high`` of every row with a change, and each measure's scale.

    ``table`` needs ``measure, n, value, change, n_prev, value_prev``; rows
    without a change get NaN. Returns the two columns and the calibration of
    each index measure that has changes.
    """
    variance = change_variance(table, spread, spread_prev)
    change = table["change"].to_numpy(dtype=float)
    measure = table["measure"].astype(str).to_numpy()
    scale = np.ones(len(table))
    scales = {}
    for name in pd.unique(measure[np.isfinite(variance)]):
        rows = measure == name
        scales[str(name)] = calibration(change[rows], variance[rows])
        scale[rows] = scales[str(name)]
    half = Z95 * np.sqrt(scale * variance)
    rate_low, rate_high = response_rate_interval(table)
    is_rate = measure == RESPONSE_RATE
    out = pd.DataFrame(
        {
            "change_low": np.where(is_rate, rate_low, change - half),
            "change_high": np.where(is_rate, rate_high, change + half),
        },
        index=table.index,
    )
    return out, scales
