"""The project's set-up promises: one source of pins, DVC offline, privacy by structure."""

from __future__ import annotations

import configparser
import json
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _requirement_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def _environment_pins() -> tuple[dict[str, str], list[str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = [dep for dep in env["dependencies"] if isinstance(dep, str)]
    pip_lists = [dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict)]
    assert len(pip_lists) == 1, "environment.yml must have exactly one pip: section"
    pins = {}
    for line in pip_lists[0]:
        name, version = line.split("==")
        pins[name.lower()] = version
    return pins, conda


def test_every_requirement_is_pinned_exactly() -> None:
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            assert "==" in line, f"requirements.txt: {line!r} is not an exact pin"


def test_environment_yml_has_the_same_pins_as_requirements() -> None:
    env_pins, conda = _environment_pins()
    req_pins = _requirement_pins()
    assert env_pins == req_pins, {
        "only in environment.yml": sorted(set(env_pins.items()) - set(req_pins.items())),
        "only in requirements.txt": sorted(set(req_pins.items()) - set(env_pins.items())),
    }
    assert "python=3.11" in conda


def test_core_stack_is_pinned() -> None:
    pins = _requirement_pins()
    for package in ("pandas", "papermill", "nbconvert", "dvc", "pandera", "statsmodels", "seaborn"):
        assert package in pins, f"{package} missing from requirements.txt"


def test_dvc_runs_offline() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / ".dvc" / "config")
    assert config.get("core", "analytics").strip() == "false"
    assert config.get("core", "check_update").strip() == "false"


def test_raw_data_is_ignored_by_git() -> None:
    result = subprocess.run(
        ["git", "check-ignore", "-q", "data/raw/export.csv"], cwd=ROOT, check=False
    )
    assert result.returncode == 0, "data/raw/ must be git-ignored"


def test_committed_notebooks_carry_no_outputs() -> None:
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "the report notebooks are missing"
    for path in notebooks:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{path.name} is stored with outputs"
                assert cell.get("execution_count") is None, f"{path.name} has execution counts"
