"""What the joint audit must prove, and what it reports when it cannot.

Shared by the two audits (:mod:`.count_audit`, :mod:`.value_audit`) and by
:mod:`.protect`, which repairs what they report: which hidden cells are
sensitive, how far a count's protection interval must reach, and one
failure's record (the cell, how it fails, the published figures whose
hiding may protect it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.privacy.attacker_model import own_cap
from analysis.privacy.figures import UnsuppressedFigures

#: a bound within this of the required value counts as reaching it (HiGHS' feasibility tolerance)
TOLERANCE = 1e-7


@dataclass(frozen=True)
class Failure:
    """A sensitive hidden cell the attacker narrows: table row, how, and what to hide instead."""

    row: int
    kind: str  # "count" or "value"
    bound: float  # the attacker's upper bound of the count (count); nan (value)
    candidates: tuple[int, ...]  # published rows whose hiding may protect it


@dataclass
class AuditResult:
    """An audit's outcome: its failures, the sensitive cells it checked, programs solved."""

    failures: list[Failure] = field(default_factory=list)
    sensitive: int = 0
    programs: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def small_or_empty(figures: UnsuppressedFigures, k: int) -> np.ndarray:
    """Rows that must keep their protection interval once hidden (the threshold hides them all).

    1 .. k-1 respondents; or none while the same unit and group has
    respondents in another measure (a pinned zero would tell that they skipped
    this question).
    """
    table = figures.table
    n = table["n"].astype("Int64").fillna(0).to_numpy(np.int64)
    pair = pd.factorize(table["unit_id"].astype(str) + "\x1f" + table["group"].astype(str))[0]
    group_size = np.zeros(pair.max(initial=-1) + 1, dtype=np.int64)
    np.maximum.at(group_size, pair, n)
    return ((n >= 1) & (n < k)) | ((n == 0) & (group_size[pair] > 0))


def sensitive_cells(figures: UnsuppressedFigures, published: np.ndarray, k: int) -> np.ndarray:
    """The hidden rows among :func:`small_or_empty`'s."""
    return small_or_empty(figures, k) & ~np.asarray(published, dtype=bool)


def prior_bound(figures: UnsuppressedFigures) -> np.ndarray:
    """Per row: the most respondents the organisation table alone allows (invited below it).

    A unit of three employees is known to have at most three respondents
    before anything is published; its protection interval can only reach
    that far, so the audit asks for min(k, this bound).
    """
    tree = figures.tree
    units = pd.Index(tree["unit_id"])
    parent = units.get_indexer(tree["parent_id"])
    table = figures.table
    n = table["n"].astype("Int64").fillna(0).to_numpy(np.float64)
    invited = own_cap(figures)
    below = invited.copy()
    for u in range(len(units) - 1, 0, -1):  # pre-order reversed: children before parents
        if parent[u] >= 0:
            below[parent[u]] += below[u]
    code = units.get_indexer(table["unit_id"])
    bound = np.where(code >= 0, below[np.maximum(code, 0)], np.inf)
    mine = figures.manager_units
    if len(mine):
        per_leader = (
            pd.Series(invited[units.get_indexer(mine["unit_id"])])
            .groupby(mine["leader_id"].to_numpy())
            .sum()
        )
        leader = table["unit_id"].map(per_leader).to_numpy(np.float64)
        bound = np.where(code < 0, np.nan_to_num(leader, nan=np.inf), bound)
    return np.maximum(bound, n)  # never below the truth (invited covers respondents)
