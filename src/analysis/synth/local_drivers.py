"""Planted heterogeneity of the driver effects, and each unit's true driver ranking.

With one set of planted effects for everyone, a school that borrows its
område's importances is right by construction, and no test of a unit's own
priority matrix could fail. So the effects differ: each område deviates a
little from the shared effects (``driver_truth.csv``), each school or
avdelning adds a strong effect to a few drivers of its own (its local
strengths or problems), enough to move them into its top three; with
``synth.group_effect`` above 0 (off by default: docs/assumptions.md says why)
each work group adds some of its own on top of its school's, for its
manager's matrix to find. The own staff of a school has the school's
effects, that of an område the område's, that of the förvaltning the shared
ones.

The truth beside the data (``driver_truth_units.csv``) is each unit's
population relative weights at the latent level: Johnson's weights of the
drivers' planted within-workplace correlations (``latent.driver_correlation``)
and the unit's Motivation latent. A group of staff sharing one set of effects
(a work group, a unit's own staff) has the Motivation latent ``X·b_g +
noise``, scaled to unit variance (so that ``b_g`` explains MOTIVATION_R2 of
it); for a unit whose people sit in several such groups, the population is
the staff-weighted mixture of them: the drivers' correlations are the same in
each, so the pooled outcome correlates ``C·Σ π_g b_g / scale_g`` with them
(π_g the group's share of the unit's staff in the latest year). The workplace
effects, the background shifts and the yearly drift move means, not the
mechanism, and are left out; the answers are that latent cut into 1-5 with
"vet ej" and blanks, so a sample's importances approach the truth only
roughly, however large.

Everything here is drawn from a stream of its own, after the others, so the
other draws are those of a förvaltning without it (and the work groups' after
the schools', so the schools' are those drawn without them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.core.params import SynthParams
from analysis.synth import catalogue as cat
from analysis.synth.latent import (
    MOTIVATION_R2,
    driver_constructs,
    driver_correlation,
    driver_loadings,
)
from analysis.synth.organisation import Organisation

#: the units directly under an område that get local drivers of their own
LOCAL_TYPES = ("grundskola", "gymnasieskola", "avdelning")
#: the units below a school or avdelning (local drivers of their own if synth.group_effect > 0)
GROUP_TYPE = "arbetsgrupp"
#: unit types the truth is written for
TRUTH_TYPES = ("förvaltning", "område", *LOCAL_TYPES, GROUP_TYPE)


@dataclass(frozen=True)
class UnitEffects:
    """The planted effects on the Motivation latent, per unit's own staff and per unit."""

    drivers: list[int]  # catalogue index of each driver construct: the columns below
    by_group: np.ndarray  # unit (``Organisation.units`` index) x driver: its own staff's
    by_unit: dict[str, np.ndarray]  # each unit's own effects (a school's, a work group's, ...)
    local: dict[str, np.ndarray]  # school or work group id -> its local drivers (columns)


def check_local_drivers(params: SynthParams, n_candidates: int | None = None) -> None:
    """Refuse negative strengths and more local drivers than there are drivers."""
    amounts = {
        name: getattr(params, name)
        for name in (
            "local_drivers",
            "local_effect",
            "omrade_spread",
            "group_drivers",
            "group_effect",
        )
    }
    if min(amounts.values()) < 0:
        raise ValueError(
            f"synth.{', synth.'.join(amounts)} must be >= 0, got "
            f"{', '.join(str(v) for v in amounts.values())}"
        )
    # only what is drawn counts: a strength of 0 draws no drivers
    drawn = (params.local_drivers if params.local_effect > 0 else 0) + (
        params.group_drivers if params.group_effect > 0 else 0
    )
    if n_candidates is not None and drawn > n_candidates:
        raise ValueError(
            f"synth.local_drivers + synth.group_drivers = {drawn} is more than the "
            f"{n_candidates} driver questions of the latest year"
        )


