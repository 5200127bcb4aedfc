"""The value rules of the three input tables, as pandera schemas.

Every per-value rule of contract §2 lives here as a named pandera check whose
name is the sentence a user reads ("expected …"), so the rule and its error
message cannot drift apart. The schemas run on the *stripped text* of each
cell (ingestion reads everything as strings, so a value is reported exactly as
written); cross-row rules (uniqueness, parents, cycles) are built from the
frame being validated, which is why each schema is made per input.

``collect_failures`` turns pandera's lazy failure report into plain rows
``(row, column, value, expected)``; the frames' index *is* the spreadsheet
row number, so no mapping back is needed. :func:`named_check`,
:func:`required_column`, :func:`non_empty` and :func:`year_checks` are the
bricks the optional tables' rules (:mod:`analysis.ingest.optional`) are
built from too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from analysis.core.catalogue import AMI_DIMENSIONS
from analysis.core.dataset import RESPONSE_KEYS

__all__ = [
    "DIMENSION_BY_FOLDED",
    "LEADERSHIP_FALSE",
    "LEADERSHIP_TRUE",
    "QUESTION_COLUMNS",
    "QUESTION_OPTIONAL",
    "UNIT_COLUMNS",
    "UNIT_OPTIONAL",
    "answer_expectation",
    "collect_failures",
    "integer_values",
    "named_check",
    "non_empty",
    "questions_schema",
    "required_column",
    "responses_schema",
    "units_in_cycles",
    "units_schema",
    "year_checks",
    "year_unit_keys",
    "years_without_root",
]

QUESTION_COLUMNS = ("question_id", "text", "area", "ami_dimension", "leadership")
QUESTION_OPTIONAL = ("replaces",)
UNIT_COLUMNS = ("year", "unit_id", "unit_name", "parent_id", "unit_type", "invited")
UNIT_OPTIONAL = ("manager_id",)

# Accepted spellings of the leadership flag (case-insensitive). Swedish Excel
# writes the booleans TRUE/FALSE as SANT/FALSKT in a CSV export.
LEADERSHIP_TRUE = frozenset({"1", "true", "ja", "sant"})
LEADERSHIP_FALSE = frozenset({"0", "false", "nej", "falskt", ""})
DIMENSION_BY_FOLDED = {d.casefold(): d for d in AMI_DIMENSIONS}

# An integer as a person or a program writes it: ' 4', '+4', '04', and also
# '4.0' (what pandas and many exports write for whole numbers).
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+(?:\.0*)?")
# Beyond 2**53 a float64 no longer holds every whole number (and beyond 2**63 no
# int64 holds it at all): such a "year" or "invited" is a typo, not a number.
_LARGEST_EXACT_INTEGER = 2.0**53
_KEY_SEPARATOR = "\x1f"


def integer_values(text: pd.Series) -> pd.Series:
    """float64 Series: the whole number each cell holds, NaN where it holds none.

    Parsed per *distinct* value (answer columns have a handful), so a million
    rows cost one factorisation rather than a million conversions. A whole
    number too large to hold exactly counts as none, so it is reported as a
    bad value instead of crashing the later cast to int64.
    """
    codes, uniques = pd.factorize(text)
    parsed = np.array([_whole_number(u) for u in uniques] + [np.nan], dtype="float64")
    # code -1 (a missing value) picks the trailing NaN
    return pd.Series(parsed[codes], index=text.index, dtype="float64")


def _whole_number(text: str) -> float:
    if not _INTEGER_TEXT.fullmatch(text):
        return np.nan
    value = float(text)
    return value if abs(value) <= _LARGEST_EXACT_INTEGER else np.nan


def year_unit_keys(years: pd.Series, ids: pd.Series) -> pd.Series:
    """One string per row identifying (year, id); years must be parsed numbers."""
    year_text = years.astype("Int64").astype(str)
    return year_text + _KEY_SEPARATOR + ids


def named_check(test: Callable[[pd.Series], pd.Series], expected: str) -> pa.Check:
    """A vectorised pandera check whose name is the user-facing expectation.

    ``test`` gets the column's stripped text and returns True where a cell is
    valid; a failing cell is reported with ``expected`` as written here
    (:func:`collect_failures`).
    """
    return pa.Check(test, name=expected, error=expected)


def required_column(*checks: pa.Check) -> pa.Column:
    """A column the schema requires (never null: cells are text), with its checks in order."""
    return pa.Column(checks=list(checks), nullable=False, required=True)


def non_empty(what: str) -> pa.Check:
    """The cell holds something: "expected a non-empty <what>"."""
    return named_check(lambda s: s != "", f"a non-empty {what}")


def year_checks(
    years: pd.Series, unit_years: frozenset[int] | None, units_file: str
) -> list[pa.Check]:
    """A table's ``year`` (``years``: :func:`integer_values` of it): a whole number and, when
    the units table could be read (``unit_years``), a year that it has."""
    checks = [named_check(lambda s: years.notna(), "a whole number (the survey year)")]
    if unit_years is not None:
        known = years.isin(unit_years)
        checks.append(
            named_check(lambda s: years.isna() | known, f"a year that appears in {units_file}")
        )
    return checks


def _folded_in(allowed: Iterable[str], expected: str) -> pa.Check:
    allowed = frozenset(allowed)
    return named_check(lambda s: s.str.casefold().isin(allowed), expected)


def questions_schema(frame: pd.DataFrame) -> pa.DataFrameSchema:
    """Rules for the question catalogue (columns already normalised)."""
    folded_ids = frame["question_id"].str.casefold()
    reserved = ", ".join(RESPONSE_KEYS)
    columns = {
        "question_id": required_column(
            non_empty("question id"),
            named_check(
                lambda s: (s == "") | ~s.str.casefold().duplicated(keep=False),
                "a question id used only once (ids are matched ignoring case)",
            ),
            named_check(
                lambda s: ~s.str.casefold().isin(RESPONSE_KEYS),
                f"a question id that is not one of the fixed response columns ({reserved})",
            ),
        ),
        "text": required_column(non_empty("question text")),
        "ami_dimension": required_column(
            _folded_in(
                [*DIMENSION_BY_FOLDED, ""],
                f"{', '.join(AMI_DIMENSIONS)} or empty (not in AMI)",
            )
        ),
        "leadership": required_column(
            _folded_in(
                LEADERSHIP_TRUE | LEADERSHIP_FALSE,
                "1/0, true/false, ja/nej or empty (= 0, not a leadership question)",
            )
        ),
    }
    if "replaces" in frame.columns:
        # The old wording need not be in the catalogue (contract §2: "the id of
        # an earlier question"): a reworded question is never compared anyway.
        columns["replaces"] = required_column(
            named_check(
                lambda s: (s == "") | (s.str.casefold() != folded_ids),
                "the id of an earlier question, not the question's own id",
            ),
        )
    return pa.DataFrameSchema(columns)


def units_schema(frame: pd.DataFrame) -> pa.DataFrameSchema:
    """Rules for the organisation tree, per year (columns already normalised)."""
    years = integer_values(frame["year"])
    valid_year = years.notna()
    unit_ids, parents = frame["unit_id"], frame["parent_id"]
    own_keys = year_unit_keys(years, unit_ids)
    known_keys = frozenset(own_keys[valid_year & (unit_ids != "")])
    parent_keys = year_unit_keys(years, parents)
    duplicated = own_keys.duplicated(keep=False) & valid_year & (unit_ids != "")
    is_root = valid_year & (parents == "")
    roots_in_year = years[is_root].value_counts()
    extra_root = is_root & (years.map(roots_in_year) > 1)
    cyclic = units_in_cycles(years, unit_ids, parents)
    columns = {
        "year": required_column(
            named_check(lambda s: years.notna(), "a whole number (the survey year)")
        ),
        "unit_id": required_column(
            non_empty("unit id"),
            named_check(lambda s: ~duplicated, "a unit id used only once within its year"),
        ),
        "unit_name": required_column(non_empty("unit name")),
        "parent_id": required_column(
            named_check(
                lambda s: (s == "") | ~valid_year | parent_keys.isin(known_keys),
                "empty (the root) or the unit_id of a unit of the same year",
            ),
            named_check(
                lambda s: ~extra_root,
                "a parent unit: each year has exactly one root (empty parent_id), "
                "and this year has more than one",
            ),
            named_check(
                lambda s: ~cyclic,
                "a parent chain that ends at the root, but following parent_id from "
                "this unit leads back to it (a cycle)",
            ),
        ),
        "unit_type": required_column(),
        "invited": required_column(
            named_check(
                lambda s: (s == "") | (integer_values(s) >= 0),
                "empty or a whole number ≥ 0 (employees invited)",
            )
        ),
    }
    return pa.DataFrameSchema(columns)


def units_in_cycles(years: pd.Series, unit_ids: pd.Series, parents: pd.Series) -> pd.Series:
    """True for the units whose parent chain leads back to themselves.

    Walks each year's parent map once (units tables have at most thousands of
    rows); a unit merely *below* a cycle is not flagged, so the error list
    names exactly the units to fix.
    """
    in_cycle: set[tuple[float, str]] = set()
    for year in years.dropna().unique():
        rows = years == year
        parent_of: dict[str, str] = {}
        for unit, parent in zip(unit_ids[rows], parents[rows], strict=True):
            parent_of.setdefault(unit, parent)
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        for start in parent_of:
            path: list[str] = []
            node = start
            while node in parent_of and state.get(node) is None:
                state[node] = 1
                path.append(node)
                node = parent_of[node]
            if state.get(node) == 1:  # the walk met its own path: a new cycle
                in_cycle.update((year, u) for u in path[path.index(node) :])
            for u in path:
                state[u] = 2
    flags = [(y, u) in in_cycle for y, u in zip(years, unit_ids, strict=True)]
    return pd.Series(flags, index=unit_ids.index, dtype=bool)


def years_without_root(frame: pd.DataFrame) -> list[int]:
    """Years of the units table in which no unit has an empty parent_id."""
    years = integer_values(frame["year"])
    with_root = set(years[frame["parent_id"] == ""].dropna())
    return sorted(int(y) for y in set(years.dropna()) - with_root)


def answer_expectation(scale_min: int, scale_max: int, dont_know: int) -> str:
    return f"an integer {scale_min}..{scale_max}, {dont_know} (vet ej) or empty"


def responses_schema(
    frame: pd.DataFrame,
    question_columns: Iterable[str],
    *,
    scale_min: int,
    scale_max: int,
    dont_know: int,
    unit_keys: frozenset[str] | None,
    unit_years: frozenset[int] | None,
    units_file: str,
) -> pa.DataFrameSchema:
    """Rules for the answers; ``unit_keys``/``unit_years`` None = units unreadable.

    A missing fixed column is reported elsewhere; the rules that do not need
    it still run, so one round lists every problem.
    """
    has = set(frame.columns)
    columns: dict[str, pa.Column] = {}
    years = integer_values(frame["year"]) if "year" in has else None
    if years is not None:
        columns["year"] = required_column(*year_checks(years, unit_years, units_file))
    if "respondent_id" in has:
        respondent_checks = [non_empty("respondent id")]
        if years is not None:
            respondent_ids = frame["respondent_id"]
            duplicated = (
                year_unit_keys(years, respondent_ids).duplicated(keep=False)
                & years.notna()
                & (respondent_ids != "")
            )
            respondent_checks.append(
                named_check(lambda s: ~duplicated, "a respondent id used only once within its year")
            )
        columns["respondent_id"] = required_column(*respondent_checks)
    if "unit_id" in has and years is not None and unit_years is not None and unit_keys is not None:
        known = years.isin(unit_years)
        columns["unit_id"] = required_column(
            named_check(
                lambda s: ~known | year_unit_keys(years, s).isin(unit_keys),
                f"the unit_id of a unit in {units_file} for the same year",
            )
        )
    expected = answer_expectation(scale_min, scale_max, dont_know)

    def valid_answer(s: pd.Series) -> pd.Series:
        values = integer_values(s)
        return (s == "") | values.between(scale_min, scale_max) | (values == dont_know)

    for question in question_columns:
        columns[question] = required_column(named_check(valid_answer, expected))
    return pa.DataFrameSchema(columns)


def collect_failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """Every failing cell as rows ``row, column, value, expected`` (lazy validation).

    A check that *crashes* (rather than returning False) is a bug in this
    module, never a user error, so it is raised instead of being listed.
    """
    empty = pd.DataFrame({"row": [], "column": [], "value": [], "expected": []})
    try:
        schema.validate(frame, lazy=True, inplace=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        if cases["index"].isna().any():
            raise RuntimeError(f"a validation check failed to run:\n{cases}") from errors
        return pd.DataFrame(
            {
                "row": cases["index"].astype("int64"),
                "column": cases["column"].astype(str),
                "value": cases["failure_case"].astype(str),
                "expected": cases["check"].astype(str),
            }
        ).reset_index(drop=True)
    return empty
