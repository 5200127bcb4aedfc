"""Benchmark of the index engine at the scale of a large Swedish municipality.

1,000,000 respondents x 32 questions x 2,000 units (a tree of depth 5), all
breakdowns (gender 2, age group 5, role 2 labels, plus unknowns), two years
so that changes are computed (one question reworded in the second year).
Targets: the index engine (every figure, the threshold rule and the first
pass of complementary suppression, changes) under 20 s; the figures as the
pipeline publishes them (with the joint disclosure audit and its repairs,
docs/privacy.md) under 5 minutes -- a yearly run; the whole process under
4 GiB peak memory, on a 2-core machine. The threshold rule alone is timed
too, for suppression's share. Wall and CPU seconds are both printed: on a
shared machine CPU time is the steadier figure.

Run: ``make bench``, or ``.venv/bin/python bench/bench_indexes.py``
(``--respondents`` and ``--seed`` change the size and the data).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.dataset import SurveyData
from analysis.core.figures_io import write_figures_csv
from analysis.core.params import Params
from analysis.indexes.figures import figures_with_changes, published_figures
from analysis.indexes.unsuppressed import compute_unsuppressed
from analysis.privacy import blank, complementary_suppression, publishable

YEARS = (2022, 2023)
AREAS = (
    "Arbetsinnehåll",
    "Kompetens",
    "Ledarskap",
    "Styrning",
    "Lön",
    "Arbetsmiljö",
    "Mål",
    "Övrigt",
)
GENDERS = ("Kvinna", "Man")
AGES = ("-29", "30-39", "40-49", "50-59", "60-")
ROLES = ("Chef", "Medarbetare")
TARGET_SECONDS = 20.0  # the index engine with the first pass
PUBLISHED_TARGET_SECONDS = 300.0  # as published: with the joint audit and repairs
TARGET_MIB = 4096


def first_pass_figures(data: SurveyData, params: Params, year: int) -> pd.DataFrame:
    """One year's figures after the threshold rule and the first pass alone (no audit)."""
    figures = compute_unsuppressed(data, params, year)
    k = params.privacy.min_group_size
    allowed = publishable(figures.table, k)
    mask = complementary_suppression(figures, allowed, k)
    out = blank(figures.table, mask)
    out["suppression"] = np.where(~allowed, "threshold", np.where(~mask, "complementary", ""))
    return out


