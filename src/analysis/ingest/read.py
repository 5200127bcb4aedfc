"""Reading the input tables to the contract (§2), validating, quarantining.

Ingestion is the only code that touches the user's files. It reads every cell
as text (so a problem quotes the value exactly as written), matches file and
column names ignoring case and surrounding spaces, validates with the pandera
schemas of :mod:`analysis.ingest.schemas`, and hands back one tidy
:class:`~analysis.core.dataset.SurveyData` whatever the input looked like (CSV with
comma or semicolon, with or without BOM, or an Excel workbook).

Bad input: every problem of all the files is collected before anything is
decided, so the analyst fixes the input in one round. In strict mode
(``input.on_invalid: fail``) any problem stops the run. In quarantine mode
only *rows of responses* and of the optional tables (``action_plans``,
``benchmarks``: :mod:`~analysis.ingest.optional`) can be set aside; a broken
catalogue or organisation tree, a missing or unknown column, or an unreadable
file still stops the run, because such a table cannot be partly right. An
input without the optional tables is read, hashed and summarised exactly as
before they existed.

The steps live in their own modules: :mod:`~analysis.ingest.files` and
:mod:`~analysis.ingest.excel` (reading), :mod:`~analysis.ingest.validate`,
:mod:`~analysis.ingest.coding`, :mod:`~analysis.ingest.quarantine`; this
module decides what the problems mean and builds the summary;
:mod:`~analysis.ingest.write` publishes ``data/interim``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core.dataset import RESPONSE_KEYS, SurveyData
from analysis.core.params import Params
from analysis.ingest.coding import code_responses
from analysis.ingest.files import OPTIONAL_TABLES, TABLES, Table, locate, read_table
from analysis.ingest.optional import (
    check_action_plans,
    check_benchmarks,
    tidy_action_plans,
    tidy_benchmarks,
)
from analysis.ingest.problems import InputError, Problem, Unreadable
from analysis.ingest.quarantine import nothing_left, rejects
from analysis.ingest.validate import (
    check_questions,
    check_responses,
    check_units,
    invited_problems,
)


@dataclass
class IngestResult:
    """What ingestion hands on: the data, the rejected rows, and the bookkeeping."""

    data: SurveyData
    rejects: pd.DataFrame
    summary: dict[str, Any]


def _input_hash(tables: dict[str, Table]) -> str:
    """SHA-256 over the files' bytes in table order, each framed by name and size: the
    three tables, then the optional ones the input has."""
    digest = hashlib.sha256()
    for name in _present(tables):
        content = tables[name].content
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def _present(tables: dict[str, Table]) -> list[str]:
    """The tables read, in order: the three required, then the optional ones present."""
    return [*TABLES, *(name for name in OPTIONAL_TABLES if name in tables)]


def _listing(names: list[str]) -> str:
    """ "responses", "responses and action_plans": tables named in a note."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# --------------------------------------------------------------------------- entry points


