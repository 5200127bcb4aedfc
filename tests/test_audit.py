"""``make audit``: the independent recomputation catches every kind of wrong publication.

A tiny organisation is worked out on paper below; the published tables are
written by hand from that working, the audit must accept them as they are
and report exactly the planted error when one number, row or label is wrong.
A second small organisation with uncorrelated drivers gives relative weights
that are plain squared correlations; R's relaimpo gives the reference for the
general case. Finally the audit is run on the pipeline's own output for a
small synthetic förvaltning: it must pass (exit 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import question, respondents, survey, unit

from analysis.audit.check_drivers import audit_drivers, expected_quadrants
from analysis.audit.check_figures import audit_figures
from analysis.audit.cli import main
from analysis.audit.driver_analysis import johnson_relative_weights
from analysis.audit.published import read_published_drivers, read_published_figures
from analysis.audit.recomputation import Recomputation
from analysis.audit.reconcile import audit_reports, reconciliation_text
from analysis.core.dataset import SurveyData
from analysis.core.figures_io import format_number
from analysis.core.params import params_from_dict
from analysis.indexes.change_intervals import change_intervals, measure_spread

YEAR = 2023

# ---------------------------------------------------------------------------
# The hand-worked organisation (scale 1-5, index = (mean - 1) / 4 * 100)
# ---------------------------------------------------------------------------
#
# F (root, manager c1, invited 2) ── A (manager c2, invited 8)
#                                 └─ B (no manager -> c1, invited 6; 5 in 2022)
# Questions: m1 (area Arbete, AMI Motivation), l1 and l2 (area Ledning,
# leadership). l2 is new in 2023, so area:Ledning and leadership are not
# comparable with 2022 (asked [l1] then, [l1, l2] now).
#
# 2023 answers (None = empty, 0 = don't know):
#   A Kvinna x5  m1 5 4 4 3 5   l1 4 4 5 - 3   l2 5 - 0 - 4
#   A Man    x1  m1 2           l1 2           l2 3
#   B Kvinna x2  m1 3 4         l1 3 3         l2 4 2
#   B unknown x3 m1 5 4 4       l1 4 5 -       l2 - - -
#   F Man    x2  m1 1 3         l1 5 4         l2 - 5
# 2022 answers: A Kvinna x5 m1 4, l1 3 each; B unknown x5 m1 2, l1 empty.

QUESTIONS = [
    question("m1", area="Arbete", dimension="Motivation"),
    question("l1", area="Ledning", leadership=True),
    question("l2", area="Ledning", leadership=True),
]


def hand_data() -> SurveyData:
    return survey(
        questions=QUESTIONS,
        units=[
            unit(2022, "F", invited=2, manager="c1"),
            unit(2022, "A", parent="F", invited=8, manager="c2"),
            unit(2022, "B", parent="F", invited=5),
            unit(YEAR, "F", invited=2, manager="c1"),
            unit(YEAR, "A", parent="F", invited=8, manager="c2"),
            unit(YEAR, "B", parent="F", invited=6),
        ],
        responses=[
            *respondents(2022, "A", gender="Kvinna", m1=[4] * 5, l1=[3] * 5),
            *respondents(2022, "B", m1=[2] * 5, l1=[None] * 5),
            *respondents(
                YEAR,
                "A",
                gender="Kvinna",
                m1=[5, 4, 4, 3, 5],
                l1=[4, 4, 5, None, 3],
                l2=[5, None, 0, None, 4],
            ),
            *respondents(YEAR, "A", gender="Man", m1=[2], l1=[2], l2=[3]),
            *respondents(YEAR, "B", gender="Kvinna", m1=[3, 4], l1=[3, 3], l2=[4, 2]),
            *respondents(YEAR, "B", m1=[5, 4, 4], l1=[4, 5, None], l2=[None, None, None]),
            *respondents(YEAR, "F", gender="Man", m1=[1, 3], l1=[5, 4], l2=[None, 5]),
        ],
    )


PARAMS = params_from_dict({"report": {"years": [YEAR]}})
EMPTY = ("", "", "")
Row = tuple[int, str, str, str, str, str, str]


def block(unit_id: str, group: str, arbete, ledning, l1, l2, rr=None) -> list[Row]:
    """One unit-group's rows; each figure is (n, value, change) as written in the file.

    AMI, AMI.Motivation, area:Arbete and q:m1 all rest on m1 alone, so they
    share one figure; area:Ledning and leadership both rest on l1 and l2.
    """
    figures = {"AMI": arbete, "AMI.Motivation": arbete, "area:Arbete": arbete}
    figures |= {"area:Ledning": ledning, "leadership": ledning}
    figures |= {"q:m1": arbete, "q:l1": l1, "q:l2": l2}
    if rr is not None:
        figures["response_rate"] = rr
    return [(YEAR, unit_id, group, m, *f) for m, f in figures.items()]


def figures_2023() -> list[Row]:
    rows: list[Row] = []
    # A all: m1 23/6 -> 70.83 (2022: 75); l1 18/5 -> 65 (2022: 50); l2 12/3 -> 75 but n = 3;
    # Ledning mean(65, 75) = 70 on the 5 with l1 or l2; response 6/8 (2022: 5/8).
    rows += block(
        "A", "all", arbete=("6", "70.83333333333333", "-4.166666666666667"),
        ledning=("5", "70.00", ""), l1=("5", "65.00", "15.00"), l2=EMPTY,
        rr=("6", "75.00", "12.50"),
    )  # fmt: skip
    # A Kvinna: m1 n = 5 (80.0) but A Man is 1 person: complementarily suppressed. Others n < 5.
    rows += block("A", "gender=Kvinna", arbete=EMPTY, ledning=EMPTY, l1=EMPTY, l2=EMPTY)
    rows += block("A", "gender=Man", arbete=EMPTY, ledning=EMPTY, l1=EMPTY, l2=EMPTY)
    # B all: m1 20/5 -> 75 (2022: 25); l1 n = 4, l2 n = 2, Ledning n = 4; response 5/6 (2022: 5/5).
    rows += block(
        "B", "all", arbete=("5", "75.00", "50.00"), ledning=EMPTY, l1=EMPTY, l2=EMPTY,
        rr=("5", "83.33333333333333", "-16.66666666666667"),
    )  # fmt: skip
    rows += block("B", "gender=Kvinna", arbete=EMPTY, ledning=EMPTY, l1=EMPTY, l2=EMPTY)
    # B has no men: every unit has a row for every label of the year, empty and hidden
    rows += block("B", "gender=Man", arbete=EMPTY, ledning=EMPTY, l1=EMPTY, l2=EMPTY)
    # F all: m1 47/13 -> 850/13 (2022: 50); l1 42/11 -> 775/11 (2022: 50); l2 23/6 -> 70.83;
    # Ledning mean(775/11, 425/6) = 9325/132 on 11; response 13/16 (2022: 10/15).
    rows += block(
        "F", "all", arbete=("13", "65.38461538461539", "15.38461538461539"),
        ledning=("11", "70.64393939393939", ""),
        l1=("11", "70.45454545454545", "20.45454545454545"),
        l2=("6", "70.83333333333333", ""), rr=("13", "81.25", "14.58333333333333"),
    )  # fmt: skip
    # F Kvinna (A's 5 + B's 2): m1 28/7 -> 75 (2022: 75); l1 22/6 -> 66.67 (2022: 50);
    # l2 15/4 but n = 4; Ledning mean(200/3, 68.75) = 1625/24 on 6.
    rows += block(
        "F", "gender=Kvinna", arbete=("7", "75.00", "0.00"), ledning=("6", "67.70833333333333", ""),
        l1=("6", "66.66666666666667", "16.66666666666667"), l2=EMPTY,
    )  # fmt: skip
    rows += block("F", "gender=Man", arbete=EMPTY, ledning=EMPTY, l1=EMPTY, l2=EMPTY)
    # Leaders (every measure, group all): c1 = F's own 2 + B's 5 (nearest manager), invited
    # 2 + 6; c2 = A. c1: m1 1 3 3 4 5 4 4 = 24/7 -> 1700/28 = 60.71 (2022: B's five 2s -> 25);
    # l1 24/6 -> 75, l2 11/3 (n = 3), Ledning mean(75, 66.67) on 6; 2022: l1 n = 0;
    # response 7/8 (2022: 5/7). c2: as A.
    rows += block(
        "manager:c1", "all", arbete=("7", "60.71428571428572", "35.71428571428572"),
        ledning=("6", "70.83333333333333", ""), l1=("6", "75.00", ""), l2=EMPTY,
        rr=("7", "87.50", "16.07142857142857"),
    )  # fmt: skip
    rows += block(
        "manager:c2", "all", arbete=("6", "70.83333333333333", "-4.166666666666667"),
        ledning=("5", "70.00", ""), l1=("5", "65.00", "15.00"), l2=EMPTY,
        rr=("6", "75.00", "12.50"),
    )  # fmt: skip
    return rows


# History rows: 2022's response rate and AMI figures of every unit and group.
FIGURES_2022: list[Row] = [
    (2022, "F", "all", "AMI", "10", "50.00", ""),
    (2022, "F", "all", "AMI.Motivation", "10", "50.00", ""),
    (2022, "F", "all", "response_rate", "10", "66.66666666666667", ""),
    (2022, "F", "gender=Kvinna", "AMI", "5", "75.00", ""),
    (2022, "F", "gender=Kvinna", "AMI.Motivation", "5", "75.00", ""),
    (2022, "A", "all", "AMI", "5", "75.00", ""),
    (2022, "A", "all", "AMI.Motivation", "5", "75.00", ""),
    (2022, "A", "all", "response_rate", "5", "62.50", ""),
    (2022, "A", "gender=Kvinna", "AMI", "5", "75.00", ""),
    (2022, "A", "gender=Kvinna", "AMI.Motivation", "5", "75.00", ""),
    (2022, "B", "all", "AMI", "5", "25.00", ""),
    (2022, "B", "all", "AMI.Motivation", "5", "25.00", ""),
    (2022, "B", "all", "response_rate", "5", "100.00", ""),
    # none of B's 2022 respondents is a woman: the row is there, empty
    (2022, "B", "gender=Kvinna", "AMI", "", "", ""),
    (2022, "B", "gender=Kvinna", "AMI.Motivation", "", "", ""),
]


# The hidden rows of the hand table that rest on 5 or more: hidden to protect A's one man.
COMPLEMENTARY_ROWS = {
    (YEAR, "A", "gender=Kvinna", m) for m in ("AMI", "AMI.Motivation", "area:Arbete", "q:m1")
}


def suppression(row: Row, complementary: set[tuple] = COMPLEMENTARY_ROWS) -> str:
    """The hand table's reason for a row: empty when shown, else as worked out above."""
    if row[5] != "":
        return ""
    return "complementary" if row[:4] in complementary else "threshold"


