"""What an attacker knows of the counts, as linear constraints between figures.

Per measure, every count of a unit and group is a variable: published ones
are constants, hidden ones unknowns, and the unknown-label groups (never
published) unknowns too. The attacker knows, from the table's structure and
the organisation table:

- each background variable's groups, the unknown label included, add up to
  the unit's total;
- a unit minus its children is its own respondents (a cell of its own,
  never published): at least 0 in every group, and in total at most its
  ``invited``;
- a leader report is the own respondents of the units whose nearest
  responsible manager it is;
- no measure counts more of a unit's own respondents than answered the
  survey (the response counts, published or not, are cells beside every
  measure's).

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

from analysis.core.catalogue import RESPONSE_RATE
from analysis.privacy.figures import UnsuppressedFigures

ALL = "all"


@dataclass(frozen=True)
class CountModel:
    """Constraints ``lower <= matrix @ cells <= upper`` over one measure's cells.

    Cells: ``block * units + unit`` for each tree unit and group block
    (``all`` first, then each variable's labels and its unknown label), then
    one per leader report, then the own respondents of each unit with
    children per block (``own_cells``; a leaf's own respondents are its unit
    cell), then the same tree of the survey's respondents (response_rate's
    counts: units, leaders, heads' own) that every measure's own respondents
    stay within. ``cell_of_row[i]`` is table row i's cell; a response count's
    row also has its cell among the respondents (``answered_cell``).
    """

    matrix: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    n_cells: int
    cell_of_row: np.ndarray  # per table row
    tree_cells: int  # cells below this index are unit cells
    unknown_label: np.ndarray  # the unknown-label groups' cells: never published
    own_cells: np.ndarray  # [block, unit]: the cell of a unit's own respondents; -1 for a leaf
    blocks: list[str]  # the group of each block
    answered_cell: np.ndarray  # per table row: its cell among the respondents beside (or -1)


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
    leaf = np.setdiff1d(own, parent[child])
    heads = np.unique(parent[child])  # units with children: their own staff is a cell
    first_own = tree_cells + len(leader_ids)
    own_cells = np.full((len(blocks), n_units), -1, dtype=np.int64)
    for b in range(len(blocks)):
        own_cells[b, heads] = first_own + b * len(heads) + np.arange(len(heads))
    n_cells = first_own + len(blocks) * len(heads)
    cap = own_cap(figures)
    # the respondents (response_rate's counts) beside every measure's: per unit, leader and head
    first_answered = n_cells
    answered_leader = first_answered + n_units
    answered_own = np.full(n_units, -1, dtype=np.int64)
    answered_own[heads] = answered_leader + len(leader_ids) + np.arange(len(heads))
    n_cells = answered_leader + len(leader_ids) + len(heads)
    at = pd.Index(heads).get_indexer(parent[child])

    def own_rows(unit_cells: np.ndarray, own_of_heads: np.ndarray, hi: np.ndarray) -> None:
        """A leaf's own respondents are the unit's; a head's are unit - children: each at
        least 0 and at most ``hi`` (the unit's invited)."""
        add(
            np.arange(len(leaf)),
            unit_cells[leaf],
            np.ones(len(leaf)),
            np.zeros(len(leaf)),
            hi[leaf],
        )
        add(
            np.concatenate([np.arange(len(heads)), at, np.arange(len(heads))]),
            np.concatenate([unit_cells[heads], unit_cells[child], own_of_heads]),
            np.concatenate([np.ones(len(heads)), -np.ones(len(child)), -np.ones(len(heads))]),
            np.zeros(len(heads)),
            np.zeros(len(heads)),
        )
        add(
            np.arange(len(heads)),
            own_of_heads,
            np.ones(len(heads)),
            np.zeros(len(heads)),
            hi[heads],
        )

    for b in range(len(blocks)):
        own_rows(
            b * n_units + own, own_cells[b, heads], cap if b == 0 else np.full(n_units, np.inf)
        )
    own_rows(first_answered + own, answered_own[heads], cap)
    # no measure counts more of a unit's own respondents than answered the survey
    measured = np.where(own_cells[0] >= 0, own_cells[0], own)
    answered = np.where(answered_own >= 0, answered_own, first_answered + own)
    add(
        np.concatenate([own, own]),
        np.concatenate([measured, answered]),
        np.concatenate([np.ones(n_units), -np.ones(n_units)]),
        np.full(n_units, -np.inf),
        np.zeros(n_units),
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
        for leaders, units_at in ((tree_cells, 0), (answered_leader, first_answered)):
            add(
                np.concatenate([np.arange(len(leader_ids)), leader, below["leader"].to_numpy()]),
                np.concatenate(
                    [
                        leaders + np.arange(len(leader_ids)),
                        units_at + unit,
                        units_at + below["child"].to_numpy(),
                    ]
                ),
                np.concatenate(
                    [np.ones(len(leader_ids)), -np.ones(len(unit)), np.ones(len(below))]
                ),
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
    is_answered = (table["measure"].to_numpy() == RESPONSE_RATE) & (
        table["group"].to_numpy() == ALL
    )
    answered_cell = np.where(
        is_answered,
        np.where(
            unit_code >= 0,
            first_answered + unit_code,
            answered_leader + leader_ids.get_indexer(table["unit_id"]),
        ),
        -1,
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
        own_cells,
        blocks,
        answered_cell,
    )
