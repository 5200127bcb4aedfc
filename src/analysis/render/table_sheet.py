"""An XlsxWriter worksheet for long plain tables: exact numbers, rows written in one piece.

XlsxWriter handles a cell in about five microseconds: a type dispatch, a
stored tuple, a bounds check and an escape per cell. The workbook's two data
sheets hold four million cells of a few types and few distinct strings, so
that path alone took three times as long as the whole hand-written writer it
replaced. ``TableSheet.write_table_row`` writes an unformatted row of
numbers, strings and blanks straight to XlsxWriter's row file, in the very
XML XlsxWriter writes for it (tests/test_workbook.py compares the two), and
leaves everything else — the package, styles, dimensions, the README sheet —
to XlsxWriter. It relies on XlsxWriter's ``constant_memory`` row file, which
is why the pin in requirements.txt is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xlsxwriter.utility import _preserve_whitespace, _utf16_len, xl_col_to_name
from xlsxwriter.worksheet import Worksheet


class TableSheet(Worksheet):
    """A worksheet that writes a number as ``repr`` and a plain row in one write.

    ``repr`` is the shortest text giving the same double; XlsxWriter's own
    ``%.16G`` is one digit short, and about one value in five of figures.csv
    would read back different from the file.
    """

    def __init__(self) -> None:
        super().__init__()
        #: a distinct string's cell XML after its reference (the columns repeat a few ids)
        self._string_cells: dict[str, str] = {}
        self._column_names: list[str] = []
        self._last_table_row = -1

    def _xml_number_element(
        self, number: float, attributes: Sequence[tuple[str, Any]] = ()
    ) -> None:
        """The one element XlsxWriter writes numbers through (its ``worksheet_class`` hook)."""
        attr = "".join(f' {key}="{self._escape_attributes(value)}"' for key, value in attributes)
        self.fh.write(f"<c{attr}><v>{number!r}</v></c>")

    def _string_cell(self, text: str) -> str:
        """A string cell's XML after ``<c r="…"``, as XlsxWriter writes an inline string."""
        cell = self._string_cells.get(text)
        if cell is None:
            escaped = self._escape_data(self._escape_control_characters(text))
            space = ' xml:space="preserve"' if _preserve_whitespace(escaped) else ""
            cell = f' t="inlineStr"><is><t{space}>{escaped}</t></is></c>'
            self._string_cells[text] = cell
        return cell

    def write_table_row(self, row: int, values: Sequence[str | int | float | None]) -> int:
        """Write ``values`` from column A of ``row`` (None stays empty); 0 or an error code.

        Only for unformatted rows written in order in ``constant_memory`` mode,
        which is how the workbook writes its data sheets; anything else is
        refused rather than written differently from XlsxWriter.
        """
        in_order = row > self._last_table_row and row >= self.previous_row
        if not self.constant_memory or not in_order or self.table.get(row):
            raise ValueError("write_table_row needs constant_memory, rows in order, fresh rows")
        if row > self.previous_row:
            self._write_single_row(row)  # a row written cell by cell before this one
        self._last_table_row = row
        while len(self._column_names) < len(values):
            self._column_names.append(xl_col_to_name(len(self._column_names)))
        number = row + 1
        cells = []
        first = last = None
        for col, value in enumerate(values):
            if value is None:
                continue
            if last is None:
                first = col
            last = col
            reference = f'<c r="{self._column_names[col]}{number}"'
            if value.__class__ is str:
                if len(value) > self.xls_strmax // 2 and _utf16_len(value) > self.xls_strmax:
                    return -2
                cells.append(reference + self._string_cell(value))
            else:
                cells.append(f"{reference}><v>{value!r}</v></c>")
        if first is None:
            return 0
        if self._check_dimensions(row, first) or self._check_dimensions(row, last):
            return -1
        self.fh.write(f'<row r="{number}">{"".join(cells)}</row>')
        return 0
