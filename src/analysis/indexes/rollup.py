"""The organisation tree of one year as the roll-up needs it: pre-order, ancestors, leaders.

A unit's figures roll up its whole subtree through a sparse ancestor matrix,
so the arithmetic is one sparse product whatever the size of the
organisation -- no Python loop over respondents. The tree itself (validation,
pre-order, chains) is :class:`analysis.core.orgtree.OrgTree`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.core.contract import MANAGER_PREFIX
from analysis.core.orgtree import OrgTree, TreeError

__all__ = ["RollUpTree", "build_tree", "roll_up"]


@dataclass(frozen=True)
class RollUpTree:
    """One year's units in pre-order, with what roll-up and leader rows need.

    Every array is indexed by the unit's pre-order position.
    """

    unit_ids: np.ndarray  # object array of unit ids, pre-order (root first)
    parent: np.ndarray  # int64, pre-order position of the parent, -1 for the root
    ancestors: sp.csr_matrix  # [a, u] = 1 when a is u or an ancestor of u
    invited: np.ndarray  # float64, the unit's own invited (empty = 0)
    invited_given: np.ndarray  # bool: the organisation table gives it (the attacker's cap)
    managers: list[str]  # responsible managers, sorted
    nearest_manager: np.ndarray  # int64 index into managers, -1 when none above

    @property
    def size(self) -> int:
        return len(self.unit_ids)


def build_tree(units: pd.DataFrame, year: int) -> RollUpTree:
    """Validate one year's units as a single rooted tree and index it in pre-order.

    Pre-order keeps the units table's order among siblings, so the figures
    table lists units the way the organisation lists them.
    """
    if units.empty:
        raise ValueError(f"units: no units for year {year}")
    ids = units["unit_id"].astype(str).to_numpy(dtype=object)
    # duplicates before the reserved prefix, the tree's own checks after: the order they had
    duplicated = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
    if len(duplicated):
        raise ValueError(f"units: year {year}: duplicate unit_id {list(duplicated)[:10]}")
    clashing = [u for u in ids if u.startswith(MANAGER_PREFIX)]
    if clashing:
        raise ValueError(
            f"units: year {year}: unit_id may not start with {MANAGER_PREFIX!r} "
            f"(reserved for leader reports): {clashing[:10]}"
        )
    try:
        org = OrgTree.from_table(units)
    except TreeError as error:
        raise ValueError(f"units: year {year}: {error}") from error
    n = len(ids)
    position = {unit: i for i, unit in enumerate(org.preorder)}
    table_position = {unit: i for i, unit in enumerate(org.table_order)}
    order = np.array([table_position[u] for u in org.preorder], dtype=np.int64)
    # ancestors[a, u] = 1 for every a on u's chain (u itself up to the root).
    rows, desc = [], []
    for u, unit in enumerate(org.preorder):
        chain = org.chain(unit)
        rows += [position[a] for a in chain]
        desc += [u] * len(chain)
    ancestors = sp.csr_matrix((np.ones(len(rows)), (rows, desc)), shape=(n, n), dtype=np.float64)
    parent_pre = np.array(
        [position[org.parent[u]] if org.parent[u] else -1 for u in org.preorder], dtype=np.int64
    )

    given = units["invited"].astype("Float64")
    invited = given.fillna(0).to_numpy(np.float64)[order]
    invited_given = given.notna().to_numpy(bool)[order]
    manager_ids = units["manager_id"].fillna("").astype(str).to_numpy(dtype=object)[order]
    managers = sorted(set(manager_ids) - {""})
    own_manager = pd.Index(managers).get_indexer(manager_ids).astype(np.int64)
    # Nearest responsible manager: the first unit with a manager, walking up.
    nearest = own_manager.copy()
    cursor = parent_pre.copy()
    pending = (nearest < 0) & (cursor >= 0)
    while pending.any():
        at = cursor[pending]
        nearest[pending] = own_manager[at]
        cursor[pending] = parent_pre[at]
        pending = (nearest < 0) & (cursor >= 0)

    return RollUpTree(
        unit_ids=ids[order],
        parent=parent_pre,
        ancestors=ancestors,
        invited=invited,
        invited_given=invited_given,
        managers=managers,
        nearest_manager=nearest,
    )


def roll_up(tree: RollUpTree, own: np.ndarray) -> np.ndarray:
    """Each unit's figures over its whole subtree (own: (units, ...))."""
    flat = own.reshape(own.shape[0], -1)
    return np.asarray(tree.ancestors @ flat).reshape(own.shape)
