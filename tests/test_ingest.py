"""Ingestion: reading the three tables to the contract (§2), every bad-input rule,
strict and quarantine modes, and the atomic publication of the outputs.

Every input is a tiny hand-made table written into ``tmp_path``; the expected
tidy tables are written out by hand below, not computed by the code under test.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analysis.core.dataset import SurveyData
from analysis.core.params import Params, params_from_dict
from analysis.ingest.problems import InputError, Problem
from analysis.ingest.read import read_input
from analysis.ingest.write import run_ingest

NAN = math.nan

QUESTIONS = [
    ["question_id", "text", "area", "ami_dimension", "leadership", "replaces"],
    ["q01", "Jag ser fram emot att gå till arbetet", "Motivation", "Motivation", "0", ""],
    ["q02", "Min chef ger mig förutsättningar", "Ledarskap", "Ledarskap", "ja", ""],
    ["q03", "Jag vet vad som förväntas av mig", "Styrning", "styrning", "FALSE", ""],
    ["q04", "Jag har rimlig lön", "Lön", "", "", ""],
    ["q05", "Jag får rimlig lön för mitt arbete", "Lön", "", "1", "q04"],
]
UNITS = [
    ["year", "unit_id", "unit_name", "parent_id", "unit_type", "invited", "manager_id"],
    ["2022", "F", "Förvaltningen", "", "förvaltning", "", "m0"],
    ["2022", "S1", "Skola Ä", "F", "grundskola", "4", ""],
    ["2023", "F", "Förvaltningen", "", "förvaltning", "", "m0"],
    ["2023", "A", "Område Öst", "F", "område", "", "m1"],
    ["2023", "S1", "Skola Ä", "A", "grundskola", "3", "m2"],
    ["2023", "S2", "Skola Å", "A", "gymnasieskola", "5", "m2"],
]
RESPONSES = [
    [
        "year",
        "respondent_id",
        "unit_id",
        "gender",
        "age_group",
        "role",
        "q01",
        "q02",
        "q03",
        "q04",
        "q05",
    ],
    ["2022", "r1", "S1", "Kvinna", "30-39", "Medarbetare", "4", "5", "3", "2", ""],
    ["2022", "r2", "S1", "Man", "-29", "Chef", "0", "", "4", "1", ""],
    ["2023", "r1", "S1", "Kvinna", "30-39", "Medarbetare", "5", "4", "0", "", "3"],
    ["2023", "r2", "S2", "", "60-", "Medarbetare", "3", "2", "", "", "0"],
    ["2023", "r3", "S2", "Man", "40-49", "Chef", "1", "", "0", "", "5"],
]


# --------------------------------------------------------------------------- helpers


def write_csv(path: Path, rows: list[list[str]], sep: str = ",", bom: bool = False) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\r\n").writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    """As Excel stores it: numbers as floats (4.0), empty cells as no cell."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Blad1"
    for r, row in enumerate(rows, 1):
        for c, text in enumerate(row, 1):
            if text == "":
                continue
            is_number = text.lstrip("-").isdigit() and r > 1
            sheet.cell(row=r, column=c, value=float(text) if is_number else text)
    workbook.create_sheet("Blad2").cell(row=1, column=1, value="ignored")
    workbook.save(path)


