"""The optional input tables ``action_plans`` and ``benchmarks`` (contract §2): their
columns, their rules and their tidy frames.

They are validated like the three required tables, in the same pass: every
problem names file, row, column, value and what was expected. Unlike
``questions`` and ``units``, a column that is not the table's is a problem
(contract: "reported (with the closest expected name), never silently
ignored"). A missing or unknown column, or an unreadable file, stops the run
in either mode; with ``input.on_invalid: quarantine`` rows with problems are
set aside like rows of ``responses`` (:mod:`analysis.ingest.read`). An input
without the tables is read exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from analysis.core.catalogue import RESPONSE_RATE, composite_definitions, question_measure
from analysis.core.contract import PLAN_STATUSES
from analysis.ingest.coding import as_text
from analysis.ingest.column_names import closest_column
from analysis.ingest.files import Table
from analysis.ingest.problems import Problem
from analysis.ingest.schemas import (
    collect_failures,
    integer_values,
    named_check,
    non_empty,
    required_column,
    year_checks,
    year_unit_keys,
)
from analysis.ingest.validate import Catalogue, Organisation

ACTION_PLAN_REQUIRED = ("year", "unit_id", "status")
ACTION_PLAN_OPTIONAL = ("deadline", "note")
BENCHMARK_REQUIRED = ("year", "measure", "value", "source")
STATUS_EXPECTED = f"one of {', '.join(PLAN_STATUSES[:-1])} or {PLAN_STATUSES[-1]}"
MEASURE_EXPECTED = (
    "a measure as figures.csv names it: AMI, AMI.Motivation, AMI.Ledarskap, AMI.Styrning, "
    "area:<area>, leadership, q:<question_id> or response_rate, for an area, question or "
    "AMI dimension the question catalogue has"
)
VALUE_EXPECTED = "a number from 0 to 100 (e.g. 88 or 85,4; without %)"
# a number as a person or Swedish Excel writes it: 88, 88.0, 85,4, +3, .5
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
# what a workbook's date cell reads as (analysis.ingest.excel): the date is what was meant
_EXCEL_DATE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})T00:00:00$")


@dataclass
class Checked:
    """An optional table's problems: ``structural`` ones (a missing or unknown column)
    always stop the run; ``rows`` can be quarantined."""

    structural: list[Problem]
    rows: list[Problem]


def folded(values: pd.Series) -> pd.Series:
    """Text compared ignoring case and runs of spaces ("ej  Påbörjad" is "ej påbörjad")."""
    return values.str.split().str.join(" ").str.casefold()


STATUS_BY_FOLD = {" ".join(s.split()).casefold(): s for s in PLAN_STATUSES}


def fold_measure(name: str) -> str:
    """A measure name compared ignoring case and spaces around ``:`` and ``.``."""
    return re.sub(r"\s*([:.])\s*", r"\1", " ".join(name.split())).casefold()


def benchmark_measures(questions: pd.DataFrame) -> dict[str, str]:
    """Every measure a benchmark may name for this catalogue: folded name -> name."""
    names = [
        *composite_definitions(questions),
        *(question_measure(q) for q in questions["question_id"]),
        RESPONSE_RATE,
    ]
    return {fold_measure(name): name for name in names}


def number_values(text: pd.Series) -> pd.Series:
    """float64: the number each cell holds (decimal point or comma), NaN where none."""
    good = text.str.fullmatch(_NUMBER_TEXT.pattern)
    return pd.to_numeric(text.where(good).str.replace(",", ".", regex=False), errors="coerce")


# --------------------------------------------------------------------------- columns


def _columns(table: Table, required: tuple[str, ...], optional: tuple[str, ...]) -> list[Problem]:
    """A problem per column that is not the table's (named with the column it most likely
    is) and per required column missing; keeps the table's own columns."""
    expected = (*required, *optional)
    present = list(table.frame.columns)
    unknown = [c for c in present if c not in expected]
    absent = [c for c in expected if c not in present]
    listing = ", ".join([*required, *(f"{c} (optional)" for c in optional)])
    problems, covered = [], set()
    for column in unknown:
        written = table.display[column]
        meant = closest_column(column, absent)
        if meant:
            covered.add(meant)
            kind = "a required column, missing" if meant in required else "an optional column"
            hint = f"; rename it {meant} ({kind})"
        else:
            hint = "; remove it or rename it: a column not named here is never ignored"
        expected_text = f"a column of {table.name}: {listing}{hint}"
        problems.append(Problem(table.file, 1, written, written, expected_text))
    missing = [c for c in required if c not in present and c not in covered]
    problems += table.missing(missing, unknown=[])
    known = [c for c in present if c in expected]
    table.frame, table.raw = table.frame[known], table.raw[known]
    return problems


