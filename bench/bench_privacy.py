"""Benchmark of anonymity (``make bench``): information loss, the audit's cost, its proof.

For ``data/interim`` (what ``dvc repro ingest`` writes):

1. Time: every year the indexes stage publishes, suppressed as the pipeline
   does (threshold, first pass, joint audit and repairs; the years in
   parallel processes), against the threshold and first pass alone -- the
   difference is what the audit adds to ``make report``.
2. Loss, for the latest year: of the figures resting on at least k
   respondents, the share hidden, by kind (unit totals, leader reports,
   gender, age group and role cells).
3. Proof: a fresh joint audit (``analysis.privacy.audit``) of the latest
   year's published table: sensitive cells, count and value failures.

Targets (issue: anonymity that holds against a real attacker): 0 audit
failures, and under 120 s added. The process exits 1 when a target is
missed, 2 when the input is missing.

Run: ``make bench``, or ``PYTHONPATH=src .venv/bin/python bench/bench_privacy.py
[--params params.yaml] [--year 2023]`` after ``dvc repro ingest``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

#: what suppressing every published year may add to the indexes stage
ADDED_TARGET_S = 120.0


def loss_table(figures, published, k: int) -> list[tuple[str, float, int]]:
    """(kind, share hidden, cells) of the figures resting on k or more respondents."""
    import numpy as np

    table = figures.table
    n = table["n"].astype("Int64").fillna(0).to_numpy()
    on_tree = table["unit_id"].isin(set(figures.tree["unit_id"])).to_numpy()
    group = table["group"].str.split("=").str[0].to_numpy()
    kinds = {
        "unit totals (all)": on_tree & (group == "all"),
        "leader reports": ~on_tree,
        "gender": group == "gender",
        "age_group": group == "age_group",
        "role": group == "role",
    }
    big = n >= k
    rows = [("every figure", float(np.mean(~published[big])), int(big.sum()))]
    for kind, where in kinds.items():
        cells = big & where
        share = float(np.mean(~published[cells])) if cells.any() else 0.0
        rows.append((kind, share, int(cells.sum())))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--year", type=int, default=None)
    parser.add_argument("--interim", default="data/interim")
    args = parser.parse_args(argv)
    if not Path(args.interim).is_dir():
        print(f"bench_privacy: {args.interim} is missing: run `dvc repro ingest` first")
        return 2

    from analysis.core.dataset import SurveyData
    from analysis.core.params import load_params
    from analysis.indexes.stage import published_years
    from analysis.indexes.unsuppressed import compute_unsuppressed
    from analysis.privacy import complementary_suppression, publishable
    from analysis.privacy.audit import audit

    params = load_params(args.params)
    year = args.year if args.year is not None else max(params.report.years)
    k = params.privacy.min_group_size
    data = SurveyData.load(args.interim)
    years = [y for y in data.years if y <= year]

    start = time.perf_counter()
    for y in years:
        figures = compute_unsuppressed(data, params, y)
        complementary_suppression(figures, publishable(figures.table, k), k)
    first_pass_s = time.perf_counter() - start
    start = time.perf_counter()
    tables = published_years(data, params, years)
    protect_s = time.perf_counter() - start
    added_s = protect_s - first_pass_s
    print(f"anonymity, years {', '.join(map(str, years))}, k = {k}")
    print(f"  threshold and first pass alone: {first_pass_s:.1f} s")
    print(f"  as published (first pass, joint audit, repairs): {protect_s:.1f} s")

    figures = compute_unsuppressed(data, params, year)
    published = tables[year]["suppression"].to_numpy() == ""
    print(f"  {year}: {len(figures.table):,} figures")
    for kind, share, cells in loss_table(figures, published, k):
        print(f"  hidden among figures of >= k respondents, {kind:<18} {share:6.1%} of {cells:,}")

    start = time.perf_counter()
    result = audit(figures, published, k)
    audit_s = time.perf_counter() - start
    kinds = [f.kind for f in result.failures]
    print(
        f"  fresh joint audit of {year}: {result.sensitive:,} sensitive cells, "
        f"{kinds.count('count')} count failures, {kinds.count('value')} value failures, "
        f"{result.programs:,} programs, {audit_s:.1f} s"
    )
    failures = len(result.failures)
    ok = failures == 0 and added_s < ADDED_TARGET_S
    print(
        f"  {'PASS' if ok else 'FAIL'}: audit failures {failures} (target 0), "
        f"added {added_s:.1f} s (target < {ADDED_TARGET_S:.0f} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
