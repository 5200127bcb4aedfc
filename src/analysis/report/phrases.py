"""The Swedish a report says: hidden figures, number agreement, sentences built from numbers.

The words for a hidden figure are written here only (:func:`hidden_text`,
:func:`hidden_predicate`); everything that agrees in number ("1 fråga", "9 frågor")
or says a change in words is a plain function of plain values, unit-tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
#: a change whose 95 % interval excludes 0, and the class of its mark in the tables
SURE_CHANGE = "säkerställd"
SURE_CHANGE_CLASS = "sakerstalld"
#: the column of a group's difference against the rest of its unit
MOT_OVRIGA = "Mot övriga"
#: what a summary sentence says of a displayed change that is not säkerställd
WITHIN_MARGIN = "oförändrat inom felmarginalen"
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


def sure_change_note(previous_year: int | None) -> str:
    """The one explanation of the mark of a säkerställd change, in a report that shows one."""
    since = f" sedan {previous_year}" if previous_year is not None else ""
    return (
        f"* efter en förändring{since} eller en skillnad: den är {SURE_CHANGE}. Ett "
        "95-procentigt intervall utesluter noll, så den beror inte på slumpen i vem som "
        "svarade och hur. Utan * ligger den inom felmarginalen: en förändring kan lika gärna "
        "bero på att samma personer svarar lite olika från år till år. "
        f"”{MOT_OVRIGA}” är gruppens index minus övriga svarandes i enheten (enhetens "
        "svarande utanför gruppen)."
    )


def no_previous_text(previous_year: int) -> str:
    """Why a change is missing when the unit or group has no row in the previous year."""
    return f"inget värde {previous_year}"


# ---------------------------------------------------------------------------
# Number agreement and sentences built from displayed values
# ---------------------------------------------------------------------------

#: singular -> plural of the words the reports count with
PLURALS = {
    "punkt": "punkter",
    "procentenhet": "procentenheter",
    "fråga": "frågor",
    "rad": "rader",
    "skola": "skolor",
    "enhet": "enheter",
    "handlingsplan": "handlingsplaner",
    "ny": "nya",
    "omformulerad": "omformulerade",
}


def agree(k: int, singular: str) -> str:
    """The word that agrees with ``k``: 'fråga' for 1, 'frågor' otherwise."""
    return singular if k == 1 else PLURALS[singular]


def count(k: int, singular: str) -> str:
    """'1 fråga', '9 frågor': a number with the word that agrees with it."""
    return f"{k} {agree(k, singular)}"


def amount(k: int, unit: str = "punkt") -> str:
    """A size of change in words: 'en punkt', '3 punkter'; 'en procentenhet', '2 procentenheter'."""
    return f"en {unit}" if k == 1 else count(k, unit)


def the_questions(k: int, genitive: bool = False) -> str:
    """'frågan'/'frågorna' (or 'frågans'/'frågornas') for one or several questions."""
    word = "frågan" if k == 1 else "frågorna"
    return word + "s" if genitive else word


def join_words(items: Sequence[str], last: str = "och") -> str:
    """'a', 'a och b', 'a, b och c' (or with ``last`` 'respektive')."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {last} " + items[-1]


def movement(
    subject: str,
    text: str,
    change: int | None,
    previous_year: int | None,
    unit: str = "punkt",
    sure: bool = True,
) -> str:
    """'AMI totalt har gått ner en punkt sedan 2022 och ligger i år på 79.' (displayed values).

    ``change`` is the displayed change (None when there is none to say); a change
    that is not ``sure`` (not säkerställd) is spoken of as no change: 'AMI totalt
    ligger i år på 79, oförändrat inom felmarginalen jämfört med 2022.'
    """
    if change is None or previous_year is None:
        return f"{subject} ligger i år på {text}."
    if change == 0:
        return f"{subject} ligger kvar på {text}, som {previous_year}."
    if not sure:
        return f"{subject} ligger i år på {text}, {WITHIN_MARGIN} jämfört med {previous_year}."
    direction = "upp" if change > 0 else "ner"
    return (
        f"{subject} har gått {direction} {amount(abs(change), unit)} sedan {previous_year} "
        f"och ligger i år på {text}."
    )


def high_low(
    what: str,
    top: Sequence[str],
    top_value: int,
    bottom: Sequence[str],
    bottom_value: int,
    prefix: tuple[str, str] = ("", ""),
) -> str:
    """'Högst AMI har åldersgruppen 60- (82) och lägst -29 (75).'

    ``prefix`` is the word before the highest label(s): singular, plural.
    """
    word = prefix[0] if len(top) == 1 else prefix[1]
    return (
        f"Högst {what} har {word}{join_words(top)} ({top_value}) "
        f"och lägst {join_words(bottom)} ({bottom_value})."
    )


def share_of_children(improved: int, compared: int) -> str:
    """How many of the compared child units improved: 'båda underliggande enheterna', '2 av 5 …'."""
    if improved == compared:
        return {
            1: "den enda underliggande enheten",
            2: "båda underliggande enheterna",
        }.get(compared, f"alla {compared} underliggande enheter")
    return f"{improved} av {compared} underliggande enheter"


def quoted(texts: Iterable[str]) -> str:
    """'”a”, ”b”': question texts in the report's quotation marks."""
    return ", ".join(f"”{text}”" for text in texts)


#: a quotation ending in one of these ends the sentence around it too
_SENTENCE_ENDS = (".", "?", "!")


def closed(text: str) -> str:
    """``text`` with its sentence's full stop, unless it ends in a quotation that already
    has one: '… ”Jag känner mig motiverad.”', never '… ”Jag känner mig motiverad.”.'."""
    if text.endswith("”") and text[:-1].endswith(_SENTENCE_ENDS):
        return text
    return f"{text}."
