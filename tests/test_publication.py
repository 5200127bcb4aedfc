"""End to end: render_year publishes a year whole, through the real notebooks.

Two small organisations cut from ``tests/report_fixture.py``: A has two
områden, four schools and a leader (seven reports); B, after a
reorganisation, only Område Norr with Alfaskolan (three reports). Publishing
B over A must leave exactly B's files; a run that fails must leave A's set
byte for byte.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
import report_fixture as rf

from analysis.core import publish
from analysis.core.figures_io import write_figures_csv
from analysis.core.provenance import PROJECT_ROOT
from analysis.drivers.drivers_csv import write_drivers_csv
from analysis.render.errors import RenderError
from analysis.render.plan import ReportJob, plan_reports
from analysis.render.reports import render_year

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("publication")]

ORG_A = (["F", "N", "A", "B", "S", "G"], ["M1"])
ORG_B = (["F", "N", "A"], [])
FILES_A = {
    "index.html",
    "omrade/N.html",
    "omrade/S.html",
    "enhet/A.html",
    "enhet/B.html",
    "enhet/G.html",
    "ledare/M1.html",
}
FILES_B = {"index.html", "omrade/N.html", "enhet/A.html"}
#: the förvaltning's and the områden's reports are published as PDF too
PDFS_A = {"index.pdf", "omrade/N.pdf", "omrade/S.pdf"}
PDFS_B = {"index.pdf", "omrade/N.pdf"}
#: ... and, with the units' reports, as a PowerPoint deck (the leaders' on demand only)
DECKS_A = {f[:-5] + ".pptx" for f in FILES_A if not f.startswith("ledare/")}
DECKS_B = {f[:-5] + ".pptx" for f in FILES_B}
#: what every publication carries beside the reports
TABLES = {"figures.csv", "drivers.csv", f"medarbetarenkat_{rf.YEAR}.xlsx", publish.MANIFEST}


def write_org(directory: Path, units: list[str], managers: list[str]) -> Path:
    """The fixture year cut down to ``units`` and leaders ``managers``, as the stages leave it.

    Besides the parquet tables, ``figures.csv`` and ``drivers.csv``, which the
    indexes and drivers stages write under data/processed/<Y>/.
    """
    rf.write_fixture(directory)
    keep = {*units, *(f"manager:{m}" for m in managers)}
    tables = {}
    for name in ("units", "figures", "drivers"):
        table = pd.read_parquet(directory / f"{name}.parquet")
        table = table[table["unit_id"].isin(keep)].reset_index(drop=True)
        table.to_parquet(directory / f"{name}.parquet", index=False)
        tables[name] = table
    write_figures_csv(tables["figures"], directory / "figures.csv")
    write_drivers_csv(tables["drivers"], directory / "drivers.csv")
    return directory


def tree(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def publish_year(processed: Path, reports: Path) -> list[Path]:
    return render_year(rf.YEAR, processed, reports, rf.fixture_params(), progress=False)


@dataclasses.dataclass(frozen=True)
class Published:
    root: Path
    processed_a: Path
    processed_b: Path
    reports: Path
    set_a: dict[str, bytes]
    written_a: list[Path]


@pytest.fixture(scope="module")
def published_a(tmp_path_factory: pytest.TempPathFactory) -> Published:
    """Organisation A published in a fresh reports/ directory."""
    root = tmp_path_factory.mktemp("publication")
    processed_a = write_org(root / "a" / str(rf.YEAR), *ORG_A)
    processed_b = write_org(root / "b" / str(rf.YEAR), *ORG_B)
    reports = root / "reports" / str(rf.YEAR)
    written = publish_year(processed_a, reports)
    return Published(root, processed_a, processed_b, reports, tree(reports), written)


def test_a_publication_holds_every_report_and_table(published_a: Published) -> None:
    assert set(published_a.set_a) == FILES_A | PDFS_A | DECKS_A | TABLES
    # the CSVs are the stages' files, byte for byte
    for name in ("figures.csv", "drivers.csv"):
        assert published_a.set_a[name] == (published_a.processed_a / name).read_bytes()
    # render_year returns the published paths, not the staging ones: reports, workbook, PDFs,
    # decks
    written = published_a.written_a
    reports, pdfs = written[: len(FILES_A)], written[len(FILES_A) + 1 : -len(DECKS_A)]
    assert sorted(written[-len(DECKS_A) :]) == sorted(published_a.reports / n for n in DECKS_A)
    assert sorted(reports) == sorted(published_a.reports / name for name in FILES_A)
    assert published_a.written_a[len(FILES_A)] == (
        published_a.reports / f"medarbetarenkat_{rf.YEAR}.xlsx"
    )
    assert sorted(pdfs) == sorted(published_a.reports / name for name in PDFS_A)
    for name in PDFS_A:
        assert published_a.set_a[name].startswith(b"%PDF-")
    for name in DECKS_A:
        assert published_a.set_a[name].startswith(b"PK")
    assert sorted(p.name for p in published_a.reports.parent.iterdir()) == [str(rf.YEAR)]


def test_a_failing_report_leaves_the_previous_set_byte_for_byte(
    published_a: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One report of B fails in its notebook (the others are already written to staging)."""
    real_plan = plan_reports

    def plan_with_a_broken_report(*args, **kwargs) -> list[ReportJob]:
        jobs = real_plan(*args, **kwargs)
        broken = jobs[-1]
        parameters = {**broken.parameters, "unit_id": "NO-SUCH-UNIT"}
        return [*jobs[:-1], dataclasses.replace(broken, parameters=parameters)]

    monkeypatch.setattr("analysis.render.reports.plan_reports", plan_with_a_broken_report)
    with pytest.raises(RenderError, match=r"enhet report 'A'.*failed"):
        publish_year(published_a.processed_b, published_a.reports)
    assert tree(published_a.reports) == published_a.set_a
    assert sorted(p.name for p in published_a.reports.parent.iterdir()) == [str(rf.YEAR)]


