"""The attacker of an ad-hoc breakdown's counts: a linear program per measure, and its repair.

Per measure, the attacker knows the shown cells' answers, the subtree's
published figures the atoms add up to (its total and the groups of the
chosen variables), and about respondents: no atom has fewer respondents than
answers in any measure, nor fewer than any measure shows for it; no
published group has fewer respondents than any of its published figures
counts; and they add up to the subtree's published respondent count. That
is the published figures' own model of an attacker (``analysis.privacy.
attacker_model``), written on the breakdown's atoms. A hidden sensitive atom
must be able to hold k answers in some solution; where it cannot, a shown
cell is hidden: the smallest whose hiding lifts it to k.

The programs are solved by the published figures' own solver
(:class:`analysis.privacy.piece_solver.PieceSolver`): the targets lifted
together, then one at a time, and what a bound rests on read from its duals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from analysis.explore.state import TOLERANCE, State, published
from analysis.privacy.piece_solver import PieceSolver, ProgramFailed

#: candidates tried per kind of repair (each costs one small linear program)
TRIED = 8


@dataclass(frozen=True)
class Program:
    """One measure's counts as the attacker sees them: x (answers), then r (respondents).

    ``lower <= a @ (x, r) <= upper`` and ``col_lower <= (x, r) <= col_upper``.
    """

    a: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray

    def solver(self, targets: Sequence[int], required: float) -> PieceSolver:
        """The program in HiGHS, asked whether each of ``targets`` can hold ``required``."""
        t = len(targets)
        return PieceSolver(
            self.a,
            self.lower,
            self.upper,
            self.col_upper,
            np.asarray(targets, dtype=np.int64),
            np.full(t, float(required)),
            np.full(t, np.nan),  # nothing here must stay unpinned: no target is capped below k
            col_lower=self.col_lower,
        )


def program(state: State, m: int) -> Program:
    """x_a: the atom's answers in measure ``m`` (fixed where shown); r_a: its respondents."""
    cells = state.cells
    atoms = len(cells.codes)
    floor = np.where(state.shown, state.n, 0).max(axis=1)
    fixed = np.where(state.shown[:, m], state.n[:, m], 0).astype(np.float64)
    col_lower = np.concatenate([fixed, floor.astype(np.float64)])
    col_upper = np.concatenate([np.where(state.shown[:, m], fixed, np.inf), np.full(atoms, np.inf)])
    members = sp.csr_matrix(cells.members.astype(np.float64))
    none = sp.csr_matrix((members.shape[0], atoms))
    eye = sp.identity(atoms, format="csr")
    # x_a <= r_a; every published group holds at least as many respondents as it counts
    most = np.nanmax(np.where(np.isnan(cells.margin_n), 0.0, cells.margin_n), axis=1)
    rows = published(cells, m)
    blocks = [
        sp.hstack([eye, -eye]),
        sp.hstack([none, members]),
        sp.hstack([members[rows], none[rows]]),
    ]
    lower = [np.full(atoms, -np.inf), most, cells.margin_n[rows, m]]
    upper = [np.zeros(atoms), np.full(len(most), np.inf), cells.margin_n[rows, m]]
    if not np.isnan(cells.responded):  # the subtree's published respondents
        blocks.append(sp.hstack([sp.csr_matrix((1, atoms)), np.ones((1, atoms))]))
        lower.append(np.array([cells.responded]))
        upper.append(np.array([cells.responded]))
    return Program(
        sp.vstack(blocks, format="csr"),
        np.concatenate(lower),
        np.concatenate(upper),
        col_lower,
        col_upper,
    )


def _first_failure(solver: PieceSolver) -> tuple[int, float, np.ndarray] | None:
    """The first target held below its requirement: (its index, its bound, the counts its
    bound rests on: shown answers and respondents' floors); None when every one is proven."""
    try:
        failure = next(solver.held_below(), None)
    except ProgramFailed as error:
        raise _disagree(error) from error
    return None if failure is None else (failure[0], failure[1], failure[3])


