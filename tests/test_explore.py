"""The analysts' API (analysis.explore), worked by hand on a small organisation of its own.

The organisation (2023, compared with 2022; no unit type, area, question id
or label of the synthetic default, so nothing can lean on it)::

    F  Förvaltningen (förvaltning, H0)
    ├── N  Sektor Norr (sektor, H1)
    │   ├── A  Ekskolan (skola, P1)             women 2 / 8 / 10, men 6 / 7 / 5 by age
    │   ├── B  Björkskolan (skola, P2)          20 women, 3 men: the women hidden to protect them
    │   └── C  Cedergymnasiet (gymnasium, P3)   AMI 82.5: shown 83 (half up), not 82
    └── S  Sektor Söder (sektor, H2)
        ├── D  Domskolan (skola, P4)            3 of 10 women 30-49 answer s1, 12 of unknown age
        └── E  Enskolan (skola, P5)             2 women and 3 men of unknown age

Every respondent of a block gives the same answers, so each expected value
below is computed from the blocks with plain arithmetic (:func:`expected`),
never with the package. The breakdown's protection is attacked with a linear
program written here from the contract (:func:`attacker_bound`): on a table
with the threshold alone it recovers Ekskolan's two young women, on what
``breakdown`` returns it cannot narrow any small cell below k.
"""

from __future__ import annotations

import itertools
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import report_fixture as rf
from builders import question, respondents, survey, unit
from scipy.optimize import linprog

from analysis.core.contract import DRIVERS_TABLE_COLUMNS
from analysis.core.dataset import SurveyData
from analysis.core.params import params_from_dict
from analysis.core.stage_paths import StagePaths
from analysis.explore import (
    ExploreError,
    breakdown,
    by_group,
    drivers,
    figures,
    find_unit,
    largest_changes,
    leaders,
    load_responses,
    load_year,
    select,
    unit_table,
)
from analysis.indexes.stage import run_indexes
from analysis.report.processed import ProcessedYear, load_processed_year
from analysis.report.unit_figures import UnitFigures

YEAR, PREV = 2023, 2022
K = 5
TOO_FEW = "för få svar"
PROTECTED = "dold för att skydda en mindre grupp"
QUESTIONS = ("m1", "l1", "s1", "x1")
#: each composite's questions, from the catalogue below (contract §3)
COMPOSITES = {
    "AMI": ("m1", "l1", "s1"),
    "AMI.Motivation": ("m1",),
    "AMI.Ledarskap": ("l1",),
    "AMI.Styrning": ("s1",),
    "area:Arbetsglädje": ("m1",),
    "area:Chefskap": ("l1",),
    "area:Mål": ("s1", "x1"),
    "leadership": ("l1", "x1"),
}
UNITS = [  # id, name, parent, type, manager, invited
    ("F", "Förvaltningen", "", "förvaltning", "H0", None),
    ("N", "Sektor Norr", "F", "sektor", "H1", None),
    ("A", "Ekskolan", "N", "skola", "P1", 40),
    ("B", "Björkskolan", "N", "skola", "P2", 30),
    ("C", "Cedergymnasiet", "N", "gymnasium", "P3", 30),
    ("S", "Sektor Söder", "F", "sektor", "H2", None),
    ("D", "Domskolan", "S", "skola", "P4", 60),
    ("E", "Enskolan", "S", "skola", "P5", 30),
]
# 2023: unit, gender, age group, respondents, answers to m1, l1, s1, x1 (0 = vet ej)
BLOCKS = [
    ("A", "Kvinna", "-29", 2, 4, 4, 4, 4),
    ("A", "Kvinna", "30-49", 8, 4, 4, 4, 4),
    ("A", "Kvinna", "50-", 10, 4, 4, 4, 4),
    ("A", "Man", "-29", 6, 3, 3, 3, 3),
    ("A", "Man", "30-49", 7, 3, 3, 3, 3),
    ("A", "Man", "50-", 5, 3, 3, 3, 3),
    ("B", "Kvinna", "30-49", 20, 4, 4, 4, 4),
    ("B", "Man", "30-49", 3, 4, 4, 4, 4),
    ("C", "Kvinna", "-29", 10, 4, 4, 4, 4),
    ("C", "Man", "30-49", 4, 4, 4, 4, 4),
    ("C", "Man", "30-49", 6, 5, 5, 5, 5),
    ("D", "Kvinna", "30-49", 3, 4, 4, 4, 4),
    ("D", "Kvinna", "30-49", 7, 4, 4, 0, 4),
    ("D", "Kvinna", "50-", 10, 3, 3, 3, 3),
    ("D", "Man", "30-49", 10, 3, 3, 3, 3),
    ("D", "Man", "50-", 10, 4, 4, 4, 4),
    ("D", "Kvinna", "", 6, 5, 5, 5, 5),
    ("D", "Man", "", 6, 2, 2, 2, 2),
    ("E", "Kvinna", "-29", 6, 5, 5, 5, 5),
    ("E", "Kvinna", "30-49", 6, 4, 4, 4, 4),
    ("E", "Man", "50-", 8, 4, 4, 5, 5),
    ("E", "Kvinna", "", 2, 5, 5, 5, 5),
    ("E", "Man", "", 3, 2, 2, 2, 2),
]
#: 2022: the same people, each school answering alike
ANSWERS_2022 = {
    "A": (5, 5, 5, 5),
    "B": (5, 5, 4, 4),
    "C": (5, 5, 5, 5),
    "D": (4, 4, 4, 4),
    "E": (4, 4, 4, 4),
}
SUBTREE = {"F": "ABCDE", "N": "ABC", "S": "DE", **{u: u for u in "ABCDE"}}


