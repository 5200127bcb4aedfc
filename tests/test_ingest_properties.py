"""Property-based tests of ingestion (issue 5): random malformed tables.

A strategy writes a valid small input directory from a model it keeps
(:class:`Survey`): random ids in odd case padded with spaces, Swedish letters,
a random answer scale, random years, an organisation tree one to three levels
deep, CSV with ``,``, ``;`` or tab, with or without BOM, quoting and blank
lines, or XLSX. It then plants random corruptions, each recording where
ingestion must report it (:class:`Planted`). The oracles are the model and
those records — never the code under test:

(a) ``read_input`` returns or raises InputError; any other exception fails;
(b) a clean input reads back exactly as the model says;
(c) a corrupted one fails listing exactly the planted problems, each at its
    file, spreadsheet row (header = 1) and column, quoting the value written;
(d) ``run_ingest`` publishes all or nothing, and leaves no staging behind;
(e) quarantine: rows in = used + rejected, the rejected rows are exactly the
    corrupted ones, each with its reason in rejects.csv;
(f) the CLI prints the problem list, exits 2 and shows no traceback.

Runs are derandomized (no example database), so CI sees the same examples.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import re
import shutil
import struct
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from analysis.core.dataset import SurveyData
from analysis.core.params import Params, params_from_dict
from analysis.ingest.problems import InputError, Problem
from analysis.ingest.read import read_input
from analysis.ingest.write import run_ingest
from analysis.pipeline.cli import main as cli_main


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# --------------------------------------------------------------------------- the contract

TABLES = ("questions", "units", "responses")
# Required columns as contract §2 lists them (an oracle of its own, not imported).
REQUIRED = {
    "questions": ("question_id", "text", "area", "ami_dimension", "leadership"),
    "units": ("year", "unit_id", "unit_name", "parent_id", "unit_type", "invited"),
    "responses": ("year", "respondent_id", "unit_id", "gender", "age_group", "role"),
}
OUTPUT_FILES = [
    "asked.parquet",
    "ingest_summary.json",
    "questions.parquet",
    "rejects.csv",
    "responses.parquet",
    "units.parquet",
]
BOM = b"\xef\xbb\xbf"

# --------------------------------------------------------------------------- the model

Scale = tuple[int, int, int]  # scale_min, scale_max, dont_know
SCALES: tuple[Scale, ...] = ((1, 5, 0), (1, 7, 9), (0, 10, 99), (1, 4, -1))
DIMENSIONS = ("Motivation", "Ledarskap", "Styrning", "")
LEADERSHIP_SPELLINGS = {
    True: ("1", "true", "TRUE", "ja", "Ja", "sant", "SANT"),
    False: ("0", "false", "FALSE", "nej", "Nej", "falskt", "FALSKT", ""),
}
UNIT_TYPES = ("förvaltning", "område", "grundskola", "gymnasieskola", "avdelning", "")
GENDERS = ("", "Kvinna", "Man", "Annat")
AGE_GROUPS = ("", "-29", "30-39", "40-49", "50-59", "60-")
ROLES = ("", "Chef", "Medarbetare")


@dataclass(frozen=True)
class Question:
    question_id: str
    text: str
    area: str
    dimension: str
    leadership: bool
    replaces: str


@dataclass(frozen=True)
class Unit:
    year: int
    unit_id: str
    name: str
    parent: str
    unit_type: str
    invited: int | None
    manager: str


@dataclass(frozen=True)
class Respondent:
    year: int
    respondent_id: str
    unit_id: str
    gender: str
    age_group: str
    role: str
    answers: dict[str, int | None]  # question id → code (None = left empty)


@dataclass(frozen=True)
class Survey:
    scale: Scale
    questions: list[Question]
    units: list[Unit]
    respondents: list[Respondent]
    answer_columns: list[str]  # question ids that have a column in responses
    has_replaces: bool
    has_manager: bool


LETTERS = "abcdefghijklmnopqrstuvwxyzåäöéABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ"
IDENTIFIERS = st.builds(
    lambda first, rest: (first + rest).rstrip(),
    st.sampled_from(LETTERS),
    st.text(LETTERS + "0123456789_-. ", max_size=5),
)
# Free text: starts and ends with a letter, may hold separators, quotes and line breaks.
LABELS = st.builds(
    lambda first, middle, last: first + middle + last,
    st.sampled_from(LETTERS),
    st.text(LETTERS + "0123456789 ,;\"'\n-?()/:", max_size=14),
    st.sampled_from(LETTERS),
)
PADDING = st.sampled_from(["", "", " ", "  ", "\u00a0"])
CASINGS = st.sampled_from([str, str.upper, str.lower, str.swapcase, str.title])


def unique_ids(count: int) -> st.SearchStrategy[list[str]]:
    return st.lists(IDENTIFIERS, min_size=count, max_size=count, unique_by=str.casefold)


@st.composite
def trees(draw: st.DrawFn) -> list[tuple[str, str]]:
    """(unit_id, parent_id) of one year's organisation, 1 to 3 levels deep."""
    depth = draw(st.integers(1, 3))
    children = draw(st.integers(1, 3)) if depth >= 2 else 0
    grandchildren = [draw(st.integers(0, 2)) if depth == 3 else 0 for _ in range(children)]
    ids = draw(unique_ids(1 + children + sum(grandchildren)))
    root, rest = ids[0], iter(ids[1:])
    tree = [(root, "")]
    for count in grandchildren:
        child = next(rest)
        tree.append((child, root))
        tree += [(next(rest), child) for _ in range(count)]
    return tree


