"""The ad-hoc breakdown: any combination of background variables within any subtree, protected.

An analyst asking "AMI by gender and age within this område" wants numbers
the reports do not publish; the respondent rows hold them, and they hold
groups of two as well. This module returns such a table with the published
figures' rules applied (:mod:`analysis.explore.protection`): a hidden cell
is an empty number with the words a report uses for it, so a small group
cannot be read off by accident, nor by subtracting the table from the
published figures (docs/analysts.md states exactly what is guaranteed).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.core.catalogue import RESPONSE_RATE
from analysis.core.contract import MANAGER_PREFIX
from analysis.core.dataset import BACKGROUND, SurveyData
from analysis.core.rounding import round_half_up_array
from analysis.explore.cells import BreakdownCells, breakdown_cells, year_params
from analysis.explore.protection import protect
from analysis.explore.state import Decision
from analysis.explore.tidy import figures, measure_names
from analysis.explore.units import ExploreError, find_unit
from analysis.report.phrases import hidden_text
from analysis.report.processed import ProcessedYear
from analysis.report.unit_figures import age_sort_key

#: a published total's label for a variable it does not split (``margins=True``)
TOTAL = "totalt"

#: decided breakdowns, per (survey, year's tables, unit, variables): every measure at once
_DECIDED: dict[tuple, tuple[weakref.ref, weakref.ref, BreakdownCells, Decision]] = {}
_KEEP = 16


def breakdown(
    survey: SurveyData,
    data: ProcessedYear,
    unit: str,
    variables: str | Sequence[str],
    measures: str | Sequence[str] | None = None,
    *,
    margins: bool = False,
) -> pd.DataFrame:
    """A measure (or several) by a combination of background variables within a subtree.

    ``survey`` is the respondent rows (``SurveyData.load("data/interim")``),
    ``data`` the published year (:func:`~analysis.report.processed.load_processed_year`),
    ``unit`` the subtree's top unit (id or name), ``variables`` one to three
    of ``gender``, ``age_group``, ``role`` and ``measures`` names as in
    figures.csv (default: every index and question of the year; not the
    response rate, which has no background groups).

    One row per combination of known labels and measure: a column per
    variable with its label, ``n``, ``value`` (full precision), ``shown``
    (as a report rounds it), ``suppression`` (``threshold``,
    ``complementary`` or empty) and ``reason`` (the report's words). A
    hidden cell has ``n``, ``value`` and ``shown`` empty, never 0.
    Respondents whose label is unknown are never a cell of their own, as in
    the published figures. ``margins=True`` adds the subtree's published
    figures the cells add up to (its total and the groups of each chosen
    variable, ``source = "published"``, the label ``totalt`` for a variable
    they do not split) exactly as published: no total is shown that the
    published figures do not show.

    Every measure is decided at once, whichever are asked for, so asking
    for one measure at a time gives the same cells; the decision is kept for
    the next question on the same tables, which are therefore read-only (as
    :class:`~analysis.report.processed.ProcessedYear` is).
    """
    unit_id = find_unit(data, unit)
    if unit_id.startswith(MANAGER_PREFIX):
        raise ExploreError("a breakdown is of a unit's subtree; leader reports have no groups")
    wanted = _variables(variables)
    cells, decision = _decided(survey, data, unit_id, tuple(v for v in BACKGROUND if v in wanted))
    chosen = _chosen_measures(cells, measures)
    rows = _cell_rows(data, cells, decision, wanted, chosen)
    if margins:
        rows = pd.concat([rows, _margin_rows(data, cells, wanted, chosen)], ignore_index=True)
    return _ordered(rows, wanted, chosen)


def _variables(variables: str | Sequence[str]) -> list[str]:
    wanted = [variables] if isinstance(variables, str) else list(variables)
    unknown = [v for v in wanted if v not in BACKGROUND]
    if unknown or not wanted or len(set(wanted)) != len(wanted):
        raise ExploreError(
            f"variables must be one to three distinct of {list(BACKGROUND)}, got {wanted}"
        )
    return wanted


def _chosen_measures(cells: BreakdownCells, measures: str | Sequence[str] | None) -> list[str]:
    if measures is None:
        return list(cells.measures)
    chosen = [measures] if isinstance(measures, str) else list(measures)
    if RESPONSE_RATE in chosen:
        raise ExploreError("the response rate has no background groups (invited is per unit)")
    unknown = [m for m in chosen if m not in cells.measures]
    if unknown:
        raise ExploreError(f"no measure {unknown} this year; measures: {cells.measures}")
    return chosen


def _decided(
    survey: SurveyData, data: ProcessedYear, unit_id: str, variables: tuple[str, ...]
) -> tuple[BreakdownCells, Decision]:
    """The atoms and what may be shown of them (kept for the next question of the same table)."""
    key = (id(survey), id(data), unit_id, variables)
    held = _DECIDED.get(key)
    if held is not None and held[0]() is survey and held[1]() is data:
        return held[2], held[3]
    cells = breakdown_cells(survey, data, unit_id, variables)
    k = year_params(data).privacy.min_group_size
    # one variable: the cells are the published groups, already protected as a whole
    decision = _as_published(cells) if len(variables) == 1 else protect(cells, k)
    if len(_DECIDED) >= _KEEP:
        _DECIDED.pop(next(iter(_DECIDED)))
    _DECIDED[key] = (weakref.ref(survey), weakref.ref(data), cells, decision)
    return cells, decision


def _as_published(cells: BreakdownCells) -> Decision:
    """One variable: the cells are the published groups themselves, shown as published."""
    shown = np.zeros(cells.n.shape, dtype=bool)
    reason = np.full(cells.n.shape, "", dtype=object)
    for g in range(1, len(cells.margin_groups)):  # 0 is the total
        (atom,) = np.flatnonzero(cells.members[g] & cells.cell)
        shown[atom] = ~np.isnan(cells.margin_n[g])
        reason[atom] = np.where(shown[atom], "", cells.margin_why[g])
    return Decision(shown, reason, 0)


def _cell_rows(
    data: ProcessedYear,
    cells: BreakdownCells,
    decision: Decision,
    wanted: list[str],
    chosen: list[str],
) -> pd.DataFrame:
    names = measure_names(data)
    atoms = np.flatnonzero(cells.cell)
    index = {m: i for i, m in enumerate(cells.measures)}
    columns = [index[m] for m in chosen]
    a_grid, m_grid = np.meshgrid(atoms, columns, indexing="ij")
    a_flat, m_flat = a_grid.ravel(), m_grid.ravel()
    shown = decision.shown[a_flat, m_flat]
    value = np.where(shown, cells.value[a_flat, m_flat], np.nan)
    rows = pd.DataFrame(
        {
            "year": data.year,
            "unit_id": cells.unit_id,
            "unit_name": data.unit_name(cells.unit_id),
            **{
                v: [cells.labels[i][c] for c in cells.codes[a_flat, i]]
                for i, v in enumerate(cells.variables)
                if v in wanted
            },
            "measure": [cells.measures[m] for m in m_flat],
            "n": pd.array(np.where(shown, cells.n[a_flat, m_flat], 0), dtype="Int64"),
            "value": value,
            "shown": pd.array(round_half_up_array(value), dtype="Int64"),
            "suppression": decision.reason[a_flat, m_flat].astype(str),
            "source": "breakdown",
        }
    )
    rows["n"] = rows["n"].mask(~shown)
    rows["measure_name"] = rows["measure"].map(names).fillna(rows["measure"])
    rows["reason"] = [
        hidden_text(s) if not ok else "" for s, ok in zip(rows["suppression"], shown, strict=True)
    ]
    return rows


def _margin_rows(
    data: ProcessedYear, cells: BreakdownCells, wanted: list[str], chosen: list[str]
) -> pd.DataFrame:
    """The published figures the cells add up to, as published (no number of our own)."""
    # with one variable its groups are the cells themselves: only the total is a margin
    groups = cells.margin_groups if len(wanted) > 1 else cells.margin_groups[:1]
    published = figures(data)
    published = published[
        (published["unit_id"] == cells.unit_id)
        & published["group"].isin(groups)
        & published["measure"].isin(chosen)
    ]
    out = pd.DataFrame(
        {
            "year": published["year"],
            "unit_id": published["unit_id"],
            "unit_name": published["unit_name"],
            **{v: np.where(published["variable"] == v, published["label"], TOTAL) for v in wanted},
            "measure": published["measure"],
            "measure_name": published["measure_name"],
            "n": published["n"],
            "value": published["value"],
            "shown": published["shown"],
            "suppression": published["suppression"],
            "reason": published["reason"],
            "source": "published",
        }
    )
    return out.reset_index(drop=True)


def _ordered(rows: pd.DataFrame, wanted: list[str], chosen: list[str]) -> pd.DataFrame:
    """Measures as asked, then labels in their natural order (age bands youngest first);
    a published total after the cells it adds up."""
    order = {m: i for i, m in enumerate(chosen)}
    keys = {"_m": rows["measure"].map(order)}
    for v in wanted:
        sort = age_sort_key if v == "age_group" else str.casefold
        keys[f"_{v}"] = rows[v].map(lambda label, s=sort: (label == TOTAL, s(label)))
    ordered = rows.assign(**keys).sort_values(list(keys), kind="mergesort")
    columns = ["year", "unit_id", "unit_name", *wanted, "measure", "measure_name"]
    columns += ["n", "value", "shown", "suppression", "reason", "source"]
    return ordered[columns].reset_index(drop=True)
