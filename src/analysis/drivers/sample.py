"""The driver sample of one year: the Motivation outcome, the driver questions, who is complete.

Kept apart from the per-unit analysis because it is the only part that reads
respondent rows: everything after it works on the arrays it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.core.catalogue import motivation_questions
from analysis.core.contract import (
    MISSING_LISTWISE,
    NO_DRIVERS,
    NO_MOTIVATION,
    NO_OUTCOME,
    NO_QUESTIONS,
)
from analysis.core.dataset import SurveyData
from analysis.core.params import Params
from analysis.drivers.relweights import DriverAnalysisError

__all__ = [
    "MAX_SUSPECTS",
    "DriverQuestions",
    "DriverSample",
    "build_driver_sample",
    "driver_questions",
    "motivation_score",
]

#: how many questions a warning names when too few respondents answered all.
MAX_SUSPECTS = 5


@dataclass(frozen=True)
class DriverQuestions:
    """The outcome's and the drivers' question ids of one year (catalogue order).

    ``excluded``: asked that year (a non-empty column) but without a single
    valid answer - everyone said don't-know - so they are left out of the
    drivers instead of leaving no complete respondent at all.
    """

    motivation: tuple[str, ...]
    drivers: tuple[str, ...]
    excluded: tuple[str, ...]


@dataclass(frozen=True)
class DriverSample:
    """The respondents the driver analysis of one year rests on: outcome, drivers, units.

    With ``method`` ``listwise`` those who answered every driver; with
    ``pairwise`` everyone with a Motivation score who answered at least one
    driver (``drivers`` then holds NaN for a question not answered).
    ``outcome`` is the Motivation score 0-100; ``drivers`` the raw answers
    (rescaling is linear, so correlations do not change) in ``question_ids``
    order; ``unit_ids`` the unit each respondent belongs to. ``missing``
    counts, per driver, the respondents with a Motivation score but no valid
    answer to it (what listwise deletion loses to each question);
    ``n_complete`` those who answered every driver.
    """

    year: int
    question_ids: tuple[str, ...]
    motivation_ids: tuple[str, ...]
    outcome: np.ndarray
    drivers: np.ndarray
    respondent_ids: np.ndarray
    unit_ids: np.ndarray
    n_respondents: int
    n_with_outcome: int = 0
    missing: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    excluded: tuple[str, ...] = ()
    method: str = MISSING_LISTWISE
    n_complete: int = 0

    def most_missing(self, k: int = MAX_SUSPECTS) -> list[tuple[str, int]]:
        """The ``k`` drivers most often unanswered by respondents with an outcome (id, count)."""
        order = np.argsort(-self.missing, kind="stable")[:k]
        return [(self.question_ids[i], int(self.missing[i])) for i in order if self.missing[i] > 0]


def motivation_score(
    responses: pd.DataFrame, motivation_ids: Sequence[str], scale_min: float, scale_max: float
) -> pd.Series:
    """Each respondent's mean valid Motivation answer rescaled to 0-100 (NaN if none valid)."""
    mean = responses[list(motivation_ids)].mean(axis=1, skipna=True)
    return (mean - scale_min) / (scale_max - scale_min) * 100


def driver_questions(data: SurveyData, year: int) -> DriverQuestions:
    """Outcome and driver questions of ``year``; drivers without any valid answer set aside."""
    asked = data.asked_in(year)
    motivation = set(motivation_questions(data.questions))
    candidates = [q for q in asked if q not in motivation]
    responses = data.responses_in(year)
    answered = responses[candidates].notna().any(axis=0) if candidates else pd.Series(dtype=bool)
    return DriverQuestions(
        motivation=tuple(q for q in asked if q in motivation),
        drivers=tuple(q for q in candidates if answered[q]),
        excluded=tuple(q for q in candidates if not answered[q]),
    )


def build_driver_sample(
    data: SurveyData, params: Params, year: int, method: str | None = None
) -> DriverSample:
    """Outcome and drivers of ``year``, for ``method`` (default ``drivers.missing``).

    ``listwise``: the complete respondents only; ``pairwise``: everyone with
    an outcome and at least one driver answered.

    Raises ``DriverAnalysisError`` (with a year-level ``code``) when the year
    has no outcome or no drivers at all.
    """
    asked = data.asked_in(year)
    if not asked:
        raise DriverAnalysisError(
            f"year {year}: no questions were asked (or no such year)", NO_QUESTIONS
        )
    questions = driver_questions(data, year)
    motivation, drivers = list(questions.motivation), list(questions.drivers)
    if not motivation:
        raise DriverAnalysisError(
            f"year {year}: no Motivation questions were asked (questions with ami_dimension = "
            f"'Motivation'; {len(asked)} questions asked), so there is no outcome for the "
            "driver analysis",
            NO_MOTIVATION,
        )
    if not drivers:
        raise DriverAnalysisError(
            f"year {year}: no question besides the Motivation questions has a valid answer; "
            "there are no drivers to analyse",
            NO_DRIVERS,
            questions.excluded,
        )
    responses = data.responses_in(year)
    outcome = motivation_score(
        responses, motivation, params.survey.scale_min, params.survey.scale_max
    )
    has_outcome = outcome.notna().to_numpy()
    if not has_outcome.any():
        raise DriverAnalysisError(
            f"year {year}: nobody gave a valid answer to the Motivation questions {motivation} "
            "(only don't-know or empty), so there is no outcome for the driver analysis",
            NO_OUTCOME,
            tuple(motivation),
        )
    answers = responses[drivers].to_numpy(dtype=float)
    valid = np.isfinite(answers)
    complete = has_outcome & valid.all(axis=1)
    method = params.drivers.missing if method is None else method
    kept = complete if method == MISSING_LISTWISE else has_outcome & valid.any(axis=1)
    return DriverSample(
        year=year,
        question_ids=tuple(drivers),
        motivation_ids=tuple(motivation),
        outcome=outcome.to_numpy(dtype=float)[kept],
        drivers=answers[kept],
        respondent_ids=responses["respondent_id"].astype(str).to_numpy()[kept],
        unit_ids=responses["unit_id"].astype(str).to_numpy()[kept],
        n_respondents=len(responses),
        n_with_outcome=int(has_outcome.sum()),
        missing=(~valid[has_outcome]).sum(axis=0).astype(np.int64),
        excluded=questions.excluded,
        method=method,
        n_complete=int(complete.sum()),
    )
