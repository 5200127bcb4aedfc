"""Driver-analysis methods side by side, for analysts (notebooks/explore_drivers.ipynb).

The reports publish Johnson's relative weights only, by default from
pairwise correlations that count every respondent (``drivers.missing``). An
analyst who wants to know how much those choices matter compares them here,
for one unit or manager: the same weights on the respondents who answered
every driver (listwise, the contract's reference arithmetic), exact LMG
(Shapley) - on the area level, where there are few enough drivers for all 2^p
subsets -, standardised OLS betas with unit-clustered standard errors
(statsmodels), and plain correlations; all but the pairwise weights are on
the listwise rows.

This module reads respondent-level data (:class:`~analysis.core.dataset.SurveyData`),
so it is for analyst notebooks on ``data/interim``, never for a report notebook.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from analysis.core.contract import MISSING_PAIRWISE
from analysis.core.dataset import SurveyData
from analysis.core.params import Params
from analysis.drivers.correlations import contributors, pairwise_correlations
from analysis.drivers.relweights import (
    MAX_LMG_DRIVERS,
    DriverAnalysisError,
    driver_correlations,
    lmg,
    ols_standardised,
    relative_weights,
    relative_weights_from_corr,
)
from analysis.drivers.sample import build_driver_sample, motivation_score
from analysis.drivers.targets import analysis_targets

__all__ = ["COMPARISON_COLUMNS", "area_scores", "compare_methods", "compare_on"]

COMPARISON_COLUMNS = [
    "level",
    "driver",
    "rw_weight",
    "rw_importance",
    "rw_pairwise_importance",
    "lmg_weight",
    "beta",
    "beta_se",
    "beta_ci_low",
    "beta_ci_high",
    "r",
    "rank_rw",
    "rank_rw_pairwise",
    "rank_lmg",
    "rank_beta",
    "rank_r",
    "n_used",
    "n_used_pairwise",
    "r2",
    "se_kind",
]
_OUTCOME, _UNIT = "\x1foutcome", "\x1funit"


def compare_on(
    drivers: pd.DataFrame,
    outcome: np.ndarray,
    units: np.ndarray,
    level: str,
    min_clusters: int,
) -> pd.DataFrame:
    """Every method on one set of drivers: the pairwise relative weights on every row with
    an outcome and at least one driver, the rest listwise (rows complete in outcome and
    drivers).

    ``units`` is each row's unit: OLS standard errors are clustered by it when
    the rows sit in at least ``min_clusters`` units (with fewer, cluster-robust
    errors are unreliable, and classical ones are given; ``se_kind`` says
    which). LMG is left empty above ``MAX_LMG_DRIVERS`` drivers.
    """
    names = [str(c) for c in drivers.columns]
    has_outcome = np.isfinite(np.asarray(outcome, dtype=float))
    answers = drivers.to_numpy(dtype=float)[has_outcome]
    n_pairwise = int(contributors(answers).sum())
    try:
        rxx, rxy, _ = pairwise_correlations(
            np.asarray(outcome, dtype=float)[has_outcome], answers, names
        )
        pairwise = relative_weights_from_corr(rxx, rxy, names).importance.to_numpy()
    except DriverAnalysisError:  # too few for pairwise (the reports would say why): empty
        pairwise = np.full(len(names), np.nan)
    frame = drivers.set_axis(names, axis=1).assign(**{_OUTCOME: outcome, _UNIT: units})
    frame = frame.dropna(subset=[*names, _OUTCOME]).reset_index(drop=True)
    x, y = frame[names], frame[_OUTCOME].to_numpy(dtype=float)
    rw = relative_weights(x, y)
    lmg_weights = (
        lmg(x, y).weights.to_numpy()
        if len(names) <= MAX_LMG_DRIVERS
        else np.full(len(names), np.nan)
    )
    n_units = frame[_UNIT].nunique()
    clustered = n_units >= min_clusters
    ols = ols_standardised(frame, _OUTCOME, names, cluster=_UNIT if clustered else None)
    r = driver_correlations(frame, _OUTCOME, names)["r"].to_numpy()
    out = pd.DataFrame(
        {
            "level": level,
            "driver": names,
            "rw_weight": rw.weights.to_numpy(),
            "rw_importance": rw.importance.to_numpy(),
            "rw_pairwise_importance": pairwise,
            "lmg_weight": lmg_weights,
            "beta": ols["beta"].to_numpy(),
            "beta_se": ols["se"].to_numpy(),
            "beta_ci_low": ols["ci_low"].to_numpy(),
            "beta_ci_high": ols["ci_high"].to_numpy(),
            "r": r,
        }
    )
    for rank, values in (
        ("rank_rw", out["rw_weight"]),
        ("rank_rw_pairwise", out["rw_pairwise_importance"]),
        ("rank_lmg", out["lmg_weight"]),
        ("rank_beta", out["beta"].abs()),
        ("rank_r", out["r"].abs()),
    ):
        out[rank] = values.rank(ascending=False, method="min").astype("Int64")
    out["n_used"] = len(frame)
    out["n_used_pairwise"] = n_pairwise
    out["r2"] = rw.r2
    units_text = f"{n_units} unit{'' if n_units == 1 else 's'}"
    out["se_kind"] = (
        f"clustered by unit ({units_text})"
        if clustered
        else f"classical ({units_text}, fewer than {min_clusters} to cluster by)"
    )
    return out[COMPARISON_COLUMNS]


def area_scores(
    responses: pd.DataFrame, questions: pd.DataFrame, driver_ids: list[str]
) -> pd.DataFrame:
    """Each respondent's mean valid answer per area, over the area's *driver* questions.

    Motivation questions are the outcome, never a driver, so an area holding
    only Motivation questions has no column. Catalogue order of first
    appearance; NaN where a respondent answered none of an area's questions.
    """
    drivers = set(driver_ids)
    kept = questions[questions["question_id"].isin(drivers) & (questions["area"] != "")]
    columns = {}
    for area, ids in kept.groupby("area", sort=False)["question_id"]:
        columns[str(area)] = responses[list(ids)].mean(axis=1, skipna=True)
    return pd.DataFrame(columns, index=responses.index)


def compare_methods(
    data: SurveyData,
    params: Params,
    year: int,
    unit_id: str = "",
    min_clusters: int | None = None,
) -> pd.DataFrame:
    """The methods side by side for one unit or manager (``""`` = the förvaltning).

    Two blocks, ``level`` ``question`` (every driver question, on the unit's
    respondents as :func:`compare_on` takes them) and ``area`` (each area's
    mean over its driver questions, likewise). ``min_clusters`` defaults to
    ``drivers.resample_min_units``.
    """
    min_clusters = params.drivers.resample_min_units if min_clusters is None else min_clusters
    # every respondent with an outcome and a driver: compare_on drops to listwise itself
    sample = build_driver_sample(data, params, year, MISSING_PAIRWISE)
    responses = data.responses_in(year)
    # Every respondent of the year as a "sample", to find the target's members among all.
    everyone = dataclasses.replace(
        sample,
        respondent_ids=responses["respondent_id"].astype(str).to_numpy(),
        unit_ids=responses["unit_id"].astype(str).to_numpy(),
    )
    targets = {t.target_id: t for t in analysis_targets(data, sample)}
    all_targets = {t.target_id: t for t in analysis_targets(data, everyone)}
    root = next(t.target_id for t in targets.values() if t.is_root)
    wanted = unit_id or root
    if wanted not in targets:
        raise DriverAnalysisError(f"year {year}: no unit or manager {wanted!r}")
    rows = targets[wanted].positions
    by_question = compare_on(
        pd.DataFrame(sample.drivers[rows], columns=list(sample.question_ids)),
        sample.outcome[rows],
        sample.unit_ids[rows],
        "question",
        min_clusters,
    )
    members = responses.iloc[all_targets[wanted].positions].reset_index(drop=True)
    outcome = motivation_score(
        members, sample.motivation_ids, params.survey.scale_min, params.survey.scale_max
    )
    by_area = compare_on(
        area_scores(members, data.questions, list(sample.question_ids)),
        outcome.to_numpy(dtype=float),
        members["unit_id"].astype(str).to_numpy(),
        "area",
        min_clusters,
    )
    return pd.concat([by_question, by_area], ignore_index=True)
