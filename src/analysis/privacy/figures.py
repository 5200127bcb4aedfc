"""The unsuppressed figures and the threshold rule.

The threshold rule (contract §3): a number is published only if it rests on
at least ``privacy.min_group_size`` respondents (``n >= k``). A suppressed
row has ``n`` and ``value`` empty (NA), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from analysis.core.orgtree import OrgTree

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
    tree: ``unit_id, parent_id, invited`` of the year's units in pre-order
        (root first, ``parent_id`` "" for the root; ``invited`` the unit's
        own, NaN where the organisation table does not give it): parent minus
        children, and what an attacker knowing the organisation table knows
        of each unit's own respondents.
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

    @cached_property
    def org(self) -> OrgTree:
        """``tree`` as the one organisation tree, built once for every relation that walks it."""
        return OrgTree.from_table(self.tree)


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
