"""Lookups in the organisation tree a report needs: subtrees, schools, a manager's units.

The tree is the year's one :class:`~analysis.core.orgtree.OrgTree`
(:attr:`ProcessedYear.tree <analysis.report.processed.ProcessedYear.tree>`), the same
tree the indexes, drivers and privacy stages walk.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from analysis.core.contract import (
    MANAGER_PREFIX,
)
from analysis.report.processed import ProcessedYear


def subtree_ids(data: ProcessedYear, unit_id: str, include_self: bool = True) -> list[str]:
    """The unit and all its descendants in pre-order (the units table's sibling order).

    An id that is no unit (a leader report's ``manager:<id>``) has no descendants.
    """
    tree = data.tree
    out = list(tree.subtree(unit_id)) if unit_id in tree else [unit_id]
    return out if include_self else out[1:]


def school_units(data: ProcessedYear, unit_id: str, school_types: Iterable[str]) -> list[str]:
    """Descendants (not the unit itself) whose unit_type is a school form."""
    types = set(school_types)
    return [u for u in subtree_ids(data, unit_id, False) if data.unit_type(u) in types]


def manager_units(data: ProcessedYear, manager_unit_id: str) -> list[str]:
    """The units a manager is responsible for (units.manager_id), in table order."""
    manager_id = manager_unit_id[len(MANAGER_PREFIX) :]
    return list(data.units.loc[data.units["manager_id"] == manager_id, "unit_id"])


def manager_invited(data: ProcessedYear, manager_unit_id: str) -> int:
    """Employees invited in the units whose nearest responsible manager this is.

    Zero for a head whose every employee sits under a sub-manager: the leader
    report then says so instead of "too few answers".
    """
    manager_id = manager_unit_id[len(MANAGER_PREFIX) :]
    units = data.units
    managed_by = dict(zip(units["unit_id"], units["manager_id"], strict=True))
    total = 0
    for unit_id, invited in zip(units["unit_id"], units["invited"], strict=True):
        # the unit itself or the nearest unit above it that names a manager
        nearest = next((u for u in data.tree.chain(unit_id) if managed_by[u]), "")
        if nearest and managed_by[nearest] == manager_id:
            total += 0 if pd.isna(invited) else int(invited)
    return total
