"""The equations between one year's figures: who adds up to whom.

Every published figure is a sum over respondents, so figures are tied by
linear relations of two sides with equal sums (per group and measure, with
that measure's own ``n``): a unit's groups, the tree, composites against
their questions, leader reports against units. The first pass
(:mod:`.first_pass`) closes them one by one; the joint audit (:mod:`.audit`)
proves the result against every combination at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.catalogue import question_measure
from analysis.privacy.figures import UnsuppressedFigures

TOTAL, PARTS = 0, 1
# Order in which breaches are closed: earlier families decide first, so a
# figure hidden for a unit's groups is not also replaced by a child's figure.
GROUP_ORDER, COMPOSITE_ORDER, TREE_ORDER, LEADER_ORDER, LEADER_UNIT_ORDER = 0, 1, 2, 3, 4
DEPTH_SLOTS = 1 << 16  # tree equations are ordered by depth within TREE_ORDER


@dataclass(frozen=True)
class Relations:
    """Members of every equation, sorted by equation, parts side first.

    ``row`` is the member's row in the unsuppressed table, -1 for a hidden
    member. ``eq_starts[e]:eq_starts[e + 1]`` are equation e's members;
    ``by_row[row_starts[i]:row_starts[i + 1]]`` the members that are table row i.
    ``overlapping`` and ``order`` are per equation: members may share
    respondents; the order in which breaches are closed.
    """

    equation: np.ndarray
    side: np.ndarray
    row: np.ndarray
    n: np.ndarray
    overlapping: np.ndarray
    order: np.ndarray
    eq_starts: np.ndarray
    by_row: np.ndarray
    row_starts: np.ndarray

    @property
    def count(self) -> int:
        return len(self.overlapping)

    def equations_of(self, rows: np.ndarray) -> np.ndarray:
        """Member positions of the given table rows, in all their equations."""
        return self.by_row[ranges(self.row_starts[rows], self.row_starts[rows + 1])]


@dataclass(frozen=True)
class Family:
    """One kind of equation; ``key`` identifies the equation within the family."""

    key: np.ndarray
    side: np.ndarray
    row: np.ndarray
    n: np.ndarray
    overlapping: np.ndarray  # per member (equal within an equation)
    order: np.ndarray  # per member (equal within an equation)


class Codes:
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

    def group_size(self) -> np.ndarray:
        """Per row: the largest n of its (unit, group) over all measures (~ its respondents)."""
        pair = self.unit.astype(np.int64) * self.n_groups + self.group
        size = np.zeros(len(self.units) * self.n_groups, dtype=np.int64)
        np.maximum.at(size, pair, self.n)
        return size[pair]


def make_family(
    parts: list[tuple], order: int | np.ndarray, overlapping: bool | np.ndarray = False
):
    """Concatenate (key, side, row, n) blocks into one family."""
    key, side, row, n = (
        np.concatenate([np.asarray(p[i], np.int64).reshape(-1) for p in parts]) for i in range(4)
    )
    flags = np.broadcast_to(np.asarray(overlapping, dtype=bool), key.shape).copy()
    orders = np.broadcast_to(np.asarray(order, dtype=np.int64), key.shape).copy()
    return Family(key, side, row, n, flags, orders)


def empty_family() -> Family:
    return make_family([block([], TOTAL, [], [])], 0)


def block(key, side: int, row, n) -> tuple:
    key = np.asarray(key, np.int64)
    return key, np.full(len(key), side), np.asarray(row), np.asarray(n)


def group_relations(figures: UnsuppressedFigures, c: Codes) -> Family:
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
    return make_family(
        [
            block(keys[has], TOTAL, total_row[has], c.n[total_row[has]]),
            block(parts_key, PARTS, rows, c.n[rows]),
            block(hidden_key, PARTS, np.full(len(hidden_key), -1), hidden_n),
        ],
        GROUP_ORDER,
    )


def unit_depth(figures: UnsuppressedFigures, c: Codes) -> np.ndarray:
    """Depth in the tree (root 0) per unit code; 0 for leader rows' pseudo-units."""
    depth = figures.org.depth
    return np.array([depth.get(u, 0) for u in c.units], dtype=np.int64)


