"""Provenance: what every report's footer says produced its numbers.

The input's content hash, the parameters each stage ran with (as the stage
recorded them beside its outputs, not params.yaml as it is now), the git
commit and whether the tree differs from it, and the package versions.
Computed once per render run and handed to every notebook; a notebook opened
by hand computes it itself. Kept apart from :mod:`analysis.render.reports` so that the
report kernels need not import papermill and nbconvert.
"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Iterable
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any, Protocol

from analysis.core.contract import STAGE_PARAMS, params_record
from analysis.core.errors import UserError
from analysis.core.params import Params, ParamsError, params_from_dict

PROJECT_ROOT = Path(__file__).resolve().parents[3]  # src/analysis/core/ -> the project


class RecordedYear(Protocol):
    """What provenance reads of a processed year: the records the stages left beside it."""

    directory: Path
    meta: dict[str, Any]
    driver_notes: dict[str, Any]


PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "pyarrow",
    "openpyxl",
    "xlsxwriter",
    "python-pptx",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "medarbetarenkat-analysis",
)


class ProvenanceError(UserError, RuntimeError):
    """The stages' recorded parameters are missing or disagree: the outputs are out of date."""


def _git(*args: str, cwd: Path = PROJECT_ROOT) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_state(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The commit of the code that renders, and whether the working tree differs from it.

    ``commit`` is None outside a git checkout or before the first commit;
    ``dirty`` counts tracked changes and untracked files that git does not
    ignore. Pipeline outputs are ignored, and DVC's own ``dvc.lock`` (which
    every run rewrites, see .gitignore) is left out, so a clean clone's
    ``make report`` says "no uncommitted changes".
    """
    commit = _git("rev-parse", "HEAD", cwd=root)
    status = _git("status", "--porcelain", "--", ".", ":(exclude)dvc.lock", cwd=root)
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return versions


def _recorded_params(record: dict[str, Any] | None, stage: str, path: Path) -> dict[str, Any]:
    """The params sections ``stage`` recorded beside its outputs (and only those)."""
    if record is None:
        raise ProvenanceError(f"{path}: missing; the {stage} stage writes it (run `dvc repro`)")
    raw = record.get("params") or {}
    missing = [s for s in STAGE_PARAMS[stage] if s not in raw]
    if missing:
        raise ProvenanceError(
            f"{path}: records no params section(s) {missing}; rerun the {stage} stage (`dvc repro`)"
        )
    try:  # normalised like params.yaml (defaults filled in, types checked)
        return params_record(params_from_dict({s: raw[s] for s in STAGE_PARAMS[stage]}), stage)
    except ParamsError as error:
        raise ProvenanceError(f"{path}: {error}") from None


def stage_params(data: RecordedYear, params: Params) -> dict[str, dict[str, Any]]:
    """Per stage, the params sections it declares, as the stage recorded them.

    indexes: meta.json; drivers: drivers.json; render: ``params`` (this
    run). A section that two stages read must be the same in both, else the
    outputs come from different parameter sets and the reports would
    contradict their own tables.
    """
    by_stage = {
        "indexes": _recorded_params(data.meta, "indexes", data.directory / "meta.json"),
        "drivers": _recorded_params(data.driver_notes, "drivers", data.directory / "drivers.json"),
        "render": params_record(params, "render"),
    }
    stages = list(by_stage)
    for i, first in enumerate(stages):
        for second in stages[i + 1 :]:
            for section in set(by_stage[first]) & set(by_stage[second]):
                if by_stage[first][section] != by_stage[second][section]:
                    raise ProvenanceError(
                        f"params section {section!r} differs between the {first} stage "
                        f"({by_stage[first][section]}) and the {second} stage "
                        f"({by_stage[second][section]}): the outputs are out of date, "
                        "run `dvc repro`"
                    )
    return by_stage


def effective_params(provenance: dict[str, Any]) -> Params:
    """The Params the reports use: every stage's recorded sections together."""
    merged: dict[str, Any] = {}
    for sections in provenance["params"].values():
        merged.update(sections)
    return params_from_dict(merged)


def collect_provenance(data: RecordedYear, params: Params) -> dict[str, Any]:
    """Everything the provenance footer shows, computed once per run."""
    meta = data.meta
    return {
        "input_sha256": meta.get("input_sha256", ""),
        "rows_rejected": int(meta.get("rows_rejected") or 0),
        "params": stage_params(data, params),
        "git": git_state(),
        "packages": package_versions(),
    }