def write_inputs(
    directory: Path,
    questions: list[list[str]] = QUESTIONS,
    units: list[list[str]] = UNITS,
    responses: list[list[str]] = RESPONSES,
    *,
    fmt: str = "csv",
    sep: str = ",",
    bom: bool = False,
    names: dict[str, str] | None = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    names = names or {}
    for table, rows in (("questions", questions), ("units", units), ("responses", responses)):
        path = directory / names.get(table, f"{table}.{fmt}")
        if fmt == "xlsx":
            write_xlsx(path, rows)
        else:
            write_csv(path, rows, sep=sep, bom=bom)
    return directory


def replace_cell(rows: list[list[str]], row: int, column: str, value: str) -> list[list[str]]:
    """A copy of ``rows`` with the cell at spreadsheet row ``row`` changed."""
    out = [list(r) for r in rows]
    out[row - 1][out[0].index(column)] = value
    return out


def problems_of(directory: Path, params: Params | None = None) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        read_input(directory, params or Params())
    return caught.value.problems


def located(problems: list[Problem]) -> list[tuple]:
    return [(p.file, p.row, p.column, p.value) for p in problems]


def expected_data() -> SurveyData:
    """The tidy tables of QUESTIONS/UNITS/RESPONSES, coded by hand."""
    questions = pd.DataFrame(
        {
            "question_id": ["q01", "q02", "q03", "q04", "q05"],
            "text": [row[1] for row in QUESTIONS[1:]],
            "area": ["Motivation", "Ledarskap", "Styrning", "Lön", "Lön"],
            "ami_dimension": ["Motivation", "Ledarskap", "Styrning", "", ""],
            "leadership": [False, True, False, False, True],
            "replaces": ["", "", "", "", "q04"],
        }
    )
    units = pd.DataFrame(
        {
            "year": pd.Series([2022, 2022, 2023, 2023, 2023, 2023], dtype="int64"),
            "unit_id": ["F", "S1", "F", "A", "S1", "S2"],
            "unit_name": [
                "Förvaltningen",
                "Skola Ä",
                "Förvaltningen",
                "Område Öst",
                "Skola Ä",
                "Skola Å",
            ],
            "parent_id": ["", "F", "", "F", "A", "A"],
            "unit_type": [
                "förvaltning",
                "grundskola",
                "förvaltning",
                "område",
                "grundskola",
                "gymnasieskola",
            ],
            "invited": pd.array([None, 4, None, None, 3, 5], dtype="Int64"),
            "manager_id": ["m0", "", "m0", "m1", "m2", "m2"],
        }
    )
    responses = pd.DataFrame(
        {
            "year": pd.Series([2022, 2022, 2023, 2023, 2023], dtype="int64"),
            "respondent_id": ["r1", "r2", "r1", "r2", "r3"],
            "unit_id": ["S1", "S1", "S1", "S2", "S2"],
            "gender": ["Kvinna", "Man", "Kvinna", "", "Man"],
            "age_group": ["30-39", "-29", "30-39", "60-", "40-49"],
            "role": ["Medarbetare", "Chef", "Medarbetare", "Medarbetare", "Chef"],
            "q01": [4.0, NAN, 5.0, 3.0, 1.0],
            "q02": [5.0, NAN, 4.0, 2.0, NAN],
            "q03": [3.0, 4.0, NAN, NAN, NAN],
            "q04": [2.0, 1.0, NAN, NAN, NAN],
            "q05": [NAN, NAN, 3.0, NAN, 5.0],
        }
    )
    asked = pd.DataFrame(
        {
            "year": pd.Series([2022] * 4 + [2023] * 4, dtype="int64"),
            "question_id": ["q01", "q02", "q03", "q04", "q01", "q02", "q03", "q05"],
        }
    )
    return SurveyData(questions, units, responses, asked)


def assert_same_data(actual: SurveyData, expected: SurveyData) -> None:
    for name in ("questions", "units", "responses", "asked"):
        pd.testing.assert_frame_equal(getattr(actual, name), getattr(expected, name), obj=name)


# --------------------------------------------------------------------------- valid input


def test_valid_comma_csv_gives_the_hand_coded_tables(tmp_path):
    result = read_input(write_inputs(tmp_path), Params())
    assert_same_data(result.data, expected_data())
    assert result.rejects.empty
    assert list(result.rejects.columns) == [
        "file",
        "row",
        "column",
        "value",
        "reason",
        "row_values",
    ]
    responses = result.summary["tables"]["responses"]
    assert responses["rows_in"] == responses["rows_used"] == 5
    assert responses["rows_rejected"] == 0
    assert result.summary["tables"]["units"]["rows_in"] == 6
    assert result.summary["years"] == [2022, 2023]


@pytest.mark.parametrize(
    "variant",
    [
        {"sep": ";", "bom": True},
        {"sep": "\t"},
        {"fmt": "xlsx"},
    ],
    ids=["semicolon-bom", "tab", "xlsx"],
)
def test_other_encodings_of_the_same_tables_give_identical_data(tmp_path, variant):
    result = read_input(write_inputs(tmp_path, **variant), Params())
    assert_same_data(result.data, expected_data())


def test_file_format_and_delimiter_are_recorded(tmp_path):
    xlsx = read_input(write_inputs(tmp_path / "x", fmt="xlsx"), Params()).summary["tables"]
    semi = read_input(write_inputs(tmp_path / "s", sep=";"), Params()).summary["tables"]
    assert (xlsx["units"]["format"], xlsx["units"]["sheet"]) == ("xlsx", "Blad1")
    assert (semi["units"]["format"], semi["units"]["delimiter"]) == ("csv", ";")


def test_names_match_ignoring_case_and_surrounding_spaces(tmp_path):
    questions = [[" Question_ID", "TEXT ", "Area", "AMI_dimension", "Leadership", "Replaces"]]
    questions += [list(row) for row in QUESTIONS[1:]]
    questions[5][5] = "Q04"  # replaces, in another case: stored as the catalogue's spelling
    units = [["YEAR", "Unit_Id", "unit_name", " parent_id ", "unit_type", "Invited", "Manager_ID"]]
    units += UNITS[1:]
    responses = [["Year", "RESPONDENT_ID", "unit_id", "Gender", "age_group", "ROLE"]]
    responses[0] += [" Q01", "q02 ", "Q03", "q04", "Q05"]
    responses += RESPONSES[1:]
    names = {"questions": "Questions.CSV", "units": "UNITS.csv", "responses": "Responses.Csv"}
    directory = write_inputs(tmp_path, questions, units, responses, names=names)
    (directory / "driver_truth.csv").write_text("ignored,file\n1,2\n", encoding="utf-8")
    assert_same_data(read_input(directory, Params()).data, expected_data())


def test_cells_are_stripped_and_whole_number_decimals_accepted(tmp_path):
    responses = replace_cell(RESPONSES, 2, "q01", " 4.0 ")
    responses = replace_cell(responses, 2, "gender", "  Kvinna ")
    responses = replace_cell(responses, 3, "year", "2022.0")
    data = read_input(write_inputs(tmp_path, responses=responses), Params()).data
    assert_same_data(data, expected_data())


def test_quoted_fields_may_hold_delimiters_quotes_and_line_breaks(tmp_path):
    questions = replace_cell(QUESTIONS, 2, "text", 'Jag ser "fram emot"; att gå,\ntill arbetet')
    questions = replace_cell(questions, 4, "leadership", "kanske")
    problems = problems_of(write_inputs(tmp_path / "bad", questions=questions, sep=";"))
    # the line break inside row 2 does not shift the row numbers after it
    assert located(problems) == [("questions.csv", 4, "leadership", "kanske")]
    questions = replace_cell(questions, 4, "leadership", "0")
    data = read_input(write_inputs(tmp_path / "ok", questions=questions, sep=";"), Params()).data
    assert data.questions["text"].iloc[0] == 'Jag ser "fram emot"; att gå,\ntill arbetet'


def test_fully_empty_rows_are_skipped_and_rows_keep_their_sheet_numbers(tmp_path):
    responses = [*RESPONSES[:3], [""] * 11, [" "] * 11, *RESPONSES[3:]]
    ok = read_input(write_inputs(tmp_path / "ok", responses=responses), Params())
    assert ok.summary["tables"]["responses"]["rows_in"] == 5
    assert_same_data(ok.data, expected_data())
    # the respondent after the two empty rows sits in sheet row 6, not 4
    bad = replace_cell(responses, 6, "q01", "9")
    for fmt in ("csv", "xlsx"):
        problems = problems_of(write_inputs(tmp_path / fmt, responses=bad, fmt=fmt))
        assert located(problems) == [(f"responses.{fmt}", 6, "q01", "9")]


def test_dont_know_and_empty_are_nan_but_dont_know_counts_as_asked(tmp_path):
    data = read_input(write_inputs(tmp_path), Params()).data
    in_2023 = data.responses_in(2023)
    assert in_2023["q03"].isna().all()  # 0, "", 0: nothing valid ...
    assert "q03" in data.asked_in(2023)  # ... but asked (don't-know answers)
    assert "q04" not in data.asked_in(2023)  # all empty: not asked
    assert data.asked_in(2022) == ["q01", "q02", "q03", "q04"]


def test_a_catalogue_question_without_a_column_is_all_nan_and_not_asked(tmp_path):
    responses = [row[:-1] for row in RESPONSES]  # drop q05
    data = read_input(write_inputs(tmp_path, responses=responses), Params()).data
    assert list(data.responses.columns[-5:]) == ["q01", "q02", "q03", "q04", "q05"]
    assert data.responses["q05"].isna().all()
    assert data.asked_in(2023) == ["q01", "q02", "q03"]


def test_a_non_default_scale_is_taken_from_params(tmp_path):
    params = params_from_dict({"survey": {"scale_min": 1, "scale_max": 7, "dont_know": 9}})
    responses = [
        RESPONSES[0],
        ["2023", "r1", "S1", "", "", "", "7", "9", "1", "", ""],
        ["2023", "r2", "S1", "", "", "", "6", "", "9", "", ""],
    ]
    data = read_input(write_inputs(tmp_path / "ok", responses=responses), params).data
    assert data.responses["q01"].tolist() == [7.0, 6.0]
    assert data.responses["q02"].isna().all()  # 9 = vet ej
    assert data.responses["q03"].iloc[0] == 1.0 and math.isnan(data.responses["q03"].iloc[1])
    assert data.asked_in(2023) == ["q01", "q02", "q03"]
    bad = replace_cell(responses, 2, "q01", "0")
    bad = replace_cell(bad, 3, "q01", "8")
    problems = problems_of(write_inputs(tmp_path / "bad", responses=bad), params)
    assert located(problems) == [
        ("responses.csv", 2, "q01", "0"),
        ("responses.csv", 3, "q01", "8"),
    ]
    assert problems[0].expected == "an integer 1..7, 9 (vet ej) or empty"


# --------------------------------------------------------------------------- problem reporting


def test_problem_reads_as_one_line_and_the_error_lists_every_problem():
    problem = Problem("responses.csv", 17, "q05", "7", "an integer 1..5, 0 (vet ej) or empty")
    assert str(problem) == (
        "responses.csv row 17, column q05: value '7' — "
        "expected an integer 1..5, 0 (vet ej) or empty"
    )
    whole_file = Problem("units.csv", None, "parent_id", None, "a column named parent_id")
    assert str(whole_file) == "units.csv, column parent_id: expected a column named parent_id"
    error = InputError([problem, whole_file])
    assert str(error).splitlines() == [
        "2 problems in the input:",
        f"  {problem}",
        f"  {whole_file}",
    ]
    assert isinstance(error, ValueError) and error.problems == [problem, whole_file]


def test_several_problems_in_all_three_files_are_all_listed(tmp_path):
    questions = replace_cell(QUESTIONS, 3, "ami_dimension", "Motivering")
    units = replace_cell(UNITS, 7, "invited", "fem")
    responses = replace_cell(RESPONSES, 2, "q02", "6")
    responses = replace_cell(responses, 4, "unit_id", "S9")
    responses = replace_cell(responses, 4, "q01", "x")
    with pytest.raises(InputError) as caught:
        read_input(write_inputs(tmp_path, questions, units, responses), Params())
    assert located(caught.value.problems) == [
        ("questions.csv", 3, "ami_dimension", "Motivering"),
        ("units.csv", 7, "invited", "fem"),
        ("responses.csv", 2, "q02", "6"),
        ("responses.csv", 4, "unit_id", "S9"),
        ("responses.csv", 4, "q01", "x"),
    ]
    lines = str(caught.value).splitlines()
    assert lines[0] == "5 problems in the input:"
    assert lines[4] == (
        "  responses.csv row 4, column unit_id: value 'S9' — expected the unit_id of a unit in "
        "units.csv for the same year"
    )


def test_a_value_is_quoted_exactly_as_written(tmp_path):
    responses = replace_cell(RESPONSES, 4, "q02", " 7 ")
    with pytest.raises(InputError) as caught:
        read_input(write_inputs(tmp_path, responses=responses), Params())
    assert located(caught.value.problems) == [("responses.csv", 4, "q02", " 7 ")]
    assert str(caught.value).splitlines()[-1] == (
        "(input.on_invalid: quarantine would set these rows of responses aside and go on)"
    )


@pytest.mark.parametrize(
    ("written", "flag"),
    [
        ("1", True),
        ("Ja", True),
        ("TRUE", True),
        ("sant", True),
        ("0", False),
        ("nej", False),
        ("False", False),
        ("FALSKT", False),
        ("", False),
    ],
)
def test_leadership_spellings(tmp_path, written, flag):
    questions = replace_cell(QUESTIONS, 2, "leadership", written)
    data = read_input(write_inputs(tmp_path, questions=questions), Params()).data
    assert data.questions["leadership"].dtype == bool
    assert data.questions["leadership"].tolist()[0] == flag


# --------------------------------------------------------------------------- files and columns


def test_a_missing_table_names_the_expected_files(tmp_path):
    directory = write_inputs(tmp_path)
    (directory / "questions.csv").unlink()
    (directory / "questions.xls").write_bytes(b"old excel")
    [problem] = problems_of(directory)
    assert (problem.file, problem.row, problem.column) == ("questions", None, None)
    assert "questions.csv or questions.xlsx" in problem.expected
    assert "found questions.xls" in problem.expected


def test_a_table_given_both_as_csv_and_xlsx_is_an_error(tmp_path):
    directory = write_inputs(tmp_path)
    write_xlsx(directory / "Units.xlsx", UNITS)
    [problem] = problems_of(directory)
    assert problem.file == "units"
    assert "Units.xlsx and units.csv" in problem.expected


def test_a_missing_input_directory_is_reported(tmp_path):
    [problem] = problems_of(tmp_path / "nowhere")
    assert problem.file == str(tmp_path / "nowhere") and "does not exist" in problem.expected


def test_a_cp1252_file_names_the_file_byte_and_line(tmp_path):
    directory = write_inputs(tmp_path)
    text = "\r\n".join(";".join(row) for row in UNITS) + "\r\n"
    (directory / "units.csv").write_bytes(text.encode("cp1252"))
    [problem] = problems_of(directory)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "units.csv",
        None,
        None,
        None,
    )
    offset = text.encode("cp1252").index("Förvaltningen".encode("cp1252")) + 1
    assert f"byte 0xF6 at offset {offset} (line 2)" in problem.expected
    assert "'ö'" in problem.expected and "CSV UTF-8" in problem.expected


