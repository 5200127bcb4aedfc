"""Recomputing every figure of one year with ordinary pandas group-bys.

The audit's second, plain implementation of the contract's arithmetic
(§3, §5): a roll-up copy of each respondent for every unit above them, then
means and counts; no sparse matrices, none of the pipeline's index code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.audit.results import ALL, KEYS, AuditError
from analysis.audit.tree import Organisation, composite_questions, organisation
from analysis.core.catalogue import RESPONSE_RATE, question_measure
from analysis.core.contract import MANAGER_PREFIX
from analysis.core.dataset import BACKGROUND, SurveyData
from analysis.core.params import Params


def _group_measures(
    answers: pd.DataFrame,
    answered: pd.DataFrame,
    keys: list[np.ndarray],
    composites: dict[str, list[str]],
    params: Params,
    full_index: pd.Index | None = None,
) -> pd.DataFrame:
    """n and value of every composite and question per group of rows (long, index = keys)."""
    grouped = answers.groupby(keys, sort=False)
    count = grouped.count()
    mean = grouped.mean()
    with_any = answered.groupby(keys, sort=False).sum()
    if full_index is not None:
        count = count.reindex(full_index, fill_value=0)
        mean = mean.reindex(full_index)
        with_any = with_any.reindex(full_index, fill_value=0)
    span = params.survey.scale_max - params.survey.scale_min
    index = (mean - params.survey.scale_min) / span * 100
    parts = {
        name: pd.DataFrame({"n": with_any[name], "value": index[ids].mean(axis=1)})
        for name, ids in composites.items()
    }
    for q in answers.columns:
        parts[question_measure(q)] = pd.DataFrame({"n": count[q], "value": index[q]})
    return pd.concat(parts, names=["measure"]).reset_index()


def recompute_figures(data: SurveyData, params: Params, year: int) -> pd.DataFrame:
    """Every figure of ``year``, unsuppressed.

    Columns ``year, unit_id, group, measure, n, value, in_figures``:
    ``in_figures`` marks the rows figures.csv must carry. The others are there
    for the checks - groups of respondents with an unknown label (``gender=``).
    Every unit has a row for every label given that year (n = 0 where nobody
    with it answered); leaders' rows carry every measure, at group ``all`` only.
    """
    responses = data.responses_in(year)
    asked = data.asked_in(year)
    composites = composite_questions(data.questions, asked)
    org = organisation(data.units_in(year), year)
    unit_of = responses["unit_id"].astype(str).to_numpy()
    unknown = sorted(set(unit_of) - set(org.chains))
    if unknown:
        raise AuditError(f"responses, year {year}: units not in that year's units: {unknown}")
    answers = responses[asked].astype(float).reset_index(drop=True)
    answered = pd.DataFrame(
        {name: answers[ids].notna().any(axis=1).astype(int) for name, ids in composites.items()},
        index=answers.index,
    )

    # Roll-up: one copy of each respondent for every unit whose subtree holds them.
    chains = [org.chains[u] for u in unit_of]
    copies = np.repeat(np.arange(len(responses)), [len(c) for c in chains])
    rolled_unit = np.array([u for chain in chains for u in chain], dtype=object)
    rolled_answers = answers.iloc[copies].reset_index(drop=True)
    rolled_answered = answered.iloc[copies].reset_index(drop=True)

    all_units = pd.Index(list(org.chains), name="unit_id")
    total = _group_measures(
        rolled_answers, rolled_answered, [rolled_unit], composites, params, all_units
    )
    total.columns = ["measure", "unit_id", "n", "value"]
    total["group"] = ALL
    total["in_figures"] = True
    frames = [total]

    responding = pd.Series(rolled_unit).value_counts().reindex(all_units, fill_value=0)
    invited = dict.fromkeys(org.chains, 0)
    for unit, chain in org.chains.items():
        for ancestor in chain:
            invited[ancestor] += org.invited[unit]
    frames.append(_response_rates(all_units, responding.to_numpy(), invited))

    for variable in BACKGROUND:
        given = responses[variable].fillna("").astype(str)
        labels = given.to_numpy()[copies]
        # every unit has a row for every label of the year, respondents or not
        every = pd.MultiIndex.from_product([all_units, sorted(set(given))])
        by_label = _group_measures(
            rolled_answers, rolled_answered, [rolled_unit, labels], composites, params, every
        )
        by_label.columns = ["measure", "unit_id", "label", "n", "value"]
        by_label["group"] = variable + "=" + by_label["label"]
        by_label["in_figures"] = by_label["label"] != ""
        frames.append(by_label.drop(columns="label"))

    frames.append(_leader_figures(org, unit_of, answers, answered, composites, params))
    table = pd.concat(frames, ignore_index=True)
    table["year"] = year
    table["n"] = table["n"].astype(np.int64)
    table["value"] = table["value"].astype(float)
    for column in KEYS:
        table[column] = table[column].astype(object)
    return table[["year", "unit_id", "group", "measure", "n", "value", "in_figures"]]


def _response_rates(ids: pd.Index, responding: np.ndarray, invited: dict[str, int]):
    """responding / invited x 100 per id; no value where nobody was invited."""
    invited_arr = np.array([invited[i] for i in ids], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(invited_arr > 0, responding / invited_arr * 100, np.nan)
    return pd.DataFrame(
        {
            "measure": RESPONSE_RATE,
            "unit_id": list(ids),
            "n": responding,
            "value": value,
            "group": ALL,
            "in_figures": True,
        }
    )


def _leader_figures(
    org: Organisation,
    unit_of: np.ndarray,
    answers: pd.DataFrame,
    answered: pd.DataFrame,
    composites: dict[str, list[str]],
    params: Params,
) -> pd.DataFrame:
    """``manager:<id>`` rows: respondents whose nearest responsible manager is the manager."""
    manager_of = np.array([org.nearest_manager[u] for u in unit_of], dtype=object)
    mine = manager_of != ""
    ids = pd.Index([MANAGER_PREFIX + m for m in org.managers], name="unit_id")
    keys = np.array([MANAGER_PREFIX + m for m in manager_of[mine]], dtype=object)
    table = _group_measures(
        answers[mine].reset_index(drop=True),
        answered[mine].reset_index(drop=True),
        [keys],
        composites,
        params,
        ids,
    )
    table.columns = ["measure", "unit_id", "n", "value"]
    table["group"] = ALL
    table["in_figures"] = True  # every measure, group "all" only

    responding = pd.Series(keys).value_counts().reindex(ids, fill_value=0).to_numpy()
    invited = dict.fromkeys(ids, 0)
    for unit, manager in org.nearest_manager.items():
        if manager:
            invited[MANAGER_PREFIX + manager] += org.invited[unit]
    return pd.concat([table, _response_rates(ids, responding, invited)], ignore_index=True)
