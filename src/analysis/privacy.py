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
# linear relations ("equations") with two sides of equal sum:
#
#   groups       unit total = its groups of one variable + that variable's unknown label
#   composites   composite x (its answered questions) = the sum of their question indexes
#   tree         parent = its children + the respondents attached to the parent itself
#   leader areas a leader's top units = the leader's rows + the units below led by others
#   leader units a unit = the leaders whose whole group lies in it + its other respondents
#
# each per group and measure, with that measure's own n. A member is
# *unknown* when it is not published and rests on at least one respondent;
# hidden members (an unknown-label group, a unit's own respondents, the rest
# of a unit beside its leaders) are never published.
#
# An equation gives something away when all its unknowns sit on one side:
# their sum is then the other side's sum minus the published members. That is
# a breach when the revealed aggregate rests on 1..k-1 respondents (the sum of
# their n for disjoint respondent sets; the largest n where members overlap,
# which is conservative) -- unless the unknowns are that whole side, whose sum
# is the published other side -- or when it pins down one secondarily
# suppressed figure on its own (then the hiding was pointless and a second
# relation could use it). The remedy suppresses one more published member
# (_choose): on the revealed side first; then the one whose hiding leaves the
# fewest of its equations giving something away; then the smallest (unit,
# group) -- its largest n over all measures, so that the same group is chosen
# for every measure --; then the smallest n for this measure; then table
# order. Breaches are
# closed in a fixed order (groups, composites, the tree top-down, leaders) as
# if one at a time, and all equations are re-checked until none gives
# anything away. This is the per-relation heuristic of statistical offices
# (cf. tau-Argus's hypercube method), not a full linear-programming audit;
# docs/privacy.md states the rule and what it does not cover.

TOTAL, PARTS = 0, 1
# Order in which breaches are closed: earlier families decide first, so a
# figure hidden for a unit's groups is not also replaced by a child's figure.
GROUP_ORDER, COMPOSITE_ORDER, TREE_ORDER, LEADER_ORDER, LEADER_UNIT_ORDER = 0, 1, 2, 3, 4
_DEPTH_SLOTS = 1 << 16  # tree equations are ordered by depth within TREE_ORDER


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
        return self.by_row[_ranges(self.row_starts[rows], self.row_starts[rows + 1])]


@dataclass(frozen=True)
class _Family:
    """One kind of equation; ``key`` identifies the equation within the family."""

    key: np.ndarray
    side: np.ndarray
    row: np.ndarray
    n: np.ndarray
    overlapping: np.ndarray  # per member (equal within an equation)
    order: np.ndarray  # per member (equal within an equation)


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

    def group_size(self) -> np.ndarray:
        """Per row: the largest n of its (unit, group) over all measures (~ its respondents)."""
        pair = self.unit.astype(np.int64) * self.n_groups + self.group
        size = np.zeros(len(self.units) * self.n_groups, dtype=np.int64)
        np.maximum.at(size, pair, self.n)
        return size[pair]


def _family(parts: list[tuple], order: int | np.ndarray, overlapping: bool | np.ndarray = False):
    """Concatenate (key, side, row, n) blocks into one family."""
    key, side, row, n = (
        np.concatenate([np.asarray(p[i], np.int64).reshape(-1) for p in parts]) for i in range(4)
    )
    flags = np.broadcast_to(np.asarray(overlapping, dtype=bool), key.shape).copy()
    orders = np.broadcast_to(np.asarray(order, dtype=np.int64), key.shape).copy()
    return _Family(key, side, row, n, flags, orders)


def _empty_family() -> _Family:
    return _family([_block([], TOTAL, [], [])], 0)


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
        ],
        GROUP_ORDER,
    )


def _unit_depth(figures: UnsuppressedFigures, c: _Codes) -> np.ndarray:
    """Depth in the tree (root 0) per unit code; 0 for leader rows' pseudo-units."""
    parent = dict(zip(figures.tree["unit_id"], figures.tree["parent_id"], strict=True))
    depth: dict[str, int] = {}
    for unit_id in figures.tree["unit_id"]:  # pre-order: a parent comes before its children
        depth[unit_id] = depth[parent[unit_id]] + 1 if parent[unit_id] else 0
    return np.array([depth.get(u, 0) for u in c.units], dtype=np.int64)


