"""The audit's command line (``python -m analysis.audit``, ``make audit``).

Exit 0 when everything reconciles, 1 on any mismatch, 2 when the audit
cannot run; kept apart so the library functions never print or exit.
"""

from __future__ import annotations

import argparse
import sys

from analysis.audit.reconcile import audit_reports, reconciliation_text
from analysis.audit.results import AuditError
from analysis.core.params import ParamsError, load_params


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.audit",
        description="Recompute every published figure from the input tables and reconcile.",
    )
    parser.add_argument("--params", default="params.yaml", help="parameter file")
    parser.add_argument("--reports", default="reports", help="directory holding <year>/")
    parser.add_argument(
        "--no-intervals",
        action="store_true",
        help="skip re-running the bootstrap (check ci_low ≤ ci_high only)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when everything reconciles, 1 on any mismatch, 2 when the audit cannot run."""
    args = _parser().parse_args(argv)
    from analysis.ingest.problems import InputError
    from analysis.ingest.read import read_input

    try:
        params = load_params(args.params)
        data = read_input(params.input.dir, params).data
        reconciliations = audit_reports(
            data, params, args.reports, with_intervals=not args.no_intervals
        )
    except (AuditError, InputError, ParamsError, FileNotFoundError) as error:
        print(f"audit: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(reconciliation_text(reconciliations))
    return 0 if all(not r.mismatches for r in reconciliations) else 1