@st.composite
def surveys(draw: st.DrawFn) -> Survey:
    scale = draw(st.sampled_from(SCALES))
    reserved = set(REQUIRED["responses"])
    count = draw(st.integers(1, 4))
    question_ids = draw(
        st.lists(
            IDENTIFIERS.filter(lambda s: s.casefold() not in reserved),
            min_size=count,
            max_size=count,
            unique_by=str.casefold,
        )
    )
    has_replaces = draw(st.booleans())
    questions = []
    for question_id in question_ids:
        others = [q for q in question_ids if q != question_id]
        replaces = draw(st.sampled_from(["", *others])) if has_replaces else ""
        area = draw(st.sampled_from(["", "Lön", "Arbetsmiljö", "Ledarskap & styrning"]))
        questions.append(
            Question(
                question_id,
                draw(LABELS),
                area,
                draw(st.sampled_from(DIMENSIONS)),
                draw(st.booleans()),
                replaces,
            )
        )
    years = draw(st.lists(st.integers(1995, 2099), min_size=1, max_size=3, unique=True))
    has_manager = draw(st.booleans())
    units: list[Unit] = []
    tree: list[tuple[str, str]] = []
    for year in years:
        if not tree or draw(st.booleans()):
            tree = draw(trees())
        for unit_id, parent in tree:
            invited = None  # drawn once the respondents are known (with_invited)
            manager = draw(st.sampled_from(["", "m1", "M2", "chef.åsa"])) if has_manager else ""
            unit_type = draw(st.sampled_from(UNIT_TYPES))
            units.append(Unit(year, unit_id, draw(LABELS), parent, unit_type, invited, manager))
    answer_columns = draw(st.lists(st.sampled_from(question_ids), unique=True))
    low, high, dont_know = scale
    answer = st.none() | st.just(dont_know) | st.integers(low, high)
    respondents = []
    for index, year in enumerate(years):
        ids = draw(
            st.lists(IDENTIFIERS, min_size=int(index == 0), max_size=4, unique_by=str.casefold)
        )
        unit_ids = [u.unit_id for u in units if u.year == year]
        for respondent_id in ids:
            respondents.append(
                Respondent(
                    year,
                    respondent_id,
                    draw(st.sampled_from(unit_ids)),
                    draw(st.sampled_from(GENDERS)),
                    draw(st.sampled_from(AGE_GROUPS)),
                    draw(st.sampled_from(ROLES)),
                    {q: draw(answer) for q in answer_columns},
                )
            )
    units = draw(with_invited(units, respondents))
    return Survey(scale, questions, units, respondents, answer_columns, has_replaces, has_manager)


@st.composite
def with_invited(draw: st.DrawFn, units: list[Unit], respondents: list[Respondent]) -> list[Unit]:
    """``invited`` as the contract wants it: on every unit with respondents, at least
    their number, in a year that has it at all (a year may have none: no rates)."""
    counts: dict[tuple[int, str], int] = {}
    for r in respondents:
        counts[(r.year, r.unit_id)] = counts.get((r.year, r.unit_id), 0) + 1
    years_with = {y for y in sorted({u.year for u in units}) if draw(st.booleans())}
    out = []
    for u in units:
        answered = counts.get((u.year, u.unit_id), 0)
        if u.year not in years_with:
            invited = None
        elif answered:
            invited = answered + draw(st.integers(0, 40))
        else:
            invited = draw(st.none() | st.integers(0, 60))
        out.append(replace(u, invited=invited))
    return out


# --------------------------------------------------------------------------- the written form


@dataclass
class CsvStyle:
    sep: str
    bom: bool
    quote_all: bool
    newline: str
    final_newline: bool


@dataclass
class Sheet:
    """One table as it will be written; data line ``i`` is spreadsheet row ``i + 2``.

    ``keys`` names each column for the test: a contract column, ``q:<id>`` for
    an answer, ``extra:``/``unknown:``/``dup:``/``unnamed`` for planted ones.
    ``sources`` maps each line to its model object (None for a blank line).
    """

    table: str
    filename: str
    header: list[str]
    keys: list[str]
    lines: list[list[str] | None]
    sources: list[int | None]
    csv: CsvStyle | None  # None: an Excel workbook
    native: bool  # xlsx: numbers and booleans stored as Excel stores them
    blank: str  # how a blank line looks: "empty", "separators" or "spaces"
    title: str
    extra_sheet: bool
    replacement: bytes | None = None
    damage: Callable[[bytes], bytes] | None = None
    absent: bool = False
    twin: bool = False  # also written in the other format
    unclosed_quote: int | None = None

    def row(self, index: int) -> int:
        return index + 2

    def position(self, key: str) -> int:
        return self.keys.index(key)

    def shown(self, key: str) -> str:
        """The column's name as ingestion reports it: the header as written, stripped."""
        return self.header[self.position(key)].strip()

    def data_indices(self) -> list[int]:
        return [i for i, line in enumerate(self.lines) if line is not None]

    def get(self, index: int, key: str) -> str:
        return self.lines[index][self.position(key)]

    def set(self, index: int, key: str, text: str) -> None:
        self.lines[index][self.position(key)] = text

    def insert_column(self, position: int, name: str, key: str, values: list[str]) -> None:
        self.header.insert(position, name)
        self.keys.insert(position, key)
        for line, value in zip(self.lines, values, strict=True):
            if line is not None and position <= len(line):
                line.insert(position, value)

    def remove_column(self, key: str) -> None:
        position = self.position(key)
        del self.header[position], self.keys[position]
        for line in self.lines:
            if line is not None and position < len(line):
                del line[position]

    def render(self) -> bytes:
        if self.replacement is not None:
            return self.replacement
        content = self._csv() if self.csv else self._xlsx()
        return self.damage(content) if self.damage else content

    def _csv(self) -> bytes:
        style = self.csv
        assert style is not None
        quoting = csv.QUOTE_ALL if style.quote_all else csv.QUOTE_MINIMAL

        def record(cells: list[str]) -> str:
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=style.sep, quoting=quoting, lineterminator="\n").writerow(
                cells
            )
            return buffer.getvalue()[:-1]

        blank = {"empty": "", "separators": style.sep * (len(self.header) - 1), "spaces": "   "}
        records = [record(self.header)]
        for index, cells in enumerate(self.lines):
            if cells is None:
                records.append(blank[self.blank])
            elif index == self.unclosed_quote:
                head = record(cells[:-1]) + style.sep if len(cells) > 1 else ""
                records.append(head + '"' + cells[-1].replace('"', ""))
            else:
                records.append(record(cells))
        text = style.newline.join(records) + (style.newline if style.final_newline else "")
        return (BOM if style.bom else b"") + text.encode("utf-8")

    def _xlsx(self) -> bytes:
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = self.title
        for column, name in enumerate(self.header, 1):
            if name:
                sheet.cell(1, column, name)
        for index, cells in enumerate(self.lines):
            if cells is None:
                if self.blank == "spaces":
                    sheet.cell(self.row(index), 1, " ")
                continue
            for column, text in enumerate(cells, 1):
                if text != "":
                    key = self.keys[column - 1] if column <= len(self.keys) else ""
                    value = _excel_value(text, key, self.native)
                    sheet.cell(self.row(index), column, value)
        if self.extra_sheet:
            workbook.create_sheet("Info").cell(1, 1, "ignoreras")
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


_EXCEL_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,14}")
_EXCEL_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,5})\.[0-9]{0,4}[1-9]")


def _excel_value(text: str, key: str, native: bool) -> object:
    """What Excel would store for ``text``: numbers as floats, TRUE/FALSE as booleans."""
    if not native:
        return text
    if key in ("year", "invited") or key.startswith("q:"):
        if _EXCEL_INTEGER.fullmatch(text):
            return float(text)
        if _EXCEL_DECIMAL.fullmatch(text) and repr(float(text)) == text:
            return float(text)
    if key == "leadership" and text.casefold() in ("true", "false"):
        return text.casefold() == "true"
    return text


