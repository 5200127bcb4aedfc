"""The figures table: every index by unit (and leader) x group x measure.

One pass over the respondents aggregates sums and counts of valid answers
into cells (unit x gender x age group x role); every published figure is
then a sum of cells. A unit's figures roll up its whole subtree through a
sparse ancestor matrix, so the arithmetic is a handful of sparse products
whatever the size of the organisation -- no Python loop over units or
respondents.

Question indexes are computed as a ratio of integer sums,
``(sum - scale_min * count) * 100 / ((scale_max - scale_min) * count)``, so an
exact half (79.5) is exact in floating point and display rounding goes the
way the contract says. The table is computed unsuppressed and handed to
:mod:`analysis.privacy`, which alone decides what is published; changes are
taken between the *published* tables of two years.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis import privacy
from analysis.core.catalogue import (
    RESPONSE_RATE,
    comparable_measures,
    composites_for_year,
    question_measure,
)
from analysis.core.contract import FIGURES_TABLE_COLUMNS, MANAGER_PREFIX, manager_unit_id
from analysis.core.dataset import BACKGROUND, SurveyData
from analysis.core.params import Params, SurveyParams

ALL = "all"
FIGURE_COLUMNS = FIGURES_TABLE_COLUMNS


def group_name(variable: str, label: str) -> str:
    """The ``group`` of a background breakdown, e.g. ``gender=Kvinna``."""
    return f"{variable}={label}"


# ---------------------------------------------------------------------------
# The organisation tree of one year
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgTree:
    """One year's units in pre-order, with what roll-up and leader rows need.

    Every array is indexed by the unit's pre-order position.
    """

    unit_ids: np.ndarray  # object array of unit ids, pre-order (root first)
    parent: np.ndarray  # int64, pre-order position of the parent, -1 for the root
    ancestors: sp.csr_matrix  # [a, u] = 1 when a is u or an ancestor of u
    invited: np.ndarray  # float64, the unit's own invited (empty = 0)
    invited_given: np.ndarray  # bool: the organisation table gives it (the attacker's cap)
    managers: list[str]  # responsible managers, sorted
    nearest_manager: np.ndarray  # int64 index into managers, -1 when none above

    @property
    def size(self) -> int:
        return len(self.unit_ids)


def build_tree(units: pd.DataFrame, year: int) -> OrgTree:
    """Validate one year's units as a single rooted tree and index it in pre-order.

    Pre-order keeps the units table's order among siblings, so the figures
    table lists units the way the organisation lists them.
    """
    if units.empty:
        raise ValueError(f"units: no units for year {year}")
    ids = units["unit_id"].astype(str).to_numpy(dtype=object)
    duplicated = pd.Index(ids)[pd.Index(ids).duplicated()].unique()
    if len(duplicated):
        raise ValueError(f"units: year {year}: duplicate unit_id {list(duplicated)[:10]}")
    clashing = [u for u in ids if u.startswith(MANAGER_PREFIX)]
    if clashing:
        raise ValueError(
            f"units: year {year}: unit_id may not start with {MANAGER_PREFIX!r} "
            f"(reserved for leader reports): {clashing[:10]}"
        )
    parent_ids = units["parent_id"].fillna("").astype(str).to_numpy(dtype=object)
    parent = pd.Index(ids).get_indexer(parent_ids).astype(np.int64)
    unknown = (parent < 0) & (parent_ids != "")
    if unknown.any():
        bad = [
            f"{u} (parent {p!r})" for u, p in zip(ids[unknown], parent_ids[unknown], strict=True)
        ]
        raise ValueError(f"units: year {year}: parent_id not among the year's units: {bad[:10]}")
    roots = np.flatnonzero(parent < 0)
    if len(roots) != 1:
        raise ValueError(
            f"units: year {year}: expected exactly one root (empty parent_id), "
            f"found {len(roots)}: {list(ids[roots])[:10]}"
        )

    # chain[:, j] = the j-th ancestor (0 = the unit itself), -1 above the root.
    n = len(ids)
    chain = [np.arange(n, dtype=np.int64)]
    while (chain[-1] >= 0).any():
        if len(chain) > n:
            looping = ids[chain[-1] >= 0]
            raise ValueError(
                f"units: year {year}: parent_id forms a cycle through {list(looping)[:10]}"
            )
        prev = chain[-1]
        chain.append(np.where(prev >= 0, parent[np.maximum(prev, 0)], -1))
    chain_m = np.stack(chain[:-1], axis=1)  # (n, max_depth + 1)
    depth = (chain_m >= 0).sum(axis=1) - 1

    # Pre-order = lexicographic order of the root-to-unit paths of table positions.
    path = np.full_like(chain_m, -1)
    for d in range(chain_m.shape[1]):
        has = depth >= d
        path[has, d] = chain_m[has, depth[has] - d]
    order = np.lexsort(path.T[::-1])
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)

    anc_table = chain_m[order]  # rows in pre-order, entries still table positions
    rows = np.where(anc_table >= 0, position[np.maximum(anc_table, 0)], -1)
    desc = np.repeat(np.arange(n), rows.shape[1]).reshape(rows.shape)
    keep = rows >= 0
    ancestors = sp.csr_matrix(
        (np.ones(keep.sum()), (rows[keep], desc[keep])), shape=(n, n), dtype=np.float64
    )
    parent_pre = np.where(parent[order] >= 0, position[np.maximum(parent[order], 0)], -1)

    given = units["invited"].astype("Float64")
    invited = given.fillna(0).to_numpy(np.float64)[order]
    invited_given = given.notna().to_numpy(bool)[order]
    manager_ids = units["manager_id"].fillna("").astype(str).to_numpy(dtype=object)[order]
    managers = sorted(set(manager_ids) - {""})
    own_manager = pd.Index(managers).get_indexer(manager_ids).astype(np.int64)
    # Nearest responsible manager: the first unit with a manager, walking up.
    nearest = own_manager.copy()
    cursor = parent_pre.copy()
    pending = (nearest < 0) & (cursor >= 0)
    while pending.any():
        at = cursor[pending]
        nearest[pending] = own_manager[at]
        cursor[pending] = parent_pre[at]
        pending = (nearest < 0) & (cursor >= 0)

    return OrgTree(
        unit_ids=ids[order],
        parent=parent_pre,
        ancestors=ancestors,
        invited=invited,
        invited_given=invited_given,
        managers=managers,
        nearest_manager=nearest,
    )


# ---------------------------------------------------------------------------
# Respondents -> cells
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """A background variable's known labels (sorted) and each cell's label code.

    Code ``len(labels)`` is the unknown label ("" in the input).
    """

    variable: str
    labels: list[str]
    cell_code: np.ndarray  # int64 per cell

    @property
    def width(self) -> int:
        return len(self.labels) + 1


@dataclass(frozen=True)
class Cells:
    """Respondents aggregated to (unit, gender, age group, role) cells.

    ``stats`` columns: per asked question the sum of valid answers, then per
    question the count of valid answers, then per composite the number of
    respondents with at least one valid answer among its questions, then the
    number of respondents.
    """

    unit: np.ndarray  # int64 pre-order unit position per cell
    breakdowns: list[Breakdown]
    stats: np.ndarray  # float64 (cells, 2Q + C + 1), exact integers


def _label_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes into the sorted known labels; unknown ("" or missing) -> len(labels)."""
    codes, uniques = pd.factorize(values.fillna("").astype(str), sort=True)
    uniques = list(uniques)
    labels = [u for u in uniques if u != ""]
    remap = np.array([labels.index(u) if u != "" else len(labels) for u in uniques] + [len(labels)])
    return remap[codes].astype(np.int64), labels


