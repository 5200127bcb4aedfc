"""Validating the three tables against the contract (§2), collecting every problem.

The per-value rules are the pandera schemas of :mod:`analysis.ingest.schemas`;
this module applies them to each :class:`~analysis.ingest.files.Table`, adds
the rules that span tables (question columns of responses, ``invited``
against the respondents) and maps a valid catalogue and organisation tree to
the contract's columns. Nothing is decided here: the problems are returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.core.dataset import RESPONSE_KEYS
from analysis.core.params import Params
from analysis.ingest.coding import as_text
from analysis.ingest.column_names import REFUSE_SIMILARITY, closest_column
from analysis.ingest.files import Table
from analysis.ingest.problems import Problem
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

#: what is lost when an optional column is missing (its misspelling is refused for that)
OPTIONAL_LOSS = {
    "manager_id": "no unit has a manager, so no leader report is made",
    "replaces": "no question is compared with its earlier wording",
}


def _known_columns(
    table: Table, required: tuple[str, ...], optional: tuple[str, ...]
) -> list[Problem]:
    """Keep the contract's columns; remember the others (listed in the summary).

    An ignored column that looks like a missing optional one (``chef_id`` for
    ``manager_id``) is a problem: ignoring it would silently lose what the
    column is for.
    """
    known = [c for c in table.frame.columns if c in (*required, *optional)]
    table.ignored = [table.display[c] for c in table.frame.columns if c not in known]
    problems = []
    absent = [c for c in optional if c not in table.frame.columns]
    for column in table.frame.columns:
        meant = closest_column(column, absent, REFUSE_SIMILARITY) if column not in known else None
        if meant:
            written = table.display[column]
            expected = (
                f"{meant} (an optional column): {written} is not a column of this table, so it "
                f"would be ignored and {OPTIONAL_LOSS.get(meant, 'its values lost')}; rename it "
                f"{meant}, or remove it"
            )
            problems.append(Problem(table.file, 1, written, written, expected))
    table.frame, table.raw = table.frame[known], table.raw[known]
    return problems


@dataclass
class Catalogue:
    questions: pd.DataFrame | None  # None when the table has problems
    canonical: dict[str, str]  # folded id → id as in the catalogue (best effort)
    problems: list[Problem]


def check_questions(table: Table) -> Catalogue:
    misnamed = _known_columns(table, QUESTION_COLUMNS, QUESTION_OPTIONAL)
    structural = misnamed + table.missing(QUESTION_COLUMNS) + table.no_rows("question")
    if structural:
        return Catalogue(None, {}, structural)
    frame = table.frame
    failures = collect_failures(questions_schema(frame), frame)
    problems = table.sort(table.problems_from(failures))
    canonical: dict[str, str] = {}
    for question_id in frame["question_id"]:
        if question_id:
            canonical.setdefault(question_id.casefold(), question_id)
    if problems:
        return Catalogue(None, canonical, problems)
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
    return Catalogue(as_text(questions), canonical, [])


@dataclass
class Organisation:
    units: pd.DataFrame | None  # None when the table has problems
    keys: frozenset[str] | None  # (year, unit_id) keys, None when unreadable
    years: frozenset[int] | None
    problems: list[Problem]


def check_units(table: Table) -> Organisation:
    misnamed = _known_columns(table, UNIT_COLUMNS, UNIT_OPTIONAL)
    structural = misnamed + table.missing(UNIT_COLUMNS) + table.no_rows("unit")
    if structural:
        return Organisation(None, None, None, structural)
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
        return Organisation(None, keys, unit_years, table.sort(problems))
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
    return Organisation(as_text(units), keys, unit_years, [])


def check_responses(
    table: Table,
    catalogue: Catalogue | None,
    organisation: Organisation | None,
    params: Params,
    files: dict[str, str],
) -> tuple[list[Problem], list[Problem]]:
    """(structural problems, row problems) of responses; renames question columns."""
    questions = set(catalogue.canonical) if catalogue is not None else set()
    unknown = [c for c in table.frame.columns if c not in RESPONSE_KEYS and c not in questions]
    structural = table.missing(RESPONSE_KEYS, unknown)
    rename: dict[str, str] = {}
    if catalogue is not None and catalogue.canonical:
        for column in table.frame.columns:
            if column in RESPONSE_KEYS:
                continue
            if column in catalogue.canonical:
                rename[column] = catalogue.canonical[column]
            else:
                written = table.display[column]
                meant = closest_column(column, [*RESPONSE_KEYS, *catalogue.canonical.values()])
                hint = f" (did you mean {meant}?)" if meant else ""
                expected = (
                    f"a question_id of {files['questions']} or one of the fixed columns "
                    f"({', '.join(RESPONSE_KEYS)}){hint}; no question has this id, and a "
                    "misspelt question column would silently drop the question"
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


def invited_problems(units: Table, responses: pd.DataFrame, responses_file: str) -> list[Problem]:
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