def tree_relations(figures: UnsuppressedFigures, c: Codes) -> Family:
    """Parent = its children + its own (directly attached) respondents, per group and measure.

    Closed top-down: once a parent's figure is hidden, its own equation no
    longer forces a child of it to be hidden.
    """
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
    family = make_family(
        [
            block(keys, TOTAL, total_row, c.n[total_row]),
            block(total_key, PARTS, rows, c.n[rows]),
            block(keys, PARTS, np.full(len(keys), -1), own_n),
        ],
        0,
    )
    depth = unit_depth(figures, c)[family.key // (c.n_groups * c.n_measures)]
    order = TREE_ORDER * DEPTH_SLOTS + np.minimum(depth, DEPTH_SLOTS - 1)
    return Family(family.key, family.side, family.row, family.n, family.overlapping, order)


def composite_relations(figures: UnsuppressedFigures, c: Codes) -> Family:
    """Composite x number of its answered questions = the sum of their question indexes."""
    blocks = []
    for composite, question_ids in figures.composites.items():
        code = int(c.measures.get_indexer([composite])[0])
        if code < 0:
            continue
        totals = np.flatnonzero(c.measure == code)
        blocks.append(block(totals, TOTAL, totals, c.n[totals]))
        for q in c.measures.get_indexer([question_measure(q) for q in question_ids]):
            if q < 0:
                continue
            part = c.row(c.unit[totals], c.group[totals], q)
            ok = part >= 0
            ok[ok] = c.n[part[ok]] > 0
            blocks.append(block(totals[ok], PARTS, part[ok], c.n[part[ok]]))
    if not blocks:
        return empty_family()
    return make_family(blocks, COMPOSITE_ORDER, overlapping=True)


def _leader_measures(c: Codes, leader_codes: np.ndarray) -> np.ndarray:
    """The measures the leader rows carry."""
    return np.unique(c.measure[np.isin(c.unit, leader_codes[leader_codes >= 0])])


def leader_area_relations(figures: UnsuppressedFigures, c: Codes) -> Family:
    """A leader's top units = the leader's rows + the units under other leaders below them.

    A leader's respondents are the own respondents of the units whose nearest
    responsible manager they are; the units just below that area (the
    boundary) belong to other leaders. Where one of the leader's units sits
    under another leader's unit below the first, the sides overlap and the
    equation is marked so.
    """
    mine = figures.manager_units
    if mine.empty:
        return empty_family()
    member = set(zip(mine["manager_id"], mine["unit_id"], strict=True))
    org = figures.org

    sides: list[tuple[str, str, str, int]] = []  # (manager, leader row, unit row, side)
    nested: set[str] = set()
    for manager, unit_id, leader in mine[["manager_id", "unit_id", "leader_id"]].itertuples(
        index=False
    ):
        if (manager, org.parent[unit_id]) not in member:
            sides.append((manager, leader, unit_id, TOTAL))
            if any((manager, ancestor) in member for ancestor in org.chain(unit_id)[1:]):
                nested.add(manager)
        for child in org.children[unit_id]:
            if (manager, child) not in member:
                sides.append((manager, leader, child, PARTS))
    for manager, leader in dict(zip(mine["manager_id"], mine["leader_id"], strict=True)).items():
        sides.append((manager, leader, leader, PARTS))
    frame = pd.DataFrame(sides, columns=["manager_id", "leader_id", "unit_id", "side"])

    unit_codes = c.units.get_indexer(frame["unit_id"])
    manager_codes = pd.factorize(frame["manager_id"])[0]
    is_nested = frame["manager_id"].isin(nested).to_numpy()
    # Bottom-up: a deeper leader's top unit is a boundary part of the leader
    # above, so closing the deeper equation first often closes both.
    depth = unit_depth(figures, c)
    tops = frame["side"].to_numpy() == TOTAL
    top_depth = pd.Series(depth[unit_codes[tops]]).groupby(manager_codes[tops]).min()
    rank = (
        DEPTH_SLOTS - 1 - np.minimum(top_depth.reindex(manager_codes).to_numpy(), DEPTH_SLOTS - 1)
    )
    blocks, flags, ranks = [], [], []
    for measure in _leader_measures(c, c.units.get_indexer(frame["leader_id"])):
        row = c.row(unit_codes, c.all_group, measure)
        has = (row >= 0) & (unit_codes >= 0)
        key = manager_codes[has].astype(np.int64) * c.n_measures + measure
        blocks.append((key, frame["side"].to_numpy()[has], row[has], c.n[row[has]]))
        flags.append(is_nested[has])
        ranks.append(rank[has])
    if not blocks:
        return empty_family()
    order = LEADER_ORDER * DEPTH_SLOTS + np.concatenate(ranks)
    return make_family(blocks, order, overlapping=np.concatenate(flags))


def leader_unit_relations(figures: UnsuppressedFigures, c: Codes) -> Family:
    """A unit = the leaders whose whole group lies in its subtree + the rest of its respondents.

    A leader lies wholly in every unit on the path from the lowest common
    ancestor of the leader's units up to the root. The rest (respondents
    without a responsible manager, or led from above the unit) is a hidden
    member: a unit minus its leaders must not single it out.
    """
    mine = figures.manager_units
    if mine.empty:
        return empty_family()
    org = figures.org
    pairs: list[tuple[str, str]] = []  # (unit, leader row) with the leader inside the unit
    for leader, units in mine.groupby("leader_id", sort=True)["unit_id"]:
        pairs += [(u, leader) for u in org.chain(org.common_ancestor(units))]
    frame = pd.DataFrame(pairs, columns=["unit_id", "leader_id"])
    unit_codes = c.units.get_indexer(frame["unit_id"])
    leader_codes = c.units.get_indexer(frame["leader_id"])
    ok = (unit_codes >= 0) & (leader_codes >= 0)
    unit_codes, leader_codes = unit_codes[ok], leader_codes[ok]

    blocks = []
    for measure in _leader_measures(c, leader_codes):
        total = c.row(unit_codes, c.all_group, measure)
        part = c.row(leader_codes, c.all_group, measure)
        has = (total >= 0) & (part >= 0)
        key = unit_codes[has].astype(np.int64) * c.n_measures + measure
        keys, member_of = np.unique(key, return_inverse=True)
        total_row = c.row_of_key(c.key(keys // c.n_measures, c.all_group, keys % c.n_measures))
        leaders_n = np.bincount(member_of.reshape(-1), weights=c.n[part[has]], minlength=len(keys))
        rest_n = c.n[total_row] - np.rint(leaders_n).astype(np.int64)
        blocks += [
            block(keys, TOTAL, total_row, c.n[total_row]),
            block(key, PARTS, part[has], c.n[part[has]]),
            block(keys, PARTS, np.full(len(keys), -1), rest_n),
        ]
    if not blocks:
        return empty_family()
    return make_family(blocks, LEADER_UNIT_ORDER * DEPTH_SLOTS)


def base_families(figures: UnsuppressedFigures, codes: Codes) -> list[Family]:
    """The equations that follow from the table's structure: groups, composites, tree, leaders."""
    return [
        group_relations(figures, codes),
        composite_relations(figures, codes),
        tree_relations(figures, codes),
        leader_area_relations(figures, codes),
        leader_unit_relations(figures, codes),
    ]


def build_relations(
    figures: UnsuppressedFigures,
    extra: Family | None = None,
    codes: Codes | None = None,
    families: list[Family] | None = None,
) -> Relations:
    """Every equation between one year's figures: groups, composites, tree, leaders.

    ``extra`` adds explicit equations (deeper tree subtractions found on the
    way); ``families``, when given, are :func:`base_families` computed before
    (they do not change while suppression proceeds, so they are built once).
    """
    codes = codes if codes is not None else Codes(figures.table)
    families = list(families) if families is not None else base_families(figures, codes)
    if extra is not None:
        families.append(extra)
    equation, overlapping, order = [], [], []
    offset = 0
    for family in families:
        keys, local = np.unique(family.key, return_inverse=True)
        local = local.reshape(-1)
        equation.append(local + offset)
        flags = np.zeros(len(keys), dtype=bool)
        flags[local] = family.overlapping
        overlapping.append(flags)
        ranks = np.zeros(len(keys), dtype=np.int64)
        ranks[local] = family.order
        order.append(ranks)
        offset += len(keys)
    eq = np.concatenate(equation)
    side, row, n = (np.concatenate([getattr(f, a) for f in families]) for a in ("side", "row", "n"))
    by_member = np.argsort(eq * 2 + (PARTS - side), kind="stable")
    eq, side, row, n = eq[by_member], side[by_member], row[by_member], n[by_member]
    by_row = np.argsort(row, kind="stable")
    return Relations(
        equation=eq,
        side=side,
        row=row,
        n=n,
        overlapping=np.concatenate(overlapping),
        order=np.concatenate(order),
        eq_starts=np.searchsorted(eq, np.arange(offset + 1)),
        by_row=by_row,
        row_starts=np.searchsorted(row[by_row], np.arange(len(figures.table) + 1)),
    )


def ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, end)`` for each pair, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total)
