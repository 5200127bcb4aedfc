"""The counts' audit: one linear program per measure over every published count.

The constraints are :mod:`.attacker_model`'s -- groups with their
unknown-label remainder, each unit's own respondents at least 0 and at most
its ``invited``, leader reports -- with every published count of the measure
fixed, and every count capped by the unit's (or leader's) published response
count. Counts an equation determines outright are fixed first; the rest falls
apart into independent pieces, each one warm HiGHS model (highspy).

For every sensitive hidden cell (:func:`.targets.small_or_empty`) the
largest count the attacker cannot rule out must reach min(k, what the
organisation table alone allows). Each piece is asked, in order:

1. maximise the sum over its targets of min(count, required) -- one solve
   that lifts as many targets as far as they can go *together* (a target
   capped at its requirement cannot absorb the slack the others need);
   repeated for the targets not yet lifted while that certifies more;
2. maximise each remaining target alone; one that stays below fails, with
   the published figures its bound rests on (the constraints with a non-zero
   dual, followed back through the equations that derived them) as the
   candidates to hide.

Every solution is a point the attacker cannot rule out, so any target at its
requirement in it is certified on the way.

Hiding more figures only widens what the attacker cannot rule out (a fixed
count becomes free, a cap disappears), so a solution that certified a
target stays a valid witness after any further suppression: a repair round
(:mod:`.protect`) re-checks only the targets that failed (``only``).
"""

from __future__ import annotations

from collections.abc import Iterator

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from analysis.catalogue import RESPONSE_RATE
from analysis.privacy.attacker_model import CountModel, build_count_model
from analysis.privacy.figures import UnsuppressedFigures
from analysis.privacy.targets import (
    TOLERANCE,
    AuditResult,
    Failure,
    prior_bound,
    small_or_empty,
)


def audit_counts(
    figures: UnsuppressedFigures,
    published: np.ndarray,
    k: int,
    model: CountModel | None = None,
    only: np.ndarray | None = None,
) -> AuditResult:
    """One linear program per measure over all its published counts (module docstring).

    ``only``: table rows to check (the others are taken as proven); by
    default every sensitive hidden cell.
    """
    return CountAudit(figures, k, model).run(published, only)


class CountAudit:
    """What every count audit of one year shares, computed once (:mod:`.protect` re-runs it)."""

    def __init__(self, figures: UnsuppressedFigures, k: int, model: CountModel | None = None):
        table = figures.table
        self.model = model if model is not None else build_count_model(figures)
        self.n = table["n"].astype("Int64").fillna(0).to_numpy(np.float64)
        self.measure = table["measure"].to_numpy()
        # small or empty cells: hidden by the threshold whatever else is published
        self.small = small_or_empty(figures, k)
        self.required = np.minimum(k, prior_bound(figures))
        self.k = k

    def run(self, published: np.ndarray, only: np.ndarray | None = None) -> AuditResult:
        """The failures of ``published``; ``only``: the rows to re-check."""
        published = np.asarray(published, dtype=bool)
        sensitive = self.small & ~published
        result = AuditResult(sensitive=int(sensitive.sum()))
        if only is not None:
            sensitive &= np.isin(np.arange(len(sensitive)), only)
        model, n, measure = self.model, self.n, self.measure
        # no measure counts more respondents than a unit's (or leader's) published response count
        responding = np.full(model.n_cells, np.inf)
        counted = np.flatnonzero((measure == RESPONSE_RATE) & published)
        responding[model.cell_of_row[counted]] = n[counted]
        for name in pd.unique(measure[sensitive]):
            rows = np.flatnonzero(measure == name)
            program = _CountProgram(model, rows, published[rows], n[rows], responding)
            targets = rows[sensitive[rows]]
            # the organisation table caps it below k: then it must not be pinned either
            capped = (self.required[targets] < self.k) & (n[targets] > 0)
            for row, bound, candidates in program.failures(
                targets, self.required[targets], n[targets], capped
            ):
                result.failures.append(Failure(int(row), "count", bound, candidates))
            result.programs += program.solved
        return result


