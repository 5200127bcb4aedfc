"""Who writes an action plan, who approves it, and last year's plans followed up.

On the fixture organisation (``tests/report_fixture.py``; AMI by hand: A 90.2, B 69.5,
H 60.2, G 90.4, D 89.6, E 64.6, L too few; 2022: A 88.9, B 71.0, G 91.0, D 87.0,
E 66.0) with managers given to the förvaltning and the områden here: the rule is the
displayed integer (B's 69.5 shows 70: no plan), the approver is the nearest manager
above who is not the unit's own.
"""

from __future__ import annotations

import pandas as pd
import pytest
import report_fixture as rf

from analysis.report import action_plans as plans
from analysis.report.processed import load_processed_year

SCHOOLS = ("grundskola", "gymnasieskola")
#: F led by M0, Norr by M4, Syd & Väst by M5; Alfaskolan by M1 as in the fixture
MANAGERS = {"F": "M0", "N": "M4", "S": "M5"}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    year = load_processed_year(rf.write_fixture(tmp_path_factory.mktemp("plans") / "2023"))
    units = year.units.copy()
    units["manager_id"] = [
        MANAGERS.get(u, m) for u, m in zip(units["unit_id"], units["manager_id"], strict=True)
    ]
    return rf.variant(year, units=units)


def test_the_units_whose_heads_answer_for_a_plan_are_those_right_under_an_omrade(data) -> None:
    # W (Arbetslag Alfa 1) is a work group two levels down: no plan of its own
    assert plans.plan_units(data, "F", SCHOOLS) == ["A", "B", "H", "G", "D", "E", "L"]
    assert plans.plan_units(data, "S", SCHOOLS) == ["G", "D", "E", "L"]
    assert plans.plan_units(data, "A", SCHOOLS) == ["A"]
    # a school form deeper down has a head who answers for one too
    assert plans.plan_units(data, "F", ("arbetsgrupp",)) == ["A", "W", "B", "H", "G", "D", "E", "L"]


def test_the_approver_is_the_nearest_other_manager_above(data) -> None:
    assert plans.approvers(data)["A"] == "manager:M4"
    assert plans.approvers(data)["E"] == "manager:M5"
    assert plans.approvers(data)["W"] == "manager:M1"  # M2's work group: Alfaskolan's head
    assert plans.approvers(data)["N"] == "manager:M0"
    assert plans.approvers(data)["F"] == plans.NO_APPROVER
    # a head who leads both the school and its område is approved from further up
    units = data.units.copy()
    units.loc[units["unit_id"] == "N", "manager_id"] = "M1"
    assert plans.approvers(rf.variant(data, units=units))["A"] == "manager:M0"
    assert plans.approver_label(data, "manager:M4") == "Chef M4 (Område Norr)"
    assert plans.approver_label(data, "") == "Ingen överordnad chef angiven"


def test_plans_are_due_on_the_displayed_ami_grouped_by_approver(data) -> None:
    due = plans.plans_due(data, plans.plan_units(data, "F", SCHOOLS), 70)
    assert due.units[["unit_id", "shown", "approver"]].values.tolist() == [
        ["H", 60, "manager:M4"],
        ["E", 65, "manager:M5"],
    ]  # not B: 69.5 shows as 70
    assert due.suppressed == 1 and due.protected == 0  # Lillskolan: too few answers
    mine = plans.plans_due(data, plans.plan_units(data, "F", SCHOOLS), 70, "manager:M5")
    assert list(mine.units["unit_id"]) == ["E"] and mine.suppressed == 1
    assert plans.plans_due(data, ["A", "G", "D"], 70).units.empty