@st.composite
def sheets(
    draw: st.DrawFn,
    table: str,
    headers: dict[str, str],
    records: list[dict[str, str]],
    shuffle: bool,
) -> Sheet:
    keys = list(draw(st.permutations(list(headers))))
    header = [draw(PADDING) + draw(CASINGS)(headers[k]) + draw(PADDING) for k in keys]
    order = (
        list(draw(st.permutations(range(len(records))))) if shuffle else list(range(len(records)))
    )
    lines: list[list[str] | None] = [[records[i][k] for k in keys] for i in order]
    sources: list[int | None] = list(order)
    for position in sorted(draw(st.lists(st.integers(0, len(lines)), max_size=2)), reverse=True):
        lines.insert(position, None)
        sources.insert(position, None)
    fmt = draw(st.sampled_from(["csv", "csv", "csv", "xlsx"]))
    style = None
    if fmt == "csv":
        style = CsvStyle(
            sep=draw(st.sampled_from([",", ";", "\t"])),
            bom=draw(st.booleans()),
            quote_all=draw(st.booleans()),
            newline=draw(st.sampled_from(["\r\n", "\n"])),
            final_newline=draw(st.booleans()),
        )
    return Sheet(
        table=table,
        filename=draw(CASINGS)(table) + "." + draw(st.sampled_from([fmt, fmt.upper()])),
        header=header,
        keys=keys,
        lines=lines,
        sources=sources,
        csv=style,
        native=draw(st.booleans()),
        blank=draw(st.sampled_from(["empty", "separators", "spaces"])),
        title=draw(st.sampled_from(["Blad1", "Sheet1", "Svar"])),
        extra_sheet=draw(st.booleans()),
    )


@st.composite
def written(draw: st.DrawFn, survey: Survey) -> dict[str, Sheet]:
    """The three tables of ``survey`` as an analyst's export might write them."""

    def pad(text: str) -> str:
        return draw(PADDING) + text + draw(PADDING)

    def whole(value: int) -> str:
        forms = [str(value), f" {value}", f"{value}.0"]
        if value >= 0:
            forms += [f"0{value}", f"+{value}"]
        return draw(st.sampled_from(forms))

    def year(value: int) -> str:
        return draw(st.sampled_from([str(value), f" {value} ", f"{value}.0"]))

    extras = draw(st.lists(st.sampled_from(["Kommentar", "Kostnadsställe"]), max_size=1))
    headers = {c: c for c in REQUIRED["questions"]}
    if survey.has_replaces:
        headers["replaces"] = "replaces"
    headers.update({f"extra:{e}": e for e in extras})
    records = []
    for q in survey.questions:
        record = {
            "question_id": pad(q.question_id),
            "text": pad(q.text),
            "area": pad(q.area),
            "ami_dimension": draw(CASINGS)(q.dimension),
            "leadership": draw(st.sampled_from(LEADERSHIP_SPELLINGS[q.leadership])),
            "replaces": pad(draw(CASINGS)(q.replaces)),
        }
        record.update({f"extra:{e}": draw(st.sampled_from(["", "se not 3"])) for e in extras})
        records.append(record)
    questions = draw(sheets("questions", headers, records, shuffle=False))

    extras = draw(st.lists(st.sampled_from(["Kostnadsställe", "Ort"]), max_size=1))
    headers = {c: c for c in REQUIRED["units"]}
    if survey.has_manager:
        headers["manager_id"] = "manager_id"
    headers.update({f"extra:{e}": e for e in extras})
    records = []
    for u in survey.units:
        record = {
            "year": year(u.year),
            "unit_id": pad(u.unit_id),
            "unit_name": pad(u.name),
            "parent_id": pad(u.parent),
            "unit_type": pad(u.unit_type),
            "invited": "" if u.invited is None else whole(u.invited),
            "manager_id": pad(u.manager),
        }
        record.update({f"extra:{e}": draw(st.sampled_from(["", "K-100"])) for e in extras})
        records.append(record)
    units = draw(sheets("units", headers, records, shuffle=True))

    headers = {c: c for c in REQUIRED["responses"]}
    headers.update({f"q:{q}": q for q in survey.answer_columns})
    records = []
    for r in survey.respondents:
        record = {
            "year": year(r.year),
            "respondent_id": pad(r.respondent_id),
            "unit_id": pad(r.unit_id),
            "gender": pad(r.gender),
            "age_group": pad(r.age_group),
            "role": pad(r.role),
        }
        for q, code in r.answers.items():
            record[f"q:{q}"] = pad("") if code is None else whole(code)
        records.append(record)
    responses = draw(sheets("responses", headers, records, shuffle=True))
    return {"questions": questions, "units": units, "responses": responses}


# --------------------------------------------------------------------------- planted problems

Location = tuple[str, int | None, str | None]  # file, spreadsheet row, column


@dataclass(frozen=True)
class Planted:
    """One corruption and where ingestion must report it.

    ``level``: "cell" (a value in a data row), "header" (a column or the table's
    rows as a whole) or "file" (the file cannot be read). ``needs_questions`` /
    ``needs_units``: the check can only run when that table is usable.
    ``needs_columns``: the fixed columns of responses the check reads (a
    duplicate id is per year, a unit is looked up per year); without one of
    them the check cannot run, while the others still do.
    """

    kind: str
    table: str
    level: str
    where: tuple[Location, ...]
    values: tuple[str, ...] = ()  # the value each location quotes, for cell problems
    needs_questions: bool = False
    needs_units: bool = False
    needs_columns: frozenset[str] = frozenset()

    @property
    def quarantinable(self) -> bool:
        return self.table == "responses" and self.level == "cell"


@dataclass
class Case:
    survey: Survey
    sheets: dict[str, Sheet]
    on_invalid: str = "fail"
    planted: list[Planted] = field(default_factory=list)
    touched: set[tuple[str, int, str]] = field(default_factory=set)
    key_rows: set[int] = field(default_factory=set)  # responses lines with year/id/unit planted
    corrupted_lines: set[int] = field(default_factory=set)  # responses lines with any
    truncated: set[int] = field(default_factory=set)
    tree_years: set[int] = field(default_factory=set)
    emptied: set[str] = field(default_factory=set)
    file_level: set[str] = field(default_factory=set)

    def set_cell(self, table: str, index: int, key: str, value: str, kind: str, **needs) -> Planted:
        sheet = self.sheets[table]
        sheet.set(index, key, value)
        self.touched.add((table, index, key))
        if table == "responses":
            self.corrupted_lines.add(index)
        where = ((sheet.filename, sheet.row(index), sheet.shown(key)),)
        return Planted(kind, table, "cell", where, (value,), **needs)

    def params(self, directory: Path) -> Params:
        return params_from_dict(self.params_dict(directory))

    def params_dict(self, directory: Path) -> dict:
        low, high, dont_know = self.survey.scale
        return {
            "input": {"dir": str(directory), "on_invalid": self.on_invalid},
            "survey": {"scale_min": low, "scale_max": high, "dont_know": dont_know},
        }

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True)
        for sheet in self.sheets.values():
            if sheet.absent:
                continue
            (directory / sheet.filename).write_bytes(sheet.render())
            if sheet.twin:
                other = "xlsx" if sheet.csv else "csv"
                (directory / f"{sheet.table}.{other}").write_bytes(b"year\n2023\n")
        (directory / "LÄS MIG.txt").write_text("ignoreras\n", encoding="utf-8")
        return directory

    def response_rows(self) -> list[int]:
        sheet = self.sheets["responses"]
        return [sheet.row(i) for i in sheet.data_indices()]


