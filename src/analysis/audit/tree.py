"""The audit's own organisation tree and composite measures, as plain dictionaries.

Deliberately not the pipeline's (``analysis.indexes``, ``analysis.privacy``):
each unit is walked up to the root by hand, so a fault in the pipeline's
tree cannot hide in the audit's agreement with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.audit.results import AuditError
from analysis.core.catalogue import (
    AMI,
    AMI_DIMENSIONS,
    LEADERSHIP,
    RESPONSE_RATE,
    area_measure,
    dimension_measure,
    question_measure,
)


@dataclass(frozen=True)
class Organisation:
    """One year's tree: each unit's chain up to the root, invitations, managers."""

    chains: dict[str, tuple[str, ...]]  # unit -> (unit, parent, ..., root)
    invited: dict[str, int]  # the unit's own invited (empty = 0)
    nearest_manager: dict[str, str]  # unit -> the first manager walking up ("" = none)
    managers: tuple[str, ...]  # every manager_id of the year, sorted


def organisation(units: pd.DataFrame, year: int) -> Organisation:
    """Walk each unit up to the root; refuse an unknown parent or a cycle."""
    parent = dict(zip(units["unit_id"].astype(str), units["parent_id"].astype(str), strict=True))
    chains: dict[str, tuple[str, ...]] = {}
    for unit in parent:
        chain = [unit]
        while parent[chain[-1]] != "":
            above = parent[chain[-1]]
            if above not in parent or above in chain:
                raise AuditError(
                    f"units, year {year}: unit {chain[-1]!r} has a bad parent {above!r}"
                )
            chain.append(above)
        chains[unit] = tuple(chain)
    manager = dict(zip(units["unit_id"].astype(str), units["manager_id"].astype(str), strict=True))
    nearest = {
        unit: next((manager[u] for u in chain if manager[u] != ""), "")
        for unit, chain in chains.items()
    }
    invited = {
        str(u): 0 if pd.isna(v) else int(v)
        for u, v in zip(units["unit_id"], units["invited"], strict=True)
    }
    managers = tuple(sorted({m for m in manager.values() if m != ""}))
    return Organisation(chains, invited, nearest, managers)


def composite_questions(questions: pd.DataFrame, asked: list[str]) -> dict[str, list[str]]:
    """Each composite with its questions asked that year (composites without any are left out)."""
    asked_set = set(asked)

    def kept(mask: pd.Series) -> list[str]:
        return [q for q in questions.loc[mask, "question_id"] if q in asked_set]

    dimension = questions["ami_dimension"]
    defs = {AMI: kept(dimension.isin(AMI_DIMENSIONS))}
    for dim in AMI_DIMENSIONS:
        defs[dimension_measure(dim)] = kept(dimension == dim)
    for area in dict.fromkeys(a for a in questions["area"] if a):
        defs[area_measure(area)] = kept(questions["area"] == area)
    defs[LEADERSHIP] = kept(questions["leadership"].astype(bool))
    return {name: ids for name, ids in defs.items() if ids}


def comparable_measures(questions: pd.DataFrame, asked: list[str], asked_before: list[str]):
    """Measures resting on the same question ids in both years (the response rate always)."""
    now = composite_questions(questions, asked)
    before = composite_questions(questions, asked_before)
    same = {name for name, ids in now.items() if set(before.get(name, [])) == set(ids)}
    same |= {question_measure(q) for q in set(asked) & set(asked_before)}
    return same | {RESPONSE_RATE}