def blocks(year: int) -> list[tuple]:
    if year == YEAR:
        return BLOCKS
    return [(u, g, a, c, *ANSWERS_2022[u]) for u, g, a, c, *_ in BLOCKS]


def build() -> SurveyData:
    rows = []
    for year in (PREV, YEAR):
        for u, g, a, count, *answers in blocks(year):
            given = {q: [v] * count for q, v in zip(QUESTIONS, answers, strict=True)}
            rows += respondents(year, u, gender=g, age_group=a, **given)
    units = [
        unit(y, i, parent=p, invited=inv, manager=m, unit_type=t, name=name)
        for y in (PREV, YEAR)
        for i, name, p, t, m, inv in UNITS
    ]
    return survey(
        [
            question("m1", area="Arbetsglädje", dimension="Motivation"),
            question("l1", area="Chefskap", dimension="Ledarskap", leadership=True),
            question("s1", area="Mål", dimension="Styrning"),
            question("x1", area="Mål", leadership=True),
        ],
        units,
        rows,
    )


def expected(measure: str, units: str, year: int = YEAR, **labels: str) -> tuple[int, float]:
    """n and value of a measure over the blocks of ``units`` (and labels), by plain arithmetic."""
    chosen = [
        b
        for b in blocks(year)
        if b[0] in units
        and all(b[{"gender": 1, "age_group": 2}[v]] == label for v, label in labels.items())
    ]

    def index(q: str) -> tuple[int, float]:
        j = 4 + QUESTIONS.index(q)
        answered = [(b[3], b[j]) for b in chosen if b[j] != 0]
        n = sum(c for c, _ in answered)
        mean = sum(c * a for c, a in answered) / n if n else float("nan")
        return n, (mean - 1) / 4 * 100

    if measure.startswith("q:"):
        return index(measure[2:])
    questions = COMPOSITES[measure]
    values = [index(q)[1] for q in questions if index(q)[0]]
    n = sum(b[3] for b in chosen if any(b[4 + QUESTIONS.index(q)] != 0 for q in questions))
    return n, (sum(values) / len(values) if values else float("nan"))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> StagePaths:
    """The indexes stage on the hand-made organisation (drivers are not needed here)."""
    root = tmp_path_factory.mktemp("explore")
    paths = StagePaths(root / "interim", root / "processed", root / "reports")
    build().save(paths.interim)
    summary = {
        "input_sha256": "0" * 64,
        "tables": {"responses": {"rows_rejected": 0}},
        "params": {"input": {"dir": "hand-made", "on_invalid": "fail"}},
    }
    (paths.interim / "ingest_summary.json").write_text(json.dumps(summary), "utf-8")
    run_indexes(params_from_dict({"report": {"years": [YEAR]}}), YEAR, paths)
    out = paths.processed_year(YEAR)
    pd.DataFrame({c: [] for c in DRIVERS_TABLE_COLUMNS}).to_parquet(out / "drivers.parquet")
    notes = {
        "drivers": [],
        "excluded": [],
        "min_n": 100,
        "missing": "pairwise",
        "root_analysis": {"status": "not_analysed"},
        "without_rows": {},
    }
    (out / "drivers.json").write_text(json.dumps(notes), "utf-8")
    return paths