def tree_relations(figures: UnsuppressedFigures, c: _Codes) -> _Family:
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
    family = _family(
        [
            _block(keys, TOTAL, total_row, c.n[total_row]),
            _block(total_key, PARTS, rows, c.n[rows]),
            _block(keys, PARTS, np.full(len(keys), -1), own_n),
        ],
        0,
    )
    depth = _unit_depth(figures, c)[family.key // (c.n_groups * c.n_measures)]
    order = TREE_ORDER * _DEPTH_SLOTS + np.minimum(depth, _DEPTH_SLOTS - 1)
    return _Family(family.key, family.side, family.row, family.n, family.overlapping, order)


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
        return _empty_family()
    return _family(blocks, COMPOSITE_ORDER, overlapping=True)


def _leader_measures(c: _Codes, leader_codes: np.ndarray) -> np.ndarray:
    """The measures the leader rows carry."""
    return np.unique(c.measure[np.isin(c.unit, leader_codes[leader_codes >= 0])])


def leader_area_relations(figures: UnsuppressedFigures, c: _Codes) -> _Family:
    """A leader's top units = the leader's rows + the units under other leaders below them.

    A leader's respondents are the own respondents of the units whose nearest
    responsible manager they are; the units just below that area (the
    boundary) belong to other leaders. Where one of the leader's units sits
    under another leader's unit below the first, the sides overlap and the
    equation is marked so.
    """
    tree, mine = figures.tree, figures.manager_units
    if mine.empty:
        return _empty_family()
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

    unit_codes = c.units.get_indexer(frame["unit_id"])
    manager_codes = pd.factorize(frame["manager_id"])[0]
    is_nested = frame["manager_id"].isin(nested).to_numpy()
    # Bottom-up: a deeper leader's top unit is a boundary part of the leader
    # above, so closing the deeper equation first often closes both.
    depth = _unit_depth(figures, c)
    tops = frame["side"].to_numpy() == TOTAL
    top_depth = pd.Series(depth[unit_codes[tops]]).groupby(manager_codes[tops]).min()
    rank = (
        _DEPTH_SLOTS - 1 - np.minimum(top_depth.reindex(manager_codes).to_numpy(), _DEPTH_SLOTS - 1)
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
        return _empty_family()
    order = LEADER_ORDER * _DEPTH_SLOTS + np.concatenate(ranks)
    return _family(blocks, order, overlapping=np.concatenate(flags))


def leader_unit_relations(figures: UnsuppressedFigures, c: _Codes) -> _Family:
    """A unit = the leaders whose whole group lies in its subtree + the rest of its respondents.

    A leader lies wholly in every unit on the path from the lowest common
    ancestor of the leader's units up to the root. The rest (respondents
    without a responsible manager, or led from above the unit) is a hidden
    member: a unit minus its leaders must not single it out.
    """
    tree, mine = figures.tree, figures.manager_units
    if mine.empty:
        return _empty_family()
    parent_of = dict(zip(tree["unit_id"], tree["parent_id"], strict=True))

    def path_up(unit_id: str) -> list[str]:
        path = []
        while unit_id:
            path.append(unit_id)
            unit_id = parent_of[unit_id]
        return path

    pairs: list[tuple[str, str]] = []  # (unit, leader row) with the leader inside the unit
    for leader, units in mine.groupby("leader_id", sort=True)["unit_id"]:
        paths = [path_up(u) for u in units]
        common = set(paths[0]).intersection(*paths[1:])
        pairs += [(u, leader) for u in paths[0] if u in common]
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
            _block(keys, TOTAL, total_row, c.n[total_row]),
            _block(key, PARTS, part[has], c.n[part[has]]),
            _block(keys, PARTS, np.full(len(keys), -1), rest_n),
        ]
    if not blocks:
        return _empty_family()
    return _family(blocks, LEADER_UNIT_ORDER * _DEPTH_SLOTS)


def base_families(figures: UnsuppressedFigures, codes: _Codes) -> list[_Family]:
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
    extra: _Family | None = None,
    codes: _Codes | None = None,
    families: list[_Family] | None = None,
) -> Relations:
    """Every equation between one year's figures: groups, composites, tree, leaders.

    ``extra`` adds explicit equations (deeper tree subtractions found on the
    way); ``families``, when given, are :func:`base_families` computed before
    (they do not change while suppression proceeds, so they are built once).
    """
    codes = codes if codes is not None else _Codes(figures.table)
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


# ---------------------------------------------------------------------------
# Deeper tree subtractions
# ---------------------------------------------------------------------------
#
# The tree equations cover a parent minus its children. A reader may also
# subtract published units further down: under a hidden child, its published
# children. Per group and measure, the residuals a reader can reach from a
# published unit are capped subset sums over its subtree (values >= k are
# one bucket): a unit contributes its own respondents, and each child either
# nothing (subtracted, if published), its whole n (left in), or what it
# reaches itself (opened). A reachable residual of 1..k-1 is a breach; the
# subtraction that reaches it becomes an explicit equation, closed like the
# others, and the search repeats until none is left.


@dataclass(frozen=True)
class _TreeColumns:
    """Tree units (pre-order) x every (group, measure) of their rows, as a matrix of table rows."""

    rows: np.ndarray  # (units, columns): table row, -1 where the unit has no such figure
    child: np.ndarray  # child positions, grouped by parent
    parent: np.ndarray  # the parent position of each entry of ``child``
    rank: np.ndarray  # the child's rank among its parent's children
    child_depth: np.ndarray
    children: list[list[int]]
    depth: np.ndarray


