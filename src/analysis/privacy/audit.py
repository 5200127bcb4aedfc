"""The joint disclosure audit: what an attacker combining every published number learns.

Meant to run on the final table before anything is published (see
:mod:`.protect`). Two linear systems:

counts, per measure (HiGHS through highspy): the constraints of
    :mod:`.attacker_model` -- groups with their unknown-label remainder,
    each unit's own respondents at least 0 and at most its ``invited``,
    leader reports -- with every published count of the measure fixed, and
    every count capped by the unit's (or leader's) published response count.
    Counts an equation determines outright are fixed first; the rest falls
    apart into independent pieces, each one warm HiGHS model. For every
    *sensitive* hidden cell -- resting on 1 .. k-1 respondents, or on none
    in a group that has respondents (a zero would tell that its few members
    skipped the question) -- the largest count the attacker cannot rule out
    must reach min(k, what the organisation table alone allows). A piece
    first maximises all its cells together; each cell not yet seen that
    high in some solution is then maximised alone, and one that stays below
    fails, with the published figures its bound rests on (the constraints
    with a non-zero dual) as the candidates to hide.
values, per unit and group: a composite x its answered questions = the sum of
    their question indexes. A hidden value is pinned when the published ones
    determine it (its unit vector lies in the row space of the unknowns'
    equations); a sensitive pinned value fails, with the published members
    of its equations as candidates.

Why not the means through sums as well: the sums n x value obey the same
equalities as the counts, so a sum is determined exactly where its count is;
docs/privacy.md gives the argument and its limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.linalg import null_space
from scipy.sparse.csgraph import connected_components

from analysis.catalogue import RESPONSE_RATE, question_measure
from analysis.privacy.attacker_model import CountModel, build_count_model
from analysis.privacy.figures import UnsuppressedFigures

TOLERANCE = 1e-7


@dataclass(frozen=True)
class Failure:
    """A sensitive hidden cell the attacker narrows: table row, how, and what to hide instead."""

    row: int
    kind: str  # "count" or "value"
    bound: float  # the attacker's upper bound of the count (count); the value (value)
    candidates: tuple[int, ...]  # published rows whose hiding may protect it


@dataclass
class AuditResult:
    failures: list[Failure] = field(default_factory=list)
    sensitive: int = 0
    programs: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def sensitive_cells(figures: UnsuppressedFigures, published: np.ndarray, k: int) -> np.ndarray:
    """Hidden rows that must keep their protection interval.

    1 .. k-1 respondents; or none while the same unit and group has
    respondents in another measure (a pinned zero would tell that they skipped
    this question).
    """
    table = figures.table
    n = table["n"].astype("Int64").fillna(0).to_numpy(np.int64)
    pair = pd.factorize(table["unit_id"].astype(str) + "\x1f" + table["group"].astype(str))[0]
    group_size = np.zeros(pair.max(initial=-1) + 1, dtype=np.int64)
    np.maximum.at(group_size, pair, n)
    small = (n >= 1) & (n < k)
    zero = (n == 0) & (group_size[pair] > 0)
    return ~np.asarray(published, dtype=bool) & (small | zero)


def audit_counts(
    figures: UnsuppressedFigures,
    published: np.ndarray,
    k: int,
    model: CountModel | None = None,
    measures: list[str] | None = None,
) -> AuditResult:
    """One linear program per measure over all its published counts (module docstring)."""
    model = model if model is not None else build_count_model(figures)
    table = figures.table
    published = np.asarray(published, dtype=bool)
    sensitive = sensitive_cells(figures, published, k)
    n = table["n"].astype("Int64").fillna(0).to_numpy(np.float64)
    measure = table["measure"].to_numpy()
    result = AuditResult(sensitive=int(sensitive.sum()))
    required = np.minimum(k, prior_bound(figures))
    # no measure counts more respondents than a unit's (or leader's) published response count
    responding = np.full(model.n_cells, np.inf)
    counted = np.flatnonzero((measure == RESPONSE_RATE) & published)
    responding[model.cell_of_row[counted]] = n[counted]
    for name in measures if measures is not None else pd.unique(measure):
        rows = np.flatnonzero(measure == name)
        if not sensitive[rows].any():
            continue
        program = _CountProgram(model, rows, published[rows], n[rows], k, responding)
        for row, bound, candidates in program.failures(rows[sensitive[rows]]):
            if bound < required[row] - TOLERANCE:
                result.failures.append(Failure(int(row), "count", bound, candidates))
        result.programs += program.solved
    return result


def prior_bound(figures: UnsuppressedFigures) -> np.ndarray:
    """Per row: the most respondents the organisation table alone allows (invited below it).

    A unit of three employees is known to have at most three respondents
    before anything is published; its protection interval can only reach
    that far, so the audit asks for min(k, this bound).
    """
    tree = figures.tree
    units = pd.Index(tree["unit_id"])
    parent = units.get_indexer(tree["parent_id"])
    table = figures.table
    n = table["n"].astype("Int64").fillna(0).to_numpy(np.float64)
    invited = tree["invited"].to_numpy(np.float64).copy()
    below = invited.copy()
    for u in range(len(units) - 1, 0, -1):  # pre-order reversed: children before parents
        if parent[u] >= 0:
            below[parent[u]] += below[u]
    code = units.get_indexer(table["unit_id"])
    bound = np.where(code >= 0, below[np.maximum(code, 0)], np.inf)
    mine = figures.manager_units
    if len(mine):
        per_leader = (
            pd.Series(invited[units.get_indexer(mine["unit_id"])])
            .groupby(mine["leader_id"].to_numpy())
            .sum()
        )
        leader = table["unit_id"].map(per_leader).to_numpy(np.float64)
        bound = np.where(code < 0, np.nan_to_num(leader, nan=np.inf), bound)
    return np.maximum(bound, n)  # never below the truth (invited covers respondents)


def _fix_determined(model: CountModel, known: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Fix every unknown an equation with no other unknown determines (in place).

    The attacker reads these straight off (a unit total minus its published
    groups is the unknown-label group); fixing them first lets the rest fall
    apart into small independent programs.
    """
    matrix = model.matrix
    equality = model.lower == model.upper
    source = np.full(model.n_cells, -1, dtype=np.int64)  # the equation that fixed a cell
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
        k: int,
        responding: np.ndarray,
    ):
        self.k = k
        self.solved = 0
        known = np.ones(model.n_cells, dtype=bool)
        value = np.zeros(model.n_cells)  # a unit and group without a row: known to be empty
        known[model.tree_cells :] = False  # every leader has rows; set below
        unknown_label = model.unknown_label
        known[unknown_label] = False
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
        self.cell_of_row = model.cell_of_row
        self.col_upper = responding[self.unknown]

    def failures(self, targets: np.ndarray):
        """Yield (row, upper bound, candidate rows) for each target count held below k.

        Per piece, one HiGHS model: first maximise all its targets together,
        then each target not yet seen at k or more in some solution on its
        own (a warm re-solve with another objective). Every solution is a
        point the attacker cannot rule out, so any target at k or more in it
        is certified on the way.
        """
        k = self.k
        target_col = self.column[self.cell_of_row[targets]]
        for t in np.flatnonzero(target_col < 0):
            # determined outright by an equation: pinned
            cell = self.cell_of_row[targets[t]]
            bound = float(self.value[cell])
            if bound < k - TOLERANCE:
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
                self.a[prow][:, cols], self.lower[prow], self.upper[prow], self.col_upper[cols]
            )
            x = solver.maximise(local)
            self.solved += 1
            certified = np.ones(len(members), bool) if x is None else x[local] >= k - TOLERANCE
            for i in range(len(members)):
                if certified[i]:
                    continue
                x = solver.maximise(local[i : i + 1])
                self.solved += 1
                if x is None:  # unbounded: nothing holds it
                    certified[i] = True
                    continue
                certified |= x[local] >= k - TOLERANCE
                if not certified[i]:
                    binding = prow[np.abs(solver.row_duals()) > TOLERANCE]
                    yield targets[members[i]], float(x[local[i]]), self._candidates(binding)

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
    """One piece's program in HiGHS, re-solved warm with each new objective."""

    def __init__(
        self, a: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray, col_upper: np.ndarray
    ):
        csc = a.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = csc.shape[1], csc.shape[0]
        lp.col_cost_ = np.zeros(csc.shape[1])
        lp.col_lower_ = np.zeros(csc.shape[1])
        lp.col_upper_ = np.asarray(col_upper, np.float64)
        lp.row_lower_ = np.asarray(lower, np.float64)
        lp.row_upper_ = np.asarray(upper, np.float64)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr
        lp.a_matrix_.index_ = csc.indices
        lp.a_matrix_.value_ = csc.data
        lp.sense_ = highspy.ObjSense.kMaximize
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.passModel(lp)
        self.cost = np.zeros(csc.shape[1])

    def maximise(self, columns: np.ndarray) -> np.ndarray | None:
        """Maximise the sum of ``columns``: the solution, or None when unbounded."""
        cost = np.zeros(len(self.cost))
        cost[columns] = 1.0
        changed = np.flatnonzero(cost != self.cost).astype(np.int32)
        if len(changed):
            self.h.changeColsCost(len(changed), changed, cost[changed])
        self.cost = cost
        self.h.run()
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kUnbounded:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(
                "disclosure audit: the attacker's program failed: "
                + self.h.modelStatusToString(status)
            )
        return np.asarray(self.h.getSolution().col_value)

    def row_duals(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().row_dual)


