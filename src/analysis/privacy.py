"""Anonymity: which figures may be published.

The index engine computes every figure *unsuppressed*; this module alone
decides what is blanked. Keeping it a separate pass over the full table (and
over what sits beside it: the tree, the unknown-label groups, the leader
units, the composite definitions) keeps complementary suppression -- no
suppressed number recoverable by subtraction -- apart from the arithmetic.

The threshold rule (contract §3): a number is published only if it rests on
at least ``privacy.min_group_size`` respondents (``n >= k``). Complementary
suppression (below) then hides further figures until no suppressed number
can be recovered by subtraction. A suppressed row has ``n`` and ``value``
empty (NA), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.catalogue import question_measure
from analysis.params import PrivacyParams

FIGURE_KEYS = ["year", "unit_id", "group", "measure"]
UNSUPPRESSED_COLUMNS = [*FIGURE_KEYS, "n", "value"]


@dataclass
class UnsuppressedFigures:
    """One year's figures before any suppression, with what suppression needs.

    table: ``year, unit_id, group, measure, n (Int64), value (float64)`` -- the
        rows that may be published, in publication order.
    unknown_groups: the same columns for the respondents whose background
        label is unknown, one "group" per variable, spelt ``gender=``,
        ``age_group=``, ``role=`` (empty label). They are never published, but
        a unit total minus its published groups reveals them, so
        complementary suppression must treat them as a group of their own.
    tree: ``unit_id, parent_id`` of the year's units in pre-order (root first,
        ``parent_id`` "" for the root): parent minus children.
    manager_units: ``manager_id, unit_id, leader_id`` -- the units whose own
        respondents make up the leader-report rows ``leader_id``
        (= ``manager:<manager_id>``; nearest responsible manager): leader
        rows against unit rows.
    composites: composite measure -> the question ids it rests on that year:
        a composite against its published questions.
    """

    table: pd.DataFrame
    unknown_groups: pd.DataFrame
    tree: pd.DataFrame
    manager_units: pd.DataFrame
    composites: dict[str, list[str]]


def below_threshold(n: pd.Series, min_group_size: int) -> pd.Series:
    """True where a figure rests on too few respondents (or none) to be published."""
    n = n.astype("Int64")
    return (n.isna() | (n < min_group_size)).fillna(True).astype(bool)


def publishable(table: pd.DataFrame, min_group_size: int) -> np.ndarray:
    """The threshold rule: a row is published when n >= k and it has a value.

    A row without a value (a response rate where nobody was invited) is
    empty as a whole, its n included.
    """
    if min_group_size < 1:
        raise ValueError(f"privacy.min_group_size must be at least 1, got {min_group_size}")
    small = below_threshold(table["n"], min_group_size).to_numpy()
    return ~small & table["value"].notna().to_numpy()


def blank(table: pd.DataFrame, published: np.ndarray) -> pd.DataFrame:
    """A copy of ``table`` with ``n`` and ``value`` empty wherever ``published`` is False."""
    out = table.copy()
    hidden = ~np.asarray(published, dtype=bool)
    out["n"] = out["n"].astype("Int64").mask(hidden)
    out["value"] = out["value"].astype("float64").mask(hidden)
    return out


def apply_threshold(table: pd.DataFrame, min_group_size: int) -> pd.DataFrame:
    """Blank ``n`` and ``value`` of every row under the threshold (a copy; input untouched)."""
    return blank(table, publishable(table, min_group_size))


def suppress(
    figures: UnsuppressedFigures, privacy: PrivacyParams, *, complementary: bool = True
) -> pd.DataFrame:
    """The publishable table: the anonymity rules applied to one year's figures.

    The threshold rule, then :func:`complementary_suppression` (no suppressed
    number recoverable by subtraction) unless ``complementary=False``.
    """
    published = publishable(figures.table, privacy.min_group_size)
    if complementary:
        published = complementary_suppression(figures, published, privacy.min_group_size)
    return blank(figures.table, published)


# ---------------------------------------------------------------------------
# Complementary suppression
# ---------------------------------------------------------------------------
#
# Every published figure is a sum over respondents, so the figures are tied by
# linear relations ("equations"): a unit total is the sum of its groups plus
# the unknown-label group; a parent is the sum of its children plus its own
# respondents; a unit is its leader's rows plus the units under other leaders;
# a composite is the mean of its questions. Each equation has two sides whose
# sums are equal. A member is *unknown* when it is not published and rests on
# at least one respondent; hidden members (the unknown-label group, a unit's
# own respondents) are never published.
#
# An equation gives something away when all its unknowns sit on one side:
# their sum is then the other side's sum minus the published members. That is
# a breach when it pins down one secondarily suppressed figure on its own, or
# when the revealed aggregate rests on fewer than k respondents (the sum of
# their n for disjoint respondent sets; the largest n where members overlap,
# which is conservative). The remedy is to suppress one more published
# member -- the smallest on the parts side, else on the total side -- and to
# repeat over all equations until none gives anything away. This is the
# standard per-relation heuristic of statistical offices (cf. tau-Argus's
# hypercube method), not a full linear-programming audit.

TOTAL, PARTS = 0, 1


@dataclass(frozen=True)
class Relations:
    """Members of every equation, sorted by equation, parts side first.

    ``row`` is the member's row in the unsuppressed table, -1 for a hidden
    member. ``eq_starts[e]:eq_starts[e + 1]`` are equation e's members;
    ``by_row[row_starts[i]:row_starts[i + 1]]`` the members that are table row i.
    """

    equation: np.ndarray
    side: np.ndarray
    row: np.ndarray
    n: np.ndarray
    overlapping: np.ndarray  # per equation: members may share respondents
    eq_starts: np.ndarray
    by_row: np.ndarray
    row_starts: np.ndarray

    @property
    def count(self) -> int:
        return len(self.overlapping)


@dataclass(frozen=True)
class _Family:
    """One kind of equation; ``key`` identifies the equation within the family."""

    key: np.ndarray
    side: np.ndarray
    row: np.ndarray
    n: np.ndarray
    overlapping: np.ndarray  # per member (equal within an equation)


class _Codes:
    """Integer codes of the table's units, groups and measures, and a row look-up by code."""

    def __init__(self, table: pd.DataFrame):
        self.unit, self.units = pd.factorize(table["unit_id"])
        self.group, self.groups = pd.factorize(table["group"])
        self.measure, self.measures = pd.factorize(table["measure"])
        self.n = table["n"].astype("Int64").fillna(0).to_numpy(np.int64)
        self.n_groups, self.n_measures = len(self.groups), len(self.measures)
        self._rows = pd.Index(self.key(self.unit, self.group, self.measure))
        self.all_group = int(self.groups.get_indexer(["all"])[0])

    def key(self, unit: np.ndarray, group: np.ndarray | int, measure: np.ndarray | int):
        return (np.asarray(unit, np.int64) * self.n_groups + group) * self.n_measures + measure

    def row(self, unit: np.ndarray, group: np.ndarray | int, measure: np.ndarray | int):
        """Table rows of the given figures; -1 where the table has no such row."""
        return self._rows.get_indexer(self.key(unit, group, measure))

    def row_of_key(self, key: np.ndarray) -> np.ndarray:
        return self._rows.get_indexer(key)


