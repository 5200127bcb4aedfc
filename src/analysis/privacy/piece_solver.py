"""One independent piece of a measure's count program, in HiGHS, asked target after target.

:mod:`.count_audit` splits each measure's program into pieces that share no
unknown; this module holds one piece as a warm highspy model and re-solves
it with each new objective (lift the targets together, then each alone,
then push the capped ones down), reporting the targets held below their
requirement with what their bound rests on.
"""

from __future__ import annotations

from collections.abc import Iterator

import highspy
import numpy as np
import scipy.sparse as sp

from analysis.privacy.targets import TOLERANCE


class PieceSolver:
    """One piece's program in HiGHS, re-solved warm with each new objective.

    Columns: the piece's counts x, then one z per target with 0 <= z <= its
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
    ):
        m, n_x = a.shape
        n_t = len(targets)
        self.targets = np.asarray(targets, np.int64)
        self.required = np.asarray(required, np.float64)
        self.pinnable = np.asarray(pinnable, np.float64)  # the truth of capped targets, else nan
        self.lowest = np.full(n_t, np.inf)  # per target, the smallest count a solution gave it
        self.rows = m
        self.solved = 0
        lift = sp.csr_matrix(
            (
                np.concatenate([np.ones(n_t), -np.ones(n_t)]),
                (np.tile(np.arange(n_t), 2), np.concatenate([self.targets, n_x + np.arange(n_t)])),
            ),
            shape=(n_t, n_x + n_t),
        )
        csc = sp.vstack([sp.hstack([a, sp.csr_matrix((m, n_t))]), lift]).tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = csc.shape[1], csc.shape[0]
        lp.col_cost_ = np.zeros(csc.shape[1])
        lp.col_lower_ = np.zeros(csc.shape[1])
        lp.col_upper_ = np.concatenate([np.asarray(col_upper, np.float64), self.required])
        lp.row_lower_ = np.concatenate([np.asarray(lower, np.float64), np.zeros(n_t)])
        lp.row_upper_ = np.concatenate([np.asarray(upper, np.float64), np.full(n_t, np.inf)])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr
        lp.a_matrix_.index_ = csc.indices
        lp.a_matrix_.value_ = csc.data
        lp.sense_ = highspy.ObjSense.kMaximize
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        # small programs re-solved with a new objective on the same constraints: the
        # previous basis stays feasible, so primal simplex without presolve restarts fastest
        self.h.setOptionValue("presolve", "off")
        self.h.setOptionValue("simplex_strategy", 4)
        self.h.passModel(lp)
        self.n_x = n_x
        self.cost = np.zeros(csc.shape[1])

    def held_below(self) -> Iterator[tuple[int, float, np.ndarray, np.ndarray]]:
        """Yield (target index, its upper bound, binding rows of ``a``, capped counts it rests
        on) per target that fails."""
        done = np.zeros(len(self.targets), dtype=bool)
        while True:  # 1. lift the open targets together while that certifies more
            cost = np.zeros(len(self.cost))
            cost[self.n_x + np.flatnonzero(~done)] = 1.0
            x = self._maximise(cost)
            if x is None:  # cannot happen: every lift is capped at its requirement
                raise RuntimeError("disclosure audit: a bounded program reported unbounded")
            newly = ~done & (x[self.targets] >= self.required - TOLERANCE)
            done |= newly
            if done.all() or not newly.any():
                break
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
        # truth -- one seen so far may already; then push the rest down together, then alone
        pending = self._unproven_pins()
        if len(pending) > 1:
            cost = np.zeros(len(self.cost))
            cost[self.targets[pending]] = -1.0
            self._maximise(cost)
        for i in self._unproven_pins():
            if self.lowest[i] < self.pinnable[i] - TOLERANCE:
                continue
            cost = np.zeros(len(self.cost))
            cost[self.targets[i]] = -1.0
            x = self._maximise(cost)
            if x is not None and x[self.targets[i]] >= self.pinnable[i] - TOLERANCE:
                yield int(i), float(x[self.targets[i]]), *self._binding()

    def _unproven_pins(self) -> np.ndarray:
        """Capped targets no solution has yet held below their truth."""
        seen_below = self.lowest < self.pinnable - TOLERANCE
        return np.flatnonzero(~np.isnan(self.pinnable) & ~seen_below)

    def _binding(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows of ``a`` and the capped counts with a non-zero dual in the last solution."""
        solution = self.h.getSolution()
        rows = np.abs(np.asarray(solution.row_dual)[: self.rows]) > TOLERANCE
        cols = np.abs(np.asarray(solution.col_dual)[: self.n_x]) > TOLERANCE
        at_cap = np.asarray(solution.col_value)[: self.n_x] > 0  # not held at 0 from below
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
            raise RuntimeError(
                "disclosure audit: the attacker's program failed: "
                + self.h.modelStatusToString(status)
            )
        x = np.asarray(self.h.getSolution().col_value)
        self.lowest = np.minimum(self.lowest, x[self.targets])
        return x
