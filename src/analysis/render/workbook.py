"""The analysts' workbook: the year's figures and drivers as an .xlsx, byte-stable.

Written with XlsxWriter in ``constant_memory`` mode: each row goes to disk as
soon as the next one starts, so the half million rows of the synthetic
default never sit in memory as cell objects, and every string is written
inline (no shared-string table to build). The document properties carry a
fixed time, and XlsxWriter gives the zip entries a fixed time of its own, so
the same tables give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tempfile
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from analysis.core.atomic import write_bytes_atomic
from analysis.core.contract import DRIVERS_CSV_COLUMNS, FIGURES_CSV_COLUMNS, MANAGER_PREFIX
from analysis.core.provenance import effective_params
from analysis.render.errors import RenderError
from analysis.render.table_sheet import TableSheet
from analysis.report.processed import ProcessedYear

FIGURE_SHEET_COLUMNS = FIGURES_CSV_COLUMNS
DRIVER_SHEET_COLUMNS = DRIVERS_CSV_COLUMNS
#: rows in one Excel worksheet, the header row included (Excel 2007 and later)
EXCEL_MAX_ROWS = 1_048_576
#: fixed document time of the workbook, so its bytes repeat
WORKBOOK_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)
AUTHOR = "medarbetarenkat-analysis"
#: control characters an .xlsx cannot hold (XML 1.0 forbids them)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: XlsxWriter would turn "=..." into formulas and "http://..." into links; a table's
#: strings stay strings
WRITER_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def _readme_rows(data: ProcessedYear, provenance: dict[str, Any]) -> list[list[Any]]:
    """The README sheet: what the sheets and columns mean, and where the numbers come from."""
    git = provenance.get("git", {})
    min_group_size = effective_params(provenance).privacy.min_group_size
    return [
        [f"Medarbetarenkät {data.year} – tabeller"],
        [],
        ["Blad", "Innehåll"],
        [
            "figurer",
            "Alla siffror som årets rapporter visar: samma rader i samma ordning som "
            "figures.csv, också tidigare års rader (kolumnen year), plus enhetens namn.",
        ],
        [
            "drivkrafter",
            "Drivkraftsanalysen per enhet: samma rader i samma ordning som drivers.csv.",
        ],
        [],
        ["Kolumn", "Betydelse"],
        ["group", "all, eller gender=…, age_group=…, role=… (etiketten som i indata)"],
        [
            "measure",
            "AMI, AMI.Motivation, AMI.Ledarskap, AMI.Styrning, area:<område>, "
            "leadership, q:<fråga>, response_rate",
        ],
        ["n", "antal svarande som värdet vilar på"],
        [
            "value",
            "index 0–100 (svarsfrekvens i procent), full precision; tomt = dolt (se suppression)",
        ],
        ["change", "value minus föregående års värde där jämförbart; tomt annars"],
        [
            "change_low, change_high",
            "95-procentigt intervall för förändringen (arbetsklimatets, inte slumpen i svaren); "
            "utesluter intervallet 0 är förändringen säkerställd; tomt där change är tomt",
        ],
        ["suppression", "varför n, value och change är tomma:"],
        ["suppression = (tomt)", "siffran är publicerad"],
        [
            "suppression = threshold",
            f"siffran vilar på färre än {min_group_size} svarande; rapporterna visar ”för få svar”",
        ],
        [
            "suppression = complementary",
            "siffran vilar på tillräckligt många svarande men döljs, eftersom den tillsammans med "
            f"andra siffror skulle avslöja en grupp med färre än {min_group_size} svarande; "
            "rapporterna visar ”dold för att skydda en mindre grupp”",
        ],
        [
            "importance_from",
            "enheten vars analys gav vikterna (en överordnad enhet för små enheter)",
        ],
        [
            "basis",
            "own = egen analys, shrunk = enhetens egna samband blandade med den överordnade "
            "enhetens (own_weight säger hur mycket som är enhetens egna), borrowed = lånade "
            "vikter, own_below_min_n = förvaltningens egen analys på färre svarande än "
            "drivers.min_n (tolka försiktigt)",
        ],
        [
            "own_weight",
            "andelen av matrisen som bygger på enhetens egna svar: 1 = helt egen, 0 = helt "
            "den överordnade enhetens (skattad ur data: hur mycket enheterna skiljer sig "
            "utöver slumpen, mot hur osäkra enhetens egna samband är vid dess storlek)",
        ],
        [
            "p_high",
            "andelen av bootstrapdragningarna där frågan hamnar i den övre halvan av "
            "betydelse; under 0,8 på sin egen sida av mittlinjen = osäker placering",
        ],
        [
            "beta",
            "frågans standardiserade regressionsvikt; negativ = frågan väger in först "
            "tillsammans med de andra (suppressor), läs dess betydelse med försiktighet",
        ],
        [
            "p_negative",
            "andelen av bootstrapdragningarna där regressionsvikten är negativ; minst 0,975 "
            "= säkert negativ (rapporten nämner frågan)",
        ],
        [
            "p_random",
            "andelen av bootstrapdragningarna där en slumpvariabel, tillagd som fråga, väger "
            "minst lika tungt; över 0,025 = skiljer sig inte säkert från slumpen",
        ],
        [],
        [
            "Avrundning",
            "Rapporterna avrundar halvt uppåt (79,5 → 80); tabellerna har full precision.",
        ],
        [
            "Sekretess",
            f"Ett värde publiceras bara om det vilar på minst {min_group_size} svarande, och "
            "inget dolt värde får gå att räkna fram ur publicerade (docs/privacy.md).",
        ],
        [],
        ["Indata (SHA-256)", provenance.get("input_sha256", "")],
        ["Underkända rader", int(data.rows_rejected)],
        ["Git commit", git.get("commit") or "okänd"],
        ["Ej incheckade ändringar", {True: "ja", False: "nej"}.get(git.get("dirty"), "okänt")],
        [
            "Parametrar",
            "Per steg de avsnitt i params.yaml som steget läser, som de var när steget kördes: "
            + json.dumps(provenance.get("params", {}), ensure_ascii=False, sort_keys=True),
        ],
    ]


def _cell(value: Any) -> Any:
    """A table value as a plain Python value, None where the published table is empty."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if value == "":
        return None
    return value


