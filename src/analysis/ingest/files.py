"""Reading the input files as text: finding them, decoding CSV, naming the columns.

Ingestion is the only code that touches the user's files, and this is the
part that does: every cell is read as text (so a problem quotes the value
exactly as written) into a :class:`Table` indexed by spreadsheet row. Excel
workbooks are read by :mod:`analysis.ingest.excel`; nothing here checks
values (that is :mod:`analysis.ingest.validate`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from analysis.ingest.column_names import closest_column
from analysis.ingest.excel import read_xlsx
from analysis.ingest.problems import Problem, Unreadable

TABLES = ("questions", "units", "responses")
#: tables an input may have (contract §2, "Optional tables"): read when a file is there
OPTIONAL_TABLES = ("action_plans", "benchmarks")
FORMATS = ("csv", "xlsx")
_DELIMITERS = (",", ";", "\t")


@dataclass
class Table:
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

    def missing(
        self, required: Iterable[str], unknown: Iterable[str] | None = None
    ) -> list[Problem]:
        """A problem per required column the header lacks, naming the columns found and,
        among the ``unknown`` ones (by default those already set aside), the one that most
        likely stands for it."""
        problems = []
        found = list(self.display.values())
        if unknown is None:
            unknown = [c for c in self.display if c not in self.frame.columns]
        unknown = list(unknown)
        for column in required:
            if column in self.frame.columns:
                continue
            guess = next(
                (self.display[k] for k in unknown if closest_column(k, [column]) == column),
                None,
            )
            hint = f"; {guess} looks like it: rename it {column}" if guess else ""
            expected = (
                f"a column named {column} (required); the header has {', '.join(found)}{hint}"
            )
            problems.append(Problem(self.file, None, column, None, expected))
        return problems

    def no_rows(self, what: str) -> list[Problem]:
        if len(self.frame):
            return []
        return [Problem(self.file, None, None, None, f"at least one {what} below the header row")]


# --------------------------------------------------------------------------- reading


def locate(input_dir: Path) -> tuple[dict[str, Path], list[Problem]]:
    """Find ``NAME.csv`` or ``NAME.xlsx`` for each table, ignoring case (an optional table
    only when there)."""
    if not input_dir.is_dir():
        expected = "a directory holding questions, units and responses; it does not exist"
        return {}, [Problem(str(input_dir), None, None, None, expected)]
    entries = sorted(p for p in input_dir.iterdir() if p.is_file())
    located: dict[str, Path] = {}
    problems = []
    for name in (*TABLES, *OPTIONAL_TABLES):
        wanted = {f"{name}.{ext}" for ext in FORMATS}
        found = [p for p in entries if p.name.casefold() in wanted]
        if len(found) == 1:
            located[name] = found[0]
        elif found:
            names = " and ".join(p.name for p in found)
            expected = f"one file for the table {name}, found {names}: keep only one"
            problems.append(Problem(name, None, None, None, expected))
        elif name in OPTIONAL_TABLES:
            near = [p.name for p in entries if p.stem.casefold() == name]
            if near:  # action_plans.txt: meant as the table, but it would be skipped
                expected = (
                    f"the optional table {name} as {name}.csv or {name}.xlsx; found "
                    f"{', '.join(near)}: save it as .csv (UTF-8) or .xlsx, or remove it"
                )
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
        raise Unreadable(
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
        raise Unreadable([Problem(file, None, None, None, expected)]) from error


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
        raise Unreadable(_csv_shape_problems(file, text, delimiter, error)) from error
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


def _label(file: str, cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Split header from body, normalise names, drop fully empty rows.

    Returns (stripped frame, raw frame, display names); both frames are indexed
    by spreadsheet row number.
    """
    if cells.empty:
        raise Unreadable([Problem(file, None, None, None, "a header row (the file is empty)")])
    cells.index = pd.RangeIndex(1, len(cells) + 1)
    header = [str(h).strip() for h in cells.iloc[0]]
    body = cells.iloc[1:]
    if not any(header):
        raise Unreadable([Problem(file, 1, None, None, "the column names in row 1")])
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
        raise Unreadable(problems)
    keep = [where[0] for where in positions.values()]
    raw = body[keep].set_axis(list(positions), axis=1)
    frame = pd.DataFrame({name: raw[name].str.strip() for name in raw.columns})
    filled_rows = (frame != "").any(axis=1)
    display = {name: header[where[0]] for name, where in positions.items()}
    if filled_rows.all():
        return frame, raw, display
    return frame[filled_rows], raw[filled_rows], display


def read_table(name: str, path: Path) -> Table:
    content = path.read_bytes()
    fmt = path.suffix.casefold().lstrip(".")
    reader = _read_csv if fmt == "csv" else read_xlsx
    cells, details = reader(path.name, content)
    frame, raw, display = _label(path.name, cells)
    return Table(name, path.name, fmt, details, content, frame, raw, display)
