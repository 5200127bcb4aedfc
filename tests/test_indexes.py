"""The index engine on small hand-worked cases (contract §3, docs/architecture.md).

Every expected number is worked out by hand in the comments next to it,
from the answers written in the test. Scale 1..5 unless said otherwise, so
a question index is (mean - 1) / 4 x 100.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from builders import question, respondents, survey, unit

from analysis.core.figures_io import CSV_COLUMNS, read_figures_csv, write_figures_csv
from analysis.core.labels import LEVEL_GOOD
from analysis.core.params import Params, params_from_dict
from analysis.core.rounding import level, round_half_up
from analysis.indexes.figures import FIGURE_COLUMNS, compute_figures
from analysis.indexes.unsuppressed import compute_unsuppressed

K1 = params_from_dict({"privacy": {"min_group_size": 1}})  # show everything, to check arithmetic


def row(df: pd.DataFrame, unit_id: str, group: str, measure: str) -> pd.Series:
    hit = df[(df["unit_id"] == unit_id) & (df["group"] == group) & (df["measure"] == measure)]
    assert len(hit) == 1, f"expected one row for {unit_id}/{group}/{measure}, got {len(hit)}"
    return hit.iloc[0]


def value(df: pd.DataFrame, unit_id: str, group: str, measure: str) -> float:
    return float(row(df, unit_id, group, measure)["value"])


def n_of(df: pd.DataFrame, unit_id: str, group: str, measure: str):
    return row(df, unit_id, group, measure)["n"]


def is_suppressed(r: pd.Series) -> bool:
    return (
        r["n"] is pd.NA
        and math.isnan(r["value"])
        and math.isnan(r["change"])
        and math.isnan(r["value_prev"])
    )


# ---------------------------------------------------------------------------
# Question and composite indexes
# ---------------------------------------------------------------------------


def test_dont_know_and_blank_answers_are_excluded():
    data = survey(
        questions=[question("q1"), question("q2")],
        units=[unit(2023, "root")],
        # q1: 5, 4, 3, vet ej (0), blank, 2, 1 -> valid 5,4,3,2,1: n = 5, mean 3
        #     -> (3 - 1) / 4 x 100 = 50.
        # q2: only "vet ej" -> asked, but no valid answer: n = 0, suppressed.
        responses=respondents(2023, "root", q1=[5, 4, 3, 0, None, 2, 1], q2=0),
    )
    figures = compute_figures(data, Params(), 2023)
    assert n_of(figures, "root", "all", "q:q1") == 5
    assert value(figures, "root", "all", "q:q1") == 50.0
    assert is_suppressed(row(figures, "root", "all", "q:q2"))
    unsuppressed = compute_unsuppressed(data, Params(), 2023).table
    assert n_of(unsuppressed, "root", "all", "q:q2") == 0


def test_composite_is_unweighted_mean_of_question_indexes():
    data = survey(
        questions=[
            question("q1", area="A", dimension="Motivation"),
            question("q2", area="A", dimension="Motivation"),
        ],
        units=[unit(2023, "root")],
        responses=[
            # 5 respondents answer 5 on both questions (their own mean: 100)
            *respondents(2023, "root", q1=[5] * 5, q2=5),
            # 5 respondents skip q1 and answer 1 on q2 (their own mean: 0)
            *respondents(2023, "root", q1=[None] * 5, q2=1),
            # 1 respondent answers "vet ej" on both: no valid answer at all
            *respondents(2023, "root", q1=[0], q2=0),
        ],
    )
    figures = compute_figures(data, Params(), 2023)
    # q1: 5 x "5" -> 100, n = 5.  q2: 5 x "5" + 5 x "1" -> mean 3 -> 50, n = 10.
    assert value(figures, "root", "all", "q:q1") == 100.0
    assert value(figures, "root", "all", "q:q2") == 50.0
    # Composite = (100 + 50) / 2 = 75, not the mean of respondent means
    # (5 x 100 + 5 x 0) / 10 = 50, nor the pooled mean of answers (55/15 -> 66.67).
    for measure in ("AMI", "AMI.Motivation", "area:A"):
        assert value(figures, "root", "all", measure) == 75.0
        # n = respondents with at least one valid answer: 10 (not 11, not 15 answers)
        assert n_of(figures, "root", "all", measure) == 10


def test_exact_half_is_exact_and_displays_rounded_up():
    data = survey(
        questions=[question("q1")],
        units=[unit(2023, "root")],
        # 9 x "5" + 41 x "4": sum 209 over 50 -> (209 - 50) x 100 / (4 x 50) = 79.5 exactly.
        responses=respondents(2023, "root", q1=[5] * 9 + [4] * 41),
    )
    figures = compute_figures(data, Params(), 2023)
    v = value(figures, "root", "all", "q:q1")
    assert v == 79.5
    assert round_half_up(v) == 80
    assert level(v, Params().levels) == LEVEL_GOOD


def test_composite_exact_half_with_float_noise_displays_rounded_up():
    data = survey(
        questions=[question("q1"), question("q2"), question("q3")],
        units=[unit(2023, "root")],
        responses=respondents(
            2023,
            "root",
            # q1: 20 x "3" + 10 x "2" = 80 over 30 -> (80 - 30) x 100 / 120 = 41.666...
            q1=[3] * 20 + [2] * 10,
            # q2: 4, 4, 3, 3 = 14 over 4 -> 10 x 100 / 16 = 62.5
            q2=[4, 4, 3, 3] + [None] * 26,
            # q3: 3 x "2" + 6 x "1" = 12 over 9 -> 3 x 100 / 36 = 8.333...
            q3=[2] * 3 + [1] * 6 + [None] * 21,
        ),
    )
    figures = compute_figures(data, Params(), 2023)
    # area = (125/3 + 125/2 + 25/3) / 3 = 37.5 exactly; in floating point 37.49999999999999
    composite = value(figures, "root", "all", "area:Område")
    assert composite == pytest.approx(37.5, abs=1e-12)
    assert n_of(figures, "root", "all", "area:Område") == 30
    assert round_half_up(composite) == 38


def test_non_default_scale_one_to_seven():
    params = params_from_dict({"survey": {"scale_min": 1, "scale_max": 7, "dont_know": 9}})
    data = survey(
        questions=[question("q1"), question("q2")],
        units=[unit(2023, "root")],
        # q1: 7, 7, 4, 1, 1 (+ vet ej 9) -> mean 4 -> (4 - 1) / 6 x 100 = 50.
        # q2: 7, 6, 6, 6, 5 -> mean 6 -> 5 / 6 x 100 = 83.333...
        responses=respondents(2023, "root", q1=[7, 7, 4, 1, 1, 9], q2=[7, 6, 6, 6, 5, None]),
        dont_know=9,
    )
    figures = compute_figures(data, params, 2023)
    assert n_of(figures, "root", "all", "q:q1") == 5
    assert value(figures, "root", "all", "q:q1") == 50.0
    assert value(figures, "root", "all", "q:q2") == pytest.approx(500 / 6, abs=1e-12)
    # area "Område" holds both: (50 + 83.333) / 2 = 66.666...
    assert value(figures, "root", "all", "area:Område") == pytest.approx(200 / 3, abs=1e-12)


def test_answer_outside_the_scale_is_a_clear_error():
    data = survey(
        questions=[question("q1")],
        units=[unit(2023, "root")],
        responses=respondents(2023, "root", q1=[5, 6, 4]),
    )
    with pytest.raises(ValueError, match=r"column q1: 1 answer\(s\) not an integer in 1\.\.5"):
        compute_figures(data, Params(), 2023)


# ---------------------------------------------------------------------------
# Roll-up and response rate
# ---------------------------------------------------------------------------


def rollup_data():
    # root (invited 2) -> a (invited empty) -> a1 (invited 8)
    #                  -> b (invited 10)
    #                  -> c (invited empty, nobody answers)
    return survey(
        questions=[question("q1")],
        units=[
            unit(2023, "root", invited=2),
            unit(2023, "a", parent="root"),
            unit(2023, "a1", parent="a", invited=8),
            unit(2023, "b", parent="root", invited=10),
            unit(2023, "c", parent="root"),
        ],
        responses=[
            *respondents(2023, "root", q1=[5, 5]),  # attached to the root itself
            *respondents(2023, "a", q1=[1]),  # attached to a parent unit
            *respondents(2023, "a1", q1=[3, 3, 3, 3]),
            *respondents(2023, "b", q1=[4, 4, 4, 4, 4]),
        ],
    )


def test_roll_up_includes_respondents_attached_to_parent_units():
    figures = compute_figures(rollup_data(), K1, 2023)
    # a1: 4 x "3" -> 50
    assert value(figures, "a1", "all", "q:q1") == 50.0
    # a: own "1" + a1's 4 x "3" = 13 over 5 -> (13 - 5) x 100 / 20 = 40
    assert n_of(figures, "a", "all", "q:q1") == 5
    assert value(figures, "a", "all", "q:q1") == 40.0
    # b: 5 x "4" -> 75
    assert value(figures, "b", "all", "q:q1") == 75.0
    # root: 10 + 1 + 12 + 20 = 43 over 12 -> (43 - 12) x 100 / 48 = 64.5833...
    assert n_of(figures, "root", "all", "q:q1") == 12
    assert value(figures, "root", "all", "q:q1") == pytest.approx(3100 / 48, abs=1e-12)


def test_response_rate_rolls_up_and_is_empty_without_invited():
    figures = compute_figures(rollup_data(), K1, 2023)
    # a1: 4 / 8 = 50 %; a: (1 + 4) / (empty + 8) = 62.5 %; b: 5 / 10 = 50 %
    assert value(figures, "a1", "all", "response_rate") == 50.0
    assert value(figures, "a", "all", "response_rate") == 62.5
    assert n_of(figures, "a", "all", "response_rate") == 5
    assert value(figures, "b", "all", "response_rate") == 50.0
    # root: 12 / (2 + 8 + 10) = 60 %
    assert value(figures, "root", "all", "response_rate") == 60.0
    assert n_of(figures, "root", "all", "response_rate") == 12
    # c: nobody invited, nobody answered -> an empty row, not 0
    assert is_suppressed(row(figures, "c", "all", "response_rate"))


def test_every_unit_appears_even_without_respondents():
    figures = compute_figures(rollup_data(), Params(), 2023)
    c_rows = figures[figures["unit_id"] == "c"]
    assert list(c_rows["group"]) == ["all"] * 3
    assert list(c_rows["measure"]) == ["area:Område", "q:q1", "response_rate"]
    assert all(is_suppressed(r) for _, r in c_rows.iterrows())
    # a1 has 4 respondents: under the default threshold of 5 everything is empty
    assert all(is_suppressed(r) for _, r in figures[figures["unit_id"] == "a1"].iterrows())


# ---------------------------------------------------------------------------
# Groups, anonymity and table layout
# ---------------------------------------------------------------------------


def test_group_of_four_is_suppressed_and_group_of_five_shown():
    data = survey(
        questions=[question("q1")],
        units=[unit(y, "root", invited=20) for y in (2022, 2023)],
        responses=[
            *respondents(2022, "root", q1=[3] * 5, gender="Kvinna"),
            *respondents(2022, "root", q1=[3] * 5, gender="Man"),
            # 2023: 5 women answering 4 -> 75, 4 men answering 5 -> suppressed,
            # 1 respondent of unknown gender: all - women = men + unknown = 5
            # respondents, so the women's figure gives no one away.
            *respondents(2023, "root", q1=[4] * 5, gender="Kvinna"),
            *respondents(2023, "root", q1=[5] * 4, gender="Man"),
            *respondents(2023, "root", q1=[1]),
        ],
    )
    figures = compute_figures(data, Params(), 2023)
    women = row(figures, "root", "gender=Kvinna", "q:q1")
    assert women["n"] == 5
    assert women["value"] == 75.0
    assert women["value_prev"] == 50.0  # 2022: 5 x "3" -> 50
    assert women["change"] == 25.0
    for measure in ("area:Område", "q:q1"):
        # all four columns empty, even though 2022's value (50) was published
        assert is_suppressed(row(figures, "root", "gender=Man", measure))
    # all: 5 x "4" + 4 x "5" + "1" = 41 over 10 -> (41 - 10) x 100 / 40 = 77.5
    assert value(figures, "root", "all", "q:q1") == 77.5


def test_every_unit_lists_every_label_of_the_year():
    data = survey(
        questions=[question("q1")],
        units=[unit(2023, "root"), unit(2023, "x", parent="root"), unit(2023, "y", parent="root")],
        responses=[
            *respondents(2023, "x", q1=[4] * 5, gender="Man", age_group="30-39", role="Chef"),
            *respondents(2023, "y", q1=[2] * 5, gender="Kvinna", age_group="-29"),
            *respondents(2023, "y", q1=[5] * 3),  # every label unknown
        ],
    )
    figures = compute_figures(data, K1, 2023)

    def groups(unit_id):
        return list(dict.fromkeys(figures.loc[figures["unit_id"] == unit_id, "group"]))

    # labels sorted within each variable ("-29" before "30-39", "Kvinna" before "Man"); a
    # row for every label in every unit, so that a row's existence tells nothing
    every = ["all", "gender=Kvinna", "gender=Man", "age_group=-29", "age_group=30-39", "role=Chef"]
    assert groups("root") == groups("x") == groups("y") == every
    # x has no women: the row is there, empty and hidden by the threshold (n = 0 < k = 1)
    x_women = row(figures, "x", "gender=Kvinna", "q:q1")
    assert pd.isna(x_women["n"]) and pd.isna(x_women["value"])
    assert x_women["suppression"] == "threshold"
    # y all: 5 x "2" + 3 x "5" = 25 over 8 -> (25 - 8) x 100 / 32 = 53.125
    assert value(figures, "y", "all", "q:q1") == 53.125
    assert value(figures, "y", "gender=Kvinna", "q:q1") == 25.0
    # the unknown-label respondents are kept aside for complementary suppression
    unknown = compute_unsuppressed(data, K1, 2023).unknown_groups
    y_gender = row(unknown, "y", "gender=", "q:q1")
    assert (y_gender["n"], y_gender["value"]) == (3, 100.0)
    # x has no unknown labels: its unknown-label rows are empty
    assert (unknown.loc[unknown["unit_id"] == "x", "n"] == 0).all()


def test_row_order_units_preorder_groups_and_measures():
    data = survey(
        questions=[
            question("z9", area="Styrning", dimension="Styrning"),
            question("a1", area="Arbetsmiljö", dimension="Motivation", leadership=True),
            question("m5", area="Styrning", dimension="Ledarskap"),
            question("b2", area="Lön"),
        ],
        # table order root, x1 (child of x), y, x -> pre-order root, y, x, x1
        units=[
            unit(2023, "root", manager="zed"),
            unit(2023, "x1", parent="x"),
            unit(2023, "y", parent="root", manager="amy"),
            unit(2023, "x", parent="root"),
        ],
        responses=respondents(2023, "x1", z9=[1], a1=2, m5=3, b2=4, gender="Man"),
    )
    figures = compute_figures(data, Params(), 2023)
    assert list(figures.columns) == FIGURE_COLUMNS
    assert list(dict.fromkeys(figures["unit_id"])) == [
        "root",
        "y",
        "x",
        "x1",
        "manager:amy",
        "manager:zed",
    ]
    unit_measures = [
        "AMI",
        "AMI.Motivation",
        "AMI.Ledarskap",
        "AMI.Styrning",
        "area:Styrning",
        "area:Arbetsmiljö",
        "area:Lön",
        "leadership",
        "q:z9",
        "q:a1",
        "q:m5",
        "q:b2",
    ]
    root = figures[figures["unit_id"] == "root"]
    assert list(root["group"]) == ["all"] * 13 + ["gender=Man"] * 12
    assert list(root["measure"]) == [*unit_measures, "response_rate", *unit_measures]
    # y has no respondents: its rows are there all the same (every label in every unit)
    assert (
        list(figures.loc[figures["unit_id"] == "y", "group"]) == ["all"] * 13 + ["gender=Man"] * 12
    )
    leader = figures[figures["unit_id"] == "manager:zed"]
    # leader rows carry every measure of a unit, at group "all" only
    assert list(leader["measure"]) == [*unit_measures, "response_rate"]
    assert set(leader["group"]) == {"all"}
    assert figures["n"].dtype == "Int64"


# ---------------------------------------------------------------------------
# Leader rows
# ---------------------------------------------------------------------------


def test_manager_rows_follow_the_nearest_manager():
    # root (m1) -> a (none) -> a1 (m2)
    #           -> b (m1: responsible for two units)
    #           -> c (m3) -> c1 (none)
    data = survey(
        questions=[question("q1", leadership=True), question("q2")],
        units=[
            unit(2023, "root", manager="m1", invited=2),
            unit(2023, "a", parent="root", invited=3),
            unit(2023, "a1", parent="a", manager="m2", invited=6),
            unit(2023, "b", parent="root", manager="m1", invited=4),
            unit(2023, "c", parent="root", manager="m3", invited=3),
            unit(2023, "c1", parent="c", invited=3),
        ],
        responses=[
            *respondents(2023, "root", q1=[5], q2=1),
            *respondents(2023, "a", q1=[1, 1], q2=1),
            *respondents(2023, "a1", q1=[3] * 5, q2=1),
            *respondents(2023, "b", q1=[5] * 3, q2=1),
            *respondents(2023, "c", q1=[2] * 2, q2=1),
            *respondents(2023, "c1", q1=[4] * 3, q2=1),
        ],
    )
    figures = compute_figures(data, K1, 2023)  # threshold 1: check the arithmetic
    # m1: root (5) + a (1, 1) + b (5, 5, 5); a1 has its own manager m2.
    #     sum 22 over 6 -> (22 - 6) x 100 / 24 = 66.67; invited 2 + 3 + 4 = 9 -> 6/9 = 66.67 %
    assert n_of(figures, "manager:m1", "all", "q:q1") == 6
    assert value(figures, "manager:m1", "all", "q:q1") == pytest.approx(200 / 3, abs=1e-12)
    assert value(figures, "manager:m1", "all", "leadership") == pytest.approx(200 / 3, abs=1e-12)
    assert value(figures, "manager:m1", "all", "response_rate") == pytest.approx(600 / 9, abs=1e-12)
    # m2: a1's 5 x "3" -> 50; 5 / 6 invited = 83.33 %
    assert value(figures, "manager:m2", "all", "q:q1") == 50.0
    assert value(figures, "manager:m2", "all", "response_rate") == pytest.approx(500 / 6, abs=1e-12)
    # m3: c (2, 2) + c1 (4, 4, 4): 16 over 5 -> (16 - 5) x 100 / 20 = 55; 5 / 6 = 83.33 %
    assert value(figures, "manager:m3", "all", "q:q1") == 55.0
    assert n_of(figures, "manager:m3", "all", "leadership") == 5
    leader_rows = figures[figures["unit_id"].str.startswith("manager:")]
    assert set(leader_rows["group"]) == {"all"}
    assert set(leader_rows["measure"]) == {
        "area:Område",
        "leadership",
        "q:q1",
        "q:q2",
        "response_rate",
    }
    # m1's q2: six answers of 1 -> 0; its area (q1, q2) is the mean of 66.67 and 0.
    assert value(figures, "manager:m1", "all", "q:q2") == 0.0
    assert n_of(figures, "manager:m1", "all", "area:Område") == 6
    assert value(figures, "manager:m1", "all", "area:Område") == pytest.approx(100 / 3, abs=1e-12)
    assert list(dict.fromkeys(leader_rows["unit_id"])) == ["manager:m1", "manager:m2", "manager:m3"]
    units_of = compute_unsuppressed(data, K1, 2023).manager_units
    assert sorted(units_of.loc[units_of["manager_id"] == "m1", "unit_id"]) == ["a", "b", "root"]


# ---------------------------------------------------------------------------
# Changes
# ---------------------------------------------------------------------------


def change_data():
    # q2 is asked in 2022 only and reworded as q3 in 2023; q5 is new in 2023.
    questions = [
        question("q1", area="A", dimension="Motivation"),
        question("q2", area="A", dimension="Motivation"),
        question("q3", area="A", dimension="Motivation", replaces="q2"),
        question("q4", area="B"),
        question("q5", area="C"),
    ]
    return survey(
        questions=questions,
        units=[unit(y, "root", invited=10) for y in (2022, 2023)],
        responses=[
            # 2022: q1 "3" -> 50, q2 "4" -> 75, q4 "2" -> 25
            *respondents(2022, "root", q1=[3] * 5, q2=4, q4=2),
            # 2023: q1 "4" -> 75, q3 "5" -> 100, q4 "3" -> 50, q5 "5" -> 100
            *respondents(2023, "root", q1=[4] * 5, q3=5, q4=3, q5=5),
        ],
    )


def test_change_only_for_measures_on_the_same_questions():
    figures = compute_figures(change_data(), Params(), 2023)

    def change(measure):
        r = row(figures, "root", "all", measure)
        return r["change"], r["value_prev"]

    assert change("q:q1") == (25.0, 50.0)  # 75 - 50
    assert change("q:q4") == (25.0, 25.0)  # 50 - 25
    assert change("area:B") == (25.0, 25.0)  # area B = {q4} both years
    assert change("response_rate") == (0.0, 50.0)  # 5/10 both years
    # reworded question: a new id, never compared with q2
    assert all(np.isnan(change("q:q3")))
    # q5 not asked in 2022
    assert all(np.isnan(change("q:q5")))
    # composites whose asked set changed ({q1, q2} -> {q1, q3}) get no change
    for measure in ("AMI", "AMI.Motivation", "area:A"):
        assert all(np.isnan(change(measure)))
    # AMI.Motivation 2023 = (75 + 100) / 2 = 87.5, still published
    assert value(figures, "root", "all", "AMI.Motivation") == 87.5
    # a question not asked this year has no rows at all
    assert "q:q2" not in set(figures["measure"])
    # value_prev is filled exactly where change is
    assert (figures["change"].notna() == figures["value_prev"].notna()).all()


def test_no_previous_year_gives_empty_changes():
    figures = compute_figures(change_data(), Params(), 2022)
    assert figures["change"].isna().all()
    assert figures["value_prev"].isna().all()
    # 2022 AMI = mean(q1 50, q2 75) = 62.5
    assert value(figures, "root", "all", "AMI") == 62.5


def test_change_needs_both_years_published():
    data = survey(
        questions=[question("q1")],
        units=[unit(y, "root") for y in (2022, 2023)],
        responses=[
            # 2022: women 4 (suppressed), men 5 answering "2" -> 25, 1 of unknown
            # gender (so all - men = 5 respondents: men may be shown)
            *respondents(2022, "root", q1=[3] * 4, gender="Kvinna"),
            *respondents(2022, "root", q1=[2] * 5, gender="Man"),
            *respondents(2022, "root", q1=[4]),
            # 2023: women 5 answering "5" -> 100, men 5 answering "3" -> 50
            *respondents(2023, "root", q1=[5] * 5, gender="Kvinna"),
            *respondents(2023, "root", q1=[3] * 5, gender="Man"),
        ],
    )
    figures = compute_figures(data, Params(), 2023)
    women = row(figures, "root", "gender=Kvinna", "q:q1")
    assert women["value"] == 100.0
    assert math.isnan(women["change"]) and math.isnan(women["value_prev"])
    men = row(figures, "root", "gender=Man", "q:q1")
    assert (men["value"], men["value_prev"], men["change"]) == (50.0, 25.0, 25.0)
    # all: 2022 4 x "3" + 5 x "2" + "4" = 26 over 10 -> 16 x 100 / 40 = 40;
    #      2023 25 + 15 = 40 over 10 -> 30 x 100 / 40 = 75; change 35
    everyone = row(figures, "root", "all", "q:q1")
    assert (everyone["value"], everyone["value_prev"], everyone["change"]) == (75.0, 40.0, 35.0)


def test_change_is_value_minus_previous_at_full_precision():
    data = survey(
        questions=[question("q1")],
        units=[unit(y, "root") for y in (2022, 2023)],
        responses=[
            # 2022: 3 x "3" + 6 x "2" = 21 over 9 -> 12 x 100 / 36 = 33.333...
            *respondents(2022, "root", q1=[3] * 3 + [2] * 6),
            # 2023: 5 x "5" + 5 x "3" = 40 over 10 -> 75
            *respondents(2023, "root", q1=[5] * 5 + [3] * 5),
        ],
    )
    everyone = row(compute_figures(data, Params(), 2023), "root", "all", "q:q1")
    assert everyone["value_prev"] == pytest.approx(100 / 3, abs=1e-12)
    assert everyone["change"] == everyone["value"] - everyone["value_prev"]
    assert everyone["change"] == pytest.approx(75 - 100 / 3, abs=1e-12)


# ---------------------------------------------------------------------------
# Bad trees
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ([unit(2023, "root"), unit(2023, "b")], "exactly one root"),
        ([unit(2023, "root"), unit(2023, "a", parent="zz")], "parent_id not among"),
        (
            [unit(2023, "root"), unit(2023, "a", parent="b"), unit(2023, "b", parent="a")],
            "cycle",
        ),
        ([unit(2023, "root"), unit(2023, "root", parent="root")], "duplicate unit_id"),
        ([unit(2023, "root"), unit(2023, "manager:x", parent="root")], "reserved for leader"),
    ],
)
def test_malformed_tree_is_a_clear_error(units, message):
    data = survey(
        questions=[question("q1")], units=units, responses=respondents(2023, "root", q1=[3])
    )
    with pytest.raises(ValueError, match=message):
        compute_figures(data, Params(), 2023)


def test_respondent_in_unknown_unit_is_a_clear_error():
    data = survey(
        questions=[question("q1")],
        units=[unit(2023, "root")],
        responses=respondents(2023, "ghost", q1=[3]),
    )
    with pytest.raises(ValueError, match=r"unit_id\(s\) not in that year's units: \['ghost'\]"):
        compute_figures(data, Params(), 2023)


# ---------------------------------------------------------------------------
# figures.csv
# ---------------------------------------------------------------------------


def tiny_figures() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": [2023] * 5,
            "unit_id": ["root", "root", "Skola, Öst", "manager:m1", "root"],
            "group": ["all", "gender=Kvinna", "all", "all", "age_group=-29"],
            "measure": ["AMI", "q:q1", "area:Lön", "response_rate", "q:q2"],
            "n": pd.array([12, None, 5, 100, 7], dtype="Int64"),
            "value": [79.5, np.nan, 200 / 3, 100.0, 0.1 + 0.2],
            "change": [-1.25, np.nan, np.nan, 0.0, 1e-14],
            "change_low": [-4.5, np.nan, np.nan, -1.5, -3.0],
            "change_high": [2.0, np.nan, np.nan, 1.5, 3.0],
            "suppression": ["", "threshold", "", "", ""],
            "value_prev": [80.75, np.nan, np.nan, 100.0, 0.30000000000000003],
        }
    )


def test_write_figures_csv_bytes(tmp_path):
    path = tmp_path / "reports" / "figures.csv"
    write_figures_csv(tiny_figures(), path)
    expected = (
        "year,unit_id,group,measure,n,value,change,change_low,change_high,suppression\n"
        "2023,root,all,AMI,12,79.50,-1.25,-4.50,2.00,\n"
        "2023,root,gender=Kvinna,q:q1,,,,,,threshold\n"
        '2023,"Skola, Öst",all,area:Lön,5,66.66666666666667,,,,\n'
        "2023,manager:m1,all,response_rate,100,100.00,0.00,-1.50,1.50,\n"
        "2023,root,age_group=-29,q:q2,7,0.30000000000000004,0.00000000000001,-3.00,3.00,\n"
    )
    assert path.read_bytes() == expected.encode("utf-8")
    assert [p.name for p in path.parent.iterdir()] == ["figures.csv"]  # no temp file left


def test_figures_csv_round_trips_bit_for_bit(tmp_path):
    figures = compute_figures(change_data(), K1, 2023)
    path = tmp_path / "figures.csv"
    write_figures_csv(figures, path)
    first = path.read_bytes()
    # computed again and overwritten: the same bytes
    write_figures_csv(compute_figures(change_data(), K1, 2023), path)
    assert path.read_bytes() == first
    back = read_figures_csv(path)
    pd.testing.assert_frame_equal(back, figures[CSV_COLUMNS], check_exact=True)


def test_a_suppression_reason_outside_the_contract_is_refused(tmp_path):
    figures = tiny_figures()
    figures.loc[1, "suppression"] = "hidden"
    with pytest.raises(ValueError, match="suppression must be one of"):
        write_figures_csv(figures, tmp_path / "figures.csv")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_the_published_file_alone(tmp_path):
    path = tmp_path / "figures.csv"
    write_figures_csv(tiny_figures(), path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="lacks column"):
        write_figures_csv(tiny_figures().drop(columns="change"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["figures.csv"]