def _fix_determined(model: CountModel, known: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Fix every unknown an equation with no other unknown determines (in place).

    The attacker reads these straight off (a unit total minus its published
    groups is the unknown-label group); fixing them first lets the rest fall
    apart into small independent programs. Returns, per cell, the equation
    that fixed it (-1: none).
    """
    matrix = model.matrix
    equality = model.lower == model.upper
    source = np.full(model.n_cells, -1, dtype=np.int64)
    while True:
        unknown = np.flatnonzero(~known)
        part = matrix[:, unknown].tocsr()
        single = np.flatnonzero(equality & (np.diff(part.indptr) == 1))
        if not len(single):
            return source
        picked = part[single]
        columns = unknown[picked.indices]
        rhs = model.lower[single] - matrix[single][:, known] @ value[known]
        found = rhs / picked.data
        columns, first = np.unique(columns, return_index=True)
        value[columns] = found[first]
        known[columns] = True
        source[columns] = single[first]


class _CountProgram:
    """One measure's counts: the unknowns, their constraints, and the pieces they fall into."""

    def __init__(
        self,
        model: CountModel,
        rows: np.ndarray,
        published: np.ndarray,
        n: np.ndarray,
        responding: np.ndarray,
    ):
        self.solved = 0
        known = np.ones(model.n_cells, dtype=bool)
        value = np.zeros(model.n_cells)  # a unit and group without a row: known to be empty
        known[model.tree_cells :] = False  # every leader has rows; set below
        known[model.unknown_label] = False
        cells = model.cell_of_row[rows]
        known[cells] = published
        self.known_mask = known.copy()  # published (before anything is derived)
        value[cells] = np.where(published, n, 0.0)
        self.row_of_cell = np.full(model.n_cells, -1, dtype=np.int64)
        self.row_of_cell[cells] = rows
        self.source = _fix_determined(model, known, value)
        self.value = value
        self.model = model
        shift = model.matrix[:, known] @ value[known]
        self.unknown = np.flatnonzero(~known)
        a = model.matrix[:, self.unknown].tocsr()
        used = np.diff(a.indptr) > 0
        self.a = a[used]
        self.lower = (model.lower - shift)[used]
        self.upper = (model.upper - shift)[used]
        self.known_part = model.matrix[used][:, known].tocsr()
        self.known_cells = np.flatnonzero(known)
        graph = sp.bmat([[None, self.a], [self.a.T, None]]).tocsr()
        _, label = connected_components(graph, directed=False)
        self.piece = label[self.a.shape[0] :]  # per unknown
        self.row_piece = label[: self.a.shape[0]]
        self.column = np.full(model.n_cells, -1, dtype=np.int64)
        self.column[self.unknown] = np.arange(len(self.unknown))
        self.col_upper = responding[self.unknown]

    def failures(
        self, targets: np.ndarray, required: np.ndarray, truth: np.ndarray, capped: np.ndarray
    ) -> Iterator[tuple[int, float, tuple[int, ...]]]:
        """Yield (row, bound, candidate rows) for each target held below its requirement.

        ``capped`` targets (the organisation table caps them below k) must
        also not be pinned: their smallest possible count must lie below the truth.
        """
        target_col = self.column[self.model.cell_of_row[targets]]
        for t in np.flatnonzero(target_col < 0):
            # determined outright by an equation: pinned
            cell = self.model.cell_of_row[targets[t]]
            bound = float(self.value[cell])
            if bound < required[t] - TOLERANCE or capped[t]:
                holding = self.model.matrix[:, cell].nonzero()[0]
                yield targets[t], bound, self._candidates_of(holding)
        by_piece: dict[int, list[int]] = {}
        for t, col in enumerate(target_col):
            if col >= 0:
                by_piece.setdefault(int(self.piece[col]), []).append(t)
        for piece, members in sorted(by_piece.items()):
            cols = np.flatnonzero(self.piece == piece)
            prow = np.flatnonzero(self.row_piece == piece)
            local = np.searchsorted(cols, target_col[members])
            solver = _PieceSolver(
                self.a[prow][:, cols],
                self.lower[prow],
                self.upper[prow],
                self.col_upper[cols],
                local,
                required[members],
                np.where(capped[members], truth[members], np.nan),
            )
            for i, bound, binding in solver.held_below():
                yield targets[members[i]], bound, self._candidates(prow[binding])
            self.solved += solver.solved

    def _candidates_of(self, model_rows: np.ndarray) -> tuple[int, ...]:
        """Published table rows behind the given rows of the whole model."""
        return self._published_behind(np.unique(self.model.matrix[model_rows].indices))

    def _candidates(self, constraint_rows: np.ndarray) -> tuple[int, ...]:
        """Published table rows behind the constraints an upper bound rests on."""
        part = self.known_part[constraint_rows]
        return self._published_behind(self.known_cells[np.unique(part.indices)])

    def _published_behind(self, cells: np.ndarray) -> tuple[int, ...]:
        """The published figures among ``cells`` and, for a cell the attacker derived from
        an equation, the published figures of that equation (followed back to the end)."""
        found: list[int] = []
        seen: set[int] = set()
        todo = [int(c) for c in cells]
        while todo:
            cell = todo.pop()
            if cell in seen:
                continue
            seen.add(cell)
            if self.known_mask[cell] and self.row_of_cell[cell] >= 0:
                found.append(int(self.row_of_cell[cell]))
            elif self.source[cell] >= 0:
                todo += [int(c) for c in self.model.matrix[self.source[cell]].indices]
        return tuple(sorted(found))


class _PieceSolver:
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

    def held_below(self) -> Iterator[tuple[int, float, np.ndarray]]:
        """Yield (target index, its upper bound, binding rows of ``a``) per target that fails."""
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
                yield int(i), float(x[self.targets[i]]), self._binding()
        for i in np.flatnonzero(~np.isnan(self.pinnable)):  # 3. capped: not pinned either
            cost = np.zeros(len(self.cost))
            cost[self.targets[i]] = -1.0
            x = self._maximise(cost)
            if x is not None and x[self.targets[i]] >= self.pinnable[i] - TOLERANCE:
                yield int(i), float(x[self.targets[i]]), self._binding()

    def _binding(self) -> np.ndarray:
        """The rows of ``a`` with a non-zero dual in the last solution."""
        duals = np.asarray(self.h.getSolution().row_dual)[: self.rows]
        return np.flatnonzero(np.abs(duals) > TOLERANCE)

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
        return np.asarray(self.h.getSolution().col_value)