def _family(parts: list[tuple], overlapping: bool | np.ndarray = False) -> _Family:
    """Concatenate (key, side, row, n) blocks into one family."""
    key, side, row, n = (
        np.concatenate([np.asarray(p[i], np.int64).reshape(-1) for p in parts]) for i in range(4)
    )
    flags = np.broadcast_to(np.asarray(overlapping, dtype=bool), key.shape).copy()
    return _Family(key, side, row, n, flags)


def _block(key, side: int, row, n) -> tuple:
    key = np.asarray(key, np.int64)
    return key, np.full(len(key), side), np.asarray(row), np.asarray(n)


def group_relations(figures: UnsuppressedFigures, c: _Codes) -> _Family:
    """Unit total = its groups of one background variable + that variable's unknown group."""
    prefix = [g.split("=", 1)[0] if g != "all" else "" for g in c.groups]
    variables = sorted(set(prefix) - {""})
    n_vars = max(len(variables), 1)
    var_of_group = np.array([variables.index(p) if p else -1 for p in prefix], dtype=np.int64)

    def eq_key(unit, measure, var):
        return (np.asarray(unit, np.int64) * c.n_measures + measure) * n_vars + var

    rows = np.flatnonzero(var_of_group[c.group] >= 0)
    parts_key = eq_key(c.unit[rows], c.measure[rows], var_of_group[c.group[rows]])

    unknown = figures.unknown_groups
    u = c.units.get_indexer(unknown["unit_id"])
    m = c.measures.get_indexer(unknown["measure"])
    group_code, group_names = pd.factorize(unknown["group"])
    v = pd.Index(variables).get_indexer([g.split("=", 1)[0] for g in group_names])
    v = v[group_code] if len(group_code) else np.zeros(0, dtype=np.int64)
    known = (u >= 0) & (m >= 0) & (v >= 0)
    hidden_key = eq_key(u[known], m[known], v[known])
    hidden_n = unknown["n"].astype("Int64").fillna(0).to_numpy(np.int64)[known]

    keys = np.unique(np.concatenate([parts_key, hidden_key]))
    unit_measure = keys // n_vars
    total_row = c.row(unit_measure // c.n_measures, c.all_group, unit_measure % c.n_measures)
    has = total_row >= 0
    return _family(
        [
            _block(keys[has], TOTAL, total_row[has], c.n[total_row[has]]),
            _block(parts_key, PARTS, rows, c.n[rows]),
            _block(hidden_key, PARTS, np.full(len(hidden_key), -1), hidden_n),
        ]
    )


def tree_relations(figures: UnsuppressedFigures, c: _Codes) -> _Family:
    """Parent = its children + its own (directly attached) respondents, per group and measure."""
    parent_of = np.full(len(c.units), -1, dtype=np.int64)
    units = c.units.get_indexer(figures.tree["unit_id"])
    parents = c.units.get_indexer(figures.tree["parent_id"])
    parent_of[units[units >= 0]] = parents[units >= 0]
    rows = np.flatnonzero(parent_of[c.unit] >= 0)
    total_key = c.key(parent_of[c.unit[rows]], c.group[rows], c.measure[rows])
    keys, member_of = np.unique(total_key, return_inverse=True)
    total_row = c.row_of_key(keys)
    if (total_row < 0).any():
        raise RuntimeError("complementary suppression: a child's figure has no parent figure")
    children_n = np.bincount(member_of.reshape(-1), weights=c.n[rows], minlength=len(keys))
    own_n = c.n[total_row] - np.rint(children_n).astype(np.int64)
    return _family(
        [
            _block(keys, TOTAL, total_row, c.n[total_row]),
            _block(total_key, PARTS, rows, c.n[rows]),
            _block(keys, PARTS, np.full(len(keys), -1), own_n),
        ]
    )


def composite_relations(figures: UnsuppressedFigures, c: _Codes) -> _Family:
    """Composite x number of its answered questions = the sum of their question indexes."""
    blocks = []
    for composite, question_ids in figures.composites.items():
        code = int(c.measures.get_indexer([composite])[0])
        if code < 0:
            continue
        totals = np.flatnonzero(c.measure == code)
        blocks.append(_block(totals, TOTAL, totals, c.n[totals]))
        for q in c.measures.get_indexer([question_measure(q) for q in question_ids]):
            if q < 0:
                continue
            part = c.row(c.unit[totals], c.group[totals], q)
            ok = part >= 0
            ok[ok] = c.n[part[ok]] > 0
            blocks.append(_block(totals[ok], PARTS, part[ok], c.n[part[ok]]))
    if not blocks:
        return _family([_block([], TOTAL, [], [])])
    return _family(blocks, overlapping=True)


def leader_relations(figures: UnsuppressedFigures, c: _Codes) -> _Family:
    """The leader's top units = the leader's rows + the units under other leaders below them.

    A leader's respondents are the own respondents of the units whose nearest
    responsible manager they are; the units just below that area (the
    boundary) belong to other leaders. Where one of the leader's units sits
    under another leader's unit below the first, the sides overlap and the
    equation is marked so.
    """
    tree, mine = figures.tree, figures.manager_units
    if mine.empty:
        return _family([_block([], TOTAL, [], [])])
    member = set(zip(mine["manager_id"], mine["unit_id"], strict=True))
    parent_of = dict(zip(tree["unit_id"], tree["parent_id"], strict=True))
    children: dict[str, list[str]] = {}
    for unit_id, parent_id in zip(tree["unit_id"], tree["parent_id"], strict=True):
        children.setdefault(parent_id, []).append(unit_id)

    sides: list[tuple[str, str, str, int]] = []  # (manager, leader row, unit row, side)
    nested: set[str] = set()
    for manager, unit_id, leader in mine[["manager_id", "unit_id", "leader_id"]].itertuples(
        index=False
    ):
        if (manager, parent_of.get(unit_id, "")) not in member:
            sides.append((manager, leader, unit_id, TOTAL))
            ancestor = parent_of.get(unit_id, "")
            while ancestor:
                if (manager, ancestor) in member:
                    nested.add(manager)
                ancestor = parent_of.get(ancestor, "")
        for child in children.get(unit_id, []):
            if (manager, child) not in member:
                sides.append((manager, leader, child, PARTS))
    for manager, leader in dict(zip(mine["manager_id"], mine["leader_id"], strict=True)).items():
        sides.append((manager, leader, leader, PARTS))
    frame = pd.DataFrame(sides, columns=["manager_id", "leader_id", "unit_id", "side"])

    leader_codes = c.units.get_indexer(frame["leader_id"])
    unit_codes = c.units.get_indexer(frame["unit_id"])
    manager_codes = pd.factorize(frame["manager_id"])[0]
    is_nested = frame["manager_id"].isin(nested).to_numpy()
    blocks, flags = [], []
    for measure in np.unique(c.measure[np.isin(c.unit, leader_codes[leader_codes >= 0])]):
        row = c.row(unit_codes, c.all_group, measure)
        has = (row >= 0) & (unit_codes >= 0)
        key = manager_codes[has].astype(np.int64) * c.n_measures + measure
        blocks.append((key, frame["side"].to_numpy()[has], row[has], c.n[row[has]]))
        flags.append(is_nested[has])
    if not blocks:
        return _family([_block([], TOTAL, [], [])])
    return _family(blocks, overlapping=np.concatenate(flags))


def build_relations(figures: UnsuppressedFigures) -> Relations:
    """Every equation between one year's figures: groups, tree, composites, leaders."""
    codes = _Codes(figures.table)
    families = [
        group_relations(figures, codes),
        tree_relations(figures, codes),
        composite_relations(figures, codes),
        leader_relations(figures, codes),
    ]
    equation, overlapping = [], []
    offset = 0
    for family in families:
        keys, local = np.unique(family.key, return_inverse=True)
        equation.append(local.reshape(-1) + offset)
        flags = np.zeros(len(keys), dtype=bool)
        flags[local.reshape(-1)] = family.overlapping
        overlapping.append(flags)
        offset += len(keys)
    eq = np.concatenate(equation)
    side, row, n = (np.concatenate([getattr(f, a) for f in families]) for a in ("side", "row", "n"))
    order = np.argsort(eq * 2 + (PARTS - side), kind="stable")
    eq, side, row, n = eq[order], side[order], row[order], n[order]
    by_row = np.argsort(row, kind="stable")
    return Relations(
        equation=eq,
        side=side,
        row=row,
        n=n,
        overlapping=np.concatenate(overlapping),
        eq_starts=np.searchsorted(eq, np.arange(offset + 1)),
        by_row=by_row,
        row_starts=np.searchsorted(row[by_row], np.arange(len(figures.table) + 1)),
    )


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, end)`` for each pair, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total)


