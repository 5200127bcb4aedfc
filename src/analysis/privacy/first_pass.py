"""The first pass of complementary suppression: equation by equation, cheap.

The joint audit (:mod:`.audit`) is the guarantee; this pass does most of the
work quickly so the audit has few failures left to repair.

Every published figure is a sum over respondents, so the figures are tied by
linear relations ("equations") with two sides of equal sum:

  groups       unit total = its groups of one variable + that variable's unknown label
  composites   composite x (its answered questions) = the sum of their question indexes
  tree         parent = its children + the respondents attached to the parent itself
  leader areas a leader's top units = the leader's rows + the units below led by others
  leader units a unit = the leaders whose whole group lies in it + its other respondents

each per group and measure, with that measure's own n. A member is
*unknown* when it is not published and rests on at least one respondent;
hidden members (an unknown-label group, a unit's own respondents, the rest
of a unit beside its leaders) are never published.

An equation gives something away when all its unknowns sit on one side:
their sum is then the other side's sum minus the published members. That is
a breach when the revealed aggregate rests on 1..k-1 respondents (the sum of
their n for disjoint respondent sets; the largest n where members overlap,
which is conservative) -- unless the unknowns are that whole side, whose sum
is the published other side -- or when it pins down one secondarily
suppressed figure on its own and that figure, once known, lets another of
its equations reveal a small aggregate (beyond this first order the joint
audit decides). The remedy suppresses one more published member
(_choose): on the revealed side first; then the smallest (unit, group) --
its largest n over all measures, so that the same group is chosen for every
measure --; then the one whose hiding leaves the fewest of its equations
giving something away; then the smallest n for this measure; then table
order. Breaches are
closed in a fixed order (groups, composites, the tree top-down, leaders) as
if one at a time, and all equations are re-checked until none gives
anything away. This is the per-relation heuristic of statistical offices
(cf. tau-Argus's hypercube method), made a fast first pass before the
joint audit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.privacy.deeper_tree import deeper_tree_equations, tree_columns
from analysis.privacy.figures import UnsuppressedFigures
from analysis.privacy.relations import (
    PARTS,
    TOTAL,
    Codes,
    Family,
    Relations,
    base_families,
    build_relations,
    ranges,
)


@dataclass(frozen=True)
class _SideStats:
    """Per equation and side (arrays of shape (equations, 2)): what the unknowns add up to."""

    unknown: np.ndarray  # unknown members (not published, n > 0)
    secondary: np.ndarray  # of which secondarily suppressed figures
    positive: np.ndarray  # members with n > 0
    total: np.ndarray  # sum of the unknowns' n
    largest: np.ndarray  # largest unknown n

    def with_hidden(self, at: np.ndarray, side: np.ndarray, n: np.ndarray) -> _SideStats:
        """The stats of equations ``at`` if one more published member (side, n) were hidden."""
        out = [a[at].copy() for a in (self.unknown, self.secondary, self.positive, self.total)]
        largest = self.largest[at].copy()
        i = np.arange(len(at))
        for a, add in zip(out, (1, 1, 0, n), strict=True):
            a[i, side] += add
        largest[i, side] = np.maximum(largest[i, side], n)
        return _SideStats(*out, largest)


def _side_stats(
    r: Relations, eqs: np.ndarray, published: np.ndarray, secondary: np.ndarray
) -> _SideStats:
    """Tally each equation's members by side.

    ``published`` and ``secondary`` carry one extra False at the end, which
    hidden members (row -1) read.
    """
    lengths = r.eq_starts[eqs + 1] - r.eq_starts[eqs]
    members = ranges(r.eq_starts[eqs], r.eq_starts[eqs + 1])
    local = np.repeat(np.arange(len(eqs)), lengths)
    rows, n = r.row[members], r.n[members]
    unknown = ~published[rows] & (n > 0)
    slot = local * 2 + r.side[members]
    size = len(eqs) * 2

    def per_slot(weights: np.ndarray) -> np.ndarray:
        return np.bincount(slot, weights=weights, minlength=size).reshape(-1, 2).astype(np.int64)

    largest = np.zeros(size, dtype=np.int64)
    if len(slot):
        # members of one slot are contiguous (sorted by equation, then side)
        starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
        largest[slot[starts]] = np.maximum.reduceat(n * unknown, starts)
    return _SideStats(
        unknown=per_slot(unknown),
        secondary=per_slot(unknown & secondary[rows]),
        positive=per_slot(n > 0),
        total=per_slot(n * unknown),
        largest=largest.reshape(-1, 2),
    )


def _gives_away(
    s: _SideStats, overlapping: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equation: does it reveal a small aggregate, does it pin one secondarily
    suppressed figure, and on which side are its unknowns?"""
    one_side = (s.unknown[:, TOTAL] > 0) != (s.unknown[:, PARTS] > 0)
    side = np.where(s.unknown[:, PARTS] > 0, PARTS, TOTAL)
    at = np.arange(len(side))
    count = s.unknown[at, side]
    aggregate = np.where(overlapping, s.largest[at, side], s.total[at, side])
    # All of a side unknown reveals only their sum, which the other side publishes...
    whole_side = count == s.positive[at, side]
    # ...but one secondarily suppressed figure alone is pinned down exactly.
    pinned = (count == 1) & (s.secondary[at, side] == 1)
    return one_side & ~whole_side & (aggregate < k), one_side & pinned, side


