"""The synthesize stage: the synthetic förvaltning under ``data/synthetic``."""

from __future__ import annotations

from pathlib import Path

from analysis.core.params import Params
from analysis.synth.generate import generate


def run_synthesize(params: Params, out_dir: Path) -> None:
    generate(params.synth, out_dir)