def _visible(planted: list[Planted]) -> list[Planted]:
    """The planted problems ingestion can see; the rest hide behind a worse one.

    A file that cannot be read shows nothing else; a table without rows, and
    a catalogue or organisation without a required column, has its values
    unchecked; in responses without a fixed column only the rules that read
    that column are skipped. Responses' answers and unknown columns need the
    catalogue, its unit ids need the organisation.
    """
    unreadable = {p.table for p in planted if p.level == "file"}
    missing = {p.table: p.where[0][2] for p in planted if p.kind == "missing_column"}
    unchecked = {p.table for p in planted if p.kind == "header_only"}
    unchecked |= {t for t in missing if t != "responses"}
    unusable = unreadable | unchecked | set(missing)
    visible = []
    for p in planted:
        if p.level != "file" and p.table in unreadable:
            continue
        if p.level == "cell" and p.table in unchecked:
            continue
        if (
            p.level == "cell"
            and p.table == "responses"
            and missing.get("responses") in (p.needs_columns)
        ):
            continue
        if (p.needs_questions and "questions" in unusable) or (
            p.needs_units and "units" in unusable
        ):
            continue
        visible.append(p)
    return visible


def expected_locations(planted: list[Planted]) -> set[Location]:
    return {where for p in _visible(planted) for where in p.where}


def expected_values(planted: list[Planted]) -> dict[Location, str]:
    return {
        where: value
        for p in _visible(planted)
        if p.level == "cell"
        for where, value in zip(p.where, p.values, strict=True)
    }


Plant = Callable[[st.DrawFn, Case], list[Planted]]  # [] when it does not fit


def _answer_corruption(kind: str, values: Callable[[Scale], list[str]]) -> Plant:
    def plant(draw: st.DrawFn, case: Case) -> list[Planted]:
        sheet = case.sheets["responses"]
        cells = [
            (i, key)
            for i in sheet.data_indices()
            for key in sheet.keys
            if key.startswith("q:") and ("responses", i, key) not in case.touched
        ]
        if not cells:
            return []
        index, key = draw(st.sampled_from(cells))
        value = draw(st.sampled_from(values(case.survey.scale)))
        return [case.set_cell("responses", index, key, value, kind, needs_questions=True)]

    return plant


def _out_of_scale(scale: Scale) -> list[str]:
    low, high, dont_know = scale
    codes = [low - 1, high + 1, high + 10, -5, 1000]
    return [str(c) for c in codes if not low <= c <= high and c != dont_know] + [f" {high + 1} "]


NOT_INTEGERS = ["fyra", "x", "vet ej", "1e3", "NaN", "inf", "4/5", "٣", "0x1F", "1_0", "−1"]
NOT_INTEGERS += ["99999999999999999999", "3 4"]
DECIMALS = ["3.5", "2,5", "1.25", "4.01", "0.5"]


def _free_response_lines(case: Case) -> list[int]:
    return [i for i in case.sheets["responses"].data_indices() if i not in case.key_rows]


def plant_bad_year(draw: st.DrawFn, case: Case) -> list[Planted]:
    lines = _free_response_lines(case)
    if not lines:
        return []
    index = draw(st.sampled_from(lines))
    unknown_year = "1900"  # survey years are drawn from 1995..2099
    value = draw(st.sampled_from(["tjugo", "2023.5", "99999999999999999999", "", unknown_year]))
    case.key_rows.add(index)
    return [
        case.set_cell(
            "responses",
            index,
            "year",
            value,
            "bad_year",
            needs_units=value == unknown_year,
            needs_columns=frozenset({"year"}),
        )
    ]


def plant_unknown_unit(draw: st.DrawFn, case: Case) -> list[Planted]:
    lines = _free_response_lines(case)
    if not lines:
        return []
    index = draw(st.sampled_from(lines))
    sheet, units = case.sheets["responses"], case.survey.units
    respondent = case.survey.respondents[sheet.sources[index]]
    same_year = {u.unit_id for u in units if u.year == respondent.year}
    other_years = sorted({u.unit_id for u in units} - same_year)
    candidates = [c for c in [*other_years, "Okänd enhet", "X9"] if c not in same_year]
    value = draw(PADDING) + draw(st.sampled_from(candidates))
    case.key_rows.add(index)
    return [
        case.set_cell(
            "responses",
            index,
            "unit_id",
            value,
            "unknown_unit",
            needs_units=True,
            needs_columns=frozenset({"year", "unit_id"}),
        )
    ]


def plant_duplicate_id(draw: st.DrawFn, case: Case) -> list[Planted]:
    sheet = case.sheets["responses"]
    by_year: dict[int, list[int]] = {}
    for i in _free_response_lines(case):
        by_year.setdefault(case.survey.respondents[sheet.sources[i]].year, []).append(i)
    years = sorted(y for y, lines in by_year.items() if len(lines) >= 2)
    if not years:
        return []
    lines = by_year[draw(st.sampled_from(years))]
    first, second = draw(st.lists(st.sampled_from(lines), min_size=2, max_size=2, unique=True))
    value = draw(PADDING) + case.survey.respondents[sheet.sources[first]].respondent_id
    sheet.set(second, "respondent_id", value)
    case.key_rows |= {first, second}
    case.corrupted_lines |= {first, second}
    case.touched |= {("responses", first, "respondent_id"), ("responses", second, "respondent_id")}
    column = sheet.shown("respondent_id")
    where = (
        (sheet.filename, sheet.row(first), column),
        (sheet.filename, sheet.row(second), column),
    )
    values = (sheet.get(first, "respondent_id"), value)
    needs = frozenset({"year", "respondent_id"})
    return [Planted("duplicate_id", "responses", "cell", where, values, needs_columns=needs)]