def test_last_year_s_units_under_the_line_are_followed_up_with_their_plans(data) -> None:
    last = pd.DataFrame(
        {
            "year": [2022, 2022, 2022],
            "unit_id": ["E", "D", "X9"],
            "status": ["Pågående", "Klar", "Ej slutförd"],
            "deadline": ["", "", ""],
            "note": ["", "Ny schemaläggning", ""],
        }
    )
    # under 89 in 2022: B (71), D (87), E (66); A's 88.9 shows 89
    frame = plans.followup(data, plans.plan_units(data, "F", SCHOOLS), last, 89, with_gone=True)
    assert list(frame["unit_id"]) == ["E", "B", "D", "X9"]
    assert frame["shown_prev"].tolist()[:3] == [66, 71, 87]
    assert frame["recovered"].tolist()[:3] == [False, False, True]  # D: 89.6 shows 90
    assert [c.change for c in frame["compared"][:3]] == [-1, -1, 3]  # 65-66, 70-71, 90-87
    assert frame["status"].tolist() == ["Pågående", "", "Klar", "Ej slutförd"]
    assert frame["note"].tolist()[2] == "Ny schemaläggning"
    assert frame["in_tree"].tolist() == [True, True, True, False]  # X9 is gone this year
    # an område's report knows only its own units, gone ones not at all
    south = plans.followup(data, plans.plan_units(data, "S", SCHOOLS), last, 89)
    assert list(south["unit_id"]) == ["E", "D"]


def test_a_change_s_interval_is_shown_half_up(data) -> None:
    from analysis.report.figures import Compared, Shown

    compared = Compared(Shown(72.4), Shown(66.0), "", 1.5, 10.49)
    assert compared.change == 6
    assert plans.interval_text(compared) == "+2 till +10"
    assert plans.interval_text(Compared(Shown(72.4), None, "inget värde 2022")) == ""


def _section_text(data, unit_id: str, section) -> list[list[str]]:
    from bs4 import BeautifulSoup

    from analysis.core.provenance import collect_provenance, effective_params
    from analysis.report.context import Report

    provenance = collect_provenance(data, rf.fixture_params())
    shown = section(Report(data, unit_id, effective_params(provenance), provenance))
    if shown is None:
        return []
    soup = BeautifulSoup(shown.data, "html.parser")
    return [soup.find("h2").get_text()] + [
        [c.get_text(" ", strip=True) for c in tr("td")] for tr in soup("tr")[1:]
    ]


def test_a_manager_s_report_lists_the_plans_they_approve_and_follow_up(data) -> None:
    from analysis.report.sections import action_plans_section, followup_section

    plans_2022 = pd.DataFrame(
        {
            "year": [2022],
            "unit_id": ["E"],
            "status": ["Ej slutförd"],
            "deadline": ["16 juni"],
            "note": [""],
        }
    )
    with_plans = rf.variant(data, action_plans=plans_2022)
    # M5 leads Syd & Väst: Epsilongymnasiet (65) is theirs to approve; M4 has Hagaskolan
    assert _section_text(with_plans, "manager:M5", action_plans_section) == [
        "Handlingsplaner att stämma av",
        ["Epsilongymnasiet", "gymnasieskola", "65"],
    ]
    assert _section_text(with_plans, "manager:M4", action_plans_section)[1:] == [
        ["Hagaskolan", "grundskola", "60"]
    ]
    assert _section_text(with_plans, "manager:M1", action_plans_section) == []  # none
    followed = _section_text(with_plans, "manager:M5", followup_section)
    assert followed[0] == "Uppföljning: enheter under 70 år 2022"
    assert [row[0] for row in followed[1:]] == ["Epsilongymnasiet"]
    assert followed[1][-1] == "Ej slutförd"
    # an enhet's own report follows up only itself; a unit not under 70 last year has none
    assert [r[0] for r in _section_text(with_plans, "E", followup_section)[1:]] == [
        "Epsilongymnasiet"
    ]
    assert _section_text(with_plans, "G", followup_section) == []
    assert _section_text(with_plans, "E", action_plans_section) == []  # its AMI section says it


