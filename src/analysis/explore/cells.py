"""Respondent rows summed into the cells of an ad-hoc breakdown, with the arithmetic of the figures.

This is the one module of :mod:`analysis.explore` that reads respondent rows
(``data/interim``, :class:`~analysis.core.dataset.SurveyData`). It sums them
with the index engine's own code (:func:`analysis.indexes.cells.aggregate_cells`,
:func:`analysis.indexes.measures.measure_values`), so a cell's value is
computed exactly as a published figure is, and it hands on counts only:
nothing here leaves the package before :mod:`analysis.explore.protection`
has decided what may be shown.
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.catalogue import RESPONSE_RATE, composites_for_year, question_measure
from analysis.core.contract import THRESHOLD
from analysis.core.dataset import BACKGROUND, SurveyData
from analysis.core.params import Params, params_from_dict
from analysis.explore.units import ExploreError
from analysis.indexes.cells import Cells, aggregate_cells
from analysis.indexes.measures import measure_values
from analysis.indexes.rollup import RollUpTree, build_tree
from analysis.indexes.unsuppressed import group_name
from analysis.report.figures import ALL
from analysis.report.orgtree import subtree_ids
from analysis.report.processed import ProcessedYear


@dataclass(frozen=True)
class BreakdownCells:
    """One subtree's respondents by a combination of background variables, every measure.

    *Atoms* are all combinations of the variables' labels, the unknown label
    ("" in the input) included as the last code of each; ``cell`` marks the
    atoms whose labels are all known (the cells a table may show). ``n`` and
    ``value`` are per atom and measure (composites first, then questions, as
    the index engine orders them); ``respondents`` counts everyone in the
    atom. ``margins`` are the subtree's published figures the atoms add up
    to: the total and each group of a chosen variable.
    """

    unit_id: str
    variables: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    codes: np.ndarray  # (atoms, variables) label code; len(labels[i]) = unknown
    measures: list[str]
    composites: dict[int, list[int]]  # composite measure index -> its question measure indexes
    n: np.ndarray  # (atoms, measures) int64
    value: np.ndarray  # (atoms, measures) float64
    respondents: np.ndarray  # (atoms,) int64
    margin_groups: list[str]  # the published groups: "all", then "variable=label"
    members: np.ndarray  # (groups, atoms) bool
    margin_n: np.ndarray  # (groups, measures) float64, NaN where the figure is hidden
    margin_why: np.ndarray  # (groups, measures) object: the published suppression
    responded: float  # the subtree's published respondents (NaN where hidden)

    @property
    def cell(self) -> np.ndarray:
        return (self.codes < np.array([len(x) for x in self.labels])).all(axis=1)


def year_params(data: ProcessedYear) -> Params:
    """The survey scale and threshold the published figures were computed with (meta.json)."""
    recorded: dict[str, Any] = data.meta.get("params", {}) or {}
    return params_from_dict({k: recorded[k] for k in ("survey", "privacy") if k in recorded})


#: per SurveyData (by identity) and year: the year's tree and summed cells
_YEAR_CELLS: dict[int, tuple[weakref.ref, dict[int, tuple]]] = {}


def _year_cells(survey: SurveyData, year: int, params: Params) -> tuple[RollUpTree, Cells, dict]:
    """The whole year's respondents summed into (unit, gender, age group, role) cells, once."""
    key = id(survey)
    held = _YEAR_CELLS.get(key)
    if held is None or held[0]() is not survey:
        held = (weakref.ref(survey), {})
        _YEAR_CELLS.clear()  # one survey at a time: an analyst's kernel holds one
        _YEAR_CELLS[key] = held
    if year not in held[1]:
        if year not in survey.years:
            raise ExploreError(
                f"the respondent rows have no year {year} (they have {survey.years})"
            )
        tree = build_tree(survey.units_in(year), year)
        asked = survey.asked_in(year)
        composites = composites_for_year(survey.questions, asked)
        column_of = {qid: j for j, qid in enumerate(asked)}
        columns = [[column_of[q] for q in ids] for ids in composites.values()]
        cells = aggregate_cells(survey, tree, year, asked, columns, params.survey)
        held[1][year] = (
            tree,
            cells,
            {"asked": asked, "composites": composites, "columns": columns},
        )
    return held[1][year]


