"""Lookups in the organisation tree a report needs: subtrees, schools, a manager's units."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from analysis.core.contract import (
    MANAGER_PREFIX,
)
from analysis.report.processed import ProcessedYear


def subtree_ids(data: ProcessedYear, unit_id: str, include_self: bool = True) -> list[str]:
    """The unit and all its descendants in pre-order (the units table's sibling order)."""
    out: list[str] = []
    stack = [unit_id]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(data.children.get(current, [])))
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
    units = data.units.set_index("unit_id")
    total = 0
    for unit_id, unit in units.iterrows():
        current = unit_id
        while current and not units.at[current, "manager_id"]:
            current = units.at[current, "parent_id"]
        if current and units.at[current, "manager_id"] == manager_id:
            invited = unit["invited"]
            total += 0 if pd.isna(invited) else int(invited)
    return total
