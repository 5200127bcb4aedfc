"""Who answered each synthetic survey year, with the background an HR system would give.

Separate from the organisation (which fixes who is invited) and from the
answers (which only read the respondents' rows): response rates and the
background mix are calibrated here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.synth import catalogue as cat
from analysis.synth.organisation import Organisation

# --- response rates ---------------------------------------------------------
RESPONSE_RATE_BY_WAVE = (0.846, 0.858, 0.870)
RESPONSE_RATE_STEP_BEFORE = 0.012  # lower per year before wave 0
RESPONSE_RATE_OFFSET = {
    "grundskola": 0.0,
    "gymnasieskola": -0.015,
    "avdelning": 0.02,
    # own staff of the förvaltning and the områden: the people who run the survey
    "förvaltning": 0.03,
    "område": 0.03,
}
RESPONSE_RATE_SPREAD = 0.045

# --- background -------------------------------------------------------------
AGE_GROUPS = ("-29", "30-39", "40-49", "50-59", "60-")
AGE_PROBS = {"Medarbetare": (0.11, 0.24, 0.28, 0.23, 0.14), "Chef": (0.01, 0.15, 0.36, 0.34, 0.14)}
WOMEN_SHARE = {
    "grundskola": 0.79,
    "gymnasieskola": 0.60,
    "avdelning": 0.70,
    "förvaltning": 0.68,
    "område": 0.68,
}
UNKNOWN_GENDER, UNKNOWN_AGE = 0.012, 0.015


@dataclass
class Respondents:
    """Respondent rows of every year, concatenated in year order."""

    year: np.ndarray
    year_pos: np.ndarray
    unit: np.ndarray  # index into Organisation.units
    school: np.ndarray
    gender: np.ndarray
    age: np.ndarray
    role: np.ndarray


def wave_of(position: int, n_years: int) -> int:
    """Catalogue wave of the year at ``position``: the latest year is wave 2 (2023)."""
    return max(0, cat.WAVES - (n_years - position))


# --- respondents -------------------------------------------------------------


def _respondent_counts(
    org: Organisation, headcount: np.ndarray, pos: int, n_years: int, unit_rate: np.ndarray
) -> np.ndarray:
    """Respondents per unit in one year: the unit's rate, rounded without drift."""
    wave = wave_of(pos, n_years)
    before = max(0, (n_years - pos) - cat.WAVES)
    base = RESPONSE_RATE_BY_WAVE[wave] - RESPONSE_RATE_STEP_BEFORE * before
    invited = headcount[:, pos].astype(float)
    offset = np.array(
        [
            RESPONSE_RATE_OFFSET[org.school_types[u.school]] if u.school >= 0 else 0.0
            for u in org.units
        ]
    )
    rate = np.clip(base + offset + unit_rate, 0.5, 1.0)
    expected = invited * rate
    expected = np.minimum(invited, expected * base * invited.sum() / expected.sum())
    cumulative = np.floor(np.cumsum(expected) + 0.5).astype(int)
    counts = np.diff(np.concatenate([[0], cumulative]))
    return np.clip(counts, 0, headcount[:, pos])


def draw_respondents(
    org: Organisation, years: list[int], headcount: np.ndarray, rng: np.random.Generator
) -> Respondents:
    """Who answered each year, with the background the HR system would give."""
    unit_rate = rng.normal(0.0, RESPONSE_RATE_SPREAD, len(org.units))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("year", "pos", "unit", "role")}
    for pos, year in enumerate(years):
        counts = _respondent_counts(org, headcount, pos, len(years), unit_rate)
        for index, unit in enumerate(org.units):
            n = int(counts[index])
            if n == 0:
                continue
            roster = np.array(
                ["Chef"] * unit.chefs + ["Medarbetare"] * (headcount[index, pos] - unit.chefs)
            )
            parts["role"].append(roster[rng.permutation(len(roster))[:n]])
            parts["unit"].append(np.full(n, index))
            parts["year"].append(np.full(n, year))
            parts["pos"].append(np.full(n, pos))
    role = np.concatenate(parts["role"])
    unit = np.concatenate(parts["unit"])
    school = np.array([u.school for u in org.units])[unit]
    women_share = np.array([WOMEN_SHARE[t] for t in org.school_types])[school]
    draw = rng.random(len(role))
    gender = np.where(draw < UNKNOWN_GENDER, "", np.where(draw < women_share, "Kvinna", "Man"))
    age = np.empty(len(role), dtype=object)
    for label, probs in AGE_PROBS.items():
        rows = np.flatnonzero(role == label)
        age[rows] = rng.choice(np.array(AGE_GROUPS, dtype=object), size=len(rows), p=probs)
    age[rng.random(len(role)) < UNKNOWN_AGE] = ""
    return Respondents(
        year=np.concatenate(parts["year"]),
        year_pos=np.concatenate(parts["pos"]),
        unit=unit,
        school=school,
        gender=gender.astype(object),
        age=age,
        role=role.astype(object),
    )
