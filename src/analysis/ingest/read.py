"""Reading the three input tables to the contract (§2), validating, quarantining.

Ingestion is the only code that touches the user's files. It reads every cell
as text (so a problem quotes the value exactly as written), matches file and
column names ignoring case and surrounding spaces, validates with the pandera
schemas of :mod:`analysis.ingest.schemas`, and hands back one tidy
:class:`~analysis.core.dataset.SurveyData` whatever the input looked like (CSV with
comma or semicolon, with or without BOM, or an Excel workbook).

Bad input: every problem of all three files is collected before anything is
decided, so the analyst fixes the input in one round. In strict mode
(``input.on_invalid: fail``) any problem stops the run. In quarantine mode
only *rows of responses* can be set aside; a broken catalogue or
organisation tree, a missing or unknown column, or an unreadable file still
stops the run, because such a table cannot be partly right.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from analysis.core.dataset import BACKGROUND, RESPONSE_KEYS, SurveyData
from analysis.core.errors import UserError
from analysis.core.params import Params
from analysis.core.publish import publication
from analysis.ingest.schemas import (
    DIMENSION_BY_FOLDED,
    LEADERSHIP_TRUE,
    QUESTION_COLUMNS,
    QUESTION_OPTIONAL,
    UNIT_COLUMNS,
    UNIT_OPTIONAL,
    collect_failures,
    integer_values,
    questions_schema,
    responses_schema,
    units_schema,
    year_unit_keys,
    years_without_root,
)

TABLES = ("questions", "units", "responses")
FORMATS = ("csv", "xlsx")
REJECT_COLUMNS = ("file", "row", "column", "value", "reason", "row_values")
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as a spreadsheet shows it.

    ``row`` is the spreadsheet row (header = 1, first data row = 2), None for
    a problem of the whole file or of a whole column.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        if self.value is None:
            return f"{where}: expected {self.expected}"
        return f"{where}: value '{self.value}' — expected {self.expected}"


class InputError(UserError, ValueError):
    """The input does not follow the contract; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[Problem], note: str = "") -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"{count} problem{'' if count == 1 else 's'} in the input:"]
        lines += [f"  {problem}" for problem in self.problems]
        if note:
            lines.append(note)
        super().__init__("\n".join(lines))


@dataclass
class IngestResult:
    """What ingestion hands on: the data, the rejected rows, and the bookkeeping."""

    data: SurveyData
    rejects: pd.DataFrame
    summary: dict[str, Any]


@dataclass
class _Table:
    """One input file read as text: ``frame`` stripped, ``raw`` as written.

    Both are indexed by spreadsheet row number, with normalised column names;
    ``display`` maps those back to the header as written.
    """

    name: str
    file: str
    format: str
    details: dict[str, str]
    content: bytes
    frame: pd.DataFrame
    raw: pd.DataFrame
    display: dict[str, str]
    ignored: list[str] = field(default_factory=list)

    def rename(self, mapping: dict[str, str]) -> None:
        self.frame = self.frame.rename(columns=mapping)
        self.raw = self.raw.rename(columns=mapping)
        self.display = {mapping.get(k, k): v for k, v in self.display.items()}

    def problems_from(self, failures: pd.DataFrame) -> list[Problem]:
        """Pandera failures as Problems, quoting each value exactly as written."""
        problems = []
        for column, group in failures.groupby("column", sort=False):
            written = self.raw[column].reindex(group["row"]).tolist()
            for row, value, expected in zip(group["row"], written, group["expected"], strict=True):
                problems.append(Problem(self.file, int(row), self.display[column], value, expected))
        return problems

    def sort(self, problems: list[Problem]) -> list[Problem]:
        position = {name: i for i, name in enumerate(self.display.values())}
        return sorted(problems, key=lambda p: (p.row or 0, position.get(p.column or "", -1)))

    def missing(self, required: Iterable[str]) -> list[Problem]:
        return [
            Problem(self.file, None, column, None, f"a column named {column} (required)")
            for column in required
            if column not in self.frame.columns
        ]

    def no_rows(self, what: str) -> list[Problem]:
        if len(self.frame):
            return []
        return [Problem(self.file, None, None, None, f"at least one {what} below the header row")]


