"""Which expected column a misnamed one most likely is, so that a problem can say so.

A column that is not the contract's is ignored (units, questions) or
refused (responses); either way the user needs the name it should have had.
A near spelling is found by similarity (``difflib``); the names an export
from a Swedish HR system commonly uses instead are listed, since they look
nothing like the contract's (``chef_id`` for ``manager_id``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["HINT_SIMILARITY", "OTHER_NAMES", "REFUSE_SIMILARITY", "closest_column"]

#: names seen in exports for the contract's columns (normalised: lower case, "_" for spaces)
OTHER_NAMES = {
    "chef": "manager_id",
    "chef_id": "manager_id",
    "chefs_id": "manager_id",
    "ansvarig_chef": "manager_id",
    "enhet": "unit_id",
    "enhet_id": "unit_id",
    "enhetsid": "unit_id",
    "enhetsnamn": "unit_name",
    "överordnad": "parent_id",
    "overordnad": "parent_id",
    "överordnad_enhet": "parent_id",
    "enhetstyp": "unit_type",
    "inbjudna": "invited",
    "antal_inbjudna": "invited",
    "år": "year",
    "ar": "year",
    "kön": "gender",
    "kon": "gender",
    "ålder": "age_group",
    "alder": "age_group",
    "åldersgrupp": "age_group",
    "roll": "role",
    "ersätter": "replaces",
    "fråga": "question_id",
    "fråga_id": "question_id",
}
#: how alike (difflib's ratio) a name must be to a column to be named as a hint ("q0l" for
#: "q01" is 0.67), and to be refused as a misspelt optional column ("manager" for
#: "manager_id" is 0.82)
HINT_SIMILARITY = 0.6
REFUSE_SIMILARITY = 0.8


def closest_column(
    name: str, expected: Iterable[str], cutoff: float = HINT_SIMILARITY
) -> str | None:
    """The expected column ``name`` most likely stands for, or None (also when two are
    equally likely: "q0l" is as near "q01" as "q05")."""
    expected = list(expected)
    folded = "_".join(name.casefold().split())  # "Ansvarig chef" -> "ansvarig_chef"
    if OTHER_NAMES.get(folded) in expected:
        return OTHER_NAMES[folded]
    by_fold = {column.casefold(): column for column in expected}
    scores = sorted(
        ((difflib.SequenceMatcher(None, folded, f).ratio(), f) for f in by_fold), reverse=True
    )
    if not scores or scores[0][0] < cutoff:
        return None
    if len(scores) > 1 and scores[1][0] == scores[0][0]:
        return None
    return by_fold[scores[0][1]]