@pytest.fixture(scope="module")
def data(run: StagePaths) -> ProcessedYear:
    return load_year(run.processed_year(YEAR))


@pytest.fixture(scope="module")
def responses(run: StagePaths) -> SurveyData:
    return load_responses(run.interim)


# ------------------------------------------------------------------ units


def test_each_unit_carries_its_parent_omrade_and_level(data: ProcessedYear) -> None:
    units = unit_table(data).set_index("unit_id")
    assert units.loc["A", ["unit_name", "unit_type", "level"]].tolist() == ["Ekskolan", "skola", 2]
    assert units.loc["A", ["parent_name", "omrade_id", "omrade_name"]].tolist() == [
        "Sektor Norr",
        "N",
        "Sektor Norr",
    ]
    assert units.loc["N", ["level", "omrade_id"]].tolist() == [1, "N"]
    assert units.loc["F", ["level", "omrade_id", "parent_id"]].tolist() == [0, "", ""]
    # a manager: no level, the område of the units they lead
    assert units.loc["manager:P4", ["kind", "omrade_name"]].tolist() == ["ledare", "Sektor Söder"]
    assert pd.isna(units.loc["manager:P4", "level"])
    assert units.loc["manager:H0", "omrade_id"] == ""


def test_a_unit_is_found_by_id_name_or_part_of_a_name(data: ProcessedYear) -> None:
    assert find_unit(data, "A") == "A"
    assert find_unit(data, "ekskolan") == "A"
    assert find_unit(data, "Norr") == "N"
    assert find_unit(data, "P3") == "manager:P3"
    with pytest.raises(ExploreError, match="several units"):
        find_unit(data, "skolan")
    with pytest.raises(ExploreError, match="did you mean 'Ekskolan'"):
        find_unit(data, "Eksklan")


# ------------------------------------------------------------------ the published figures


def test_a_figure_carries_what_a_report_shows_beside_full_precision(data: ProcessedYear) -> None:
    rows = figures(data).set_index(["unit_id", "group", "measure"])
    c = rows.loc[("C", "all", "AMI")]
    n, value = expected("AMI", "C")
    assert (n, value) == (20, 82.5)  # 14 fours and 6 fives in each question
    assert c["n"] == n and c["value"] == pytest.approx(value)
    assert c["shown"] == 83  # half up; Python's round would show 82
    assert c["shown_prev"] == 100 and c["change"] == pytest.approx(-17.5)
    assert c["shown_change"] == -17  # 83 - 100, not round(-17.5)
    assert c[["unit_name", "unit_type", "kind", "level", "omrade_name"]].tolist() == [
        "Cedergymnasiet",
        "gymnasium",
        "enhet",
        2,
        "Sektor Norr",
    ]
    assert bool(c["marked"]) == (c["change_high"] < 0)
    assert c["reason"] == "" and c["change_reason"] == ""
    # Björkskolan: three men too few, the women hidden to protect them; the words a report shows
    men, women = rows.loc[("B", "gender=Man", "AMI")], rows.loc[("B", "gender=Kvinna", "AMI")]
    assert pd.isna(men["value"]) and pd.isna(men["shown"]) and pd.isna(men["n"])
    assert (men["reason"], women["reason"]) == (TOO_FEW, PROTECTED)
    assert women["change_reason"] == PROTECTED
    assert (women["variable"], women["label"]) == ("gender", "Kvinna")


