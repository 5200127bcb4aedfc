"""Run the LP attacker (tests/attacker.py) on one year and print its breaches by kind.

For the benchmark and for humans: how much of a year's hidden small figures
an attacker who knows the published table and the organisation table can
recover. Reads either an ingested dataset (``data/interim``: the parquet
files ``SurveyData.save`` writes) or raw input files (``--input``, e.g. what
``python -m analysis synthesize --out DIR`` writes), ingested in memory.

    .venv/bin/python scripts/attack_report.py --year 2023                 # data/interim
    .venv/bin/python scripts/attack_report.py --input /tmp/synth --year 2023
    .venv/bin/python scripts/attack_report.py --year 2023 --measures response_rate q:q1
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from attacker import attack

from analysis.core.dataset import SurveyData
from analysis.core.params import load_params


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--interim", default="data/interim", help="ingested dataset (parquet)")
    parser.add_argument("--input", help="raw input directory instead: ingested in memory")
    parser.add_argument("--measures", nargs="*", help="attack only these measures' figures")
    parser.add_argument("--list", type=int, default=20, help="print this many breaches")
    parser.add_argument("--quiet", action="store_true", help="no per-measure progress")
    args = parser.parse_args(argv)

    params = load_params(args.params)
    started = time.perf_counter()
    if args.input:
        from analysis.ingest.read import read_input

        data = read_input(args.input, params).data
    else:
        data = SurveyData.load(args.interim)
    loaded = time.perf_counter() - started

    def progress(line: str) -> None:
        print(f"  {line}", file=sys.stderr, flush=True)

    report = attack(
        data, params, args.year, measures=args.measures, log=None if args.quiet else progress
    )
    units = len(data.units_in(args.year))
    respondents = len(data.responses_in(args.year))
    print(f"year {args.year}: {units} units, {respondents} respondents, k = {report.k}")
    print(
        f"targets (hidden, 1..k-1 respondents, or n = 0 in a group with respondents): "
        f"{report.targets}; of them units inviting < k: {report.invited_below_k}"
    )
    print(f"breached figures: {len(report.breaches)}")
    for reason, count in sorted(report.by_reason().items()):
        print(f"  {count:6d}  {reason}")
    kinds = Counter(
        ("leader" if b.unit_id.startswith("manager:") else "unit")
        + (" all" if b.group == "all" else " " + b.group.split("=")[0])
        for b in report.breaches
    )
    for kind, count in sorted(kinds.items()):
        print(f"  {count:6d}  on {kind} rows")
    for line in report.lines()[: args.list]:
        print(f"    {line}")
    print(f"load {loaded:.1f} s, attack {report.seconds:.1f} s, {report.lps} LPs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
