"""One independent piece of a measure's count program, in HiGHS, asked target after target.

:mod:`.count_audit` splits each measure's program into pieces that share no
unknown; this module holds one piece as a warm highspy model and re-solves
it with each new objective (lift the targets together, then in halves,
then each alone, then push the capped ones down), reporting the targets
held below their requirement with what their bound rests on.

Most of the audit's time is spent here, in a few dozen large pieces (one
per question: the organisation's tree, per group) where a solve costs
milliseconds however few pivots it needs. So the model is passed to HiGHS
row by row straight from the piece's arrays, and the lifts in halves
replace most of the solves one target at a time.

The analysts' breakdowns (:mod:`analysis.explore.counts`) ask the same
questions of their own attacker's program with this solver; theirs fixes
the shown cells and floors each cell's respondents, hence ``col_lower``
(0 for every count of the published figures' pieces).
"""

from __future__ import annotations

from collections.abc import Iterator

import highspy
import numpy as np
import scipy.sparse as sp

from analysis.privacy.targets import TOLERANCE

#: bits of an open target's position whose halves are lifted apart (:func:`_halves`)
SPLIT_BITS = 4
#: pieces with at least this many counts lift in halves (smaller ones solve alone in no time)
SPLIT_FROM = 200


class ProgramFailed(RuntimeError):
    """HiGHS found no optimum (``status``: its model status, e.g. infeasible)."""

    def __init__(self, status: str):
        super().__init__(f"disclosure audit: the attacker's program failed: {status}")
        self.status = status


