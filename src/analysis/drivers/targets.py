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


def _unit_chains(units: pd.DataFrame, year: int) -> dict[str, tuple[str, ...]]:
    """Each unit's chain (itself, parent, ..., root); refuses a forest or a cycle."""
    parent = dict(zip(units["unit_id"].astype(str), units["parent_id"].astype(str), strict=True))
    roots = [u for u, p in parent.items() if p == ""]
    if len(roots) != 1:
        raise DriverAnalysisError(f"year {year}: the units table must have one root, found {roots}")
    chains: dict[str, tuple[str, ...]] = {}
    for unit in parent:
        chain = [unit]
        while parent[chain[-1]] != "":
            nxt = parent[chain[-1]]
            if nxt not in parent or nxt in chain:
                raise DriverAnalysisError(
                    f"year {year}: unit {chain[-1]!r} has parent {nxt!r}, which is "
                    + ("not a unit" if nxt not in parent else "on a cycle")
                )
            chain.append(nxt)
        chains[unit] = tuple(chain)
    return chains


def analysis_targets(data: SurveyData, sample: DriverSample) -> list[Target]:
    """Every unit of the year's tree (tree order of the units table), then every manager.

    A manager's respondents are those whose nearest responsible manager it is
    (walking up from their unit to the first unit with a manager_id); the
    manager borrows from the unit they manage - the lowest common ancestor if
    they manage several - or that unit's ancestors.
    """
    units = data.units_in(sample.year)
    chains = _unit_chains(units, sample.year)
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
        home = _common_ancestor([chains[u] for u in their_units])
        positions = _sorted_concat([p for unit, p in own.items() if responsible[unit] == manager])
        targets.append(Target(MANAGER_PREFIX + manager, positions, chains[home]))
    return targets


def _sorted_concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.intp)


def _common_ancestor(chains: list[tuple[str, ...]]) -> str:
    """The lowest unit that all chains (unit ... root) pass through."""
    common = set(chains[0]).intersection(*chains[1:])
    return next(u for u in chains[0] if u in common)