def _breaches(
    r: Relations, eqs: np.ndarray, published: np.ndarray, secondary: np.ndarray, k: int
) -> np.ndarray:
    """For each equation in ``eqs``: does it give a suppressed figure away?

    ``published`` and ``secondary`` carry one extra False at the end, which
    hidden members (row -1) read.
    """
    lengths = r.eq_starts[eqs + 1] - r.eq_starts[eqs]
    members = _ranges(r.eq_starts[eqs], r.eq_starts[eqs + 1])
    local = np.repeat(np.arange(len(eqs)), lengths)
    rows, n = r.row[members], r.n[members]
    unknown = ~published[rows] & (n > 0)
    slot = local * 2 + r.side[members]
    size = len(eqs) * 2

    def per_slot(weights: np.ndarray) -> np.ndarray:
        return np.bincount(slot, weights=weights, minlength=size).reshape(-1, 2)

    n_unknown = per_slot(unknown)
    n_secondary = per_slot(unknown & secondary[rows])
    n_positive = per_slot(n > 0)
    sum_unknown = per_slot(n * unknown)
    max_unknown = np.zeros(size)
    if len(slot):
        # members of one slot are contiguous (sorted by equation, then side)
        starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
        max_unknown[slot[starts]] = np.maximum.reduceat(n * unknown, starts)
    max_unknown = max_unknown.reshape(-1, 2)

    one_side = (n_unknown[:, TOTAL] > 0) != (n_unknown[:, PARTS] > 0)
    side = np.where(n_unknown[:, PARTS] > 0, PARTS, TOTAL)
    at = np.arange(len(eqs))
    count = n_unknown[at, side]
    aggregate = np.where(r.overlapping[eqs], max_unknown[at, side], sum_unknown[at, side])
    # Every part unknown against a published total reveals only the total itself.
    whole_parts = (side == PARTS) & (count == n_positive[at, PARTS])
    pinned = (count == 1) & (n_secondary[at, side] == 1)
    return one_side & ~whole_parts & (pinned | (aggregate < k))


