"""CI (docs/ci.md): the workflow, the GitLab example and scripts/ci_report.sh agree, and
the script's steps, run in order, pass and publish what the workflow keeps.

The run is the real one -- the same script, so `make setup`, `make report` (dvc repro)
and `make audit` -- in a committed copy of this working tree whose params.yaml asks for a
small synthetic förvaltning (one year, 200 employees). The copy's .venv is the one
running this test (a symlink, with the stamp `make setup` checks made current, so set-up
is a no-op that installs nothing) and its code the copy's own (PYTHONPATH). The
organisation's path is tested up to its input: an export pushed to a DVC remote in a
temporary folder, pulled by the script's data step in a fresh clone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "report.yml"
SCRIPT = "scripts/ci_report.sh"
CI_DOC = ROOT / "docs" / "ci.md"
#: the order the script runs its steps in, and the order CI needs
STEPS = ["setup", "data", "report", "status", "audit"]
SMALL_SYNTH = {
    "seed": 7,
    "years": [2022, 2023],
    "employees": 200,
    "grundskolor": 1,
    "gymnasieskolor": 1,
    "avdelningar": 1,
}
#: respondent rows: no artifact may hold a file from here
RESPONDENT_DATA = ("data/raw", "data/interim", "data/synthetic")
GIT_IDENTITY = ["-c", "user.name=CI test", "-c", "user.email=ci-test@example.invalid"]
GIT_QUIET = ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]

pytestmark = pytest.mark.xdist_group("ci_workflow")


# --- the workflow and the GitLab example, as written --------------------------------------


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _gitlab_example() -> dict:
    """The `.gitlab-ci.yml` block of docs/ci.md."""
    blocks = re.findall(r"```yaml\n(.*?)```", CI_DOC.read_text(encoding="utf-8"), re.S)
    gitlab = [b for b in blocks if b.startswith("# .gitlab-ci.yml")]
    assert len(gitlab) == 1, "docs/ci.md has one yaml block starting '# .gitlab-ci.yml'"
    return yaml.safe_load(gitlab[0])


def _action(step: dict) -> str:
    return step.get("uses", "").split("@")[0]


def _uploads() -> list[dict]:
    return [
        s["with"]
        for s in _workflow()["jobs"]["report"]["steps"]
        if _action(s).endswith("upload-artifact")
    ]


def _patterns(upload: dict) -> list[str]:
    return [line.strip() for line in upload["path"].splitlines() if line.strip()]


def _script_steps() -> list[str]:
    text = (ROOT / SCRIPT).read_text(encoding="utf-8")
    return re.search(r"^STEPS=\((.*)\)$", text, re.M).group(1).split()


def test_the_script_is_an_executable_bash_script_with_the_steps_in_order() -> None:
    path = ROOT / SCRIPT
    assert os.access(path, os.X_OK), "the workflow runs it directly: chmod +x"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    subprocess.run(["bash", "-n", str(path)], check=True)
    assert _script_steps() == STEPS
    for step in STEPS:
        assert re.search(rf"^step_{step}\(\) {{$", text, re.M), step


def test_the_script_refuses_an_unknown_step_before_running_any() -> None:
    result = subprocess.run(
        [str(ROOT / SCRIPT), "setup", "deploy"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "usage" in result.stderr and "==>" not in result.stdout


def test_the_workflow_runs_on_push_and_pull_request_with_actions_at_a_major_version() -> None:
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request", "workflow_dispatch"} <= set(triggers)
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"actions/[a-z-]+@v\d+", step["uses"]), step["uses"]


def test_the_report_job_runs_only_the_script_on_debian_then_keeps_artifacts() -> None:
    job = _workflow()["jobs"]["report"]
    # Debian's Python 3.11 as root: make report installs Debian's chromium for the PDFs
    assert job["container"].startswith("python:3.11-bookworm")
    steps = job["steps"]
    actions = [_action(s) for s in steps]
    runs = [i for i, s in enumerate(steps) if "run" in s]
    assert [steps[i]["run"].strip() for i in runs] == [SCRIPT], "every command is in the script"
    uploads = [i for i, a in enumerate(actions) if a == "actions/upload-artifact"]
    checkout, cache = actions.index("actions/checkout"), actions.index("actions/cache")
    assert checkout < cache < runs[0] < min(uploads)
    assert "requirements.txt" in steps[cache]["with"]["key"]
    # the status step's git commands may read a checkout root does not own
    assert job["env"]["GIT_CONFIG_KEY_0"] == "safe.directory"


def test_the_test_job_runs_the_suite_as_ci_run_does_on_debian() -> None:
    job = _workflow()["jobs"]["test"]
    assert job["container"].startswith("python:3.11-bookworm")  # Debian's chromium, root
    assert [s["run"].strip() for s in job["steps"] if "run" in s][-1] == ".ci/run"
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_gitlab_example_runs_the_same_script_and_keeps_the_same_files() -> None:
    gitlab = _gitlab_example()
    jobs = {name: job for name, job in gitlab.items() if isinstance(job, dict) and "script" in job}
    assert [job["script"] for job in jobs.values()] == [[SCRIPT], [".ci/run"]]
    report = next(job for job in jobs.values() if job["script"] == [SCRIPT])
    (main,) = [u for u in _uploads() if u["if-no-files-found"] == "error"]
    assert report["artifacts"]["paths"] == _patterns(main)
    assert str(gitlab["default"]["image"]).startswith("python:3.11-bookworm")


def test_pdfs_are_kept_when_there_are_any_and_their_absence_fails_nothing() -> None:
    uploads = _uploads()
    assert [u["if-no-files-found"] for u in uploads] == ["error", "ignore"]
    assert _patterns(uploads[1]) == ["reports/*/**/*.pdf"]
    assert "reports/" in _patterns(uploads[0])  # the year's PDFs are in the set as well


def test_no_artifact_pattern_reaches_respondent_data() -> None:
    patterns = [p for u in _uploads() for p in _patterns(u)]
    patterns += _gitlab_example()["report"]["artifacts"]["paths"]
    for pattern in patterns:
        assert not pattern.startswith(("data/raw", "data/interim", "data/synthetic", "*")), pattern
        assert pattern not in ("data/", "data/*", "data/**", ".", "./"), pattern


# --- the steps run in order on a small organisation ---------------------------------------


def _git(args: list[str], cwd: Path) -> str:
    result = subprocess.run(
        ["git", *GIT_IDENTITY, *GIT_QUIET, *args], cwd=cwd, capture_output=True, text=True
    )
    assert result.returncode == 0, f"git {args}: {result.stderr}"
    return result.stdout


def _copy_worktree(dest: Path) -> None:
    """This working tree's files as git sees them (tracked and new), without a run's record
    (dvc.lock) or a pointer to an organisation's export."""
    listed = _git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    for name in sorted(set(filter(None, listed.split("\0")))):
        source = ROOT / name
        if name == "dvc.lock" or name.startswith("data/raw") or not source.is_file():
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest / name)