class _Unreadable(Exception):
    """Internal: a file cannot be turned into a table; carries the reasons."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


# --------------------------------------------------------------------------- reading


def _locate(input_dir: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Find ``NAME.csv`` or ``NAME.xlsx`` for each table, ignoring case."""
    if not input_dir.is_dir():
        expected = "a directory holding questions, units and responses; it does not exist"
        return {}, [Problem(str(input_dir), None, None, None, expected)]
    entries = sorted(p for p in input_dir.iterdir() if p.is_file())
    located: dict[str, Path] = {}
    problems = []
    for name in TABLES:
        wanted = {f"{name}.{ext}" for ext in FORMATS}
        found = [p for p in entries if p.name.casefold() in wanted]
        if len(found) == 1:
            located[name] = found[0]
        elif found:
            names = " and ".join(p.name for p in found)
            expected = f"one file for the table {name}, found {names}: keep only one"
            problems.append(Problem(name, None, None, None, expected))
        else:
            near = [p.name for p in entries if p.stem.casefold() == name]
            hint = f"; found {', '.join(near)}: save it as .csv (UTF-8) or .xlsx" if near else ""
            expected = f"a file {name}.csv or {name}.xlsx in {input_dir} (none found{hint})"
            problems.append(Problem(name, None, None, None, expected))
    return located, problems


def _decode(file: str, content: bytes) -> str:
    """The file as text, or a problem that says how to re-save it as UTF-8."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Unreadable(
            [
                Problem(
                    file,
                    None,
                    None,
                    None,
                    "UTF-8 text, but the file is UTF-16 (Excel's 'Unicode text'): "
                    "save it as 'CSV UTF-8 (kommaavgränsad)'",
                )
            ]
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        byte = content[error.start]
        line = content.count(b"\n", 0, error.start) + 1
        as_cp1252 = bytes([byte]).decode("cp1252", errors="replace")
        expected = (
            f"UTF-8 text, but byte 0x{byte:02X} at offset {error.start} (line {line}) is not "
            f"UTF-8 (in Windows-1252 it is '{as_cp1252}'): the file was probably saved as "
            "Excel's 'CSV (semikolonavgränsad)'; save it as 'CSV UTF-8 (kommaavgränsad)'"
        )
        raise _Unreadable([Problem(file, None, None, None, expected)]) from error


def _sniff_delimiter(header: str) -> str:
    """The delimiter used most often outside quotes in the header line (ties: comma)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return max(_DELIMITERS, key=lambda d: counts[d])


def _read_csv(file: str, content: bytes) -> tuple[pd.DataFrame, dict[str, str]]:
    text = _decode(file, content)
    end = text.find("\n")
    delimiter = _sniff_delimiter(text if end < 0 else text[:end])
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            quotechar='"',
        )
    except pd.errors.EmptyDataError:
        cells = pd.DataFrame()
    except pd.errors.ParserError as error:
        raise _Unreadable(_csv_shape_problems(file, text, delimiter, error)) from error
    return cells.fillna(""), {"delimiter": delimiter}


def _csv_shape_problems(file: str, text: str, delimiter: str, error: Exception) -> list[Problem]:
    """Name every record with more fields than the header (pandas names only one)."""
    problems = []
    width = None
    for number, record in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
        if width is None:
            width = len(record)
        elif len(record) > width:
            expected = (
                f"at most {width} values like the header row, found {len(record)} "
                f"(a stray '{delimiter}' or a value with an unquoted '{delimiter}'?)"
            )
            problems.append(Problem(file, number, None, None, expected))
    if not problems:
        problems = _unclosed_quote(file, text, delimiter)
    if not problems:
        problems.append(Problem(file, None, None, None, f"a well-formed CSV file ({error})"))
    return problems


def _unclosed_quote(file: str, text: str, delimiter: str) -> list[Problem]:
    """The row whose quoted value runs to the end of the file, if there is one.

    pandas says "EOF inside string starting at row N" with N counted from 0 in
    lines, not the spreadsheet row the analyst must open.
    """
    complete_rows = 0
    try:
        for _ in csv.reader(io.StringIO(text), delimiter=delimiter, strict=True):
            complete_rows += 1
    except csv.Error as error:
        if "unexpected end of data" not in str(error):  # CPython's words for EOF in quotes
            return []
        expected = (
            "a closing '\"' for the value whose quote opens in this row: the quote is never "
            "closed, so the rest of the file would be read as one value"
        )
        return [Problem(file, complete_rows + 1, None, None, expected)]
    return []