def plant_truncated_row(draw: st.DrawFn, case: Case) -> list[Planted]:
    """A row that ends just before its unit_id (some exports drop trailing fields).

    Whatever is cut is read as empty: a lost year or respondent id is reported
    there, and the unit_id only when the year survived (it is looked up per year).
    """
    sheet = case.sheets["responses"]
    cut = sheet.position("unit_id")
    lines = [
        i
        for i in sheet.data_indices()
        if i not in case.corrupted_lines and any(c.strip() for c in sheet.lines[i][:cut])
    ]
    if not lines:
        return []
    index = draw(st.sampled_from(lines))
    sheet.lines[index] = sheet.lines[index][:cut]
    case.truncated.add(index)
    case.key_rows.add(index)
    case.corrupted_lines.add(index)
    lost = {key for key in ("year", "respondent_id") if sheet.position(key) > cut}
    planted = []
    for key in sorted(lost):
        where = ((sheet.filename, sheet.row(index), sheet.shown(key)),)
        needs = frozenset({key})
        planted.append(
            Planted("truncated_row", "responses", "cell", where, ("",), needs_columns=needs)
        )
    if "year" not in lost:
        where = ((sheet.filename, sheet.row(index), sheet.shown("unit_id")),)
        needs = frozenset({"year", "unit_id"})
        planted.append(
            Planted(
                "truncated_row",
                "responses",
                "cell",
                where,
                ("",),
                needs_units=True,
                needs_columns=needs,
            )
        )
    return planted


def _cell_corruption(table: str, key: str, kind: str, values: list[str]) -> Plant:
    def plant(draw: st.DrawFn, case: Case) -> list[Planted]:
        sheet = case.sheets[table]
        lines = [i for i in sheet.data_indices() if (table, i, key) not in case.touched]
        if not lines:
            return []
        index = draw(st.sampled_from(lines))
        return [case.set_cell(table, index, key, draw(st.sampled_from(values)), kind)]

    return plant


def _tree_corruption(kind: str) -> Plant:
    """missing_parent, second_root or cycle, in a year no other tree corruption touched."""

    def plant(draw: st.DrawFn, case: Case) -> list[Planted]:
        sheet, units = case.sheets["units"], case.survey.units
        years = sorted({u.year for u in units if u.parent and u.year not in case.tree_years})
        if not years:
            return []
        year = draw(st.sampled_from(years))
        case.tree_years.add(year)
        parent_of = {u.unit_id: u.parent for u in units if u.year == year}
        line_of = {
            units[source].unit_id: i
            for i, source in enumerate(sheet.sources)
            if source is not None and units[source].year == year
        }
        unit = draw(st.sampled_from(sorted(u for u, p in parent_of.items() if p)))
        if kind == "missing_parent":
            value = draw(st.sampled_from([v for v in ("Saknas", "X9", "F0") if v not in parent_of]))
            members = [unit]
        elif kind == "second_root":
            value = draw(PADDING)
            members = [unit, next(u for u, p in parent_of.items() if not p)]
        else:  # cycle: the unit's new parent is itself or one of its descendants

            def ancestors(u: str) -> list[str]:
                chain = []
                while parent_of[u]:
                    u = parent_of[u]
                    chain.append(u)
                return chain

            below = sorted(u for u in parent_of if unit in ancestors(u))
            new_parent = draw(st.sampled_from([unit, *below]))
            value = draw(PADDING) + new_parent
            members = [new_parent]
            while members[-1] != unit:
                members.append(parent_of[members[-1]])
        sheet.set(line_of[unit], "parent_id", value)
        column = sheet.shown("parent_id")
        where, values = [], []
        for member in members:
            case.touched.add(("units", line_of[member], "parent_id"))
            where.append((sheet.filename, sheet.row(line_of[member]), column))
            values.append(sheet.get(line_of[member], "parent_id"))
        return [Planted(kind, "units", "cell", tuple(where), tuple(values))]

    return plant


UNKNOWN_COLUMNS = ["q_okänd", "Fråga 99", "anställningsform", "Kön 2", "q99x"]


def plant_unknown_column(draw: st.DrawFn, case: Case) -> list[Planted]:
    sheet = case.sheets["responses"]
    taken = {h.strip().casefold() for h in sheet.header}
    taken |= {q.question_id.casefold() for q in case.survey.questions}
    names = [n for n in UNKNOWN_COLUMNS if n.casefold() not in taken]
    if not names:
        return []
    name = draw(st.sampled_from(names))
    header = draw(PADDING) + draw(CASINGS)(name) + draw(PADDING)
    position = draw(st.integers(0, len(sheet.header)))
    values = [draw(st.sampled_from(["", "3", "Heltid"])) for _ in sheet.lines]
    sheet.insert_column(position, header, f"unknown:{name}", values)
    where = ((sheet.filename, 1, header.strip()),)
    return [Planted("unknown_column", "responses", "header", where, needs_questions=True)]


def plant_missing_column(draw: st.DrawFn, case: Case) -> list[Planted]:
    table = draw(st.sampled_from(TABLES))
    sheet = case.sheets[table]
    present = [c for c in REQUIRED[table] if c in sheet.keys]
    if not present:
        return []
    column = draw(st.sampled_from(present))
    sheet.remove_column(column)
    return [Planted("missing_column", table, "header", ((sheet.filename, None, column),))]


def plant_header_only(draw: st.DrawFn, case: Case) -> list[Planted]:
    table = draw(st.sampled_from([t for t in TABLES if t not in case.emptied]))
    sheet = case.sheets[table]
    keep_blank_lines = draw(st.booleans())
    sheet.lines = [None for line in sheet.lines if line is None] if keep_blank_lines else []
    sheet.sources = [None] * len(sheet.lines)
    case.emptied.add(table)
    return [Planted("header_only", table, "header", ((sheet.filename, None, None),))]


# File-level corruptions: at most one per table, planted after everything else.


def _file_table(draw: st.DrawFn, case: Case, fits: Callable[[Sheet], bool]) -> Sheet | None:
    tables = [t for t in TABLES if t not in case.file_level and fits(case.sheets[t])]
    if not tables:
        return None
    table = draw(st.sampled_from(tables))
    case.file_level.add(table)
    return case.sheets[table]


def _file_problem(kind: str, sheet: Sheet, *where: Location) -> Planted:
    return Planted(kind, sheet.table, "file", where or ((sheet.filename, None, None),))


EMPTY_WORKBOOK = Sheet("", "", [], [], [], [], None, False, "empty", "Blad1", False).render()


def plant_empty_file(draw: st.DrawFn, case: Case) -> list[Planted]:
    sheet = _file_table(draw, case, lambda s: True)
    if sheet is None:
        return []
    empty = [b"", BOM, b"\r\n", b"\n\n"] if sheet.csv else [EMPTY_WORKBOOK]
    sheet.replacement = draw(st.sampled_from(empty))
    return [_file_problem("empty_file", sheet)]


def _insert_byte(offset: int, content: bytes) -> bytes:
    start = len(BOM) if content.startswith(BOM) else 0
    at = start + offset * (len(content) - start) // 1000
    return content[:at] + "å".encode("cp1252") + content[at:]