def test_a_failing_workbook_leaves_the_previous_set_byte_for_byte(
    published_a: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_workbook(*args, **kwargs) -> bytes:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("analysis.render.workbook.workbook_bytes", no_workbook)
    with pytest.raises(OSError, match="No space left"):
        publish_year(published_a.processed_b, published_a.reports)
    assert tree(published_a.reports) == published_a.set_a
    assert sorted(p.name for p in published_a.reports.parent.iterdir()) == [str(rf.YEAR)]


def test_a_missing_stage_table_stops_before_anything_is_touched(
    published_a: Published, tmp_path: Path
) -> None:
    processed = write_org(tmp_path / str(rf.YEAR), *ORG_B)
    (processed / "drivers.csv").unlink()
    with pytest.raises(RenderError, match=r"drivers\.csv is missing.*dvc repro"):
        publish_year(processed, published_a.reports)
    assert tree(published_a.reports) == published_a.set_a


def test_a_subset_never_goes_into_a_publication(published_a: Published) -> None:
    with pytest.raises(RenderError, match="is where year 2023 is published"):
        render_year(
            rf.YEAR,
            published_a.processed_b,
            published_a.reports,
            rf.fixture_params(),
            only=["index.html"],
            progress=False,
        )
    assert tree(published_a.reports) == published_a.set_a


def test_a_subset_is_refused_at_the_projects_own_reports_directory(published_a: Published) -> None:
    own = PROJECT_ROOT / "reports" / str(rf.YEAR)
    with pytest.raises(RenderError, match="is where year 2023 is published"):
        render_year(rf.YEAR, published_a.processed_b, own, rf.fixture_params(), only=["index.html"])


def test_the_next_organisation_replaces_the_set_whole(published_a: Published) -> None:
    """Last here: publishes B over A (the failures above ran against A's set)."""
    leftover = publish.staging_dir(published_a.reports)
    (leftover / "enhet").mkdir(parents=True)  # as a run killed mid-render leaves it
    (leftover / "enhet" / "B.html").write_bytes(b"half")
    publish_year(published_a.processed_b, published_a.reports)
    published = tree(published_a.reports)
    # omrade/S, B, G and M1's reports are gone, and their PDF and decks with them
    assert set(published) == FILES_B | PDFS_B | DECKS_B | TABLES
    for name in ("figures.csv", "drivers.csv"):
        assert published[name] == (published_a.processed_b / name).read_bytes()
    assert published["index.html"] != published_a.set_a["index.html"]
    assert sorted(p.name for p in published_a.reports.parent.iterdir()) == [str(rf.YEAR)]
