"""Benchmark of anonymity (``make bench``): information loss and the joint audit.

For one year of ``data/interim`` (what ``dvc repro ingest`` writes):

1. Loss: of the figures resting on at least k respondents, the share hidden,
   by kind (unit totals, leader reports, gender, age group and role cells),
   after the rule the pipeline publishes with.
2. The joint disclosure audit (``analysis.privacy.audit``) of that published
   table: sensitive cells, count and value failures, its time.

Targets (issue: anonymity that holds against a real attacker): 0 audit
failures, and the audit under 120 s. The process exits 1 when a target is
missed, 2 when the input is missing.

Run: ``make bench``, or ``PYTHONPATH=src .venv/bin/python bench/bench_privacy.py
[--params params.yaml] [--year 2023]`` after ``dvc repro ingest``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

AUDIT_TARGET_S = 120.0


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

    from analysis.dataset import SurveyData
    from analysis.indexes import compute_unsuppressed
    from analysis.params import load_params
    from analysis.privacy import suppress
    from analysis.privacy.audit import audit

    params = load_params(args.params)
    year = args.year if args.year is not None else max(params.report.years)
    k = params.privacy.min_group_size
    data = SurveyData.load(args.interim)
    figures = compute_unsuppressed(data, params, year)
    start = time.perf_counter()
    published = suppress(figures, params.privacy)["suppression"].to_numpy() == ""
    suppress_s = time.perf_counter() - start
    print(f"anonymity, {year}: {len(figures.table):,} figures, k = {k}")
    print(f"  suppression as published: {suppress_s:.1f} s")
    for kind, share, cells in loss_table(figures, published, k):
        print(f"  hidden among figures of >= k respondents, {kind:<18} {share:6.1%} of {cells:,}")

    start = time.perf_counter()
    result = audit(figures, published, k)
    audit_s = time.perf_counter() - start
    kinds = [f.kind for f in result.failures]
    print(
        f"  joint audit: {result.sensitive:,} sensitive cells, {kinds.count('count')} count "
        f"failures, {kinds.count('value')} value failures, {result.programs:,} programs, "
        f"{audit_s:.1f} s"
    )
    failures = len(result.failures)
    ok = failures == 0 and audit_s < AUDIT_TARGET_S
    print(
        f"  {'PASS' if ok else 'FAIL'}: audit failures {failures} (target 0), "
        f"audit time {audit_s:.1f} s (target < {AUDIT_TARGET_S:.0f} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
