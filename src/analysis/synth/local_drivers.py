"""Planted heterogeneity of the driver effects, and each unit's true driver ranking.

With one set of planted effects for everyone, a school that borrows its
område's importances is right by construction, and no test of a unit's own
priority matrix could fail. So the effects differ: each område deviates a
little from the shared effects (``driver_truth.csv``), and each school or
avdelning adds a strong effect to a few drivers of its own (its local
strengths or problems), enough to move them into its top three. Work groups
share their school's effects; the own staff of an område has the område's,
that of the förvaltning the shared ones.

The truth beside the data (``driver_truth_units.csv``) is each unit's
population relative weights at the latent level: Johnson's weights of the
drivers' planted within-workplace correlations (``latent.driver_correlation``)
and the unit's Motivation latent. A school's Motivation latent is
``X·b_w + noise``, scaled to unit variance (so that ``b_w`` explains
MOTIVATION_R2 of it); for an område or the förvaltning, whose people sit in
several workplaces, the population is the staff-weighted mixture of its
workplaces: the drivers' correlations are the same in each, so the pooled
outcome correlates ``C·Σ π_w b_w / scale_w`` with them (π_w the workplace's
share of the unit's staff in the latest year). The workplace and work-group
effects, the background shifts and the yearly drift move means, not the
mechanism, and are left out; the answers are that latent cut into 1-5 with
"vet ej" and blanks, so a sample's importances approach the truth only
roughly, however large.

Everything here is drawn from a stream of its own, after the others, so the
other draws are those of a förvaltning without it.
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
#: unit types the truth is written for (work groups share their school's)
TRUTH_TYPES = ("förvaltning", "område", *LOCAL_TYPES)


@dataclass(frozen=True)
class UnitEffects:
    """The planted effects on the Motivation latent, per workplace and per unit."""

    drivers: list[int]  # catalogue index of each driver construct: the columns below
    by_workplace: np.ndarray  # workplace (school index) x driver
    by_unit: dict[str, np.ndarray]  # förvaltning, områden, schools: the unit's own effects
    local: dict[str, np.ndarray]  # school/avdelning id -> its local drivers (column indexes)


def check_local_drivers(params: SynthParams, n_candidates: int | None = None) -> None:
    """Refuse negative strengths and more local drivers than there are drivers."""
    if params.local_drivers < 0 or params.local_effect < 0 or params.omrade_spread < 0:
        raise ValueError(
            "synth.local_drivers, synth.local_effect and synth.omrade_spread must be >= 0, got "
            f"{params.local_drivers}, {params.local_effect}, {params.omrade_spread}"
        )
    if n_candidates is not None and params.local_drivers > n_candidates:
        raise ValueError(
            f"synth.local_drivers={params.local_drivers} is more than the "
            f"{n_candidates} driver questions of the latest year"
        )


def draw_unit_effects(
    questions: list[cat.QuestionSpec],
    org: Organisation,
    params: SynthParams,
    rng: np.random.Generator,
) -> UnitEffects:
    """Each område's deviation and each school's local drivers, from ``rng`` alone.

    The deviations are normal (sd ``synth.omrade_spread``) and the effects kept
    at 0 or above, as the shared ones are; a school's ``synth.local_drivers``
    drivers are drawn without replacement among those asked in the latest year.
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
    return UnitEffects(drivers, by_workplace, by_unit, local)


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
    """Per förvaltning, område and school: its workplaces' shares of its latest staff."""
    index = {u.unit_id: k for k, u in enumerate(org.units)}
    out = {u.unit_id: np.zeros(len(org.school_types)) for u in org.units}
    for u in org.units:
        if u.staff == 0:
            continue
        node = u  # the unit's staff counts for itself and for every unit above it
        while True:
            out[node.unit_id][u.school] += u.staff
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
    explained = np.einsum("wi,ij,wj->w", effects.by_workplace, correlation, effects.by_workplace)
    standardised = effects.by_workplace / np.sqrt(explained / MOTIVATION_R2)[:, None]
    asked = np.flatnonzero([asked_latest[c] for c in effects.drivers])
    rxx = correlation[np.ix_(asked, asked)]
    units, rows = [], []
    for unit_id, share in staff_shares(org).items():
        rxy = (correlation @ (share @ standardised))[asked]
        weights = relative_weights(rxx, rxy)
        units.append(unit_id)
        rows.append(weights / weights.sum())
    return units, asked, np.array(rows)