#: an optional table's key column's checks beyond "non-empty", given its parsed years
#: (None: the table has no year column)
KeyChecks = Callable[[pd.Series | None], list[pa.Check]]


def optional_schema(
    frame: pd.DataFrame,
    organisation: Organisation | None,
    units_file: str,
    key: tuple[str, str],
    key_checks: KeyChecks,
    value_checks: dict[str, pa.Check],
) -> pa.DataFrameSchema:
    """The rules an optional table's columns follow; a missing column is reported
    elsewhere, the rules that do not need it still run.

    ``year``: a whole number, a year of the units table; the ``key`` column
    (its name, and what a row names in it): non-empty, then ``key_checks``;
    each column of ``value_checks``: its check.
    """
    has = set(frame.columns)
    columns: dict[str, pa.Column] = {}
    years = integer_values(frame["year"]) if "year" in has else None
    if years is not None:
        unit_years = organisation.years if organisation is not None else None
        columns["year"] = required_column(*year_checks(years, unit_years, units_file))
    name, what = key
    if name in has:
        columns[name] = required_column(non_empty(what), *key_checks(years))
    for column, check in value_checks.items():
        if column in has:
            columns[column] = required_column(check)
    return pa.DataFrameSchema(columns)


# --------------------------------------------------------------------------- action_plans


def action_plans_schema(
    frame: pd.DataFrame, organisation: Organisation | None, units_file: str
) -> pa.DataFrameSchema:
    """Rules for the action plans: a unit of the year, one plan per unit and year."""

    def unit_checks(years: pd.Series | None) -> list[pa.Check]:
        if years is None:
            return []
        ids = frame["unit_id"]
        keys = year_unit_keys(years, ids)
        checks = []
        if organisation is not None and organisation.keys is not None:
            unit_keys, unit_years = organisation.keys, organisation.years or frozenset()
            unknown = years.isin(unit_years) & (ids != "") & ~keys.isin(unit_keys)
            checks.append(
                named_check(
                    lambda s: ~unknown, f"the unit_id of a unit in {units_file} for the same year"
                )
            )
        duplicated = keys.duplicated(keep=False) & years.notna() & (ids != "")
        checks.append(
            named_check(
                lambda s: ~duplicated,
                "one action plan per unit and year: another row has the same year and unit_id",
            )
        )
        return checks

    status = named_check(lambda s: folded(s).isin(STATUS_BY_FOLD), STATUS_EXPECTED)
    return optional_schema(
        frame, organisation, units_file, ("unit_id", "unit id"), unit_checks, {"status": status}
    )


def check_action_plans(
    table: Table, organisation: Organisation | None, files: dict[str, str]
) -> Checked:
    structural = _columns(table, ACTION_PLAN_REQUIRED, ACTION_PLAN_OPTIONAL)
    if table.frame.empty:
        return Checked(structural, [])
    schema = action_plans_schema(table.frame, organisation, files.get("units", "units"))
    problems = table.problems_from(collect_failures(schema, table.frame))
    problems = _hinted(problems, table, "status", STATUS_EXPECTED, PLAN_STATUSES)
    return Checked(structural, table.sort(problems))