def pipeline_intervals(rows: list[Row]) -> dict[tuple, tuple[str, str]]:
    """The rows' change intervals by the indexes stage's arithmetic, as figures.csv writes them.

    The audit recomputes them with its own code; ``test_change_interval_by_hand``
    works one out on paper.
    """
    data = hand_data()
    table = pd.DataFrame(
        [r for r in rows if r[6] != ""],
        columns=["year", "unit_id", "group", "measure", "n", "value", "change"],
    )
    if table.empty:
        return {}
    for column in ("n", "value", "change"):
        table[column] = table[column].astype(float)
    table["value_prev"] = table["value"] - table["change"]
    out = {}
    for year, part in table.groupby("year"):
        before = data.previous_year(int(year))
        if before is None:
            continue
        previous = Recomputation(data, PARAMS).figures(before)[["unit_id", "group", "measure", "n"]]
        part = part.merge(previous.rename(columns={"n": "n_prev"}), how="left")
        intervals, _ = change_intervals(
            part,
            measure_spread(data, PARAMS.survey, int(year)),
            measure_spread(data, PARAMS.survey, before),
        )
        for r, low, high in zip(
            part.itertuples(index=False),
            intervals["change_low"],
            intervals["change_high"],
            strict=True,
        ):
            out[(int(year), r.unit_id, r.group, r.measure)] = (
                format_number(low),
                format_number(high),
            )
    return out


