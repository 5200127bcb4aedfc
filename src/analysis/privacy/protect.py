"""Suppression that an audit has proven: first pass, joint audit, repair, repeat.

The threshold rule hides what rests on too few respondents; the first pass
(:mod:`.first_pass`) hides, equation by equation, what would give those away;
then the joint audit (:mod:`.audit`) combines every published number at once.
Each cell that still fails gets one more figure hidden -- among those its
bound rests on, the one that costs readers least (:func:`cost`) -- and the
audit repeats until no cell fails. Every hidden row keeps its reason:
``threshold`` (too few respondents) or ``complementary`` (hidden to protect
another group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.contract import COMPLEMENTARY, THRESHOLD
from analysis.params import PrivacyParams
from analysis.privacy.attacker_model import CountModel, build_count_model
from analysis.privacy.audit import AuditResult, Failure, audit, audit_counts, audit_values
from analysis.privacy.figures import UnsuppressedFigures, blank, publishable
from analysis.privacy.first_pass import complementary_suppression

#: repairs before the loop gives up (each round hides at least one figure)
MAX_ROUNDS = 200


@dataclass(frozen=True)
class Protection:
    """One year's publication decision: what is published, why the rest is hidden, the proof."""

    published: np.ndarray
    reason: np.ndarray  # "" published, THRESHOLD or COMPLEMENTARY
    audit: AuditResult  # the final audit: no failures
    first_pass_hidden: int  # hidden by the first pass (beyond the threshold)
    repaired: int  # hidden by the audit's repairs
    rounds: int


def cost(figures: UnsuppressedFigures) -> np.ndarray:
    """What hiding each row costs a reader: unit totals far above breakdowns.

    A unit's total (group ``all``) is what its head reads first; a leader
    report is one person's whole report; a composite carries many questions.
    Within a class, the larger n costs more (more respondents' voice lost).
    """
    table = figures.table
    tree_units = set(figures.tree["unit_id"])
    on_tree = table["unit_id"].isin(tree_units).to_numpy()
    total = table["group"].to_numpy() == "all"
    question = table["measure"].str.startswith("q:").to_numpy()
    weight = np.where(on_tree & total, 1000.0, np.where(total, 300.0, 1.0))
    weight = weight * np.where(question, 1.0, 5.0)
    n = table["n"].astype("Int64").fillna(0).to_numpy(np.float64)
    return weight * (1.0 + n / (1.0 + n.max(initial=0.0)))


def _neighbours(figures: UnsuppressedFigures) -> dict[tuple[str, str], list[str]]:
    """(unit, measure) -> the units whose figures of that measure border it: itself, its
    parent, its children, and the leader reports of its managers."""
    tree = figures.tree
    near: dict[str, set[str]] = {u: {u} for u in tree["unit_id"]}
    for unit_id, parent_id in zip(tree["unit_id"], tree["parent_id"], strict=True):
        if parent_id:
            near[unit_id].add(parent_id)
            near[parent_id].add(unit_id)
    for unit_id, leader in zip(
        figures.manager_units["unit_id"], figures.manager_units["leader_id"], strict=True
    ):
        near[unit_id].add(leader)
        near.setdefault(leader, {leader}).add(unit_id)
    return {u: sorted(v) for u, v in near.items()}


def _fallback(figures: UnsuppressedFigures, row: int, status: np.ndarray) -> list[int]:
    """Published figures of the same measure around a failing cell, when the attacker's
    bound rests on figures derived from others (no published figure in its constraints)."""
    table = figures.table
    unit_id, measure = table["unit_id"].iat[row], table["measure"].iat[row]
    around = _neighbours(figures).get(unit_id, [unit_id])
    hits = np.flatnonzero(
        table["unit_id"].isin(around).to_numpy() & (table["measure"].to_numpy() == measure)
    )
    return [int(r) for r in hits if status[r]]


def _repairs(
    figures: UnsuppressedFigures,
    failures: list[Failure],
    status: np.ndarray,
    price: np.ndarray,
) -> np.ndarray:
    """One figure to hide per failing cell: its cheapest published candidate."""
    chosen = set()
    for failure in failures:
        candidates = [c for c in failure.candidates if status[c]]
        if not candidates:
            candidates = _fallback(figures, failure.row, status)
        if not candidates:
            raise RuntimeError(
                f"disclosure audit: row {failure.row} fails ({failure.kind}) and no published "
                "figure its bound rests on is left to hide"
            )
        if chosen.intersection(candidates):
            continue  # another failure's repair already hides one of them
        chosen.add(min(candidates, key=lambda c: (price[c], c)))
    return np.array(sorted(chosen), dtype=np.int64)


def protect(figures: UnsuppressedFigures, min_group_size: int) -> Protection:
    """Threshold, first pass, then audit and repair until the audit finds nothing."""
    k = min_group_size
    table = figures.table
    allowed = publishable(table, k)
    status = complementary_suppression(figures, allowed, k, guard_secondary=False)
    first_pass_hidden = int((allowed & ~status).sum())
    model = build_count_model(figures)
    price = cost(figures)
    measure = table["measure"].to_numpy()
    # measures whose counts must be (re-)audited; None: all. A measure's
    # program depends on its own rows only, so a repair re-opens its measure.
    pending: set[str] | None = None
    repaired = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        values = audit_values(figures, status, k)
        if values.failures:
            hide = _repairs(figures, values.failures, status, price)
            touched = set(measure[hide])
            pending = None if pending is None else pending | touched
        else:
            counts = audit_counts(
                figures, status, k, model, None if pending is None else sorted(pending)
            )
            if not counts.failures:
                result = _final(figures, status, k, model)
                reason = np.where(~allowed, THRESHOLD, np.where(~status, COMPLEMENTARY, ""))
                return Protection(status, reason, result, first_pass_hidden, repaired, rounds)
            hide = _repairs(figures, counts.failures, status, price)
            pending = set(measure[hide])
        status = status.copy()
        status[hide] = False
        repaired += len(hide)
    raise RuntimeError(f"disclosure audit: still failing after {MAX_ROUNDS} repair rounds")


def _final(
    figures: UnsuppressedFigures, status: np.ndarray, k: int, model: CountModel
) -> AuditResult:
    """The proof that goes with the table: both systems, every measure, no failure."""
    result = audit(figures, status, k, model)
    if result.failures:
        raise RuntimeError(f"disclosure audit: {len(result.failures)} failures in the final check")
    return result


def suppress(
    figures: UnsuppressedFigures, privacy: PrivacyParams, *, complementary: bool = True
) -> pd.DataFrame:
    """The publishable table with a ``suppression`` column (contract §5).

    The threshold rule, then the first pass of complementary suppression
    (:mod:`.first_pass`); ``complementary=False`` applies the threshold rule
    alone (for comparisons and tests). Each hidden row says why: ``threshold``
    (too few respondents) or ``complementary`` (hidden to protect another
    group). :func:`protect` -- the first pass proven by the joint audit -- is
    not yet what the pipeline runs: on the synthetic default it takes minutes.
    """
    k = privacy.min_group_size
    allowed = publishable(figures.table, k)
    published = complementary_suppression(figures, allowed, k) if complementary else allowed
    reason = np.where(~allowed, THRESHOLD, np.where(~published, COMPLEMENTARY, ""))
    out = blank(figures.table, published)
    out["suppression"] = pd.array(reason, dtype="str")
    return out
