"""The footer's "uncommitted changes" flag: true for real edits, not for DVC's lock file."""

from __future__ import annotations

import subprocess
from pathlib import Path

from analysis.core.provenance import git_state


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_dvc_lock_does_not_make_a_clean_clone_dirty(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "params.yaml").write_text("a: 1\n")
    _git(tmp_path, "add", "params.yaml")
    _git(tmp_path, "commit", "-q", "-m", "first")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()

    (tmp_path / "dvc.lock").write_text("schema: '2.0'\n")  # every `dvc repro` writes it
    assert git_state(tmp_path) == {"commit": head, "dirty": False}

    (tmp_path / "params.yaml").write_text("a: 2\n")  # an edit the figures may rest on
    assert git_state(tmp_path) == {"commit": head, "dirty": True}


def test_outside_a_checkout_the_state_is_unknown(tmp_path: Path) -> None:
    assert git_state(tmp_path) == {"commit": None, "dirty": None}
