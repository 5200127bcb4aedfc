"""A unit's priority matrix from its own answers and its parent's, mixed by how much each knows.

A school of 15 respondents cannot rank 29 drivers on its own, and its
område's ranking misses what is local to the school (its two or three own
problems). Empirical Bayes mixes the two: a unit's correlation matrix
(outcome first) is shrunk towards its parent's,

    R_shrunk = w * R_own + (1 - w) * R_parent,     w = tau2 / (tau2 + v),

where ``v`` is the noise of the unit's own importances: how far those of as
many respondents drawn from its parent land from the parent's
(:func:`null_noise`, bias included), and ``tau2`` how far units' true
importances lie from their parents' (the mean squared distance between own
and parent importances, less the noise ``v`` that explains part of it, over
the units of one depth of the tree). Both are estimated from the data; nothing is a
tuned constant. A unit like its parent gets ``w`` near 0: no spread beyond
the noise is left for ``tau2``.

Why the weight is measured on the importances but applied to the matrix:
the importances are what a reader ranks, so their noise and their spread
between units decide how much of the unit's own data to trust. Mixing whole
matrices (rather than the importances, or only the outcome's row) keeps each
unit's own drivers' correlations with its own outcome together: their
sampling errors partly cancel in the relative weights, and on planted
organisations (``bench/bench_driver_recovery.py``) whole-matrix mixing
recovers each school's true top three better than mixing importances, than
mixing the outcome row alone with the parent's driver correlations, and
than a sparse (spike-and-slab) prior on the importances' deviations
(docs/assumptions.md has the figures).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.drivers.correlations import (
    repair_positive_definite,
    samples_correlations_with_gaps,
)
from analysis.drivers.relweights import johnson_weights, on_one_blas_thread

__all__ = [
    "Prior",
    "between_variance",
    "importance_shares",
    "mix_with_prior",
    "null_noise",
    "own_weight",
]


@dataclass(frozen=True)
class Prior:
    """What a unit's own correlations are mixed with: its parent's matrix and its own weight.

    ``correlations`` is the parent's final (outcome-first) matrix, ``weight``
    the share of the unit's own data, ``w = tau2 / (tau2 + v)``. ``resampled``
    (bootstrap only) is the parent's final matrix in each of its own bootstrap
    resamples, (resamples, 1 + p, 1 + p): the unit's resample b is mixed with
    the parent's resample b, so the parent's uncertainty reaches the unit's
    intervals; None holds the parent's matrix fixed.
    """

    correlations: np.ndarray
    weight: float
    resampled: np.ndarray | None = None


def mix_with_prior(own: np.ndarray, prior: Prior) -> np.ndarray:
    """``w * own + (1 - w) * parent``, batched; what the unit's data cannot say is the parent's.

    A correlation the unit has no value for (a pair answered together by too
    few, a question everyone answered alike) is NaN in ``own`` and takes the
    parent's value whole, so a small unit is analysed on what its answers do
    say instead of being refused. The result is repaired to a valid
    correlation matrix.
    """
    parent = np.broadcast_to(prior.correlations, own.shape)
    mixed = np.where(np.isfinite(own), prior.weight * own + (1.0 - prior.weight) * parent, parent)
    return repair_positive_definite(mixed)


@on_one_blas_thread
def null_noise(
    parent_values: np.ndarray,
    n: int,
    fill: Prior,
    parent_importance: np.ndarray,
    draws: int,
    seed: np.random.SeedSequence,
) -> float:
    """How far n respondents drawn from the parent land from its importances: the noise v.

    ``parent_values`` are the parent's [outcome, drivers] rows (NaN = no
    answer). Each of ``draws`` samples of ``n`` of them gets its pairwise
    importances exactly as a unit's own are made -- about the sample's own
    means, gaps from ``fill`` -- and v is their mean squared distance from
    ``parent_importance``. Under the null -- the unit is like its parent --
    that is what a unit's own importances' distance from its parent's is
    expected to be, *bias included*: relative weights of a small sample
    spread the importance over the weak drivers, so a unit's own bootstrap
    variance understates it by half at n = 15, and units that do not differ
    would seem to. Drawn without replacement: the unit's respondents are part
    of its parent's, which moves the parent's importances with the unit's
    own; drawn with replacement, a unit half its parent's size would look
    noisier than it is.
    """
    rng = np.random.default_rng(seed)
    # without replacement: under the null a unit is a random part of its parent's respondents
    # (the n smallest of uniform keys; their order does not matter, so no full sort)
    keys = rng.random((draws, len(parent_values)))
    # sorted: argpartition's order within the n may differ between CPUs, sums' last bits too
    picked = np.sort(np.argpartition(keys, n - 1, axis=1)[:, :n], axis=1)
    values = parent_values[picked]
    shares = importance_shares(mix_with_prior(samples_correlations_with_gaps(values)[0], fill))
    usable = np.isfinite(shares).all(axis=1)
    return float(((shares[usable] - parent_importance) ** 2).sum(axis=1).mean())


def importance_shares(corr: np.ndarray) -> np.ndarray:
    """Relative weights as shares of R² from outcome-first correlation matrices (batched)."""
    weights = johnson_weights(corr[..., 1:, 1:], corr[..., 1:, 0])
    return weights / weights.sum(axis=-1, keepdims=True)


def between_variance(own: np.ndarray, parent: np.ndarray, noise: np.ndarray) -> float:
    """Method-of-moments tau2: mean of ||own - parent||^2 less each unit's noise, at least 0.

    ``own`` and ``parent`` are (units, p) importances, ``noise`` the units'
    summed bootstrap variances. E||own - parent||^2 = tau2 + noise when the
    parent's importances are known far better than a unit's, as they are for
    an område over its schools.
    """
    distance = ((own - parent) ** 2).sum(axis=1)
    return float(max(np.mean(distance - noise), 0.0))


def own_weight(tau2: float, noise: np.ndarray) -> np.ndarray:
    """The share of each unit's own data: tau2 / (tau2 + noise); 0 when units do not differ."""
    noise = np.asarray(noise, dtype=float)
    if tau2 <= 0.0:
        return np.zeros_like(noise)
    return tau2 / (tau2 + noise)