def tidy_action_plans(frame: pd.DataFrame) -> pd.DataFrame:
    """Valid rows as SurveyData's ``action_plans``: the status in its contract spelling, an
    Excel date cell's deadline as its date, an absent deadline or note empty."""
    empty = pd.Series("", index=frame.index, dtype="str")
    deadline = frame["deadline"] if "deadline" in frame.columns else empty
    tidy = pd.DataFrame(
        {
            "year": integer_values(frame["year"]).astype("int64"),
            "unit_id": frame["unit_id"],
            "status": folded(frame["status"]).map(STATUS_BY_FOLD),
            "deadline": deadline.str.replace(_EXCEL_DATE.pattern, r"\1", regex=True),
            "note": frame["note"] if "note" in frame.columns else empty,
        }
    )
    return as_text(tidy)


# --------------------------------------------------------------------------- benchmarks


def benchmarks_schema(
    frame: pd.DataFrame,
    measures: dict[str, str] | None,
    organisation: Organisation | None,
    units_file: str,
) -> pa.DataFrameSchema:
    """Rules for the benchmarks: a measure of the catalogue (``measures`` None = the
    catalogue has problems of its own), one value per year, measure and source."""
    names = frame["measure"].map(fold_measure) if "measure" in frame.columns else None

    def measure_checks(years: pd.Series | None) -> list[pa.Check]:
        checks = []
        if measures is not None:
            known = names.isin(measures)
            checks.append(named_check(lambda s: (s == "") | known, MEASURE_EXPECTED))
        if years is not None and "source" in frame.columns:
            canonical = names.map(measures).fillna(names) if measures is not None else names
            keys = year_unit_keys(years, canonical + "\x1f" + folded(frame["source"]))
            filled = years.notna() & (frame["measure"] != "") & (frame["source"] != "")
            duplicated = keys.duplicated(keep=False) & filled
            checks.append(
                named_check(
                    lambda s: ~duplicated,
                    "one value per year, measure and source: another row has the same year, "
                    "measure and source",
                )
            )
        return checks

    value = named_check(lambda s: number_values(s).between(0, 100), VALUE_EXPECTED)
    source = non_empty("source (who published it, e.g. Stockholms stad)")
    return optional_schema(
        frame,
        organisation,
        units_file,
        ("measure", "measure"),
        measure_checks,
        {"value": value, "source": source},
    )


def check_benchmarks(
    table: Table,
    catalogue: Catalogue | None,
    organisation: Organisation | None,
    files: dict[str, str],
) -> Checked:
    structural = _columns(table, BENCHMARK_REQUIRED, ())
    if table.frame.empty:
        return Checked(structural, [])
    questions = catalogue.questions if catalogue is not None else None
    measures = benchmark_measures(questions) if questions is not None else None
    schema = benchmarks_schema(table.frame, measures, organisation, files.get("units", "units"))
    problems = table.problems_from(collect_failures(schema, table.frame))
    if measures is not None:
        problems = _hinted(problems, table, "measure", MEASURE_EXPECTED, measures.values())
    return Checked(structural, table.sort(problems))


def tidy_benchmarks(frame: pd.DataFrame, questions: pd.DataFrame) -> pd.DataFrame:
    """Valid rows as SurveyData's ``benchmarks``: the measure as figures.csv spells it, the
    value as a number (a decimal comma read as a point)."""
    measures = benchmark_measures(questions)
    tidy = pd.DataFrame(
        {
            "year": integer_values(frame["year"]).astype("int64"),
            "measure": frame["measure"].map(fold_measure).map(measures),
            "value": number_values(frame["value"]).astype("float64"),
            "source": frame["source"],
        }
    )
    return as_text(tidy)


def _hinted(
    problems: list[Problem], table: Table, column: str, expected: str, names
) -> list[Problem]:
    """The problems of a value outside a fixed list, with the listed name it most likely
    is ("Pagaende": did you mean Pågående?)."""
    if column not in table.display:
        return problems
    names = list(names)
    out = []
    for p in problems:
        meant = None
        if p.column == table.display[column] and p.expected == expected and p.value:
            meant = closest_column(str(p.value).strip(), names)
        hint = f" (did you mean {meant}?)" if meant else ""
        out.append(Problem(p.file, p.row, p.column, p.value, p.expected + hint))
    return out