def cpu_seconds() -> float:
    """CPU time of this process (user + system): less sensitive to a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_memory_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_questions() -> pd.DataFrame:
    """33 catalogue questions: q33 rewords q32, so each year asks 32."""
    rows = []
    dims = ["Motivation"] * 3 + ["Ledarskap"] * 3 + ["Styrning"] * 3 + [""] * 24
    for i in range(33):
        qid = f"q{i + 1:02d}"
        rows.append(
            {
                "question_id": qid,
                "text": f"Fråga {qid}",
                "area": AREAS[min(i, 31) // 4],
                "ami_dimension": dims[i],
                "leadership": 3 <= i < 8,
                "replaces": "q32" if qid == "q33" else "",
            }
        )
    return pd.DataFrame(rows)


def make_units(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """2,000 units: root, 8 områden, 200 enheter, 1,600 arbetsgrupper, 191 undergrupper."""
    ids, parents = ["root"], [""]
    omr = [f"o{i}" for i in range(8)]
    ids += omr
    parents += ["root"] * 8
    enh = [f"e{i}" for i in range(200)]
    ids += enh
    parents += [omr[i // 25] for i in range(200)]
    grp = [f"g{i}" for i in range(1600)]
    ids += grp
    parents += [enh[i // 8] for i in range(1600)]
    sub = [f"s{i}" for i in range(191)]
    ids += sub
    parents += [grp[i * 8] for i in range(191)]
    n = len(ids)
    # Most units have their own manager; some arbetsgrupper share the enhet's
    # manager (empty: nearest manager above), some managers run two groups.
    managers = np.array([f"m{i:04d}" for i in range(n)], dtype=object)
    no_manager = rng.random(n) < 0.15
    no_manager[0] = False
    managers[no_manager] = ""
    pairs = np.flatnonzero(rng.random(n) < 0.05)
    managers[pairs[pairs > 0]] = managers[pairs[pairs > 0] - 1]
    units = pd.DataFrame(
        {
            "unit_id": ids,
            "unit_name": [f"Enhet {u}" for u in ids],
            "parent_id": parents,
            "unit_type": "enhet",
            "manager_id": managers,
        }
    )
    return units, np.array(ids, dtype=object)


def make_data(respondents: int, seed: int) -> SurveyData:
    rng = np.random.default_rng(seed)
    questions = make_questions()
    units_one, ids = make_units(rng)
    n_units = len(ids)
    # 90 % sit in arbetsgrupper/undergrupper, 10 % directly on områden/enheter.
    leaf_like = np.arange(209, n_units)
    mid = np.arange(1, 209)
    unit_tables = []
    total = respondents * len(YEARS)
    # Unit sizes vary as in a real organisation (lognormal): from a handful of
    # respondents, whose figures are suppressed, to a few thousand.
    leaf_weight = rng.lognormal(0.0, 1.2, len(leaf_like))
    mid_weight = rng.lognormal(0.0, 1.2, len(mid))
    unit_idx = np.where(
        rng.random(total) < 0.9,
        rng.choice(leaf_like, total, p=leaf_weight / leaf_weight.sum()),
        rng.choice(mid, total, p=mid_weight / mid_weight.sum()),
    )
    for y, year in enumerate(YEARS):
        table = units_one.copy()
        table.insert(0, "year", year)
        in_year = unit_idx[y * respondents : (y + 1) * respondents]
        counts = np.bincount(in_year, minlength=n_units)
        invited = pd.array(np.ceil(counts * 1.15).astype(np.int64), dtype="Int64")
        invited[counts == 0] = pd.NA
        table["invited"] = invited
        unit_tables.append(table)
    units = pd.concat(unit_tables, ignore_index=True)[
        ["year", "unit_id", "unit_name", "parent_id", "unit_type", "invited", "manager_id"]
    ]

    year = np.repeat(np.array(YEARS, dtype=np.int64), respondents)
    frames = {
        "year": year,
        "respondent_id": np.array([f"r{i:07d}" for i in range(total)], dtype=object),
        "unit_id": ids[unit_idx],
        "gender": np.array([*GENDERS, ""], dtype=object)[rng.choice(3, total, p=[0.6, 0.38, 0.02])],
        "age_group": np.array([*AGES, ""], dtype=object)[
            rng.choice(6, total, p=[0.1, 0.2, 0.3, 0.25, 0.13, 0.02])
        ],
        "role": np.array([*ROLES, ""], dtype=object)[rng.choice(3, total, p=[0.05, 0.93, 0.02])],
    }
    answers = rng.integers(1, 6, size=(total, 33)).astype(np.float64)
    answers[rng.random((total, 33)) < 0.05] = np.nan  # empty or don't-know
    answers[year == YEARS[0], 32] = np.nan  # q33 not asked in the first year
    answers[year == YEARS[1], 31] = np.nan  # q32 reworded as q33 in the second
    for j, qid in enumerate(questions["question_id"]):
        frames[qid] = answers[:, j]
    del answers
    responses = pd.DataFrame(frames)
    asked = pd.DataFrame(
        [
            (y, q)
            for y in YEARS
            for q in questions["question_id"]
            if not ((y == YEARS[0] and q == "q33") or (y == YEARS[1] and q == "q32"))
        ],
        columns=["year", "question_id"],
    )
    return SurveyData(questions=questions, units=units, responses=responses, asked=asked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=1_000_000, help="per year")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    data = make_data(args.respondents, args.seed)
    print(
        f"data: {len(data.responses):,} response rows, {len(data.units):,} unit rows, "
        f"built in {time.perf_counter() - started:.1f} s, peak so far {peak_memory_mib():,.0f} MiB"
    )

    timings = {}
    for label, publish in (
        ("threshold only", partial(published_figures, complementary=False)),
        ("engine (threshold and first pass)", first_pass_figures),
        ("as published (joint audit and repairs)", published_figures),
    ):
        started, cpu = time.perf_counter(), cpu_seconds()
        figures = figures_with_changes(
            data, Params().survey, YEARS[-1], partial(publish, data, Params())
        )
        timings[label] = time.perf_counter() - started
        print(
            f"compute_figures({YEARS[-1]}), {label}: {timings[label]:.2f} s wall, "
            f"{cpu_seconds() - cpu:.2f} s CPU, {len(figures):,} rows, "
            f"{int(figures['value'].notna().sum()):,} published, "
            f"{int(figures['change'].notna().sum()):,} changes; "
            f"peak memory so far {peak_memory_mib():,.0f} MiB"
        )

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        write_figures_csv(figures, Path(tmp) / "figures.csv")
        size = (Path(tmp) / "figures.csv").stat().st_size
        print(f"write_figures_csv: {time.perf_counter() - started:.2f} s, {size / 2**20:.1f} MiB")
    peak = peak_memory_mib()
    print(f"peak memory (maxrss) at end: {peak:,.0f} MiB")
    # the threshold-only time shows suppression's share
    took = timings["engine (threshold and first pass)"]
    published = timings["as published (joint audit and repairs)"]
    met = took < TARGET_SECONDS and published < PUBLISHED_TARGET_SECONDS and peak < TARGET_MIB
    print(
        f"{'PASS' if met else 'FAIL'}  index engine {took:.1f} s "
        f"(target < {TARGET_SECONDS:.0f} s), "
        f"as published {published:.1f} s (target < {PUBLISHED_TARGET_SECONDS:.0f} s), "
        f"peak {peak / 1024:.1f} GiB (target < 4 GiB)"
    )
    sys.stdout.flush()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
