"""The analysts' workbook (analysis.render.workbook): the CSVs' cells exactly, the same bytes.

The sheets are written by XlsxWriter through ``TableSheet`` (numbers as ``repr``,
a plain row in one write); these tests hold it to what the hand-written writer
before it guaranteed — every value equal to the CSV's, empty where the CSV is
empty, strings as strings — and its rows to the XML XlsxWriter writes itself.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import report_fixture as rf
import xlsxwriter

from analysis.core.contract import FIGURES_CSV_COLUMNS
from analysis.core.figures_io import read_figures_csv, write_figures_csv
from analysis.core.provenance import collect_provenance
from analysis.render.errors import RenderError
from analysis.render.table_sheet import TableSheet
from analysis.render.workbook import workbook_bytes
from analysis.report.processed import ProcessedYear, load_processed_year

#: doubles that need all 17 significant digits (``%.16G`` would change them)
EXACT = [0.1 + 0.2, 1 / 3, 79.29397285234924, -0.40572370363216237, 2.0**-30]
#: strings a spreadsheet writer likes to turn into something else
TRICKY = ["=1+1", "http://example.org/x", " padded ", "0042", "1e5"]


def _year(tmp_path: Path) -> tuple[ProcessedYear, dict]:
    data = load_processed_year(rf.write_fixture(tmp_path / "2023"))
    return data, collect_provenance(data, rf.fixture_params())


def _with_figures(data: ProcessedYear, change) -> ProcessedYear:
    figures = data.figures.copy()
    change(figures)
    return rf.variant(data, figures=figures)


def _tricky_figures(data: ProcessedYear) -> ProcessedYear:
    """The fixture with full-precision values, an empty change and odd strings in ``group``."""

    def change(figures: pd.DataFrame) -> None:
        rows = figures.index[: len(EXACT)]
        figures.loc[rows, "value"] = EXACT
        figures.loc[rows, "change"] = [math.nan, *EXACT[:-1]]
        figures.loc[figures.index[: len(TRICKY)], "group"] = TRICKY

    return _with_figures(data, change)


def _sheet(content: bytes, name: str) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return list(book[name].iter_rows(values_only=True))


def test_figures_sheet_is_figures_csv_cell_for_cell(tmp_path: Path) -> None:
    data, provenance = _year(tmp_path)
    data = _tricky_figures(data)
    csv = tmp_path / "figures.csv"
    write_figures_csv(data.figures.sort_index(kind="stable"), csv)
    expected = [
        tuple(None if pd.isna(v) or v == "" else v for v in row)
        for row in read_figures_csv(csv).itertuples(index=False, name=None)
    ]
    rows = _sheet(workbook_bytes(data, provenance), "figurer")
    assert list(rows[0]) == [*FIGURES_CSV_COLUMNS, "unit_name"]
    got = [row[: len(FIGURES_CSV_COLUMNS)] for row in rows[1:]]
    assert got == expected  # same order, floats bit for bit, empties empty
    values = [row[5] for row in got[: len(EXACT)]]
    assert [v.hex() for v in values] == [v.hex() for v in EXACT]
    assert got[0][6] is None  # an empty change is an empty cell, not 0 and not ""
    assert [row[2] for row in got[: len(TRICKY)]] == TRICKY  # strings stay strings
    assert all(isinstance(row[0], int) and isinstance(row[1], str) for row in got)


def test_the_same_tables_give_the_same_bytes(tmp_path: Path) -> None:
    data, provenance = _year(tmp_path)
    data = _tricky_figures(data)
    first, second = workbook_bytes(data, provenance), workbook_bytes(data, provenance)
    assert first == second
    book = openpyxl.load_workbook(io.BytesIO(first))
    assert book.sheetnames == ["README", "figurer", "drivkrafter"]
    assert book.properties.created == book.properties.modified == dt.datetime(2000, 1, 1)
    assert book.properties.creator == "medarbetarenkat-analysis"


def test_a_string_longer_than_a_cell_stops_the_workbook(tmp_path: Path) -> None:
    """XlsxWriter would cut it to 32,767 characters and carry on."""
    data, provenance = _year(tmp_path)
    long = _with_figures(data, lambda f: f.__setitem__("group", "x" * 40_000))
    with pytest.raises(RenderError, match=r"'figurer', row 2: XlsxWriter refused it"):
        workbook_bytes(long, provenance)


def test_a_control_character_stops_the_workbook(tmp_path: Path) -> None:
    """An .xlsx cannot store it; XlsxWriter would write an escape code instead."""
    data, provenance = _year(tmp_path)
    bell = _with_figures(data, lambda f: f.__setitem__("group", "all\x07"))
    with pytest.raises(RenderError, match=r"'figurer', row 2: 'all\\x07' holds a control"):
        workbook_bytes(bell, provenance)


def _book_bytes(rows: list[list], write) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    book.set_properties({"created": dt.datetime(2000, 1, 1)})
    sheet = book.add_worksheet("t", worksheet_class=TableSheet)
    for number, values in enumerate(rows):
        assert write(sheet, number, values) == 0
    book.close()
    return out.getvalue()


def test_a_table_row_is_the_xml_xlsxwriter_writes_cell_by_cell() -> None:
    """The one-piece row writer is a shortcut, not a second dialect of the format.

    Rows with blanks at either end, an empty row, escapes (``&``, ``<``, a
    literal ``_x0041_`` that Excel would decode), whitespace to preserve,
    non-ASCII, ints, full-precision doubles and more than 26 columns.
    """
    rows = [
        ["unit_id", "group", "value", *[f"c{i}" for i in range(30)]],
        [None, "a & b <c>", 0.1 + 0.2, 7, "_x0041_", " lead", "trail ", "Lön, åäö"],
        [],
        ["x", None, -(2.0**-30), None, *range(28), "end"],
        [None, None, 1 / 3],
    ]
    cell_by_cell = _book_bytes(
        rows, lambda sheet, number, values: sheet.write_row(number, 0, values)
    )
    one_piece = _book_bytes(
        rows, lambda sheet, number, values: sheet.write_table_row(number, values)
    )
    assert one_piece == cell_by_cell
    # (openpyxl does not undo Excel's escape of a literal "_x0041_", so that cell is left out)
    read_back = _sheet(one_piece, "t")[1][:8]
    assert read_back[:4] + read_back[5:] == (
        None,
        "a & b <c>",
        0.1 + 0.2,
        7,
        " lead",
        "trail ",
        "Lön, åäö",
    )


def test_a_table_row_refuses_rows_out_of_order() -> None:
    """XlsxWriter's row file is append-only: a row written twice or backwards would corrupt it."""
    book = xlsxwriter.Workbook(io.BytesIO(), {"constant_memory": True})
    sheet = book.add_worksheet("t", worksheet_class=TableSheet)
    sheet.write_table_row(3, ["a"])
    for row in (3, 2):
        with pytest.raises(ValueError, match="rows in order"):
            sheet.write_table_row(row, ["b"])
    book.close()