def csv_text(
    rows: list[Row],
    also_complementary: frozenset[tuple] = frozenset(),
    intervals: dict[tuple, tuple[str, str]] | None = None,
) -> str:
    """figures.csv of the rows; ``also_complementary``: rows a test hides though n >= k.

    A row with a change gets the pipeline's interval (``intervals`` replaces some).
    """
    hidden = COMPLEMENTARY_ROWS | also_complementary
    known = {**pipeline_intervals(rows), **(intervals or {})}
    lines = ["year,unit_id,group,measure,n,value,change,change_low,change_high,suppression"]
    for row in rows:
        low, high = known.get(row[:4], ("", "")) if row[6] != "" else ("", "")
        lines.append(",".join(str(x) for x in (*row, low, high, suppression(row, hidden))))
    return "\n".join(lines) + "\n"


def replaced(rows: list[Row], key: tuple[int, str, str, str], n, value, change) -> list[Row]:
    assert any(r[:4] == key for r in rows), key
    return [(*key, n, value, change) if r[:4] == key else r for r in rows]


def audit_hand_figures(tmp_path: Path, rows: list[Row]):
    path = tmp_path / "figures.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    recomputation = Recomputation(hand_data(), PARAMS, with_intervals=False)
    return audit_figures(read_published_figures(path), YEAR, recomputation, "figures.csv")


def found(reconciliations) -> list[tuple]:
    return [
        (m.year, m.unit_id, m.group, m.measure, m.field, m.published, m.recomputed)
        for r in reconciliations
        for m in r.mismatches
    ]


# ---------------------------------------------------------------------------
# figures.csv
# ---------------------------------------------------------------------------


def test_hand_worked_figures_pass(tmp_path: Path) -> None:
    history, current = audit_hand_figures(tmp_path, figures_2023() + FIGURES_2022)
    assert found([history, current]) == []
    assert (current.year, current.rows_checked, current.rows_matched) == (YEAR, 93, 93)
    assert (history.year, history.rows_checked, history.rows_matched) == (2022, 15, 15)
    # A Kvinna's AMI, AMI.Motivation, area:Arbete and q:m1 rest on 5 but are left empty.
    assert current.complementary_suppressions == 4
    assert history.complementary_suppressions == 0
    assert current.unverifiable_changes == 0


@pytest.mark.parametrize(
    ("key", "published", "expected"),
    [
        pytest.param(
            (YEAR, "F", "all", "q:l1"), ("11", "70.00", "20.45454545454545"),
            [("value", "70.00", "70.4545454545")], id="wrong value",
        ),
        pytest.param(
            (YEAR, "F", "all", "q:l1"), ("12", "70.45454545454545", "20.45454545454545"),
            [("n", "12", "11")], id="wrong n",
        ),
        pytest.param(
            (YEAR, "A", "all", "q:l2"), ("3", "75.00", ""),
            [
                ("suppression", "", "threshold"),
                ("n", "3", "empty (n = 3 < 5)"),
                ("value", "75.00", "empty (n = 3 < 5)"),
            ],
            id="published with n below the threshold",
        ),
        pytest.param(
            (YEAR, "A", "gender=Man", "q:m1"), ("", "0.00", ""),
            [("suppression", "", "threshold"), ("value", "0.00", "empty (n = 1 < 5)")],
            id="suppressed shown as 0",
        ),
        pytest.param(
            (YEAR, "F", "all", "AMI"), ("13", "65.38461538461539", "15.00"),
            [("change", "15.00", "15.3846153846")], id="wrong change",
        ),
        pytest.param(
            (YEAR, "F", "all", "leadership"), ("11", "70.64393939393939", "20.64"),
            [("change", "20.64", "empty (no comparable published value)")],
            id="change of a composite whose questions changed",
        ),
        pytest.param(
            (YEAR, "manager:c1", "all", "q:l1"), ("6", "75.00", "25.00"),
            [("change", "25.00", "empty (no comparable published value)")],
            id="change against a suppressed previous value",
        ),
        pytest.param(
            (YEAR, "A", "all", "AMI"), ("6", "70.83333333333333", ""),
            [("change", "", "-4.16666666667")],
            id="change missing although the previous value is published",
        ),
        pytest.param(
            (YEAR, "B", "all", "AMI"), ("5", "75", "50.00"),
            [("value", "75", "at least 2 decimals")], id="fewer than two decimals",
        ),
        pytest.param(
            (2022, "B", "all", "response_rate"), ("5", "50.00", ""),
            [("value", "50.00", "100")], id="wrong history value",
        ),
    ],
)  # fmt: skip
def test_a_wrong_figure_is_reported_exactly(tmp_path: Path, key, published, expected) -> None:
    rows = replaced(figures_2023() + FIGURES_2022, key, *published)
    reconciliations = audit_hand_figures(tmp_path, rows)
    assert found(reconciliations) == [(*key, *mismatch) for mismatch in expected]


