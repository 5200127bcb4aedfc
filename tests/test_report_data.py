"""The selection and ranking helpers behind the reports, on hand-made tables.

Expected values are worked out by hand from the numbers in
``tests/report_fixture.py`` (or from the small tables written here).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import report_fixture as rf

from analysis.core.labels import MINUS
from analysis.core.params import LevelParams
from analysis.report.area_texts import AREA_TEXTS, area_text
from analysis.report.comparisons import (
    ami_measures,
    child_history,
    group_breakdown,
    index_table,
    question_results,
    response_rate_history,
)
from analysis.report.context import open_report
from analysis.report.figures import Compared, Shown
from analysis.report.orgtree import manager_invited, manager_units, subtree_ids
from analysis.report.paths import relative_href, report_path, safe_file_stem
from analysis.report.phrases import NEW, REWORDED, SUPPRESSED
from analysis.report.processed import (
    ProcessedYear,
    ReportDataError,
    load_processed_year,
    question_status,
)
from analysis.report.selection import (
    competition_places,
    highest_lowest,
    largest_changes,
    top_units,
    units_under_threshold,
)
from analysis.report.unit_figures import UnitFigures, age_sort_key

LEVELS = LevelParams()


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    return rf.write_fixture(tmp_path_factory.mktemp("processed") / "2023")


@pytest.fixture(scope="module")
def data(processed):
    return load_processed_year(processed)


def _results(rows):
    """A question_results-shaped table from (id, value, change, exact, status) tuples."""
    frame = pd.DataFrame(rows, columns=["question_id", "value", "change", "exact_change", "status"])
    frame["text"] = "Fråga " + frame["question_id"]
    return frame


# --------------------------------------------------------------- ranking


def test_competition_places_share_a_place_and_skip():
    assert competition_places([90, 90, 90, 89]) == [1, 1, 1, 4]
    assert competition_places([80, 85, 85, 70]) == [3, 1, 1, 4]
    assert competition_places([]) == []


def test_top_units_show_every_school_tied_at_the_cut(data):
    # A 90.2, D 89.6, G 90.4 all show 90; top_units = 2 still lists all three
    table = top_units(data, "F", ["grundskola", "gymnasieskola"], 2)
    assert list(table["unit_id"]) == ["A", "D", "G"]  # place 1 each, then by name
    assert list(table["place"]) == [1, 1, 1]
    assert list(table["shown"]) == [90, 90, 90]


def test_top_units_places_after_a_tie_skip(data):
    # B 69.5 shows 70 and is fourth; E 64.6 -> 65 fifth; H 60.2 -> 60 sixth; L suppressed
    table = top_units(data, "F", ["grundskola", "gymnasieskola"], 5)
    assert list(zip(table["unit_id"], table["place"], strict=True)) == [
        ("A", 1),
        ("D", 1),
        ("G", 1),
        ("B", 4),
        ("E", 5),
    ]


def test_top_units_only_in_the_subtree_and_only_school_types(data):
    assert list(top_units(data, "N", ["grundskola"], 2)["unit_id"]) == ["A", "B"]
    assert list(top_units(data, "S", ["gymnasieskola"], 5)["unit_id"]) == ["G", "E"]
    # a school's own subtree holds only a work group: no top list
    assert top_units(data, "A", ["grundskola", "gymnasieskola"], 5).empty


def test_under_threshold_is_decided_on_the_displayed_value(data):
    result = units_under_threshold(data, "F", ["grundskola", "gymnasieskola"], 70)
    # H 60.2 and E 64.6 are under 70; B 69.5 is shown as 70 and is not
    assert list(result.units["unit_id"]) == ["H", "E"]
    assert list(result.units["shown"]) == [60, 65]
    assert result.counts.to_dict("records") == [
        {"unit_type": "grundskola", "count": 1},
        {"unit_type": "gymnasieskola", "count": 1},
    ]
    assert result.suppressed == 1  # Lillskolan
    # an område with grundskolor only counts grundskolor
    north = units_under_threshold(data, "N", ["grundskola", "gymnasieskola"], 70)
    assert north.counts.to_dict("records") == [{"unit_type": "grundskola", "count": 1}]


def test_highest_and_lowest_questions(data):
    results = question_results(data, UnitFigures(data, "F"), LEVELS)
    high, low = highest_lowest(results, 3)
    assert list(high["question_id"]) == ["q9", "q1", "q3"]  # 88.0, 83.0, 82.5
    assert list(low["question_id"]) == ["q7", "q8", "q10"]  # 58.3, 66.0, 71.2


def test_highest_and_lowest_never_share_a_question():
    results = _results(
        [
            ("a", 50.0, None, None, ""),
            ("b", 70.0, None, None, ""),
            ("c", None, None, None, ""),
            ("d", 60.0, None, None, ""),
            ("e", 40.0, None, None, ""),
        ]
    )
    high, low = highest_lowest(results, 3)
    assert list(high["question_id"]) == ["b", "d"]
    assert list(low["question_id"]) == ["e", "a"]


def test_largest_changes_leave_out_new_and_reworded(data):
    results = question_results(data, UnitFigures(data, "F"), LEVELS)
    changes = largest_changes(results, 3)
    # +2 each; ties by the exact change: q7 +2.3, q8 +2.2, q6 +1.9
    assert list(changes.positive["question_id"]) == ["q7", "q8", "q6"]
    assert list(changes.positive["change"]) == [2, 2, 2]
    # q4 79.0 vs 82.4 (−3), q5 80.2 vs 83.1 (80 − 83 = −3), q2 75.1 vs 77.4 (−2)
    assert list(changes.negative["question_id"]) == ["q4", "q5", "q2"]
    assert list(changes.negative["change"]) == [-3, -3, -2]
    assert changes.excluded[["question_id", "status"]].values.tolist() == [
        ["q9", "ny"],
        ["q10", "omformulerad"],
    ]


def test_largest_changes_on_a_hand_made_table():
    results = _results(
        [
            ("a", 70.0, 2, 1.6, ""),
            ("b", 71.0, 2, 2.4, ""),
            ("c", 72.0, 1, 0.6, ""),
            ("d", 73.0, 0, 0.2, ""),
            ("e", 74.0, -1, -1.1, ""),
            ("f", 90.0, None, None, "ny"),
            ("g", 50.0, None, None, ""),  # no comparison (e.g. suppressed last year)
        ]
    )
    changes = largest_changes(results, 3)
    assert list(changes.positive["question_id"]) == ["b", "a", "c"]
    assert list(changes.negative["question_id"]) == ["e"]
    assert list(changes.excluded["question_id"]) == ["f"]


def test_question_status():
    assert question_status("q10old", False, 2022) == REWORDED
    assert question_status("", False, 2022) == NEW
    assert question_status("", True, 2022) == ""
    assert question_status("", False, None) == ""  # first year: nothing is new
    # a rewording introduced earlier and asked last year too is compared with itself
    assert question_status("q10old", True, 2022) == ""


# --------------------------------------------------------------- one figure


def compared(now: float | None, prev: float | None) -> Compared:
    return Compared(Shown(now), Shown(prev), SUPPRESSED)


def test_shown_rounds_half_up_and_changes_are_differences_of_displayed_values():
    shown = Shown(79.4, 130)
    assert (shown.text, shown.n) == ("79", 130)
    assert (compared(79.4, 80.3).change, compared(79.4, 80.3).change_text) == (-1, f"{MINUS}1")
    # 80.75 shows 81, 82.2 shows 82: the displayed change is −1 (the exact one −1.45)
    assert compared(80.75, 82.2).change == -1
    assert Shown(69.5).text == "70"
    assert Shown(69.5).level(LEVELS) == "förvalta och förädla"
    assert compared(76.6, 74.7).change_text == "+2"
    assert compared(79.0, 79.2).change_text == "0"


def test_suppressed_figure_shows_words_not_numbers():
    shown = Shown(None, None)
    assert shown.text == "för få svar"
    assert shown.level(LEVELS) is None
    # a suppressed year on either side: no change, and the reason instead of a blank
    assert compared(None, 80.0).change is None
    assert compared(80.0, None).change_text == "för få svar"


def test_index_table_of_the_forvaltning(data):
    table = index_table(UnitFigures(data, "F"), ami_measures(data), LEVELS)
    assert list(table["label"]) == ["AMI totalt", "Motivation", "Ledarskap", "Styrning"]
    # AMI 79.4/80.3; Motivation 79.05/79.8; Ledarskap 80.75/82.2; Styrning 78.4/78.9
    assert list(table["text"]) == ["79", "79", "81", "78"]
    assert list(table["change_text"]) == [f"{MINUS}1"] * 4


def test_group_breakdown_keeps_suppressed_groups_as_words_in_either_year(data):
    table = group_breakdown(UnitFigures(data, "F"), "age_group", ["AMI"])
    assert list(table["label"]) == ["-29", "30-49", "50-59", "60-"]
    # 2023: −29 suppressed; 79.4 − 1.2 = 78.2; 79.4 + 1.2 = 80.6; 79.4 + 2.0 = 81.4
    assert list(table["text"]) == ["för få svar", "78", "81", "81"]
    # 2022: 80.3 − 3.0 = 77.3; 80.3 − 1.2 = 79.1; 80.3 + 1.2 = 81.5 (shows 82); 60- suppressed
    assert list(table["prev_text"]) == ["77", "79", "82", "för få svar"]
    assert list(table["change_text"]) == ["för få svar", f"{MINUS}1", f"{MINUS}1", "för få svar"]
    assert np.isnan(table["value"].iloc[0]) and table["value_prev"].iloc[0] == pytest.approx(77.3)
    assert table["value_prev"].iloc[3] is None or np.isnan(table["value_prev"].iloc[3])


def test_comparable_measures_rest_on_the_same_questions(data):
    comparable = data.comparable_measures
    # q9 is new, q10 rewords q10old: neither, nor their areas, is comparable
    assert {"q:q9", "q:q10", "area:Utvecklas och lära nytt"} & comparable == set()
    assert "area:Lika rättigheter och möjligheter" not in comparable
    assert {"AMI", "AMI.Motivation", "leadership", "q:q11", "response_rate"} <= comparable
    assert {"area:Lön", "area:Delaktighet och inflytande"} <= comparable


def test_a_missing_change_always_says_why(data):
    root, new_unit = UnitFigures(data, "F"), UnitFigures(data, "H")
    # comparable, both years published: the difference of the displayed values (79 − 80)
    ami = root.compare("AMI")
    assert (ami.now.text, ami.prev_text, ami.change, ami.change_text) == (
        "79",
        "80",
        -1,
        f"{MINUS}1",
    )
    # the area now holds q10 instead of q10old: not comparable, no previous value shown
    area = root.compare("area:Utvecklas och lära nytt")
    assert (area.prev, area.change_text) == (None, "ingen jämförelse")
    # a question passes its own status
    new = root.compare("q:q9", not_comparable="ny")
    assert (new.prev_text, new.change_text) == ("", "ny")
    # Hagaskolan is new in 2023: comparable measure, but no row for 2022
    fresh = new_unit.compare("AMI")
    assert (fresh.now.text, fresh.prev_text, fresh.change_text) == ("60", "", "inget värde 2022")
    # suppressed now, published last year (and the other way round): "för få svar"
    young, old = root.compare("AMI", "age_group=-29"), root.compare("AMI", "age_group=60-")
    assert (young.now.text, young.prev_text, young.change_text) == (
        "för få svar",
        "77",
        "för få svar",
    )
    assert (old.now.text, old.prev_text, old.change_text) == ("81", "för få svar", "för få svar")


def test_age_labels_sort_by_their_first_number():
    labels = ["50-59", "okänd", "-29", "30-49", "60-"]
    assert sorted(labels, key=age_sort_key) == ["-29", "30-49", "50-59", "60-", "okänd"]


def test_response_rate_history(data):
    history = response_rate_history(data, "F")
    assert list(history["year"]) == [2021, 2022, 2023]
    assert list(history["text"]) == ["83", "85", "87"]
    assert list(history["n"]) == [120, 125, 130]
    assert list(history["n_text"]) == ["120", "125", "130"]
    # Lillskolan: every year suppressed, the count too
    assert response_rate_history(data, "L")["n_text"].tolist() == ["för få svar"]


def test_child_history_reads_every_year_and_says_why_a_value_is_missing(data):
    table = child_history(data, "S", "response_rate")
    assert list(dict.fromkeys(table["unit_id"])) == ["G", "D", "E", "L"]
    now = table[table["year"] == 2023]
    assert list(now["text"]) == ["86", "91", "81", "för få svar"]  # 85.7, 90.9, 80.8
    lillskolan = table[table["unit_id"] == "L"]
    assert list(lillskolan["text"]) == ["ingen uppgift", "ingen uppgift", "för få svar"]
    assert list(table[table["unit_id"] == "G"]["value"]) == pytest.approx([82.7, 84.2, 85.7])


# --------------------------------------------------------------- the tree


def test_subtree_is_pre_order(data):
    assert subtree_ids(data, "F") == ["F", "N", "A", "W", "B", "H", "S", "G", "D", "E", "L"]
    assert subtree_ids(data, "A", include_self=False) == ["W"]


def test_report_kinds_follow_the_depth(data):
    assert [data.kind(u) for u in ("F", "N", "A", "W")] == ["forvaltning", "omrade"] + ["enhet"] * 2
    assert data.kind("manager:M1") == "ledare"
    assert data.managers == ["manager:M1", "manager:M2", "manager:M3"]
    assert manager_units(data, "manager:M1") == ["A"]


def test_too_small_units_have_nothing_published(data):
    assert not UnitFigures(data, "L").any_published()
    assert not UnitFigures(data, "manager:M2").any_published()
    assert UnitFigures(data, "A").any_published()


# --------------------------------------------------------------- files, texts, errors


def test_report_paths_and_safe_file_names():
    assert report_path("forvaltning", "F") == "index.html"
    assert report_path("omrade", "N") == "omrade/N.html"
    assert report_path("ledare", "manager:M1") == "ledare/M1.html"
    assert safe_file_stem("GR001") == "GR001"
    assert safe_file_stem("Skola Ö") == safe_file_stem("Skola Ö")  # stable
    unsafe = {safe_file_stem(x) for x in ("a/b", "a:b", "a_b")}
    assert len(unsafe) == 3 and "a_b" in unsafe
    assert all("/" not in s and not s.startswith(".") for s in unsafe | {safe_file_stem("..")})
    assert relative_href("omrade", "enhet/Å 1.html") == "../enhet/%C3%85%201.html"


def test_area_texts_match_the_eight_policy_areas_only():
    assert len(AREA_TEXTS) == 8
    assert area_text("  lön ") == AREA_TEXTS["Lön"]
    assert area_text("Lika rättigheter och  möjligheter").startswith("Stadens verksamheter")
    assert area_text("Digitalisering") is None


def test_missing_drivers_table_is_named(tmp_path):
    directory = rf.write_fixture(tmp_path / "2023")
    (directory / "drivers.parquet").unlink()
    with pytest.raises(ReportDataError, match=r"drivers\.parquet: missing"):
        load_processed_year(directory)


def test_missing_column_is_named(tmp_path):
    directory = rf.write_fixture(tmp_path / "2023")
    rf.units_table().drop(columns="unit_type").to_parquet(directory / "units.parquet")
    with pytest.raises(
        ReportDataError, match=r"units\.parquet: missing column\(s\) \['unit_type'\]"
    ):
        load_processed_year(directory)


def test_open_report_checks_year_and_unit(processed, data):
    from analysis.core.provenance import collect_provenance

    provenance = json.dumps(collect_provenance(data, rf.fixture_params()))
    with pytest.raises(ReportDataError, match="holds year 2023, the report asked for 2022"):
        open_report(processed, "F", provenance, year=2022)
    with pytest.raises(ReportDataError, match="no unit 'X' in 2023"):
        open_report(processed, "X", provenance)
    report = open_report(processed, "", provenance, year=2023)
    assert report.unit_id == "F" and report.params.report.top_units == 2


def test_manager_invited_follows_the_nearest_manager_rule(data):
    # M1 leads Alfaskolan (20 invited); its work group W has its own manager M2 (4).
    assert manager_invited(data, "manager:M1") == 20
    assert manager_invited(data, "manager:M2") == 4
    # M3 leads Gammagymnasiet (28). Betaskolan, with no manager on it or above it,
    # belongs to nobody's leader report.
    assert manager_invited(data, "manager:M3") == 28


def test_a_head_whose_staff_all_sit_under_sub_managers_has_no_own_staff(data):
    units = data.units.copy()
    units.loc[units["unit_id"] == "F", "manager_id"] = "M0"
    units.loc[units["unit_id"].isin(["N", "S"]), "manager_id"] = ["MN", "MS"]
    head = ProcessedYear(
        data.directory, data.meta, data.figures, units, data.questions, data.drivers
    )
    assert manager_invited(head, "manager:M0") == 0
    # Område Norr's head gets the schools without managers of their own: B 30 + H 25.
    assert manager_invited(head, "manager:MN") == 55
