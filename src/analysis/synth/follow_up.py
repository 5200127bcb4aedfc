"""The synthetic default's optional tables: last year's action plans, the city's figures.

``action_plans``: seed 000 has every unit head whose unit's AMI is under 70
draw up an action plan, agreed with their own manager "senast den 16 juni",
and the next year's report follows it up with the four statuses of seed 002
(Klar, Pågående, Ej påbörjad, Ej slutförd). So every unit of the *previous*
survey year (the second latest synthetic year) whose displayed AMI (half up,
contract §3) was under ``levels.good_from``, on at least
``privacy.min_group_size`` respondents (a unit below it had no AMI to act
on), gets one plan, with the deadline ``report.action_plan_deadline`` and a
seeded mix of statuses (:data:`STATUS_SHARES`, split exactly, drawn at random).

The AMI is computed here, on the generated answers, with the contract's
arithmetic (question index from integer sums, composite = mean of the
question indexes with answers): ``synth`` comes before ``indexes`` in the
one-way import order (tests/test_package_layout.py), so it cannot call the
indexes stage. tests/test_optional_inputs.py checks the units chosen against
the indexes stage's own figures.

``benchmarks``: only what the seeds publish for the city: Stockholms stad's
response rate of 88 % in 2023 (seed 000, "88% av medarbetarna i Stockholms
stad svarade 2023"), for the synthetic years that include 2023. The seeds
give no city AMI and no other year's number, so none is invented.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.contract import PLAN_STATUSES
from analysis.core.orgtree import OrgTree, heads_write_action_plans
from analysis.core.rounding import round_half_up
from analysis.synth import catalogue as cat
from analysis.synth.answers import SCALE_MAX, SCALE_MIN
from analysis.synth.organisation import Organisation, split_exact
from analysis.synth.respondents import Respondents

#: the statuses' shares among the plans (in contract.PLAN_STATUSES order)
STATUS_SHARES = (0.5, 0.3, 0.1, 0.1)
#: a note per status, in the words of seed 002's follow-up ("" = none)
STATUS_NOTES = {
    "Klar": "",
    "Pågående": "Arbetet fortsätter under året",
    "Ej påbörjad": "Förs över till kommande handlingsplan",
    "Ej slutförd": "Förs över i omarbetad version till kommande plan",
}
#: (year, measure) -> value published for the city (seed 000)
CITY = "Stockholms stad"
CITY_FIGURES = {(2023, "response_rate"): 88}


@dataclass(frozen=True)
class FollowUp:
    """What the plans depend on beyond ``synth``: levels.good_from,
    privacy.min_group_size, report.action_plan_deadline and report.school_types (whose
    heads write plans: :func:`analysis.core.orgtree.heads_write_action_plans`)."""

    good_from: int = 70
    min_group_size: int = 5
    deadline: str = "16 juni"
    school_types: tuple[str, ...] = ("grundskola", "gymnasieskola")


#: params.yaml's defaults
DEFAULT_FOLLOW_UP = FollowUp()


def unit_ami(
    questions: list[cat.QuestionSpec],
    org: Organisation,
    r: Respondents,
    answers: np.ndarray,
    position: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's AMI over its subtree in the year at ``position``, and its n (respondents
    with a valid AMI answer); NaN where no answer.

    ``answers``: respondents x questions, NaN blank, 1..5 valid, anything else don't-know.
    A question is in the year's AMI when it has any answer that year, don't-know included.
    """
    rows = r.year_pos == position
    columns = [i for i, q in enumerate(questions) if q.ami_dimension]
    part = answers[np.ix_(rows, columns)]
    part = part[:, (~np.isnan(part)).any(axis=0)]
    valid = (part >= SCALE_MIN) & (part <= SCALE_MAX)
    n_units = len(org.units)
    units = r.unit[rows]
    values = np.where(valid, part, 0.0)
    own_sums = np.stack([np.bincount(units, v, n_units) for v in values.T], axis=1)
    own_counts = np.stack([np.bincount(units, ok, n_units) for ok in valid.T], axis=1)
    own_n = np.bincount(units, valid.any(axis=1), n_units)
    tree = _tree(org)
    sums, counts, n = (_roll_up(org, tree, own) for own in (own_sums, own_counts, own_n))
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where(
            counts > 0, (sums - SCALE_MIN * counts) * 100.0 / ((SCALE_MAX - SCALE_MIN) * counts), 0
        )
        has = counts > 0
        ami = np.where(has.any(axis=1), index.sum(axis=1) / has.sum(axis=1), np.nan)
    return ami, np.rint(n).astype(int)


def _roll_up(org: Organisation, tree: OrgTree, own: np.ndarray) -> np.ndarray:
    """Each unit's values plus those of every unit below it (exact: the values are counts)."""
    position = {u.unit_id: i for i, u in enumerate(org.units)}
    rolled = np.array(own, dtype=float)
    for unit_id in reversed(tree.preorder):  # children before their parents
        parent = tree.parent[unit_id]
        if parent:
            rolled[position[parent]] += rolled[position[unit_id]]
    return rolled


def _tree(org: Organisation) -> OrgTree:
    return OrgTree.from_parents([u.unit_id for u in org.units], [u.parent_id for u in org.units])


def action_plans_table(
    questions: list[cat.QuestionSpec],
    org: Organisation,
    r: Respondents,
    answers: np.ndarray,
    years: list[int],
    follow_up: FollowUp,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The previous survey year's plans, in the units table's order (no rows with one year)."""
    columns = ["year", "unit_id", "status", "deadline", "note"]
    if len(years) < 2:
        return pd.DataFrame(columns=columns)
    position = len(years) - 2
    ami, n = unit_ami(questions, org, r, answers, position)
    tree = _tree(org)  # built once: one per unit would redo the whole tree each time
    depth = [tree.depth[u.unit_id] for u in org.units]
    below = [
        i
        for i, unit in enumerate(org.units)
        if heads_write_action_plans(depth[i], unit.unit_type, follow_up.school_types)
        and n[i] >= follow_up.min_group_size
        and round_half_up(ami[i]) < follow_up.good_from
    ]
    counts = split_exact(len(below), np.array(STATUS_SHARES))
    statuses = np.repeat(np.arange(len(PLAN_STATUSES)), counts)[rng.permutation(len(below))]
    status = [PLAN_STATUSES[s] for s in statuses]
    return pd.DataFrame(
        {
            "year": years[position],
            "unit_id": [org.units[i].unit_id for i in below],
            "status": status,
            "deadline": follow_up.deadline,
            "note": [STATUS_NOTES[s] for s in status],
        },
        columns=columns,
    )


def benchmarks_table(years: list[int]) -> pd.DataFrame:
    """The city's published figures for the synthetic years (seed 000)."""
    rows = [
        (year, measure, value, CITY)
        for (year, measure), value in sorted(CITY_FIGURES.items())
        if year in years
    ]
    return pd.DataFrame(rows, columns=["year", "measure", "value", "source"])
