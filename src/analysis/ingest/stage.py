"""The ingest stage: the validated input under ``data/interim``, with a one-line summary."""

from __future__ import annotations

from pathlib import Path

from analysis.core.params import Params
from analysis.ingest.write import run_ingest


def run_ingest_stage(params: Params, out_dir: Path) -> None:
    result = run_ingest(params, out_dir)
    summary = result.summary
    print(
        f"ingest: {params.input.dir}: "
        + ", ".join(
            f"{name} {info['rows_in']} rows in, {info['rows_used']} used, "
            f"{info['rows_rejected']} rejected"
            for name, info in sorted(summary["tables"].items())
        )
    )
