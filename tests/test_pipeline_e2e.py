"""End to end: `dvc repro` on a small synthetic organisation in a temporary copy of the repo.

Checks what a newcomer and an auditor rely on: the pipeline runs offline,
the published figures agree with a plain pandas recomputation from the input
tables, a second run is a no-op, pointing `input.dir` elsewhere re-runs only
what depends on the input, and bad input stops the run without touching what
was already published.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SMALL_SYNTH = {
    "seed": 7,
    "years": [2022, 2023],
    "employees": 600,
    "grundskolor": 4,
    "gymnasieskolor": 2,
    "avdelningar": 2,
}
COPIED = ("dvc.yaml", "params.yaml", "pyproject.toml", ".dvcignore", "src", "notebooks")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def _run(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(os.sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = str(cwd / "src")
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def _set_params(repo: Path, **changes: object) -> None:
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        params[section][key] = value
    path.write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("repo")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / name)
    shutil.copytree(ROOT / ".dvc", repo / ".dvc", ignore=shutil.ignore_patterns("tmp", "cache"))
    _run(["git", "init", "-q"], repo)
    params = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))
    params["synth"] = SMALL_SYNTH
    params["report"]["years"] = [2023]
    params["drivers"]["bootstrap"] = 100
    (repo / "params.yaml").write_text(
        yaml.safe_dump(params, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    _run(["dvc", "repro"], repo)
    return repo


def _index(answers: pd.Series) -> float:
    valid = pd.to_numeric(answers, errors="coerce")
    valid = valid[(valid >= 1) & (valid <= 5)]
    return (valid.mean() - 1) / 4 * 100


def test_published_figures_match_a_plain_recomputation(repo: Path) -> None:
    figures = pd.read_csv(repo / "reports/2023/figures.csv", dtype={"unit_id": str})
    assert list(figures.columns) == [
        "year", "unit_id", "group", "measure", "n", "value", "change", "change_low",
        "change_high", "suppression"
    ]  # fmt: skip
    questions = pd.read_csv(repo / "data/synthetic/questions.csv", dtype=str, keep_default_na=False)
    units = pd.read_csv(repo / "data/synthetic/units.csv", dtype=str, keep_default_na=False)
    responses = pd.read_csv(repo / "data/synthetic/responses.csv", dtype=str, keep_default_na=False)
    root = units[(units["year"] == "2023") & (units["parent_id"] == "")]["unit_id"].item()
    year = responses[responses["year"] == "2023"]

    ami_ids = questions.loc[questions["ami_dimension"] != "", "question_id"]
    asked = [q for q in ami_ids if (year[q] != "").any()]
    expected_ami = sum(_index(year[q]) for q in asked) / len(asked)
    row = figures[
        (figures["year"] == 2023)
        & (figures["unit_id"] == root)
        & (figures["group"] == "all")
        & (figures["measure"] == "AMI")
    ].iloc[0]
    assert row["value"] == pytest.approx(expected_ami, abs=1e-9)

    invited = pd.to_numeric(units[units["year"] == "2023"]["invited"]).sum()
    rate = figures[
        (figures["year"] == 2023)
        & (figures["unit_id"] == root)
        & (figures["measure"] == "response_rate")
    ].iloc[0]
    assert rate["value"] == pytest.approx(len(year) / invited * 100, abs=1e-9)
    assert rate["n"] == len(year)


def test_drivers_and_reports_are_published(repo: Path) -> None:
    drivers = pd.read_csv(repo / "reports/2023/drivers.csv")
    assert {"weight", "importance", "ci_low", "ci_high", "quadrant", "n_used"} <= set(drivers)
    assert set(drivers["quadrant"]) <= {"styrka", "fokusområde", "övrigt"}
    assert (repo / "reports/2023/index.html").exists()


def test_second_repro_is_a_no_op(repo: Path) -> None:
    result = _run(["dvc", "repro"], repo)
    assert "Running stage" not in result.stdout
    status = _run(["dvc", "status"], repo)
    assert "up to date" in status.stdout


def _published_bytes(repo: Path) -> dict[str, bytes]:
    year_dir = repo / "reports/2023"
    return {
        str(path.relative_to(year_dir)): path.read_bytes()
        for path in sorted(year_dir.rglob("*"))
        if path.is_file()
    }


def test_forced_rerun_is_byte_identical(repo: Path) -> None:
    """Two `dvc repro --force` runs give the same figures, drivers, Excel and HTML bytes."""
    before = _published_bytes(repo)
    assert {"figures.csv", "drivers.csv", "index.html", "medarbetarenkat_2023.xlsx"} <= set(before)
    assert any(name.startswith("ledare/") for name in before)
    _run(["dvc", "repro", "--force"], repo)
    after = _published_bytes(repo)
    assert sorted(after) == sorted(before)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"not byte-identical after a forced rerun: {changed[:10]}"


def test_reports_render_without_respondent_level_data(repo: Path) -> None:
    """Structural privacy: the render stage needs nothing but data/processed/<year>."""
    for table in sorted((repo / "data/processed/2023").glob("*.parquet")):
        columns = set(pd.read_parquet(table).columns)
        assert not columns & {"respondent_id", "gender", "age_group", "role"}, table.name
    before = _published_bytes(repo)
    hidden = repo.parent / f"{repo.name}-interim-hidden"
    (repo / "data/interim").rename(hidden)
    try:
        _run(["python", "-m", "analysis", "render", "--year", "2023"], repo)
    finally:
        hidden.rename(repo / "data/interim")
    after = _published_bytes(repo)
    assert after == before


def test_bad_input_fails_listing_problems_and_keeps_published(repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(repo / "data/synthetic", bad)
    responses = (bad / "responses.csv").read_text(encoding="utf-8").splitlines()
    header = responses[0].split(",")
    broken = responses[3].split(",")
    broken[header.index("unit_id")] = "NO-SUCH-UNIT"
    responses[3] = ",".join(broken)
    (bad / "responses.csv").write_text("\n".join(responses) + "\n", encoding="utf-8")
    published = (repo / "reports/2023/figures.csv").read_bytes()

    _set_params(repo, input__dir=str(bad))
    try:
        result = _run(["dvc", "repro"], repo, check=False)
    finally:
        _set_params(repo, input__dir="data/synthetic")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "responses.csv row 4" in output and "unit_id" in output and "NO-SUCH-UNIT" in output
    assert (repo / "reports/2023/figures.csv").read_bytes() == published


def test_other_input_in_quarantine_reruns_only_what_depends_on_it(
    repo: Path, tmp_path: Path
) -> None:
    """Another input.dir (with one bad row, quarantined): everything after ingest
    re-runs, the synthetic data is not regenerated, the bad row is set aside and
    counted, and the published figures are those of the new input.

    Next to last in this module: it leaves the repo pointed at the other input.
    """
    other = tmp_path / "other"
    shutil.copytree(repo / "data/synthetic", other)
    lines = (other / "responses.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    year_at = header.index("year")
    bad_at = next(i for i, line in enumerate(lines[1:], 1) if line.split(",")[year_at] == "2023")
    bad = lines[bad_at].split(",")
    question = next(c for c in header if c.startswith("q"))
    bad[header.index(question)] = "7"  # off the 1..5 scale
    lines[bad_at] = ",".join(bad)
    (other / "responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    _set_params(repo, input__dir=str(other), input__on_invalid="quarantine")
    status = _run(["dvc", "status"], repo).stdout
    assert "ingest" in status and "synthesize" not in status
    result = _run(["dvc", "repro"], repo)
    ran = {line.split("'")[1] for line in result.stdout.splitlines() if "Running stage" in line}
    assert ran == {"ingest", "indexes@2023", "drivers@2023", "render@2023"}

    rejects = pd.read_csv(repo / "data/interim/rejects.csv", dtype=str, keep_default_na=False)
    assert rejects[["row", "column", "value"]].values.tolist() == [[str(bad_at + 1), question, "7"]]
    summary = yaml.safe_load((repo / "data/interim/ingest_summary.json").read_text())
    table = summary["tables"]["responses"]
    assert (table["rows_in"], table["rows_used"], table["rows_rejected"]) == (
        len(lines) - 1,
        len(lines) - 2,
        1,
    )

    answered_2023 = sum(1 for line in lines[1:] if line.split(",")[year_at] == "2023")
    figures = pd.read_csv(repo / "reports/2023/figures.csv", dtype={"unit_id": str})
    units = pd.read_csv(other / "units.csv", dtype=str, keep_default_na=False)
    root = units[(units["year"] == "2023") & (units["parent_id"] == "")]["unit_id"].item()
    rate = figures[
        (figures["year"] == 2023)
        & (figures["unit_id"] == root)
        & (figures["measure"] == "response_rate")
    ].iloc[0]
    assert rate["n"] == answered_2023 - 1
    page = (repo / "reports/2023/index.html").read_text(encoding="utf-8")
    assert "karantänläge: 1 rad underkändes" in page


def test_another_organisation_replaces_the_published_set_whole(repo: Path, tmp_path: Path) -> None:
    """The reviewer's case: input.dir pointed at a smaller organisation, then `dvc repro`.

    Afterwards reports/2023 holds exactly the new organisation's reports (none
    of the old units' reports beside them) and no staging directory is left.
    Last in this module: it leaves the repo pointed at the other input.
    """
    from analysis.core.params import SynthParams
    from analysis.core.publish import MANIFEST
    from analysis.render.plan import plan_reports
    from analysis.render.reports import DECK_KINDS, PDF_KINDS
    from analysis.report.processed import load_processed_year
    from analysis.synth.generate import generate

    smaller = tmp_path / "smaller"
    generate(
        SynthParams(
            seed=8,
            years=(2022, 2023),
            employees=300,
            grundskolor=2,
            gymnasieskolor=1,
            avdelningar=1,
        ),
        smaller,
    )
    before = {name for name in _published_bytes(repo) if name.endswith(".html")}
    _set_params(repo, input__dir=str(smaller), input__on_invalid="fail")
    _run(["dvc", "repro"], repo)

    published = _published_bytes(repo)
    year_dir = repo / "reports/2023"
    planned = plan_reports(load_processed_year(repo / "data/processed/2023"), year_dir, "{}")
    reports = {job.output.relative_to(year_dir).as_posix() for job in planned}
    # the förvaltning's and the områden's reports are published as PDF too
    pdfs = {
        job.output.relative_to(year_dir).with_suffix(".pdf").as_posix()
        for job in planned
        if job.kind in PDF_KINDS
    }
    decks = {
        job.output.relative_to(year_dir).with_suffix(".pptx").as_posix()
        for job in planned
        if job.kind in DECK_KINDS
    }
    tables = {"figures.csv", "drivers.csv", "medarbetarenkat_2023.xlsx", MANIFEST}
    assert set(published) == reports | pdfs | decks | tables
    assert "index.pdf" in pdfs and len(pdfs) > 1
    assert len(before - reports) > 0  # the old organisation's extra reports are gone
    # no staging or old set left beside it (DVC's own .gitignore may be there)
    assert [p.name for p in (repo / "reports").iterdir() if p.name.startswith(".2023")] == []
    for name in ("figures.csv", "drivers.csv"):
        assert published[name] == (repo / "data/processed/2023" / name).read_bytes()
    assert "up to date" in _run(["dvc", "status"], repo).stdout