def _cell_text(value: object) -> str:
    """An Excel cell as the text a CSV export would hold (4.0 → '4')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _read_xlsx(file: str, content: bytes) -> tuple[pd.DataFrame, dict[str, str]]:
    try:
        values, title, part = _first_sheet_values(content)
        uncalculated = _uncalculated_formulas(file, content, part, values)
    except Exception as error:
        # openpyxl parses the user's bytes lazily (read-only mode streams the sheet),
        # so a damaged workbook fails at load *or* while its rows are read, with
        # whatever its zip, zlib or XML layer raises: BadZipFile, zlib.error,
        # EOFError, ParseError, and ValueError/TypeError/IndexError from a garbled
        # part. Each means "this file cannot be read"; the original error is named
        # in the problem and chained, never dropped.
        kind = type(error)
        name = (
            kind.__qualname__
            if kind.__module__ == "builtins"
            else f"{kind.__module__}.{kind.__qualname__}"
        )
        expected = f"an Excel workbook (.xlsx) that opens ({name}: {error})"
        raise _Unreadable([Problem(file, None, None, None, expected)]) from error
    if uncalculated:
        raise _Unreadable(uncalculated)
    rows = [[_cell_text(v) for v in row] for row in values]
    width = max((len(row) for row in rows), default=0)
    padded = [row + [""] * (width - len(row)) for row in rows]
    return pd.DataFrame(padded, columns=range(width), dtype=str), {"sheet": title}


def _uncalculated_formulas(
    file: str, content: bytes, part: str | None, values: list[tuple[object, ...]]
) -> list[Problem]:
    """Formula cells without a stored result, each as a problem.

    Excel stores a formula's last result beside it, and that is what is read.
    A workbook written by a program that does not calculate (a script, some
    exports) stores none, and the cell would silently read as empty - an
    answer lost. ``part`` is the sheet's file in the workbook (None: look in
    every sheet); only a workbook with formulas at all is read a second time.
    """
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = (
            [part] if part else [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        )
        if not any(re.search(rb"<(?:\w+:)?f[ >/]", archive.read(p)) for p in parts):
            return []
    formulas, _, _ = _first_sheet_values(content, data_only=False)
    header = [_cell_text(v).strip() for v in (values[0] if values else ())]
    problems = []
    for number, (row, written) in enumerate(zip(values, formulas, strict=False), start=1):
        for position, (value, formula) in enumerate(zip(row, written, strict=False)):
            if value is None and isinstance(formula, str) and formula.startswith("="):
                name = header[position] if position < len(header) and header[position] else None
                column = name or get_column_letter(position + 1)
                expected = (
                    "a value, but the cell holds a formula whose result was never calculated "
                    "(open the file in Excel and save it, or paste the values)"
                )
                problems.append(Problem(file, number, column, formula, expected))
    return problems


def _first_sheet_values(
    content: bytes, data_only: bool = True
) -> tuple[list[tuple[object, ...]], str, str | None]:
    """Every row of the workbook's first sheet as openpyxl gives it, its title and its part.

    ``data_only``: a formula cell's stored result (True) or the formula (False).
    """
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store wrong dimensions; read every row
        # the sheet's XML in the zip: openpyxl has no public accessor, so a
        # version without this attribute makes the formula check look at every sheet
        part = getattr(sheet, "_worksheet_path", None)
        return list(sheet.iter_rows(values_only=True)), sheet.title, part
    finally:
        workbook.close()


def _label(file: str, cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Split header from body, normalise names, drop fully empty rows.

    Returns (stripped frame, raw frame, display names); both frames are indexed
    by spreadsheet row number.
    """
    if cells.empty:
        raise _Unreadable([Problem(file, None, None, None, "a header row (the file is empty)")])
    cells.index = pd.RangeIndex(1, len(cells) + 1)
    header = [str(h).strip() for h in cells.iloc[0]]
    body = cells.iloc[1:]
    if not any(header):
        raise _Unreadable([Problem(file, 1, None, None, "the column names in row 1")])
    problems = []
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(header):
        if name:
            positions.setdefault(name.casefold(), []).append(position)
        else:
            filled = body.index[body[position].str.strip() != ""]
            if len(filled):
                expected = f"a column name above the values (e.g. row {filled[0]})"
                problems.append(Problem(file, 1, get_column_letter(position + 1), None, expected))
    for where in positions.values():
        if len(where) > 1:
            letters = " and ".join(get_column_letter(p + 1) for p in where)
            expected = (
                f"each column name once (matched ignoring case and surrounding spaces); "
                f"'{header[where[0]]}' heads columns {letters}"
            )
            problems.append(Problem(file, 1, header[where[0]], None, expected))
    if problems:
        raise _Unreadable(problems)
    keep = [where[0] for where in positions.values()]
    raw = body[keep].set_axis(list(positions), axis=1)
    frame = pd.DataFrame({name: raw[name].str.strip() for name in raw.columns})
    filled_rows = (frame != "").any(axis=1)
    display = {name: header[where[0]] for name, where in positions.items()}
    if filled_rows.all():
        return frame, raw, display
    return frame[filled_rows], raw[filled_rows], display