def test_duplicate_column_names_ignoring_case_are_an_error(tmp_path):
    units = [[*row, row[5]] for row in UNITS]
    units[0][-1] = " INVITED"
    [problem] = problems_of(write_inputs(tmp_path, units=units))
    assert located([problem]) == [("units.csv", 1, "invited", None)]
    assert "columns F and H" in problem.expected


def test_a_missing_required_column_is_named(tmp_path):
    units = [row[:3] + row[4:] for row in UNITS]  # no parent_id
    responses = [row[:2] + row[3:] for row in RESPONSES]  # no unit_id
    problems = problems_of(write_inputs(tmp_path, units=units, responses=responses))
    assert located(problems) == [
        ("units.csv", None, "parent_id", None),
        ("responses.csv", None, "unit_id", None),
    ]
    assert problems[0].expected == (
        "a column named parent_id (required); the header has year, unit_id, unit_name, "
        "unit_type, invited, manager_id"
    )


def test_a_misnamed_column_is_named_with_the_column_it_stands_for(tmp_path):
    # chef_id for manager_id would silently drop every leader report; Enhet for unit_id is
    # a missing required column; q001 for q01 a question column no question has
    units = [["chef_id" if c == "manager_id" else c for c in UNITS[0]], *UNITS[1:]]
    responses = [["Enhet" if c == "unit_id" else c for c in RESPONSES[0]], *RESPONSES[1:]]
    responses[0] = ["q001" if c == "q01" else c for c in responses[0]]
    problems = problems_of(write_inputs(tmp_path, units=units, responses=responses))
    by_column = {p.column: p.expected for p in problems}
    assert by_column["chef_id"] == (
        "manager_id (an optional column): chef_id is not a column of this table, so it would "
        "be ignored and no unit has a manager, so no leader report is made; rename it "
        "manager_id, or remove it"
    )
    assert by_column["unit_id"].endswith("; Enhet looks like it: rename it unit_id")
    assert "(did you mean q01?)" in by_column["q001"]


