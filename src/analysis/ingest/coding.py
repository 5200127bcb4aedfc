"""Coding valid responses to the contract's types: answers as numbers, the asked table.

Separate from validation: it runs only on rows that passed, and it is where
don't-know and out-of-scale values become missing answers.
"""

from __future__ import annotations

import pandas as pd

from analysis.core.dataset import BACKGROUND
from analysis.core.params import Params
from analysis.ingest.schemas import integer_values


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The same frame with every object/string column as pandas' string dtype."""
    out = frame.reset_index(drop=True)
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].astype(str)
    return out


def code_responses(
    frame: pd.DataFrame, question_ids: list[str], params: Params
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Answers as float64 (NaN for empty and don't-know) and the asked table."""
    survey = params.survey
    years = integer_values(frame["year"]).astype("int64")
    coded: dict[str, pd.Series] = {"year": years}
    coded.update({key: frame[key] for key in ("respondent_id", "unit_id", *BACKGROUND)})
    present = [q for q in question_ids if q in frame.columns]
    for question in question_ids:
        if question in present:
            values = integer_values(frame[question])
            coded[question] = values.where(values.between(survey.scale_min, survey.scale_max))
        else:
            coded[question] = pd.Series(float("nan"), index=frame.index, dtype="float64")
    responses = as_text(pd.DataFrame(coded))
    answered = (frame[present] != "").groupby(years).any()
    asked = [
        (int(year), question)
        for year in sorted(answered.index)
        for question in present
        if answered.at[year, question]
    ]
    asked_frame = pd.DataFrame(
        {
            "year": pd.Series([y for y, _ in asked], dtype="int64"),
            "question_id": pd.Series([q for _, q in asked], dtype=str),
        }
    )
    return responses, asked_frame