def _read_table(name: str, path: Path) -> _Table:
    content = path.read_bytes()
    fmt = path.suffix.casefold().lstrip(".")
    reader = _read_csv if fmt == "csv" else _read_xlsx
    cells, details = reader(path.name, content)
    frame, raw, display = _label(path.name, cells)
    return _Table(name, path.name, fmt, details, content, frame, raw, display)


# --------------------------------------------------------------------------- validating


def _known_columns(table: _Table, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    """Keep the contract's columns; remember the others (listed in the summary)."""
    known = [c for c in table.frame.columns if c in (*required, *optional)]
    table.ignored = [table.display[c] for c in table.frame.columns if c not in known]
    table.frame, table.raw = table.frame[known], table.raw[known]


@dataclass
class _Catalogue:
    questions: pd.DataFrame | None  # None when the table has problems
    canonical: dict[str, str]  # folded id → id as in the catalogue (best effort)
    problems: list[Problem]


def _check_questions(table: _Table) -> _Catalogue:
    _known_columns(table, QUESTION_COLUMNS, QUESTION_OPTIONAL)
    structural = table.missing(QUESTION_COLUMNS) + table.no_rows("question")
    if structural:
        return _Catalogue(None, {}, structural)
    frame = table.frame
    failures = collect_failures(questions_schema(frame), frame)
    problems = table.sort(table.problems_from(failures))
    canonical: dict[str, str] = {}
    for question_id in frame["question_id"]:
        if question_id:
            canonical.setdefault(question_id.casefold(), question_id)
    if problems:
        return _Catalogue(None, canonical, problems)
    replaces = frame["replaces"] if "replaces" in frame.columns else pd.Series("", frame.index)
    questions = pd.DataFrame(
        {
            "question_id": frame["question_id"],
            "text": frame["text"],
            "area": frame["area"],
            "ami_dimension": frame["ami_dimension"].str.casefold().map(DIMENSION_BY_FOLDED),
            "leadership": frame["leadership"].str.casefold().isin(LEADERSHIP_TRUE),
            # the catalogue's spelling of a listed old wording; as written otherwise
            "replaces": replaces.str.casefold().map(canonical).fillna(replaces),
        }
    )
    questions = questions.fillna({"ami_dimension": "", "replaces": ""})
    return _Catalogue(_as_text(questions), canonical, [])


@dataclass
class _Organisation:
    units: pd.DataFrame | None  # None when the table has problems
    keys: frozenset[str] | None  # (year, unit_id) keys, None when unreadable
    years: frozenset[int] | None
    problems: list[Problem]


def _check_units(table: _Table) -> _Organisation:
    _known_columns(table, UNIT_COLUMNS, UNIT_OPTIONAL)
    structural = table.missing(UNIT_COLUMNS) + table.no_rows("unit")
    if structural:
        return _Organisation(None, None, None, structural)
    frame = table.frame
    failures = collect_failures(units_schema(frame), frame)
    problems = table.problems_from(failures)
    for year in years_without_root(frame):
        expected = f"one root unit (empty parent_id) in year {year}, found none"
        problems.append(Problem(table.file, None, table.display["parent_id"], None, expected))
    years = integer_values(frame["year"])
    valid = years.notna()
    keys = frozenset(year_unit_keys(years[valid], frame["unit_id"][valid]))
    unit_years = frozenset(int(y) for y in years[valid].unique())
    if problems:
        return _Organisation(None, keys, unit_years, table.sort(problems))
    manager = frame["manager_id"] if "manager_id" in frame.columns else pd.Series("", frame.index)
    units = pd.DataFrame(
        {
            "year": years.astype("int64"),
            "unit_id": frame["unit_id"],
            "unit_name": frame["unit_name"],
            "parent_id": frame["parent_id"],
            "unit_type": frame["unit_type"],
            "invited": integer_values(frame["invited"]).astype("Int64"),
            "manager_id": manager,
        }
    )
    return _Organisation(_as_text(units), keys, unit_years, [])


def _check_responses(
    table: _Table,
    catalogue: _Catalogue | None,
    organisation: _Organisation | None,
    params: Params,
    files: dict[str, str],
) -> tuple[list[Problem], list[Problem]]:
    """(structural problems, row problems) of responses; renames question columns."""
    structural = table.missing(RESPONSE_KEYS)
    rename: dict[str, str] = {}
    if catalogue is not None and catalogue.canonical:
        for column in table.frame.columns:
            if column in RESPONSE_KEYS:
                continue
            if column in catalogue.canonical:
                rename[column] = catalogue.canonical[column]
            else:
                written = table.display[column]
                expected = (
                    f"a question_id of {files['questions']} or one of the fixed columns "
                    f"({', '.join(RESPONSE_KEYS)}); no question has this id, and a misspelt "
                    "question column would silently drop the question"
                )
                structural.append(Problem(table.file, 1, written, written, expected))
    table.rename(rename)
    if table.no_rows("response row"):
        return table.sort(structural + table.no_rows("response row")), []
    survey = params.survey
    schema = responses_schema(
        table.frame,
        rename.values(),
        scale_min=survey.scale_min,
        scale_max=survey.scale_max,
        dont_know=survey.dont_know,
        unit_keys=organisation.keys if organisation else None,
        unit_years=organisation.years if organisation else None,
        units_file=files.get("units", "units"),
    )
    failures = collect_failures(schema, table.frame)
    return table.sort(structural), table.sort(table.problems_from(failures))


def _invited_problems(units: _Table, responses: pd.DataFrame, responses_file: str) -> list[Problem]:
    """Units whose ``invited`` cannot be the denominator of their respondents.

    Contract §2: ``invited`` sits on every unit that respondents belong to.
    An empty one would let its respondents inflate every response rate above
    it, and fewer invited than respondents would publish a rate over 100 %.
    A year where no unit has ``invited`` at all is allowed: it simply has no
    response rates. ``responses`` holds the rows that will be used.
    """
    frame = units.frame
    years = integer_values(frame["year"])
    invited = integer_values(frame["invited"])
    counts = (
        pd.DataFrame({"year": integer_values(responses["year"]), "unit_id": responses["unit_id"]})
        .value_counts()
        .to_dict()
    )
    years_with_invited = set(years[invited.notna()])
    problems = []
    for row, year, unit_id, value in zip(
        frame.index, years, frame["unit_id"], invited, strict=True
    ):
        answered = counts.get((year, unit_id), 0)
        if not answered or year not in years_with_invited:
            continue
        if pd.isna(value):
            expected = (
                f"the number of employees invited: {answered} respondent(s) of {int(year)} in "
                f"{responses_file} belong to this unit, and response rates need it"
            )
        elif value < answered:
            expected = (
                f"at least {answered}: that many respondents of {int(year)} in "
                f"{responses_file} belong to this unit (a response rate over 100 %)"
            )
        else:
            continue
        written = units.raw.at[row, "invited"]
        problems.append(Problem(units.file, int(row), units.display["invited"], written, expected))
    return problems


# --------------------------------------------------------------------------- coding


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The same frame with every object/string column as pandas' string dtype."""
    out = frame.reset_index(drop=True)
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].astype(str)
    return out


