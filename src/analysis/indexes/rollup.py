"""The organisation tree of one year as the roll-up needs it: pre-order, ancestors, leaders.

A unit's figures roll up its whole subtree through a sparse ancestor matrix,
so the arithmetic is one sparse product whatever the size of the
organisation -- no Python loop over units or respondents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.core.contract import MANAGER_PREFIX

__all__ = ["OrgTree", "build_tree", "roll_up"]


@dataclass(frozen=True)
class OrgTree:
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


def build_tree(units: pd.DataFrame, year: int) -> OrgTree:
    """Validate one year's units as a single rooted tree and index it in pre-order.

    Pre-order keeps the units table's order among siblings, so the figures
    table lists units the way the organisation lists them.
    """
    if units.empty:
        raise ValueError(f"units: no units for year {year}")
    ids = units["unit_id"].astype(str).to_numpy(dtype=object)
    duplicated = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
    if len(duplicated):
        raise ValueError(f"units: year {year}: duplicate unit_id {list(duplicated)[:10]}")
    clashing = [u for u in ids if u.startswith(MANAGER_PREFIX)]
    if clashing:
        raise ValueError(
            f"units: year {year}: unit_id may not start with {MANAGER_PREFIX!r} "
            f"(reserved for leader reports): {clashing[:10]}"
        )
    parent_ids = units["parent_id"].fillna("").astype(str).to_numpy(dtype=object)
    parent = pd.Index(ids).get_indexer(parent_ids).astype(np.int64)
    unknown = (parent < 0) & (parent_ids != "")
    if unknown.any():
        bad = [
            f"{u} (parent {p!r})" for u, p in zip(ids[unknown], parent_ids[unknown], strict=True)
        ]
        raise ValueError(f"units: year {year}: parent_id not among the year's units: {bad[:10]}")
    roots = np.flatnonzero(parent < 0)
    if len(roots) != 1:
        raise ValueError(
            f"units: year {year}: expected exactly one root (empty parent_id), "
            f"found {len(roots)}: {list(ids[roots])[:10]}"
        )

    # chain[:, j] = the j-th ancestor (0 = the unit itself), -1 above the root.
    n = len(ids)
    chain = [np.arange(n, dtype=np.int64)]
    while (chain[-1] >= 0).any():
        if len(chain) > n:
            looping = ids[chain[-1] >= 0]
            raise ValueError(
                f"units: year {year}: parent_id forms a cycle through {list(looping)[:10]}"
            )
        prev = chain[-1]
        chain.append(np.where(prev >= 0, parent[np.maximum(prev, 0)], -1))
    chain_m = np.stack(chain[:-1], axis=1)  # (n, max_depth + 1)
    depth = (chain_m >= 0).sum(axis=1) - 1

    # Pre-order = lexicographic order of the root-to-unit paths of table positions.
    path = np.full_like(chain_m, -1)
    for d in range(chain_m.shape[1]):
        has = depth >= d
        path[has, d] = chain_m[has, depth[has] - d]
    order = np.lexsort(path.T[::-1])
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)

    anc_table = chain_m[order]  # rows in pre-order, entries still table positions
    rows = np.where(anc_table >= 0, position[np.maximum(anc_table, 0)], -1)
    desc = np.repeat(np.arange(n), rows.shape[1]).reshape(rows.shape)
    keep = rows >= 0
    ancestors = sp.csr_matrix(
        (np.ones(keep.sum()), (rows[keep], desc[keep])), shape=(n, n), dtype=np.float64
    )
    parent_pre = np.where(parent[order] >= 0, position[np.maximum(parent[order], 0)], -1)

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

    return OrgTree(
        unit_ids=ids[order],
        parent=parent_pre,
        ancestors=ancestors,
        invited=invited,
        invited_given=invited_given,
        managers=managers,
        nearest_manager=nearest,
    )


def roll_up(tree: OrgTree, own: np.ndarray) -> np.ndarray:
    """Each unit's figures over its whole subtree (own: (units, ...))."""
    flat = own.reshape(own.shape[0], -1)
    return np.asarray(tree.ancestors @ flat).reshape(own.shape)
