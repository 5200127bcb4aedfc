"""The optional input tables ``action_plans`` and ``benchmarks`` (contract §2), end to end up
to ``data/processed/<year>/`` and ``ProcessedYear``.

Every input is a tiny hand-made table (the three required ones are test_ingest's, with a
2021 wave added so that a report of 2023 has rows to leave out); every expected value is
written out here, not computed by the code under test. The synthetic default's plans are
checked against the indexes stage's own AMI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_ingest import RESPONSES, UNITS, write_csv, write_inputs

from analysis.core.dataset import SurveyData
from analysis.core.params import Params, SynthParams, params_from_dict
from analysis.core.rounding import round_half_up
from analysis.core.stage_paths import StagePaths
from analysis.drivers.stage import run_drivers
from analysis.indexes.figures import published_figures
from analysis.indexes.stage import run_indexes
from analysis.ingest.problems import InputError
from analysis.ingest.read import read_input
from analysis.ingest.stage import run_ingest_stage
from analysis.ingest.write import run_ingest
from analysis.report.processed import load_processed_year
from analysis.synth.follow_up import FollowUp
from analysis.synth.generate import generate

UNITS_3 = [
    UNITS[0],
    ["2021", "F", "Förvaltningen", "", "förvaltning", "", "m0"],
    ["2021", "S1", "Skola Ä", "F", "grundskola", "2", ""],
    *UNITS[1:],
]
RESPONSES_3 = [
    RESPONSES[0],
    ["2021", "r1", "S1", "Kvinna", "30-39", "Medarbetare", "4", "4", "4", "4", ""],
    *RESPONSES[1:],
]
PLANS = [
    ["year", "unit_id", "status", "deadline", "note"],
    ["2021", "S1", "Klar", "", ""],  # two survey years before 2023: not in its report
    ["2022", "S1", " klar ", "16 juni", ""],
    ["2022", "F", "EJ  SLUTFÖRD", "2022-12-31", "Förs över till nästa plan"],
    ["2023", "S2", "Pågående", "", ""],
]
BENCHMARKS = [
    ["Year", "Measure", " VALUE ", "source"],  # column names ignore case and spaces
    ["2021", "response_rate", "86", "Stockholms stad"],
    ["2022", "ami", "79", "Stockholms stad"],
    ["2023", "response_rate", "88", "Stockholms stad"],
    ["2023", "area: lön", "85,4", "Stockholms stad"],
    ["2023", "Q:Q05", "70.5", "Egen jämförelse"],
]
PLAN_HEADER = (
    "a column of action_plans: year, unit_id, status, deadline (optional), note (optional)"
)
STATUS = "one of Klar, Pågående, Ej påbörjad or Ej slutförd"
DUPLICATE_PLAN = "one action plan per unit and year: another row has the same year and unit_id"
MEASURE = (
    "a measure as figures.csv names it: AMI, AMI.Motivation, AMI.Ledarskap, AMI.Styrning, "
    "area:<area>, leadership, q:<question_id> or response_rate, for an area, question or "
    "AMI dimension the question catalogue has"
)
VALUE = "a number from 0 to 100 (e.g. 88 or 85,4; without %)"
DUPLICATE_BENCHMARK = (
    "one value per year, measure and source: another row has the same year, measure and source"
)


def frame(columns: dict[str, list], numbers: dict[str, str]) -> pd.DataFrame:
    """An expected table: the named columns as numbers, the others as text."""
    return pd.DataFrame({c: pd.Series(v, dtype=numbers.get(c, "str")) for c, v in columns.items()})


def plans_frame(year, unit_id, status, deadline, note) -> pd.DataFrame:
    columns = dict(year=year, unit_id=unit_id, status=status, deadline=deadline, note=note)
    return frame(columns, {"year": "int64"})


def benchmarks_frame(year, measure, value, source) -> pd.DataFrame:
    columns = dict(year=year, measure=measure, value=value, source=source)
    return frame(columns, {"year": "int64", "value": "float64"})


def write_all(directory: Path, plans=PLANS, benchmarks=BENCHMARKS) -> Path:
    write_inputs(directory, units=UNITS_3, responses=RESPONSES_3)
    if plans is not None:
        write_csv(directory / "action_plans.csv", plans)
    if benchmarks is not None:
        write_csv(directory / "benchmarks.csv", benchmarks)
    return directory


def problems_of(directory: Path, params: Params | None = None) -> list[tuple]:
    with pytest.raises(InputError) as caught:
        read_input(directory, params or Params())
    return [(p.file, p.row, p.column, p.value, p.expected) for p in caught.value.problems]


def run_stages(directory: Path, root: Path, on_invalid: str = "fail") -> StagePaths:
    params = params_from_dict({"input": {"dir": str(directory), "on_invalid": on_invalid}})
    paths = StagePaths(root / "interim", root / "processed", root / "reports")
    run_ingest(params, paths.interim)
    run_indexes(params, 2023, paths)
    run_drivers(params, 2023, paths, jobs=1)
    return paths


# --------------------------------------------------------------------------- valid tables


def test_valid_tables_reach_the_processed_year(tmp_path):
    paths = run_stages(write_all(tmp_path / "in"), tmp_path)
    data = load_processed_year(paths.processed_year(2023))
    # the report of 2023 follows up 2022's plans: 2022's and 2023's rows, in input order
    expected_plans = plans_frame(
        [2022, 2022, 2023],
        ["S1", "F", "S2"],
        ["Klar", "Ej slutförd", "Pågående"],
        ["16 juni", "2022-12-31", ""],
        ["", "Förs över till nästa plan", ""],
    )
    pd.testing.assert_frame_equal(data.action_plans, expected_plans)
    expected_benchmarks = benchmarks_frame(
        [2022, 2023, 2023, 2023],
        ["AMI", "response_rate", "area:Lön", "q:q05"],
        [79.0, 88.0, 85.4, 70.5],
        ["Stockholms stad", "Stockholms stad", "Stockholms stad", "Egen jämförelse"],
    )
    pd.testing.assert_frame_equal(data.benchmarks, expected_benchmarks)
    # data/interim holds every year's rows
    interim = pd.read_parquet(paths.interim / "action_plans.parquet")
    assert interim["year"].tolist() == [2021, 2022, 2022, 2023]
    summary = json.loads((paths.interim / "ingest_summary.json").read_text(encoding="utf-8"))
    assert {k: v["rows_in"] for k, v in summary["tables"].items()} == {
        "questions": 5,
        "units": 8,
        "responses": 6,
        "action_plans": 4,
        "benchmarks": 5,
    }


def test_the_report_year_without_a_previous_year_gets_its_own_rows_only(tmp_path):
    params = params_from_dict({"input": {"dir": str(write_all(tmp_path / "in"))}})
    paths = StagePaths(tmp_path / "interim", tmp_path / "processed", tmp_path / "reports")
    run_ingest(params, paths.interim)
    run_indexes(params, 2021, paths)
    plans = pd.read_parquet(paths.processed_year(2021) / "action_plans.parquet")
    benchmarks = pd.read_parquet(paths.processed_year(2021) / "benchmarks.parquet")
    assert plans[["year", "unit_id", "status"]].values.tolist() == [[2021, "S1", "Klar"]]
    assert benchmarks[["year", "measure", "value"]].values.tolist() == [
        [2021, "response_rate", 86.0]
    ]


def test_a_workbook_date_and_a_semicolon_file_with_decimal_commas(tmp_path):
    directory = write_all(tmp_path, plans=None, benchmarks=None)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["year", "unit_id", "status", "deadline"])
    sheet.append([2022.0, "S1", "Ej påbörjad", dt.datetime(2022, 6, 16)])
    workbook.save(directory / "Action_Plans.xlsx")
    write_csv(
        directory / "benchmarks.csv",
        [["year", "measure", "value", "source"], ["2023", "AMI.Motivation", "81,5", "Staden"]],
        sep=";",
    )
    data = read_input(directory, Params()).data
    expected = plans_frame([2022], ["S1"], ["Ej påbörjad"], ["2022-06-16"], [""])
    pd.testing.assert_frame_equal(data.action_plans, expected)
    expected = benchmarks_frame([2023], ["AMI.Motivation"], [81.5], ["Staden"])
    pd.testing.assert_frame_equal(data.benchmarks, expected)


# --------------------------------------------------------------------------- bad tables


def test_every_problem_of_both_tables_is_listed_in_one_pass(tmp_path):
    plans = [
        ["year", "unit_id", "status", "deadline", "notes"],  # notes: note misspelt
        ["2022", "S1", "Klar", "16 juni", ""],
        ["2023", "S9", "Klar", "", ""],  # no such unit in 2023
        ["2023", "S1", "Avslutad", "", ""],
        ["2O23", "S2", "Pagaende", "", ""],  # a letter O in the year
        ["2022", "S1", "Pågående", "", ""],  # S1's second plan of 2022
        ["2020", "F", "Klar", "", ""],  # not a survey year
    ]
    benchmarks = [
        ["year", "measure", "value", "source", "kommentar"],
        ["2023", "AMI totalt", "80", "Stockholms stad", ""],
        ["2023", "response_rate", "120", "Stockholms stad", ""],
        ["2023", "AMI", "79", "", ""],
        ["2022", "AMI", "79", "Stockholms stad", ""],
        ["2022", "ami", "80", "stockholms stad", ""],  # the same measure and source again
        ["2023", "q:q99", "88 %", "Stockholms stad", ""],
    ]
    directory = write_all(tmp_path, plans=plans, benchmarks=benchmarks)
    plans_file, marks_file = "action_plans.csv", "benchmarks.csv"
    never_ignored = "; remove it or rename it: a column not named here is never ignored"
    assert problems_of(directory) == [
        # columns first: they stop the run in either mode
        (plans_file, 1, "notes", "notes", f"{PLAN_HEADER}; rename it note (an optional column)"),
        (
            marks_file,
            1,
            "kommentar",
            "kommentar",
            f"a column of benchmarks: year, measure, value, source{never_ignored}",
        ),
        (plans_file, 2, "unit_id", "S1", DUPLICATE_PLAN),
        (plans_file, 3, "unit_id", "S9", "the unit_id of a unit in units.csv for the same year"),
        (plans_file, 4, "status", "Avslutad", STATUS),
        (plans_file, 5, "year", "2O23", "a whole number (the survey year)"),
        (plans_file, 5, "status", "Pagaende", f"{STATUS} (did you mean Pågående?)"),
        (plans_file, 6, "unit_id", "S1", DUPLICATE_PLAN),
        (plans_file, 7, "year", "2020", "a year that appears in units.csv"),
        (marks_file, 2, "measure", "AMI totalt", MEASURE),
        (marks_file, 3, "value", "120", VALUE),
        (
            marks_file,
            4,
            "source",
            "",
            "a non-empty source (who published it, e.g. Stockholms stad)",
        ),
        (marks_file, 5, "measure", "AMI", DUPLICATE_BENCHMARK),
        (marks_file, 6, "measure", "ami", DUPLICATE_BENCHMARK),
        (marks_file, 7, "measure", "q:q99", MEASURE),
        (marks_file, 7, "value", "88 %", VALUE),
    ]


def test_a_misspelt_required_column_is_named_with_the_column_it_stands_for(tmp_path):
    plans = [["year", "unit_id", "statu"], ["2022", "S1", "Klar"]]
    directory = write_all(tmp_path, plans=plans, benchmarks=[["year", "measure", "value"]])
    expected = [
        (
            "action_plans.csv",
            1,
            "statu",
            "statu",
            f"{PLAN_HEADER}; rename it status (a required column, missing)",
        ),
        (
            "benchmarks.csv",
            None,
            "source",
            None,
            "a column named source (required); the header has year, measure, value",
        ),
    ]
    assert problems_of(directory) == expected
    # a column problem cannot be quarantined
    quarantine = params_from_dict({"input": {"on_invalid": "quarantine"}})
    assert problems_of(directory, quarantine) == expected


def test_two_files_for_one_optional_table_or_another_format_are_problems(tmp_path):
    directory = write_all(tmp_path, benchmarks=None)
    (directory / "action_plans.xlsx").write_bytes(b"")
    (directory / "Benchmarks.ods").write_bytes(b"")  # meant as the table: not skipped silently
    assert problems_of(directory) == [
        (
            "action_plans",
            None,
            None,
            None,
            "one file for the table action_plans, found action_plans.csv and "
            "action_plans.xlsx: keep only one",
        ),
        (
            "benchmarks",
            None,
            None,
            None,
            "the optional table benchmarks as benchmarks.csv or benchmarks.xlsx; found "
            "Benchmarks.ods: save it as .csv (UTF-8) or .xlsx, or remove it",
        ),
    ]


def test_quarantine_keeps_the_valid_rows_and_counts_every_row(tmp_path, capsys):
    plans = [*PLANS, ["2023", "S9", "Klar", "", ""], ["2022", "S1", "Klar", "", ""]]
    benchmarks = [*BENCHMARKS, ["2023", "AMI", "101", "Stockholms stad"]]
    directory = write_all(tmp_path / "in", plans=plans, benchmarks=benchmarks)
    params = params_from_dict({"input": {"dir": str(directory), "on_invalid": "quarantine"}})
    paths = StagePaths(tmp_path / "interim", tmp_path / "processed", tmp_path / "reports")
    run_ingest_stage(params, paths.interim)
    # both plans of S1 in 2022 are set aside: which one holds is unclear
    assert capsys.readouterr().out == (
        f"ingest: {directory}: action_plans 6 rows in, 3 used, 3 rejected, "
        "benchmarks 6 rows in, 5 used, 1 rejected, questions 5 rows in, 5 used, 0 rejected, "
        "responses 6 rows in, 6 used, 0 rejected, units 8 rows in, 8 used, 0 rejected\n"
    )
    summary = json.loads((paths.interim / "ingest_summary.json").read_text("utf-8"))
    counts = {
        name: tuple(summary["tables"][name][k] for k in ("rows_in", "rows_used", "rows_rejected"))
        for name in ("action_plans", "benchmarks")
    }
    assert counts == {"action_plans": (6, 3, 3), "benchmarks": (6, 5, 1)}
    assert all(rows_in == used + rejected for rows_in, used, rejected in counts.values())
    rejects = pd.read_csv(paths.interim / "rejects.csv", dtype=str, keep_default_na=False)
    unknown_unit = "expected the unit_id of a unit in units.csv for the same year"
    assert rejects[["file", "row", "column", "value", "reason"]].values.tolist() == [
        ["action_plans.csv", "3", "unit_id", "S1", f"expected {DUPLICATE_PLAN}"],
        ["action_plans.csv", "6", "unit_id", "S9", unknown_unit],
        ["action_plans.csv", "7", "unit_id", "S1", f"expected {DUPLICATE_PLAN}"],
        ["benchmarks.csv", "7", "VALUE", "101", f"expected {VALUE}"],  # as the header has it
    ]
    assert json.loads(rejects["row_values"][1]) == {
        "year": "2023",
        "unit_id": "S9",
        "status": "Klar",
        "deadline": "",
        "note": "",
    }
    kept = pd.read_parquet(paths.interim / "action_plans.parquet")
    assert kept[["year", "unit_id", "status"]].values.tolist() == [
        [2021, "S1", "Klar"],
        [2022, "F", "Ej slutförd"],
        [2023, "S2", "Pågående"],
    ]
    assert len(pd.read_parquet(paths.interim / "benchmarks.parquet")) == 5
    # the reports count every rejected row, of whichever table
    run_indexes(params, 2023, paths)
    meta = json.loads((paths.processed_year(2023) / "meta.json").read_text("utf-8"))
    assert meta["rows_rejected"] == 4


# --------------------------------------------------------------------------- absent tables


def test_absent_tables_change_nothing(tmp_path):
    directory = write_inputs(tmp_path / "in")  # test_ingest's three tables alone
    params = params_from_dict({"input": {"dir": str(directory)}})
    paths = StagePaths(tmp_path / "interim", tmp_path / "processed", tmp_path / "reports")
    result = run_ingest(params, paths.interim)
    # data/interim: the files it always had, no more
    assert sorted(p.name for p in paths.interim.iterdir()) == [
        "asked.parquet",
        "ingest_summary.json",
        "questions.parquet",
        "rejects.csv",
        "responses.parquet",
        "units.parquet",
    ]
    assert list(result.summary["tables"]) == ["questions", "units", "responses"]
    digest = hashlib.sha256()
    for name in ("questions", "units", "responses"):
        content = (directory / f"{name}.csv").read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode() + content)
    assert result.summary["input_sha256"] == digest.hexdigest()
    # the tidy data carries the tables without rows
    no_plans = plans_frame([], [], [], [], [])
    no_benchmarks = benchmarks_frame([], [], [], [])
    pd.testing.assert_frame_equal(result.data.action_plans, no_plans)
    pd.testing.assert_frame_equal(result.data.benchmarks, no_benchmarks)
    interim = SurveyData.load(paths.interim)
    pd.testing.assert_frame_equal(interim.action_plans, no_plans)
    pd.testing.assert_frame_equal(interim.benchmarks, no_benchmarks)
    # the processed year: the files without rows, and none at all in an older directory
    run_indexes(params, 2023, paths)
    run_drivers(params, 2023, paths, jobs=1)
    out = paths.processed_year(2023)
    assert len(pd.read_parquet(out / "action_plans.parquet")) == 0
    pd.testing.assert_frame_equal(load_processed_year(out).action_plans, no_plans)
    (out / "action_plans.parquet").unlink()
    (out / "benchmarks.parquet").unlink()
    older = load_processed_year(out)
    pd.testing.assert_frame_equal(older.action_plans, no_plans)
    pd.testing.assert_frame_equal(older.benchmarks, no_benchmarks)


# --------------------------------------------------------------------------- the synthetic default

MEDIUM = SynthParams(
    seed=11, employees=2400, grundskolor=14, gymnasieskolor=4, avdelningar=2, years=(2022, 2023)
)


SCHOOLS = ("grundskola", "gymnasieskola")


def units_under_70(data: SurveyData, year: int) -> set[str]:
    """Units whose displayed AMI the indexes stage puts under 70 (threshold rule only:
    complementary suppression hides a figure from readers, not from the unit's head)."""
    figures = published_figures(data, Params(), year, complementary=False)
    ami = figures[
        (figures["group"] == "all")
        & (figures["measure"] == "AMI")
        & (figures["suppression"] == "")
        & ~figures["unit_id"].str.startswith("manager:")
    ]
    units = data.units[data.units["year"] == year]
    parent = dict(zip(units["unit_id"], units["parent_id"], strict=True))
    kind = dict(zip(units["unit_id"], units["unit_type"], strict=True))

    def depth(unit: str) -> int:
        return 0 if not parent[unit] else 1 + depth(parent[unit])

    # whose heads write plans: right under an område, or a school form deeper down
    heads = {u for u in units["unit_id"] if depth(u) == 2 or (depth(u) > 2 and kind[u] in SCHOOLS)}
    return {
        u
        for u, v in zip(ami["unit_id"], ami["value"], strict=True)
        if round_half_up(v) < 70 and u in heads
    }


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth_medium")
    generate(MEDIUM, out)
    return out


def test_synthetic_plans_are_last_year_s_units_under_ami_70(medium):
    data = read_input(medium, Params()).data
    under = units_under_70(data, 2022)
    plans = data.action_plans
    assert set(plans["unit_id"]) == under
    assert len(plans) == 1
    assert set(plans["year"]) == {2022}
    assert set(plans["deadline"]) == {"16 juni"}
    # 1 plan at 50/30/10/10 %: 0.5, 0.3, 0.1, 0.1 split by largest remainder
    assert plans["status"].value_counts().to_dict() == {"Klar": 1}
    expected = benchmarks_frame([2023], ["response_rate"], [88.0], ["Stockholms stad"])
    pd.testing.assert_frame_equal(data.benchmarks, expected)


def test_synthetic_optional_tables_are_byte_identical_and_follow_the_params(medium, tmp_path):
    generate(MEDIUM, tmp_path / "again")
    for name in ("action_plans.csv", "benchmarks.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (medium / name).read_bytes(), name
    generate(MEDIUM, tmp_path / "other", FollowUp(good_from=75, deadline="1 juni"))
    other = pd.read_csv(tmp_path / "other" / "action_plans.csv", keep_default_na=False)
    mine = pd.read_csv(medium / "action_plans.csv", keep_default_na=False)
    assert set(mine["unit_id"]) < set(other["unit_id"])
    assert set(other["deadline"]) == {"1 juni"}
    # the required tables do not depend on the follow-up's params
    for name in ("questions.csv", "units.csv", "responses.csv"):
        assert (tmp_path / "other" / name).read_bytes() == (medium / name).read_bytes(), name


def test_the_default_s_plans_are_2022_s_9_units_under_70(tmp_path):
    generate(SynthParams(), tmp_path)
    data = read_input(tmp_path, Params()).data
    under = units_under_70(data, 2022)
    plans = data.action_plans
    assert set(plans["unit_id"]) == under and len(plans) == 9
    # 9 at 50/30/10/10 %: 4.5, 2.7, 0.9, 0.9 -> 4, 2, 0, 0 and the three largest
    # remainders (0.9, 0.9, 0.7) one more each: 4, 3, 1, 1
    assert plans["status"].value_counts().to_dict() == {
        "Klar": 4,
        "Pågående": 3,
        "Ej påbörjad": 1,
        "Ej slutförd": 1,
    }