def _code_responses(
    frame: pd.DataFrame, question_ids: list[str], params: Params
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Answers as float64 (NaN for empty and don't-know) and the asked table."""
    survey = params.survey
    years = integer_values(frame["year"]).astype("int64")
    coded: dict[str, pd.Series] = {"year": years}
    coded.update({key: frame[key] for key in ("respondent_id", "unit_id", *BACKGROUND)})
    present = [q for q in question_ids if q in frame.columns]
    for question in question_ids:
        if question in present:
            values = integer_values(frame[question])
            coded[question] = values.where(values.between(survey.scale_min, survey.scale_max))
        else:
            coded[question] = pd.Series(float("nan"), index=frame.index, dtype="float64")
    responses = _as_text(pd.DataFrame(coded))
    answered = (frame[present] != "").groupby(years).any()
    asked = [
        (int(year), question)
        for year in sorted(answered.index)
        for question in present
        if answered.at[year, question]
    ]
    asked_frame = pd.DataFrame(
        {
            "year": pd.Series([y for y, _ in asked], dtype="int64"),
            "question_id": pd.Series([q for _, q in asked], dtype=str),
        }
    )
    return responses, asked_frame


def _rejects(table: _Table, problems: list[Problem]) -> pd.DataFrame:
    """One line per problem of a rejected row, with the whole row as written (JSON)."""
    rows = sorted({p.row for p in problems if p.row is not None})
    written = table.raw.loc[rows].rename(columns=table.display)
    as_json = {
        row: json.dumps(values, ensure_ascii=False)
        for row, values in zip(rows, written.to_dict("records"), strict=True)
    }
    return pd.DataFrame(
        {
            "file": pd.Series([p.file for p in problems], dtype=str),
            "row": pd.Series([p.row for p in problems], dtype="int64"),
            "column": pd.Series([p.column for p in problems], dtype=str),
            "value": pd.Series([p.value for p in problems], dtype=str),
            "reason": pd.Series([f"expected {p.expected}" for p in problems], dtype=str),
            "row_values": pd.Series([as_json[p.row] for p in problems], dtype=str),
        },
        columns=list(REJECT_COLUMNS),
    )


def _input_hash(tables: dict[str, _Table]) -> str:
    """SHA-256 over the three files' bytes in table order, each framed by name and size."""
    digest = hashlib.sha256()
    for name in TABLES:
        content = tables[name].content
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


# --------------------------------------------------------------------------- entry points


def read_input(input_dir: str | Path, params: Params) -> IngestResult:
    """Read and validate ``input_dir``; raise InputError listing every problem.

    In quarantine mode rows of responses with problems are set aside (returned
    in ``rejects``) and the rest go on; every other problem still raises.
    """
    input_dir = Path(input_dir)
    located, problems = _locate(input_dir)
    tables: dict[str, _Table] = {}
    per_table: dict[str, list[Problem]] = {name: [] for name in TABLES}
    for name, path in located.items():
        try:
            tables[name] = _read_table(name, path)
        except _Unreadable as unreadable:
            per_table[name] = unreadable.problems
    files = {name: table.file for name, table in tables.items()}

    catalogue = _check_questions(tables["questions"]) if "questions" in tables else None
    organisation = _check_units(tables["units"]) if "units" in tables else None
    row_problems: list[Problem] = []
    if catalogue is not None:
        per_table["questions"] = catalogue.problems
    if organisation is not None:
        per_table["units"] = organisation.problems
    if "responses" in tables:
        per_table["responses"], row_problems = _check_responses(
            tables["responses"], catalogue, organisation, params, files
        )
    if organisation is not None and organisation.units is not None and "responses" in tables:
        responding = tables["responses"]
        if not per_table["responses"] and set(RESPONSE_KEYS) <= set(responding.frame.columns):
            rejected = {p.row for p in row_problems}
            per_table["units"] = _invited_problems(
                tables["units"], responding.frame.drop(index=sorted(rejected)), files["responses"]
            )
    fatal = problems + [p for name in TABLES for p in per_table[name]]
    quarantine = params.input.on_invalid == "quarantine"
    if fatal:
        note = (
            "input.on_invalid: quarantine sets aside bad rows of responses only; problems "
            "of files, columns, questions or units must be fixed in the input."
            if quarantine
            else ""
        )
        raise InputError(fatal + row_problems, note)
    if row_problems and not quarantine:
        note = "(input.on_invalid: quarantine would set these rows of responses aside and go on)"
        raise InputError(row_problems, note)
    assert catalogue is not None and catalogue.questions is not None  # no fatal problems
    assert organisation is not None and organisation.units is not None

    responses_table = tables["responses"]
    rejected_rows = sorted({p.row for p in row_problems if p.row is not None})
    frame = responses_table.frame
    kept = frame.drop(index=rejected_rows) if rejected_rows else frame
    rows_in = len(frame)
    if rows_in != len(kept) + len(rejected_rows):
        raise RuntimeError("rows in != rows used + rows rejected (a bug in ingest)")
    if kept.empty:
        raise InputError([*row_problems, _nothing_left(responses_table, rows_in)])
    question_ids = list(catalogue.questions["question_id"])
    responses, asked = _code_responses(kept, question_ids, params)
    data = SurveyData(catalogue.questions, organisation.units, responses, asked)
    summary = _summary(tables, len(kept), len(rejected_rows), data, params)
    return IngestResult(data, _rejects(responses_table, row_problems), summary)


def _nothing_left(table: _Table, rows_in: int) -> Problem:
    """Quarantine must not turn a wholly broken responses file into an empty survey."""
    expected = (
        f"at least one valid response row, but all {rows_in} were rejected: no valid "
        "response rows left after quarantine (fix the rows listed above)"
    )
    return Problem(table.file, None, None, None, expected)


def _summary(
    tables: dict[str, _Table], used: int, rejected: int, data: SurveyData, params: Params
) -> dict[str, Any]:
    per_table = {}
    for name in TABLES:
        table = tables[name]
        rows_in = len(table.frame)
        is_responses = name == "responses"
        per_table[name] = {
            "file": table.file,
            "format": table.format,
            **table.details,
            "sha256": hashlib.sha256(table.content).hexdigest(),
            "rows_in": rows_in,
            "rows_used": used if is_responses else rows_in,
            "rows_rejected": rejected if is_responses else 0,
            "ignored_columns": table.ignored,
        }
    return {
        "input_sha256": _input_hash(tables),
        "on_invalid": params.input.on_invalid,
        "params": {"input": dataclasses.asdict(params.input)},
        "survey": {
            "scale_min": params.survey.scale_min,
            "scale_max": params.survey.scale_max,
            "dont_know": params.survey.dont_know,
        },
        "tables": per_table,
        "years": data.years,
        # old wordings named in `replaces` that the catalogue does not list
        "replaced_not_listed": sorted(
            set(data.questions["replaces"]) - set(data.questions["question_id"]) - {""}
        ),
    }


def write_outputs(result: IngestResult, directory: Path) -> None:
    """The ingest stage's files in ``directory`` (which must exist)."""
    result.data.save(directory)
    summary = json.dumps(result.summary, sort_keys=True, indent=2, ensure_ascii=False)
    (directory / "ingest_summary.json").write_text(summary + "\n", encoding="utf-8")
    result.rejects.to_csv(directory / "rejects.csv", index=False, lineterminator="\n")


def publish_directory(out_dir: Path, build: Callable[[Path], None]) -> None:
    """Build ``out_dir`` in a sibling staging directory, then swap it in whole.

    A build that fails leaves the previous ``out_dir`` exactly as it was; the
    whole directory belongs to the stage (no other files survive a swap).
    The swap is :func:`analysis.core.publish.publication`'s, without a manifest.
    """
    with publication(out_dir, manifest=False) as staging:
        build(staging)


def run_ingest(params: Params, out_dir: str | Path) -> IngestResult:
    """The ingest stage: read ``params.input.dir`` and publish the tidy tables.

    On InputError nothing is written and an earlier ``out_dir`` stays as it was.
    """
    result = read_input(params.input.dir, params)
    publish_directory(Path(out_dir), lambda staging: write_outputs(result, staging))
    return result
