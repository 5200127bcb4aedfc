"""Who is analysed in a year: every unit of the tree, then every manager, with their lenders.

A target's lenders are the units it may borrow importances from, nearest
first; that order comes from the organisation tree (:mod:`analysis.core.orgtree`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.contract import MANAGER_PREFIX
from analysis.core.dataset import SurveyData
from analysis.core.orgtree import OrgTree, TreeError
from analysis.drivers.relweights import DriverAnalysisError
from analysis.drivers.sample import DriverSample

__all__ = ["Target", "analysis_targets"]


@dataclass(frozen=True)
class Target:
    """One unit or manager to analyse.

    ``positions`` index the rows of the year's ``DriverSample`` (complete
    respondents in its subtree, or under its management); ``lenders`` are the
    units it may borrow importances from, nearest first.
    """

    target_id: str
    positions: np.ndarray
    lenders: tuple[str, ...]
    is_root: bool = False

    @property
    def analysis_order(self) -> tuple[bool, int]:
        """Units before managers, ancestors before descendants (lenders come first)."""
        return (self.target_id.startswith(MANAGER_PREFIX), len(self.lenders))


def _year_tree(units: pd.DataFrame, year: int) -> OrgTree:
    """The year's tree; a forest or a cycle is a ``DriverAnalysisError`` naming the year."""
    try:
        return OrgTree.from_table(units)
    except TreeError as error:
        message = f"year {year}: the units do not form one tree: {error}"
        raise DriverAnalysisError(message) from error


def analysis_targets(data: SurveyData, sample: DriverSample) -> list[Target]:
    """Every unit of the year's tree (tree order of the units table), then every manager.

    A manager's respondents are those whose nearest responsible manager it is
    (walking up from their unit to the first unit with a manager_id); the
    manager borrows from the unit they manage - the lowest common ancestor if
    they manage several - or that unit's ancestors.
    """
    units = data.units_in(sample.year)
    tree = _year_tree(units, sample.year)
    chains = {unit: tree.chain(unit) for unit in tree.table_order}
    unknown = sorted(set(sample.unit_ids) - set(chains))
    if unknown:
        raise DriverAnalysisError(f"year {sample.year}: respondents' units not in units: {unknown}")
    codes, uniques = pd.factorize(sample.unit_ids)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    own = {u: order[bounds[i] : bounds[i + 1]] for i, u in enumerate(uniques)}

    subtree: dict[str, list[np.ndarray]] = {u: [] for u in chains}
    for unit, positions in own.items():
        for ancestor in chains[unit]:
            subtree[ancestor].append(positions)
    targets = [
        Target(
            unit, _sorted_concat(subtree[unit]), chains[unit][1:], is_root=len(chains[unit]) == 1
        )
        for unit in chains
    ]
    targets.sort(key=lambda t: not t.is_root)

    manager_of = dict(
        zip(units["unit_id"].astype(str), units["manager_id"].astype(str), strict=True)
    )
    responsible = {
        unit: next((manager_of[u] for u in chain if manager_of[u] != ""), "")
        for unit, chain in chains.items()
    }
    managed: dict[str, list[str]] = {}
    for unit in chains:
        if manager_of[unit] != "":
            managed.setdefault(manager_of[unit], []).append(unit)
    for manager, their_units in managed.items():
        home = tree.common_ancestor(their_units)
        positions = _sorted_concat([p for unit, p in own.items() if responsible[unit] == manager])
        targets.append(Target(MANAGER_PREFIX + manager, positions, chains[home]))
    return targets


def _sorted_concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.intp)
