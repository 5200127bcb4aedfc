"""Writing the ingest stage's files under ``data/interim``, swapped in whole.

Separate from reading so that nothing is written unless reading and
validation succeeded: on InputError an earlier ``data/interim`` stays as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from analysis.core.params import Params
from analysis.core.publish import publication
from analysis.ingest.read import IngestResult, read_input


def write_outputs(result: IngestResult, directory: Path) -> None:
    """The ingest stage's files in ``directory`` (which must exist)."""
    result.data.save(directory)
    summary = json.dumps(result.summary, sort_keys=True, indent=2, ensure_ascii=False)
    (directory / "ingest_summary.json").write_text(summary + "\n", encoding="utf-8")
    result.rejects.to_csv(directory / "rejects.csv", index=False, lineterminator="\n")


def publish_directory(out_dir: Path, build: Callable[[Path], None]) -> None:
    """Build ``out_dir`` in a sibling staging directory, then swap it in whole.

    A build that fails leaves the previous ``out_dir`` exactly as it was; the
    whole directory belongs to the stage (no other files survive a swap).
    The swap is :func:`analysis.core.publish.publication`'s, without a manifest.
    """
    with publication(out_dir, manifest=False) as staging:
        build(staging)


def run_ingest(params: Params, out_dir: str | Path) -> IngestResult:
    """The ingest stage: read ``params.input.dir`` and publish the tidy tables.

    On InputError nothing is written and an earlier ``out_dir`` stays as it was.
    """
    result = read_input(params.input.dir, params)
    publish_directory(Path(out_dir), lambda staging: write_outputs(result, staging))
    return result
