"""The published figures of a year: suppressed, with changes against the previous year.

Changes are taken between the *published* tables of two years, so a change
exists only where both values are published; each carries a 95 % interval
(:mod:`analysis.indexes.change_intervals`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from analysis import privacy
from analysis.core.catalogue import comparable_measures
from analysis.core.contract import FIGURES_TABLE_COLUMNS
from analysis.core.dataset import SurveyData
from analysis.core.params import Params, SurveyParams
from analysis.indexes.change_intervals import change_intervals, measure_spread
from analysis.indexes.unsuppressed import compute_unsuppressed

__all__ = [
    "FIGURE_COLUMNS",
    "add_changes",
    "compute_figures",
    "figures_with_changes",
    "published_figures",
]

FIGURE_COLUMNS = FIGURES_TABLE_COLUMNS


def add_changes(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    comparable: set[str],
    spread: dict[str, float],
    spread_prev: dict[str, float],
) -> pd.DataFrame:
    """Attach ``change``, its interval and ``value_prev`` to a published table.

    Both tables must already be suppressed: a change exists only where both
    values are published and the measure is comparable. ``spread`` and
    ``spread_prev`` are each year's pooled respondent spread per measure
    (:func:`analysis.indexes.change_intervals.measure_spread`).
    """
    keys = ["unit_id", "group", "measure"]
    before = previous[[*keys, "n", "value"]].rename(columns={"n": "n_prev", "value": "value_prev"})
    out = current.merge(before, on=keys, how="left", validate="one_to_one", sort=False)
    usable = (
        out["value"].notna().to_numpy()
        & out["value_prev"].notna().to_numpy()
        & out["measure"].isin(comparable).to_numpy()
    )
    out["value_prev"] = out["value_prev"].where(usable).astype("float64")
    out["change"] = (out["value"] - out["value_prev"]).astype("float64")
    intervals, _ = change_intervals(out, spread, spread_prev)
    out["change_low"] = intervals["change_low"].astype("float64")
    out["change_high"] = intervals["change_high"].astype("float64")
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
        data,
        params.survey,
        year,
        lambda y: published_figures(data, params, y, complementary=complementary),
    )


def published_figures(
    data: SurveyData, params: Params, year: int, *, complementary: bool = True
) -> pd.DataFrame:
    """One year's figures after suppression, without changes (``year .. value``)."""
    figures = compute_unsuppressed(data, params, year)
    return privacy.suppress(figures, params.privacy, complementary=complementary)


def figures_with_changes(
    data: SurveyData,
    survey: SurveyParams,
    year: int,
    published: Callable[[int], pd.DataFrame],
    spread: Callable[[int], dict[str, float]] | None = None,
) -> pd.DataFrame:
    """``published(year)`` with changes against ``published(previous survey year)``.

    ``published`` (and ``spread``, each year's respondent spread, by default
    :func:`analysis.indexes.change_intervals.measure_spread`) are parameters so
    that a caller reporting several years (``analysis.indexes.stage.history_figures``)
    computes each year only once.
    """
    if spread is None:
        spread = partial(measure_spread, data, survey)
    current = published(year)
    previous_year = data.previous_year(year)
    if previous_year is None:
        out = current.copy()
        for column in ("change", "change_low", "change_high", "value_prev"):
            out[column] = np.nan
        return out[FIGURE_COLUMNS]
    previous = published(previous_year)
    return add_changes(
        current,
        previous,
        comparable_measures(data.questions, data.asked_in(year), data.asked_in(previous_year)),
        spread(year),
        spread(previous_year),
    )
