"""How bad input is named: a :class:`Problem` per file, row, column and value.

Its own module because every part of ingestion (reading the files,
validating, quarantining) reports in these words, and the wording is what
the analyst reads and the tests check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analysis.core.errors import UserError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as a spreadsheet shows it.

    ``row`` is the spreadsheet row (header = 1, first data row = 2), None for
    a problem of the whole file or of a whole column.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}"
        if self.value is None:
            return f"{where}: expected {self.expected}"
        return f"{where}: value '{self.value}' — expected {self.expected}"


class InputError(UserError, ValueError):
    """The input does not follow the contract; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[Problem], note: str = "") -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"{count} problem{'' if count == 1 else 's'} in the input:"]
        lines += [f"  {problem}" for problem in self.problems]
        if note:
            lines.append(note)
        super().__init__("\n".join(lines))


class Unreadable(Exception):
    """Internal: a file cannot be turned into a table; carries the reasons."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems
