"""The Swedish a report says: hidden figures, number agreement, sentences built from numbers.

The words for a hidden figure are written here only (:func:`hidden_text`,
:func:`hidden_predicate`); everything that agrees in number ("1 fråga", "9 frågor")
or says a change in words is a plain function of plain values, unit-tested.
"""

from __future__ import annotations

from collections.abc import Iterable

from analysis.core.contract import (
    COMPLEMENTARY,
    THRESHOLD,
)

SUPPRESSED = "för få svar"
#: a figure with enough answers, hidden so that no smaller group can be recovered
PROTECT_CLAUSE = "för att skydda en mindre grupp"
PROTECTED = f"dold {PROTECT_CLAUSE}"
#: what a reader sees instead of a hidden figure, per ``suppression``
HIDDEN_TEXTS = {THRESHOLD: SUPPRESSED, COMPLEMENTARY: PROTECTED}
NEW = "ny"
REWORDED = "omformulerad"
#: why a change is missing when the measure rests on other questions than last year
NO_COMPARISON = "ingen jämförelse"
#: a unit with no row at all for a measure (nothing published, nothing suppressed)
NO_ROW = "ingen uppgift"


def hidden_text(suppression: str) -> str:
    """The words shown for a hidden figure: "för få svar" unless hidden to protect a group."""
    return HIDDEN_TEXTS.get(suppression, SUPPRESSED)


def hidden_predicate(texts: Iterable[str], k: int = 1) -> str:
    """What ``k`` hidden figures do, from the words shown for them (default: too few answers).

    "har för få svar", "är dold/dolda för att skydda en mindre grupp", or both
    joined by "eller".
    """
    present = set(texts)
    words = {
        SUPPRESSED: f"har {SUPPRESSED}",
        PROTECTED: f"är {'dold' if k == 1 else 'dolda'} {PROTECT_CLAUSE}",
    }
    return " eller ".join([w for t, w in words.items() if t in present] or [words[SUPPRESSED]])


def protection_note(min_group_size: int) -> str:
    """The one-line explanation a report with a figure hidden to protect a group carries once."""
    return (
        f"”{PROTECTED.capitalize()}”: siffran bygger på tillräckligt många svar, men visas inte "
        "eftersom den tillsammans med andra siffror skulle avslöja resultatet för en grupp "
        f"med färre än {min_group_size} svarande."
    )


def no_previous_text(previous_year: int) -> str:
    """Why a change is missing when the unit or group has no row in the previous year."""
    return f"inget värde {previous_year}"
