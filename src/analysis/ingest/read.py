"""Reading the three input tables to the contract (§2), validating, quarantining.

Ingestion is the only code that touches the user's files. It reads every cell
as text (so a problem quotes the value exactly as written), matches file and
column names ignoring case and surrounding spaces, validates with the pandera
schemas of :mod:`analysis.ingest.schemas`, and hands back one tidy
:class:`~analysis.core.dataset.SurveyData` whatever the input looked like (CSV with
comma or semicolon, with or without BOM, or an Excel workbook).

Bad input: every problem of all three files is collected before anything is
decided, so the analyst fixes the input in one round. In strict mode
(``input.on_invalid: fail``) any problem stops the run. In quarantine mode
only *rows of responses* can be set aside; a broken catalogue or
organisation tree, a missing or unknown column, or an unreadable file still
stops the run, because such a table cannot be partly right.

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
from analysis.ingest.files import TABLES, Table, locate, read_table
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
    """SHA-256 over the three files' bytes in table order, each framed by name and size."""
    digest = hashlib.sha256()
    for name in TABLES:
        content = tables[name].content
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


# --------------------------------------------------------------------------- entry points


def read_input(input_dir: str | Path, params: Params) -> IngestResult:
    """Read and validate ``input_dir``; raise InputError listing every problem.

    In quarantine mode rows of responses with problems are set aside (returned
    in ``rejects``) and the rest go on; every other problem still raises.
    """
    input_dir = Path(input_dir)
    located, problems = locate(input_dir)
    tables: dict[str, Table] = {}
    per_table: dict[str, list[Problem]] = {name: [] for name in TABLES}
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
    fatal = problems + [p for name in TABLES for p in per_table[name]]
    quarantine = params.input.on_invalid == "quarantine"
    if fatal:
        note = (
            "input.on_invalid: quarantine sets aside bad rows of responses only; problems "
            "of files, columns, questions or units must be fixed in the input."
            if quarantine
            else ""
        )
        raise InputError(fatal + row_problems, note)
    if row_problems and not quarantine:
        note = "(input.on_invalid: quarantine would set these rows of responses aside and go on)"
        raise InputError(row_problems, note)
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
        raise InputError([*row_problems, nothing_left(responses_table, rows_in)])
    question_ids = list(catalogue.questions["question_id"])
    responses, asked = code_responses(kept, question_ids, params)
    data = SurveyData(catalogue.questions, organisation.units, responses, asked)
    summary = _summary(tables, len(kept), len(rejected_rows), data, params)
    return IngestResult(data, rejects(responses_table, row_problems), summary)


def _summary(
    tables: dict[str, Table], used: int, rejected: int, data: SurveyData, params: Params
) -> dict[str, Any]:
    per_table = {}
    for name in TABLES:
        table = tables[name]
        rows_in = len(table.frame)
        is_responses = name == "responses"
        per_table[name] = {
            "file": table.file,
            "format": table.format,
            **table.details,
            "sha256": hashlib.sha256(table.content).hexdigest(),
            "rows_in": rows_in,
            "rows_used": used if is_responses else rows_in,
            "rows_rejected": rejected if is_responses else 0,
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