def plant_not_utf8(draw: st.DrawFn, case: Case) -> list[Planted]:
    """A byte of Excel's 'CSV (semikolonavgränsad)' (Windows-1252) in a UTF-8 file."""
    sheet = _file_table(draw, case, lambda s: s.csv is not None)
    if sheet is None:
        return []
    sheet.damage = partial(_insert_byte, draw(st.integers(0, 1000)))
    return [_file_problem("not_utf8", sheet)]


def _damage_workbook(mode: str, fraction: int, content: bytes) -> bytes:
    if mode == "truncated":
        return content[: len(content) * fraction // 1001]
    if mode == "not_a_zip":
        return b"PK\x03\x04 this is not a workbook"
    name = "xl/worksheets/sheet1.xml"
    if mode == "sheet_xml_cut":
        source = zipfile.ZipFile(io.BytesIO(content))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
            for member in source.namelist():
                data = source.read(member)
                if member == name:
                    data = data[: len(data) * fraction // 1001]
                target.writestr(member, data)
        return buffer.getvalue()
    # a flipped byte well inside the sheet's compressed data (a bad copy or download)
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(name)
    name_size, extra_size = struct.unpack("<HH", content[info.header_offset + 26 :][:4])
    start = info.header_offset + 30 + name_size + extra_size
    at = start + (info.compress_size - 8) * fraction // 1001
    damaged = bytearray(content)
    damaged[at] ^= 0xFF
    return bytes(damaged)


def plant_damaged_workbook(draw: st.DrawFn, case: Case) -> list[Planted]:
    sheet = _file_table(draw, case, lambda s: s.csv is None)
    if sheet is None:
        return []
    mode = draw(st.sampled_from(["truncated", "not_a_zip", "sheet_xml_cut", "flipped_byte"]))
    sheet.damage = partial(_damage_workbook, mode, draw(st.integers(0, 1000)))
    return [_file_problem("damaged_workbook", sheet)]


def plant_extra_fields(draw: st.DrawFn, case: Case) -> list[Planted]:
    """A row with more values than the header has names."""

    def full_lines(sheet: Sheet) -> list[int]:
        return [i for i in sheet.data_indices() if len(sheet.lines[i]) == len(sheet.header)]

    sheet = _file_table(draw, case, lambda s: bool(full_lines(s)))
    if sheet is None:
        return []
    index = draw(st.sampled_from(full_lines(sheet)))
    extra = draw(st.lists(st.sampled_from(["3", "extra", "Heltid"]), min_size=1, max_size=2))
    width = len(sheet.header)
    sheet.lines[index] = sheet.lines[index] + extra
    if sheet.csv:  # the record is too wide
        return [_file_problem("extra_fields", sheet, (sheet.filename, sheet.row(index), None))]
    # a workbook: values under columns without a name
    letters = [get_column_letter(width + k) for k in range(1, len(extra) + 1)]
    return [_file_problem("extra_fields", sheet, *((sheet.filename, 1, c) for c in letters))]


def plant_duplicate_column(draw: st.DrawFn, case: Case) -> list[Planted]:
    sheet = _file_table(draw, case, lambda s: bool(s.keys))
    if sheet is None:
        return []
    key = draw(st.sampled_from(sheet.keys))
    original = sheet.position(key)
    name = draw(CASINGS)(sheet.header[original].strip()) + draw(PADDING)
    position = draw(st.integers(0, len(sheet.header)))
    values = [
        "" if line is None or original >= len(line) else line[original] for line in sheet.lines
    ]
    sheet.insert_column(position, name, f"dup:{key}", values)
    first = min(position, sheet.position(key))
    return [
        _file_problem("duplicate_column", sheet, (sheet.filename, 1, sheet.header[first].strip()))
    ]


def plant_unnamed_column(draw: st.DrawFn, case: Case) -> list[Planted]:
    """Values under a column whose header cell is empty."""
    sheet = _file_table(draw, case, lambda s: bool(s.data_indices()))
    if sheet is None:
        return []
    filled = draw(st.sampled_from(sheet.data_indices()))
    position = draw(st.integers(0, len(sheet.lines[filled])))  # within the row's values
    values = ["Heltid" if i == filled else "" for i in range(len(sheet.lines))]
    sheet.insert_column(position, draw(st.sampled_from(["", " "])), "unnamed", values)
    where = (sheet.filename, 1, get_column_letter(position + 1))
    return [_file_problem("unnamed_column", sheet, where)]


def plant_unclosed_quote(draw: st.DrawFn, case: Case) -> list[Planted]:
    """The last row's last value opens a quote that is never closed."""
    sheet = _file_table(draw, case, lambda s: s.csv is not None and bool(s.data_indices()))
    if sheet is None:
        return []
    sheet.unclosed_quote = sheet.data_indices()[-1]
    return [
        _file_problem(
            "unclosed_quote", sheet, (sheet.filename, sheet.row(sheet.unclosed_quote), None)
        )
    ]


def plant_missing_file(draw: st.DrawFn, case: Case) -> list[Planted]:
    """No file for a table, or one file too many (both NAME.csv and NAME.xlsx)."""
    sheet = _file_table(draw, case, lambda s: True)
    if sheet is None:
        return []
    if draw(st.booleans()):
        sheet.absent = True
    else:
        sheet.twin = True
    return [_file_problem("missing_file", sheet, (sheet.table, None, None))]


ROW_LEVEL: dict[str, Plant] = {
    "out_of_scale": _answer_corruption("out_of_scale", _out_of_scale),
    "not_integer": _answer_corruption("not_integer", lambda scale: NOT_INTEGERS),
    "decimal": _answer_corruption("decimal", lambda scale: DECIMALS),
    "bad_year": plant_bad_year,
    "unknown_unit": plant_unknown_unit,
    "duplicate_id": plant_duplicate_id,
    "truncated_row": plant_truncated_row,
}
TABLE_LEVEL: dict[str, Plant] = {
    "bad_dimension": _cell_corruption(
        "questions", "ami_dimension", "bad_dimension", ["Motivering", "AMI", "Ledarskap!", "ja"]
    ),
    "bad_leadership": _cell_corruption(
        "questions", "leadership", "bad_leadership", ["kanske", "2", "yes", "-1"]
    ),
    "bad_invited": _cell_corruption(
        "units", "invited", "bad_invited", ["-3", "fem", "2.5", "99999999999999999999"]
    ),
    "missing_parent": _tree_corruption("missing_parent"),
    "second_root": _tree_corruption("second_root"),
    "cycle": _tree_corruption("cycle"),
    "unknown_column": plant_unknown_column,
    "missing_column": plant_missing_column,
    "header_only": plant_header_only,
    "empty_file": plant_empty_file,
    "not_utf8": plant_not_utf8,
    "damaged_workbook": plant_damaged_workbook,
    "extra_fields": plant_extra_fields,
    "duplicate_column": plant_duplicate_column,
    "unnamed_column": plant_unnamed_column,
    "unclosed_quote": plant_unclosed_quote,
    "missing_file": plant_missing_file,
}
ALL_KINDS = {**ROW_LEVEL, **TABLE_LEVEL}
# Planting order: values first, then whole rows, columns, rows of a table, files.
PHASES = [
    {*ROW_LEVEL} - {"truncated_row"}
    | {"bad_dimension", "bad_leadership", "bad_invited"}
    | {"missing_parent", "second_root", "cycle"},
    {"truncated_row"},
    {"unknown_column", "missing_column"},
    {"header_only"},
    {"empty_file", "not_utf8", "damaged_workbook", "extra_fields", "duplicate_column"}
    | {"unnamed_column", "unclosed_quote", "missing_file"},
]
assert set().union(*PHASES) == set(ALL_KINDS)


@st.composite
def cases(
    draw: st.DrawFn,
    kinds: tuple[str, ...] = (),
    min_corruptions: int = 0,
    max_corruptions: int = 0,
    on_invalid: tuple[str, ...] = ("fail",),
    required: str | None = None,
) -> Case:
    """A written survey with corruptions of ``kinds`` planted (``required`` always)."""
    survey = draw(surveys())
    case = Case(survey, draw(written(survey)), draw(st.sampled_from(on_invalid)))
    chosen = draw(
        st.lists(st.sampled_from(kinds), min_size=min_corruptions, max_size=max_corruptions)
        if kinds
        else st.just([])
    )
    for phase in PHASES:
        if required in phase:
            planted = ALL_KINDS[required](draw, case)
            assume(planted)  # the drawn survey has no place for it (e.g. a one-level tree)
            case.planted += planted
        for kind in chosen:
            if kind in phase:
                case.planted += ALL_KINDS[kind](draw, case)
    if min_corruptions and not case.planted:  # none fitted (e.g. no two rows in a year)
        case.planted += plant_bad_year(draw, case)
    return case


# --------------------------------------------------------------------------- expected tables


def expected_data(case: Case, rejected_rows: set[int] = frozenset()) -> SurveyData:
    """The tidy tables the model says ingestion must produce (kept rows only)."""
    survey = case.survey
    questions = pd.DataFrame(
        {
            "question_id": [q.question_id for q in survey.questions],
            "text": [q.text for q in survey.questions],
            "area": [q.area for q in survey.questions],
            "ami_dimension": [q.dimension for q in survey.questions],
            "leadership": [q.leadership for q in survey.questions],
            "replaces": [q.replaces for q in survey.questions],
        }
    )
    units_sheet = case.sheets["units"]
    units = [survey.units[s] for s in units_sheet.sources if s is not None]
    units_frame = pd.DataFrame(
        {
            "year": pd.Series([u.year for u in units], dtype="int64"),
            "unit_id": [u.unit_id for u in units],
            "unit_name": [u.name for u in units],
            "parent_id": [u.parent for u in units],
            "unit_type": [u.unit_type for u in units],
            "invited": pd.array([u.invited for u in units], dtype="Int64"),
            "manager_id": [u.manager for u in units],
        }
    )
    sheet = case.sheets["responses"]
    kept = [
        survey.respondents[sheet.sources[i]]
        for i in sheet.data_indices()
        if sheet.row(i) not in rejected_rows
    ]
    dont_know = survey.scale[2]
    columns: dict[str, object] = {
        "year": pd.Series([r.year for r in kept], dtype="int64"),
        "respondent_id": [r.respondent_id for r in kept],
        "unit_id": [r.unit_id for r in kept],
        "gender": [r.gender for r in kept],
        "age_group": [r.age_group for r in kept],
        "role": [r.role for r in kept],
    }
    for q in survey.questions:
        codes = [r.answers.get(q.question_id) for r in kept]
        columns[q.question_id] = pd.Series(
            [math.nan if c is None or c == dont_know else float(c) for c in codes],
            dtype="float64",
        )
    asked = [
        (year, q.question_id)
        for year in sorted({r.year for r in kept})
        for q in survey.questions
        if q.question_id in survey.answer_columns
        and any(r.answers[q.question_id] is not None for r in kept if r.year == year)
    ]
    asked_frame = pd.DataFrame(
        {
            "year": pd.Series([y for y, _ in asked], dtype="int64"),
            "question_id": pd.Series([q for _, q in asked], dtype=str),
        }
    )
    return SurveyData(questions, units_frame, pd.DataFrame(columns), asked_frame)


def assert_same_data(actual: SurveyData, expected: SurveyData) -> None:
    for name in ("questions", "units", "responses", "asked"):
        pd.testing.assert_frame_equal(getattr(actual, name), getattr(expected, name), obj=name)


def located(problems: list[Problem]) -> set[Location]:
    return {(p.file, p.row, p.column) for p in problems}


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))}