class PieceSolver:
    """One piece's program in HiGHS, re-solved warm with each new objective.

    Columns: the piece's counts x (``col_lower`` <= x <= ``col_upper``; the
    lower bounds 0 unless given), then one z per target with 0 <= z <= its
    requirement and z <= x (so maximising the z's lifts each target only as
    far as it needs).
    """

    def __init__(
        self,
        a: sp.csr_matrix,
        lower: np.ndarray,
        upper: np.ndarray,
        col_upper: np.ndarray,
        targets: np.ndarray,
        required: np.ndarray,
        pinnable: np.ndarray,
        col_lower: np.ndarray | None = None,
    ):
        m, n_x = a.shape
        n_t = len(targets)
        self.targets = np.asarray(targets, np.int64)
        self.required = np.asarray(required, np.float64)
        self.pinnable = np.asarray(pinnable, np.float64)  # the truth of capped targets, else nan
        self.lowest = np.full(n_t, np.inf)  # per target, the smallest count a solution gave it
        self.rows = m
        self.solved = 0
        self.n_x = n_x
        if col_lower is None:
            col_lower = np.zeros(n_x)
        self.h = _program(a, lower, upper, col_lower, col_upper, self.targets, self.required)
        self.cost = np.zeros(n_x + n_t)
        self.x = np.zeros(n_x + n_t)  # the last solution

    def held_below(self) -> Iterator[tuple[int, float, np.ndarray, np.ndarray]]:
        """Yield (target index, its upper bound, binding rows of ``a``, capped counts it rests
        on) per target that fails.

        A count is capped when its bound other than 0 binds: its ``col_upper``, or
        a ``col_lower`` above 0.
        """
        done = np.zeros(len(self.targets), dtype=bool)
        # 1. lift the open targets together while that certifies more, then in halves
        while self._lift(~done, done) and not done.all():
            pass
        if self.n_x >= SPLIT_FROM:
            for half in _halves(np.flatnonzero(~done), len(done)):
                self._lift(half & ~done, done)
        for i in np.flatnonzero(~done):  # 2. each remaining target alone
            if done[i]:
                continue
            cost = np.zeros(len(self.cost))
            cost[self.targets[i]] = 1.0
            x = self._maximise(cost)
            if x is None:
                done[i] = True
                continue
            done |= x[self.targets] >= self.required - TOLERANCE
            if not done[i]:
                yield int(i), float(x[self.targets[i]]), *self._binding()
        # 3. capped targets must not be pinned: some solution must hold each below its
        # truth -- one seen so far may already; then push the rest down together, in
        # halves, then alone
        pending = self._unproven_pins()
        if len(pending) > 1:
            self._push_down(pending)
        if self.n_x >= SPLIT_FROM:
            for half in _halves(self._unproven_pins(), len(self.targets)):
                self._push_down(np.flatnonzero(half))
        for i in self._unproven_pins():
            if self.lowest[i] < self.pinnable[i] - TOLERANCE:
                continue
            cost = np.zeros(len(self.cost))
            cost[self.targets[i]] = -1.0
            x = self._maximise(cost)
            if x is not None and x[self.targets[i]] >= self.pinnable[i] - TOLERANCE:
                yield int(i), float(x[self.targets[i]]), *self._binding()

    def extent(self, i: int) -> tuple[float, float]:
        """The smallest and the largest count target ``i`` can hold (inf: unbounded)."""
        cost = np.zeros(len(self.cost))
        cost[self.targets[i]] = 1.0
        x = self._maximise(cost)
        high = np.inf if x is None else float(x[self.targets[i]])
        x = self._maximise(-cost)
        if x is None:  # cannot happen: every count is at least its col_lower
            raise RuntimeError("disclosure audit: a count bounded below reported unbounded")
        return float(x[self.targets[i]]), high

    def _lift(self, which: np.ndarray, done: np.ndarray) -> bool:
        """Lift the targets ``which`` together (each up to its requirement); mark in
        ``done`` every target the solution certifies; whether it certified any."""
        if not which.any():
            return False
        cost = np.zeros(len(self.cost))
        cost[self.n_x + np.flatnonzero(which)] = 1.0
        x = self._maximise(cost)
        if x is None:  # cannot happen: every lift is capped at its requirement
            raise RuntimeError("disclosure audit: a bounded program reported unbounded")
        newly = ~done & (x[self.targets] >= self.required - TOLERANCE)
        done |= newly
        return bool(newly.any())

    def _push_down(self, which: np.ndarray) -> None:
        """Minimise the pinnable targets ``which`` together (every solution is remembered in
        :attr:`lowest`)."""
        which = np.intersect1d(which, self._unproven_pins())
        if len(which):
            cost = np.zeros(len(self.cost))
            cost[self.targets[which]] = -1.0
            self._maximise(cost)

    def _unproven_pins(self) -> np.ndarray:
        """Capped targets no solution has yet held below their truth."""
        seen_below = self.lowest < self.pinnable - TOLERANCE
        return np.flatnonzero(~np.isnan(self.pinnable) & ~seen_below)

    def _binding(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``a`` and the capped counts with a non-zero dual in the last solution."""
        solution = self.h.getSolution()
        rows = np.abs(np.asarray(solution.row_dual)[: self.rows]) > TOLERANCE
        cols = np.abs(np.asarray(solution.col_dual)[: self.n_x]) > TOLERANCE
        at_cap = self.x[: self.n_x] > 0  # not held at 0 from below
        return np.flatnonzero(rows), np.flatnonzero(cols & at_cap)

    def _maximise(self, cost: np.ndarray) -> np.ndarray | None:
        """Maximise ``cost @ columns``: the solution, or None when unbounded."""
        changed = np.flatnonzero(cost != self.cost).astype(np.int32)
        if len(changed):
            self.h.changeColsCost(len(changed), changed, cost[changed])
        self.cost = cost
        self.h.run()
        self.solved += 1
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnbounded:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise ProgramFailed(self.h.modelStatusToString(status))
        x = self.x = np.asarray(self.h.getSolution().col_value)
        self.lowest = np.minimum(self.lowest, x[self.targets])
        return x


def _program(
    a: sp.csr_matrix,
    lower: np.ndarray,
    upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    targets: np.ndarray,
    required: np.ndarray,
) -> highspy.Highs:
    """The piece's program in HiGHS: its counts and equations, then a lift column z_t
    (0 .. its ``required``) and a row x_t - z_t >= 0 per target."""
    m, n_x = a.shape
    n_t = len(targets)
    # rowwise: the piece's equations, then the lift rows
    lift_index = np.empty(2 * n_t, dtype=np.int64)
    lift_index[0::2], lift_index[1::2] = targets, n_x + np.arange(n_t)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_x + n_t, m + n_t
    lp.col_cost_ = np.zeros(n_x + n_t)
    lp.col_lower_ = np.concatenate([np.asarray(col_lower, np.float64), np.zeros(n_t)])
    lp.col_upper_ = np.concatenate([np.asarray(col_upper, np.float64), required])
    lp.row_lower_ = np.concatenate([np.asarray(lower, np.float64), np.zeros(n_t)])
    lp.row_upper_ = np.concatenate([np.asarray(upper, np.float64), np.full(n_t, np.inf)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.concatenate([a.indptr, a.indptr[-1] + 2 * np.arange(1, n_t + 1)])
    lp.a_matrix_.index_ = np.concatenate([a.indices, lift_index])
    lp.a_matrix_.value_ = np.concatenate([a.data, np.tile([1.0, -1.0], n_t)])
    lp.sense_ = highspy.ObjSense.kMaximize
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # small programs re-solved with a new objective on the same constraints: the
    # previous basis stays feasible, so primal simplex without presolve restarts fastest
    h.setOptionValue("presolve", "off")
    h.setOptionValue("simplex_strategy", 4)
    h.passModel(lp)
    return h


def _halves(open_targets: np.ndarray, targets: int) -> Iterator[np.ndarray]:
    """Masks (over all ``targets``) of the open targets by the bits of their position among
    them.

    Targets that compete for the same slack -- a unit's own men and its
    unknown-label group, which add up to a small number -- cannot both reach
    their requirement in one solution, so lifting all open targets together
    stalls while each could be certified alone. Any two open targets differ in
    some bit of their position, so some half separates them; the halves of the
    lowest :data:`SPLIT_BITS` bits separate neighbours (targets are ordered by
    unit) and certify most such pairs in a few solves instead of one each.
    """
    position = np.arange(len(open_targets))
    for bit in range(SPLIT_BITS):
        if len(open_targets) <= 1 << bit:
            return
        for value in (0, 1):
            mask = np.zeros(targets, dtype=bool)
            mask[open_targets[((position >> bit) & 1) == value]] = True
            yield mask