def test_a_column_name_is_guessed_only_when_one_is_clearly_nearest():
    from analysis.ingest.column_names import closest_column

    assert closest_column("q0l", ["q01", "q05"]) is None  # as near one as the other
    assert closest_column("Chef_ID", ["manager_id", "unit_id"]) == "manager_id"  # a known name
    assert closest_column(" Ansvarig  chef", ["manager_id"]) == "manager_id"
    assert closest_column("unit_nme", ["unit_name", "unit_id"]) == "unit_name"
    assert closest_column("comment", ["manager_id", "replaces"]) is None


def test_without_a_fixed_column_the_other_rules_still_run(tmp_path):
    # one round lists every problem: the missing column and a bad answer
    responses = replace_cell(RESPONSES, 4, "q02", "9")
    responses = replace_cell(responses, 5, "respondent_id", "r1")  # twice in 2023
    responses = [row[:2] + row[3:] for row in responses]  # no unit_id
    problems = problems_of(write_inputs(tmp_path, responses=responses))
    assert located(problems) == [
        ("responses.csv", None, "unit_id", None),
        ("responses.csv", 4, "respondent_id", "r1"),
        ("responses.csv", 4, "q02", "9"),
        ("responses.csv", 5, "respondent_id", "r1"),
    ]


def test_an_unknown_answer_column_is_an_error_naming_it(tmp_path):
    responses = [list(row) for row in RESPONSES]
    responses[0][7] = "q2"  # typo for q02
    responses = replace_cell(responses, 3, "q01", "6")
    problems = problems_of(write_inputs(tmp_path, responses=responses))
    # the typo is named, and the other columns are still checked
    assert located(problems) == [
        ("responses.csv", 1, "q2", "q2"),
        ("responses.csv", 3, "q01", "6"),
    ]
    assert "question_id of questions.csv" in problems[0].expected


def test_quarantine_does_not_excuse_an_unknown_column(tmp_path):
    responses = [[*row, "3"] for row in RESPONSES]
    responses[0][-1] = "employment"
    params = params_from_dict({"input": {"on_invalid": "quarantine"}})
    with pytest.raises(InputError) as caught:
        read_input(write_inputs(tmp_path, responses=responses), params)
    assert located(caught.value.problems) == [("responses.csv", 1, "employment", "employment")]
    assert "quarantine sets aside bad rows of responses only" in str(caught.value)


