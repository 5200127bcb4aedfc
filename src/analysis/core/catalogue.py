"""The question catalogue: which questions make up which published measure.

Measure names are part of the contract (figures.csv ``measure`` column), so
they are built in exactly one place.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

AMI_DIMENSIONS: tuple[str, ...] = ("Motivation", "Ledarskap", "Styrning")
AMI = "AMI"
LEADERSHIP = "leadership"
RESPONSE_RATE = "response_rate"


def dimension_measure(dimension: str) -> str:
    return f"{AMI}.{dimension}"


def area_measure(area: str) -> str:
    return f"area:{area}"


def question_measure(question_id: str) -> str:
    return f"q:{question_id}"


def composite_definitions(questions: pd.DataFrame) -> dict[str, list[str]]:
    """Every composite measure with all its catalogue questions, in catalogue order.

    The AMI total comes first, then its dimensions, the areas in order of first
    appearance, and the leadership index. Composites without questions are
    left out (another organisation may have no leadership questions).
    """
    defs: dict[str, list[str]] = {}
    ami = questions.loc[questions["ami_dimension"].isin(AMI_DIMENSIONS), "question_id"]
    defs[AMI] = list(ami)
    for dim in AMI_DIMENSIONS:
        defs[dimension_measure(dim)] = list(
            questions.loc[questions["ami_dimension"] == dim, "question_id"]
        )
    for area in dict.fromkeys(a for a in questions["area"] if a):
        defs[area_measure(area)] = list(questions.loc[questions["area"] == area, "question_id"])
    defs[LEADERSHIP] = list(questions.loc[questions["leadership"].astype(bool), "question_id"])
    return {name: ids for name, ids in defs.items() if ids}


def composites_for_year(questions: pd.DataFrame, asked: Iterable[str]) -> dict[str, list[str]]:
    """Composite definitions restricted to the questions asked in one year.

    A composite is the unweighted mean of the indexes of *its questions asked
    that year* (contract §3); a composite none of whose questions were asked
    does not exist that year.
    """
    asked_set = set(asked)
    out = {}
    for name, ids in composite_definitions(questions).items():
        kept = [q for q in ids if q in asked_set]
        if kept:
            out[name] = kept
    return out


def comparable_measures(
    questions: pd.DataFrame, asked_now: Iterable[str], asked_before: Iterable[str]
) -> set[str]:
    """Measures resting on the same question ids in two survey years (contract §3).

    A question must be asked in both years (a rewording is a new id, so it is
    never comparable); a composite must have the same asked questions; the
    response rate rests on no question and is always comparable. The indexes
    stage computes changes only for these, and the reports say why the others
    have none - one rule for both.
    """
    asked_now, asked_before = list(asked_now), list(asked_before)
    same_questions = {question_measure(q) for q in set(asked_now) & set(asked_before)}
    now = composites_for_year(questions, asked_now)
    before = composites_for_year(questions, asked_before)
    same_composites = {name for name, ids in now.items() if before.get(name) == ids}
    return same_questions | same_composites | {RESPONSE_RATE}


def motivation_questions(questions: pd.DataFrame) -> list[str]:
    return list(questions.loc[questions["ami_dimension"] == "Motivation", "question_id"])
