"""The joint disclosure audit, on organisations small enough to work by hand.

Each case plants what an attacker can learn and checks the audit's
arithmetic: the bound it proves, the figures it would hide instead, and that
the first pass followed by the audit's repairs (``protect``) leaves nothing
to learn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from builders import question, respondents, survey, unit

from analysis.core.params import params_from_dict
from analysis.indexes.unsuppressed import compute_unsuppressed
from analysis.privacy import protect, publishable
from analysis.privacy.attacker_model import build_count_model
from analysis.privacy.audit import audit, audit_counts, audit_values, prior_bound

YEAR = 2023
K5 = params_from_dict({"privacy": {"min_group_size": 5}})


def row(table: pd.DataFrame, unit_id: str, group: str, measure: str) -> int:
    hit = table.index[
        (table["unit_id"] == unit_id) & (table["group"] == group) & (table["measure"] == measure)
    ]
    assert len(hit) == 1, (unit_id, group, measure)
    return int(hit[0])


def rows_of(table: pd.DataFrame, measure: str) -> np.ndarray:
    """The table rows of one measure: the audit checks only these."""
    return np.flatnonzero(table["measure"].to_numpy() == measure)


def school(women: int, men: int, invited: int):
    """One school under the förvaltning (no own staff there), one question."""
    return survey(
        questions=[question("q1", area="Lön", dimension="Motivation")],
        units=[unit(YEAR, "F", invited=None), unit(YEAR, "S", parent="F", invited=invited)],
        responses=[
            *respondents(YEAR, "S", gender="Kvinna", q1=[4] * women),
            *respondents(YEAR, "S", gender="Man", q1=[2] * men),
        ],
    )


def test_total_minus_women_pins_the_one_man():
    figures = compute_unsuppressed(school(5, 1, invited=6), K5, YEAR)
    table = figures.table
    threshold_only = publishable(table, 5)
    result = audit_counts(figures, threshold_only, 5, only=rows_of(table, "q:q1"))
    man = row(table, "S", "gender=Man", "q:q1")
    failing = {f.row: f for f in result.failures}
    # S (6) - women (5) = men + unknown gender = 1: the attacker's bound is exactly 1
    assert failing[man].bound == 1.0
    # what the bound rests on: a total and its women, at the school or (the same
    # subtraction one level up, S being F's only unit) at F
    routes = {(row(table, u, "all", "q:q1"), row(table, u, "gender=Kvinna", "q:q1")) for u in "SF"}
    assert tuple(sorted(failing[man].candidates)) in routes


def test_invited_alone_narrows_a_hidden_group():
    # 6 women answered of 8 invited; the man's figure, both totals and both
    # response counts hidden: nobody subtracts, but the organisation table says
    # at most 8 - 6 = 2 men
    figures = compute_unsuppressed(school(6, 1, invited=8), K5, YEAR)
    table = figures.table
    published = publishable(table, 5)
    for unit_id in ("F", "S"):
        for measure in ("q:q1", "response_rate"):
            published[row(table, unit_id, "all", measure)] = False
    man = row(table, "S", "gender=Man", "q:q1")
    result = audit_counts(figures, published, 5, only=rows_of(table, "q:q1"))
    assert [f.bound for f in result.failures if f.row == man] == [2.0]


def test_a_unit_smaller_than_k_is_protected_only_as_far_as_its_invited():
    # three invited: the organisation table alone says at most three answered
    figures = compute_unsuppressed(school(2, 1, invited=3), K5, YEAR)
    bound = prior_bound(figures)
    assert bound[row(figures.table, "S", "gender=Man", "q:q1")] == 3.0
    decision = protect(figures, 5)
    assert decision.audit.ok


def test_composite_and_its_other_questions_pin_a_hidden_question():
    data = survey(
        questions=[
            question("q1", area="Lön", dimension="Motivation"),
            question("q2", area="Lön", dimension="Motivation"),
        ],
        units=[unit(YEAR, "F", invited=20)],
        # q2 answered by 3 of the 6: hidden; area:Lön = (q1 + q2) / 2 is published
        responses=respondents(YEAR, "F", q1=[5, 4, 4, 3, 5, 4], q2=[1, 2, 3, None, None, None]),
    )
    figures = compute_unsuppressed(data, K5, YEAR)
    table = figures.table
    result = audit_values(figures, publishable(table, 5), 5)
    q2 = row(table, "F", "all", "q:q2")
    failing = {f.row: f for f in result.failures}
    assert failing[q2].kind == "value"
    assert row(table, "F", "all", "area:Lön") in failing[q2].candidates
    decision = protect(figures, 5)
    assert decision.audit.ok
    # repaired by hiding q1 (a question costs readers less than a composite):
    # area:Lön x 2 = q1 + q2 then has two unknowns
    q1, area = row(table, "F", "all", "q:q1"), row(table, "F", "all", "area:Lön")
    assert not decision.published[q1] and decision.published[area]
    assert decision.reason[q2] == "threshold"
    assert decision.reason[q1] == "complementary"


def test_protect_leaves_nothing_for_the_attacker_in_the_school_of_five_women_and_one_man():
    figures = compute_unsuppressed(school(5, 1, invited=6), K5, YEAR)
    decision = protect(figures, 5)
    table = figures.table
    assert decision.audit.ok and decision.audit.sensitive > 0
    man = row(table, "S", "gender=Man", "q:q1")
    assert decision.reason[man] == "threshold"
    # the audit of the final table, run again from scratch, agrees
    assert audit_counts(figures, decision.published, 5).ok
    assert audit_values(figures, decision.published, 5).ok
    assert np.all(decision.published <= publishable(table, 5))


def test_a_published_response_count_caps_every_measure():
    # as above, but the school's response rate is published: 7 answered, so
    # at most 7 - 6 = 1 man answered the question
    figures = compute_unsuppressed(school(6, 1, invited=8), K5, YEAR)
    table = figures.table
    published = publishable(table, 5)
    for unit_id in ("F", "S"):
        published[row(table, unit_id, "all", "q:q1")] = False
    man = row(table, "S", "gender=Man", "q:q1")
    result = audit_counts(figures, published, 5, only=rows_of(table, "q:q1"))
    assert [f.bound for f in result.failures if f.row == man] == [1.0]


def test_a_manager_leading_a_unit_and_its_child_adds_them_once():
    # M leads P and P's child C: M's report = P's own + C's own, i.e. P - C + C = P. The
    # model's leader equation must not keep C with a coefficient of 0 (an "equation" that
    # would fix C from nothing), and P's small group stays protected.
    data = survey(
        questions=[question("q1", area="Lön", dimension="Motivation")],
        units=[
            unit(YEAR, "F", invited=None),
            unit(YEAR, "P", parent="F", invited=4, manager="M"),
            unit(YEAR, "C", parent="P", invited=8, manager="M"),
            unit(YEAR, "D", parent="F", invited=9),
        ],
        responses=[
            *respondents(YEAR, "P", gender="Kvinna", q1=[4] * 3),
            *respondents(YEAR, "C", gender="Kvinna", q1=[3] * 6),
            *respondents(YEAR, "D", gender="Man", q1=[2] * 8),
        ],
    )
    figures = compute_unsuppressed(data, K5, YEAR)
    model = build_count_model(figures)
    assert np.all(model.matrix.data != 0)
    decision = protect(figures, 5)
    assert audit_counts(figures, decision.published, 5).ok
    assert audit_values(figures, decision.published, 5).ok
    # P's own three women: P (9) - C (6) must not both be shown
    table = figures.table
    shown = {
        u: bool(decision.published[row(table, u, "all", "q:q1")]) for u in ("P", "C", "manager:M")
    }
    assert not (shown["P"] and shown["C"])


def test_a_parents_own_staff_is_protected_though_it_has_no_row():
    # P's own staff: one man and five women; its schools C1 and C2 each have men and
    # women enough. Every row rests on 5 or more, but P's men minus the schools' men
    # is the one man of P's own staff -- a group that is never published.
    data = survey(
        questions=[question("q1", area="Lön", dimension="Motivation")],
        units=[
            unit(YEAR, "P", invited=10),
            unit(YEAR, "C1", parent="P", invited=12),
            unit(YEAR, "C2", parent="P", invited=12),
        ],
        responses=[
            *respondents(YEAR, "P", gender="Man", q1=[1]),
            *respondents(YEAR, "P", gender="Kvinna", q1=[4] * 5),
            *respondents(YEAR, "C1", gender="Man", q1=[3] * 6),
            *respondents(YEAR, "C1", gender="Kvinna", q1=[4] * 6),
            *respondents(YEAR, "C2", gender="Man", q1=[2] * 5),
            *respondents(YEAR, "C2", gender="Kvinna", q1=[5] * 7),
        ],
    )
    figures = compute_unsuppressed(data, K5, YEAR)
    table = figures.table
    result = audit_counts(figures, publishable(table, 5), 5)
    own_men = [f for f in result.failures if f.row < 0 and f.unit_id == "P"]
    assert own_men and {f.bound for f in own_men} == {1.0}
    men = {row(table, u, "gender=Man", "q:q1") for u in ("P", "C1", "C2")}
    assert any(men <= set(f.candidates) for f in own_men)
    decision = protect(figures, 5)
    assert decision.audit.ok
    assert audit_counts(figures, decision.published, 5).ok
    assert not all(decision.published[r] for r in men)


def test_a_question_derived_through_the_tree_completes_a_composites_equation():
    # M leads A and B. M's q2 rests on 3 (hidden); M's q1 is hidden too, but it is
    # A's q1 + B's q1, both published: its sum and count follow, so area:Lön x 2 - q1
    # pins M's q2. Only a values' audit that knows derived question values sees it.
    lon = dict(area="Lön", dimension="Motivation")
    data = survey(
        questions=[question("q1", **lon), question("q2", **lon)],
        units=[
            unit(YEAR, "F", invited=None),
            unit(YEAR, "A", parent="F", invited=8, manager="M"),
            unit(YEAR, "B", parent="F", invited=8, manager="M"),
        ],
        responses=[
            *respondents(YEAR, "A", q1=[4] * 6, q2=[2, 5, None, None, None, None]),
            *respondents(YEAR, "B", q1=[3] * 6, q2=[1, None, None, None, None, None]),
        ],
    )
    figures = compute_unsuppressed(data, K5, YEAR)
    table = figures.table
    published = publishable(table, 5)
    # every composite (AMI, its dimension, the area: all q1 and q2) hidden except M's
    composites = ["AMI", "AMI.Motivation", "area:Lön"]
    hidden_by_hand = [("manager:M", "q:q1"), *((u, c) for u in "FAB" for c in composites)]
    for unit_id, measure in hidden_by_hand:
        published[row(table, unit_id, "all", measure)] = False
    m_q2 = row(table, "manager:M", "all", "q:q2")
    assert not audit_values(figures, published, 5).failures  # published values alone: fine
    result = audit(figures, published, 5)
    failing = {f.row: f for f in result.failures if f.kind == "value"}
    assert m_q2 in failing
    assert row(table, "manager:M", "all", "area:Lön") in failing[m_q2].candidates
    decision = protect(figures, 5)
    assert audit(figures, decision.published, 5).ok