def test_extra_columns_of_questions_and_units_are_ignored_but_listed(tmp_path):
    units = [[*row, "x"] for row in UNITS]
    units[0][-1] = "Kostnadsställe"
    result = read_input(write_inputs(tmp_path, units=units), Params())
    assert_same_data(result.data, expected_data())
    assert result.summary["tables"]["units"]["ignored_columns"] == ["Kostnadsställe"]


def test_a_row_with_too_many_values_is_named(tmp_path):
    responses = [list(row) for row in RESPONSES]
    responses[2] = responses[2] + ["3"]
    responses[4] = responses[4] + ["", "1"]
    problems = problems_of(write_inputs(tmp_path, responses=responses))
    assert located(problems) == [("responses.csv", 3, None, None), ("responses.csv", 5, None, None)]
    assert "at most 11 values like the header row, found 12" in problems[0].expected


def test_an_empty_file_and_a_header_only_catalogue_are_errors(tmp_path):
    directory = write_inputs(tmp_path, questions=QUESTIONS[:1])
    (directory / "units.csv").write_bytes(b"")
    problems = problems_of(directory)
    assert located(problems) == [
        ("questions.csv", None, None, None),
        ("units.csv", None, None, None),
    ]
    assert problems[0].expected == "at least one question below the header row"
    assert problems[1].expected == "a header row (the file is empty)"


def test_values_under_a_column_without_a_name_are_an_error(tmp_path):
    units = [[*row, ""] for row in UNITS]
    units[3][-1] = "stray"
    [problem] = problems_of(write_inputs(tmp_path, units=units, fmt="xlsx"))
    assert located([problem]) == [("units.xlsx", 1, "H", None)]
    assert "row 4" in problem.expected


def test_an_xlsx_answer_that_is_not_a_whole_number_is_reported_as_excel_shows_it(tmp_path):
    directory = write_inputs(tmp_path, fmt="xlsx")
    workbook = openpyxl.load_workbook(directory / "responses.xlsx")
    workbook.worksheets[0]["G3"] = 2.5
    workbook.save(directory / "responses.xlsx")
    assert located(problems_of(directory)) == [("responses.xlsx", 3, "q01", "2.5")]


# --------------------------------------------------------------------------- questions rules


@pytest.mark.parametrize(
    ("row", "column", "value", "phrase"),
    [
        (3, "question_id", "", "a non-empty question id"),
        (3, "text", " ", "a non-empty question text"),
        (3, "ami_dimension", "Motivering", "Motivation, Ledarskap, Styrning or empty"),
        (3, "leadership", "kanske", "1/0, true/false, ja/nej or empty"),
        (6, "replaces", "Q05", "not the question's own id"),
    ],
)
def test_each_questions_rule_reports_file_row_column_value(tmp_path, row, column, value, phrase):
    questions = replace_cell(QUESTIONS, row, column, value)
    responses = [r[:7] + r[8:] for r in RESPONSES]  # without q02, whose id may be blanked
    problems = problems_of(write_inputs(tmp_path, questions=questions, responses=responses))
    assert located(problems) == [("questions.csv", row, column, value)]
    assert phrase in problems[0].expected


def test_question_ids_are_unique_ignoring_case(tmp_path):
    questions = replace_cell(QUESTIONS, 6, "question_id", "Q01")
    questions = replace_cell(questions, 6, "replaces", "")
    responses = [r[:-1] for r in RESPONSES]
    problems = problems_of(write_inputs(tmp_path, questions=questions, responses=responses))
    assert located(problems) == [
        ("questions.csv", 2, "question_id", "q01"),
        ("questions.csv", 6, "question_id", "Q01"),
    ]
    assert "used only once" in problems[0].expected


def test_a_question_id_may_not_collide_with_a_fixed_response_column(tmp_path):
    questions = [*QUESTIONS, ["Unit_ID", "Vilken enhet?", "", "", "", ""]]
    problems = problems_of(write_inputs(tmp_path, questions=questions))
    assert located(problems) == [("questions.csv", 7, "question_id", "Unit_ID")]
    assert "fixed response columns" in problems[0].expected


# --------------------------------------------------------------------------- units rules


@pytest.mark.parametrize(
    ("row", "column", "value", "phrase"),
    [
        (3, "unit_name", "", "a non-empty unit name"),
        (3, "parent_id", "A", "a unit of the same year"),  # A exists only in 2023
        (7, "parent_id", "X9", "a unit of the same year"),
        (3, "invited", "-4", "a whole number ≥ 0"),
        (3, "invited", "4.5", "a whole number ≥ 0"),
    ],
)
def test_each_units_rule_reports_file_row_column_value(tmp_path, row, column, value, phrase):
    units = replace_cell(UNITS, row, column, value)
    problems = problems_of(write_inputs(tmp_path, units=units))
    assert located(problems) == [("units.csv", row, column, value)]
    assert phrase in problems[0].expected


def test_a_bad_unit_year_also_orphans_the_respondents_of_that_unit(tmp_path):
    units = replace_cell(UNITS, 3, "year", "20x2")
    problems = problems_of(write_inputs(tmp_path, units=units))
    assert located(problems) == [
        ("units.csv", 3, "year", "20x2"),
        ("responses.csv", 2, "unit_id", "S1"),
        ("responses.csv", 3, "unit_id", "S1"),
    ]
    assert problems[0].expected == "a whole number (the survey year)"


def test_a_unit_id_twice_in_one_year_is_an_error_on_both_rows(tmp_path):
    units = [*UNITS, ["2023", "S2", "Skola Å igen", "A", "grundskola", "1", ""]]
    problems = problems_of(write_inputs(tmp_path, units=units))
    assert located(problems) == [
        ("units.csv", 7, "unit_id", "S2"),
        ("units.csv", 8, "unit_id", "S2"),
    ]


