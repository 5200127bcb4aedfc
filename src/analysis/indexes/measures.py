"""Summed cell statistics to index values: question indexes, composites, response rates.

Question indexes are computed as a ratio of integer sums,
``(sum - scale_min * count) * 100 / ((scale_max - scale_min) * count)``, so an
exact half (79.5) is exact in floating point and display rounding goes the
way the contract says.
"""

from __future__ import annotations

import numpy as np

from analysis.core.params import SurveyParams

__all__ = ["measure_values", "response_rate"]


def measure_values(
    stats: np.ndarray, n_questions: int, composite_columns: list[list[int]], survey: SurveyParams
) -> tuple[np.ndarray, np.ndarray]:
    """n and value of every composite then every question, from summed stats (..., W)."""
    q = n_questions
    sums, counts = stats[..., :q], stats[..., q : 2 * q]
    span = survey.scale_max - survey.scale_min
    with np.errstate(invalid="ignore", divide="ignore"):
        q_value = np.where(
            counts > 0, (sums - survey.scale_min * counts) * 100.0 / (span * counts), np.nan
        )
    c_values, c_ns = [], []
    for c, cols in enumerate(composite_columns):
        part = q_value[..., cols]
        has = ~np.isnan(part)
        k = has.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            c_values.append(np.where(k > 0, np.where(has, part, 0.0).sum(axis=-1) / k, np.nan))
        c_ns.append(stats[..., 2 * q + c])
    n = np.concatenate([*(x[..., None] for x in c_ns), counts], axis=-1)
    value = np.concatenate([*(x[..., None] for x in c_values), q_value], axis=-1)
    return np.rint(n).astype(np.int64), value


def response_rate(responding: np.ndarray, invited: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Responding / invited x 100, n = responding.

    Where nobody was invited there is no value; ``n`` keeps the responding
    count for the privacy pass (which never publishes a row without a value).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(invited > 0, responding * 100.0 / invited, np.nan)
    return np.rint(responding).astype(np.int64), value