def _fill_answers(
    out: np.ndarray,
    responses: pd.DataFrame,
    rows: np.ndarray,
    asked: list[str],
    survey: SurveyParams,
) -> None:
    """Write the year's valid answers (NaN = none) into ``out``, checked against the scale."""
    problems = []
    for j, qid in enumerate(asked):
        column = responses[qid].to_numpy(dtype=np.float64, na_value=np.nan)[rows]
        valid = ~np.isnan(column)
        bad = valid & (
            (column < survey.scale_min) | (column > survey.scale_max) | (column != np.round(column))
        )
        if bad.any():
            ids = responses["respondent_id"].to_numpy()[rows][bad][:5]
            problems.append(
                f"column {qid}: {int(bad.sum())} answer(s) not an integer in "
                f"{survey.scale_min}..{survey.scale_max}, e.g. respondent(s) {list(ids)} "
                f"with {list(column[bad][:5])}"
            )
        out[:, j] = column
    if problems:
        raise ValueError("responses: invalid answers\n  " + "\n  ".join(problems))


def aggregate_cells(
    data: SurveyData,
    tree: OrgTree,
    year: int,
    asked: list[str],
    composite_columns: list[list[int]],
    survey: SurveyParams,
) -> Cells:
    """Sum the year's respondents into (unit, gender, age group, role) cells."""
    responses = data.responses
    rows = np.flatnonzero(responses["year"].to_numpy() == year)
    meta = responses.iloc[rows]
    unit = pd.Index(tree.unit_ids).get_indexer(meta["unit_id"].astype(str))
    if (unit < 0).any():
        missing = sorted(set(meta["unit_id"].astype(str)[unit < 0]))
        raise ValueError(
            f"responses: year {year}: {int((unit < 0).sum())} respondent(s) belong to "
            f"unit_id(s) not in that year's units: {missing[:10]}"
        )

    label_sets: list[tuple[str, list[str]]] = []
    key = unit.astype(np.int64)
    bound = tree.size
    for variable in BACKGROUND:
        code, labels = _label_codes(meta[variable])
        width = len(labels) + 1
        bound *= width
        if bound >= 2**62:
            raise ValueError("too many background label combinations to index")
        key = key * width + code
        label_sets.append((variable, labels))
    cell_keys, cell_of = np.unique(key, return_inverse=True)
    cell_of = cell_of.reshape(-1)

    # One row per respondent: answers (0 where invalid), valid flags, composite
    # "answered at least one" flags, 1 -- so one sparse product sums them all.
    q, c = len(asked), len(composite_columns)
    per_respondent = np.empty((len(rows), 2 * q + c + 1), dtype=np.float64)
    answers = per_respondent[:, :q]
    _fill_answers(answers, responses, rows, asked, survey)
    valid = ~np.isnan(answers)
    answers[~valid] = 0.0
    per_respondent[:, q : 2 * q] = valid
    for k, cols in enumerate(composite_columns):
        per_respondent[:, 2 * q + k] = valid[:, cols].any(axis=1)
    per_respondent[:, -1] = 1.0
    del valid
    to_cell = sp.csr_matrix(
        (np.ones(len(rows)), (cell_of, np.arange(len(rows)))),
        shape=(len(cell_keys), len(rows)),
    )
    stats = np.asarray(to_cell @ per_respondent)

    # Decode each cell's key back into its unit and label codes.
    remainder = cell_keys.copy()
    breakdowns: list[Breakdown] = []
    for variable, labels in reversed(label_sets):
        width = len(labels) + 1
        breakdowns.append(Breakdown(variable, labels, remainder % width))
        remainder = remainder // width
    breakdowns.reverse()
    return Cells(unit=remainder, breakdowns=breakdowns, stats=stats)