def test_two_roots_in_a_year_are_both_named(tmp_path):
    units = replace_cell(UNITS, 5, "parent_id", "")
    problems = problems_of(write_inputs(tmp_path, units=units))
    assert located(problems) == [
        ("units.csv", 4, "parent_id", ""),
        ("units.csv", 5, "parent_id", ""),
    ]
    assert "exactly one root" in problems[0].expected


def test_a_cycle_names_its_members_and_the_rootless_year(tmp_path):
    units = replace_cell(UNITS, 4, "parent_id", "S1")  # 2023: F → S1 → A → F
    problems = problems_of(write_inputs(tmp_path, units=units))
    assert located(problems) == [
        ("units.csv", None, "parent_id", None),
        ("units.csv", 4, "parent_id", "S1"),
        ("units.csv", 5, "parent_id", "F"),
        ("units.csv", 6, "parent_id", "A"),
    ]
    assert problems[0].expected == "one root unit (empty parent_id) in year 2023, found none"
    assert "(a cycle)" in problems[1].expected


def test_a_unit_that_is_its_own_parent_is_a_cycle(tmp_path):
    units = replace_cell(UNITS, 7, "parent_id", "S2")
    problems = problems_of(write_inputs(tmp_path, units=units))
    assert located(problems) == [("units.csv", 7, "parent_id", "S2")]


# --------------------------------------------------------------------------- responses rules


@pytest.mark.parametrize(
    ("row", "column", "value", "phrase"),
    [
        (2, "year", "tjugo", "a whole number (the survey year)"),
        (2, "year", "2021", "a year that appears in units.csv"),
        (2, "respondent_id", "", "a non-empty respondent id"),
        (5, "unit_id", "A", None),  # A exists in 2023: valid
        (3, "unit_id", "A", "the unit_id of a unit in units.csv for the same year"),  # not 2022
        (3, "unit_id", "", "the unit_id of a unit in units.csv for the same year"),
        (2, "q01", "6", "an integer 1..5, 0 (vet ej) or empty"),
        (2, "q01", "fyra", "an integer 1..5, 0 (vet ej) or empty"),
        (2, "q01", "3.5", "an integer 1..5, 0 (vet ej) or empty"),
        (2, "q01", "-1", "an integer 1..5, 0 (vet ej) or empty"),
    ],
)
def test_each_responses_rule_reports_file_row_column_value(tmp_path, row, column, value, phrase):
    responses = replace_cell(RESPONSES, row, column, value)
    if phrase is None:  # a unit that exists in that year is fine (with its invited)
        units = replace_cell(UNITS, 5, "invited", "1")
        directory = write_inputs(tmp_path, responses=responses, units=units)
        assert read_input(directory, Params()).data.responses.at[3, "unit_id"] == "A"
        return
    directory = write_inputs(tmp_path, responses=responses)
    problems = problems_of(directory)
    assert located(problems) == [("responses.csv", row, column, value)]
    assert phrase in problems[0].expected


def test_a_respondent_id_twice_in_a_year_is_an_error_on_every_row(tmp_path):
    responses = replace_cell(RESPONSES, 6, "respondent_id", "r1")
    problems = problems_of(write_inputs(tmp_path, responses=responses))
    # r1 in 2022 (row 2) is another year: fine
    assert located(problems) == [
        ("responses.csv", 4, "respondent_id", "r1"),
        ("responses.csv", 6, "respondent_id", "r1"),
    ]
    assert problems[0].expected == "a respondent id used only once within its year"


# --------------------------------------------------------------------------- run_ingest, modes


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_run_ingest_writes_every_output_deterministically(tmp_path):
    params = params_from_dict({"input": {"dir": str(write_inputs(tmp_path / "in"))}})
    run_ingest(params, tmp_path / "a" / "interim")
    run_ingest(params, tmp_path / "b" / "interim")
    first, second = _files(tmp_path / "a" / "interim"), _files(tmp_path / "b" / "interim")
    assert sorted(first) == [
        "asked.parquet",
        "ingest_summary.json",
        "questions.parquet",
        "rejects.csv",
        "responses.parquet",
        "units.parquet",
    ]
    assert first == second
    assert first["rejects.csv"] == b"file,row,column,value,reason,row_values\n"
    assert_same_data(SurveyData.load(tmp_path / "a" / "interim"), expected_data())
    summary = json.loads(first["ingest_summary.json"])
    assert list(summary) == sorted(summary)
    assert summary["survey"] == {"dont_know": 0, "scale_max": 5, "scale_min": 1}
    assert summary["on_invalid"] == "fail"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["interim"]  # no staging left


def test_input_hash_covers_the_three_files_in_a_fixed_order(tmp_path):
    directory = write_inputs(tmp_path)
    digest = hashlib.sha256()
    for name in ("questions", "units", "responses"):
        content = (directory / f"{name}.csv").read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode() + content)
    summary = read_input(directory, Params()).summary
    assert summary["input_sha256"] == digest.hexdigest()
    assert (
        summary["tables"]["units"]["sha256"]
        == hashlib.sha256((directory / "units.csv").read_bytes()).hexdigest()
    )