def test_changes_and_their_reasons_match_the_reports(tmp_path: Path) -> None:
    """On the reports' own fixture, every row's change and why it is missing as a report says."""
    data = load_processed_year(rf.write_fixture(tmp_path / "2023"))
    table = figures(data)
    status = dict(
        zip(data.asked_questions["question_id"], data.asked_questions["status"], strict=True)
    )
    assert len(table) == int((data.figures["year"] == data.year).sum())
    for unit_id, rows in table.groupby("unit_id"):
        report = UnitFigures(data, unit_id)
        for group, measure, shown_change, reason in zip(
            rows["group"], rows["measure"], rows["shown_change"], rows["change_reason"], strict=True
        ):
            compared = report.compare(measure, group, status.get(measure[2:]) or "ingen jämförelse")
            assert (None if pd.isna(shown_change) else shown_change) == compared.change
            assert reason == ("" if compared.change is not None else compared.reason)
    root = table[
        (table["unit_id"] == "F") & (table["measure"] == "AMI") & (table["group"] == "all")
    ]
    assert root[["shown", "shown_prev", "shown_change"]].iloc[0].tolist() == [79, 80, -1]


def test_drivers_carry_their_unit_and_question(tmp_path: Path) -> None:
    data = load_processed_year(rf.write_fixture(tmp_path / "2023"))
    table = drivers(data)
    assert len(table) == len(data.drivers)
    row = table[table["unit_id"] == "A"].iloc[0]
    assert row["unit_name"] == "Alfaskolan" and row["omrade_name"] == "Område Norr"
    assert row["question_text"] == data.question_texts[row["question_id"]]
    assert row["importance_from_name"] == "Område Norr"  # A borrows N's analysis
    half_up = Decimal(repr(float(row["score"]))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert row["shown_score"] == int(half_up)


# ------------------------------------------------------------------ ready answers


def test_ami_by_age_within_a_sektor(data: ProcessedYear) -> None:
    table = by_group(data, "Sektor Norr", "age_group")
    assert table["label"].tolist() == ["", "-29", "30-49", "50-"]
    for label, n, value in zip(table["label"], table["n"], table["value"], strict=True):
        want = expected("AMI", "ABC", **({"age_group": label} if label else {}))
        assert (n, value) == (want[0], pytest.approx(want[1]))
    # the under-29s: Ekskolan's 2 women at 75 and 6 men at 50, Cedergymnasiet's 10 at 75
    assert table["value"].iloc[1] == pytest.approx((2 * 75 + 6 * 50 + 10 * 75) / 18)


def test_the_schools_that_fell_most_are_placed_like_a_report(data: ProcessedYear) -> None:
    schools = ["skola", "gymnasium"]
    fell = largest_changes(data, "AMI", unit_types=schools, n=2)
    # Ekskolan 63 from 100: -37; Cedergymnasiet 83 from 100 and Björkskolan 75 from 92: -17
    # each; Cedergymnasiet fell further exactly (-17.5 against -16.67), both share place 2
    assert fell["unit_id"].tolist() == ["A", "C", "B"]
    assert fell["place"].tolist() == [1, 2, 2]
    assert fell["shown_change"].tolist() == [-37, -17, -17]
    for unit_id, change in zip(fell["unit_id"], fell["change"], strict=True):
        assert change == pytest.approx(
            expected("AMI", unit_id)[1] - expected("AMI", unit_id, PREV)[1]
        )
    only = largest_changes(data, "AMI", unit_types=["skola"], within="Sektor Söder", n=10)
    assert only["unit_id"].tolist() == ["D"]  # Enskolan rose
    rose = largest_changes(data, "AMI", unit_types=schools, fall=False)
    assert rose["unit_id"].tolist() == ["E"] and rose["shown_change"].tolist() == [80 - 75]
    with pytest.raises(ExploreError, match="no unit_type"):
        largest_changes(data, "AMI", unit_types=["grundskola"])


def test_leadership_of_every_manager_in_a_sektor_sorted(data: ProcessedYear) -> None:
    table = leaders(data, within="Sektor Norr")
    assert table["unit_id"].tolist() == ["manager:P3", "manager:P2", "manager:P1", "manager:H1"]
    for manager, school, value in zip(table["unit_id"][:3], "CBA", table["value"][:3], strict=True):
        assert value == pytest.approx(expected("leadership", school)[1]), manager
    assert table["shown"].tolist()[:3] == [83, 75, 63] and table["place"].tolist()[:3] == [1, 2, 3]
    # the sektor's head leads nobody directly: hidden, last, with the report's words
    assert pd.isna(table["place"].iloc[3]) and table["reason"].iloc[3] == TOO_FEW
    assert table["units"].tolist() == ["Cedergymnasiet", "Björkskolan", "Ekskolan", "Sektor Norr"]


def test_select_filters_by_subtree_type_measure_and_group(data: ProcessedYear) -> None:
    rows = select(data, within="Sektor Söder", unit_types=["skola"], measures="AMI", groups=["all"])
    assert rows["unit_id"].tolist() == ["D", "E"]
    leaders_only = select(data, within="Sektor Söder", kinds=["ledare"], measures=["AMI"])
    assert set(leaders_only["unit_id"]) == {"manager:H2", "manager:P4", "manager:P5"}
    ages = select(data, within="E", variable="age_group", measures=["q:s1"], kinds=["enhet"])
    assert ages["group"].tolist() == ["all", "age_group=-29", "age_group=30-49", "age_group=50-"]
    with pytest.raises(ExploreError, match="no measure"):
        select(data, measures=["q:q01"])


# ------------------------------------------------------------------ the ad-hoc breakdown


def _cells(table: pd.DataFrame, measure: str) -> dict[tuple[str, str], pd.Series]:
    rows = table[(table["measure"] == measure) & (table["source"] == "breakdown")]
    return {(r.gender, r.age_group): r for r in rows.itertuples(index=False)}


def test_a_breakdown_shows_hand_worked_values_and_hides_small_cells(
    data: ProcessedYear, responses: SurveyData
) -> None:
    table = breakdown(responses, data, "Ekskolan", ["gender", "age_group"], "AMI")
    cells = _cells(table, "AMI")
    assert len(cells) == 6  # 2 genders x 3 age groups, whoever answered
    women_50, men_50 = cells[("Kvinna", "50-")], cells[("Man", "50-")]
    assert (women_50.n, women_50.value, women_50.shown) == (10, 75.0, 75)
    assert (men_50.n, men_50.value, men_50.shown) == (5, 50.0, 50)
    young = cells[("Kvinna", "-29")]
    assert pd.isna(young.n) and pd.isna(young.value) and pd.isna(young.shown)
    assert (young.suppression, young.reason) == ("threshold", TOO_FEW)
    hidden = [c for c in cells.values() if pd.isna(c.value)]
    assert len(hidden) == 4
    assert {(c.suppression, c.reason) for c in hidden if c is not young} == {
        ("complementary", PROTECTED)
    }


def attacker_bound(
    table: pd.DataFrame, data: ProcessedYear, unit_id: str, measure: str, target: tuple
) -> float:
    """The most answers a reader of ``table`` and the published figures can allow a cell.

    Written from the contract, not from the package: per combination of
    labels (the unknown label "" included) its answers x in the measure and
    its respondents r; the shown cells fix x; every published figure of the
    unit (its total, each gender and age group) is an equation on x in its
    measure and a floor on r in every measure; nothing is negative, nobody
    answers twice (x <= r), a cell has at least the answers any measure
    shows for it, and r adds up to the unit's published respondent count.
    """
    labels = [[*sorted({b[1] for b in BLOCKS}), ""], [*sorted({b[2] for b in BLOCKS} - {""}), ""]]
    atoms = list(itertools.product(*labels))
    size = len(atoms)
    bounds = [(0.0, None)] * (2 * size)
    rows = table[table["source"] == "breakdown"]
    for gender, age, m, n in zip(
        rows["gender"], rows["age_group"], rows["measure"], rows["n"], strict=True
    ):
        a = atoms.index((gender, age))
        if pd.notna(n) and m == measure:
            bounds[a] = (float(n), float(n))
        if pd.notna(n):
            bounds[size + a] = (max(bounds[size + a][0], float(n)), None)
    published = data.figures
    published = published[
        (published["year"] == data.year)
        & (published["unit_id"] == unit_id)
        & published["value"].notna()
    ]
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for a in range(size):  # x <= r
        a_ub.append([1.0 if j == a else -1.0 if j == size + a else 0.0 for j in range(2 * size)])
        b_ub.append(0.0)
    for group, m, n in zip(published["group"], published["measure"], published["n"], strict=True):
        variable, _, label = group.partition("=")
        if m == "response_rate":
            a_eq.append([0.0] * size + [1.0] * size)
            b_eq.append(float(n))
        elif variable in ("gender", "age_group") or group == "all":
            position = {"gender": 0, "age_group": 1}.get(variable)
            member = [1.0 if group == "all" or a[position] == label else 0.0 for a in atoms]
            if m == measure:
                a_eq.append(member + [0.0] * size)
                b_eq.append(float(n))
            a_ub.append([0.0] * size + [-v for v in member])
            b_ub.append(-float(n))
    cost = np.zeros(2 * size)
    cost[atoms.index(target)] = -1.0
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
    assert result.status in (0, 3), result.message
    return np.inf if result.status == 3 else -result.fun


def _small_atoms(unit_id: str, measure: str) -> list[tuple[str, str]]:
    """The combinations of labels (unknown included) with 1 .. k-1 answers in the measure."""
    found = []
    for gender, age in itertools.product(["Kvinna", "Man", ""], ["-29", "30-49", "50-", ""]):
        n = expected(measure, SUBTREE[unit_id], gender=gender, age_group=age)[0]
        if 1 <= n < K:
            found.append((gender, age))
    return found


def test_subtracting_recovers_a_cell_of_the_threshold_alone_but_not_of_a_breakdown(
    data: ProcessedYear, responses: SurveyData
) -> None:
    """The attack: Ekskolan's women (published: 20) minus the women of 30-49 (8) and 50- (10)."""
    naive = []
    for gender, age in itertools.product(["Kvinna", "Man"], ["-29", "30-49", "50-"]):
        n = expected("AMI", "A", gender=gender, age_group=age)[0]
        shown = n >= K
        naive.append({"gender": gender, "age_group": age, "measure": "AMI", "source": "breakdown"})
        naive[-1]["n"] = n if shown else np.nan
    naive = pd.DataFrame(naive)
    assert attacker_bound(naive, data, "A", "AMI", ("Kvinna", "-29")) == pytest.approx(2.0)

    for unit_id in ("A", "D", "E"):
        table = breakdown(responses, data, unit_id, ["gender", "age_group"])
        for measure in ("AMI", "q:s1", "area:Mål", "leadership"):
            small = _small_atoms(unit_id, measure)
            for atom in small:
                bound = attacker_bound(table, data, unit_id, measure, atom)
                assert bound >= K - 1e-6, (unit_id, measure, atom, bound)
    # what was at stake: two young women at Ekskolan, a few of unknown age at Enskolan
    assert ("Kvinna", "-29") in _small_atoms("A", "AMI")
    assert {("Kvinna", ""), ("Man", "")} <= set(_small_atoms("E", "AMI"))


def test_hiding_a_whole_measure_is_not_enough_when_another_counts_everyone(
    data: ProcessedYear, responses: SurveyData
) -> None:
    """Domskolan's 3 women of 30-49 who answered s1, with every s1 cell hidden: AMI's cells
    (everyone answered it) count each cell's respondents, the published men of s1 (26) are
    then all its men, and the women of 30-49 are what s1's 30-49 (13) leaves: 3."""
    rows = []
    for gender, age in itertools.product(["Kvinna", "Man"], ["-29", "30-49", "50-"]):
        for measure in ("AMI", "q:s1"):
            n = expected(measure, "D", gender=gender, age_group=age)[0]
            shown = n >= K and measure == "AMI"
            rows.append(
                {"gender": gender, "age_group": age, "measure": measure, "source": "breakdown"}
            )
            rows[-1]["n"] = n if shown else np.nan
    only_ami_shown = pd.DataFrame(rows)
    target = ("Kvinna", "30-49")
    assert attacker_bound(only_ami_shown, data, "D", "q:s1", target) == pytest.approx(3.0)
    without_ami = only_ami_shown[only_ami_shown["measure"] == "q:s1"]
    assert attacker_bound(without_ami, data, "D", "q:s1", target) >= K
    table = breakdown(responses, data, "D", ["gender", "age_group"])
    assert attacker_bound(table, data, "D", "q:s1", target) >= K
    assert table.loc[table["measure"] == "AMI", "value"].notna().any()  # not all lost


def test_published_groups_hidden_to_protect_another_hide_the_whole_measure(
    data: ProcessedYear, responses: SurveyData
) -> None:
    """Björkskolan's women are hidden to protect its 3 men: cells adding up to them would give
    them away (its 20 women of 30-49 alone are its women), so no cell is shown."""
    assert expected("AMI", "B", gender="Kvinna", age_group="30-49")[0] == 20
    table = breakdown(responses, data, "B", ["gender", "age_group"])
    assert table["value"].isna().all() and table["n"].isna().all()
    assert set(table["reason"]) == {TOO_FEW, PROTECTED}


def test_a_composite_never_gives_away_a_small_question_value(
    data: ProcessedYear, responses: SurveyData
) -> None:
    """Domskolan's women of 30-49: 10 answer AMI's questions m1 and l1, only 3 answer s1.

    AMI is the mean of m1, l1 and s1, so AMI, m1 and l1 shown (10 answers
    each) would give s1 = 3 AMI - m1 - l1. Whatever is shown of the cell, the
    composites' equations leave s1 undetermined.
    """
    table = breakdown(responses, data, "D", ["gender", "age_group"])
    cell = table[(table["gender"] == "Kvinna") & (table["age_group"] == "30-49")]
    value = dict(zip(cell["measure"], cell["value"], strict=True))
    counts = {m: expected(m, "D", gender="Kvinna", age_group="30-49")[0] for m in value}
    assert counts["q:s1"] == 3 and counts["AMI"] == counts["q:m1"] == counts["q:l1"] == 10
    assert np.isnan(value["q:s1"])
    names = [*COMPOSITES, *(f"q:{q}" for q in QUESTIONS)]
    unknown = [m for m in names if np.isnan(value[m])]
    rows = []
    for composite, questions in COMPOSITES.items():
        row = dict.fromkeys(names, 0.0)
        row[composite] = float(len(questions))
        for q in questions:
            row[f"q:{q}"] = -1.0
        rows.append([row[m] for m in unknown])
    system = np.array(rows)
    probe = np.vstack([system, [1.0 if m == "q:s1" else 0.0 for m in unknown]])
    assert np.linalg.matrix_rank(probe) > np.linalg.matrix_rank(system)


def test_one_variable_is_the_published_groups_and_margins_are_as_published(
    data: ProcessedYear, responses: SurveyData
) -> None:
    table = breakdown(responses, data, "B", "gender", margins=True)
    published = figures(data)
    published = published[(published["unit_id"] == "B") & (published["variable"] != "age_group")]
    published = published[
        (published["variable"] != "role") & (published["measure"] != "response_rate")
    ]
    published = published.set_index(["group", "measure"])
    for row in table.itertuples(index=False):
        group = "all" if row.gender == "totalt" else f"gender={row.gender}"
        want = published.loc[(group, row.measure)]
        assert row.suppression == want["suppression"]
        assert (pd.isna(row.value) and pd.isna(want["value"])) or row.value == want["value"]
    assert len(table) == len(published)


def test_the_same_cells_whichever_measures_or_order_are_asked(
    data: ProcessedYear, responses: SurveyData
) -> None:
    whole = breakdown(responses, data, "A", ["gender", "age_group"])
    one = breakdown(responses, data, "A", ["age_group", "gender"], ["q:s1"])
    part = whole[whole["measure"] == "q:s1"].set_index(["gender", "age_group"])["value"]
    mine = one.set_index(["gender", "age_group"])["value"]
    pd.testing.assert_series_equal(part.sort_index(), mine.sort_index())
    assert list(one.columns[3:5]) == ["age_group", "gender"]


def test_what_a_breakdown_refuses(data: ProcessedYear, responses: SurveyData) -> None:
    with pytest.raises(ExploreError, match="response rate"):
        breakdown(responses, data, "A", ["gender", "age_group"], "response_rate")
    with pytest.raises(ExploreError, match="leader reports"):
        breakdown(responses, data, "manager:P1", ["gender"])
    with pytest.raises(ExploreError, match="one to three distinct"):
        breakdown(responses, data, "A", ["gender", "gender"])
    with pytest.raises(ExploreError, match="no respondent has a role label"):
        breakdown(responses, data, "A", ["gender", "role"])
    # respondent rows of another run do not add up to the published figures
    other = build()
    other.responses = other.responses.drop(index=other.responses.index[-1])
    with pytest.raises(ExploreError, match="do not add up"):
        breakdown(other, data, "E", ["gender", "age_group"])


# ------------------------------------------------------------------ the notebook


def test_the_explore_notebook_answers_its_four_questions(run: StagePaths, tmp_path: Path) -> None:
    """notebooks/explore.ipynb, executed by papermill from notebooks/, on the hand organisation."""
    import papermill

    from analysis.render.plan import NOTEBOOK_DIR

    (tmp_path / "params.yaml").write_text(
        "report:\n  years: [2023]\n  school_types: [skola, gymnasium]\n", "utf-8"
    )
    executed = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / "explore.ipynb"),
        str(executed),
        parameters={
            "processed_dir": str(run.processed_year(YEAR)),
            "interim_dir": str(run.interim),
            "params_path": str(tmp_path / "params.yaml"),
            "omrade": "Norr",
            "n_units": 2,
        },
        kernel_name="python3",
        cwd=str(NOTEBOOK_DIR),
        progress_bar=False,
    )
    cells = {c["id"]: c for c in json.loads(executed.read_text("utf-8"))["cells"]}

    def shown(cell_id: str) -> str:
        return "".join(
            "".join(out.get("data", {}).get("text/plain", "")) + "".join(out.get("text", ""))
            for out in cells[cell_id]["outputs"]
        )

    assert "Sektor Norr (N)" in shown("las-in")
    assert "age_group=-29" in shown("alder") and "age_group=50-" in shown("alder")
    falls = shown("skolor")
    assert falls.index("Ekskolan") < falls.index("Cedergymnasiet") < falls.index("Björkskolan")
    assert "-37" in falls and "Domskolan" not in falls
    bosses = shown("chefer")
    assert bosses.index("Chef P3") < bosses.index("Chef P2") < bosses.index("Chef P1")
    # Sektor Norr's men of 30-49: 7 at 50, 3 + 4 at 75 and 6 at 100 -> 73.75, shown 74
    assert "Man        50    74  50" in shown("kon-alder")
    assert "73.75" in shown("kon-alder-tabell")
