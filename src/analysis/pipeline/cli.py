"""Command line for the pipeline stages (what ``dvc.yaml`` runs) and the audit.

Each stage sub-command is one DVC stage; ``audit`` is ``make audit``
(``python -m analysis.audit``: exit 0 when every published number
reconciles, 1 on a mismatch). Expected failures (bad input, bad parameters,
an analysis that cannot be done: :class:`analysis.core.errors.UserError`)
end with a plain message on stderr and exit code 2; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis.core.errors import StageError, UserError
from analysis.core.params import load_params
from analysis.core.stage_paths import StagePaths

__all__ = ["StageError", "main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    parser.add_argument("--params", default="params.yaml", help="parameter file")
    sub = parser.add_subparsers(dest="stage", required=True)
    synth = sub.add_parser("synthesize", help="write the synthetic förvaltning")
    synth.add_argument("--out", default="data/synthetic")
    ingest = sub.add_parser("ingest", help="read and validate input.dir")
    ingest.add_argument("--out", default="data/interim")
    for name, text in (
        ("indexes", "figures for one report year"),
        ("drivers", "driver analysis for one report year"),
        (
            "render",
            "publish one year's reports; with --unit or --manager, render that one report "
            "into --out instead (nothing under DVC changes)",
        ),
    ):
        stage = sub.add_parser(name, help=text, description=text)
        stage.add_argument(
            "--year",
            type=int,
            required=name != "render",
            help="survey year"
            + (" (default: the last of report.years)" if name == "render" else ""),
        )
        stage.add_argument("--interim", default="data/interim", help="ingested tables")
        stage.add_argument("--processed", default="data/processed", help="stage outputs")
        stage.add_argument("--reports", default="reports", help="published sets, per year")
        if name in ("render", "drivers"):
            stage.add_argument("--jobs", type=int, default=2, help="worker processes")
        if name == "render":
            one = stage.add_mutually_exclusive_group()
            one.add_argument("--unit", help="render only this unit's report")
            one.add_argument("--manager", help="render only this manager's report")
            stage.add_argument(
                "--pdf",
                action="store_true",
                help="with --unit/--manager: also print the report to a PDF beside it",
            )
            stage.add_argument(
                "--pptx",
                action="store_true",
                help="with --unit/--manager: also write the report as a PowerPoint deck beside it",
            )
            stage.add_argument(
                "--out",
                help="with --unit/--manager: the folder to write into "
                "(default: reports/enstaka/<year>)",
            )
    audit = sub.add_parser(
        "audit",
        help="recompute every published figure from the input tables and reconcile "
        "(make audit; exit 1 on a mismatch)",
    )
    audit.add_argument("--reports", default="reports", help="directory holding <year>/")
    audit.add_argument(
        "--no-intervals",
        action="store_true",
        help="skip re-running the bootstrap (check ci_low ≤ ci_high only)",
    )
    return parser


#: BLAS thread variables; the drivers stage sets them to 1 unless already set.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def pin_blas_threads(threads: int = 1, *, override: bool = False) -> bool:
    """Set the BLAS thread count for this process; False if numpy is loaded already.

    The driver bootstrap decomposes thousands of 29 x 29 matrices; OpenBLAS
    threads competing for two cores made it about twice as slow
    (bench/bench_drivers.py: median 0.79 s single-threaded against 1.60 s
    with two threads). OpenBLAS reads the variables once, when numpy loads,
    which is why the stages are imported lazily. Without ``override`` a
    count the caller already set is kept.
    """
    if "numpy" in sys.modules:
        return False
    for variable in BLAS_THREAD_VARIABLES:
        if override:
            os.environ[variable] = str(threads)
        else:
            os.environ.setdefault(variable, str(threads))
    return True


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.stage == "audit":  # the auditor's own command line, exit codes and all
        from analysis.audit.cli import main as audit_main

        intervals = ["--no-intervals"] if args.no_intervals else []
        return audit_main(["--params", args.params, "--reports", args.reports, *intervals])
    if args.stage == "drivers":
        pin_blas_threads(1)
    # Imported lazily: `--help` is instant, the drivers stage pins BLAS threads before numpy
    # loads, and each stage loads only its own folder (what dvc.yaml lists as its deps).
    try:
        params = load_params(args.params)
        if args.stage == "synthesize":
            from analysis.synth.stage import run_synthesize

            run_synthesize(params, Path(args.out))
        elif args.stage == "ingest":
            from analysis.ingest.stage import run_ingest_stage

            run_ingest_stage(params, Path(args.out))
        else:
            paths = StagePaths(
                interim=Path(args.interim),
                processed=Path(args.processed),
                reports=Path(args.reports),
            )
            if args.stage == "indexes":
                from analysis.indexes.stage import run_indexes

                run_indexes(params, args.year, paths)
            elif args.stage == "drivers":
                from analysis.drivers.stage import run_drivers

                run_drivers(params, args.year, paths, args.jobs)
            elif args.unit is not None or args.manager is not None:
                from analysis.render.reports import ONE_REPORT_DIR, one_report_year, render_one

                year = one_report_year(params, args.year)
                out = Path(args.out) if args.out else ONE_REPORT_DIR / str(year)
                written = render_one(
                    year,
                    paths.processed_year(year),
                    out,
                    params,
                    unit_id=args.unit,
                    manager_id=args.manager,
                    pdf=args.pdf,
                    pptx=args.pptx,
                )
                print(written)
                if args.pdf:
                    print(written.with_suffix(".pdf"))
                if args.pptx:
                    print(written.with_suffix(".pptx"))
            else:
                if args.out is not None or args.pdf or args.pptx or args.year is None:
                    raise StageError(
                        "render: --year is required to publish a year; --out, --pdf and "
                        "--pptx go with --unit or --manager"
                    )
                from analysis.render.stage import run_render

                run_render(params, args.year, paths, jobs=args.jobs)
    except UserError as error:
        print(f"{args.stage}: {error}", file=sys.stderr)
        return 2
    return 0
