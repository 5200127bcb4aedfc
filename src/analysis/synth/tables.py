"""The synthetic input files: questions, units, responses (export order), the driver truth.

Separate so the file layout (contract §2) and the byte-stable CSV format
live in one place, away from the model that fills them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.synth import catalogue as cat
from analysis.synth.local_drivers import UnitEffects
from analysis.synth.organisation import Organisation
from analysis.synth.respondents import Respondents

# --- tables ------------------------------------------------------------------


def questions_table(questions: list[cat.QuestionSpec]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "question_id": [q.question_id for q in questions],
            "text": [q.text for q in questions],
            "area": [q.area for q in questions],
            "ami_dimension": [q.ami_dimension for q in questions],
            "leadership": [int(q.leadership) for q in questions],
            "replaces": [q.replaces for q in questions],
        }
    )


def units_table(org: Organisation, years: list[int], headcount: np.ndarray) -> pd.DataFrame:
    rows = []
    for pos, year in enumerate(years):
        for index, u in enumerate(org.units):
            invited = int(headcount[index, pos]) if u.staff > 0 else pd.NA
            rows.append((year, u.unit_id, u.name, u.parent_id, u.unit_type, invited, u.manager_id))
    table = pd.DataFrame(
        rows,
        columns=["year", "unit_id", "unit_name", "parent_id", "unit_type", "invited", "manager_id"],
    )
    table["invited"] = table["invited"].astype("Int64")
    return table


def responses_table(
    questions: list[cat.QuestionSpec],
    org: Organisation,
    r: Respondents,
    answers: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One row per respondent and year, rows in respondent-id order within each year."""
    unit_ids = np.array([u.unit_id for u in org.units], dtype=object)
    columns = {
        "year": r.year,
        "respondent_id": "",
        "unit_id": unit_ids[r.unit],
        "gender": r.gender,
        "age_group": r.age,
        "role": r.role,
    }
    for i, q in enumerate(questions):
        columns[q.question_id] = pd.array(answers[:, i], dtype="Float64").astype("Int64")
    table = pd.DataFrame(columns)
    # Export order is not organisational: shuffle each year, then number.
    pieces = []
    for year in np.unique(r.year):
        part = table[table["year"] == year]
        part = part.iloc[rng.permutation(len(part))].reset_index(drop=True)
        width = max(5, len(str(len(part))))
        part["respondent_id"] = [f"R{k + 1:0{width}d}" for k in range(len(part))]
        pieces.append(part)
    return pd.concat(pieces, ignore_index=True)


def driver_truth(questions: list[cat.QuestionSpec], asked_latest: np.ndarray) -> pd.DataFrame:
    """Planted effect and true rank (1 = strongest) of the latest year's driver questions."""
    rows = [
        (q.question_id, q.effect)
        for i, q in enumerate(questions)
        if asked_latest[i] and q.ami_dimension != "Motivation"
    ]
    table = pd.DataFrame(rows, columns=["question_id", "planted_effect"])
    order = table.sort_values(["planted_effect", "question_id"], ascending=[False, True]).index
    table.loc[order, "true_rank"] = np.arange(1, len(table) + 1)
    table["true_rank"] = table["true_rank"].astype(int)
    return table


def driver_truth_units(
    questions: list[cat.QuestionSpec],
    effects: UnitEffects,
    units: list[str],
    asked: np.ndarray,
    importance: np.ndarray,
) -> pd.DataFrame:
    """Each unit's true importance and rank (1 = most important) of the latest year's drivers.

    ``planted_effect`` is the unit's own planted effect (the förvaltning's the
    shared ones, an område's with its deviation, a school's with its local
    drivers added, a work group's with its own if any) and ``local`` marks a
    school's or work group's local drivers; the importances of a unit with
    staff in several units come from the mixture of those units' own staff
    (``analysis.synth.local_drivers``), not from its own effects.
    """
    question_ids = np.array([questions[effects.drivers[j]].question_id for j in asked])
    pieces = []
    for unit_id, row in zip(units, importance, strict=True):
        # exactly tied drivers (the same loading and effect) rank in question order, not
        # by the last bits of a staff-weighted sum
        order = np.lexsort((question_ids, -np.round(row, 12)))
        rank = np.empty(len(row), dtype=int)
        rank[order] = np.arange(1, len(row) + 1)
        pieces.append(
            pd.DataFrame(
                {
                    "unit_id": unit_id,
                    "question_id": question_ids,
                    "importance": row,
                    "rank": rank,
                    "planted_effect": effects.by_unit[unit_id][asked],
                    "local": np.isin(asked, effects.local.get(unit_id, [])).astype(int),
                }
            )
        )
    return pd.concat(pieces, ignore_index=True)


def write(table: pd.DataFrame, path: Path, float_format: str = "%.3f") -> None:
    table.to_csv(
        path, index=False, encoding="utf-8", lineterminator="\n", float_format=float_format
    )
