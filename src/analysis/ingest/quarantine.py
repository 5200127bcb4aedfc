"""Quarantine: the rejected response rows, one line per problem, with the row as written.

Separate so the rejects' format (``rejects.csv``) and the rule that
quarantine never leaves an empty survey are in one place.
"""

from __future__ import annotations

import json

import pandas as pd

from analysis.ingest.files import Table
from analysis.ingest.problems import Problem

REJECT_COLUMNS = ("file", "row", "column", "value", "reason", "row_values")


def rejects(table: Table, problems: list[Problem]) -> pd.DataFrame:
    """One line per problem of a rejected row, with the whole row as written (JSON)."""
    rows = sorted({p.row for p in problems if p.row is not None})
    written = table.raw.loc[rows].rename(columns=table.display)
    as_json = {
        row: json.dumps(values, ensure_ascii=False)
        for row, values in zip(rows, written.to_dict("records"), strict=True)
    }
    return pd.DataFrame(
        {
            "file": pd.Series([p.file for p in problems], dtype=str),
            "row": pd.Series([p.row for p in problems], dtype="int64"),
            "column": pd.Series([p.column for p in problems], dtype=str),
            "value": pd.Series([p.value for p in problems], dtype=str),
            "reason": pd.Series([f"expected {p.expected}" for p in problems], dtype=str),
            "row_values": pd.Series([as_json[p.row] for p in problems], dtype=str),
        },
        columns=list(REJECT_COLUMNS),
    )


def nothing_left(table: Table, rows_in: int) -> Problem:
    """Quarantine must not turn a wholly broken responses file into an empty survey."""
    expected = (
        f"at least one valid response row, but all {rows_in} were rejected: no valid "
        "response rows left after quarantine (fix the rows listed above)"
    )
    return Problem(table.file, None, None, None, expected)