def _set_params(repo: Path, **sections: dict) -> None:
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section, values in sections.items():
        params[section].update(values)
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _use_this_venv(repo: Path) -> None:
    """The test's own .venv, set up already: `make setup` must find nothing to do."""
    (repo / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    with open(repo / ".git" / "info" / "exclude", "a", encoding="utf-8") as exclude:
        exclude.write("/.venv\n")  # a symlink: .gitignore's /.venv/ matches directories only
    for name in ("requirements.txt", "pyproject.toml"):  # older than the venv's stamp
        os.utime(repo / name, (0, 0))
    up_to_date = subprocess.run(["make", "-q", "setup"], cwd=repo, env=_env(repo), check=False)
    if up_to_date.returncode != 0:
        pytest.skip(f"{sys.prefix} is not this tree's set-up .venv (run `make setup`)")


def _dvc(args: list[str], cwd: Path) -> None:
    dvc = Path(sys.prefix) / "bin" / "dvc"
    result = subprocess.run([str(dvc), *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"dvc {args}: {result.stdout}{result.stderr}"


def _env(repo: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    env["PYTHONPATH"] = str(repo / "src")  # the copy's code, not the editable install's
    return env


def _script(repo: Path, *steps: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(repo / SCRIPT), *steps],
        cwd=repo,
        env=_env(repo),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def ci_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean commit of this tree on a small synthetic förvaltning, as CI checks it out."""
    repo = tmp_path_factory.mktemp("ci") / "repo"
    repo.mkdir()
    _copy_worktree(repo)
    _set_params(
        repo,
        input={"dir": "data/synthetic", "on_invalid": "fail"},
        report={"years": [2023]},
        drivers={"bootstrap": 100},
        synth=SMALL_SYNTH,
    )
    _git(["init", "-q"], repo)
    _git(["add", "-A"], repo)
    _git(["commit", "-q", "-m", "CI test: a small organisation"], repo)
    _use_this_venv(repo)
    return repo


@pytest.fixture(scope="module")
def ci_run(ci_repo: Path) -> subprocess.CompletedProcess[str]:
    """Every step of scripts/ci_report.sh, as the workflow runs it."""
    return _script(ci_repo)


def _kept(repo: Path, pattern: str) -> list[str]:
    """The files an upload-artifact path pattern keeps (hidden files left out, its default)."""
    found = (repo / pattern).rglob("*") if pattern.endswith("/") else repo.glob(pattern)
    names = [p.relative_to(repo).as_posix() for p in found if p.is_file()]
    return sorted(n for n in names if not any(part.startswith(".") for part in n.split("/")))


@pytest.mark.slow
def test_the_script_runs_every_step_in_order_and_passes(
    ci_run: subprocess.CompletedProcess[str],
) -> None:
    output = ci_run.stdout
    assert ci_run.returncode == 0, output[-6000:]
    assert re.findall(r"^==> ci_report: (\w+)$", output, re.M) == STEPS
    assert "No DVC pointer to an export (data/raw.dvc): the synthetic default." in output
    assert "Running stage 'render@2023'" in output  # make report ran dvc repro
    assert "dvc status: every stage up to date." in output
    assert "AUDIT PASSED" in output


@pytest.mark.slow
def test_what_the_workflow_keeps_exists_after_a_run(
    ci_run: subprocess.CompletedProcess[str], ci_repo: Path
) -> None:
    assert ci_run.returncode == 0
    uploads = _uploads()
    kept = {u["name"]: [f for p in _patterns(u) for f in _kept(ci_repo, p)] for u in uploads}
    main = kept["medarbetarenkat-reports"]
    year = [
        "reports/2023/index.html",
        "reports/2023/figures.csv",
        "reports/2023/drivers.csv",
        "reports/2023/medarbetarenkat_2023.xlsx",
        "reports/2023/SHA256SUMS",
        "data/processed/2023/metrics.json",
        "dvc.lock",
    ]
    assert set(year) <= set(main)
    assert any(name.startswith("reports/2023/ledare/") for name in main)
    assert kept["medarbetarenkat-pdf"] == [f for f in main if f.endswith(".pdf")]
    for name in (f for files in kept.values() for f in files):
        assert not name.startswith(RESPONDENT_DATA), name
    gitlab = _gitlab_example()["report"]["artifacts"]["paths"]
    assert sorted(f for p in gitlab for f in _kept(ci_repo, p)) == sorted(main)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "change", "says"),
    [
        ("docs/input.md", "a tracked file changed", "git status"),
        ("stray.txt", "a new file git does not ignore", "git status"),
        ("data/processed/2023/figures.csv", "an output changed after its stage", "dvc status"),
    ],
)
def test_the_status_step_fails_on_anything_the_run_should_not_have_done(
    ci_run: subprocess.CompletedProcess[str], ci_repo: Path, name: str, change: str, says: str
) -> None:
    assert ci_run.returncode == 0
    path = ci_repo / name
    before = path.read_bytes() if path.exists() else None
    path.write_bytes((before or b"") + b"\n")
    try:
        result = _script(ci_repo, "status")
    finally:
        if before is None:
            path.unlink()
        else:
            path.write_bytes(before)
    assert result.returncode == 1, f"{change}: passed\n{result.stdout}"
    assert f"ci_report: {says}" in result.stdout, result.stdout
    assert result.stdout.endswith("==> ci_report: status FAILED\n")
    assert _script(ci_repo, "status").returncode == 0  # and passes again once undone


@pytest.mark.slow
def test_the_organisations_export_is_pulled_from_its_dvc_remote(
    ci_repo: Path, tmp_path: Path
) -> None:
    """data/raw.dvc committed, the export pushed: the data step pulls it into a clean clone."""
    from analysis.core.params import SynthParams
    from analysis.synth.generate import generate

    org = tmp_path / "org"
    _git(["clone", "-q", str(ci_repo), str(org)], tmp_path)
    source = org / "data/raw/export"  # another small organisation stands in for the export
    generate(SynthParams(**{**SMALL_SYNTH, "seed": 8, "years": (2022, 2023)}), source)
    _dvc(["add", "-q", "data/raw"], org)
    _dvc(["remote", "add", "-d", "orgdata", str(tmp_path / "remote")], org)
    _dvc(["push", "-q", "data/raw.dvc"], org)
    _set_params(org, input={"dir": "data/raw/export"})
    _git(["add", "data/raw.dvc", ".dvc/config", "params.yaml"], org)
    _git(["commit", "-q", "-m", "the organisation's export, through DVC"], org)

    ci = tmp_path / "ci"
    _git(["clone", "-q", str(org), str(ci)], tmp_path)
    assert not (ci / "data/raw").exists()  # only the pointer is committed
    _use_this_venv(ci)
    result = _script(ci, "setup", "data")
    assert result.returncode == 0, result.stdout
    assert "input.dir: data/raw/export; report.years: [2023]" in result.stdout
    for table in ("questions.csv", "units.csv", "responses.csv"):
        assert (ci / "data/raw/export" / table).read_bytes() == (source / table).read_bytes()
    assert _git(["status", "--porcelain", "--untracked-files=all"], ci) == ""

    # a pointer without a remote to pull it from stops the run, saying so
    _dvc(["remote", "remove", "orgdata"], ci)
    shutil.rmtree(ci / "data/raw")
    result = _script(ci, "data")
    assert result.returncode == 1
    assert "points to the organisation's export, but no DVC remote" in result.stdout