def test_change_of_previous_year_counts_as_unverifiable_when_its_publication_is_unknown(
    tmp_path: Path,
) -> None:
    # q:m1 of 2022 is not among the history rows: an empty change may be a
    # complementary suppression of last year's value, which this file cannot show.
    rows = replaced(figures_2023() + FIGURES_2022, (YEAR, "B", "all", "q:m1"), "5", "75.00", "")
    _, current = audit_hand_figures(tmp_path, rows)
    assert current.mismatches == []
    assert current.unverifiable_changes == 1


def test_missing_and_extra_rows_are_reported(tmp_path: Path) -> None:
    rows = [r for r in figures_2023() if r[:4] != (YEAR, "B", "all", "response_rate")]
    rows += [(YEAR, "B", "gender=Annat", "q:m1", "", "", "")]  # a label nobody gave
    rows += [(2024, "F", "all", "AMI", "13", "65.38461538461539", "")]  # a year after the report
    rows += FIGURES_2022
    history, current, future = audit_hand_figures(tmp_path, rows)
    assert found([current]) == [
        (YEAR, "B", "gender=Annat", "q:m1", "row", "present", "no such figure"),
        (YEAR, "B", "all", "response_rate", "row", "missing", "present"),
    ]
    assert (current.rows_checked, current.rows_matched) == (93, 92)
    assert found([future]) == [
        (2024, "F", "all", "AMI", "row", "present",
         "no such figure: year 2024 is not the report year or an earlier survey year"),
    ]  # fmt: skip
    assert history.mismatches == []


def test_a_history_row_missing_is_reported(tmp_path: Path) -> None:
    rows = figures_2023() + [r for r in FIGURES_2022 if r[1:4] != ("A", "gender=Kvinna", "AMI")]
    history, _ = audit_hand_figures(tmp_path, rows)
    assert found([history]) == [(2022, "A", "gender=Kvinna", "AMI", "row", "missing", "present")]


def test_a_recoverable_suppressed_group_is_a_mismatch(tmp_path: Path) -> None:
    # A: total 6 published, women 5 now published too, so A's one man = total - women.
    rows = replaced(
        figures_2023() + FIGURES_2022, (YEAR, "A", "gender=Kvinna", "q:m1"), "5", "80.00", "5.00"
    )
    history, current = audit_hand_figures(tmp_path, rows)
    assert found([history, current]) == [
        (YEAR, "A", "gender=Man", "q:m1", "recoverable", "total and the other groups published",
         "gender=Man (n = 1 < 5) recoverable by subtraction"),
    ]  # fmt: skip
    assert current.complementary_suppressions == 3


def test_the_unknown_label_counts_as_a_group_of_its_own(tmp_path: Path) -> None:
    # B's women (2) are suppressed, the 3 without a gender are never shown: together 5,
    # safe. Publishing B's women (wrongly, n = 2) leaves the 3 unknowns alone.
    rows = replaced(
        figures_2023() + FIGURES_2022, (YEAR, "B", "gender=Kvinna", "q:m1"), "2", "62.50", ""
    )
    _, current = audit_hand_figures(tmp_path, rows)
    assert found([current]) == [
        (YEAR, "B", "gender=Kvinna", "q:m1", "suppression", "", "threshold"),
        (YEAR, "B", "gender=Kvinna", "q:m1", "n", "2", "empty (n = 2 < 5)"),
        (YEAR, "B", "gender=Kvinna", "q:m1", "value", "62.50", "empty (n = 2 < 5)"),
        (YEAR, "B", "gender=", "q:m1", "recoverable", "total and the other groups published",
         "gender=(unknown) (n = 3 < 5) recoverable by subtraction"),
    ]  # fmt: skip


def test_recomputed_leader_and_response_rate_figures() -> None:
    table = Recomputation(hand_data(), PARAMS).figures(YEAR).set_index(["unit_id", "measure"])
    leaders = table.loc["manager:c1"]
    leaders = leaders[leaders["group"] == "all"]
    # c1's staff: F's own two and B's five (B has no manager of its own).
    assert leaders.loc["response_rate", "n"] == 7
    assert leaders.loc["response_rate", "value"] == pytest.approx(87.5, abs=1e-12)
    assert leaders.loc["q:l1", "value"] == pytest.approx(75.0, abs=1e-12)
    assert bool(leaders.loc["q:l1", "in_figures"]) is True
    # leader rows carry every measure, not only the leadership ones
    assert leaders.loc["q:m1", "value"] == pytest.approx(1700 / 28, abs=1e-12)
    assert bool(leaders.loc["q:m1", "in_figures"]) is True
    assert bool(leaders.loc["AMI", "in_figures"]) is True


