"""A composite's value against its questions' values in the same cell: none may give away another.

A composite is the unweighted mean of its answered questions' indexes
(contract §3), in a breakdown's cell as in a unit. So where a composite's
value is shown beside all but one of its questions, the last one follows:
a small cell's hidden question value would be pinned although its count is
not. Per cell, the attacker knows the shown values and those of hidden
questions whose count :mod:`analysis.explore.counts` pins (a pinned count
pins the sum, and with it the value); a hidden value of 1 .. k-1 answers
must stay undetermined, else one more value of the cell is hidden.
"""

from __future__ import annotations

import numpy as np

from analysis.explore.counts import pinned
from analysis.explore.state import State


def repair_values(state: State) -> None:
    """Hide, cell by cell, one value more wherever a small cell's value is determined."""
    cells = state.cells
    while True:
        repairs = [(a, m) for a in np.flatnonzero(cells.cell) if (m := _repair(state, a)) >= 0]
        if not repairs:
            return
        for atom, measure in repairs:
            state.hide(atom, measure)
            state.repaired()


def _equations(state: State, a: int) -> np.ndarray:
    """Atom ``a``'s composites as rows: |answered questions| x composite - their sum = 0."""
    cells, n = state.cells, state.n[a]
    rows = []
    for composite, questions in cells.composites.items():
        answered = [q for q in questions if n[q] > 0]
        if n[composite] > 0 and answered:
            row = np.zeros(len(cells.measures))
            row[composite] = len(answered)
            row[answered] = -1.0
            rows.append(row)
    return np.array(rows).reshape(len(rows), len(cells.measures))


def _free(system: np.ndarray, unknown: np.ndarray, target: int) -> bool:
    """Whether the equations leave ``target`` undetermined (it is no combination of them)."""
    sub = system[:, unknown]
    probe = np.vstack([sub, (unknown == target).astype(np.float64)])
    return np.linalg.matrix_rank(probe) > (np.linalg.matrix_rank(sub) if sub.size else 0)


def _repair(state: State, a: int) -> int:
    """The measure to hide in atom ``a`` so that a determined small value is freed (-1: none).

    The cheapest shown value of the cell's equations (fewest answers, then
    the first) whose hiding frees it; where none does alone, the first
    composite whose equation holds an unknown value, which takes that
    equation's knowledge away.
    """
    cells, n, k = state.cells, state.n[a], state.k
    targets = [m for m in range(len(cells.measures)) if not state.shown[a, m] and 1 <= n[m] < k]
    system = _equations(state, a)
    if not targets or not len(system):
        return -1
    known = state.shown[a].copy()
    questions = np.array([m not in cells.composites for m in range(len(cells.measures))])
    derived = [m for m in np.flatnonzero(~known & (n >= k) & questions) if pinned(state, a, m)]
    known[derived] = True

    def unknown(extra: int = -1) -> np.ndarray:
        free = ~known & (n > 0)
        if extra >= 0:
            free[extra] = True
        return np.flatnonzero(free)

    in_equations = (system != 0).any(axis=0)
    pool = sorted(np.flatnonzero(in_equations & state.shown[a]), key=lambda m: (n[m], m))
    for target in targets:
        if _free(system, unknown(), target):
            continue
        for m in pool:
            if _free(system, unknown(m), target):
                return int(m)
        open_rows = (system[:, unknown()] != 0).any(axis=1)
        holding = [m for m in pool if not questions[m] and (system[open_rows, m] != 0).any()]
        if holding or pool:
            return int((holding or pool)[0])
        raise RuntimeError(
            f"breakdown protection: a value of {cells.measures[target]} is determined by "
            "pinned counts alone"
        )
    return -1
