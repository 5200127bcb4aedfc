"""The tidy, validated survey: what ingestion hands to every later stage.

Ingestion is the only code that reads the user's input tables; everything
after it reads this object (or its parquet files under ``data/interim``), so
a CSV or an Excel export, comma or semicolon, all arrive in one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

BACKGROUND = ("gender", "age_group", "role")
RESPONSE_KEYS = ("year", "respondent_id", "unit_id", *BACKGROUND)


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
    """

    questions: pd.DataFrame
    units: pd.DataFrame
    responses: pd.DataFrame
    asked: pd.DataFrame

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

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name in ("questions", "units", "responses", "asked"):
            getattr(self, name).to_parquet(directory / f"{name}.parquet", index=False)

    @classmethod
    def load(cls, directory: str | Path) -> SurveyData:
        directory = Path(directory)
        tables = {
            name: pd.read_parquet(directory / f"{name}.parquet")
            for name in ("questions", "units", "responses", "asked")
        }
        return cls(**tables)