def read_input(input_dir: str | Path, params: Params) -> IngestResult:
    """Read and validate ``input_dir``; raise InputError listing every problem.

    In quarantine mode rows of responses and of the optional tables with problems
    are set aside (returned in ``rejects``) and the rest go on; every other problem
    still raises.
    """
    input_dir = Path(input_dir)
    located, problems = locate(input_dir)
    tables: dict[str, Table] = {}
    per_table: dict[str, list[Problem]] = {name: [] for name in (*TABLES, *OPTIONAL_TABLES)}
    for name, path in located.items():
        try:
            tables[name] = read_table(name, path)
        except Unreadable as unreadable:
            per_table[name] = unreadable.problems
    files = {name: table.file for name, table in tables.items()}

    catalogue = check_questions(tables["questions"]) if "questions" in tables else None
    organisation = check_units(tables["units"]) if "units" in tables else None
    row_problems: list[Problem] = []
    if catalogue is not None:
        per_table["questions"] = catalogue.problems
    if organisation is not None:
        per_table["units"] = organisation.problems
    if "responses" in tables:
        per_table["responses"], row_problems = check_responses(
            tables["responses"], catalogue, organisation, params, files
        )
    if organisation is not None and organisation.keys is not None and "responses" in tables:
        # units' columns are all there: its invited counts are checked in the same pass as
        # its other rules, so that every problem of units is listed at once
        responding = tables["responses"]
        if not per_table["responses"] and set(RESPONSE_KEYS) <= set(responding.frame.columns):
            rejected = {p.row for p in row_problems}
            units = tables["units"]
            # a row with a problem of its own (a duplicate id, an unreadable count) is not
            # also judged against responses: which unit its respondents belong to is unclear
            flagged = {p.row for p in organisation.problems}
            invited = invited_problems(
                units, responding.frame.drop(index=sorted(rejected)), files["responses"]
            )
            per_table["units"] = units.sort(
                organisation.problems + [p for p in invited if p.row not in flagged]
            )
    rows_of = {"responses": row_problems}  # rows that quarantine can set aside, per table
    if "action_plans" in tables:
        plans = check_action_plans(tables["action_plans"], organisation, files)
        per_table["action_plans"], rows_of["action_plans"] = plans.structural, plans.rows
    if "benchmarks" in tables:
        marks = check_benchmarks(tables["benchmarks"], catalogue, organisation, files)
        per_table["benchmarks"], rows_of["benchmarks"] = marks.structural, marks.rows
    every_row = [p for rows in rows_of.values() for p in rows]
    fatal = problems + [p for name in per_table for p in per_table[name]]
    quarantine = params.input.on_invalid == "quarantine"
    optional = [name for name in OPTIONAL_TABLES if name in tables]
    if fatal:
        note = (
            f"input.on_invalid: quarantine sets aside bad rows of "
            f"{_listing(['responses', *optional])} only; problems of files, columns, "
            "questions or units must be fixed in the input."
            if quarantine
            else ""
        )
        raise InputError(fatal + every_row, note)
    if every_row and not quarantine:
        note = (
            "(input.on_invalid: quarantine would set these rows of "
            f"{_listing([name for name, rows in rows_of.items() if rows])} aside and go on)"
        )
        raise InputError(every_row, note)
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
        raise InputError([*every_row, nothing_left(responses_table, rows_in)])
    question_ids = list(catalogue.questions["question_id"])
    responses, asked = code_responses(kept, question_ids, params)
    counts = {"responses": (len(kept), len(rejected_rows))}
    set_aside = [rejects(responses_table, row_problems)]
    tidy: dict[str, pd.DataFrame] = {}  # an optional table without valid rows stays empty
    for name in optional:
        table = tables[name]
        rejected = sorted({p.row for p in rows_of[name] if p.row is not None})
        valid = table.frame.drop(index=rejected)
        if len(table.frame) != len(valid) + len(rejected):
            raise RuntimeError("rows in != rows used + rows rejected (a bug in ingest)")
        counts[name] = (len(valid), len(rejected))
        if len(valid) and name == "action_plans":
            tidy[name] = tidy_action_plans(valid)
        elif len(valid):
            tidy[name] = tidy_benchmarks(valid, catalogue.questions)
        if rows_of[name]:
            set_aside.append(rejects(table, rows_of[name]))
    data = SurveyData(catalogue.questions, organisation.units, responses, asked, **tidy)
    summary = _summary(tables, counts, data, params)
    all_rejects = set_aside[0] if len(set_aside) == 1 else pd.concat(set_aside, ignore_index=True)
    return IngestResult(data, all_rejects, summary)


def _summary(
    tables: dict[str, Table],
    counts: dict[str, tuple[int, int]],
    data: SurveyData,
    params: Params,
) -> dict[str, Any]:
    """``counts``: rows used and rejected of each table that quarantine can set rows of."""
    per_table = {}
    for name in _present(tables):
        table = tables[name]
        rows_in = len(table.frame)
        used, rejected = counts.get(name, (rows_in, 0))
        per_table[name] = {
            "file": table.file,
            "format": table.format,
            **table.details,
            "sha256": hashlib.sha256(table.content).hexdigest(),
            "rows_in": rows_in,
            "rows_used": used,
            "rows_rejected": rejected,
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