def highest(prog: Program, target: int, k: int) -> float:
    """The most answers the attacker cannot rule out for ``target``; inf once it reaches k."""
    failure = _first_failure(prog.solver([target], k))
    return np.inf if failure is None else failure[1]


def pinned(state: State, atom: int, m: int) -> bool:
    """Whether the attacker's program fixes ``atom``'s count in measure ``m`` exactly."""
    try:
        low, high = program(state, m).solver([atom], 0.0).extent(0)
    except ProgramFailed as error:
        raise _disagree(error) from error
    return high - low < TOLERANCE


def _disagree(error: ProgramFailed) -> RuntimeError:
    return RuntimeError(
        f"breakdown protection: the attacker's program failed ({error.status}); "
        "the respondent rows and the published figures disagree"
    )


def repair_counts(state: State) -> None:
    """Measure by measure, hide a cell for each target held below k until none is.

    Hiding only relaxes what the attacker knows, so a measure proven stays
    proven while the later ones are repaired.
    """
    for m in range(len(state.cells.measures)):
        while (repair := _count_repair(state, m)) is not None:
            atom, scope = repair
            state.hide(atom, slice(None) if scope is None else m)
            state.repaired()


def _count_repair(state: State, m: int) -> tuple[int, int | None] | None:
    """The cell to hide for the first target held below k (in measure ``m``, or None for
    every measure), or None when every target of the measure is proven."""
    targets = state.targets(m)
    if not len(targets) or not state.shown.any():
        return None  # nothing to protect, or a table that tells no more than the published
    prog = program(state, m)
    # the targets lifted towards k together, then each left alone, in order
    failure = _first_failure(prog.solver(targets, state.k))
    if failure is None:
        return None
    i, _, resting = failure
    return _choose(state, m, int(targets[i]), prog, resting)


def _choose(
    state: State, m: int, target: int, prog: Program, resting: np.ndarray
) -> tuple[int, int | None]:
    """The smallest cell whose hiding lifts ``target`` to k, else the one that lifts it most.

    Tried in order: shown cells whose count the bound rests on (``resting``:
    the columns, x then r, with a non-zero dual), shown cells of the same
    published equations, atoms whose respondents a shown count fixes (hidden
    in every measure), any shown cell.
    """
    atoms = len(state.cells.codes)
    binding = np.zeros(2 * atoms, dtype=bool)
    binding[resting] = True
    shown_m, shown_any = state.shown[:, m], state.shown.any(axis=1)
    around = state.cells.members[published(state.cells, m)]
    near = around[around[:, target]].any(axis=0) if len(around) else np.zeros(atoms, bool)
    pools = (
        (binding[:atoms] & shown_m, m),
        (near & shown_m, m),
        (binding[atoms:] & shown_any, None),
        (shown_m, m),
        (shown_any, None),
    )
    best: tuple[float, int, int | None] | None = None
    for mask, scope in pools:
        for atom in state.by_size(np.flatnonzero(mask), scope)[:TRIED]:
            bound = highest(_without(state, prog, atom, scope), target, state.k)
            if bound >= state.k - TOLERANCE:
                return atom, scope
            if best is None or bound > best[0] + TOLERANCE:
                best = (bound, atom, scope)
    if best is None:  # unreachable: some cell is shown (checked before)
        raise RuntimeError("breakdown protection: a cell fails with nothing shown to hide")
    return best[1], best[2]


def _without(state: State, prog: Program, atom: int, scope: int | None) -> Program:
    """The program once ``atom`` is hidden in measure ``scope`` (None: in every measure)."""
    atoms = len(state.cells.codes)
    col_lower, col_upper = prog.col_lower.copy(), prog.col_upper.copy()
    col_lower[atom], col_upper[atom] = 0.0, np.inf
    still = state.shown[atom].copy()
    still[slice(None) if scope is None else scope] = False
    col_lower[atoms + atom] = float(np.where(still, state.n[atom], 0).max())
    return replace(prog, col_lower=col_lower, col_upper=col_upper)
