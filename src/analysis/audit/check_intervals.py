"""Auditing the intervals of the changes in ``figures.csv`` (``change_low``, ``change_high``).

Recomputed from the input with plain pandas, none of the pipeline's interval
code: each measure's respondent spread around the own unit's mean, pooled
over the organisation; the two-sample variance of each change from its n
and last year's; the scale that the year's changes of that measure support
(the squared ratio of their standardised interquartile range to a normal's,
at most 1, 1 below 30 changes); and for response rates the Agresti-Caffo
interval. docs/assumptions.md ("Change since last year") says why.

The report year's rows are all of its figures, so the scale is recomputed
from them. An earlier year's history rows are only some of that year's
figures: there the audit checks that each interval surrounds its change as
an interval of that kind must, and that one scale of at most 1 explains
every interval of a measure.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.audit.recomputation import Recomputation
from analysis.audit.results import KEYS, Mismatch, differs, format_number
from analysis.core.catalogue import RESPONSE_RATE

#: the normal quantile of a two-sided 95 % interval, and a normal's interquartile range
Z95 = 1.959963984540054
NORMAL_IQR = 1.3489795003921634
MIN_CALIBRATION_CHANGES = 30


def audit_intervals(
    rows: pd.DataFrame, year: int, is_report_year: bool, recomputation: Recomputation
) -> list[Mismatch]:
    """Mismatches of ``change_low``/``change_high`` among one year's published rows."""
    found: list[Mismatch] = []
    has_change = rows["change_text"] != ""
    for field in ("change_low", "change_high"):
        alone = rows[(rows[f"{field}_text"] != "") & ~has_change]
        for r in alone.itertuples(index=False):
            found.append(_mismatch(r, year, field, getattr(r, f"{field}_text"), "empty"))
    previous = recomputation.data.previous_year(year)
    changed = rows[has_change]
    if previous is None or changed.empty:
        return found
    before = recomputation.figures(previous)[[*KEYS, "n"]].rename(columns={"n": "n_prev"})
    changed = changed.merge(before, on=KEYS, how="left")
    spread = recomputation.respondent_spreads(year)
    spread_prev = recomputation.respondent_spreads(previous)
    for measure, part in changed.groupby("measure", sort=False):
        if measure == RESPONSE_RATE:
            found += _check_rates(part, year)
            continue
        variance = (
            spread.get(measure, math.nan) ** 2 / part["n"].astype(float)
            + spread_prev.get(measure, math.nan) ** 2 / part["n_prev"].astype(float)
        ).to_numpy()
        change = part["change"].to_numpy(dtype=float)
        if is_report_year:
            found += _check_index(part, year, change, variance, _scale(change, variance))
        else:
            found += _check_history(part, year, change, variance)
    return found


def _scale(change: np.ndarray, variance: np.ndarray) -> float:
    usable = np.isfinite(change) & np.isfinite(variance) & (variance > 0)
    if usable.sum() < MIN_CALIBRATION_CHANGES:
        return 1.0
    low, high = np.percentile(change[usable] / np.sqrt(variance[usable]), [25, 75])
    return min(1.0, ((high - low) / NORMAL_IQR) ** 2)


def _check_index(
    part: pd.DataFrame, year: int, change: np.ndarray, variance: np.ndarray, scale: float
) -> list[Mismatch]:
    half = Z95 * np.sqrt(scale * variance)
    return _compare(part, year, change - half, change + half)


def _check_history(
    part: pd.DataFrame, year: int, change: np.ndarray, variance: np.ndarray
) -> list[Mismatch]:
    """Centred on the change, and one scale <= 1 for the measure's rows."""
    half = (
        part["change_high"].to_numpy(dtype=float) - part["change_low"].to_numpy(dtype=float)
    ) / 2
    implied = (half / Z95) ** 2 / variance
    implied = implied[np.isfinite(implied)]
    scale = float(np.median(implied)) if len(implied) else 1.0
    if not scale <= 1.0 + 1e-9:
        scale = 1.0
    return _check_index(part, year, change, variance, scale)


def _check_rates(part: pd.DataFrame, year: int) -> list[Mismatch]:
    """Agresti-Caffo: one respondent and one non-respondent added to each year's invited."""
    n = part["n"].astype(float).to_numpy()
    n_prev = part["n_prev"].astype(float).to_numpy()
    rate = part["value"].to_numpy(dtype=float) / 100
    rate_prev = (part["value"].to_numpy(dtype=float) - part["change"].to_numpy(dtype=float)) / 100
    invited, invited_prev = np.rint(n / rate), np.rint(n_prev / rate_prev)
    p, p_prev = (n + 1) / (invited + 2), (n_prev + 1) / (invited_prev + 2)
    half = Z95 * np.sqrt(p * (1 - p) / (invited + 2) + p_prev * (1 - p_prev) / (invited_prev + 2))
    centre = p - p_prev
    return _compare(part, year, (centre - half) * 100, (centre + half) * 100)


def _compare(part: pd.DataFrame, year: int, low: np.ndarray, high: np.ndarray) -> list[Mismatch]:
    """Mismatches against the recomputed bounds; a change with no recomputable interval (a
    change that should not be there, reported as such) is not judged again here."""
    found = []
    for r, lo, hi in zip(part.itertuples(index=False), low, high, strict=True):
        for field, expected in (("change_low", lo), ("change_high", hi)):
            if not np.isfinite(expected):
                continue
            if getattr(r, f"{field}_text") == "" or differs(getattr(r, field), float(expected)):
                found.append(
                    _mismatch(r, year, field, getattr(r, f"{field}_text"), format_number(expected))
                )
    return found


def _mismatch(r, year: int, field: str, published: str, expected: str) -> Mismatch:
    return Mismatch(year, r.unit_id, r.group, r.measure, field, published, expected)
