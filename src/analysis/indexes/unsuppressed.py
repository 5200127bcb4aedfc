"""Every figure of a year before suppression: units x groups x measures, and leader rows.

The table is computed unsuppressed and handed to :mod:`analysis.privacy`,
which alone decides what is published, with what suppression needs beside
it (the tree, the leaders' units, the unknown background groups).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis import privacy
from analysis.core.catalogue import RESPONSE_RATE, composites_for_year, question_measure
from analysis.core.contract import manager_unit_id
from analysis.core.dataset import SurveyData
from analysis.core.params import Params, SurveyParams
from analysis.indexes.cells import aggregate_cells, group_stats
from analysis.indexes.measures import measure_values, response_rate
from analysis.indexes.rollup import RollUpTree, build_tree, roll_up

__all__ = ["ALL", "compute_unsuppressed", "group_name"]

ALL = "all"


def group_name(variable: str, label: str) -> str:
    """The ``group`` of a background breakdown, e.g. ``gender=Kvinna``."""
    return f"{variable}={label}"


def _frame(
    year: int,
    unit_names: np.ndarray,
    unit_pos: np.ndarray,
    group_names: np.ndarray,
    group_pos: np.ndarray,
    measure_names: np.ndarray,
    measure_pos: np.ndarray,
    n: np.ndarray,
    value: np.ndarray,
) -> pd.DataFrame:
    """Rows sorted by (unit, group, measure) position."""
    order = np.lexsort((measure_pos, group_pos, unit_pos))
    return pd.DataFrame(
        {
            "year": np.full(len(order), year, dtype=np.int64),
            "unit_id": pd.array(unit_names[unit_pos[order]], dtype="str"),
            "group": pd.array(group_names[group_pos[order]], dtype="str"),
            "measure": pd.array(measure_names[measure_pos[order]], dtype="str"),
            "n": pd.array(n[order], dtype="Int64"),
            "value": value[order],
        }
    )


def _flatten(n: np.ndarray, value: np.ndarray, present: np.ndarray, group_offset: int):
    """(units, labels, measures) arrays -> row arrays, keeping present (unit, label) pairs."""
    units, labels, measures = n.shape
    u, g, m = np.meshgrid(np.arange(units), np.arange(labels), np.arange(measures), indexing="ij")
    keep = np.broadcast_to(present[:, :, None], n.shape)
    return u[keep], g[keep] + group_offset, m[keep], n[keep], value[keep]


def compute_unsuppressed(
    data: SurveyData, params: Params, year: int
) -> privacy.UnsuppressedFigures:
    """Every figure of ``year`` before suppression, with what suppression needs beside it."""
    survey = params.survey
    tree = build_tree(data.units_in(year), year)
    asked = data.asked_in(year)
    composites = composites_for_year(data.questions, asked)
    column_of = {qid: j for j, qid in enumerate(asked)}
    composite_columns = [[column_of[q] for q in ids] for ids in composites.values()]
    cells = aggregate_cells(data, tree, year, asked, composite_columns, survey)

    measure_names = np.array(
        [*composites, *(question_measure(q) for q in asked), RESPONSE_RATE], dtype=object
    )
    n_units = tree.size
    invited = roll_up(tree, tree.invited)

    # Group "all": every unit gets every measure, the response rate included.
    all_own = group_stats(cells, n_units, np.zeros(len(cells.unit), np.int64), 1)
    rolled = roll_up(tree, all_own)
    n, value = measure_values(rolled, len(asked), composite_columns, survey)
    rr_n, rr_value = response_rate(rolled[:, 0, -1], invited)
    n = np.concatenate([n, rr_n[:, None, None]], axis=-1)
    value = np.concatenate([value, rr_value[:, None, None]], axis=-1)
    parts = [_flatten(n, value, np.ones((n_units, 1), bool), 0)]

    # Background groups: every unit gets a row for every label of the year,
    # respondents or not, so that a row's existence tells nothing about a
    # group of 1..k-1 (an empty group is hidden like a small one); the
    # unknown label goes aside, for the privacy pass only.
    group_names = [ALL]
    unknown_parts: list[pd.DataFrame] = []
    for breakdown in cells.breakdowns:
        rolled = roll_up(tree, group_stats(cells, n_units, breakdown.cell_code, breakdown.width))
        n, value = measure_values(rolled, len(asked), composite_columns, survey)
        present = np.ones(rolled.shape[:2], dtype=bool)
        known = len(breakdown.labels)
        offset = len(group_names)
        group_names += [group_name(breakdown.variable, label) for label in breakdown.labels]
        parts.append(_flatten(n[:, :known], value[:, :known], present[:, :known], offset))
        u, _, m, un, uv = _flatten(n[:, known:], value[:, known:], present[:, known:], 0)
        unknown_parts.append(
            _frame(
                year,
                tree.unit_ids,
                u,
                np.array([group_name(breakdown.variable, "")], dtype=object),
                np.zeros(len(u), np.int64),
                measure_names,
                m,
                un,
                uv,
            )
        )
    unit_pos, group_pos, measure_pos, n_rows, value_rows = (
        np.concatenate([p[i] for p in parts]) for i in range(5)
    )
    unit_rows = _frame(
        year,
        tree.unit_ids,
        unit_pos,
        np.array(group_names, dtype=object),
        group_pos,
        measure_names,
        measure_pos,
        n_rows,
        value_rows,
    )

    manager_rows, manager_units = _leader_rows(
        tree, all_own[:, 0, :], year, asked, composite_columns, measure_names, survey
    )
    table = pd.concat([unit_rows, manager_rows], ignore_index=True)
    unknown = (
        pd.concat(unknown_parts, ignore_index=True) if unknown_parts else unit_rows.iloc[:0].copy()
    )
    tree_frame = pd.DataFrame(
        {
            "unit_id": tree.unit_ids,
            "parent_id": np.where(tree.parent >= 0, tree.unit_ids[np.maximum(tree.parent, 0)], ""),
            # not given: the attacker knows no cap (NaN)
            "invited": np.where(tree.invited_given, tree.invited, np.nan),
        }
    )
    return privacy.UnsuppressedFigures(
        table=table,
        unknown_groups=unknown,
        tree=tree_frame,
        manager_units=manager_units,
        composites=composites,
    )


def _leader_rows(
    tree: RollUpTree,
    all_own: np.ndarray,
    year: int,
    asked: list[str],
    composite_columns: list[list[int]],
    measure_names: np.ndarray,
    survey: SurveyParams,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leader-report rows: respondents whose nearest responsible manager is the manager.

    Group ``all`` only (no background breakdowns), but every measure a unit
    has: questions, composites and the response rate.
    """
    has = tree.nearest_manager >= 0
    membership = sp.csr_matrix(
        (np.ones(has.sum()), (tree.nearest_manager[has], np.flatnonzero(has))),
        shape=(len(tree.managers), tree.size),
    )
    stats = np.asarray(membership @ all_own)
    invited = membership @ tree.invited
    n, value = measure_values(stats, len(asked), composite_columns, survey)
    rr_n, rr_value = response_rate(stats[:, -1], invited)
    n = np.concatenate([n, rr_n[:, None]], axis=-1)
    value = np.concatenate([value, rr_value[:, None]], axis=-1)

    n_mgr, n_meas = n.shape
    rows = _frame(
        year,
        np.array([manager_unit_id(m) for m in tree.managers], dtype=object),
        np.repeat(np.arange(n_mgr), n_meas),
        np.array([ALL], dtype=object),
        np.zeros(n_mgr * n_meas, np.int64),
        measure_names,
        np.tile(np.arange(n_meas), n_mgr),
        n.reshape(-1),
        value.reshape(-1),
    )
    manager_ids = np.array(tree.managers, dtype=object)[tree.nearest_manager[has]]
    manager_units = pd.DataFrame(
        {
            "manager_id": manager_ids,
            "unit_id": tree.unit_ids[has],
            "leader_id": [manager_unit_id(m) for m in manager_ids],
        }
    )
    return rows, manager_units