def test_strict_failure_writes_nothing_and_keeps_earlier_outputs(tmp_path):
    directory = write_inputs(tmp_path / "in")
    params = params_from_dict({"input": {"dir": str(directory)}})
    out = tmp_path / "interim"
    run_ingest(params, out)
    before = _files(out)
    write_csv(directory / "responses.csv", replace_cell(RESPONSES, 2, "q01", "7"))
    with pytest.raises(InputError):
        run_ingest(params, out)
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "interim"]
    with pytest.raises(InputError):
        run_ingest(params, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()


def test_quarantine_rejects_bad_response_rows_and_keeps_the_rest(tmp_path):
    responses = replace_cell(RESPONSES, 3, "q01", "7")
    responses = replace_cell(responses, 3, "q03", "x")
    responses = replace_cell(responses, 5, "unit_id", "F9")
    directory = write_inputs(tmp_path / "in", responses=responses)
    params = params_from_dict({"input": {"dir": str(directory), "on_invalid": "quarantine"}})
    result = run_ingest(params, tmp_path / "interim")

    kept = expected_data().responses.drop(index=[1, 3]).reset_index(drop=True)
    pd.testing.assert_frame_equal(result.data.responses, kept)
    counts = result.summary["tables"]["responses"]
    assert (counts["rows_in"], counts["rows_used"], counts["rows_rejected"]) == (5, 3, 2)
    assert counts["rows_in"] == counts["rows_used"] + counts["rows_rejected"]

    rejects = pd.read_csv(tmp_path / "interim" / "rejects.csv", dtype=str, keep_default_na=False)
    assert rejects[["file", "row", "column", "value"]].values.tolist() == [
        ["responses.csv", "3", "q01", "7"],
        ["responses.csv", "3", "q03", "x"],
        ["responses.csv", "5", "unit_id", "F9"],
    ]
    assert rejects["reason"][0] == "expected an integer 1..5, 0 (vet ej) or empty"
    row_3 = json.loads(rejects["row_values"][0])
    assert row_3["respondent_id"] == "r2" and row_3["q01"] == "7" and row_3["q03"] == "x"
    # asked is decided on the rows kept: 2022 still has r1's answer to q03
    assert result.data.asked_in(2022) == ["q01", "q02", "q03", "q04"]


def test_quarantine_rejects_every_row_sharing_a_duplicated_respondent_id(tmp_path):
    responses = replace_cell(RESPONSES, 6, "respondent_id", "r2")
    params = params_from_dict({"input": {"on_invalid": "quarantine"}})
    result = read_input(write_inputs(tmp_path, responses=responses), params)
    assert result.rejects["row"].tolist() == [5, 6]
    assert result.data.responses["respondent_id"].tolist() == ["r1", "r2", "r1"]


def test_quarantine_still_fails_on_problems_of_the_catalogue_or_the_tree(tmp_path):
    units = replace_cell(UNITS, 3, "unit_name", "")
    responses = replace_cell(RESPONSES, 2, "q01", "7")
    params = params_from_dict({"input": {"on_invalid": "quarantine"}})
    problems = problems_of(write_inputs(tmp_path, units=units, responses=responses), params)
    assert located(problems) == [
        ("units.csv", 3, "unit_name", ""),
        ("responses.csv", 2, "q01", "7"),
    ]


# --------------------------------------------------------------------------- regressions (issue 5)


def _rezip(path: Path, member: str, edit: Callable[[bytes], bytes]) -> None:
    """Rewrite ``member`` of the workbook at ``path`` through ``edit``."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts[member] = edit(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_a_workbook_damaged_inside_its_sheet_is_a_problem_of_the_file(tmp_path):
    # openpyxl reads a sheet lazily, so a cut-off sheet fails while the rows are
    # read (xml ParseError), not when the workbook opens; it used to escape as a traceback
    directory = write_inputs(tmp_path, fmt="xlsx")
    _rezip(directory / "units.xlsx", "xl/worksheets/sheet1.xml", lambda xml: xml[:300])
    [problem] = problems_of(directory)
    assert located([problem]) == [("units.xlsx", None, None, None)]
    assert problem.expected.startswith("an Excel workbook (.xlsx) that opens (")
    assert "ParseError" in problem.expected


def test_a_workbook_with_a_corrupt_compressed_stream_is_a_problem_of_the_file(tmp_path):
    directory = write_inputs(tmp_path, fmt="xlsx")
    path = directory / "responses.xlsx"
    content = bytearray(path.read_bytes())
    start = content.index(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    content[start + 20] ^= 0xFF  # inside the deflated sheet: zlib.error or a bad CRC
    path.write_bytes(bytes(content))
    [problem] = problems_of(directory)
    assert located([problem]) == [("responses.xlsx", None, None, None)]
    assert "an Excel workbook (.xlsx) that opens" in problem.expected


@pytest.mark.parametrize(
    ("table", "row", "column"),
    [("responses", 2, "year"), ("units", 3, "year"), ("units", 3, "invited")],
)
def test_a_whole_number_too_large_to_hold_is_a_bad_value_not_a_crash(tmp_path, table, row, column):
    # 2**64 used to pass the integer check and crash the cast to int64 (TypeError)
    huge = "18446744073709551616"
    tables = {"responses": RESPONSES, "units": UNITS}
    tables[table] = replace_cell(tables[table], row, column, huge)
    problems = problems_of(write_inputs(tmp_path, **tables))
    assert (f"{table}.csv", row, column, huge) in located(problems)


def test_the_largest_exact_whole_number_is_still_a_number(tmp_path):
    units = replace_cell(UNITS, 3, "invited", str(2**53))
    data = read_input(write_inputs(tmp_path, units=units), Params()).data
    assert data.units.at[1, "invited"] == 2**53


def test_an_unclosed_quote_names_the_row_where_it_opens(tmp_path):
    directory = write_inputs(tmp_path)
    text = (directory / "units.csv").read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace("Förvaltningen", '"Förvaltningen')  # spreadsheet row 4
    (directory / "units.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    [problem] = problems_of(directory)
    # pandas says "EOF inside string starting at row 3" (counted from 0)
    assert located([problem]) == [("units.csv", 4, None, None)]
    assert "never closed" in problem.expected


def test_a_header_only_catalogue_without_a_column_lists_both_problems(tmp_path):
    questions = [[c for c in QUESTIONS[0] if c != "area"]]
    problems = problems_of(write_inputs(tmp_path, questions=questions))
    assert located(problems)[:2] == [
        ("questions.csv", None, "area", None),
        ("questions.csv", None, None, None),
    ]
    assert problems[1].expected == "at least one question below the header row"


def test_quarantine_that_would_reject_every_row_fails_instead(tmp_path):
    responses = [RESPONSES[0]] + [
        replace_cell([RESPONSES[0], r], 2, "q01", "9")[1] for r in RESPONSES[1:]
    ]
    params = params_from_dict({"input": {"on_invalid": "quarantine"}})
    with pytest.raises(InputError) as caught:
        read_input(write_inputs(tmp_path / "in", responses=responses), params)
    problems = caught.value.problems
    assert located(problems) == [
        *[("responses.csv", row, "q01", "9") for row in (2, 3, 4, 5, 6)],
        ("responses.csv", None, None, None),
    ]
    assert problems[-1].expected == (
        "at least one valid response row, but all 5 were rejected: no valid response rows "
        "left after quarantine (fix the rows listed above)"
    )
    params = params_from_dict({"input": {"dir": str(tmp_path / "in"), "on_invalid": "quarantine"}})
    with pytest.raises(InputError, match="no valid response rows left after quarantine"):
        run_ingest(params, tmp_path / "interim")
    assert not (tmp_path / "interim").exists()


def test_replaces_may_name_an_old_wording_the_catalogue_does_not_list(tmp_path):
    # contract §2: `replaces` is "the id of an earlier question"; an export may
    # leave the old wording out. The new id is never compared either way.
    questions = replace_cell(QUESTIONS, 6, "replaces", "Q99-2021")
    result = read_input(write_inputs(tmp_path, questions=questions), Params())
    questions = result.data.questions.set_index("question_id")
    assert questions.at["q05", "replaces"] == "Q99-2021"
    assert result.summary["replaced_not_listed"] == ["Q99-2021"]


# --------------------------------------------------------------------------- invited


def test_a_unit_with_respondents_needs_invited_and_at_least_as_many(tmp_path):
    # 2023: S1 has 1 respondent (r1) and invited 3 -> fine; S2 has 2 (r2, r3):
    # invited 1 would give 200 %. The root F gets a respondent (row 5 -> F) but
    # no invited: its own respondents would inflate every rate above them.
    units = replace_cell(UNITS, 7, "invited", "1")
    responses = replace_cell(RESPONSES, 4, "unit_id", "F")  # r1 of 2023 -> the root
    problems = problems_of(write_inputs(tmp_path, units=units, responses=responses))
    assert located(problems) == [("units.csv", 4, "invited", ""), ("units.csv", 7, "invited", "1")]
    assert problems[0].expected == (
        "the number of employees invited: 1 respondent(s) of 2023 in responses.csv belong "
        "to this unit, and response rates need it"
    )
    assert problems[1].expected == (
        "at least 2: that many respondents of 2023 in responses.csv belong to this unit "
        "(a response rate over 100 %)"
    )


def test_invited_is_checked_against_the_rows_quarantine_keeps(tmp_path):
    # S2 invited 1 with 2 respondents, but r3's row is bad and set aside: 1 of 1 is fine
    units = replace_cell(UNITS, 7, "invited", "1")
    responses = replace_cell(RESPONSES, 6, "q01", "9")
    params = params_from_dict({"input": {"on_invalid": "quarantine"}})
    result = read_input(write_inputs(tmp_path, units=units, responses=responses), params)
    assert result.rejects["row"].tolist() == [6]
    assert result.summary["tables"]["units"]["rows_used"] == 6


def test_a_year_without_any_invited_has_no_response_rate_but_is_valid(tmp_path):
    # 2022 lists invited on S1 only; blank it and 2022 simply has no response rates
    units = replace_cell(UNITS, 3, "invited", "")
    data = read_input(write_inputs(tmp_path, units=units), Params()).data
    assert data.units_in(2022)["invited"].isna().all()


def test_a_formula_without_a_stored_result_is_listed_not_read_as_empty(tmp_path):
    # openpyxl (like many scripts) writes formulas without calculating them; read
    # for its value, such a cell is empty - an answer would be silently lost
    directory = write_inputs(tmp_path, fmt="xlsx")
    workbook = openpyxl.load_workbook(directory / "responses.xlsx")
    workbook.worksheets[0]["G3"] = "=2+2"  # q01 of spreadsheet row 3
    workbook.save(directory / "responses.xlsx")
    [problem] = problems_of(directory)
    assert located([problem]) == [("responses.xlsx", 3, "q01", "=2+2")]
    assert "formula whose result was never calculated" in problem.expected


def test_a_formula_with_its_stored_result_is_read_as_that_value(tmp_path):
    # as Excel saves it: <f>2+2</f><v>4</v> - the stored result is the answer
    directory = write_inputs(tmp_path, fmt="xlsx")
    path = directory / "responses.xlsx"
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    start = sheet.index('<c r="G3"')
    end = sheet.index("</c>", start) + len("</c>")
    parts["xl/worksheets/sheet1.xml"] = (
        sheet[:start] + '<c r="G3"><f>2+2</f><v>4</v></c>' + sheet[end:]
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    data = read_input(directory, Params()).data
    assert data.responses.at[1, "q01"] == 4.0


def test_every_problem_of_units_is_listed_in_one_pass(tmp_path):
    # an empty unit name (a rule of units alone) and too few invited for S2's two respondents
    # (a rule against responses): both at once, not the second after the first is fixed
    units = replace_cell(replace_cell(UNITS, 7, "invited", "1"), 4, "unit_name", "")
    problems = problems_of(write_inputs(tmp_path, units=units))
    assert located(problems) == [
        ("units.csv", 4, "unit_name", ""),
        ("units.csv", 7, "invited", "1"),
    ]
    # an invited count that is not a number is listed once, by its own rule
    units = replace_cell(UNITS, 7, "invited", "fem")
    problems = problems_of(write_inputs(tmp_path / "again", units=units))
    assert located(problems) == [("units.csv", 7, "invited", "fem")]