# ---------------------------------------------------------------------------
# drivers.csv
# ---------------------------------------------------------------------------
#
# 16 respondents, two copies of 8 answer patterns (d1, d2, m1):
#   (1,1,1) (1,5,2) (5,1,3) (5,5,4) (1,1,2) (1,5,3) (5,1,4) (5,5,5)
# d1 and d2 are uncorrelated, so each relative weight is the squared
# correlation with the outcome: centred sums give r(d1)² = 16²/(32·12) = 2/3
# and r(d2)² = 8²/(32·12) = 1/6; importance 0.8 and 0.2. A holds the d1 = 1
# patterns, B the d1 = 5 ones (8 each, below drivers.min_n = 10): both take
# F's importances. Scores: F d1 50, d2 50; A d1 0, d2 50; B d1 100, d2 50.

PATTERNS = [(1, 1, 1), (1, 5, 2), (5, 1, 3), (5, 5, 4), (1, 1, 2), (1, 5, 3), (5, 1, 4), (5, 5, 5)]
DRIVER_PARAMS = params_from_dict(
    {"report": {"years": [YEAR]}, "drivers": {"min_n": 10, "bootstrap": 200}}
)


def driver_data() -> SurveyData:
    def people(unit_id: str, d1: int) -> list[dict]:
        chosen = [p for p in PATTERNS if p[0] == d1] * 2
        return respondents(
            YEAR,
            unit_id,
            d1=[p[0] for p in chosen],
            d2=[p[1] for p in chosen],
            m1=[p[2] for p in chosen],
        )

    return survey(
        questions=[
            question("m1", area="Arbete", dimension="Motivation"),
            question("d1", area="Arbete"),
            question("d2", area="Ledning"),
        ],
        units=[unit(YEAR, "F"), unit(YEAR, "A", parent="F"), unit(YEAR, "B", parent="F")],
        responses=[*people("A", 1), *people("B", 5)],
    )


DRIVER_HEADER = (
    "year,unit_id,question_id,weight,importance,ci_low,ci_high,score,quadrant,n_used,"
    "importance_from,basis,own_weight,p_high,beta,p_negative,p_random"
)
# beta: uncorrelated drivers' standardised weights are their correlations with the outcome,
# sqrt(2/3) and sqrt(1/6); p_high: with two drivers the larger is the high half in every
# resample (d1's importance is 0.8 in all 16 respondents' patterns, twice over)
D1 = ["1.0", "0.816496580927726", "0.0", "0.0"]
D2 = ["0.0", "0.408248290463863", "0.0", "0.0"]
DRIVER_ROWS = [
    # unit, question, weight, importance, ci_low, ci_high, score, quadrant, n_used, from, basis,
    # own_weight, p_high, beta, p_negative, p_random (A and B, 8 respondents each, are below
    # drivers.min_own = 10: they borrow F's importances whole)
    ["F", "d1", "0.6666666666666666", "0.8", "0.7", "0.9", "50.00", "styrka", "16", "F", "own",
     "1.0", *D1],
    ["F", "d2", "0.16666666666666666", "0.2", "0.1", "0.3", "50.00", "övrigt", "16", "F", "own",
     "1.0", *D2],
    ["A", "d1", "0.6666666666666666", "0.8", "0.7", "0.9", "0.00", "fokusområde", "16", "F",
     "borrowed", "0.0", *D1],
    ["A", "d2", "0.16666666666666666", "0.2", "0.1", "0.3", "50.00", "övrigt", "16", "F",
     "borrowed", "0.0", *D2],
    ["B", "d1", "0.6666666666666666", "0.8", "0.7", "0.9", "100.00", "styrka", "16", "F",
     "borrowed", "0.0", *D1],
    ["B", "d2", "0.16666666666666666", "0.2", "0.1", "0.3", "50.00", "övrigt", "16", "F",
     "borrowed", "0.0", *D2],
]  # fmt: skip
SCORES = {"F": ("50.00", "50.00"), "A": ("0.00", "50.00"), "B": ("100.00", "50.00")}
SCORE_FIGURES = [
    (YEAR, u, "all", f"q:{q}", "16" if u == "F" else "8", v, "")
    for u, scores in SCORES.items()
    for q, v in zip(("d1", "d2"), scores, strict=True)
]


def audit_hand_drivers(tmp_path: Path, rows: list[list[str]], with_intervals: bool = False):
    drivers = tmp_path / "drivers.csv"
    lines = [DRIVER_HEADER] + [",".join([str(YEAR), *row]) for row in rows]
    drivers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    figures = tmp_path / "figures.csv"
    figures.write_text(csv_text(SCORE_FIGURES), encoding="utf-8")
    recomputation = Recomputation(driver_data(), DRIVER_PARAMS, with_intervals=with_intervals)
    return audit_drivers(
        read_published_drivers(drivers),
        YEAR,
        recomputation,
        read_published_figures(figures),
        "drivers.csv",
    )