def test_one_rule_says_whose_head_writes_a_plan() -> None:
    from analysis.core.orgtree import heads_write_action_plans

    assert heads_write_action_plans(2, "avdelning", SCHOOLS)  # a department under an område
    assert heads_write_action_plans(3, "grundskola", SCHOOLS)  # a school deeper down
    assert not heads_write_action_plans(3, "arbetsgrupp", SCHOOLS)
    assert not heads_write_action_plans(1, "område", SCHOOLS)


def test_a_plan_hr_recorded_for_another_unit_of_the_subtree_is_followed_up(data) -> None:
    from analysis.report.sections import followup_section

    plans_2022 = pd.DataFrame(
        {"year": [2022], "unit_id": ["W"], "status": ["Klar"], "deadline": [""], "note": [""]}
    )
    rows = _section_text(rf.variant(data, action_plans=plans_2022), "F", followup_section)
    # Arbetslag Alfa 1 (too few answers both years) is no plan unit, but its plan is shown
    assert [r[0] for r in rows[1:]] == ["Epsilongymnasiet", "Arbetslag Alfa 1"]
    assert rows[2][:3] == ["Arbetslag Alfa 1", "för få svar", "för få svar"]
    assert rows[2][-1] == "Klar"


def test_the_plan_units_and_approvers_are_worked_out_once_per_year(data, monkeypatch) -> None:
    """~590 leader reports share a year: the tree is walked for plans once, not twice a report."""
    from analysis.core.orgtree import heads_write_action_plans
    from analysis.report.sections import action_plans_section, followup_section

    # the rules as written, unit by unit, before any cache
    def approver_by_hand(year, unit):
        index = year.unit_index
        own = index[unit]["manager_id"] or ""
        above = [index[u]["manager_id"] or "" for u in year.tree.chain(unit)[1:]]
        return next((f"manager:{m}" for m in above if m and m != own), "")

    year = rf.variant(data, action_plans=rf.action_plans_table())  # a fresh year: no cache yet
    calls = {"approver": 0, "heads": 0}
    find, heads = plans._find_approver, plans.heads_write_action_plans

    def counted_find(*args):
        calls["approver"] += 1
        return find(*args)

    def counted_heads(*args):
        calls["heads"] += 1
        return heads(*args)

    monkeypatch.setattr(plans, "_find_approver", counted_find)
    monkeypatch.setattr(plans, "heads_write_action_plans", counted_heads)
    first = {
        m: (_section_text(year, m, action_plans_section), _section_text(year, m, followup_section))
        for m in ("manager:M5", "manager:M4", "manager:M1", "manager:M0")
    }
    n_units = len(year.units)
    assert calls == {"approver": n_units, "heads": n_units}  # each unit once, for all four
    again = {
        m: (_section_text(year, m, action_plans_section), _section_text(year, m, followup_section))
        for m in first
    }
    assert calls == {"approver": n_units, "heads": n_units} and again == first
    assert first["manager:M5"][0][1:] == [["Epsilongymnasiet", "gymnasieskola", "65"]]
    assert [r[0] for r in first["manager:M5"][1][1:]] == ["Epsilongymnasiet"]
    assert first["manager:M4"][0][1:] == [["Hagaskolan", "grundskola", "60"]]
    # the looked-up values are the rules' own
    assert plans.approvers(year) == {u: approver_by_hand(year, u) for u in year.unit_index}
    depth = year.tree.depth
    for unit in ("F", "N", "S", "A", "W"):
        assert plans.plan_units(year, unit, SCHOOLS) == [
            u
            for u in year.tree.subtree(unit)
            if heads_write_action_plans(depth[u], year.unit_type(u), SCHOOLS)
        ]
    # another school_types is its own list; the caller's list is its own to extend
    assert plans.plan_units(year, "F", ("arbetsgrupp",))[:2] == ["A", "W"]
    plans.plan_units(year, "F", SCHOOLS).append("X")
    assert "X" not in plans.plan_units(year, "F", SCHOOLS)