def _column_values(sheet: str, name: str, series: Iterable[Any]) -> list[Any]:
    """A column as cell values, refusing what an .xlsx cannot hold as the table has it.

    Strings are checked once per distinct value (the columns repeat a few ids).
    """
    values = [_cell(v) for v in series]
    kinds = {v.__class__ for v in values}
    wrong = kinds - {str, int, float, type(None)}
    if wrong:
        row = next(i for i, v in enumerate(values, start=2) if v.__class__ in wrong)
        value = values[row - 2]
        raise RenderError(f"workbook sheet {sheet!r}, row {row}, column {name!r}: {value!r}")
    if str in kinds:
        bad = {v for v in set(values) if isinstance(v, str) and CONTROL_CHARACTERS.search(v)}
        if bad:
            row = next(i for i, v in enumerate(values, start=2) if v in bad)
            raise RenderError(
                f"workbook sheet {sheet!r}, row {row}: {values[row - 2]!r} holds a control "
                "character that an .xlsx file cannot store"
            )
    return values


def _check_sheet_size(sheet: str, rows: int, source: str) -> None:
    """Refuse a table that does not fit in one worksheet (Excel would cut it silently)."""
    if rows + 1 > EXCEL_MAX_ROWS:
        raise RenderError(
            f"the workbook's sheet {sheet!r} would need {rows + 1:,} rows (header included), "
            f"more than Excel's {EXCEL_MAX_ROWS:,}; the analysts' workbook cannot hold every "
            f"row of {source}. Use {source} itself, or report fewer years per run."
        )


def _write_rows(sheet: TableSheet, name: str, rows: Iterable[Sequence[Any]]) -> None:
    """Rows from the sheet's first on; a None cell stays empty, a refused cell stops the render."""
    for number, values in enumerate(rows):
        error = sheet.write_table_row(number, values)
        if error:
            raise RenderError(
                f"workbook sheet {name!r}, row {number + 1}: XlsxWriter refused it (code {error}), "
                "e.g. a string longer than a cell holds"
            )


def workbook_bytes(data: ProcessedYear, provenance: dict[str, Any]) -> bytes:
    """The year's figures and drivers as an .xlsx (README, figurer, drivkrafter), byte-stable.

    The data sheets hold exactly the rows of figures.csv and drivers.csv, in
    the files' order, with the same numbers (empty where the file is empty).
    """
    # Every row of figures.csv, earlier years too, in the file's order (the
    # table is sorted by unit for lookups; its index keeps the file's order).
    figures = data.figures.sort_index(kind="stable")
    drivers = data.drivers
    _check_sheet_size("figurer", len(figures), "figures.csv")
    _check_sheet_size("drivkrafter", len(drivers), "drivers.csv")

    names = {
        u: data.unit_name(u)
        for u in figures["unit_id"].unique()
        if u in data.unit_index or u.startswith(MANAGER_PREFIX)
    }
    figure_header = [*FIGURE_SHEET_COLUMNS, "unit_name"]
    figure_columns = [
        _column_values("figurer", c, figures[c].tolist()) for c in FIGURE_SHEET_COLUMNS
    ]
    figure_columns.append(
        _column_values("figurer", "unit_name", [names.get(u) for u in figures["unit_id"]])
    )
    driver_columns = [
        _column_values("drivkrafter", c, drivers[c].tolist()) for c in DRIVER_SHEET_COLUMNS
    ]

    out = io.BytesIO()
    # XlsxWriter keeps each sheet's rows in a temporary file until close(); a failed
    # write leaves them in this directory, which goes with it
    with tempfile.TemporaryDirectory(prefix="workbook-") as scratch:
        book = xlsxwriter.Workbook(out, {**WRITER_OPTIONS, "tmpdir": scratch})
        book.set_properties(
            {"title": f"Medarbetarenkät {data.year}", "author": AUTHOR, "created": WORKBOOK_TIME}
        )
        sheets = [
            ("README", _readme_rows(data, provenance)),
            ("figurer", chain([figure_header], zip(*figure_columns, strict=True))),
            ("drivkrafter", chain([DRIVER_SHEET_COLUMNS], zip(*driver_columns, strict=True))),
        ]
        for name, rows in sheets:
            _write_rows(book.add_worksheet(name, worksheet_class=TableSheet), name, rows)
        book.close()
    return out.getvalue()


def workbook_path(out_dir: Path, year: int) -> Path:
    """Where a year's workbook is published beside its reports."""
    return out_dir / f"medarbetarenkat_{year}.xlsx"


def write_workbook(data: ProcessedYear, provenance: dict[str, Any], out_dir: Path) -> Path:
    """Write the year's workbook into ``out_dir`` atomically; its path."""
    path = workbook_path(out_dir, data.year)
    write_bytes_atomic(workbook_bytes(data, provenance), path)
    return path
