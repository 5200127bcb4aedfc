"""The counts' audit: one linear program per measure over every published count.

The constraints are :mod:`.attacker_model`'s -- groups with their
unknown-label remainder, each unit's own respondents at least 0 and at most
its ``invited``, leader reports, and every unit's own respondents within
those who answered the survey -- with every published count of the measure
and every published response count fixed. Counts an equation determines
outright are fixed first; the rest falls apart into independent pieces,
each one warm HiGHS model (highspy). The measures run side by side in
``THREADS`` threads, their failures collected in a fixed order.

For every sensitive hidden cell (:func:`.targets.small_or_empty`) and every
sensitive group that is never published (:func:`.targets.never_published_targets`)
the largest count the attacker cannot rule out must reach min(k, what the
organisation table alone allows). Each piece is asked, in order:

1. maximise the sum over its targets of min(count, required) -- one solve
   that lifts as many targets as far as they can go *together* (a target
   capped at its requirement cannot absorb the slack the others need);
   repeated for the targets not yet lifted while that certifies more; then,
   in a large piece, the same for halves of the targets left, so that two
   targets competing for the same slack are lifted apart;
2. maximise each remaining target alone; one that stays below fails, with
   the published figures its bound rests on (the constraints with a non-zero
   dual, followed back through the equations that derived them, and the
   published response counts that cap it) as the candidates to hide;
3. a target the organisation table caps below k must not be pinned: its
   smallest possible count must lie below the truth (any solution seen so
   far may show it; the rest are pushed down together, then alone).

Every solution is a point the attacker cannot rule out, so any target at its
requirement in it is certified on the way.

Hiding more figures only widens what the attacker cannot rule out (a fixed
count becomes free, a cap disappears), so a solution that certified a
target stays a valid witness after any further suppression: a repair round
(:mod:`.protect`) re-checks only the targets that failed (``only``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from analysis.core.catalogue import RESPONSE_RATE
from analysis.privacy.attacker_model import CountModel, build_count_model
from analysis.privacy.figures import UnsuppressedFigures
from analysis.privacy.piece_solver import PieceSolver
from analysis.privacy.relations import ranges
from analysis.privacy.targets import (
    TOLERANCE,
    AuditResult,
    Failure,
    never_published_targets,
    prior_bound,
    small_or_empty,
)

#: measures audited side by side (HiGHS solves outside Python's lock)
THREADS = max(1, min(2, len(os.sched_getaffinity(0))))


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
        self.unit_id = table["unit_id"].to_numpy()
        # small or empty cells: hidden by the threshold whatever else is published
        self.small = small_or_empty(figures, k)
        self.required = np.minimum(k, prior_bound(figures))
        self.k = k
        self.hidden_groups = never_published_targets(figures, self.model, k)
        self.answered = np.flatnonzero(self.model.answered_cell >= 0)
        # each measure's rows, found once (a repair round looks at many measures)
        order = np.argsort(self.measure, kind="stable")
        names, starts = np.unique(self.measure[order], return_index=True)
        self.rows_of = dict(zip(names, np.split(order, starts[1:]), strict=True))
        # derived_questions per measure, kept while its published counts stay the same
        self.derived_cache: dict[str, tuple[bytes, dict[int, tuple[int, ...]]]] = {}

    def run(self, published: np.ndarray, only: np.ndarray | None = None) -> AuditResult:
        """The failures of ``published``; ``only``: the rows to re-check.

        A failure's ``row`` is a table row, or ``-1 - i`` for the i-th of
        :attr:`hidden_groups` (a group that is never published).
        """
        published = np.asarray(published, dtype=bool)
        sensitive = self.small & ~published
        groups = self.hidden_groups
        result = AuditResult(sensitive=int(sensitive.sum()) + len(groups.cell))
        checked = np.ones(len(groups.cell), dtype=bool)
        if only is not None:
            only = np.asarray(only, dtype=np.int64)
            sensitive &= np.isin(np.arange(len(sensitive)), only)
            checked = np.isin(np.arange(len(groups.cell)), -1 - only[only < 0])
        model, n, measure = self.model, self.n, self.measure
        # no measure counts more respondents than a unit's (or leader's) published response count
        responding = np.full(model.n_cells, np.inf)
        counted = np.flatnonzero((measure == RESPONSE_RATE) & published)
        responding[model.cell_of_row[counted]] = n[counted]
        responding_row = np.full(model.n_cells, -1, dtype=np.int64)
        responding_row[model.cell_of_row[counted]] = counted
        names = pd.unique(np.concatenate([measure[sensitive], groups.measure[checked]]))

        def one_measure(name: str) -> tuple[list[Failure], int]:
            rows = self.rows_of[name]
            program = _CountProgram(
                model, rows, self.answered, published, n, responding, responding_row
            )
            targets = rows[sensitive[rows]]
            extra = np.flatnonzero(checked & (groups.measure == name))
            ids = np.concatenate([targets, -1 - extra])
            cells = np.concatenate([model.cell_of_row[targets], groups.cell[extra]])
            required = np.concatenate([self.required[targets], groups.required[extra]])
            truth = np.concatenate([n[targets], groups.truth[extra]])
            # the organisation table caps it below k: then it must not be pinned either
            capped = (required < self.k) & (truth > 0)
            failures = []
            for row, bound, candidates in program.failures(cells, ids, required, truth, capped):
                unit_id = self.unit_id[row] if row >= 0 else groups.unit_id[-1 - row]
                failures.append(Failure(int(row), "count", bound, candidates, unit_id))
            return failures, program.solved

        # HiGHS releases the GIL: the measures' programs run side by side, in a fixed order
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            for failures, solved in pool.map(one_measure, names):
                result.failures += failures
                result.programs += solved
        return result


def derived_questions(audit: CountAudit, published: np.ndarray) -> dict[int, tuple[int, ...]]:
    """Hidden question rows whose count an equation chain determines -> the published rows
    behind the chain.

    A question index is a mean over respondents, so its sum n x value obeys the
    same equations as its count: where the count is determined, so is the
    value. (A composite's value is a mean of question indexes and is not.)
    """
    published = np.asarray(published, dtype=bool)
    model, measure, n = audit.model, audit.measure, audit.n
    no_cap = np.full(model.n_cells, np.inf)
    no_row = np.full(model.n_cells, -1, dtype=np.int64)
    found: dict[int, tuple[int, ...]] = {}
    for name in pd.unique(measure[~published & (n > 0)]):
        if not str(name).startswith("q:"):
            continue
        rows = audit.rows_of[name]
        # the measure's program depends only on its own and the response counts' publication
        key = published[rows].tobytes() + published[audit.answered].tobytes()
        cached = audit.derived_cache.get(name)
        if cached is None or cached[0] != key:
            program = _CountProgram(model, rows, audit.answered, published, n, no_cap, no_row)
            cells = model.cell_of_row[rows]
            derived = (program.column[cells] < 0) & ~published[rows] & (n[rows] > 0)
            cached = (
                key,
                {
                    int(row): program._published_behind(np.array([cell]))
                    for row, cell in zip(rows[derived], cells[derived], strict=True)
                },
            )
            audit.derived_cache[name] = cached
        found.update(cached[1])
    return found


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
        answered: np.ndarray,
        published: np.ndarray,
        n: np.ndarray,
        responding: np.ndarray,
        responding_row: np.ndarray,
    ):
        self.solved = 0
        known = np.ones(model.n_cells, dtype=bool)
        value = np.zeros(model.n_cells)  # a unit and group without a row: known to be empty
        known[model.tree_cells :] = False  # every leader has rows; set below
        known[model.unknown_label] = False
        self.row_of_cell = np.full(model.n_cells, -1, dtype=np.int64)
        # the measure's counts, and the response counts beside them (every measure's own
        # respondents stay within those who answered the survey)
        for cells, at in (
            (model.cell_of_row[rows], rows),
            (model.answered_cell[answered], answered),
        ):
            known[cells] = published[at]
            value[cells] = np.where(published[at], n[at], 0.0)
            self.row_of_cell[cells] = at
        self.known_mask = known.copy()  # published (before anything is derived)
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
        pieces, label = connected_components(graph, directed=False)
        self.piece = label[self.a.shape[0] :]  # per unknown
        self.row_piece = label[: self.a.shape[0]]
        # each piece's rows and unknowns as one block (in their order), its matrix a slice
        self.piece_rows = np.argsort(self.row_piece, kind="stable")
        self.piece_cols = np.argsort(self.piece, kind="stable")
        self.row_start = np.searchsorted(self.row_piece[self.piece_rows], np.arange(pieces + 1))
        self.col_start = np.searchsorted(self.piece[self.piece_cols], np.arange(pieces + 1))
        self.local_col = np.empty(len(self.piece), dtype=np.int64)  # unknown -> place in piece
        self.local_col[self.piece_cols] = (
            np.arange(len(self.piece)) - self.col_start[self.piece[self.piece_cols]]
        )
        self.sorted_a = self.a[self.piece_rows]
        self.column = np.full(model.n_cells, -1, dtype=np.int64)
        self.column[self.unknown] = np.arange(len(self.unknown))
        self.col_upper = responding[self.unknown]
        # the published response count behind each unknown's cap (-1: uncapped)
        self.cap_row = responding_row[self.unknown]

    def failures(
        self,
        cells: np.ndarray,
        targets: np.ndarray,
        required: np.ndarray,
        truth: np.ndarray,
        capped: np.ndarray,
    ) -> Iterator[tuple[int, float, tuple[int, ...]]]:
        """Yield (target, bound, candidate rows) for each target cell held below its requirement.

        ``capped`` targets (the organisation table caps them below k) must
        also not be pinned: their smallest possible count must lie below the truth.
        """
        target_col = self.column[cells]
        for t in np.flatnonzero(target_col < 0):
            # determined outright by an equation: pinned
            cell = cells[t]
            bound = float(self.value[cell])
            if bound < required[t] - TOLERANCE or capped[t]:
                holding = self.model.matrix[:, cell].nonzero()[0]
                yield targets[t], bound, self._candidates_of(holding)
        by_piece: dict[int, list[int]] = {}
        for t, col in enumerate(target_col):
            if col >= 0:
                by_piece.setdefault(int(self.piece[col]), []).append(t)
        for piece, members in sorted(by_piece.items()):
            cols = self.piece_cols[self.col_start[piece] : self.col_start[piece + 1]]
            first, end = self.row_start[piece], self.row_start[piece + 1]
            prow = self.piece_rows[first:end]
            solver = PieceSolver(
                self._piece_matrix(first, end, len(cols)),
                self.lower[prow],
                self.upper[prow],
                self.col_upper[cols],
                self.local_col[target_col[members]],
                required[members],
                np.where(capped[members], truth[members], np.nan),
            )
            for i, bound, binding, capping in solver.held_below():
                caps = self.cap_row[cols[capping]]
                candidates = sorted({*self._candidates(prow[binding]), *caps[caps >= 0].tolist()})
                yield targets[members[i]], bound, tuple(candidates)
            self.solved += solver.solved

    def _piece_matrix(self, first: int, end: int, width: int) -> sp.csr_matrix:
        """Rows ``first:end`` of the piece-ordered matrix, over their piece's unknowns."""
        ptr = self.sorted_a.indptr[first : end + 1]
        at = slice(ptr[0], ptr[-1])
        return sp.csr_matrix(
            (self.sorted_a.data[at], self.local_col[self.sorted_a.indices[at]], ptr - ptr[0]),
            shape=(end - first, width),
        )

    def _candidates_of(self, model_rows: np.ndarray) -> tuple[int, ...]:
        """Published table rows behind the given rows of the whole model."""
        return self._published_behind(np.unique(self.model.matrix[model_rows].indices))

    def _candidates(self, constraint_rows: np.ndarray) -> tuple[int, ...]:
        """Published table rows behind the constraints an upper bound rests on."""
        part = self.known_part
        at = ranges(part.indptr[constraint_rows], part.indptr[constraint_rows + 1])
        return self._published_behind(self.known_cells[np.unique(part.indices[at])])

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
