"""The synthetic förvaltning: organisation, yearly surveys and the planted driver truth.

The pipeline's default input must look like a real export (contract §2) and
land near the 2023 results presentation (seed 000), so that every report
shows plausible figures offline. It is also the test bed for the driver
analysis, so the Motivation outcome is *generated* from planted effects of the
other questions and the truth is written beside the tables
(``driver_truth.csv``; the ingest code ignores extra files).

Model, in short (docs/assumptions.md has the reasons):

* every driver construct ``c`` has a latent ``X_c = λ_c·g + ℓ_c·f + υ_c·u_c +
  background shift``: ``g`` a general factor (school/avdelning effect + work
  group effect + person), ``f`` a leadership factor carrying the work group
  manager's effect (leadership questions only), ``u_c`` the construct's own part;
* the Motivation latent is ``M = Σ β_c·X_c + noise`` (β = the planted effects),
  and each Motivation question reads ``M`` with a little item noise;
* an answer is an ordered-probit style cut of ``μ_q,year + latent`` at fixed
  thresholds, where ``μ_q,year`` is solved so that the förvaltning's question
  index equals the catalogue's target for that wave exactly;
* a few schools are planted below AMI 70 and a few at 89-90, the rest kept
  between them, by solving each such school's effect on the realised answers;
* the förvaltning and each område have staff of their own (ledningsstab,
  områdesstab; see "own staff" below), taken out of ``synth.employees``; each
  such staff is a workplace of its own, with its own effect like a school's,
  but is never planted.

Everything random comes from one seeded ``numpy`` Generator family, and nothing
depends on time or on set ordering, so the files are byte-identical per seed.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

from analysis.core.params import SynthParams
from analysis.synth import catalogue as cat

SCALE_MIN, SCALE_MAX, DONT_KNOW = 1, 5, 0
TARGET_JITTER = 0.15
# Cut points of the latent answer scale (1|2, 2|3, 3|4, 4|5): skewed like a real
# engagement survey, where most answers are 4 or 5.
THRESHOLDS = np.array([-1.9, -1.35, -0.7, 0.2])

# --- organisation -----------------------------------------------------------
TYPICAL_SIZE = {"grundskola": 75, "gymnasieskola": 110, "avdelning": 120}
GROUP_SIZE = 34  # staff per work group; with the default gives ~600 managers
MIN_GROUP_SIZE = 4
MIN_UNIT_SIZE = 12
SIZE_SPREAD = 0.35  # lognormal sigma of school/avdelning sizes
HEADCOUNT_DRIFT = 0.05  # yearly change of a group's headcount in earlier years

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
SCHOOL_SD = 0.30  # school/avdelning effect on the general factor
SCHOOL_DRIFT_SD = 0.08  # its change per earlier year
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

# --- planted school results (latest year), shares of the seed's counts ------
LOW_SHARE = {"grundskola": 9 / 140, "gymnasieskola": 2 / 30}
TOP_SHARE = {"grundskola": 4 / 140, "gymnasieskola": 2 / 30}
LOW_RANGE = (61.0, 68.0)
TOP_RANGE = (88.8, 90.4)
NORMAL_RANGE = (71.0, 87.5)  # other schools are kept inside
CLAMP_MARGIN = 2.0
SCHOOL_TYPES = ("grundskola", "gymnasieskola")
SOLVE_ROUNDS = 4

# --- own staff of the förvaltning and the områden (see _draw_own_staff) -------
OWN_SMALL_RANGE = (2, 4)  # a small own staff: the unit's chef and 1-3 more, below privacy's 5
OWN_LARGER_MIN = 8  # a larger own staff: >= 5 respondents at the ~87 % response rate
OWN_SMALL_SHARE = 1 / 3  # share of the områden drawn small (at least one)
OWN_SPREAD = 0.4  # lognormal sigma of the larger counts around synth.own_staff
OWN_MAX_FACTOR = 3  # larger counts are capped at this many times synth.own_staff
OWN_CHEF_SHARE = 0.12  # besides the unit's own manager, chefs among the own staff


@dataclass
class _Unit:
    unit_id: str
    name: str
    parent_id: str
    unit_type: str
    manager_id: str
    # index of the workplace whose effect its respondents share: the school/avdelning
    # the unit lies in, or the unit itself for the förvaltning's or an område's own
    # staff (-1: a higher unit without staff)
    school: int = -1
    staff: int = 0  # members directly in the unit in the latest year
    chefs: int = 0  # of them, managers (answer as Chef)


@dataclass
class _Organisation:
    units: list[_Unit]
    # unit_type and name of each workplace, by school index: the schools/avdelningar
    # first, then the staffed higher units (förvaltning, område)
    school_types: list[str]
    school_names: list[str]


@dataclass
class _Respondents:
    """Respondent rows of every year, concatenated in year order."""

    year: np.ndarray
    year_pos: np.ndarray
    unit: np.ndarray  # index into _Organisation.units
    school: np.ndarray
    gender: np.ndarray
    age: np.ndarray
    role: np.ndarray


def generate(params: SynthParams, out_dir: Path) -> None:
    """Write questions.csv, units.csv, responses.csv and driver_truth.csv into ``out_dir``."""
    years = _check(params)
    # spawn(8) gives the same first seven streams as spawn(7) did before the own
    # staff's stream was added: with synth.own_staff 0 the files are the old ones.
    streams = np.random.SeedSequence(params.seed).spawn(8)
    (
        org_rng,
        staff_rng,
        latent_rng,
        missing_rng,
        school_rng,
        export_rng,
        target_rng,
        own_staff_rng,
    ) = (np.random.default_rng(s) for s in streams)
    questions = list(cat.QUESTIONS)
    targets = _targets(questions, len(years), target_rng)
    asked = ~np.isnan(targets)

    org = _build_organisation(params, org_rng, own_staff_rng)
    headcount = _headcounts(org, len(years), staff_rng)
    respondents = _draw_respondents(org, years, headcount, staff_rng)
    model = _latent_model(questions, org, respondents, latent_rng)
    valid, dont_know, blank = _missing_answers(questions, respondents, asked, missing_rng)
    school_effect = _plant_school_results(
        questions, org, respondents, model, targets, valid, school_rng
    )
    answers = _answers(respondents, model, school_effect, targets, valid)
    answers[dont_know & ~blank] = DONT_KNOW

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(_questions_table(questions), out_dir / "questions.csv")
    _write(_units_table(org, years, headcount), out_dir / "units.csv")
    responses = _responses_table(questions, org, respondents, answers, export_rng)
    _write(responses, out_dir / "responses.csv")
    _write(_driver_truth(questions, asked[-1]), out_dir / "driver_truth.csv")


# --- checks and small helpers ----------------------------------------------


def _check(params: SynthParams) -> list[int]:
    years = sorted(int(y) for y in params.years)
    if not years or len(set(years)) != len(years):
        raise ValueError(f"synth.years must list distinct years, got {params.years!r}")
    counts = (params.grundskolor, params.gymnasieskolor, params.avdelningar)
    if min(counts) < 0 or sum(counts) == 0:
        raise ValueError(
            "synth.grundskolor, synth.gymnasieskolor and synth.avdelningar must be >= 0 "
            f"and name at least one unit, got {counts}"
        )
    if params.employees < MIN_UNIT_SIZE * sum(counts):
        raise ValueError(
            f"synth.employees={params.employees} is too few for {sum(counts)} schools and "
            f"avdelningar (at least {MIN_UNIT_SIZE} each)"
        )
    _check_own_staff(params.own_staff)
    return years


def _wave(position: int, n_years: int) -> int:
    """Catalogue wave of the year at ``position``: the latest year is wave 2 (2023)."""
    return max(0, cat.WAVES - (n_years - position))


def _targets(
    questions: list[cat.QuestionSpec], n_years: int, rng: np.random.Generator
) -> np.ndarray:
    """Förvaltning question index per year position and question (NaN = not asked).

    The catalogue's whole-number targets get a small jitter so that the
    figures do not look suspiciously round; it is small enough (±TARGET_JITTER)
    that every displayed dimension and AMI value stays the seed's.
    """
    out = np.full((n_years, len(questions)), np.nan)
    for pos in range(n_years):
        wave = _wave(pos, n_years)
        for i, q in enumerate(questions):
            if q.targets[wave] is not None:
                out[pos, i] = q.targets[wave]
    return out + rng.uniform(-TARGET_JITTER, TARGET_JITTER, out.shape)


def _split_exact(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    raw = total * weights / weights.sum()
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: total - base.sum()]] += 1
    return base


def _pick_names(
    curated: tuple[str, ...], pool: tuple[str, ...], n: int, rng: np.random.Generator
) -> list[str]:
    """``n`` unique names: curated ones first, then the pool, then numbered variants."""
    names = [curated[i] for i in rng.permutation(len(curated))]
    rest = [name for name in pool if name not in curated]
    names += [rest[i] for i in rng.permutation(len(rest))]
    base = len(names)
    names += [f"{names[k % base]} {k // base + 1}" for k in range(base, n)]
    return names[:n]


def _name_choices(unit_type: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if unit_type == "grundskola":
        return cat.GRUNDSKOLA_NAMES, cat.GRUNDSKOLA_POOL
    if unit_type == "gymnasieskola":
        return cat.GYMNASIUM_NAMES, cat.GYMNASIUM_NAMES
    return cat.AVDELNING_NAMES, cat.AVDELNING_NAMES


# --- organisation ----------------------------------------------------------


def _build_organisation(
    params: SynthParams, rng: np.random.Generator, own_staff_rng: np.random.Generator
) -> _Organisation:
    """Root, three områden, their schools/avdelningar and work groups, with managers.

    A school's own unit holds the rektor, the work-group managers and the
    administration, and the root and each område hold their own staff (the
    unit's manager and a stab), so parents at every level have respondents of
    their own; everybody else belongs to a work group. The own staff above the
    schools comes out of ``synth.employees``, so the total stays as set.
    """
    counts = {
        "grundskola": params.grundskolor,
        "gymnasieskola": params.gymnasieskolor,
        "avdelning": params.avdelningar,
    }
    kinds = [t for t in counts if counts[t] > 0]
    areas = [area for area in cat.AREA_UNITS if counts[area[2]] > 0]
    own = _draw_own_staff(len(areas), params.own_staff, own_staff_rng)
    below = params.employees - sum(o.staff for o in own)
    if below < MIN_UNIT_SIZE * sum(counts.values()):
        raise ValueError(
            f"synth.employees={params.employees} is too few: after the own staff of the "
            f"förvaltning and the områden ({params.employees - below}) it leaves {below} for "
            f"{sum(counts.values())} schools and avdelningar (at least {MIN_UNIT_SIZE} each)"
        )
    type_totals = _split_exact(below, np.array([counts[t] * TYPICAL_SIZE[t] for t in kinds]))
    managers = iter(range(1, 10**9))

    def manager() -> str:
        return f"M{next(managers):04d}"

    units = [_Unit("UTBF", cat.ROOT_NAME, "", "förvaltning", manager())]
    higher = [units[0]]
    school_types: list[str] = []
    school_names: list[str] = []
    for area_id, area_name, child_type in areas:
        n = counts[child_type]
        higher.append(_Unit(area_id, area_name, "UTBF", "område", manager()))
        units.append(higher[-1])
        total = int(type_totals[kinds.index(child_type)])
        sizes = MIN_UNIT_SIZE + _split_exact(
            total - MIN_UNIT_SIZE * n, rng.lognormal(0.0, SIZE_SPREAD, n)
        )
        names = _pick_names(*_name_choices(child_type), n, rng)
        prefix = {"grundskola": "GR", "gymnasieskola": "GY", "avdelning": "AVD"}[child_type]
        for k in range(n):
            school = len(school_types)
            school_types.append(child_type)
            school_names.append(names[k])
            unit_id = f"{prefix}{k + 1:03d}"
            head = _Unit(unit_id, names[k], area_id, child_type, manager(), school)
            units.append(head)
            units.extend(_work_groups(head, int(sizes[k]), manager, rng))
    # Each staffed higher unit is a workplace of its own, after the schools (whose
    # indexes are thus the same with or without own staff).
    for unit, staff in zip(higher, own, strict=True):
        unit.staff, unit.chefs = staff.staff, staff.chefs
        if unit.staff > 0:
            unit.school = len(school_types)
            school_types.append(unit.unit_type)
            school_names.append(unit.name)
    return _Organisation(units, school_types, school_names)


def _work_groups(
    head: _Unit, size: int, manager: Callable[[], str], rng: np.random.Generator
) -> list[_Unit]:
    """Split a school/avdelning of ``size`` staff into its own staff and work groups."""
    n_groups = max(1, round((size - 6) / GROUP_SIZE))
    while n_groups > 1 and size - (2 + n_groups) < MIN_GROUP_SIZE * n_groups:
        n_groups -= 1
    admin = min(
        1 + int(rng.poisson(size * 0.04)), size - (1 + n_groups) - MIN_GROUP_SIZE * n_groups
    )
    head.chefs = 1 + n_groups
    head.staff = head.chefs + admin
    members = size - head.staff
    group_sizes = MIN_GROUP_SIZE + _split_exact(
        members - MIN_GROUP_SIZE * n_groups, rng.dirichlet(np.full(n_groups, 4.0))
    )
    labels = cat.GROUP_LABELS[head.unit_type]
    groups = []
    for g in range(n_groups):
        label = labels[g] if g < len(labels) else f"Arbetslag {g + 1}"
        groups.append(
            _Unit(
                f"{head.unit_id}-{g + 1:02d}",
                f"{head.name} – {label}",
                head.unit_id,
                "arbetsgrupp",
                manager(),
                head.school,
                staff=int(group_sizes[g]),
            )
        )
    return groups


# --- own staff of the förvaltning and the områden ------------------------------


@dataclass(frozen=True)
class _OwnStaff:
    """Employees attached directly to one higher unit in the latest year."""

    staff: int
    chefs: int  # the unit's manager and any other chefs of its stab (answer as Chef)


def _check_own_staff(median: int) -> None:
    """Refuse a median below the larger own staffs' floor (0 = no own staff is fine)."""
    if median != 0 and median < OWN_LARGER_MIN:
        raise ValueError(
            f"synth.own_staff must be 0 (no own staff above the schools) or at least "
            f"{OWN_LARGER_MIN}, got {median}"
        )


def _draw_own_staff(n_areas: int, median: int, rng: np.random.Generator) -> list[_OwnStaff]:
    """Own staff of the förvaltning (first) and of each of ``n_areas`` områden, in order.

    Real organisations have people above the schools and departments: the
    förvaltningsdirektör's ledningsstab, each områdeschef's stab and the
    rektorers' support office. They make the anonymity rule's tree equation
    "a parent = its children + the respondents attached to the parent itself"
    bite at every level, and both sides of the threshold matter to it: an own
    staff of 5 or more respondents is a publishable group whose subtraction
    must stay safe, one of 2-4 a group a parent-minus-children subtraction
    would reveal. So a share of the områden (at least one, chosen by the draw)
    gets 2-4, the others and the förvaltning (whose ledningsstab in a
    förvaltning of thousands is never a handful) about ``median``. ``median``
    0 gives nobody above the schools and draws nothing from ``rng``.
    """
    _check_own_staff(median)
    if median == 0:
        return [_OwnStaff(0, 0) for _ in range(1 + n_areas)]
    n_small = max(1, round(OWN_SMALL_SHARE * n_areas)) if n_areas else 0
    small = np.zeros(1 + n_areas, dtype=bool)
    small[1 + rng.permutation(n_areas)[:n_small]] = True
    larger = np.rint(median * rng.lognormal(0.0, OWN_SPREAD, 1 + n_areas)).astype(int)
    larger = np.clip(larger, OWN_LARGER_MIN, OWN_MAX_FACTOR * median)
    few = rng.integers(OWN_SMALL_RANGE[0], OWN_SMALL_RANGE[1] + 1, 1 + n_areas)
    staff = np.where(small, few, larger)
    extra_chefs = rng.binomial(staff - 1, OWN_CHEF_SHARE)
    return [_OwnStaff(int(s), 1 + int(c)) for s, c in zip(staff, extra_chefs, strict=True)]


def _headcounts(org: _Organisation, n_years: int, rng: np.random.Generator) -> np.ndarray:
    """Invited per unit (rows) and year position (columns); the latest year is the base."""
    base = np.array([u.staff for u in org.units])
    chefs = np.array([u.chefs for u in org.units])
    out = np.zeros((len(org.units), n_years), dtype=int)
    out[:, -1] = base
    for pos in range(n_years - 1):
        factor = np.exp(rng.normal(0.0, HEADCOUNT_DRIFT, len(base)))
        others = np.rint((base - chefs) * factor).astype(int)
        floor = np.where(chefs > 0, 0, MIN_GROUP_SIZE - 1)
        out[:, pos] = np.where(base > 0, chefs + np.maximum(others, floor), 0)
    return out


# --- respondents -------------------------------------------------------------


def _respondent_counts(
    org: _Organisation, headcount: np.ndarray, pos: int, n_years: int, unit_rate: np.ndarray
) -> np.ndarray:
    """Respondents per unit in one year: the unit's rate, rounded without drift."""
    wave = _wave(pos, n_years)
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


def _draw_respondents(
    org: _Organisation, years: list[int], headcount: np.ndarray, rng: np.random.Generator
) -> _Respondents:
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
    return _Respondents(
        year=np.concatenate(parts["year"]),
        year_pos=np.concatenate(parts["pos"]),
        unit=unit,
        school=school,
        gender=gender.astype(object),
        age=age,
        role=role.astype(object),
    )


# --- latent model ------------------------------------------------------------


@dataclass
class _Model:
    """Latent answer scores without the school effect, and the effect's loadings."""

    base: np.ndarray  # respondents x catalogue questions
    school_loading: np.ndarray  # per catalogue question: d latent / d school effect


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


def _question_class(q: cat.QuestionSpec) -> str:
    if q.ami_dimension == "Motivation":
        return "M"
    if q.leadership:
        return "L"
    return "S" if q.ami_dimension == "Styrning" else "O"


def _background_shift(r: _Respondents, qclass: str) -> np.ndarray:
    shift = np.where(r.role == "Chef", ROLE_SHIFT[qclass], 0.0)
    shift += np.where(r.gender == "Kvinna", WOMEN_SHIFT[qclass], 0.0)
    shift += np.where(r.gender == "", UNKNOWN_SHIFT, 0.0)
    for label, by_class in AGE_SHIFT.items():
        shift += np.where(r.age == label, by_class[qclass], 0.0)
    shift += np.where(r.age == "", UNKNOWN_SHIFT, 0.0)
    return shift


def _latent_model(
    questions: list[cat.QuestionSpec],
    org: _Organisation,
    r: _Respondents,
    rng: np.random.Generator,
) -> _Model:
    """Draw every respondent's latent scores (school effect added later, linearly)."""
    n = len(r.unit)
    n_years = int(r.year_pos.max()) + 1
    construct = _constructs(questions)
    drivers = sorted({c for c in construct if questions[c].ami_dimension != "Motivation"})
    motivation = [i for i, q in enumerate(questions) if q.ami_dimension == "Motivation"]

    group = rng.normal(0.0, GROUP_SD, len(org.units))[:, None] + rng.normal(
        0.0, GROUP_DRIFT_SD, (len(org.units), n_years)
    )
    manager = rng.normal(0.0, MANAGER_SD, len(org.units))
    general = group[r.unit, r.year_pos] + np.sqrt(1 - GROUP_SD**2) * rng.standard_normal(n)
    leadership = manager[r.unit] + np.sqrt(1 - MANAGER_SD**2) * rng.standard_normal(n)

    loading = np.array([questions[c].loading for c in drivers])
    lead_loading = np.array(
        [LEADERSHIP_LOADING if questions[c].leadership else 0.0 for c in drivers]
    )
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

    beta = np.array([questions[c].effect for c in drivers])
    correlation = np.outer(loading, loading) + np.outer(lead_loading, lead_loading)
    np.fill_diagonal(correlation, 1.0)
    explained = float(beta @ correlation @ beta)
    scale = np.sqrt(explained / MOTIVATION_R2)
    noise_sd = np.sqrt(explained * (1 - MOTIVATION_R2) / MOTIVATION_R2)
    motivation_latent = (latent @ beta + noise_sd * rng.standard_normal(n)) / scale

    base = np.empty((n, len(questions)))
    school_loading = np.empty(len(questions))
    item_noise = np.sqrt(1 - MOTIVATION_ITEM_LOADING**2)
    for i, c in enumerate(construct):
        if i in motivation:
            base[:, i] = (
                MOTIVATION_ITEM_LOADING * motivation_latent + item_noise * rng.standard_normal(n)
            )
            school_loading[i] = MOTIVATION_ITEM_LOADING * float(beta @ loading) / scale
        else:
            j = drivers.index(c)
            base[:, i] = latent[:, j]
            school_loading[i] = loading[j]
    return _Model(base, school_loading)


def _missing_answers(
    questions: list[cat.QuestionSpec],
    r: _Respondents,
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


# --- calibration -------------------------------------------------------------


def _mean_answer(sorted_latent: np.ndarray, location: float) -> float:
    above = len(sorted_latent) - np.searchsorted(sorted_latent, THRESHOLDS - location, "right")
    return SCALE_MIN + float(above.sum()) / len(sorted_latent)


def _solve_location(latent: np.ndarray, target_index: float) -> float:
    """Location whose answers have the target question index (bisection on the step curve)."""
    target = SCALE_MIN + target_index / 100 * (SCALE_MAX - SCALE_MIN)
    ordered = np.sort(latent)
    low, high = -10.0, 10.0
    for _ in range(60):
        mid = (low + high) / 2
        if _mean_answer(ordered, mid) < target:
            low = mid
        else:
            high = mid
    return high


def _locations(
    r: _Respondents, latent: np.ndarray, valid: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """μ per year position and question, hitting each question's target index."""
    out = np.zeros(targets.shape)
    for pos in range(targets.shape[0]):
        rows = r.year_pos == pos
        for i in range(targets.shape[1]):
            cells = rows & valid[:, i]
            if not np.isnan(targets[pos, i]) and cells.any():
                out[pos, i] = _solve_location(latent[cells, i], float(targets[pos, i]))
    return out


def _answer_values(latent: np.ndarray) -> np.ndarray:
    return SCALE_MIN + (latent[..., None] > THRESHOLDS).sum(axis=-1)


def _school_ami(
    latent: np.ndarray, valid: np.ndarray, school: np.ndarray, n_schools: int
) -> np.ndarray:
    """Each school's AMI (mean of question indexes over its subtree) from latent + μ."""
    values = _answer_values(latent)
    indexes = np.full((n_schools, latent.shape[1]), np.nan)
    for j in range(latent.shape[1]):
        ok = valid[:, j]
        total = np.bincount(school[ok], weights=values[ok, j], minlength=n_schools)
        count = np.bincount(school[ok], minlength=n_schools)
        with np.errstate(invalid="ignore", divide="ignore"):
            indexes[:, j] = (total / count - SCALE_MIN) / (SCALE_MAX - SCALE_MIN) * 100
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a school without answers: NaN
        return np.nanmean(indexes, axis=1)


@dataclass
class _LatestAmi:
    """The latest year's AMI answers in latent form: what a school's AMI depends on."""

    base: np.ndarray  # respondents x AMI questions, without the school effect
    loading: np.ndarray  # per AMI question: d latent / d school effect
    valid: np.ndarray
    school: np.ndarray
    targets: np.ndarray  # the förvaltning's target index per AMI question
    n_schools: int

    def school_ami(self, mu: np.ndarray, effect: np.ndarray) -> np.ndarray:
        latent = self.base + mu + self.loading * effect[self.school][:, None]
        return _school_ami(latent, self.valid, self.school, self.n_schools)

    def locations(self, effect: np.ndarray) -> np.ndarray:
        latent = self.base + self.loading * effect[self.school][:, None]
        return np.array(
            [
                _solve_location(latent[self.valid[:, j], j], float(self.targets[j]))
                for j in range(latent.shape[1])
            ]
        )


def _solve_effects(
    ami: _LatestAmi, mu: np.ndarray, effect: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """Shift each school with a target (not NaN) to the smallest effect reaching it."""
    low, high = effect - 6.0, effect + 6.0
    for _ in range(45):
        mid = (low + high) / 2
        below = ami.school_ami(mu, mid) < target
        low = np.where(below, mid, low)
        high = np.where(below, high, mid)
    return np.where(np.isnan(target), effect, high)


def _plant_school_results(
    questions: list[cat.QuestionSpec],
    org: _Organisation,
    r: _Respondents,
    model: _Model,
    targets: np.ndarray,
    valid: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Workplace effect per school index (rows) and year position (columns).

    Schools and avdelningar, and the own staff of the förvaltning and the
    områden, each have one; only schools are planted.

    The latest year's results are planted: a few schools below AMI 70 and a
    few at 89-90 (counts scaled from the seed's 9 + 2 and top 6), every other
    school kept inside NORMAL_RANGE. Each planted school's effect is solved on
    the realised answers, alternating with the μ calibration until both hold;
    earlier years drift from it.
    """
    n_schools = len(org.school_types)
    types = np.array(org.school_types)
    effect = SCHOOL_SD * rng.standard_normal(n_schools)
    target = np.full(n_schools, np.nan)
    for kind in SCHOOL_TYPES:
        members = np.flatnonzero(types == kind)
        # stratified normal quantiles keep the spread stable for any seed
        quantiles = ndtri((np.arange(len(members)) + 0.5) / max(len(members), 1))
        effect[members] = SCHOOL_SD * quantiles[rng.permutation(len(members))]
        n_low = round(LOW_SHARE[kind] * len(members))
        n_top = round(TOP_SHARE[kind] * len(members))
        chosen = [int(m) for m in rng.permutation(members)]
        # the seed's named top schools, where present, are among the top ones
        top = [m for m in chosen if org.school_names[m] in cat.SEED_TOP_SCHOOLS][:n_top]
        rest = [m for m in chosen if m not in top]
        top += rest[n_low : n_low + n_top - len(top)]
        target[rest[:n_low]] = rng.uniform(*LOW_RANGE, n_low)
        target[top] = rng.uniform(*TOP_RANGE, len(top))
    clamp_low = rng.uniform(NORMAL_RANGE[0], NORMAL_RANGE[0] + CLAMP_MARGIN, n_schools)
    clamp_high = rng.uniform(NORMAL_RANGE[1] - CLAMP_MARGIN, NORMAL_RANGE[1], n_schools)
    drift = rng.normal(0.0, SCHOOL_DRIFT_SD, (n_schools, targets.shape[0]))
    drift[:, -1] = 0.0

    latest = r.year_pos == targets.shape[0] - 1
    cols = np.flatnonzero(
        [not np.isnan(targets[-1, i]) and q.ami_dimension != "" for i, q in enumerate(questions)]
    )
    if len(cols) == 0:
        return effect[:, None] + drift
    ami = _LatestAmi(
        base=model.base[np.ix_(latest, cols)],
        loading=model.school_loading[cols],
        valid=valid[np.ix_(latest, cols)],
        school=r.school[latest],
        targets=targets[-1, cols],
        n_schools=n_schools,
    )
    is_school = np.isin(types, SCHOOL_TYPES)
    for _ in range(SOLVE_ROUNDS):
        mu = ami.locations(effect)
        current = ami.school_ami(mu, effect)
        free = is_school & np.isnan(target)
        too_low = free & (current < NORMAL_RANGE[0])
        too_high = free & (current > NORMAL_RANGE[1])
        target[too_low] = clamp_low[too_low]
        target[too_high] = clamp_high[too_high]
        effect = _solve_effects(ami, mu, effect, target)
    return effect[:, None] + drift


def _answers(
    r: _Respondents,
    model: _Model,
    school_effect: np.ndarray,
    targets: np.ndarray,
    valid: np.ndarray,
) -> np.ndarray:
    """Answers 1..5 where asked (float, NaN elsewhere); don't-know is set by the caller."""
    latent = model.base + model.school_loading * school_effect[r.school, r.year_pos][:, None]
    mu = _locations(r, latent, valid, targets)
    values = _answer_values(latent + mu[r.year_pos]).astype(float)
    values[~valid] = np.nan
    return values


# --- tables ------------------------------------------------------------------


def _questions_table(questions: list[cat.QuestionSpec]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "question_id": [q.question_id for q in questions],
            "text": [q.text for q in questions],
            "area": [q.area for q in questions],
            "ami_dimension": [q.ami_dimension for q in questions],
            "leadership": [int(q.leadership) for q in questions],
            "replaces": [q.replaces for q in questions],
        }
    )


def _units_table(org: _Organisation, years: list[int], headcount: np.ndarray) -> pd.DataFrame:
    rows = []
    for pos, year in enumerate(years):
        for index, u in enumerate(org.units):
            invited = int(headcount[index, pos]) if u.staff > 0 else pd.NA
            rows.append((year, u.unit_id, u.name, u.parent_id, u.unit_type, invited, u.manager_id))
    table = pd.DataFrame(
        rows,
        columns=["year", "unit_id", "unit_name", "parent_id", "unit_type", "invited", "manager_id"],
    )
    table["invited"] = table["invited"].astype("Int64")
    return table


def _responses_table(
    questions: list[cat.QuestionSpec],
    org: _Organisation,
    r: _Respondents,
    answers: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One row per respondent and year, rows in respondent-id order within each year."""
    unit_ids = np.array([u.unit_id for u in org.units], dtype=object)
    columns = {
        "year": r.year,
        "respondent_id": "",
        "unit_id": unit_ids[r.unit],
        "gender": r.gender,
        "age_group": r.age,
        "role": r.role,
    }
    for i, q in enumerate(questions):
        columns[q.question_id] = pd.array(answers[:, i], dtype="Float64").astype("Int64")
    table = pd.DataFrame(columns)
    # Export order is not organisational: shuffle each year, then number.
    pieces = []
    for year in np.unique(r.year):
        part = table[table["year"] == year]
        part = part.iloc[rng.permutation(len(part))].reset_index(drop=True)
        width = max(5, len(str(len(part))))
        part["respondent_id"] = [f"R{k + 1:0{width}d}" for k in range(len(part))]
        pieces.append(part)
    return pd.concat(pieces, ignore_index=True)


def _driver_truth(questions: list[cat.QuestionSpec], asked_latest: np.ndarray) -> pd.DataFrame:
    """Planted effect and true rank (1 = strongest) of the latest year's driver questions."""
    rows = [
        (q.question_id, q.effect)
        for i, q in enumerate(questions)
        if asked_latest[i] and q.ami_dimension != "Motivation"
    ]
    table = pd.DataFrame(rows, columns=["question_id", "planted_effect"])
    order = table.sort_values(["planted_effect", "question_id"], ascending=[False, True]).index
    table.loc[order, "true_rank"] = np.arange(1, len(table) + 1)
    table["true_rank"] = table["true_rank"].astype(int)
    return table


def _write(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", float_format="%.3f")
