"""The synthetic answers' latent scores, with the planted driver effects, and missing answers.

The driver analysis' test bed: the Motivation latent is built from planted
effects of the other questions here, before any calibration to the
catalogue's targets (``analysis.synth.answers``). Each unit's own staff has
effects of its own (``analysis.synth.local_drivers``: the shared ones in
``driver_truth.csv``, an område's deviation, a school's local drivers, a work
group's if planted; ``driver_truth_units.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.synth import catalogue as cat
from analysis.synth.organisation import Organisation
from analysis.synth.respondents import Respondents

# Background shifts of the latent, per question class: L = leadership
# questions, S = Styrning, O = other drivers (Motivation inherits through β).
ROLE_SHIFT = {"L": 0.30, "S": 0.45, "O": 0.45}
WOMEN_SHIFT = {"L": 0.0, "S": 0.10, "O": 0.12}
AGE_SHIFT = {
    "-29": {"L": -0.10, "S": -0.45, "O": -0.15},
    "30-39": {"L": -0.05, "S": -0.22, "O": -0.07},
    "40-49": {"L": 0.0, "S": 0.0, "O": 0.0},
    "50-59": {"L": 0.03, "S": 0.05, "O": 0.03},
    "60-": {"L": 0.05, "S": 0.12, "O": 0.06},
}
UNKNOWN_SHIFT = -0.10

# --- latent model -----------------------------------------------------------
GROUP_SD = 0.20  # work-group effect
GROUP_DRIFT_SD = 0.06
MANAGER_SD = 0.40  # manager effect within the leadership factor
LEADERSHIP_LOADING = 0.50
MOTIVATION_R2 = 0.60  # share of the Motivation latent explained by the drivers
MOTIVATION_ITEM_LOADING = 0.85

# --- missing answers --------------------------------------------------------
BLANK_RATE = 0.005
BREAK_OFF_RATE = 0.02
BREAK_OFF_MIN_ANSWERED = 10

# --- latent model ------------------------------------------------------------


@dataclass
class Model:
    """Latent answer scores without the school effect, and the effect's loadings."""

    base: np.ndarray  # respondents x catalogue questions
    # per unit (Organisation.units index) and catalogue question: d latent / d school
    # effect; the Motivation questions' depend on the unit's own staff's driver effects
    school_loading: np.ndarray


def _constructs(questions: list[cat.QuestionSpec]) -> list[int]:
    """For each question, the index of the (latest) question whose construct it measures."""
    index = {q.question_id: i for i, q in enumerate(questions)}
    successor = {index[q.replaces]: i for i, q in enumerate(questions) if q.replaces}
    out = []
    for i in range(len(questions)):
        while i in successor:
            i = successor[i]
        out.append(i)
    return out


def driver_constructs(questions: list[cat.QuestionSpec]) -> list[int]:
    """Catalogue index of each driver construct (the latest question of each chain of
    rewordings outside Motivation), in catalogue order: the columns of the effects."""
    construct = _constructs(questions)
    return sorted({c for c in construct if questions[c].ami_dimension != "Motivation"})