def _group_stats(cells: Cells, n_units: int, code: np.ndarray, width: int) -> np.ndarray:
    """Cell stats summed to (unit, label) -- the unit's own respondents only."""
    target = cells.unit * width + code
    collect = sp.csr_matrix(
        (np.ones(len(target)), (target, np.arange(len(target)))),
        shape=(n_units * width, len(target)),
    )
    return np.asarray(collect @ cells.stats).reshape(n_units, width, -1)


def _roll_up(tree: OrgTree, own: np.ndarray) -> np.ndarray:
    """Each unit's figures over its whole subtree (own: (units, ...))."""
    flat = own.reshape(own.shape[0], -1)
    return np.asarray(tree.ancestors @ flat).reshape(own.shape)


# ---------------------------------------------------------------------------
# Cells -> measures
# ---------------------------------------------------------------------------


def _measures(
    stats: np.ndarray, n_questions: int, composite_columns: list[list[int]], survey: SurveyParams
) -> tuple[np.ndarray, np.ndarray]:
    """n and value of every composite then every question, from summed stats (..., W)."""
    q = n_questions
    sums, counts = stats[..., :q], stats[..., q : 2 * q]
    span = survey.scale_max - survey.scale_min
    with np.errstate(invalid="ignore", divide="ignore"):
        q_value = np.where(
            counts > 0, (sums - survey.scale_min * counts) * 100.0 / (span * counts), np.nan
        )
    c_values, c_ns = [], []
    for c, cols in enumerate(composite_columns):
        part = q_value[..., cols]
        has = ~np.isnan(part)
        k = has.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            c_values.append(np.where(k > 0, np.where(has, part, 0.0).sum(axis=-1) / k, np.nan))
        c_ns.append(stats[..., 2 * q + c])
    n = np.concatenate([*(x[..., None] for x in c_ns), counts], axis=-1)
    value = np.concatenate([*(x[..., None] for x in c_values), q_value], axis=-1)
    return np.rint(n).astype(np.int64), value