def breakdown_cells(
    survey: SurveyData, data: ProcessedYear, unit_id: str, variables: tuple[str, ...]
) -> BreakdownCells:
    """The atoms of ``variables`` within ``unit_id``'s subtree in the published year.

    Refuses respondent rows that do not add up to the published figures of
    the subtree (interim and processed tables from different runs): the
    protection reasons about the published figures, so it must see the same
    respondents.
    """
    params = year_params(data)
    year = data.year
    tree, cells, catalogue = _year_cells(survey, year, params)
    asked, composites = catalogue["asked"], catalogue["composites"]
    inside = pd.Index(tree.unit_ids).get_indexer(subtree_ids(data, unit_id))
    if (inside < 0).any():
        raise ExploreError(
            f"the respondent rows' organisation of {year} differs from the published"
        )
    chosen = [cells.breakdowns[BACKGROUND.index(v)] for v in variables]
    for breakdown in chosen:
        if not breakdown.labels:
            raise ExploreError(f"no respondent has a {breakdown.variable} label in {year}")
    widths = [b.width for b in chosen]
    atom_of = np.zeros(len(cells.unit), dtype=np.int64)
    for breakdown in chosen:
        atom_of = atom_of * breakdown.width + breakdown.cell_code
    mine = np.isin(cells.unit, inside)
    stats = np.zeros((int(np.prod(widths)), cells.stats.shape[1]))
    np.add.at(stats, atom_of[mine], cells.stats[mine])
    n, value = measure_values(stats, len(asked), catalogue["columns"], params.survey)
    measures = [*composites, *(question_measure(q) for q in asked)]
    position = {m: i for i, m in enumerate(measures)}
    codes = np.array(list(itertools.product(*(range(w) for w in widths))), dtype=np.int64)
    labels = tuple(tuple(b.labels) for b in chosen)
    groups = [ALL] + [
        group_name(v, lbl) for v, ls in zip(variables, labels, strict=True) for lbl in ls
    ]
    members = np.ones((len(groups), len(codes)), dtype=bool)
    row = 1
    for i, names in enumerate(labels):
        for code in range(len(names)):
            members[row] = codes[:, i] == code
            row += 1
    margin_n, margin_why, responded = _published_margins(data, unit_id, groups, position)
    result = BreakdownCells(
        unit_id=unit_id,
        variables=variables,
        labels=labels,
        codes=codes,
        measures=measures,
        composites={
            position[c]: [position[question_measure(q)] for q in ids]
            for c, ids in composites.items()
        },
        n=n,
        value=value,
        respondents=np.rint(stats[:, -1]).astype(np.int64),
        margin_groups=groups,
        members=members,
        margin_n=margin_n,
        margin_why=margin_why,
        responded=responded,
    )
    _check_agrees(result)
    return result


def _published_margins(
    data: ProcessedYear, unit_id: str, groups: list[str], position: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, float]:
    """The subtree's published n (NaN where hidden) and suppression per group and measure."""
    rows = data.unit_figures(unit_id)
    rows = rows[(rows["year"] == data.year)]
    margin_n = np.full((len(groups), len(position)), np.nan)
    # a group the published table lacks is as good as hidden: nothing is known of it
    margin_why = np.full((len(groups), len(position)), THRESHOLD, dtype=object)
    where = {g: i for i, g in enumerate(groups)}
    for group, measure, n, value, why in zip(
        rows["group"], rows["measure"], rows["n"], rows["value"], rows["suppression"], strict=True
    ):
        if group in where and measure in position:
            g, m = where[group], position[measure]
            margin_why[g, m] = why
            if not why and pd.notna(value):
                margin_n[g, m] = float(n)
    total = rows[(rows["group"] == ALL) & (rows["measure"] == RESPONSE_RATE)]
    responded = np.nan
    if len(total) and not total["suppression"].iat[0] and pd.notna(total["value"].iat[0]):
        responded = float(total["n"].iat[0])
    return margin_n, margin_why, responded


def _check_agrees(cells: BreakdownCells) -> None:
    """Every published margin equals the sum of its atoms, or the tables are from two runs."""
    summed = cells.members.astype(np.int64) @ cells.n
    known = ~np.isnan(cells.margin_n)
    differ = known & (summed != np.nan_to_num(cells.margin_n))
    total_ok = np.isnan(cells.responded) or cells.respondents.sum() == cells.responded
    if differ.any() or not total_ok:
        raise ExploreError(
            "the respondent rows (data/interim) do not add up to the published figures "
            f"(data/processed) of {cells.unit_id}: run `dvc repro` so both come from one run"
        )
