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
import scipy.sparse as sp

from analysis.privacy.attacker_model import CountModel, own_cap
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
    unit_id: str = ""  # the unit the cell belongs to (a never-published group has no row)


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


def _caps(figures: UnsuppressedFigures) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Tree units, each one's most own respondents (:func:`own_cap`) and most in its subtree."""
    tree = figures.tree
    units = pd.Index(tree["unit_id"])
    parent = units.get_indexer(tree["parent_id"])
    invited = own_cap(figures)
    below = invited.copy()
    for u in range(len(units) - 1, 0, -1):  # pre-order reversed: children before parents
        if parent[u] >= 0:
            below[parent[u]] += below[u]
    return units, invited, below


def prior_bound(figures: UnsuppressedFigures) -> np.ndarray:
    """Per row: the most respondents the organisation table alone allows (invited below it).

    A unit of three employees is known to have at most three respondents
    before anything is published; its protection interval can only reach
    that far, so the audit asks for min(k, this bound).
    """
    units, invited, below = _caps(figures)
    table = figures.table
    n = table["n"].astype("Int64").fillna(0).to_numpy(np.float64)
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


@dataclass(frozen=True)
class HiddenGroups:
    """Sensitive groups that are never published, per measure: the attacker may still derive them.

    A unit's own respondents (the unit minus its children) and the
    respondents whose background label is unknown (a unit total minus its
    published groups). Their rule is the published cells': 1 .. k-1
    respondents, or none while the group answers elsewhere.
    """

    cell: np.ndarray  # the count model's cell
    measure: np.ndarray
    truth: np.ndarray  # how many respondents it really holds
    required: np.ndarray  # min(k, what the organisation table allows)
    unit_id: np.ndarray
    group: np.ndarray  # e.g. "gender=" (unknown label) or "own staff, gender=woman"

    def describe(self, i: int) -> str:
        return f"{self.unit_id[i]} / {self.group[i]} / {self.measure[i]}"


def never_published_targets(
    figures: UnsuppressedFigures, model: CountModel, k: int
) -> HiddenGroups:
    """The :class:`HiddenGroups` of one year (their counts come from the unsuppressed table)."""
    table = figures.table
    units, invited, below = _caps(figures)
    n_units = len(units)
    measures = pd.Index(pd.unique(table["measure"]))
    truth = np.zeros((len(measures), model.tree_cells))
    cell = model.cell_of_row
    on_tree = cell < model.tree_cells
    n = table["n"].astype("Int64").fillna(0).to_numpy(np.float64)
    truth[measures.get_indexer(table["measure"])[on_tree], cell[on_tree]] = n[on_tree]
    unknown = figures.unknown_groups
    block = pd.Index(model.blocks).get_indexer(unknown["group"])
    u = units.get_indexer(unknown["unit_id"])
    m = measures.get_indexer(unknown["measure"])
    ok = (block >= 0) & (u >= 0) & (m >= 0)
    truth[m[ok], block[ok] * n_units + u[ok]] = (
        unknown["n"].astype("Int64").fillna(0).to_numpy(np.float64)[ok]
    )
    parent = units.get_indexer(figures.tree["parent_id"])
    child = np.flatnonzero(parent >= 0)
    minus_children = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_units), -np.ones(len(child))]),
            (
                np.concatenate([np.arange(n_units), child]),
                np.concatenate([np.arange(n_units), parent[child]]),
            ),
        ),
        shape=(n_units, n_units),
    )
    # the measures each group is broken down by (response rates only for whole units)
    variable = table["group"].str.split("=").str[0].to_numpy()
    broken_down = pd.crosstab(variable, table["measure"]).reindex(columns=measures) > 0
    cells, counts, caps, unit_codes, groups = [], [], [], [], []
    for b, group in enumerate(model.blocks):
        variable = group.split("=")[0]
        # a variable with no label given this year: its unknown label is the whole unit
        shown = broken_down.loc[variable if variable in broken_down.index else "all"]
        shown = shown.to_numpy()[:, None]
        per_unit = np.where(shown, truth[:, b * n_units : (b + 1) * n_units], np.nan)
        heads = np.flatnonzero(model.own_cells[b] >= 0)
        own = np.asarray(per_unit @ minus_children)[:, heads]
        cells.append(model.own_cells[b, heads])
        counts.append(own)
        caps.append(invited[heads])
        unit_codes.append(heads)
        groups.append(np.full(len(heads), f"own staff, {group}", dtype=object))
        if group.endswith("="):  # the unknown label
            cells.append(b * n_units + np.arange(n_units))
            counts.append(per_unit)
            caps.append(below)
            unit_codes.append(np.arange(n_units))
            groups.append(np.full(n_units, group, dtype=object))
    cell_of = np.concatenate(cells)
    count = np.concatenate(counts, axis=1)  # measures x candidate cells
    answers_elsewhere = np.nanmax(count, axis=0, initial=0.0) > 0
    small = ((count >= 1) & (count < k)) | ((count == 0) & answers_elsewhere)
    m_at, c_at = np.nonzero(small)
    held = count[m_at, c_at]
    return HiddenGroups(
        cell=cell_of[c_at],
        measure=measures.to_numpy()[m_at],
        truth=held,
        required=np.minimum(k, np.maximum(np.concatenate(caps)[c_at], held)),
        unit_id=units.to_numpy()[np.concatenate(unit_codes)[c_at]],
        group=np.concatenate(groups)[c_at],
    )
