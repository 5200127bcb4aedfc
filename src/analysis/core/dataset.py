"""The tidy, validated survey: what ingestion hands to every later stage.

Ingestion is the only code that reads the user's input tables; everything
after it reads this object (or its parquet files under ``data/interim``), so
a CSV or an Excel export, comma or semicolon, all arrive in one shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.core.contract import ACTION_PLAN_COLUMNS, BENCHMARK_COLUMNS

BACKGROUND = ("gender", "age_group", "role")
RESPONSE_KEYS = ("year", "respondent_id", "unit_id", *BACKGROUND)
#: the tables every input has, and the optional ones (saved only when they have rows, so
#: that an input without them leaves data/interim as it was)
REQUIRED_FRAMES = ("questions", "units", "responses", "asked")
OPTIONAL_FRAMES = ("action_plans", "benchmarks")


def empty_action_plans() -> pd.DataFrame:
    """An action_plans frame without rows: year (int), unit_id, status, deadline, note."""
    return _empty(ACTION_PLAN_COLUMNS)


def empty_benchmarks() -> pd.DataFrame:
    """A benchmarks frame without rows: year (int), measure, value (float), source."""
    return _empty(BENCHMARK_COLUMNS)


_NUMBER_COLUMNS = {"year": "int64", "value": "float64"}


def _empty(columns: Iterable[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=_NUMBER_COLUMNS.get(c, "str")) for c in columns})


@dataclass
class SurveyData:
    """Validated survey tables.

    questions: question_id, text, area, ami_dimension ("" if none),
        leadership (bool), replaces ("" if none) - in catalogue order.
    units: year (int), unit_id, unit_name, parent_id ("" for the root),
        unit_type, invited (nullable Int64), manager_id ("" if none).
    responses: year (int), respondent_id, unit_id, gender, age_group, role
        ("" = unknown), then one float column per question_id of the
        catalogue: the valid answer, NaN for empty *and* for don't-know.
    asked: year (int), question_id - the questions asked each year (a column
        present with at least one non-empty value, don't-know included).
    action_plans: year (int), unit_id, status (one of contract.PLAN_STATUSES),
        deadline ("" if none), note ("" if none) - no rows when the input has none.
    benchmarks: year (int), measure (a figures.csv measure), value (float),
        source - no rows when the input has none.
    """

    questions: pd.DataFrame
    units: pd.DataFrame
    responses: pd.DataFrame
    asked: pd.DataFrame
    action_plans: pd.DataFrame = field(default_factory=empty_action_plans)
    benchmarks: pd.DataFrame = field(default_factory=empty_benchmarks)

    @property
    def question_ids(self) -> list[str]:
        return list(self.questions["question_id"])

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.responses["year"].unique())

    def previous_year(self, year: int) -> int | None:
        """The latest survey year before ``year`` that has responses."""
        earlier = [y for y in self.years if y < year]
        return max(earlier) if earlier else None

    def asked_in(self, year: int) -> list[str]:
        """Question ids asked in ``year``, in catalogue order."""
        ids = set(self.asked.loc[self.asked["year"] == year, "question_id"])
        return [q for q in self.question_ids if q in ids]

    def units_in(self, year: int) -> pd.DataFrame:
        return self.units[self.units["year"] == year].reset_index(drop=True)

    def responses_in(self, year: int) -> pd.DataFrame:
        return self.responses[self.responses["year"] == year].reset_index(drop=True)

    def plans_in(self, years: Iterable[int]) -> pd.DataFrame:
        """The action plans of ``years``, in input order."""
        return _rows_of(self.action_plans, years)

    def benchmarks_in(self, years: Iterable[int]) -> pd.DataFrame:
        """The benchmark rows of ``years``, in input order."""
        return _rows_of(self.benchmarks, years)

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name in REQUIRED_FRAMES:
            getattr(self, name).to_parquet(directory / f"{name}.parquet", index=False)
        for name in OPTIONAL_FRAMES:
            if len(getattr(self, name)):
                getattr(self, name).to_parquet(directory / f"{name}.parquet", index=False)

    @classmethod
    def load(cls, directory: str | Path) -> SurveyData:
        directory = Path(directory)
        tables = {name: pd.read_parquet(directory / f"{name}.parquet") for name in REQUIRED_FRAMES}
        for name in OPTIONAL_FRAMES:
            if (directory / f"{name}.parquet").is_file():
                tables[name] = pd.read_parquet(directory / f"{name}.parquet")
        return cls(**tables)


def _rows_of(frame: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    return frame[frame["year"].isin(list(years))].reset_index(drop=True)
