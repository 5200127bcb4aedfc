"""Build a small :class:`SurveyData` from literal rows, for hand-worked tests.

Tests state their data the way a reader works it out on paper; this helper
turns it into the tidy shape ingestion would produce (docs/architecture.md,
"The tidy dataset"), so tests of later stages need no files.

Example::

    data = survey(
        questions=[question("q1", area="Lön", dimension="Motivation")],
        units=[unit(2023, "root", invited=10), unit(2023, "a", parent="root", invited=5)],
        responses=[
            *respondents(2023, "a", q1=[5, 4, 0, None], gender="Kvinna"),
            *respondents(2023, "root", q1=[3, 3]),
        ],
    )

Answers are given as on the input scale: ``None`` = empty, the don't-know
code (``dont_know``, default 0) = "vet ej"; both become NaN. A question is
*asked* in a year when any of that year's rows gives it a value (don't-know
included), exactly like ingestion decides.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.core.dataset import BACKGROUND, SurveyData


def question(
    question_id: str,
    *,
    area: str = "Område",
    dimension: str = "",
    leadership: bool = False,
    replaces: str = "",
    text: str | None = None,
) -> dict[str, Any]:
    """One row of the question catalogue (catalogue order = list order)."""
    return {
        "question_id": question_id,
        "text": text if text is not None else f"Fråga {question_id}",
        "area": area,
        "ami_dimension": dimension,
        "leadership": leadership,
        "replaces": replaces,
    }


def unit(
    year: int,
    unit_id: str,
    *,
    parent: str = "",
    invited: int | None = None,
    manager: str = "",
    unit_type: str = "enhet",
    name: str | None = None,
) -> dict[str, Any]:
    """One row of the units table (``parent`` "" = the root)."""
    return {
        "year": year,
        "unit_id": unit_id,
        "unit_name": name if name is not None else unit_id,
        "parent_id": parent,
        "unit_type": unit_type,
        "invited": invited,
        "manager_id": manager,
    }


def respondents(
    year: int,
    unit_id: str,
    *,
    gender: str = "",
    age_group: str = "",
    role: str = "",
    **answers: list[int | None] | int | None,
) -> list[dict[str, Any]]:
    """Rows for several respondents of one unit sharing background labels.

    Each keyword after the labels is a question id: a list gives one answer
    per respondent (all lists equally long), a scalar the same answer to
    everyone (then at least one list must set the count).
    """
    lengths = {len(v) for v in answers.values() if isinstance(v, list)}
    if len(lengths) != 1:
        raise ValueError(f"respondents(): answer lists must exist and share one length: {lengths}")
    (count,) = lengths
    rows = []
    for i in range(count):
        row: dict[str, Any] = {
            "year": year,
            "unit_id": unit_id,
            "gender": gender,
            "age_group": age_group,
            "role": role,
        }
        for qid, values in answers.items():
            row[qid] = values[i] if isinstance(values, list) else values
        rows.append(row)
    return rows


def survey(
    questions: list[dict[str, Any]],
    units: list[dict[str, Any]],
    responses: list[dict[str, Any]],
    *,
    dont_know: int = 0,
) -> SurveyData:
    """The tidy SurveyData for literal rows; respondent ids are numbered per year."""
    q_frame = pd.DataFrame(questions, columns=list(question("x")))
    q_frame["leadership"] = q_frame["leadership"].astype(bool)
    qids = list(q_frame["question_id"])

    u_frame = pd.DataFrame(units, columns=list(unit(0, "x")))
    u_frame["year"] = u_frame["year"].astype(np.int64)
    u_frame["invited"] = pd.array(
        [pd.NA if u["invited"] is None else int(u["invited"]) for u in units], dtype="Int64"
    )

    unknown = sorted({k for r in responses for k in r} - {"year", "unit_id", *BACKGROUND, *qids})
    if unknown:
        raise ValueError(f"survey(): response columns not in the catalogue: {unknown}")
    rows = []
    asked: set[tuple[int, str]] = set()
    counter: dict[int, int] = {}
    for r in responses:
        year = int(r["year"])
        counter[year] = counter.get(year, 0) + 1
        row: dict[str, Any] = {
            "year": year,
            "respondent_id": r.get("respondent_id", f"r{year}-{counter[year]}"),
            "unit_id": r["unit_id"],
            **{b: r.get(b, "") for b in BACKGROUND},
        }
        for qid in qids:
            answer = r.get(qid)
            if answer is not None:
                asked.add((year, qid))
            row[qid] = np.nan if answer is None or answer == dont_know else float(answer)
        rows.append(row)
    r_frame = pd.DataFrame(rows, columns=["year", "respondent_id", "unit_id", *BACKGROUND, *qids])
    r_frame["year"] = r_frame["year"].astype(np.int64)
    r_frame[qids] = r_frame[qids].astype(np.float64)

    a_frame = pd.DataFrame(
        sorted(asked, key=lambda a: (a[0], qids.index(a[1]))), columns=["year", "question_id"]
    )
    a_frame["year"] = a_frame["year"].astype(np.int64)
    return SurveyData(questions=q_frame, units=u_frame, responses=r_frame, asked=a_frame)
