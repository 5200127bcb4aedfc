"""The priority matrix: which questions are styrkor and which are fokusområden (contract §4).

x = importance (share of the explained variance of motivation), y = score
(the question index). Each axis is split at the median of the unit's drivers,
a value at or above the median counting as high. Styrkor are up to five
high-importance, high-score questions, highest score first; fokusområden up to
five high-importance, low-score questions, lowest score first; ties go to the
higher importance, then to the question id (plain string order). Everything
else is ``övrigt``.

The split uses the full-precision values of the published table, so anyone
can recompute the quadrants from ``drivers.csv`` alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STYRKA = "styrka"
FOKUS = "fokusområde"
OVRIGT = "övrigt"
QUADRANTS = (STYRKA, FOKUS, OVRIGT)
MAX_LISTED = 5
#: a driver's side of the importance median counts as settled when at least this share of
#: the bootstrap resamples puts it there too (drivers.csv ``p_high``)
SETTLED_SHARE = 0.8
#: a driver's standardised regression weight counts as surely negative (suppressor-like)
#: when at least this share of the resamples has it below 0 (drivers.csv ``p_negative``):
#: its 95 % percentile interval lies below 0
SURELY_NEGATIVE_SHARE = 0.975
#: a driver is told apart from a random variable when in at most this share of the
#: resamples the random variable weighs as much (drivers.csv ``p_random``)
RANDOM_LIMIT = 0.025


def high_importance_share(shares: np.ndarray) -> np.ndarray:
    """Per driver, the share of bootstrap resamples (rows of ``shares``) in which its
    importance is at or above that resample's median: the chance of the high half."""
    shares = np.asarray(shares, dtype=float)
    if not len(shares):
        return np.full(shares.shape[1], np.nan)
    return (shares >= np.median(shares, axis=1, keepdims=True)).mean(axis=0)


def unsettled(importance, p_high) -> np.ndarray:
    """Drivers whose side of the importance median the bootstrap does not confirm: fewer
    than ``SETTLED_SHARE`` of the resamples put them on the side the published value does
    (a placement close to a coin flip)."""
    imp = np.asarray(importance, dtype=float)
    p = np.asarray(p_high, dtype=float)
    high = imp >= np.median(imp) if len(imp) else np.zeros(0, dtype=bool)
    return np.where(high, p, 1.0 - p) < SETTLED_SHARE


def surely_negative(beta, p_negative) -> np.ndarray:
    """Suppressor-like drivers: a negative standardised weight that at least
    ``SURELY_NEGATIVE_SHARE`` of the resamples confirm (most negative weights are noise)."""
    b = np.asarray(beta, dtype=float)
    p = np.asarray(p_negative, dtype=float)
    return (b < 0) & (p >= SURELY_NEGATIVE_SHARE)


def like_random(p_random) -> np.ndarray:
    """Drivers the test against a random variable does not separate from it: in more than
    ``RANDOM_LIMIT`` of the resamples it weighs at least as much (Tonidandel, LeBreton &
    Johnson 2009: the 95 % interval of the difference reaches 0)."""
    return np.asarray(p_random, dtype=float) > RANDOM_LIMIT


def _arrays(question_ids, importance, score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids = np.asarray(question_ids).astype(str)
    imp = np.asarray(importance, dtype=float)
    sc = np.asarray(score, dtype=float)
    if not (ids.shape == imp.shape == sc.shape) or ids.ndim != 1:
        raise ValueError("question ids, importances and scores must be equally long vectors")
    if len(np.unique(ids)) != len(ids):
        values, counts = np.unique(ids, return_counts=True)
        raise ValueError(
            f"priority matrix is per unit; question ids repeat: {list(values[counts > 1])}"
        )
    bad = ~(np.isfinite(imp) & np.isfinite(sc))
    if bad.any():
        raise ValueError(
            f"priority matrix needs importance and score for every question: {list(ids[bad])}"
        )
    return ids, imp, sc


def split_points(importance, score) -> tuple[float, float]:
    """Median importance and median score (the quadrant lines)."""
    return float(np.median(np.asarray(importance, float))), float(
        np.median(np.asarray(score, float))
    )


def ranked_positions(question_ids, importance, score, high_score: bool) -> np.ndarray:
    """Positions of the listed styrkor (``high_score``) or fokusområden, in rank order."""
    ids, imp, sc = _arrays(question_ids, importance, score)
    if len(ids) == 0:
        return np.zeros(0, dtype=np.intp)
    mid_importance, mid_score = split_points(imp, sc)
    candidates = np.flatnonzero((imp >= mid_importance) & ((sc >= mid_score) == high_score))
    primary = -sc[candidates] if high_score else sc[candidates]
    order = np.lexsort((ids[candidates], -imp[candidates], primary))  # last key sorts first
    return candidates[order][:MAX_LISTED]


def quadrant_labels(question_ids, importance, score) -> np.ndarray:
    """``styrka``/``fokusområde``/``övrigt`` for one unit's drivers (array in, array out)."""
    labels = np.full(len(np.asarray(question_ids)), OVRIGT, dtype=object)
    labels[ranked_positions(question_ids, importance, score, high_score=True)] = STYRKA
    labels[ranked_positions(question_ids, importance, score, high_score=False)] = FOKUS
    return labels


# ------------------------------------------------------- DataFrame helpers


def _columns(table: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    missing = [c for c in ("question_id", "importance", "score") if c not in table.columns]
    if missing:
        raise ValueError(f"priority matrix needs column(s) {missing}")
    return table["question_id"], table["importance"], table["score"]


def medians(table: pd.DataFrame) -> tuple[float, float]:
    """The split points: median importance and median score of one unit's drivers."""
    _, imp, sc = _arrays(*_columns(table))
    return split_points(imp, sc)


def halves(table: pd.DataFrame) -> pd.DataFrame:
    """``high_importance`` and ``high_score`` (≥ median) for each row of one unit."""
    _, imp, sc = _arrays(*_columns(table))
    mid_importance, mid_score = split_points(imp, sc)
    return pd.DataFrame(
        {"high_importance": imp >= mid_importance, "high_score": sc >= mid_score},
        index=table.index,
    )


def styrkor(table: pd.DataFrame) -> pd.DataFrame:
    """Up to five high-importance, high-score rows of one unit, highest score first."""
    return table.iloc[ranked_positions(*_columns(table), high_score=True)]


def fokusomraden(table: pd.DataFrame) -> pd.DataFrame:
    """Up to five high-importance, low-score rows of one unit, lowest score first."""
    return table.iloc[ranked_positions(*_columns(table), high_score=False)]


def assign_quadrants(table: pd.DataFrame) -> pd.Series:
    """``styrka``/``fokusområde``/``övrigt`` for each row of one unit's drivers."""
    labels = quadrant_labels(*_columns(table))
    return pd.Series(labels, index=table.index, name="quadrant", dtype=object)


def quadrants_by_unit(table: pd.DataFrame, unit_column: str = "unit_id") -> pd.Series:
    """``assign_quadrants`` applied to each unit of a multi-unit driver table."""
    parts = [assign_quadrants(group) for _, group in table.groupby(unit_column, sort=False)]
    if not parts:
        return pd.Series(dtype=object, name="quadrant")
    return pd.concat(parts).reindex(table.index)
