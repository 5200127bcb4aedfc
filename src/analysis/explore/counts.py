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
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.optimize import OptimizeResult, linprog

from analysis.explore.state import TOLERANCE, State, published

#: candidates tried per kind of repair (each costs one small linear program)
TRIED = 8


@dataclass(frozen=True)
class Program:
    """One measure's counts as the attacker sees them: x (answers), then r (respondents)."""

    size: int
    a_ub: sp.csr_matrix
    b_ub: np.ndarray
    a_eq: sp.csr_matrix | None
    b_eq: np.ndarray | None
    bounds: list[tuple[float, float | None]]


def program(state: State, m: int) -> Program:
    """x_a: the atom's answers in measure ``m`` (fixed where shown); r_a: its respondents."""
    cells = state.cells
    atoms = len(cells.codes)
    floor = np.where(state.shown, state.n, 0).max(axis=1)
    bounds: list[tuple[float, float | None]] = [
        (float(state.n[a, m]),) * 2 if state.shown[a, m] else (0.0, None) for a in range(atoms)
    ]
    bounds += [(float(floor[a]), None) for a in range(atoms)]
    members = sp.csr_matrix(cells.members.astype(np.float64))
    none = sp.csr_matrix((members.shape[0], atoms))
    eye = sp.identity(atoms, format="csr")
    # x_a <= r_a; every published group holds at least as many respondents as it counts
    most = np.nanmax(np.where(np.isnan(cells.margin_n), 0.0, cells.margin_n), axis=1)
    a_ub = sp.vstack([sp.hstack([eye, -eye]), sp.hstack([none, -members])], format="csr")
    b_ub = np.concatenate([np.zeros(atoms), -most])
    rows = published(cells, m)
    a_eq = [sp.hstack([members[rows], none[rows]])]
    b_eq = [cells.margin_n[rows, m]]
    if not np.isnan(cells.responded):
        a_eq.append(sp.hstack([sp.csr_matrix((1, atoms)), np.ones((1, atoms))]))
        b_eq.append(np.array([cells.responded]))
    a_eq_all = sp.vstack(a_eq, format="csr")
    if a_eq_all.shape[0] == 0:
        return Program(2 * atoms, a_ub, b_ub, None, None, bounds)
    return Program(2 * atoms, a_ub, b_ub, a_eq_all, np.concatenate(b_eq), bounds)


def solve(prog: Program, cost: np.ndarray) -> OptimizeResult:
    """Minimise ``cost`` over the attacker's program (HiGHS)."""
    return linprog(
        cost,
        A_ub=prog.a_ub,
        b_ub=prog.b_ub,
        A_eq=prog.a_eq,
        b_eq=prog.b_eq,
        bounds=prog.bounds,
        method="highs",
    )


def highest(prog: Program, target: int) -> tuple[float, OptimizeResult]:
    """The most answers the attacker cannot rule out for ``target`` (inf when unbounded)."""
    cost = np.zeros(prog.size)
    cost[target] = -1.0
    result = solve(prog, cost)
    if result.status == 3:
        return np.inf, result
    if result.status != 0:
        raise RuntimeError(
            f"breakdown protection: the attacker's program failed ({result.message}); "
            "the respondent rows and the published figures disagree"
        )
    return -result.fun, result


def pinned(state: State, atom: int, m: int) -> bool:
    """Whether the attacker's program fixes ``atom``'s count in measure ``m`` exactly."""
    prog = program(state, m)
    high = highest(prog, atom)[0]
    cost = np.zeros(prog.size)
    cost[atom] = 1.0
    low = solve(prog, cost)
    return low.status == 0 and high - low.fun < TOLERANCE


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
    # first lift every target towards k at once: z_t <= x_t, z_t <= k, maximise the z
    t = len(targets)
    lift = sp.csr_matrix((np.ones(t), (np.arange(t), targets)), shape=(t, prog.size))
    joint = Program(
        prog.size + t,
        sp.vstack(
            [
                sp.hstack([prog.a_ub, sp.csr_matrix((prog.a_ub.shape[0], t))]),
                sp.hstack([-lift, sp.identity(t)]),
            ],
            format="csr",
        ),
        np.concatenate([prog.b_ub, np.zeros(t)]),
        None
        if prog.a_eq is None
        else sp.hstack([prog.a_eq, sp.csr_matrix((prog.a_eq.shape[0], t))], format="csr"),
        prog.b_eq,
        [*prog.bounds, *[(0.0, float(state.k))] * t],
    )
    lifted = solve(joint, np.concatenate([np.zeros(prog.size), -np.ones(t)]))
    if lifted.status != 0:
        raise RuntimeError(f"breakdown protection: the attacker's program: {lifted.message}")
    for target in targets[lifted.x[prog.size :] < state.k - TOLERANCE]:
        bound, result = highest(prog, target)
        if bound < state.k - TOLERANCE:
            return _choose(state, m, target, prog, result)
    return None


def _choose(
    state: State, m: int, target: int, prog: Program, result: OptimizeResult
) -> tuple[int, int | None]:
    """The smallest cell whose hiding lifts ``target`` to k, else the one that lifts it most.

    Tried in order: shown cells whose count the bound rests on (the solver's
    marginals), shown cells of the same published equations, atoms whose
    respondents a shown count fixes (hidden in every measure), any shown cell.
    """
    atoms = len(state.cells.codes)
    binding = (np.abs(result.lower.marginals) + np.abs(result.upper.marginals)) > TOLERANCE
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
            bound = highest(_without(state, prog, atom, scope), target)[0]
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
    bounds = list(prog.bounds)
    bounds[atom] = (0.0, None)
    still = state.shown[atom].copy()
    still[slice(None) if scope is None else scope] = False
    bounds[atoms + atom] = (float(np.where(still, state.n[atom], 0).max()), None)
    return replace(prog, bounds=bounds)
