"""What an attacker knows of the counts, as linear constraints between figures.

Per measure, every count of a unit and group is a variable: published ones
are constants, hidden ones unknowns, and the unknown-label groups (never
published) unknowns too. The attacker knows, from the table's structure and
the organisation table:

- each background variable's groups, the unknown label included, add up to
  the unit's total;
- a unit minus its children is its own respondents: at least 0 in every
  group, and in total at most its ``invited``;
- a leader report is the own respondents of the units whose nearest
  responsible manager it is.

That is the same polytope as "respondents attached to each unit, per label",
written in the figures' own coordinates so that it falls apart into small
independent pieces wherever a unit's figures are published.
Built once per year (:func:`build_count_model`); :mod:`.audit` fills in one
measure's published counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.catalogue import RESPONSE_RATE
from analysis.privacy.figures import UnsuppressedFigures

ALL = "all"


@dataclass(frozen=True)
class CountModel:
    """Constraints ``lower <= matrix @ cells <= upper`` over one measure's cells.

    Cells: ``block * units + unit`` for each tree unit and group block
    (``all`` first, then each variable's labels and its unknown label), then
    one per leader report. ``row_of[i]`` is table row i's cell.
    """

    matrix: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    n_cells: int
    cell_of_row: np.ndarray  # per table row
    tree_cells: int  # cells below this index are unit cells
    unknown_label: np.ndarray  # the unknown-label groups' cells: never published


def _groups(figures: UnsuppressedFigures) -> tuple[list[str], dict[str, list[str]]]:
    """Group blocks (``all`` first) and each variable's groups, its unknown label last."""
    variables: dict[str, list[str]] = {}
    for group in pd.unique(figures.table["group"]):
        if group != ALL:
            variables.setdefault(group.split("=", 1)[0], []).append(group)
    for group in pd.unique(figures.unknown_groups["group"]):
        variables.setdefault(group.split("=", 1)[0], [])
    for variable, members in variables.items():
        members.append(f"{variable}=")
    return [ALL, *(g for m in variables.values() for g in m)], variables


def own_cap(figures: UnsuppressedFigures) -> np.ndarray:
    """Per tree unit, the most own respondents the organisation table allows.

    ``invited`` where given. Empty ``invited`` means, by the input contract,
    that no respondents belong to the unit itself: a cap of 0 -- unless the
    unit has own respondents all the same, when the table says nothing the
    attacker could rely on (no cap). Never below the truth, so the attacker's
    program always holds the real answers.
    """
    tree, table = figures.tree, figures.table
    units = pd.Index(tree["unit_id"])
    parent = units.get_indexer(tree["parent_id"])
    counted = table[(table["group"] == ALL) & (table["measure"] == RESPONSE_RATE)]
    responding = (
        pd.Series(counted["n"].astype("Int64").fillna(0).to_numpy(np.float64), counted["unit_id"])
        .reindex(units, fill_value=0.0)
        .to_numpy()
    )
    own = responding.copy()
    child = np.flatnonzero(parent >= 0)
    np.subtract.at(own, parent[child], responding[child])
    invited = tree["invited"].to_numpy(np.float64)
    empty = np.where(own > 0, np.inf, 0.0)
    return np.maximum(np.where(np.isnan(invited), empty, invited), own)


def build_count_model(figures: UnsuppressedFigures) -> CountModel:
    """The attacker's constraints for any measure of the year (module docstring)."""
    tree = figures.tree
    units = pd.Index(tree["unit_id"])
    n_units = len(units)
    parent = units.get_indexer(tree["parent_id"])
    blocks, variables = _groups(figures)
    block_of = {g: b for b, g in enumerate(blocks)}
    leader_ids = pd.Index(pd.unique(figures.manager_units["leader_id"]))
    tree_cells = n_units * len(blocks)
    n_cells = tree_cells + len(leader_ids)
    rows, cols, vals, lower, upper = [], [], [], [], []
    count = 0

    def add(r: np.ndarray, c: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        nonlocal count
        rows.append(r + count)
        cols.append(c)
        vals.append(v)
        lower.append(lo)
        upper.append(hi)
        count += len(lo)

    own = np.arange(n_units)
    child = np.flatnonzero(parent >= 0)
    for b in range(len(blocks)):
        # own respondents of each unit in this group: unit - its children >= 0
        hi = np.full(n_units, np.inf)
        if b == 0:
            hi = own_cap(figures)
        add(
            np.concatenate([own, parent[child]]),
            np.concatenate([b * n_units + own, b * n_units + child]),
            np.concatenate([np.ones(n_units), -np.ones(len(child))]),
            np.zeros(n_units),
            hi,
        )
    for members in variables.values():
        # the variable's groups add up to the unit's total
        r = np.concatenate([own, *(own for _ in members)])
        c = np.concatenate([own, *(block_of[g] * n_units + own for g in members)])
        v = np.concatenate([np.ones(n_units), -np.ones(n_units * len(members))])
        add(r, c, v, np.zeros(n_units), np.zeros(n_units))
    mine = figures.manager_units
    if len(mine):
        leader = leader_ids.get_indexer(mine["leader_id"])
        unit = units.get_indexer(mine["unit_id"])
        kids = pd.DataFrame({"unit": parent[child], "child": child})
        below = pd.DataFrame({"leader": leader, "unit": unit}).merge(kids, on="unit")
        add(
            np.concatenate([np.arange(len(leader_ids)), leader, below["leader"].to_numpy()]),
            np.concatenate(
                [tree_cells + np.arange(len(leader_ids)), unit, below["child"].to_numpy()]
            ),
            np.concatenate([np.ones(len(leader_ids)), -np.ones(len(unit)), np.ones(len(below))]),
            np.zeros(len(leader_ids)),
            np.zeros(len(leader_ids)),
        )
    matrix = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(count, n_cells),
    )
    # a unit can enter one leader's row twice with opposite signs (led, and a child of a
    # led unit): the duplicates add up to an explicit zero, which is no constraint at all
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    table = figures.table
    unit_code = units.get_indexer(table["unit_id"])
    cell = np.where(
        unit_code >= 0,
        np.array([block_of[g] for g in table["group"]]) * n_units + unit_code,
        tree_cells + leader_ids.get_indexer(table["unit_id"]),
    )
    unknown_label = np.concatenate(
        [block_of[f"{v}="] * n_units + np.arange(n_units) for v in variables]
        or [np.zeros(0, dtype=np.int64)]
    )
    return CountModel(
        matrix,
        np.concatenate(lower),
        np.concatenate(upper),
        n_cells,
        cell,
        tree_cells,
        unknown_label,
    )
