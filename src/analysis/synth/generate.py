"""The synthetic förvaltning: organisation, yearly surveys and the planted driver truth.

The pipeline's default input must look like a real export (contract §2) and
land near the 2023 results presentation (seed 000), so that every report
shows plausible figures offline. It is also the test bed for the driver
analysis, so the Motivation outcome is *generated* from planted effects of the
other questions and the truth is written beside the tables
(``driver_truth.csv``, the shared effects, and ``driver_truth_units.csv``,
each unit's true ranking; the ingest code ignores extra files). Beside the
three tables it writes the two optional ones, ``action_plans.csv`` (last
year's plans of the units under AMI 70) and ``benchmarks.csv`` (the city's
published figures): ``follow_up``.

Model, in short (docs/assumptions.md has the reasons):

* every driver construct ``c`` has a latent ``X_c = λ_c·g + ℓ_c·f + υ_c·u_c +
  background shift``: ``g`` a general factor (school/avdelning effect + work
  group effect + person), ``f`` a leadership factor carrying the work group
  manager's effect (leadership questions only), ``u_c`` the construct's own part;
* the Motivation latent is ``M = Σ β_c·X_c + noise`` (β = the planted effects of
  the respondent's unit: the shared ones, the område's deviation, the school's
  local drivers and the work group's if planted, ``local_drivers``), and each
  Motivation question reads
  ``M`` with a little item noise;
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

This module only orders the steps and owns the seeding and the year targets;
each step has its own module: ``organisation`` (the tree and headcounts),
``respondents``, ``local_drivers`` (the effects per unit's own staff and the truth per
unit), ``latent`` (the latent scores, missing answers),
``answers`` (calibration, planted school results), ``tables`` (the files) and
``follow_up`` (the optional tables).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.core.params import SynthParams
from analysis.synth import catalogue as cat
from analysis.synth.answers import DONT_KNOW, plant_school_results, realised_answers
from analysis.synth.follow_up import (
    DEFAULT_FOLLOW_UP,
    FollowUp,
    action_plans_table,
    benchmarks_table,
)
from analysis.synth.latent import latent_model, missing_answers
from analysis.synth.local_drivers import check_local_drivers, draw_unit_effects, unit_importances
from analysis.synth.organisation import (
    MIN_UNIT_SIZE,
    build_organisation,
    check_own_staff,
    headcounts,
)
from analysis.synth.respondents import draw_respondents, wave_of
from analysis.synth.tables import (
    driver_truth,
    driver_truth_units,
    questions_table,
    responses_table,
    units_table,
    write,
)

TARGET_JITTER = 0.15


def generate(params: SynthParams, out_dir: Path, follow_up: FollowUp = DEFAULT_FOLLOW_UP) -> None:
    """Write questions.csv, units.csv, responses.csv, action_plans.csv, benchmarks.csv,
    driver_truth.csv and driver_truth_units.csv into ``out_dir``.

    ``follow_up``: the params outside ``synth`` the action plans depend on.
    """
    years = _check(params)
    # spawn(10) gives the same first nine streams as spawn(9) did before the action
    # plans' stream was added, spawn(9) the first eight of spawn(8), before the local
    # drivers' (and spawn(8) the first seven of spawn(7), before the own staff's): with
    # synth.local_effect, synth.group_effect, synth.omrade_spread and synth.own_staff 0
    # the files are the old ones.
    streams = np.random.SeedSequence(params.seed).spawn(10)
    (
        org_rng,
        staff_rng,
        latent_rng,
        missing_rng,
        school_rng,
        export_rng,
        target_rng,
        own_staff_rng,
        local_rng,
        plans_rng,
    ) = (np.random.default_rng(s) for s in streams)
    questions = list(cat.QUESTIONS)
    targets = _targets(questions, len(years), target_rng)
    asked = ~np.isnan(targets)

    org = build_organisation(params, org_rng, own_staff_rng)
    headcount = headcounts(org, len(years), staff_rng)
    respondents = draw_respondents(org, years, headcount, staff_rng)
    effects = draw_unit_effects(questions, org, params, local_rng)
    model = latent_model(questions, org, respondents, latent_rng, effects.by_group)
    valid, dont_know, blank = missing_answers(questions, respondents, asked, missing_rng)
    school_effect = plant_school_results(
        questions, org, respondents, model, targets, valid, school_rng
    )
    answers = realised_answers(respondents, model, school_effect, targets, valid)
    answers[dont_know & ~blank] = DONT_KNOW

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write(questions_table(questions), out_dir / "questions.csv")
    write(units_table(org, years, headcount), out_dir / "units.csv")
    responses = responses_table(questions, org, respondents, answers, export_rng)
    write(responses, out_dir / "responses.csv")
    plans = action_plans_table(questions, org, respondents, answers, years, follow_up, plans_rng)
    write(plans, out_dir / "action_plans.csv")
    write(benchmarks_table(years), out_dir / "benchmarks.csv")
    write(driver_truth(questions, asked[-1]), out_dir / "driver_truth.csv")
    truth = driver_truth_units(
        questions, effects, *unit_importances(questions, org, effects, asked[-1])
    )
    write(truth, out_dir / "driver_truth_units.csv", float_format="%.6f")


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
    check_own_staff(params.own_staff)
    check_local_drivers(params)
    return years


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
        wave = wave_of(pos, n_years)
        for i, q in enumerate(questions):
            if q.targets[wave] is not None:
                out[pos, i] = q.targets[wave]
    return out + rng.uniform(-TARGET_JITTER, TARGET_JITTER, out.shape)
