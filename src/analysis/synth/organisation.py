"""The synthetic förvaltning's tree: områden, schools/avdelningar, work groups, own staff.

Its own module because the organisation is drawn first and on its own
random streams; the respondents and answers are drawn on top of it. It also
gives each unit's invited headcount per year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analysis.core.params import SynthParams
from analysis.synth import catalogue as cat

# --- organisation -----------------------------------------------------------
TYPICAL_SIZE = {"grundskola": 75, "gymnasieskola": 110, "avdelning": 120}
GROUP_SIZE = 34  # staff per work group; with the default gives ~600 managers
MIN_GROUP_SIZE = 4
MIN_UNIT_SIZE = 12
SIZE_SPREAD = 0.35  # lognormal sigma of school/avdelning sizes
HEADCOUNT_DRIFT = 0.05  # yearly change of a group's headcount in earlier years

# --- own staff of the förvaltning and the områden (see _draw_own_staff) -------
OWN_SMALL_RANGE = (2, 4)  # a small own staff: the unit's chef and 1-3 more, below privacy's 5
OWN_LARGER_MIN = 8  # a larger own staff: >= 5 respondents at the ~87 % response rate
OWN_SMALL_SHARE = 1 / 3  # share of the områden drawn small (at least one)
OWN_SPREAD = 0.4  # lognormal sigma of the larger counts around synth.own_staff
OWN_MAX_FACTOR = 3  # larger counts are capped at this many times synth.own_staff
OWN_CHEF_SHARE = 0.12  # besides the unit's own manager, chefs among the own staff


@dataclass
class Unit:
    unit_id: str
    name: str
    parent_id: str
    unit_type: str
    manager_id: str
    # index of the workplace whose school effect its respondents share (and whose
    # driver effects, unless its own are planted): the school/avdelning the unit lies
    # in, or the unit itself for the förvaltning's or an område's own staff (-1: a
    # higher unit without staff)
    school: int = -1
    staff: int = 0  # members directly in the unit in the latest year
    chefs: int = 0  # of them, managers (answer as Chef)


@dataclass
class Organisation:
    units: list[Unit]
    # unit_type and name of each workplace, by school index: the schools/avdelningar
    # first, then the staffed higher units (förvaltning, område)
    school_types: list[str]
    school_names: list[str]


def split_exact(total: int, weights: np.ndarray) -> np.ndarray:
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


def build_organisation(
    params: SynthParams, rng: np.random.Generator, own_staff_rng: np.random.Generator
) -> Organisation:
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
    type_totals = split_exact(below, np.array([counts[t] * TYPICAL_SIZE[t] for t in kinds]))
    managers = iter(range(1, 10**9))

    def manager() -> str:
        return f"M{next(managers):04d}"

    units = [Unit("UTBF", cat.ROOT_NAME, "", "förvaltning", manager())]
    higher = [units[0]]
    school_types: list[str] = []
    school_names: list[str] = []
    for area_id, area_name, child_type in areas:
        n = counts[child_type]
        higher.append(Unit(area_id, area_name, "UTBF", "område", manager()))
        units.append(higher[-1])
        total = int(type_totals[kinds.index(child_type)])
        sizes = MIN_UNIT_SIZE + split_exact(
            total - MIN_UNIT_SIZE * n, rng.lognormal(0.0, SIZE_SPREAD, n)
        )
        names = _pick_names(*_name_choices(child_type), n, rng)
        prefix = {"grundskola": "GR", "gymnasieskola": "GY", "avdelning": "AVD"}[child_type]
        for k in range(n):
            school = len(school_types)
            school_types.append(child_type)
            school_names.append(names[k])
            unit_id = f"{prefix}{k + 1:03d}"
            head = Unit(unit_id, names[k], area_id, child_type, manager(), school)
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
    return Organisation(units, school_types, school_names)


def _work_groups(
    head: Unit, size: int, manager: Callable[[], str], rng: np.random.Generator
) -> list[Unit]:
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
    group_sizes = MIN_GROUP_SIZE + split_exact(
        members - MIN_GROUP_SIZE * n_groups, rng.dirichlet(np.full(n_groups, 4.0))
    )
    labels = cat.GROUP_LABELS[head.unit_type]
    groups = []
    for g in range(n_groups):
        label = labels[g] if g < len(labels) else f"Arbetslag {g + 1}"
        groups.append(
            Unit(
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


def check_own_staff(median: int) -> None:
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
    check_own_staff(median)
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


def headcounts(org: Organisation, n_years: int, rng: np.random.Generator) -> np.ndarray:
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