def with_field(rows: list[list[str]], unit_id: str, question_id: str, column: str, value: str):
    position = DRIVER_HEADER.split(",").index(column) - 1
    out = [list(r) for r in rows]
    for row in out:
        if row[0] == unit_id and row[1] == question_id:
            row[position] = value
    return out


def test_hand_worked_drivers_pass(tmp_path: Path) -> None:
    recon = audit_hand_drivers(tmp_path, DRIVER_ROWS)
    assert recon.mismatches == []
    assert (recon.rows_checked, recon.rows_matched) == (6, 6)


@pytest.mark.parametrize(
    ("unit_id", "question_id", "column", "value", "expected"),
    [
        pytest.param("A", "d1", "quadrant", "styrka", ("quadrant", "styrka", "fokusområde"),
                     id="wrong quadrant"),
        pytest.param("F", "d1", "importance", "0.7", ("importance", "0.7", "0.8"),
                     id="wrong importance"),
        pytest.param("B", "d2", "weight", "0.2", ("weight", "0.2", "0.166666666667"),
                     id="wrong weight"),
        pytest.param("A", "d2", "n_used", "8", ("n_used", "8", "16"), id="wrong n_used"),
        pytest.param("A", "d2", "basis", "own", ("basis", "own", "borrowed"), id="wrong basis"),
        pytest.param("F", "d1", "basis", "own_below_min_n", ("basis", "own_below_min_n", "own"),
                     id="root marked small although n_used >= min_n"),
        pytest.param("B", "d1", "score", "99.00", ("score", "99.00", "100"), id="wrong score"),
        pytest.param("F", "d2", "ci_high", "0.05", ("ci", "0.1 > 0.05", "ci_low ≤ ci_high"),
                     id="interval upside down"),
    ],
)  # fmt: skip
def test_a_wrong_driver_number_is_reported_exactly(
    tmp_path: Path, unit_id, question_id, column, value, expected
) -> None:
    recon = audit_hand_drivers(
        tmp_path, with_field(DRIVER_ROWS, unit_id, question_id, column, value)
    )
    reported = [
        (m.unit_id, m.group, m.measure, m.field, m.published, m.recomputed)
        for m in recon.mismatches
    ]
    assert reported == [(unit_id, "all", f"q:{question_id}", *expected)]
    assert recon.rows_matched == 5


def test_importances_from_a_unit_that_is_not_an_ancestor_are_reported(tmp_path: Path) -> None:
    rows = with_field(
        with_field(DRIVER_ROWS, "B", "d1", "importance_from", "A"),
        "B",
        "d2",
        "importance_from",
        "A",
    )
    recon = audit_hand_drivers(tmp_path, rows)
    expected = "the unit itself or an ancestor, the same on every row"
    assert [
        (m.unit_id, m.measure, m.field, m.published, m.recomputed) for m in recon.mismatches
    ] == [
        ("B", "q:d1", "importance_from", "A", expected),
        ("B", "q:d2", "importance_from", "A", expected),
    ]


def test_a_unit_without_driver_rows_is_reported(tmp_path: Path) -> None:
    recon = audit_hand_drivers(tmp_path, [r for r in DRIVER_ROWS if r[0] != "B"])
    assert [(m.unit_id, m.field, m.published) for m in recon.mismatches] == [
        ("B", "row", "missing")
    ]


def test_bootstrap_intervals_are_recomputed_as_the_pipeline_draws_them(tmp_path: Path) -> None:
    from analysis.drivers.borrowing import analyse_year

    pipeline = analyse_year(driver_data(), DRIVER_PARAMS, YEAR).analyses["F"]
    rows = [list(r) for r in DRIVER_ROWS]
    for row in rows:
        j = ["d1", "d2"].index(row[1])
        row[4], row[5] = repr(float(pipeline.ci_low[j])), repr(float(pipeline.ci_high[j]))
        row[12] = repr(float(pipeline.p_high[j]))
        row[14] = repr(float(pipeline.p_negative[j]))
        row[15] = repr(float(pipeline.p_random[j]))
    assert audit_hand_drivers(tmp_path, rows, with_intervals=True).mismatches == []

    tampered = with_field(rows, "A", "d1", "ci_low", "0.5")
    recon = audit_hand_drivers(tmp_path, tampered, with_intervals=True)
    assert [(m.unit_id, m.measure, m.field, m.published) for m in recon.mismatches] == [
        ("A", "q:d1", "ci_low", "0.5")
    ]
    assert float(recon.mismatches[0].recomputed) == pytest.approx(pipeline.ci_low[0], abs=1e-9)


def test_johnson_weights_match_relaimpo_on_swiss() -> None:
    # R relaimpo 2.2-7, calc.relimp(Fertility ~ ., swiss, type = "genizi").
    path = Path(__file__).resolve().parents[2] / "shared" / "reference" / "swiss.csv"
    swiss = pd.read_csv(path, index_col=0)
    drivers = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]
    weights = johnson_relative_weights(
        swiss["Fertility"].to_numpy(), swiss[drivers].to_numpy(dtype=float)
    )
    reference = [0.04841689581, 0.15470824981, 0.27196410465, 0.11468002995, 0.11696572138]
    np.testing.assert_allclose(weights, reference, rtol=0, atol=1e-9)
    assert weights.sum() == pytest.approx(0.7067350016, abs=1e-9)


