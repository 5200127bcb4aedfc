"""What an ad-hoc breakdown may show: the threshold, complementary cells, and a proof.

A breakdown is a new table of the same respondents the published figures
count, so a reader who holds both can subtract. The rules, in order
(docs/analysts.md says what they guarantee):

1. **Threshold.** A cell resting on fewer than ``privacy.min_group_size``
   (k) answers in a measure is hidden in it (``threshold``).
2. **Published protection.** A measure in which one of the subtree's own
   published figures that the cells add up to (its total, or a group of a
   chosen variable) is hidden *to protect another group* shows no cell at
   all: that figure protects someone the breakdown cannot see (a parent's
   own staff, a sibling's small group), and cells adding up to it would
   give it away.
3. **Complementary cells.** Every published figure the cells add up to is an
   equation. Where the hidden members of one rest on fewer than k answers
   (a single small cell beside a published total), the smallest shown cell
   of the equation is hidden too (``complementary``); the groups of one
   variable before the total, so that the cell hidden is a neighbour.
4. **The proof.** :mod:`analysis.explore.counts` combines, per measure,
   every cell, every published figure they add up to and the respondent
   counts, as the published figures' attacker does, and repairs until no
   hidden small cell can be narrowed below k; :mod:`analysis.explore.values`
   then keeps a composite from giving away a small cell's question value.
   Hiding more only widens what the attacker cannot rule out, so what is
   proven once stays proven.
"""

from __future__ import annotations

import numpy as np

from analysis.core.contract import COMPLEMENTARY
from analysis.explore.cells import BreakdownCells
from analysis.explore.counts import repair_counts
from analysis.explore.state import Decision, State, published
from analysis.explore.values import repair_values


def protect(cells: BreakdownCells, k: int) -> Decision:
    """Threshold, published protection, complementary cells, then proof and repair."""
    state = State(cells, k)
    forced = (cells.margin_why == COMPLEMENTARY).any(axis=0)
    state.hide(slice(None), forced)
    _first_pass(state)
    repair_counts(state)
    repair_values(state)
    return state.decision()


def _first_pass(state: State) -> None:
    """Equation by equation: a published figure whose hidden members hold a small group (or
    pin an empty one) loses its smallest shown cell, until none does."""
    cells = state.cells
    sizes = cells.members.sum(axis=1)
    changed = True
    while changed:
        changed = False
        for m in range(len(cells.measures)):
            for g in sorted(published(cells, m), key=lambda g: (sizes[g], g)):
                members = cells.members[g]
                hidden = members & ~state.shown[:, m]
                if not (hidden & state.sensitive[:, m]).any():
                    continue
                if state.n[hidden, m].sum() >= state.k:
                    continue
                open_cells = np.flatnonzero(members & state.shown[:, m])
                if len(open_cells):
                    state.hide(state.by_size(open_cells, m)[0], m)
                    changed = True
