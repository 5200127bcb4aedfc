"""The correlations behind the relative weights when every respondent counts (pairwise).

Listwise deletion keeps only respondents who answered every driver; on the
synthetic default that is about half, and when "vet ej" is more common among
the less motivated the kept half is not a random half (the importances come
out biased). Pairwise (available-case) correlations use everyone who answered
a question for its mean and spread, and everyone who answered both questions of
a pair for their covariance. Such a matrix need not be positive definite, so
it is repaired the way ``psych::cor.smooth`` does: eigenvalues below a floor
are raised to it and the matrix is rescaled to a unit diagonal. A matrix
that needs no repair is left exactly as estimated.

``drivers.missing: listwise`` keeps the contract's reference arithmetic
(:func:`analysis.drivers.relweights.sample_correlations`); this module is the
default, ``pairwise`` (docs/assumptions.md says why).
"""

from __future__ import annotations

import numpy as np

from analysis.core.contract import CONSTANT_OUTCOME, NO_VARIANCE, TOO_FEW
from analysis.drivers.relweights import ZERO_VARIANCE_TOL, DriverAnalysisError

__all__ = [
    "EIGEN_FLOOR",
    "MIN_PAIR_N",
    "contributors",
    "correlations_with_gaps",
    "listwise_from_counts",
    "pair_features",
    "pairwise_correlations",
    "pairwise_from_sums",
    "repair_positive_definite",
    "samples_correlations_with_gaps",
]

#: eigenvalues of a pairwise matrix below this (relative to the largest) are raised to it
EIGEN_FLOOR = 1e-6
#: a pair of questions answered together by fewer respondents has no usable correlation
MIN_PAIR_N = 10


def contributors(drivers: np.ndarray) -> np.ndarray:
    """Rows (respondents with an outcome) that answered at least one driver: ``n_used``."""
    return np.isfinite(drivers).any(axis=1)


def pair_features(values: np.ndarray) -> np.ndarray:
    """Per respondent, the products whose sums give every pair's count and co-moment.

    ``values`` (n, q) with NaN for no answer are centred at each column's
    mean over everyone who answered it. For each pair i <= j: "answered
    both", and the product of the centred answers (0 where either is
    missing). Returns (n, q(q+1)) features in the layout
    :func:`pairwise_from_sums` reads. A bootstrap resample's sums are its
    counts times these features; the answers stay centred at the full
    sample's means, which moves a resample's correlations by O(1/n), far
    below an interval's width.
    """
    valid = np.isfinite(values)
    centred = np.where(valid, values - np.nanmean(values, axis=0), 0.0)
    upper_i, upper_j = np.triu_indices(values.shape[1])
    both = (valid[:, upper_i] & valid[:, upper_j]).astype(float)
    return np.hstack([both, centred[:, upper_i] * centred[:, upper_j]])