def draw_unit_effects(
    questions: list[cat.QuestionSpec],
    org: Organisation,
    params: SynthParams,
    rng: np.random.Generator,
) -> UnitEffects:
    """Each område's deviation, each school's and each work group's local drivers, from
    ``rng`` alone.

    The deviations are normal (sd ``synth.omrade_spread``) and the effects kept
    at 0 or above, as the shared ones are; a school's ``synth.local_drivers``
    drivers are drawn without replacement among those asked in the latest year,
    a work group's ``synth.group_drivers`` among those that are not its school's.
    """
    drivers = driver_constructs(questions)
    shared = np.array([questions[c].effect for c in drivers])
    candidates = np.flatnonzero([questions[c].targets[-1] is not None for c in drivers])
    check_local_drivers(params, len(candidates))

    root = next(u for u in org.units if u.parent_id == "")
    by_unit = {root.unit_id: shared}
    for u in org.units:
        if u.unit_type == "område":
            deviation = rng.normal(0.0, params.omrade_spread, len(drivers))
            by_unit[u.unit_id] = np.maximum(shared + deviation, 0.0)
    local = {}
    n_local = params.local_drivers if params.local_effect > 0 else 0  # 0 added: none local
    by_workplace = np.tile(shared, (len(org.school_types), 1))
    for u in org.units:
        if u.unit_type in LOCAL_TYPES:
            picked = np.sort(rng.choice(candidates, size=n_local, replace=False))
            effect = by_unit[u.parent_id].copy()
            effect[picked] += params.local_effect
            by_unit[u.unit_id], local[u.unit_id] = effect, picked
            by_workplace[u.school] = effect
        elif u.unit_type in ("förvaltning", "område") and u.school >= 0:
            by_workplace[u.school] = by_unit[u.unit_id]  # the unit's own staff
    # a unit's own staff share its workplace's effects; a work group adds its own
    by_group = np.array([by_workplace[u.school] if u.school >= 0 else shared for u in org.units])
    n_group = params.group_drivers if params.group_effect > 0 else 0
    for k, u in enumerate(org.units):
        if u.unit_type != GROUP_TYPE:
            continue
        if n_group:
            others = np.setdiff1d(candidates, local.get(u.parent_id, []))
            local[u.unit_id] = np.sort(rng.choice(others, size=n_group, replace=False))
            by_group[k, local[u.unit_id]] += params.group_effect
        by_unit[u.unit_id] = by_group[k].copy()
    return UnitEffects(drivers, by_group, by_unit, local)


# --- the truth per unit ----------------------------------------------------------


def relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights: with Λ = Rxx^½ (symmetric), the weights of the
    orthogonal counterparts β = Λ⁻¹ rxy, and driver j's share Σ_k Λ_jk² β_k².

    Written here rather than imported from the drivers stage, which the
    synthesize stage must not depend on; a test holds the two equal.
    """
    values, vectors = np.linalg.eigh(rxx)
    root = (vectors * np.sqrt(values)) @ vectors.T
    beta = np.linalg.solve(root, rxy)
    return root**2 @ beta**2


def staff_shares(org: Organisation) -> dict[str, np.ndarray]:
    """Per unit of ``TRUTH_TYPES``: each unit's own staff's share of its latest staff
    (indexed like ``Organisation.units``: the groups of ``UnitEffects.by_group``)."""
    index = {u.unit_id: k for k, u in enumerate(org.units)}
    out = {u.unit_id: np.zeros(len(org.units)) for u in org.units}
    for k, u in enumerate(org.units):
        if u.staff == 0:
            continue
        node = u  # the unit's staff counts for itself and for every unit above it
        while True:
            out[node.unit_id][k] += u.staff
            if not node.parent_id:
                break
            node = org.units[index[node.parent_id]]
    return {
        u.unit_id: out[u.unit_id] / out[u.unit_id].sum()
        for u in org.units
        if u.unit_type in TRUTH_TYPES and out[u.unit_id].sum() > 0
    }


def unit_importances(
    questions: list[cat.QuestionSpec],
    org: Organisation,
    effects: UnitEffects,
    asked_latest: np.ndarray,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(unit ids in tree order, driver columns asked in the latest year, importances).

    Each row of the importances is the unit's population relative weights
    (module docstring), normalised to sum to 1, over the drivers asked in the
    latest year (``effects.drivers[asked]``, in catalogue order).
    """
    correlation = driver_correlation(*driver_loadings(questions, effects.drivers))
    explained = np.einsum("gi,ij,gj->g", effects.by_group, correlation, effects.by_group)
    standardised = effects.by_group / np.sqrt(explained / MOTIVATION_R2)[:, None]
    asked = np.flatnonzero([asked_latest[c] for c in effects.drivers])
    rxx = correlation[np.ix_(asked, asked)]
    units, rows = [], []
    for unit_id, share in staff_shares(org).items():
        rxy = (correlation @ (share @ standardised))[asked]
        weights = relative_weights(rxx, rxy)
        units.append(unit_id)
        rows.append(weights / weights.sum())
    return units, asked, np.array(rows)
