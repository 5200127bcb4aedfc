"""What the sections show, selected and ranked on small hand-made tables (report.selection)."""

from __future__ import annotations

import math

import pandas as pd

from analysis.report import selection as sel


def test_ranked_drops_hidden_values_and_keeps_ties_in_given_order() -> None:
    labels = ["a", "b", "c", "d"]
    values = [70.4, None, 80.5, 69.6]  # displayed 70, -, 81, 70
    assert sel.ranked(labels, values) == [("c", 81), ("a", 70), ("d", 70)]


def test_high_low_groups_ties_by_displayed_value() -> None:
    found = sel.high_low(["x", "y", "z", "w"], [82.4, 81.5, 75.0, math.nan])
    # 82.4 and 81.5 both display as 82; 75 is the lowest; w is hidden
    assert found == sel.HighLow(["x", "y"], 82, ["z"], 75)


def test_high_low_needs_two_different_displayed_values() -> None:
    assert sel.high_low(["x"], [80.0]) is None
    assert sel.high_low(["x", "y"], [80.4, 79.6]) is None  # both display as 80
    assert sel.high_low(["x", "y"], [None, 70.0]) is None


def test_improving_units_compare_displayed_values_of_both_years() -> None:
    now = {"A": 90.4, "B": 80.5, "C": 70.0, "D": None}
    before = {"A": 89.6, "B": 80.4, "C": 71.0, "D": 60.0}
    # A: 90 vs 90 (not up), B: 81 vs 80 (up), C: 70 vs 71 (down); D hidden this year
    both, up = sel.improving_units(now, before)
    assert both == ["A", "B", "C"]
    assert up == ["B"]
    # a unit without last year's value is not compared
    assert sel.improving_units({"E": 50.0}, {}) == ([], [])


def test_largest_question_change_ties_on_the_exact_change_then_catalogue_order() -> None:
    results = pd.DataFrame(
        {
            "text": ["q1", "q2", "q3", "q4"],
            "change": [2.0, -3.0, 3.0, None],
            "exact_change": [2.2, -2.6, 2.9, None],
        }
    )
    # |−3| and |3| tie on the displayed change; the larger exact change (2.9) wins
    assert sel.largest_question_change(results)["text"] == "q3"
    tied = results.assign(exact_change=[2.2, -2.9, 2.9, None])
    assert sel.largest_question_change(tied)["text"] == "q2"  # exact tie: catalogue order
    assert sel.largest_question_change(results.iloc[[3]]) is None


def test_higher_on_counts_only_measures_published_for_both_groups() -> None:
    table = pd.DataFrame(
        {
            "label": ["Kvinna", "Man"] * 3,
            "measure": ["m1", "m1", "m2", "m2", "m3", "m3"],
            "value": [80.0, 78.0, 70.4, 69.6, 75.0, None],
        }
    )
    # m1: 80 > 78; m2: 70 vs 70 (not higher); m3: Man hidden, not compared
    assert sel.higher_on(table, "Kvinna", "Man", ["m1", "m2", "m3"]) == (2, 1)


def test_highest_first_puts_hidden_last_and_keeps_ties_stable() -> None:
    table = pd.DataFrame({"name": ["a", "b", "c", "d"], "value": [70.0, None, 80.0, 70.0]})
    assert list(sel.highest_first(table)["name"]) == ["c", "a", "d", "b"]


def test_count_at_least_counts_displayed_values_from_the_threshold() -> None:
    assert sel.count_at_least([("a", 81), ("b", 70), ("c", 69)], 70) == 2


def test_whole_or_none_and_has_value() -> None:
    assert sel.whole_or_none(-2.0) == -2
    assert sel.whole_or_none(float("nan")) is None
    assert sel.whole_or_none(None) is None
    assert sel.has_value(0.0) and not sel.has_value(pd.NA)


def test_largest_changes_on_a_hand_made_table() -> None:
    results = pd.DataFrame(
        {
            "text": ["q1", "q2", "q3", "q4", "q5"],
            "status": ["", "", "ny", "", ""],
            "change": [2.0, -1.0, None, 0.0, 2.0],
            "exact_change": [1.6, -0.9, None, 0.2, 2.4],
        }
    )
    changes = sel.largest_changes(results, 3)
    assert list(changes.positive["text"]) == ["q5", "q1"]  # tie on 2: larger exact first
    assert list(changes.negative["text"]) == ["q2"]
    assert list(changes.excluded["text"]) == ["q3"]  # new: left out, said so


def test_competition_places_share_a_place_and_skip_after_a_tie() -> None:
    assert sel.competition_places([90, 90, 90, 89, 88]) == [1, 1, 1, 4, 5]