def test_uncorrelated_drivers_get_their_squared_correlations() -> None:
    outcome = np.array([p[2] for p in PATTERNS], dtype=float)
    drivers = np.array([p[:2] for p in PATTERNS], dtype=float)
    np.testing.assert_allclose(
        johnson_relative_weights(outcome, drivers), [2 / 3, 1 / 6], rtol=0, atol=1e-12
    )


def test_quadrants_cap_at_five_and_break_ties_by_importance_then_id() -> None:
    ids = [f"q{i:02d}" for i in range(1, 13)]
    importance = [0.10, 0.10, 0.10, 0.10, 0.12, 0.10] + [0.01] * 6  # median 0.055
    # High-importance questions all score above the median (57.5): six styrka candidates.
    high = [90, 85, 80, 70, 70, 70, 10, 20, 30, 40, 50, 55]
    # q05 beats q04 and q06 on importance; q04 beats q06 on id; q06 is sixth.
    assert expected_quadrants(ids, importance, high) == ["styrka"] * 5 + ["övrigt"] * 7
    # Mirrored: all six score below the median, lowest first.
    low = [10, 15, 20, 30, 30, 30, 60, 65, 70, 75, 80, 90]
    assert expected_quadrants(ids, importance, low) == ["fokusområde"] * 5 + ["övrigt"] * 7
    # Give q06 more importance than q04 and it takes q04's place among the five.
    importance_q06 = [0.10, 0.10, 0.10, 0.10, 0.12, 0.11] + [0.01] * 6
    assert expected_quadrants(ids, importance_q06, high)[3:6] == ["övrigt", "styrka", "styrka"]


# ---------------------------------------------------------------------------
# The command line on input files, and the pipeline's own output
# ---------------------------------------------------------------------------


def write_input(data: SurveyData, directory: Path) -> None:
    """The contract's three CSV tables for ``data`` (don't-know answers become empty)."""
    directory.mkdir(parents=True)
    questions = data.questions.assign(leadership=data.questions["leadership"].astype(int))
    questions.to_csv(directory / "questions.csv", index=False)
    data.units.to_csv(directory / "units.csv", index=False)
    responses = data.responses.copy()
    for q in data.question_ids:
        responses[q] = responses[q].astype("Int64")
    responses.to_csv(directory / "responses.csv", index=False)


def hand_drivers_csv() -> str:
    # F's complete respondents (m1, l1, l2): (5,4,5) (5,3,4) (2,2,3) (3,3,4) (4,3,2) (3,4,5).
    # Two drivers with correlation r: Λ = [[a, b], [b, a]], a, b = (√(1+r) ± √(1-r)) / 2.
    y, l1, l2 = np.array([[5, 4, 5], [5, 3, 4], [2, 2, 3], [3, 3, 4], [4, 3, 2], [3, 4, 5]]).T
    corr = np.corrcoef([y, l1, l2])
    r = corr[1, 2]
    a, b = (np.sqrt(1 + r) + np.sqrt(1 - r)) / 2, (np.sqrt(1 + r) - np.sqrt(1 - r)) / 2
    lam = np.array([[a, b], [b, a]])
    beta = np.linalg.solve(lam, corr[0, 1:])
    weights = (lam**2) @ (beta**2)
    importance = weights / weights.sum()
    assert importance[0] > importance[1]  # l1 high importance, but below the median score
    # standardised weights of two drivers: (r_jy - r12 r_ky) / (1 - r12²)
    ry = corr[0, 1:]
    betas = (ry - r * ry[::-1]) / (1 - r**2)
    lines = [DRIVER_HEADER]
    for q, w, i, score, quadrant, b in zip(
        ("l1", "l2"),
        weights,
        importance,
        ("70.45454545454545", "70.83333333333333"),
        ("fokusområde", "övrigt"),
        betas,
        strict=True,
    ):
        lines.append(
            f"{YEAR},F,{q},{float(w)!r},{float(i)!r},0.1,0.9,{score},{quadrant},6,F,"
            f"own_below_min_n,1.0,{'1.0' if i == importance.max() else '0.0'},{float(b)!r}"
        )
    return "\n".join(lines) + "\n"


def test_main_reconciles_files_and_exits_by_the_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_input(hand_data(), tmp_path / "input")
    params = tmp_path / "params.yaml"
    # the hand-worked drivers are Johnson's on F's complete respondents: listwise
    params.write_text(
        f"input:\n  dir: {tmp_path / 'input'}\nreport:\n  years: [{YEAR}]\n"
        "drivers:\n  missing: listwise\n",
        encoding="utf-8",
    )
    reports = tmp_path / "reports" / str(YEAR)
    reports.mkdir(parents=True)
    (reports / "figures.csv").write_text(csv_text(figures_2023() + FIGURES_2022), "utf-8")
    (reports / "drivers.csv").write_text(hand_drivers_csv(), encoding="utf-8")
    argv = ["--params", str(params), "--reports", str(tmp_path / "reports"), "--no-intervals"]

    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"figures.csv, year {YEAR}: 93 rows checked, 93 matched, 4 complementary" in out
    assert "drivers.csv, year 2023: 2 rows checked, 2 matched, 0 mismatches" in out
    assert out.endswith("AUDIT PASSED: no mismatches\n")

    # A wrong value, and F's q:l2 left empty in figures.csv while drivers.csv shows its score.
    rows = replaced(
        figures_2023() + FIGURES_2022,
        (YEAR, "F", "all", "q:l1"),
        "11",
        "70.00",
        "20.45454545454545",
    )
    rows = replaced(rows, (YEAR, "F", "all", "q:l2"), "", "", "")
    hidden = frozenset({(YEAR, "F", "all", "q:l2")})
    (reports / "figures.csv").write_text(csv_text(rows, hidden), "utf-8")
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "unit F | group all | measure q:l1 | value: published 70.00 | recomputed 70.4545" in out
    assert (
        "unit F | group all | measure q:l2 | score: published 70.83333333333333 | "
        "recomputed empty, as in figures.csv" in out
    )
    assert out.endswith("AUDIT FAILED: 2 mismatches\n")


