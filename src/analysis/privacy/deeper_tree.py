"""Deeper tree subtractions: a parent minus published units further down.

Part of the first pass: the tree equations cover a parent minus its
children; this finds subtractions that go further and turns each into an
explicit equation for :mod:`.first_pass` to close.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.privacy.figures import UnsuppressedFigures
from analysis.privacy.relations import (
    DEPTH_SLOTS,
    PARTS,
    TOTAL,
    TREE_ORDER,
    Codes,
    Family,
    block,
    make_family,
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


def tree_columns(figures: UnsuppressedFigures, c: Codes) -> _TreeColumns:
    tree_units = figures.tree["unit_id"]
    unit_code = c.units.get_indexer(tree_units)
    position = np.full(len(c.units), -1, dtype=np.int64)
    position[unit_code[unit_code >= 0]] = np.flatnonzero(unit_code >= 0)
    on_tree = np.flatnonzero(position[c.unit] >= 0)
    column, _ = pd.factorize(c.group[on_tree].astype(np.int64) * c.n_measures + c.measure[on_tree])
    rows = np.full((len(tree_units), int(column.max(initial=-1)) + 1), -1, dtype=np.int64)
    rows[position[c.unit[on_tree]], column] = on_tree

    org = figures.org
    at = {unit: u for u, unit in enumerate(org.table_order)}
    parent = np.array([at.get(org.parent[unit], -1) for unit in org.table_order], dtype=np.int64)
    depth = np.array([org.depth[unit] for unit in org.table_order], dtype=np.int64)
    # children in table order, so grouped by parent each parent's children ascend too
    children = [[at[child] for child in org.children[unit]] for unit in org.table_order]
    child = np.array([ch for kids in children for ch in kids], dtype=np.int64)
    starts = np.searchsorted(parent[child], parent[child], side="left")
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
                if published[c] or n[c] == 0:
                    if n[c] > 0:
                        subtracted.append(c)
                else:  # hidden, but its published descendants take it away whole: open it
                    stack.append((c, 0))
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
    c: Codes,
    tc: _TreeColumns,
    status: np.ndarray,
    k: int,
    first_key: int,
) -> Family | None:
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
            block([key], TOTAL, [tc.rows[top, column]], [n[top, column]]),
            block(
                [key] * len(subtracted + left_in),
                PARTS,
                tc.rows[subtracted + left_in, column],
                n[subtracted + left_in, column],
            ),
            block([key], PARTS, [-1], [own]),
        ]
    family = make_family(blocks, 0)
    depth = tc.depth[breached[:, 0]][family.key - first_key]
    order = TREE_ORDER * DEPTH_SLOTS + np.minimum(depth, DEPTH_SLOTS - 1)
    return Family(family.key, family.side, family.row, family.n, family.overlapping, order)
