"""The analysts' API: the published figures as tidy tables, ready answers, safe breakdowns.

Read-only, on the pipeline's outputs (``data/processed/<year>/``); only
:func:`breakdown` also reads the respondent rows (``data/interim``), and it
shows of them only what the published figures' anonymity rules allow.
docs/analysts.md shows the API with examples.

>>> from analysis.explore import load_year, figures, largest_changes
>>> data = load_year("data/processed/2023")
>>> largest_changes(data, "AMI", unit_types=["grundskola"], n=10)  # doctest: +SKIP
"""

from analysis.core.dataset import SurveyData
from analysis.explore.answers import by_group, largest_changes, leaders, select, unit_drivers
from analysis.explore.breakdown import TOTAL, breakdown
from analysis.explore.tidy import drivers, figures, measure_names
from analysis.explore.units import (
    ExploreError,
    find_unit,
    managers_within,
    unit_table,
    units_within,
)
from analysis.report.processed import ProcessedYear, load_processed_year

load_year = load_processed_year


def load_responses(interim_dir: str = "data/interim") -> SurveyData:
    """The respondent rows as the stages read them (ingest's output), for :func:`breakdown`."""
    return SurveyData.load(interim_dir)


__all__ = [
    "TOTAL",
    "ExploreError",
    "ProcessedYear",
    "SurveyData",
    "breakdown",
    "by_group",
    "drivers",
    "figures",
    "find_unit",
    "largest_changes",
    "leaders",
    "load_responses",
    "load_year",
    "managers_within",
    "measure_names",
    "select",
    "unit_drivers",
    "unit_table",
    "units_within",
]