def driver_loadings(
    questions: list[cat.QuestionSpec], drivers: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each driver construct's loading on the general and on the leadership factor."""
    loading = np.array([questions[c].loading for c in drivers])
    lead_loading = np.array(
        [LEADERSHIP_LOADING if questions[c].leadership else 0.0 for c in drivers]
    )
    return loading, lead_loading


def driver_correlation(loading: np.ndarray, lead_loading: np.ndarray) -> np.ndarray:
    """The driver latents' correlations within a workplace, as planted: two factors and
    each construct's own part (what the Motivation latent's scale and the truth use)."""
    correlation = np.outer(loading, loading) + np.outer(lead_loading, lead_loading)
    np.fill_diagonal(correlation, 1.0)
    return correlation


def _question_class(q: cat.QuestionSpec) -> str:
    if q.ami_dimension == "Motivation":
        return "M"
    if q.leadership:
        return "L"
    return "S" if q.ami_dimension == "Styrning" else "O"


def _background_shift(r: Respondents, qclass: str) -> np.ndarray:
    shift = np.where(r.role == "Chef", ROLE_SHIFT[qclass], 0.0)
    shift += np.where(r.gender == "Kvinna", WOMEN_SHIFT[qclass], 0.0)
    shift += np.where(r.gender == "", UNKNOWN_SHIFT, 0.0)
    for label, by_class in AGE_SHIFT.items():
        shift += np.where(r.age == label, by_class[qclass], 0.0)
    shift += np.where(r.age == "", UNKNOWN_SHIFT, 0.0)
    return shift


def latent_model(
    questions: list[cat.QuestionSpec],
    org: Organisation,
    r: Respondents,
    rng: np.random.Generator,
    effects: np.ndarray,
) -> Model:
    """Draw every respondent's latent scores (school effect added later, linearly).

    ``effects`` (unit x driver construct, ``local_drivers.UnitEffects.by_group``)
    are the planted effects on the Motivation latent of each unit's own
    respondents; each unit's Motivation latent is scaled so that its drivers
    explain MOTIVATION_R2 of it, wherever its effects lie.
    """
    n = len(r.unit)
    n_years = int(r.year_pos.max()) + 1
    construct = _constructs(questions)
    drivers = driver_constructs(questions)
    motivation = [i for i, q in enumerate(questions) if q.ami_dimension == "Motivation"]

    group = rng.normal(0.0, GROUP_SD, len(org.units))[:, None] + rng.normal(
        0.0, GROUP_DRIFT_SD, (len(org.units), n_years)
    )
    manager = rng.normal(0.0, MANAGER_SD, len(org.units))
    general = group[r.unit, r.year_pos] + np.sqrt(1 - GROUP_SD**2) * rng.standard_normal(n)
    leadership = manager[r.unit] + np.sqrt(1 - MANAGER_SD**2) * rng.standard_normal(n)

    loading, lead_loading = driver_loadings(questions, drivers)
    own = np.sqrt(np.clip(1 - loading**2 - lead_loading**2, 0.05, None))
    unique = rng.standard_normal((n, len(drivers)))
    shifts = {k: _background_shift(r, k) for k in ("L", "S", "O")}
    latent = np.empty((n, len(drivers)))
    for j, c in enumerate(drivers):
        latent[:, j] = (
            loading[j] * general
            + lead_loading[j] * leadership
            + own[j] * unique[:, j]
            + shifts[_question_class(questions[c])]
        )

    shared = np.array([questions[c].effect for c in drivers])
    correlation = driver_correlation(loading, lead_loading)
    explained = np.array([float(b @ correlation @ b) for b in effects])
    scale = np.sqrt(explained / MOTIVATION_R2)
    noise_sd = np.sqrt(explained * (1 - MOTIVATION_R2) / MOTIVATION_R2)
    # the shared effects plus the unit's deviation from them: without deviations
    # (synth.local_effect, synth.group_effect and synth.omrade_spread 0) the arithmetic
    # is the single-effect model's, so its files stay byte for byte what they were
    deviation = (effects - shared)[r.unit]
    motivation_latent = (
        latent @ shared
        + np.einsum("ij,ij->i", latent, deviation)
        + noise_sd[r.unit] * rng.standard_normal(n)
    ) / scale[r.unit]
    through_general = np.array([float(b @ loading) for b in effects])

    base = np.empty((n, len(questions)))
    school_loading = np.empty((len(effects), len(questions)))
    item_noise = np.sqrt(1 - MOTIVATION_ITEM_LOADING**2)
    for i, c in enumerate(construct):
        if i in motivation:
            base[:, i] = (
                MOTIVATION_ITEM_LOADING * motivation_latent + item_noise * rng.standard_normal(n)
            )
            school_loading[:, i] = MOTIVATION_ITEM_LOADING * through_general / scale
        else:
            j = drivers.index(c)
            base[:, i] = latent[:, j]
            school_loading[:, i] = loading[j]
    return Model(base, school_loading)


def missing_answers(
    questions: list[cat.QuestionSpec],
    r: Respondents,
    asked: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks of valid, don't-know and blank answers (respondents x catalogue questions)."""
    n, q = len(r.unit), len(questions)
    asked_rows = asked[r.year_pos]
    dont_know = rng.random((n, q)) < np.array([s.dont_know for s in questions])
    blank = rng.random((n, q)) < BLANK_RATE
    # A few respondents stop part-way: everything after their last answer is blank.
    stops = np.flatnonzero(rng.random(n) < BREAK_OFF_RATE)
    position = np.cumsum(asked_rows, axis=1)
    n_asked = asked_rows.sum(axis=1)
    for row in stops:
        last = rng.integers(BREAK_OFF_MIN_ANSWERED, max(BREAK_OFF_MIN_ANSWERED + 1, n_asked[row]))
        blank[row] |= position[row] > last
    blank &= asked_rows
    dont_know &= asked_rows
    valid = asked_rows & ~dont_know & ~blank
    return valid, dont_know, blank