def complementary_suppression(
    figures: UnsuppressedFigures, published: np.ndarray, min_group_size: int
) -> np.ndarray:
    """Extend the threshold rule's mask until no equation gives a suppressed figure away.

    ``published`` is a boolean mask over ``figures.table``'s rows; the result
    is a new mask in which rows only ever go from published to suppressed.
    Deterministic: each breach is closed by suppressing the published member
    with the smallest n (parts side first, then table order). After the first
    pass only the equations touched by the last suppressions are re-checked.
    """
    r = build_relations(figures)
    rows_total = len(figures.table)
    status = np.append(np.asarray(published, dtype=bool), False)
    secondary = np.zeros(rows_total + 1, dtype=bool)
    dirty = np.arange(r.count)
    while len(dirty):
        breached = dirty[_breaches(r, dirty, status, secondary, min_group_size)]
        if not len(breached):
            break
        members = _ranges(r.eq_starts[breached], r.eq_starts[breached + 1])
        candidate = members[status[r.row[members]] & (r.n[members] > 0)]
        # The first per equation in (equation, parts side first, n, row) order wins.
        candidate = candidate[
            np.lexsort(
                (r.row[candidate], r.n[candidate], -r.side[candidate], r.equation[candidate])
            )
        ]
        closed, first = np.unique(r.equation[candidate], return_index=True)
        if len(closed) < len(breached):
            raise RuntimeError("complementary suppression: a breach has no member left to hide")
        chosen = np.unique(r.row[candidate[first]])
        status[chosen] = False
        secondary[chosen] = True
        touched = r.by_row[_ranges(r.row_starts[chosen], r.row_starts[chosen + 1])]
        dirty = np.unique(r.equation[touched])
    return status[:rows_total]
