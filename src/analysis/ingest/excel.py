"""Reading an Excel workbook's first sheet as the text a CSV export would hold.

Separate from the CSV reading because a workbook fails in its own ways
(a damaged zip, formulas whose result was never stored), each of which must
still be named as a problem of the file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from analysis.ingest.problems import Problem, Unreadable


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


def read_xlsx(file: str, content: bytes) -> tuple[pd.DataFrame, dict[str, str]]:
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
        raise Unreadable([Problem(file, None, None, None, expected)]) from error
    if uncalculated:
        raise Unreadable(uncalculated)
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