def _response_rate(responding: np.ndarray, invited: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Responding / invited x 100, n = responding.

    Where nobody was invited there is no value; ``n`` keeps the responding
    count for the privacy pass (which never publishes a row without a value).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(invited > 0, responding * 100.0 / invited, np.nan)
    return np.rint(responding).astype(np.int64), value


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------


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
    invited = _roll_up(tree, tree.invited)

    # Group "all": every unit gets every measure, the response rate included.
    all_own = _group_stats(cells, n_units, np.zeros(len(cells.unit), np.int64), 1)
    rolled = _roll_up(tree, all_own)
    n, value = _measures(rolled, len(asked), composite_columns, survey)
    rr_n, rr_value = _response_rate(rolled[:, 0, -1], invited)
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
        rolled = _roll_up(tree, _group_stats(cells, n_units, breakdown.cell_code, breakdown.width))
        n, value = _measures(rolled, len(asked), composite_columns, survey)
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
    tree: OrgTree,
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
    n, value = _measures(stats, len(asked), composite_columns, survey)
    rr_n, rr_value = _response_rate(stats[:, -1], invited)
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


# ---------------------------------------------------------------------------
# Changes
# ---------------------------------------------------------------------------


def add_changes(
    current: pd.DataFrame, previous: pd.DataFrame, comparable: set[str]
) -> pd.DataFrame:
    """Attach ``change`` and ``value_prev`` to a published table.

    Both tables must already be suppressed: a change exists only where both
    values are published and the measure is comparable.
    """
    keys = ["unit_id", "group", "measure"]
    before = previous[[*keys, "value"]].rename(columns={"value": "value_prev"})
    out = current.merge(before, on=keys, how="left", validate="one_to_one", sort=False)
    usable = (
        out["value"].notna().to_numpy()
        & out["value_prev"].notna().to_numpy()
        & out["measure"].isin(comparable).to_numpy()
    )
    out["value_prev"] = out["value_prev"].where(usable).astype("float64")
    out["change"] = (out["value"] - out["value_prev"]).astype("float64")
    return out[FIGURE_COLUMNS]


def compute_figures(
    data: SurveyData, params: Params, year: int, *, complementary: bool = True
) -> pd.DataFrame:
    """The published figures of ``year``: suppressed, with changes against the previous year.

    Columns ``year, unit_id, group, measure, n, value, change, value_prev``
    (docs/architecture.md, "Figures table"). Both years get the threshold rule
    and complementary suppression
    (:func:`analysis.privacy.complementary_suppression`, contract §3: no
    suppressed number recoverable); ``complementary=False`` applies the
    threshold rule alone (for comparisons and tests).
    """

    return figures_with_changes(
        data, year, lambda y: published_figures(data, params, y, complementary=complementary)
    )


def published_figures(
    data: SurveyData, params: Params, year: int, *, complementary: bool = True
) -> pd.DataFrame:
    """One year's figures after suppression, without changes (``year .. value``)."""
    figures = compute_unsuppressed(data, params, year)
    return privacy.suppress(figures, params.privacy, complementary=complementary)


def figures_with_changes(
    data: SurveyData, year: int, published: Callable[[int], pd.DataFrame]
) -> pd.DataFrame:
    """``published(year)`` with changes against ``published(previous survey year)``.

    ``published`` is a parameter so that a caller reporting several years
    (``analysis.indexes.stage.history_figures``) suppresses each year only once.
    """
    current = published(year)
    previous_year = data.previous_year(year)
    if previous_year is None:
        out = current.copy()
        out["change"] = np.nan
        out["value_prev"] = np.nan
        return out[FIGURE_COLUMNS]
    previous = published(previous_year)
    return add_changes(
        current,
        previous,
        comparable_measures(data.questions, data.asked_in(year), data.asked_in(previous_year)),
    )