# --------------------------------------------------------------------------- properties


@_settings(50)
@given(case=cases())
def test_a_clean_input_reads_back_exactly_as_written(case):
    with tempfile.TemporaryDirectory() as tmp:
        result = read_input(case.write(Path(tmp) / "in"), case.params(Path(tmp) / "in"))
    assert_same_data(result.data, expected_data(case))
    assert result.rejects.empty
    tables = result.summary["tables"]
    rows = {
        "questions": len(case.survey.questions),
        "units": len(case.survey.units),
        "responses": len(case.survey.respondents),
    }
    for name, count in rows.items():
        assert (tables[name]["rows_in"], tables[name]["rows_used"]) == (count, count)
        assert tables[name]["rows_rejected"] == 0
        assert tables[name]["file"] == case.sheets[name].filename
        ignored = [
            h.strip()
            for h, k in zip(case.sheets[name].header, case.sheets[name].keys, strict=True)
            if k.startswith("extra:")
        ]
        assert tables[name]["ignored_columns"] == ignored
    assert result.summary["years"] == sorted({r.year for r in case.survey.respondents})


@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
@_settings(6)
@given(data=st.data())
def test_a_corrupted_input_fails_listing_exactly_the_planted_problems(kind, data):
    """(a) + (c): InputError and nothing else, each planted problem where it was planted.

    Each kind is planted in every example, with up to two others of any kind.
    """
    modes = ("fail", "quarantine")
    case = data.draw(cases(tuple(ALL_KINDS), 0, 2, on_invalid=modes, required=kind))
    visible = _visible(case.planted)
    for planted in case.planted:
        event(f"{planted.kind} ({'seen' if planted in visible else 'hidden'})")
    rejected = {row for p in visible for _, row, _ in p.where}
    quarantined = case.on_invalid == "quarantine" and all(p.quarantinable for p in visible)
    with tempfile.TemporaryDirectory() as tmp:
        directory = case.write(Path(tmp) / "in")
        params = case.params(directory)
        if quarantined and rejected != set(case.response_rows()):
            result = read_input(directory, params)  # only bad response rows: they go aside
            counts = result.summary["tables"]["responses"]
            assert counts["rows_in"] == counts["rows_used"] + counts["rows_rejected"]
            assert set(result.rejects["row"]) == rejected
            assert located_rejects(result.rejects) == expected_locations(case.planted)
            return
        with pytest.raises(InputError) as caught:
            read_input(directory, params)
    problems = caught.value.problems
    assert all(p.file and p.expected for p in problems)
    reported = located(problems)
    if quarantined:  # every row rejected: the error says so, on the file as a whole
        [nothing_left] = [p for p in problems if p.row is None]
        assert "no valid response rows left after quarantine" in nothing_left.expected
        reported -= {(nothing_left.file, None, None)}
    assert reported == expected_locations(case.planted), case.planted
    quoted = {(p.file, p.row, p.column): p.value for p in problems}
    for where, value in expected_values(case.planted).items():
        assert quoted[where] == value, where
    assert len(problems) == len({(p.file, p.row, p.column, p.expected) for p in problems})