def _breaches(
    r: Relations, eqs: np.ndarray, published: np.ndarray, secondary: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each equation in ``eqs``: does it give a suppressed figure away, and on which side?

    A small aggregate revealed is a breach. A secondarily suppressed figure
    pinned by the equation rests on k or more itself: it is a breach only
    when, once known, it lets another of its equations reveal a small
    aggregate. The joint audit (:mod:`.audit`) proves every combination
    beyond this first order; guarding every pinned figure, as this pass did
    before the audit existed, hides more unit totals (docs/privacy.md, section 3).
    """
    stats = _side_stats(r, eqs, published, secondary)
    small, pinned, side = _gives_away(stats, r.overlapping[eqs], k)
    pin_only = np.flatnonzero(pinned & ~small)
    if len(pin_only):
        small[pin_only] = _reveals_once_known(
            r, eqs[pin_only], side[pin_only], published, secondary, k
        )
    return small, side


def _reveals_once_known(
    r: Relations,
    eqs: np.ndarray,
    side: np.ndarray,
    published: np.ndarray,
    secondary: np.ndarray,
    k: int,
) -> np.ndarray:
    """For equations that each pin one secondarily suppressed figure: would that figure,
    known, let another of its equations reveal a small aggregate?"""
    members = ranges(r.eq_starts[eqs], r.eq_starts[eqs + 1])
    local = np.repeat(np.arange(len(eqs)), r.eq_starts[eqs + 1] - r.eq_starts[eqs])
    rows = r.row[members]
    hit = (r.side[members] == side[local]) & ~published[rows] & (r.n[members] > 0)
    hit &= secondary[rows]
    if (np.bincount(local[hit], minlength=len(eqs)) != 1).any():
        raise RuntimeError("complementary suppression: a pin without its one pinned figure")
    pinned_row = np.empty(len(eqs), dtype=np.int64)
    pinned_row[local[hit]] = rows[hit]  # the figure each equation pins
    known = published.copy()
    known[pinned_row] = True
    touched = r.equations_of(pinned_row)
    counts = r.row_starts[pinned_row + 1] - r.row_starts[pinned_row]
    owner = np.repeat(np.arange(len(eqs)), counts)
    others, at = np.unique(r.equation[touched], return_inverse=True)
    small, _, _ = _gives_away(_side_stats(r, others, known, secondary), r.overlapping[others], k)
    reveals = np.zeros(len(eqs), dtype=bool)
    np.logical_or.at(reveals, owner, small[at.reshape(-1)])
    return reveals


def _breaches_if_hidden(
    r: Relations, rows: np.ndarray, status: np.ndarray, secondary: np.ndarray, k: int
) -> np.ndarray:
    """For each (published) row: how many of its equations would give something away if hidden.

    The one-step look-ahead of :func:`_choose`: a figure whose hiding closes
    the breach at hand without opening another costs no further suppression.
    """
    members = r.equations_of(rows)
    counts = r.row_starts[rows + 1] - r.row_starts[rows]
    owner = np.repeat(np.arange(len(rows)), counts)
    eqs, at = np.unique(r.equation[members], return_inverse=True)
    stats = _side_stats(r, eqs, status, secondary)
    after = stats.with_hidden(at.reshape(-1), r.side[members], r.n[members])
    # the look-ahead counts every pin as a breach: a choice that pins nothing is preferred
    small, pinned, _ = _gives_away(after, r.overlapping[eqs[at.reshape(-1)]], k)
    broken = small | pinned
    return np.bincount(owner, weights=broken, minlength=len(rows)).astype(np.int64)


def _choose(
    r: Relations,
    breached: np.ndarray,
    side: np.ndarray,
    status: np.ndarray,
    secondary: np.ndarray,
    size: np.ndarray,
    k: int,
) -> np.ndarray:
    """The row to hide for each breached equation (in ``breached``'s order).

    Among the published members: the revealed side first; then the smallest
    (unit, group), by its largest n over all measures, so that every measure
    hides the same neighbour; then the one whose hiding leaves the fewest of
    its equations giving something away (this one included); the smallest n
    for this measure; table order. (With the look-ahead first, measures chose
    different siblings of a small unit, and the response counts then needed
    one more unit total hidden: a unit's respondents are at least its count
    in any published measure.)
    """
    lengths = r.eq_starts[breached + 1] - r.eq_starts[breached]
    members = ranges(r.eq_starts[breached], r.eq_starts[breached + 1])
    local = np.repeat(np.arange(len(breached)), lengths)
    ok = status[r.row[members]] & (r.n[members] > 0)
    members, local = members[ok], local[ok]
    rows = r.row[members]
    other_side = r.side[members] != side[local]
    candidates, at = np.unique(rows, return_inverse=True)
    cost = _breaches_if_hidden(r, candidates, status, secondary, k)[at.reshape(-1)]
    pick = np.lexsort((rows, r.n[members], cost, size[rows], other_side, local))
    members, local = members[pick], local[pick]
    found, first = np.unique(local, return_index=True)
    if len(found) < len(breached):
        raise RuntimeError("complementary suppression: a breach has no member left to hide")
    return r.row[members[first]]


def _unblocked(r: Relations, breached: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Which choices to apply now, as if the breaches were closed one at a time.

    ``breached`` is in closing order. A breach is closed now unless an earlier
    breach's chosen figure is a member of its equation: that choice may
    already close it, so it is re-checked in the next round instead.
    """
    position = np.arange(len(breached))
    touched = r.equations_of(chosen)
    counts = r.row_starts[chosen + 1] - r.row_starts[chosen]
    first = np.full(r.count, len(breached), dtype=np.int64)
    np.minimum.at(first, r.equation[touched], np.repeat(position, counts))
    return first[breached] == position


def complementary_suppression(
    figures: UnsuppressedFigures,
    published: np.ndarray,
    min_group_size: int,
) -> np.ndarray:
    """Extend the threshold rule's mask until no subtraction gives a suppressed figure away.

    ``published`` is a boolean mask over ``figures.table``'s rows; the result
    is a new mask in which rows only ever go from published to suppressed.
    Deterministic: breaches are closed in a fixed order, each by hiding the
    member :func:`_choose` picks, until no equation gives anything away; then
    deeper tree subtractions are searched, and any found become equations
    and are closed the same way, until none is left.
    """
    k = min_group_size
    codes = Codes(figures.table)
    size = np.append(codes.group_size(), 0)
    tree = tree_columns(figures, codes)
    families = base_families(figures, codes)
    r = build_relations(figures, codes=codes, families=families)
    status = np.append(np.asarray(published, dtype=bool), False)
    secondary = np.zeros(len(status), dtype=bool)
    dirty = np.arange(r.count)
    extra: Family | None = None
    searched_with = -1  # figures hidden when deeper subtractions were last searched
    while True:
        _close_breaches(r, dirty, status, secondary, size, k)
        hidden = int((~status).sum())
        if hidden == searched_with:
            # a guard: the subtractions found last time hid nothing more, and searching the
            # same publication again would find them again (the joint audit judges them)
            return status[:-1]
        searched_with = hidden
        found = deeper_tree_equations(figures, codes, tree, status, k, first_key=_count(extra))
        if found is None:
            return status[:-1]
        extra = found if extra is None else _concat(extra, found)
        before = r.count
        r = build_relations(figures, extra, codes, families)
        dirty = np.arange(before, r.count)


def _count(family: Family | None) -> int:
    return 0 if family is None else int(family.key.max(initial=-1)) + 1


def _concat(a: Family, b: Family) -> Family:
    return Family(
        *(np.concatenate([getattr(a, f), getattr(b, f)]) for f in Family.__dataclass_fields__)
    )


def _close_breaches(
    r: Relations,
    dirty: np.ndarray,
    status: np.ndarray,
    secondary: np.ndarray,
    size: np.ndarray,
    k: int,
) -> None:
    """Hide figures (in ``status``/``secondary``) until no equation gives anything away.

    After the first pass only the equations touched by the last suppressions
    (and breaches left for later by :func:`_unblocked`) are re-checked.
    """
    while len(dirty):
        found, side = _breaches(r, dirty, status, secondary, k)
        breached, side = dirty[found], side[found]
        if not len(breached):
            return
        closing = np.lexsort((breached, r.order[breached]))
        breached, side = breached[closing], side[closing]
        chosen = _choose(r, breached, side, status, secondary, size, k)
        now = _unblocked(r, breached, chosen)
        hidden = np.unique(chosen[now])
        status[hidden] = False
        secondary[hidden] = True
        touched = r.equation[r.equations_of(hidden)]
        dirty = np.union1d(touched, breached[~now])