def audit_values(figures: UnsuppressedFigures, published: np.ndarray, k: int) -> AuditResult:
    """Per unit and group: composites against their questions (module docstring)."""
    table = figures.table
    published = np.asarray(published, dtype=bool)
    sensitive = sensitive_cells(figures, published, k)
    n = table["n"].astype("Int64").fillna(0).to_numpy(np.int64)
    cell, _ = pd.factorize(table["unit_id"].astype(str) + "\x1f" + table["group"].astype(str))
    measures = list(figures.composites) + sorted(
        {question_measure(q) for ids in figures.composites.values() for q in ids}
    )
    column = {m: j for j, m in enumerate(measures)}
    j = table["measure"].map(column).to_numpy()
    on = ~pd.isna(j)
    grid = np.full((cell.max(initial=-1) + 1, len(measures)), -1, dtype=np.int64)
    grid[cell[on], j[on].astype(np.int64)] = np.flatnonzero(on)
    result = AuditResult(sensitive=int(sensitive.sum()))
    composite_parts = [
        [column[question_measure(q)] for q in ids] for ids in figures.composites.values()
    ]
    patterns: dict[bytes, list[int]] = {}
    for c in range(len(grid)):
        rows = grid[c]
        if not (rows >= 0).any():
            continue
        hidden = (rows >= 0) & ~published[np.maximum(rows, 0)]
        if not (hidden & sensitive[np.maximum(rows, 0)]).any():
            continue
        answered = (rows >= 0) & (n[np.maximum(rows, 0)] > 0)
        patterns.setdefault(np.concatenate([hidden, answered]).tobytes(), []).append(c)
    for key, cells in patterns.items():
        mask = np.frombuffer(key, dtype=bool)
        hidden, answered = mask[: len(measures)], mask[len(measures) :]
        equations = []
        for composite, parts in enumerate(composite_parts):
            used = [p for p in parts if answered[p]]
            if not answered[composite] or not used:
                continue
            coeff = np.zeros(len(measures))
            coeff[composite] = len(used)
            coeff[used] -= 1.0
            equations.append(coeff)
        if not equations:
            continue
        system = np.array(equations)
        unknown = np.flatnonzero(hidden & answered)
        if not len(unknown):
            continue
        free = null_space(system[:, unknown])
        pinned = unknown[np.abs(free).max(axis=1, initial=0.0) < 1e-9]
        if not len(pinned):
            continue
        for c in cells:
            rows = grid[c]
            for p in pinned:
                row = rows[p]
                if not sensitive[row]:
                    continue
                # the published members of its own equations first, then of the others
                touching = np.abs(system[:, p]) > 0
                near = np.flatnonzero((np.abs(system[touching]) > 0).any(axis=0))
                far = np.flatnonzero((np.abs(system[~touching]) > 0).any(axis=0))
                members = [*near, *(q for q in far if q not in set(near))]
                candidates = tuple(int(rows[q]) for q in members if published[rows[q]])
                result.failures.append(Failure(int(row), "value", float("nan"), candidates))
    return result


def audit(
    figures: UnsuppressedFigures, published: np.ndarray, k: int, model: CountModel | None = None
) -> AuditResult:
    """Both systems over every measure; the values' failures first."""
    values = audit_values(figures, published, k)
    counts = audit_counts(figures, published, k, model)
    return AuditResult(
        failures=values.failures + counts.failures,
        sensitive=counts.sensitive,
        programs=counts.programs,
    )