def located_rejects(rejects: pd.DataFrame) -> set[Location]:
    return {
        (f, int(r), c) for f, r, c in rejects[["file", "row", "column"]].itertuples(index=False)
    }


@pytest.fixture(scope="module")
def earlier_output(tmp_path_factory) -> Path:
    """A real earlier ingest result, to be overwritten (or not) by each example."""
    directory = tmp_path_factory.mktemp("earlier")
    inputs = directory / "in"
    inputs.mkdir()
    (inputs / "questions.csv").write_text(
        "question_id,text,area,ami_dimension,leadership\nq1,Trivs du?,Trivsel,Motivation,0\n",
        encoding="utf-8",
    )
    (inputs / "units.csv").write_text(
        "year,unit_id,unit_name,parent_id,unit_type,invited\n2022,F,Förvaltningen,,förvaltning,3\n",
        encoding="utf-8",
    )
    (inputs / "responses.csv").write_text(
        "year,respondent_id,unit_id,gender,age_group,role,q1\n2022,r1,F,,,,4\n",
        encoding="utf-8",
    )
    out = directory / "interim"
    run_ingest(params_from_dict({"input": {"dir": str(inputs)}}), out)
    (out / "an earlier note.txt").write_text("from an earlier run\n", encoding="utf-8")
    return out


@_settings(40)
@given(case=cases(tuple(ALL_KINDS), 0, 2, on_invalid=("fail", "quarantine")))
def test_run_ingest_publishes_all_or_nothing(case, earlier_output):
    """(d): on failure the earlier output is byte-identical; on success it is complete."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        directory = case.write(root / "in")
        params = case.params(directory)
        out = root / "data" / "interim"
        shutil.copytree(earlier_output, out)
        before = snapshot(out)
        try:
            result = run_ingest(params, out)
        except InputError:
            assert snapshot(out) == before
        else:
            assert sorted(snapshot(out)) == OUTPUT_FILES
            run_ingest(params, root / "fresh")
            assert snapshot(out) == snapshot(root / "fresh")
            assert_same_data(SurveyData.load(out), result.data)
        assert [p.name for p in (root / "data").iterdir()] == ["interim"]  # nothing stray


@pytest.mark.parametrize("kind", sorted(ROW_LEVEL))
@_settings(6)
@given(data=st.data())
def test_quarantine_sets_aside_exactly_the_corrupted_rows(kind, data):
    """(e): rows in = used + rejected; rejects.csv gives a reason for every rejected row."""
    modes = ("quarantine",)
    case = data.draw(cases(tuple(ROW_LEVEL), 0, 3, on_invalid=modes, required=kind))
    rejected = {row for p in case.planted for _, row, _ in p.where}
    rows = case.response_rows()
    with tempfile.TemporaryDirectory() as tmp:
        directory = case.write(Path(tmp) / "in")
        params = case.params(directory)
        out = Path(tmp) / "interim"
        if rejected == set(rows):
            with pytest.raises(InputError, match="no valid response rows left after quarantine"):
                run_ingest(params, out)
            assert not out.exists()
            return
        result = run_ingest(params, out)
        rejects = pd.read_csv(out / "rejects.csv", dtype=str, keep_default_na=False)
    counts = result.summary["tables"]["responses"]
    assert counts["rows_in"] == len(rows) == counts["rows_used"] + counts["rows_rejected"]
    assert counts["rows_rejected"] == len(rejected)
    assert {int(r) for r in rejects["row"]} == rejected
    assert {(f, int(r), c) for f, r, c in rejects[["file", "row", "column"]].values} == (
        expected_locations(case.planted)
    )
    assert all(reason.startswith("expected ") and len(reason) > 9 for reason in rejects["reason"])
    assert_same_data(result.data, expected_data(case, rejected))


@_settings(30)
@given(case=cases(tuple(ALL_KINDS), 1, 2))
def test_the_cli_lists_the_problems_and_exits_2_without_a_traceback(case):
    """(f): ``python -m analysis ingest`` on any corrupted input."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        directory = case.write(root / "in")
        params_file = root / "params.yaml"
        params_file.write_text(yaml.safe_dump(case.params_dict(directory)), encoding="utf-8")
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = cli_main(["--params", str(params_file), "ingest", "--out", str(root / "out")])
        assert not (root / "out").exists()
    assert code == 2
    err = stderr.getvalue()
    assert "Traceback" not in err
    expected = expected_locations(case.planted)
    assert err.startswith(f"ingest: {len(expected)} problem")
    for file, row, column in expected:
        where = file + (f" row {row}" if row is not None else "")
        where += f", column {column}" if column is not None else ""
        assert f"\n  {where}: " in err


# --------------------------------------------------------------------------- the oracle itself


def test_the_written_form_of_a_hand_made_survey_is_what_an_export_holds():
    """The strategy's writer, checked on one hand-made table (so the oracle is trusted)."""
    sheet = Sheet(
        "responses",
        "responses.csv",
        ["year", " Q1 "],
        ["year", "q:q1"],
        [["2023", "a;b"], None, ["2023", 'sa "ja"']],
        [0, None, 1],
        CsvStyle(";", True, False, "\r\n", True),
        False,
        "separators",
        "Blad1",
        False,
    )
    assert sheet.render() == BOM + b'year; Q1 \r\n2023;"a;b"\r\n;\r\n2023;"sa ""ja"""\r\n'
    assert [sheet.row(i) for i in sheet.data_indices()] == [2, 4]
    sheet.unclosed_quote = 2
    assert sheet.render().endswith(b'\r\n2023;"sa ja\r\n')