def _tree_columns(figures: UnsuppressedFigures, c: _Codes) -> _TreeColumns:
    tree_units = figures.tree["unit_id"]
    unit_code = c.units.get_indexer(tree_units)
    position = np.full(len(c.units), -1, dtype=np.int64)
    position[unit_code[unit_code >= 0]] = np.flatnonzero(unit_code >= 0)
    on_tree = np.flatnonzero(position[c.unit] >= 0)
    column, _ = pd.factorize(c.group[on_tree].astype(np.int64) * c.n_measures + c.measure[on_tree])
    rows = np.full((len(tree_units), int(column.max(initial=-1)) + 1), -1, dtype=np.int64)
    rows[position[c.unit[on_tree]], column] = on_tree

    parent = pd.Index(tree_units).get_indexer(figures.tree["parent_id"]).astype(np.int64)
    depth = np.zeros(len(parent), dtype=np.int64)
    for u in range(len(parent)):  # pre-order: a parent comes before its children
        depth[u] = depth[parent[u]] + 1 if parent[u] >= 0 else 0
    child = np.flatnonzero(parent >= 0)
    child = child[np.argsort(parent[child], kind="stable")]
    starts = np.searchsorted(parent[child], parent[child], side="left")
    children: list[list[int]] = [[] for _ in range(len(parent))]
    for ch in child:
        children[parent[ch]].append(int(ch))
    return _TreeColumns(
        rows=rows,
        child=child,
        parent=parent[child],
        rank=np.arange(len(child)) - starts,
        child_depth=depth[child],
        children=children,
        depth=depth,
    )


def _onehot(values: np.ndarray, k: int) -> np.ndarray:
    """Bitsets over 0..k (k = "k or more") holding one value each."""
    return np.minimum(values, k)[..., None] == np.arange(k + 1)


def _capped_sumset(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """{x + y capped at k : x in a, y in b} for bitsets over 0..k (last axis)."""
    k = a.shape[-1] - 1
    out = np.zeros_like(a)
    for i in range(k + 1):
        ai = a[..., i : i + 1]
        out[..., i:k] |= ai & b[..., : k - i]
        out[..., k] |= ai[..., 0] & b[..., k - i :].any(axis=-1)
    return out


def _reachable(tc: _TreeColumns, n: np.ndarray, published: np.ndarray, k: int) -> np.ndarray:
    """Per unit and column: the residuals (bitset over 0..k) reachable by subtraction below it."""
    own = n.copy()
    np.subtract.at(own, tc.parent, n[tc.child])
    reach = _onehot(own, k)
    for depth in range(int(tc.depth.max(initial=0)), 0, -1):
        at_depth = tc.child_depth == depth
        for rank in range(int(tc.rank[at_depth].max(initial=-1)) + 1):
            pick = at_depth & (tc.rank == rank)
            child, parent = tc.child[pick], tc.parent[pick]
            options = reach[child] | _onehot(n[child], k)
            options[..., 0] |= published[child] | (n[child] == 0)
            reach[parent] = _capped_sumset(reach[parent], options)
    return reach


def _subtraction(
    tc: _TreeColumns, n: np.ndarray, published: np.ndarray, reach: np.ndarray, top: int, k: int
) -> tuple[list[int], list[int], int]:
    """One subtraction reaching a small residual from ``top`` (one column's arrays).

    Returns the published units subtracted, the hidden units left in, and the
    respondents of the opened units' own (top's included).
    """
    subtracted: list[int] = []
    left_in: list[int] = []
    own_total = 0
    target = int(np.flatnonzero(reach[top, 1:k])[0]) + 1
    stack = [(top, target)]
    while stack:
        unit, target = stack.pop()
        kids = tc.children[unit]
        own = int(n[unit] - sum(n[c] for c in kids))
        prefix = [_onehot(np.array(own), k)]
        options = []
        for c in kids:
            option = reach[c] | _onehot(np.array(n[c]), k)
            option[0] |= bool(published[c] or n[c] == 0)
            options.append(option)
            prefix.append(_capped_sumset(prefix[-1], option))
        for i in range(len(kids) - 1, -1, -1):
            c, rest = kids[i], prefix[i]
            if options[i][0] and rest[target]:
                if n[c] > 0:
                    subtracted.append(c)
                continue
            if n[c] <= target and rest[target - n[c]]:
                left_in.append(c)
                target -= int(n[c])
                continue
            part = next(v for v in range(target + 1) if reach[c, v] and rest[target - v])
            stack.append((c, part))
            target -= part
        own_total += own
    return subtracted, left_in, own_total


def deeper_tree_equations(
    figures: UnsuppressedFigures,
    c: _Codes,
    tc: _TreeColumns,
    status: np.ndarray,
    k: int,
    first_key: int,
) -> _Family | None:
    """Explicit equations for every published unit figure a deeper subtraction gives away."""
    n = np.where(tc.rows >= 0, c.n[tc.rows], 0)
    published = status[tc.rows]  # status[-1] is the sentinel False
    reach = _reachable(tc, n, published, k)
    breached = np.argwhere(published & reach[..., 1:k].any(axis=-1))
    if not len(breached):
        return None
    blocks = []
    for key, (top, column) in enumerate(breached, start=first_key):
        subtracted, left_in, own = _subtraction(
            tc, n[:, column], published[:, column], reach[:, column], int(top), k
        )
        blocks += [
            _block([key], TOTAL, [tc.rows[top, column]], [n[top, column]]),
            _block(
                [key] * len(subtracted + left_in),
                PARTS,
                tc.rows[subtracted + left_in, column],
                n[subtracted + left_in, column],
            ),
            _block([key], PARTS, [-1], [own]),
        ]
    family = _family(blocks, 0)
    depth = tc.depth[breached[:, 0]][family.key - first_key]
    order = TREE_ORDER * _DEPTH_SLOTS + np.minimum(depth, _DEPTH_SLOTS - 1)
    return _Family(family.key, family.side, family.row, family.n, family.overlapping, order)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, end)`` for each pair, without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total)


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
    members = _ranges(r.eq_starts[eqs], r.eq_starts[eqs + 1])
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


