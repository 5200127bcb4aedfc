"""Suppression that an audit has proven: first pass, joint audit, repair, repeat.

The threshold rule hides what rests on too few respondents; the first pass
(:mod:`.first_pass`) hides, equation by equation, what would give those away;
then the joint audit (:mod:`.audit`) combines every published number at once.
The cells that still fail lose one of the published figures their bound
rests on each -- the set that costs readers least (:func:`cost`), chosen by
an integer program (:func:`_repairs`) -- and the audit repeats until no cell
fails. Every hidden row keeps its reason:
``threshold`` (too few respondents) or ``complementary`` (hidden to protect
another group).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from analysis.core.contract import COMPLEMENTARY, THRESHOLD
from analysis.core.params import PrivacyParams
from analysis.privacy.count_audit import CountAudit, derived_questions
from analysis.privacy.figures import UnsuppressedFigures, blank, publishable
from analysis.privacy.first_pass import complementary_suppression
from analysis.privacy.targets import AuditResult, Failure
from analysis.privacy.value_audit import ValueAudit

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
    """What hiding each row costs a reader: unit totals far above leader reports, and
    those far above breakdowns.

    A unit's total (group ``all``) is what its head reads first; a leader
    report is one person's whole report; a composite carries many questions.
    Any unit total costs more than any leader report's figure: a leader's
    question value that its composites give away is then protected by one
    of the leader's own figures, not by a unit's question total after
    another, round after round (on the synthetic default 2023, 72 unit totals
    were hidden that way when a leader's composite cost more than a unit's
    question). Within a class, the larger n costs more (more respondents'
    voice lost).
    """
    table = figures.table
    tree_units = set(figures.tree["unit_id"])
    on_tree = table["unit_id"].isin(tree_units).to_numpy()
    total = table["group"].to_numpy() == "all"
    question = table["measure"].str.startswith("q:").to_numpy()
    # question x1, composite x5: a leader's composite (500 .. 1000) stays below a unit's
    # question total (1000 .. 2000)
    weight = np.where(on_tree & total, 1000.0, np.where(total, 100.0, 1.0))
    weight = weight * np.where(question, 1.0, 5.0)
    n = table["n"].astype("Int64").fillna(0).to_numpy(np.float64)
    return weight * (1.0 + n / (1.0 + n.max(initial=0.0)))


def _neighbours(figures: UnsuppressedFigures) -> dict[str, list[str]]:
    """unit -> the units whose figures border it: itself, its parent, its children, and
    the leader reports of its managers (and a leader report -> its units)."""
    org = figures.org
    near: dict[str, set[str]] = {
        u: {u, *org.children[u], *([org.parent[u]] if org.parent[u] else [])} for u in org.preorder
    }
    for unit_id, leader in zip(
        figures.manager_units["unit_id"], figures.manager_units["leader_id"], strict=True
    ):
        near[unit_id].add(leader)
        near.setdefault(leader, {leader}).add(unit_id)
    return {u: sorted(v) for u, v in near.items()}


def _fallback(
    figures: UnsuppressedFigures, near: dict[str, list[str]], row: int, status: np.ndarray
) -> list[int]:
    """Published figures of the same measure around a failing cell, when the attacker's
    bound rests on figures derived from others (no published figure in its constraints)."""
    table = figures.table
    unit_id, measure = table["unit_id"].iat[row], table["measure"].iat[row]
    around = near.get(unit_id, [unit_id])
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
    """The cheapest figures to hide so that every failing cell loses one of its candidates.

    A set-cover integer program (HiGHS through :func:`scipy.optimize.milp`):
    minimise the readers' cost of what is hidden, subject to each failure
    having at least one of its published candidates hidden. One figure often
    serves several failures (a school's women's count guards both its small
    men's group and a manager's group); the program finds that, where taking
    each failure's cheapest candidate in turn would not.
    """
    sets: dict[tuple[int, ...], None] = {}
    unit_of = figures.table["unit_id"].to_numpy()
    near: dict[str, list[str]] | None = None  # built at the first failure that needs it
    for failure in failures:
        candidates = [c for c in failure.candidates if status[c]]
        unit_id = failure.unit_id or unit_of[failure.row]
        if not candidates and failure.row >= 0:
            near = _neighbours(figures) if near is None else near
            candidates = _fallback(figures, near, failure.row, status)
        if not candidates:
            where = f"row {failure.row}" if failure.row >= 0 else "a never-published group"
            raise RuntimeError(
                f"disclosure audit: {where} of unit {unit_id} fails ({failure.kind}) and no "
                "published figure its bound rests on is left to hide"
            )
        sets[tuple(sorted(candidates))] = None
    pool = np.unique(np.concatenate([np.array(c, dtype=np.int64) for c in sets]))
    where = {int(c): i for i, c in enumerate(pool)}
    rows = np.repeat(np.arange(len(sets)), [len(c) for c in sets])
    cols = np.array([where[c] for members in sets for c in members], dtype=np.int64)
    cover = sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(sets), len(pool)))
    solution = milp(
        price[pool],
        constraints=LinearConstraint(cover, lb=1.0, ub=np.inf),
        integrality=np.ones(len(pool)),
        bounds=Bounds(0.0, 1.0),
    )
    if not solution.success:
        raise RuntimeError(f"disclosure audit: choosing repairs failed: {solution.message}")
    return pool[solution.x > 0.5]


def protect(figures: UnsuppressedFigures, min_group_size: int) -> Protection:
    """Threshold, first pass, then audit and repair until the audit finds nothing.

    Hiding a figure only widens what an attacker cannot rule out: a value
    left undetermined stays so, and a solution that lifted a count to k
    stays possible. So each repair round re-checks only the cells that
    failed the round before -- the others keep their proof. The values are
    repaired, then the counts, then the values again: a count's repair can
    hide a question its neighbours still give away (a derived value, known
    to the values' audit), which may complete a composite's equation.
    """
    k = min_group_size
    table = figures.table
    allowed = publishable(table, k)
    status = complementary_suppression(figures, allowed, k)
    first_pass_hidden = int((allowed & ~status).sum())
    price = cost(figures)
    rounds = 1
    value_audit = ValueAudit(figures, k)
    count_audit = CountAudit(figures, k)
    status, rounds = _repair_values(figures, value_audit, count_audit, status, price, rounds)
    counts = count_audit.run(status)
    programs = counts.programs
    while not counts.ok:
        rounds = _next_round(rounds)
        status = _hide(status, _repairs(figures, counts.failures, status, price))
        counts = count_audit.run(status, only=_rows(counts))
        programs += counts.programs
    # a count's repair can leave a question value derivable that completes a composite's
    # equation; a value's repair never undoes a count's proof
    status, rounds = _repair_values(figures, value_audit, count_audit, status, price, rounds)
    result = AuditResult(sensitive=counts.sensitive, programs=programs)
    reason = np.where(~allowed, THRESHOLD, np.where(~status, COMPLEMENTARY, ""))
    repaired = int((allowed & ~status).sum()) - first_pass_hidden
    return Protection(status, reason, result, first_pass_hidden, repaired, rounds)


def _repair_values(
    figures: UnsuppressedFigures,
    value_audit: ValueAudit,
    count_audit: CountAudit,
    status: np.ndarray,
    price: np.ndarray,
    rounds: int,
) -> tuple[np.ndarray, int]:
    """Repair the values until none is determined; the new status and the rounds so far."""
    values = _values(value_audit, count_audit, status)
    while not values.ok:
        rounds = _next_round(rounds)
        status = _hide(status, _repairs(figures, values.failures, status, price))
        values = _values(value_audit, count_audit, status, only=_rows(values))
    return status, rounds


def _values(
    value_audit: ValueAudit,
    count_audit: CountAudit,
    status: np.ndarray,
    only: np.ndarray | None = None,
) -> AuditResult:
    """The values' audit with the question values the counts' equations give away as known;
    a failure's derived candidate stands for the published figures behind its derivation."""
    derived = derived_questions(count_audit, status)
    known = status.copy()
    known[list(derived)] = True
    result = value_audit.run(status, only=only, known=known)
    for i, failure in enumerate(result.failures):
        behind = {r for c in failure.candidates for r in derived.get(c, (c,))}
        result.failures[i] = replace(failure, candidates=tuple(sorted(behind)))
    return result


def _rows(result: AuditResult) -> np.ndarray:
    """The failed rows: all a repair round must re-check (hiding more never undoes a proof)."""
    return np.array([f.row for f in result.failures], dtype=np.int64)


def _next_round(rounds: int) -> int:
    if rounds >= MAX_ROUNDS:
        raise RuntimeError(f"disclosure audit: still failing after {MAX_ROUNDS} repair rounds")
    return rounds + 1


def _hide(status: np.ndarray, rows: np.ndarray) -> np.ndarray:
    out = status.copy()
    out[rows] = False
    return out


def suppress(
    figures: UnsuppressedFigures, privacy: PrivacyParams, *, complementary: bool = True
) -> pd.DataFrame:
    """The publishable table with a ``suppression`` column (contract §5).

    The threshold rule, then :func:`protect` -- the first pass proven and
    repaired by the joint audit; ``complementary=False`` applies the threshold
    rule alone (for comparisons and tests). Each hidden row says why:
    ``threshold`` (too few respondents) or ``complementary`` (hidden to
    protect another group).
    """
    k = privacy.min_group_size
    if complementary:
        decision = protect(figures, k)
        published, reason = decision.published, decision.reason
    else:
        published = publishable(figures.table, k)
        reason = np.where(published, "", THRESHOLD)
    out = blank(figures.table, published)
    out["suppression"] = pd.array(reason, dtype="str")
    return out
