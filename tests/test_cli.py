"""``python -m analysis``: every sub-command, the audit included, is listed with its help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from analysis.pipeline.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_every_stage_and_the_audit_with_a_help_text() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "analysis", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    listed = shown.split("positional arguments:")[1].split("options:")[0]
    for command, words in (
        ("synthesize", "synthetic"),
        ("ingest", "validate"),
        ("indexes", "figures"),
        ("drivers", "driver analysis"),
        ("render", "reports"),
        ("audit", "recompute every published figure"),
    ):
        entry = listed.split(f"\n    {command} ")[1].split("\n    ")[0]  # its help, wrapped
        assert words in " ".join(entry.split()), command


def test_audit_runs_the_auditors_command_line_with_its_exit_codes(tmp_path, capsys) -> None:
    # an audit that cannot run (no parameter file) ends with the audit's message and exit 2
    missing = tmp_path / "nowhere.yaml"
    assert main(["--params", str(missing), "audit", "--reports", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("audit: ")


def test_the_declared_dependencies_admit_the_pinned_versions() -> None:
    """pyproject.toml's ranges (pip install -e .) and requirements.txt's pins agree."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["pipeline"]]
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split(";")[0].strip().split("==")
            pins[canonicalize_name(name)] = version
    for text in declared:
        requirement = Requirement(text)
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} is not pinned in requirements.txt"
        assert requirement.specifier.contains(pinned), f"{requirement.name}=={pinned} vs {text}"


def test_render_one_report_names_the_reports_there_are_for_an_unknown_id(tmp_path, capsys) -> None:
    import report_fixture as rf

    rf.write_fixture(tmp_path / "processed" / str(rf.YEAR))
    params = tmp_path / "params.yaml"
    params.write_text((ROOT / "params.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    common = ["--params", str(params), "render", "--processed", str(tmp_path / "processed")]
    out = ["--out", str(tmp_path / "one")]
    # a unit below the schools has no report of its own, like an unknown id
    assert main([*common, "--year", str(rf.YEAR), "--unit", "NOPE", *out]) == 2
    message = capsys.readouterr().err
    assert message.startswith("render: no report for unit NOPE in 2023: reports exist for")
    assert "(--manager)" in message
    assert main([*common, "--year", str(rf.YEAR), "--manager", "NOPE", *out]) == 2
    assert "no report for manager NOPE" in capsys.readouterr().err
    # publishing a year needs the year, and --out goes only with one report
    assert main([*common, "--out", str(tmp_path / "x")]) == 2
    assert "--out, --pdf and --pptx go with --unit or --manager" in capsys.readouterr().err
    assert not (tmp_path / "one").exists()