def pairwise_from_sums(sums: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(correlations, pair counts, variances) from summed :func:`pair_features`, batched.

    A question's variance is over everyone who answered it; a covariance over
    those who answered both (about the questions' own means); the
    correlation is their ratio (available-case estimation). NaN where a
    question shows no variance.
    """
    upper_i, upper_j = np.triu_indices(q)
    half = len(upper_i)
    count = np.zeros((*sums.shape[:-1], q, q))
    cross = np.zeros_like(count)
    count[..., upper_i, upper_j] = sums[..., :half]
    count[..., upper_j, upper_i] = sums[..., :half]
    cross[..., upper_i, upper_j] = sums[..., half:]
    cross[..., upper_j, upper_i] = sums[..., half:]
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = cross / count
        var = np.diagonal(cov, axis1=-2, axis2=-1)
        corr = cov / np.sqrt(var[..., :, None] * var[..., None, :])
    corr[..., np.arange(q), np.arange(q)] = 1.0
    return corr, count, var


def repair_positive_definite(corr: np.ndarray, floor: float = EIGEN_FLOOR) -> np.ndarray:
    """Raise eigenvalues below ``floor`` × the largest to that floor; unit diagonal again.

    Batched over leading axes. A matrix whose eigenvalues all lie above the
    floor is returned unchanged, so a complete sample's pairwise matrix is
    its listwise one (up to rounding). Only the matrices that need it are
    decomposed with vectors: numpy's batched ``eigh`` is the slow part of a
    bootstrap (see :func:`analysis.drivers.relweights.johnson_weights`).
    """
    q = corr.shape[-1]
    flat = corr.reshape(-1, q, q)
    if _clearly_above_floor(flat, floor):
        return corr
    eigval = np.linalg.eigvalsh(flat)
    needs = np.flatnonzero((eigval < floor * eigval[:, -1:]).any(axis=1))
    if not len(needs):
        return corr
    eigval, eigvec = np.linalg.eigh(flat[needs])
    raised = np.maximum(eigval, floor * eigval[:, -1:])
    fixed = (eigvec * raised[:, None, :]) @ np.swapaxes(eigvec, -1, -2)
    scale = np.sqrt(np.diagonal(fixed, axis1=-2, axis2=-1))
    fixed = fixed / scale[:, :, None] / scale[:, None, :]
    fixed = (fixed + np.swapaxes(fixed, -1, -2)) / 2
    fixed[:, np.arange(q), np.arange(q)] = 1.0
    out = flat.copy()
    out[needs] = fixed
    return out.reshape(corr.shape)


def _clearly_above_floor(flat: np.ndarray, floor: float) -> bool:
    """Whether every matrix's eigenvalues lie above ``floor`` × its largest, proven cheaply.

    The largest eigenvalue is at most the largest absolute row sum (Gershgorin), so if
    ``A - floor * rowsum * I`` has a Cholesky factor for every matrix, every eigenvalue of
    every ``A`` exceeds the floor and nothing needs repair. One batched Cholesky is
    several times cheaper than the eigenvalues (and, unlike LAPACK's eigen-solvers, does
    not slow down when BLAS threads compete for the cores); when it fails for any matrix
    the caller decides exactly, with the eigenvalues.
    """
    if not np.isfinite(flat).all():  # Cholesky passes NaN silently: prove nothing
        return False
    bound = np.abs(flat).sum(axis=-1).max(axis=-1)
    shifted = flat - (floor * bound)[:, None, None] * np.eye(flat.shape[-1])
    try:
        np.linalg.cholesky(shifted)
    except np.linalg.LinAlgError:
        return False
    return True


def pairwise_correlations(
    outcome: np.ndarray, drivers: np.ndarray, names: list[str]
) -> tuple[np.ndarray, np.ndarray, int]:
    """(Rxx, rxy, n_used) from every respondent with an outcome and at least one driver.

    Refuses, naming the questions, what has no correlation: too few
    respondents, a pair of questions answered together by fewer than
    ``MIN_PAIR_N``, a question (or the outcome) without variance among them.
    """
    used = contributors(drivers)
    n_used = int(used.sum())
    p = drivers.shape[1]
    if n_used <= p + 1:
        raise DriverAnalysisError(
            f"only {n_used} respondents answered any driver, for {p} drivers; relative weights "
            f"need more respondents than drivers + 1 (at least {p + 2})",
            TOO_FEW,
        )
    values = np.column_stack([outcome[used], drivers[used]]).astype(float)
    rare = np.flatnonzero(np.isfinite(values[:, 1:]).sum(axis=0) < MIN_PAIR_N)
    if len(rare):
        raise DriverAnalysisError(
            f"drivers answered by fewer than {MIN_PAIR_N} of the {n_used} respondents: "
            f"{[names[j] for j in rare]}",
            TOO_FEW,
            tuple(names[j] for j in rare),
        )
    corr, count, var = pairwise_from_sums(pair_features(values).sum(axis=0), p + 1)
    thin = np.argwhere(np.triu(count < MIN_PAIR_N, 1))
    if len(thin):
        pairs = [_pair_name(names, i, j) for i, j in thin[:5]]
        raise DriverAnalysisError(
            f"{len(thin)} pairs of questions were answered together by fewer than {MIN_PAIR_N} "
            f"respondents, so their correlation is unknown: {', '.join(pairs)}",
            TOO_FEW,
            tuple(sorted({names[k - 1] for pair in thin for k in pair if k > 0})),
        )
    scale = np.maximum(np.nanmax(np.abs(values), axis=0), 1.0)
    flat = np.sqrt(np.maximum(var, 0.0)) <= ZERO_VARIANCE_TOL * scale
    if flat[0]:
        raise DriverAnalysisError(
            f"the outcome has the same value for all {n_used} respondents; nothing to explain",
            CONSTANT_OUTCOME,
        )
    if flat.any():
        involved = [names[k - 1] for k in np.flatnonzero(flat)]
        raise DriverAnalysisError(
            f"drivers without variance (everyone who answered gave the same answer): {involved}",
            NO_VARIANCE,
            tuple(involved),
        )
    full = repair_positive_definite(corr)
    return full[1:, 1:], full[1:, 0], n_used


def correlations_with_gaps(outcome: np.ndarray, drivers: np.ndarray) -> tuple[np.ndarray, int]:
    """(outcome-first pairwise correlations, n_used) with NaN where the answers say nothing.

    For a unit whose matrix is shrunk towards its parent's
    (:func:`analysis.drivers.shrinkage.mix_with_prior`): a pair answered
    together by fewer than ``MIN_PAIR_N``, or a question without variance
    among those who answered it, is left NaN and taken from the parent,
    instead of refusing the unit as :func:`pairwise_correlations` must. An
    outcome without variance still refuses: there is nothing to explain.
    """
    used = contributors(drivers)
    n_used = int(used.sum())
    values = np.column_stack([outcome[used], drivers[used]]).astype(float)
    corr, flat = samples_correlations_with_gaps(values[None])
    if n_used < 2 or flat[0, 0]:
        raise DriverAnalysisError(
            f"the outcome has the same value for all {n_used} respondents; nothing to explain",
            CONSTANT_OUTCOME,
        )
    return corr[0], n_used


def samples_correlations_with_gaps(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`correlations_with_gaps` of many samples at once, and which columns are flat.

    ``values`` (samples, rows, columns), NaN for no answer: a column's mean
    and spread over the sample's rows that answered it, a pair's covariance
    over those that answered both; NaN for a pair answered together by fewer
    than ``MIN_PAIR_N`` or a column without variance (``flat``, per sample).
    """
    valid = np.isfinite(values)
    have = valid.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(valid, values, 0.0).sum(axis=1, keepdims=True) / have.sum(
            axis=1, keepdims=True
        )
        centred = np.where(valid, values - means, 0.0)
        pairs = np.swapaxes(have, 1, 2) @ have
        cov = np.swapaxes(centred, 1, 2) @ centred / pairs
        sd = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
        corr = cov / (sd[:, :, None] * sd[:, None, :])
    scale = np.maximum(np.nanmax(np.abs(values), axis=1, initial=0.0), 1.0)
    flat = ~(sd > ZERO_VARIANCE_TOL * scale)
    corr[(pairs < MIN_PAIR_N) | flat[:, :, None] | flat[:, None, :] | ~np.isfinite(corr)] = np.nan
    q = values.shape[-1]
    corr[:, np.arange(q), np.arange(q)] = 1.0
    return corr, flat


def _pair_name(names: list[str], i: int, j: int) -> str:
    label = ["the outcome", *names]
    return f"{label[i]} & {label[j]}"


def listwise_from_counts(
    counts: np.ndarray, moments: np.ndarray, upper_i: np.ndarray, upper_j: np.ndarray, q: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each bootstrap resample's correlations and variances of complete rows (listwise),
    from its counts over respondents and their centred values and products (before guarding)."""
    size = len(counts)
    totals = counts @ moments / counts.sum(axis=1, keepdims=True)
    mean = totals[:, :q]
    cov_upper = totals[:, q:] - mean[:, upper_i] * mean[:, upper_j]
    cov = np.empty((size, q, q))
    cov[:, upper_i, upper_j] = cov_upper
    cov[:, upper_j, upper_i] = cov_upper
    var = np.diagonal(cov, axis1=1, axis2=2).copy()
    sd = np.sqrt(np.where(var > 0, var, 1.0))
    return cov / sd[:, :, None] / sd[:, None, :], var
