"""The synthesize stage: the synthetic förvaltning under ``data/synthetic``."""

from __future__ import annotations

from pathlib import Path

from analysis.core.params import Params
from analysis.synth.follow_up import FollowUp
from analysis.synth.generate import generate


def run_synthesize(params: Params, out_dir: Path) -> None:
    # the synthetic action plans: units under the AMI level with an AMI of their own, and
    # the deadline the reports name (dvc.yaml declares exactly these keys)
    follow_up = FollowUp(
        good_from=params.levels.good_from,
        min_group_size=params.privacy.min_group_size,
        deadline=params.report.action_plan_deadline,
        school_types=tuple(params.report.school_types),
    )
    generate(params.synth, out_dir, follow_up)
