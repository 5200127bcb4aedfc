"""Recomputing the shrunk priority matrices (``drivers.shrinkage: empirical_bayes``).

The rule, as docs/assumptions.md states it, implemented again from the
input: every unit and manager below the förvaltning with at least
``drivers.min_own`` respondents who answered a driver mixes its own pairwise
correlations (a pair answered together by fewer than 10, or a question
without variance, left to the parent) with its parent's final matrix,
``w * own + (1 - w) * parent``, ``w = tau2 / (tau2 + v)``. ``v`` is how far
samples of the unit's size drawn from its parent land from the parent's
importances and, like the intervals, can only be reproduced by the
package's seeded draws; ``tau2``, the mixing, the repair and the weights are
this module's own arithmetic. A unit with ``w = 0`` has no matrix of its
own: it shows its parent's analysis, and its children lean on that parent.
The intervals mix each resample with the parent's same-numbered resample,
so a parent's resampled matrices are kept for its children with a weight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.audit.driver_analysis import (
    DriverRecomputation,
    DriverSampleOfYear,
    repaired,
    weights_from_correlations,
)

#: a shrunk target's recomputation and, when kept, its resampled matrices
Analysed = tuple[DriverRecomputation, np.ndarray | None]
#: docs/assumptions.md: a pair answered together by fewer than this has no own correlation
MIN_PAIR = 10


@dataclass(frozen=True)
class ShrinkTarget:
    """One unit or manager in the order the rule visits them (ancestors, then managers)."""

    target_id: str
    members: np.ndarray
    lenders: tuple[str, ...]  # nearest first, the förvaltning last
    is_manager: bool


def own_correlations(values: np.ndarray) -> np.ndarray | None:
    """[outcome, drivers] available-case correlations with NaN where the answers say nothing;
    None when the outcome does not vary (nothing to explain)."""
    valid = ~np.isnan(values)
    centred = np.where(valid, values - np.nanmean(values, axis=0), 0.0)
    pairs = valid.T.astype(float) @ valid.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = centred.T @ centred / pairs
        sd = np.sqrt(np.diag(cov))
        corr = cov / np.outer(sd, sd)
    scale = np.maximum(np.nanmax(np.abs(values), axis=0, initial=0.0), 1.0)
    flat = ~(sd > 1e-12 * scale)
    if flat[0]:
        return None
    corr[(pairs < MIN_PAIR) | flat[:, None] | flat[None, :] | ~np.isfinite(corr)] = np.nan
    np.fill_diagonal(corr, 1.0)
    return corr


def mixed(own: np.ndarray, parent: np.ndarray, weight: float) -> np.ndarray:
    """w * own + (1 - w) * parent where the unit has a correlation, the parent's elsewhere."""
    return repaired(np.where(np.isnan(own), parent, weight * own + (1 - weight) * parent))


def importance_of(corr: np.ndarray) -> np.ndarray:
    weights = weights_from_correlations(corr, corr.shape[0] - 1)
    return weights / weights.sum()


def shrink(
    sample: DriverSampleOfYear,
    root_corr: np.ndarray,
    targets: list[ShrinkTarget],
    min_own: int,
    noise_of: Callable[[np.ndarray, np.ndarray, np.ndarray], float],
    analysis_of: Callable[..., Analysed],
    root_resampled: np.ndarray | None = None,
) -> tuple[dict[int, float], dict[str, DriverRecomputation]]:
    """(tau2 per depth, each shrunk target's recomputed analysis).

    ``noise_of(members, parent_members, parent_importance)`` is the package's
    noise v of a target (samples of its size from its parent's respondents);
    ``analysis_of(members, matrix, weight, parent, parent_resampled, keep)`` the
    recomputation of one final matrix with its intervals (and its resampled
    matrices when ``keep``); ``root_resampled`` the förvaltning's.
    """
    root_id = targets[0].lenders[-1] if targets else ""
    members = {t.target_id: t.members for t in targets}
    members[root_id] = np.arange(len(sample.outcome))
    lender_of: dict[str, str] = {}
    first: dict[bytes, str] = {}
    own: dict[str, np.ndarray] = {}
    importance: dict[str, np.ndarray] = {root_id: importance_of(root_corr)}
    noise: dict[str, float] = {}
    for t in targets:
        if len(t.members) < min_own or t.members.tobytes() in first:
            continue
        first[t.members.tobytes()] = t.target_id
        values = np.column_stack([sample.outcome[t.members], sample.drivers[t.members]])
        corr = own_correlations(values)
        if corr is None:
            continue
        lender = next(u for u in t.lenders if u in importance)
        own[t.target_id] = corr
        importance[t.target_id] = importance_of(mixed(corr, root_corr, 1.0))
        lender_of[t.target_id] = lender
        noise[t.target_id] = noise_of(t.members, members[lender], importance[lender])
    tau2 = _tau2(targets, importance, noise, lender_of)
    weight = {}
    for t in targets:
        level = tau2.get(len(t.lenders), 0.0)  # a manager's: the depth below their unit
        if t.target_id in own:
            weight[t.target_id] = level / (level + noise[t.target_id]) if level > 0 else 0.0
    parents = {u for t in targets if weight.get(t.target_id, 0.0) > 0 for u in t.lenders}
    final: dict[str, np.ndarray] = {root_id: root_corr}
    resampled: dict[str, np.ndarray | None] = {root_id: root_resampled}
    results: dict[str, DriverRecomputation] = {}
    for t in targets:
        origin = first.get(t.members.tobytes())
        if origin is None or origin not in own:
            continue
        if origin != t.target_id:  # the same respondents: the same matrix
            if origin in final:
                final[t.target_id], resampled[t.target_id] = final[origin], resampled[origin]
            if origin in results:
                results[t.target_id] = results[origin]
            continue
        parent_id = next((u for u in t.lenders if u in final), root_id)
        parent, w = final[parent_id], weight[origin]
        if w == 0.0:  # its parent's matrix; it shows its parent's analysis, none of its own
            final[t.target_id], resampled[t.target_id] = parent, resampled[parent_id]
            continue
        final[t.target_id] = mixed(own[origin], parent, w)
        results[t.target_id], resampled[t.target_id] = analysis_of(
            t.members,
            final[t.target_id],
            w,
            parent,
            resampled[parent_id],
            t.target_id in parents,
        )
    return tau2, results


def _tau2(
    targets: list[ShrinkTarget],
    importance: dict[str, np.ndarray],
    noise: dict[str, float],
    lender_of: dict[str, str],
) -> dict[int, float]:
    """Per depth (len(lenders)), the mean over its measured units of ||own - their parent's
    importances||² - v, at least 0."""
    excess: dict[int, list[float]] = {}
    for t in targets:
        if t.is_manager or t.target_id not in noise:
            continue
        distance = ((importance[t.target_id] - importance[lender_of[t.target_id]]) ** 2).sum()
        excess.setdefault(len(t.lenders), []).append(float(distance) - noise[t.target_id])
    return {depth: max(float(np.mean(e)), 0.0) for depth, e in sorted(excess.items())}
