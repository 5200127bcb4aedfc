"""Respondents aggregated into (unit, gender, age group, role) cells, in one pass.

Every published figure is then a sum of cells; the answers are checked
against the scale on the way in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.core.dataset import BACKGROUND, SurveyData
from analysis.core.params import SurveyParams
from analysis.indexes.rollup import RollUpTree

__all__ = ["Breakdown", "Cells", "aggregate_cells", "group_stats"]


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
    tree: RollUpTree,
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


def group_stats(cells: Cells, n_units: int, code: np.ndarray, width: int) -> np.ndarray:
    """Cell stats summed to (unit, label) -- the unit's own respondents only."""
    target = cells.unit * width + code
    collect = sp.csr_matrix(
        (np.ones(len(target)), (target, np.arange(len(target)))),
        shape=(n_units * width, len(target)),
    )
    return np.asarray(collect @ cells.stats).reshape(n_units, width, -1)
