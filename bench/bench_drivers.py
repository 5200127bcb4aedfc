"""Benchmark of the driver analysis (``make bench``); prints its figures against the targets.

1. The förvaltning-level analysis: 13,000 complete respondents × 29 drivers,
   ``drivers.bootstrap`` = 1,000 resamples (target < 5 s).
2. Every unit and manager of the synthetic default (``analysis.synth`` with
   the default ``SynthParams``), 2023, with the drivers settings of
   ``params.yaml`` (target < 60 s in total). Input reading and the scores
   (question indexes) are not timed: only ``driver_table`` is.

Run: ``PYTHONPATH=src .venv/bin/python bench/bench_drivers.py [--params params.yaml]``
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.dataset import SurveyData
from analysis.drivers import (
    analyse_sample,
    analysis_targets,
    build_driver_sample,
    driver_table,
)
from analysis.params import Params, load_params

ROOT_TARGET_S = 5.0
ALL_UNITS_TARGET_S = 60.0


def simulated_root(n: int = 13_000, p: int = 29, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Answers 1-5 on p correlated drivers and a 0-100 motivation score."""
    rng = np.random.default_rng(seed)
    latent = 0.6 * rng.normal(size=(n, 1)) + rng.normal(size=(n, p))
    drivers = np.clip(np.round(3.5 + 0.9 * latent), 1, 5)
    outcome = latent @ rng.uniform(0, 0.4, p) + rng.normal(size=n)
    motivation = np.clip(np.round(3.8 + outcome / outcome.std()), 1, 5)
    return (motivation - 1) / 4 * 100, drivers


def bench_root(params: Params, repeats: int = 3) -> list[float]:
    outcome, drivers = simulated_root()
    names = [f"q{i + 1:02d}" for i in range(drivers.shape[1])]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        analyse_sample(
            outcome,
            drivers,
            names,
            label="bench",
            n_resamples=1000,
            ci_level=params.drivers.ci_level,
            seed=params.drivers.seed,
        )
        times.append(time.perf_counter() - start)
    return times


def read_contract_csvs(directory: Path) -> SurveyData:
    """The input CSVs read with plain pandas: empty and 0 (vet ej) are missing."""
    questions = pd.read_csv(directory / "questions.csv", dtype=str, keep_default_na=False)
    questions["leadership"] = questions["leadership"].str.lower().isin(["1", "true", "ja"])
    units = pd.read_csv(directory / "units.csv", dtype=str, keep_default_na=False)
    units["year"] = units["year"].astype("int64")
    units["invited"] = pd.to_numeric(units["invited"]).astype("Int64")
    text = ["respondent_id", "unit_id", "gender", "age_group", "role"]
    responses = pd.read_csv(directory / "responses.csv", dtype=dict.fromkeys(text, str))
    responses[text] = responses[text].fillna("")
    qids = list(questions["question_id"])
    asked = [
        (int(year), q)
        for year, rows in responses.groupby("year")
        for q in qids
        if q in rows and rows[q].notna().any()
    ]
    responses[qids] = responses[qids].astype(float).replace(0.0, np.nan)
    asked_frame = pd.DataFrame(asked, columns=["year", "question_id"])
    return SurveyData(questions, units, responses, asked_frame)


def question_scores(data: SurveyData, params: Params, year: int, min_group: int) -> pd.DataFrame:
    """q:<id> indexes (group all) per unit subtree and manager, in the figures table's shape."""
    responses = data.responses_in(year)
    qids = data.asked_in(year)
    # Reuse the driver module's memberships, but on *all* respondents of the year.
    everyone = dataclasses.replace(
        build_driver_sample(data, params, year),
        respondent_ids=responses["respondent_id"].astype(str).to_numpy(),
        unit_ids=responses["unit_id"].astype(str).to_numpy(),
    )
    values = responses[qids].to_numpy(dtype=float)
    rows = []
    for target in analysis_targets(data, everyone):
        block = values[target.positions]
        counts = np.isfinite(block).sum(axis=0)
        with np.errstate(invalid="ignore"):
            means = np.nanmean(block, axis=0) if len(block) else np.full(len(qids), np.nan)
        scale = params.survey.scale_max - params.survey.scale_min
        indexes = (means - params.survey.scale_min) / scale * 100
        for q, n, index in zip(qids, counts, indexes, strict=True):
            published = n >= min_group
            rows.append(
                (year, target.target_id, "all", f"q:{q}", n if published else None,
                 index if published else np.nan)
            )  # fmt: skip
    return pd.DataFrame(rows, columns=["year", "unit_id", "group", "measure", "n", "value"])


def bench_all_units(params: Params, year: int = 2023) -> None:
    from analysis.params import SynthParams
    from analysis.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        generate(SynthParams(), Path(tmp))
        data = read_contract_csvs(Path(tmp))
    scores = question_scores(data, params, year, params.privacy.min_group_size)
    sample = build_driver_sample(data, params, year)
    print(
        f"synthetic default {year}: {len(analysis_targets(data, sample))} units/managers, "
        f"{sample.n_complete} of {sample.n_respondents} respondents complete (listwise), "
        f"{len(sample.question_ids)} drivers"
    )
    for min_n in sorted({params.drivers.min_n, 25, 50, 100}):
        settings = dataclasses.replace(
            params, drivers=dataclasses.replace(params.drivers, min_n=min_n)
        )
        start = time.perf_counter()
        table = driver_table(data, settings, year, scores)
        elapsed = time.perf_counter() - start
        source = table.groupby("unit_id", sort=False)["importance_from"].first()
        n_own = int((source.index == source.to_numpy()).sum())
        mark = "  <- params.yaml" if min_n == params.drivers.min_n else ""
        print(
            f"  all units, min_n={min_n:>3}: {elapsed:6.1f} s (target < {ALL_UNITS_TARGET_S:.0f} s)"
            f" - {source.size} published, {n_own} with their own analysis{mark}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args()
    params = load_params(args.params)
    times = bench_root(params)
    print(
        f"förvaltning 13000 x 29, 1000 resamples: best {min(times):.2f} s, "
        f"runs {', '.join(f'{t:.2f}' for t in times)} (target < {ROOT_TARGET_S:.0f} s)"
    )
    bench_all_units(params)


if __name__ == "__main__":
    main()