def test_main_refuses_a_year_that_is_not_in_the_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_input(hand_data(), tmp_path / "input")
    params = tmp_path / "params.yaml"
    params.write_text(f"input:\n  dir: {tmp_path / 'input'}\nreport:\n  years: [2030]\n", "utf-8")
    assert main(["--params", str(params), "--reports", str(tmp_path)]) == 2
    assert "report.years names 2030" in capsys.readouterr().err


def test_the_pipeline_agrees_with_the_audit_on_every_number(tmp_path: Path) -> None:
    from analysis.core.stage_paths import StagePaths
    from analysis.drivers.stage import run_drivers
    from analysis.indexes.stage import run_indexes
    from analysis.ingest.read import read_input
    from analysis.ingest.stage import run_ingest_stage
    from analysis.synth.stage import run_synthesize

    params = params_from_dict(
        {
            "input": {"dir": str(tmp_path / "synthetic")},
            "report": {"years": [YEAR]},
            "drivers": {"bootstrap": 50, "min_n": 40},
            "synth": {
                "seed": 11,
                "years": [2022, YEAR],
                "employees": 500,
                "grundskolor": 3,
                "gymnasieskolor": 1,
                "avdelningar": 2,
            },
        }
    )
    paths = StagePaths(tmp_path / "interim", tmp_path / "processed", tmp_path / "reports")
    run_synthesize(params, tmp_path / "synthetic")
    run_ingest_stage(params, paths.interim)
    run_indexes(params, YEAR, paths)
    run_drivers(params, YEAR, paths)

    data = read_input(params.input.dir, params).data
    # no render here: audit the tables as the stages wrote them (<processed>/<year>/*.csv)
    reconciliations = audit_reports(data, params, paths.processed)
    text = reconciliation_text(reconciliations)
    assert [(r.kind, r.year) for r in reconciliations] == [
        ("figures", 2022),
        ("figures", YEAR),
        ("drivers", YEAR),
    ]
    for recon in reconciliations:
        assert recon.rows_checked > 0, text
        assert recon.rows_matched == recon.rows_checked, text
    assert [m for r in reconciliations for m in r.mismatches] == [], text
    assert text.endswith("AUDIT PASSED: no mismatches\n")


def test_change_interval_by_hand(tmp_path: Path) -> None:
    # q:m1 on 0-100 in 2023: A 100 75 75 50 100 25 (squares about its mean 4270.83),
    # B 50 75 100 75 75 (1250), F 0 50 (1250): pooled variance 6770.83 / (13 - 3);
    # in 2022 everyone in a unit answered alike (spread 0). A's change -25/6 on 6 and 5:
    # half-width 1.96 * sqrt(677.083 / 6 + 0 / 5) = 20.8206.
    intervals = pipeline_intervals(figures_2023())
    low, high = intervals[(YEAR, "A", "all", "q:m1")]
    assert float(low) == pytest.approx(-24.987280, abs=1e-6)
    assert float(high) == pytest.approx(16.653947, abs=1e-6)
    # A's response rate: 6 of 8 after 5 of 8, one answer and one non-answer added to each:
    # 7/10 - 6/10 +- 1.96 * sqrt(0.7 * 0.3 / 10 + 0.6 * 0.4 / 10)
    low, high = intervals[(YEAR, "A", "all", "response_rate")]
    assert (float(low), float(high)) == pytest.approx((-31.577115, 51.577115), abs=1e-6)
    _, current = audit_hand_figures(tmp_path, figures_2023() + FIGURES_2022)
    assert current.mismatches == []


def test_a_wrong_or_missing_interval_is_reported(tmp_path: Path) -> None:
    rows = figures_2023() + FIGURES_2022
    right = pipeline_intervals(rows)[(YEAR, "A", "all", "q:m1")]
    wrong = {
        (YEAR, "A", "all", "q:m1"): ("-20.00", right[1]),  # too narrow
        (YEAR, "F", "all", "q:m1"): ("", ""),  # missing
    }
    path = tmp_path / "figures.csv"
    path.write_text(csv_text(rows, intervals=wrong), encoding="utf-8")
    recomputation = Recomputation(hand_data(), PARAMS, with_intervals=False)
    _, current = audit_figures(read_published_figures(path), YEAR, recomputation, "figures.csv")
    fields = {(m.unit_id, m.measure, m.field, m.published) for m in current.mismatches}
    assert fields == {
        ("A", "q:m1", "change_low", "-20.00"),
        ("F", "q:m1", "change_low", ""),
        ("F", "q:m1", "change_high", ""),
    }
    recomputed = {m.recomputed for m in current.mismatches if m.unit_id == "A"}
    assert recomputed == {"-24.9872804231"}
