"""The decision a breakdown's protection builds up: which cells are shown, and why not.

Every step of :mod:`analysis.explore.protection` only ever hides more, through
:meth:`State.hide`; so a step proven once stays proven while later ones work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.core.contract import COMPLEMENTARY, THRESHOLD
from analysis.explore.cells import BreakdownCells

#: a bound within this of k counts as reaching it (the solver's feasibility tolerance)
TOLERANCE = 1e-6
#: repairs before giving up (each hides at least one cell)
MAX_REPAIRS = 5000


@dataclass(frozen=True)
class Decision:
    """What a breakdown shows: per atom and measure, shown or why not."""

    shown: np.ndarray  # (atoms, measures) bool
    reason: np.ndarray  # (atoms, measures) object: "", THRESHOLD or COMPLEMENTARY
    repairs: int  # cells hidden by the proof's repairs


class State:
    """The status being decided: the threshold applied, then whatever the steps hide.

    ``sensitive`` marks what must keep its protection once hidden: 1 .. k-1
    answers, or none from an atom that has respondents (a zero would tell
    that its few members all skipped the question) -- the published figures'
    rule (``analysis.privacy.targets``), for atoms of the unknown label too.
    """

    def __init__(self, cells: BreakdownCells, k: int) -> None:
        self.cells = cells
        self.k = k
        self.n = cells.n
        cell = cells.cell[:, None]
        self.shown = cell & (cells.n >= k)
        self.reason = np.where(cell & ~self.shown, THRESHOLD, "").astype(object)
        self.sensitive = ((cells.n >= 1) & (cells.n < k)) | (
            (cells.n == 0) & (cells.respondents[:, None] > 0)
        )
        self.repairs = 0

    def hide(self, atoms: np.ndarray | int | slice, measures: np.ndarray | int | slice) -> None:
        """Hide shown cells (``complementary``: they rest on enough answers themselves)."""
        mask = np.zeros_like(self.shown)
        mask[atoms, measures] = True
        mask &= self.shown
        self.shown[mask] = False
        self.reason[mask] = COMPLEMENTARY

    def repaired(self) -> None:
        self.repairs += 1
        if self.repairs > MAX_REPAIRS:
            raise RuntimeError("breakdown protection: still failing after many repairs")

    def by_size(self, atoms: np.ndarray, measure: int | None) -> list[int]:
        """Candidates to hide, smallest first: fewest respondents, fewest answers, the first."""
        atoms = np.asarray(atoms, dtype=np.int64)
        answers = self.n[atoms, measure] if measure is not None else self.n[atoms].max(axis=1)
        return [int(a) for a in atoms[np.lexsort((atoms, answers, self.cells.respondents[atoms]))]]

    def targets(self, measure: int) -> np.ndarray:
        """The hidden sensitive atoms of a measure: what the attacker must not narrow."""
        return np.flatnonzero(self.sensitive[:, measure] & ~self.shown[:, measure])

    def decision(self) -> Decision:
        return Decision(self.shown.copy(), self.reason.copy(), self.repairs)


def published(cells: BreakdownCells, measure: int) -> np.ndarray:
    """The published figures (rows of ``cells.members``) of a measure: the known equations."""
    return np.flatnonzero(~np.isnan(cells.margin_n[:, measure]))