def _gives_away(s: _SideStats, overlapping: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Does each equation give a suppressed figure away, and on which side are its unknowns?"""
    one_side = (s.unknown[:, TOTAL] > 0) != (s.unknown[:, PARTS] > 0)
    side = np.where(s.unknown[:, PARTS] > 0, PARTS, TOTAL)
    at = np.arange(len(side))
    count = s.unknown[at, side]
    aggregate = np.where(overlapping, s.largest[at, side], s.total[at, side])
    # All of a side unknown reveals only their sum, which the other side publishes...
    whole_side = count == s.positive[at, side]
    # ...but one secondarily suppressed figure alone would be pinned down exactly.
    pinned = (count == 1) & (s.secondary[at, side] == 1)
    return one_side & ((~whole_side & (aggregate < k)) | pinned), side


def _breaches(
    r: Relations, eqs: np.ndarray, published: np.ndarray, secondary: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each equation in ``eqs``: does it give a suppressed figure away, and on which side?"""
    return _gives_away(_side_stats(r, eqs, published, secondary), r.overlapping[eqs], k)


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
    broken, _ = _gives_away(after, r.overlapping[eqs[at.reshape(-1)]], k)
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

    Among the published members: the revealed side first; then the one
    whose hiding leaves the fewest of its equations giving something away
    (this one included); then the smallest (unit, group); the smallest n for
    this measure; table order.
    """
    lengths = r.eq_starts[breached + 1] - r.eq_starts[breached]
    members = _ranges(r.eq_starts[breached], r.eq_starts[breached + 1])
    local = np.repeat(np.arange(len(breached)), lengths)
    ok = status[r.row[members]] & (r.n[members] > 0)
    members, local = members[ok], local[ok]
    rows = r.row[members]
    other_side = r.side[members] != side[local]
    candidates, at = np.unique(rows, return_inverse=True)
    cost = _breaches_if_hidden(r, candidates, status, secondary, k)[at.reshape(-1)]
    pick = np.lexsort((rows, r.n[members], size[rows], cost, other_side, local))
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
    figures: UnsuppressedFigures, published: np.ndarray, min_group_size: int
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
    codes = _Codes(figures.table)
    size = np.append(codes.group_size(), 0)
    tree = _tree_columns(figures, codes)
    families = base_families(figures, codes)
    r = build_relations(figures, codes=codes, families=families)
    status = np.append(np.asarray(published, dtype=bool), False)
    secondary = np.zeros(len(status), dtype=bool)
    dirty = np.arange(r.count)
    extra: _Family | None = None
    while True:
        _close_breaches(r, dirty, status, secondary, size, k)
        found = deeper_tree_equations(figures, codes, tree, status, k, first_key=_count(extra))
        if found is None:
            return status[:-1]
        extra = found if extra is None else _concat(extra, found)
        before = r.count
        r = build_relations(figures, extra, codes, families)
        dirty = np.arange(before, r.count)


def _count(family: _Family | None) -> int:
    return 0 if family is None else int(family.key.max(initial=-1)) + 1


def _concat(a: _Family, b: _Family) -> _Family:
    return _Family(
        *(np.concatenate([getattr(a, f), getattr(b, f)]) for f in _Family.__dataclass_fields__)
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
