"""The Swedish of the reports (analysis.report.phrases), on hand-picked numbers."""

from __future__ import annotations

import pytest

from analysis.report import phrases as ph


@pytest.mark.parametrize(
    ("k", "word", "expected"),
    [
        (1, "fråga", "1 fråga"),
        (9, "fråga", "9 frågor"),
        (0, "fråga", "0 frågor"),
        (1, "rad", "1 rad"),
        (3, "rad", "3 rader"),
        (2, "skola", "2 skolor"),
        (1, "ny", "1 ny"),
        (2, "omformulerad", "2 omformulerade"),
    ],
)
def test_a_count_agrees_with_its_number(k: int, word: str, expected: str) -> None:
    assert ph.count(k, word) == expected


def test_an_amount_of_one_is_written_as_a_word() -> None:
    assert ph.amount(1) == "en punkt"
    assert ph.amount(3) == "3 punkter"
    assert ph.amount(1, "procentenhet") == "en procentenhet"
    assert ph.amount(2, "procentenhet") == "2 procentenheter"


def test_the_questions_in_singular_plural_and_genitive() -> None:
    assert ph.the_questions(1) == "frågan"
    assert ph.the_questions(4) == "frågorna"
    assert ph.the_questions(1, genitive=True) == "frågans"
    assert ph.the_questions(2, genitive=True) == "frågornas"


def test_words_are_joined_with_commas_and_a_last_conjunction() -> None:
    assert ph.join_words(["a"]) == "a"
    assert ph.join_words(["a", "b"]) == "a och b"
    assert ph.join_words(["a", "b", "c"]) == "a, b och c"
    assert ph.join_words(["70", "75"], "respektive") == "70 respektive 75"


def test_a_movement_says_direction_size_and_level() -> None:
    assert (
        ph.movement("AMI totalt", "79", -1, 2022)
        == "AMI totalt har gått ner en punkt sedan 2022 och ligger i år på 79."
    )
    assert (
        ph.movement("Svarsfrekvensen", "87 %", 2, 2022, "procentenhet")
        == "Svarsfrekvensen har gått upp 2 procentenheter sedan 2022 och ligger i år på 87 %."
    )
    assert ph.movement("Styrning", "78", 0, 2022) == "Styrning ligger kvar på 78, som 2022."
    # no change to say (none comparable, or the first year): the level only
    assert ph.movement("Motivation", "80", None, 2022) == "Motivation ligger i år på 80."
    assert ph.movement("Motivation", "80", 3, None) == "Motivation ligger i år på 80."


def test_a_change_that_is_not_sakerstalld_is_not_spoken_of_as_a_change() -> None:
    assert (
        ph.movement("AMI totalt", "79", -1, 2022, sure=False)
        == "AMI totalt ligger i år på 79, oförändrat inom felmarginalen jämfört med 2022."
    )
    # two equal displayed values stay "ligger kvar", sure or not
    assert ph.movement("Styrning", "78", 0, 2022, sure=False) == (
        "Styrning ligger kvar på 78, som 2022."
    )
    note = ph.sure_change_note(2022)
    assert note.startswith(
        "* efter en förändring sedan 2022 eller en skillnad: den är säkerställd."
    )
    assert "felmarginalen" in note and "”Mot övriga” är gruppens index minus" in note


def test_high_low_names_ties_together_with_the_prefix_in_number() -> None:
    assert (
        ph.high_low("AMI", ["60-"], 82, ["-29"], 75, ("åldersgruppen ", "åldersgrupperna "))
        == "Högst AMI har åldersgruppen 60- (82) och lägst -29 (75)."
    )
    assert (
        ph.high_low(
            "AMI", ["50-59", "60-"], 82, ["-29"], 75, ("åldersgruppen ", "åldersgrupperna ")
        )
        == "Högst AMI har åldersgrupperna 50-59 och 60- (82) och lägst -29 (75)."
    )


@pytest.mark.parametrize(
    ("improved", "compared", "expected"),
    [
        (1, 1, "den enda underliggande enheten"),
        (2, 2, "båda underliggande enheterna"),
        (4, 4, "alla 4 underliggande enheter"),
        (1, 3, "1 av 3 underliggande enheter"),
        (0, 2, "0 av 2 underliggande enheter"),
    ],
)
def test_share_of_children(improved: int, compared: int, expected: str) -> None:
    assert ph.share_of_children(improved, compared) == expected


def test_hidden_figures_are_said_in_number() -> None:
    assert ph.hidden_predicate([ph.SUPPRESSED]) == "har för få svar"
    assert ph.hidden_predicate([ph.PROTECTED], 1) == "är dold för att skydda en mindre grupp"
    assert (
        ph.hidden_predicate([ph.PROTECTED, ph.SUPPRESSED], 2)
        == "har för få svar eller är dolda för att skydda en mindre grupp"
    )
    assert ph.hidden_predicate([]) == "har för få svar"  # the default reason


def test_question_texts_are_quoted_with_swedish_quotation_marks() -> None:
    assert ph.quoted(["Jag trivs", "Min chef lyssnar"]) == "”Jag trivs”, ”Min chef lyssnar”"
    assert ph.quoted([]) == ""


def test_a_sentence_ending_in_a_quoted_question_takes_no_second_full_stop() -> None:
    assert ph.closed(ph.quoted(["Jag trivs", "Jag känner mig motiverad."])) == (
        "”Jag trivs”, ”Jag känner mig motiverad.”"
    )
    assert ph.closed(ph.quoted(["Trivs du?"])) == "”Trivs du?”"
    # a question without its own full stop gets the sentence's, outside the quotation
    assert ph.closed(ph.quoted(["Jag känner mig motiverad"])) == "”Jag känner mig motiverad”."
    # only the last quotation counts; a full stop inside an earlier one is kept as it is
    assert ph.closed(ph.quoted(["Jag trivs.", "Min chef lyssnar"])) == (
        "”Jag trivs.”, ”Min chef lyssnar”."
    )
    assert ph.closed("Lön") == "Lön."
