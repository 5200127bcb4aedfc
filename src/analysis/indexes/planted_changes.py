"""Two survey years of an organisation where some units really changed, and which ones.

For proving that a change is marked *säkerställd* when, and only when, it is
real (``bench/bench_change_calibration.py``, ``tests/test_change_intervals.py``;
never used by the pipeline). The same staff answer both years: each person
has a stable tendency, a mood of the year and answer-to-answer noise; each
answers each year with probability ``response`` (85 %), so most but not all
of a unit's respondents are the same people both years. Most units'
climates stay as they were; in ``changed_share`` of them the climate moves
so that the unit's expected AMI moves by ``planted_change`` index points,
up or down.

The answer model is an ordinal one: a latent value (question mean + unit
climate + tendency + mood + noise) cut into 1-5 at fixed thresholds. The
defaults give a within-unit respondent spread of AMI near the synthetic
default's (about 15 index points) and a year-to-year correlation of a
person's AMI of about 0.6, as attitudes at work are usually found to have
over a year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import norm

from analysis.core.dataset import SurveyData

__all__ = ["PlantedChanges", "expected_ami", "planted_changes"]

#: where the latent answer is cut into 1 | 2 | 3 | 4 | 5
THRESHOLDS = np.array([-2.0, -1.2, -0.4, 0.5])
#: the questions: (id, AMI dimension, area, leadership)
QUESTIONS = (
    *((f"q0{i}", "Motivation", "Uppdrag", False) for i in (1, 2, 3)),
    *((f"q0{i}", "Ledarskap", "Ledarskap", True) for i in (4, 5, 6)),
    *((f"q0{i}", "Styrning", "Styrning", False) for i in (7, 8, 9)),
    *((f"q1{i}", "", "Arbetsmiljö", False) for i in (0, 1, 2)),
)
AMI_QUESTIONS = 9


@dataclass(frozen=True)
class PlantedChanges:
    """The survey of two years and, per unit, the planted change of its expected AMI."""

    data: SurveyData
    first_year: int
    second_year: int
    planted: dict[str, float]  # unit_id -> planted AMI change (0 for unchanged units)


def expected_ami(question_means: np.ndarray, climate: float, spread: float) -> float:
    """A unit's population AMI: the mean over AMI questions of the expected answer, 0-100."""
    means = question_means[:AMI_QUESTIONS, None] + climate - THRESHOLDS[None, :]
    expected_answer = 1.0 + norm.cdf(means / spread).sum(axis=1)
    return float(((expected_answer - 1.0) * 25.0).mean())


def planted_changes(
    seed: int,
    units: int = 120,
    smallest: int = 9,
    largest: int = 176,
    response: float = 0.85,
    changed_share: float = 0.2,
    planted_change: float = 6.0,
    tendency: float = 0.7,
    mood: float = 0.45,
    noise: float = 0.8,
    climate_spread: float = 0.25,
    first_year: int = 2022,
) -> PlantedChanges:
    """An organisation (förvaltning, four områden, ``units`` units under them) and two years.

    Unit staff sizes are log-uniform between ``smallest`` and ``largest`` (so
    respondents are about 8-150 at 85 % response). ``tendency``, ``mood`` and
    ``noise`` are the standard deviations of a person's stable tendency, their
    mood of the year (shared by their answers that year) and each answer's own
    noise, on the latent scale.
    """
    rng = np.random.default_rng(seed)
    second_year = first_year + 1
    question_means = rng.uniform(0.3, 0.9, size=len(QUESTIONS))
    spread = float(np.sqrt(tendency**2 + mood**2 + noise**2))
    unit_rows, answer_rows, planted = [], [], {}
    for year in (first_year, second_year):
        unit_rows.append(_unit(year, "ROOT", "", "förvaltning", 0))
        unit_rows += [_unit(year, f"A{a}", "ROOT", "område", 0) for a in range(4)]
    climates = rng.normal(0.0, climate_spread, size=units)
    sizes = np.exp(rng.uniform(np.log(smallest), np.log(largest + 1), size=units)).astype(int)
    changed = rng.random(units) < changed_share
    signs = rng.choice([-1.0, 1.0], size=units)
    person = 0
    for u in range(units):
        unit_id = f"U{u:03d}"
        before = expected_ami(question_means, climates[u], spread)
        shift = 0.0
        if changed[u]:
            target = before + signs[u] * planted_change
            shift = brentq(
                lambda d, c=climates[u], t=target: expected_ami(question_means, c + d, spread) - t,
                -3.0,
                3.0,
            )
        planted[unit_id] = signs[u] * planted_change if changed[u] else 0.0
        stable = rng.normal(0.0, tendency, size=sizes[u])
        ids = np.arange(person, person + sizes[u])
        person += sizes[u]
        for year, climate in ((first_year, climates[u]), (second_year, climates[u] + shift)):
            unit_rows.append(_unit(year, unit_id, f"A{u % 4}", "enhet", int(sizes[u])))
            answers = rng.random(sizes[u]) < response
            latent = (
                question_means[None, :]
                + climate
                + stable[answers, None]
                + rng.normal(0.0, mood, size=(int(answers.sum()), 1))
                + rng.normal(0.0, noise, size=(int(answers.sum()), len(QUESTIONS)))
            )
            scale = 1.0 + (latent[:, :, None] > THRESHOLDS[None, None, :]).sum(axis=2)
            answer_rows.append((year, unit_id, ids[answers], scale.astype(float)))
    return PlantedChanges(_survey(unit_rows, answer_rows), first_year, second_year, planted)


def _unit(year: int, unit_id: str, parent: str, kind: str, invited: int) -> dict:
    return {
        "year": year,
        "unit_id": unit_id,
        "unit_name": unit_id,
        "parent_id": parent,
        "unit_type": kind,
        "invited": invited,
        "manager_id": "",
    }


def _survey(unit_rows: list[dict], answer_rows: list[tuple]) -> SurveyData:
    questions = pd.DataFrame(
        {
            "question_id": [q[0] for q in QUESTIONS],
            "text": [f"Fråga {q[0]}" for q in QUESTIONS],
            "area": [q[2] for q in QUESTIONS],
            "ami_dimension": [q[1] for q in QUESTIONS],
            "leadership": [q[3] for q in QUESTIONS],
            "replaces": [""] * len(QUESTIONS),
        }
    )
    units = pd.DataFrame(unit_rows)
    units["invited"] = units["invited"].astype("Int64")
    parts = []
    for year, unit_id, ids, answers in answer_rows:
        frame = pd.DataFrame(answers, columns=[q[0] for q in QUESTIONS])
        frame.insert(0, "role", "")
        frame.insert(0, "age_group", "")
        frame.insert(0, "gender", "")
        frame.insert(0, "unit_id", unit_id)
        frame.insert(0, "respondent_id", [f"{year}-{i}" for i in ids])
        frame.insert(0, "year", year)
        parts.append(frame)
    responses = pd.concat(parts, ignore_index=True)
    years = sorted(responses["year"].unique())
    asked = pd.DataFrame(
        [(int(y), q[0]) for y in years for q in QUESTIONS], columns=["year", "question_id"]
    )
    return SurveyData(questions, units, responses, asked)
