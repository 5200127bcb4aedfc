"""Where the stages read and write, and the check every yearly stage makes first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.core.errors import StageError

if TYPE_CHECKING:  # the command line imports this module before numpy may load
    from analysis.core.dataset import SurveyData


@dataclass(frozen=True)
class StagePaths:
    """The pipeline's folders: what ingest writes, what yearly stages write, what is published."""

    interim: Path = Path("data/interim")
    processed: Path = Path("data/processed")
    reports: Path = Path("reports")

    def processed_year(self, year: int) -> Path:
        return self.processed / str(year)

    def reports_year(self, year: int) -> Path:
        return self.reports / str(year)


def check_report_year(data: SurveyData, year: int) -> None:
    """A yearly stage asked for a year the input does not have stops with the years it has."""
    if year not in data.years:
        raise StageError(
            f"report.years names {year}, but the input has survey years {data.years}; "
            "set report.years in params.yaml to years present in the data"
        )
