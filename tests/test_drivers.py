"""The driver table: samples, targets, bootstrap, borrowing, degenerate input, planted truth.

Data are simulated inside the tests from a known linear model on a small
organisation built directly as ``SurveyData``; published scores come from a
plain pandas recomputation of the question indexes (contract §3), so the
driver table is checked against numbers computed independently of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.dataset import SurveyData
from analysis.drivers import (
    CSV_COLUMNS,
    TABLE_COLUMNS,
    DriverAnalysisError,
    analyse_sample,
    analysis_targets,
    bootstrap_importance,
    build_driver_sample,
    driver_table,
    drivers_csv_text,
    motivation_score,
    write_drivers_csv,
)
from analysis.params import params_from_dict
from analysis.priority import assign_quadrants
from analysis.relweights import relative_weights

YEAR = 2023

# ------------------------------------------------------------------ helpers

# A small organisation: root F, two områden, schools under them, one
# arbetsgrupp under S1. Managers: F has "boss", O1 "o1", S1 "r1", S2 and S3
# share "r23" (so r23's home is O1, their lowest common ancestor), O2 has no
# manager (its schools' staff answer to S4's "r4" or, for S5, to "boss").
UNITS = [
    # unit_id, parent_id, unit_type, manager_id
    ("F", "", "förvaltning", "boss"),
    ("O1", "F", "område", "o1"),
    ("O2", "F", "område", ""),
    ("S1", "O1", "grundskola", "r1"),
    ("S1a", "S1", "arbetsgrupp", ""),
    ("S2", "O1", "grundskola", "r23"),
    ("S3", "O1", "grundskola", "r23"),
    ("S4", "O2", "gymnasieskola", "r4"),
    ("S5", "O2", "gymnasieskola", ""),
]


def units_frame(year: int = YEAR) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": np.int64(year),
            "unit_id": [u[0] for u in UNITS],
            "unit_name": [f"Enhet {u[0]}" for u in UNITS],
            "parent_id": [u[1] for u in UNITS],
            "unit_type": [u[2] for u in UNITS],
            "invited": pd.array([None] * len(UNITS), dtype="Int64"),
            "manager_id": [u[3] for u in UNITS],
        }
    )


def questions_frame(motivation: list[str], drivers: list[str]) -> pd.DataFrame:
    ids = motivation + drivers
    return pd.DataFrame(
        {
            "question_id": ids,
            "text": [f"Fråga {q}" for q in ids],
            "area": ["Motivation"] * len(motivation) + ["Arbetsmiljö"] * len(drivers),
            "ami_dimension": ["Motivation"] * len(motivation) + [""] * len(drivers),
            "leadership": [False] * len(ids),
            "replaces": [""] * len(ids),
        }
    )


def make_survey(questions: pd.DataFrame, units: pd.DataFrame, answers: pd.DataFrame) -> SurveyData:
    """SurveyData from answers with columns year, respondent_id, unit_id and question ids."""
    responses = answers.copy()
    for column in ("gender", "age_group", "role"):
        responses[column] = ""
    keys = ["year", "respondent_id", "unit_id", "gender", "age_group", "role"]
    qids = list(questions["question_id"])
    for q in qids:
        if q not in responses:
            responses[q] = np.nan
    responses = responses[keys + qids]
    responses[qids] = responses[qids].astype(float)
    asked = [
        (int(y), q) for y, rows in responses.groupby("year") for q in qids if rows[q].notna().any()
    ]
    return SurveyData(
        questions=questions.reset_index(drop=True),
        units=units.reset_index(drop=True),
        responses=responses.reset_index(drop=True),
        asked=pd.DataFrame(asked, columns=["year", "question_id"]),
    )


def simulate_answers(
    rng: np.random.Generator,
    sizes: dict[str, int],
    effects: np.ndarray,
    n_motivation: int = 3,
    missing: float = 0.0,
    year: int = YEAR,
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Answers 1-5 from a known linear model: motivation = drivers · effects + noise."""
    p = len(effects)
    drivers = [f"q{i + 1:02d}" for i in range(p)]
    motivation = [f"m{i + 1}" for i in range(n_motivation)]
    n = sum(sizes.values())
    common = rng.normal(size=(n, 1))
    latent = 0.4 * common + rng.normal(size=(n, p))
    drive = latent @ effects + rng.normal(size=n) * 0.8
    items = drive[:, None] + rng.normal(size=(n, n_motivation)) * 0.5
    frame = pd.DataFrame(np.clip(np.round(3.2 + latent * 0.9), 1, 5), columns=drivers)
    mot = np.clip(np.round(3.5 + items / (drive.std() + 1e-9)), 1, 5)
    for i, q in enumerate(motivation):
        frame[q] = mot[:, i]
    if missing:
        holes = rng.random((n, p)) < missing
        frame[drivers] = frame[drivers].mask(holes)
    frame.insert(0, "unit_id", np.repeat(list(sizes), list(sizes.values())))
    frame.insert(0, "respondent_id", [f"r{year}-{i:05d}" for i in range(n)])
    frame.insert(0, "year", np.int64(year))
    return frame, motivation, drivers


def responsible_manager(units: pd.DataFrame) -> dict[str, str]:
    parent = dict(zip(units["unit_id"], units["parent_id"], strict=True))
    manager = dict(zip(units["unit_id"], units["manager_id"], strict=True))
    out = {}
    for unit in parent:
        u = unit
        while manager[u] == "" and parent[u] != "":
            u = parent[u]
        out[unit] = manager[u]
    return out


def subtree_members(units: pd.DataFrame) -> dict[str, set[str]]:
    parent = dict(zip(units["unit_id"], units["parent_id"], strict=True))
    members: dict[str, set[str]] = {u: set() for u in parent}
    for unit in parent:
        u = unit
        while True:
            members[u].add(unit)
            if parent[u] == "":
                break
            u = parent[u]
    return members


def simple_figures(data: SurveyData, year: int, min_group: int = 5) -> pd.DataFrame:
    """q:<id> indexes (group all) per unit subtree and manager; suppressed below min_group."""
    units = data.units_in(year)
    responses = data.responses_in(year)
    groups = {u: responses["unit_id"].isin(m) for u, m in subtree_members(units).items()}
    boss_of = responsible_manager(units)
    for manager in sorted({m for m in units["manager_id"] if m}):
        mine = [u for u, m in boss_of.items() if m == manager]
        groups[f"manager:{manager}"] = responses["unit_id"].isin(mine)
    rows = []
    for unit, mask in groups.items():
        for q in data.asked_in(year):
            answers = responses.loc[mask, q].dropna()
            published = len(answers) >= min_group
            value = (answers.mean() - 1) / 4 * 100 if published else np.nan
            rows.append((year, unit, "all", f"q:{q}", len(answers) if published else None, value))
    return pd.DataFrame(rows, columns=["year", "unit_id", "group", "measure", "n", "value"])


def params(**drivers: object):
    settings = {"min_n": 50, "bootstrap": 200, "seed": 11, "resample": "respondents"}
    settings.update(drivers)
    return params_from_dict({"drivers": settings})


EFFECTS_6 = np.array([0.8, 0.5, 0.3, 0.15, 0.05, 0.0])
# Sizes chosen so that S1a (30) and S5 (20) are below min_n = 50, everything else above.
SIZES = {"F": 10, "O1": 5, "S1": 120, "S1a": 30, "S2": 80, "S3": 70, "O2": 5, "S4": 150, "S5": 20}


@pytest.fixture(scope="module")
def survey() -> SurveyData:
    answers, motivation, drivers = simulate_answers(np.random.default_rng(3), SIZES, EFFECTS_6)
    return make_survey(questions_frame(motivation, drivers), units_frame(), answers)


@pytest.fixture(scope="module")
def table(survey: SurveyData) -> pd.DataFrame:
    return driver_table(survey, params(), YEAR, simple_figures(survey, YEAR))


# -------------------------------------------------------------- the sample


def test_motivation_score_is_the_rescaled_mean_of_valid_answers() -> None:
    answers = pd.DataFrame({"m1": [5.0, 1.0, np.nan], "m2": [4.0, np.nan, np.nan]})
    score = motivation_score(answers, ["m1", "m2"], 1, 5)
    # (4.5 - 1) / 4 * 100 = 87.5; a lone 1 is 0; nothing valid stays missing.
    assert score.iloc[0] == 87.5
    assert score.iloc[1] == 0.0
    assert np.isnan(score.iloc[2])


def test_sample_is_listwise_and_excludes_motivation_and_unasked_questions() -> None:
    answers = pd.DataFrame(
        {
            "year": np.int64(YEAR),
            "respondent_id": ["a", "b", "c", "d"],
            "unit_id": "S1",
            "m1": [5.0, np.nan, 3.0, 4.0],
            "q01": [4.0, 3.0, np.nan, 2.0],
            "q02": [1.0, 2.0, 3.0, 5.0],
        }
    )
    questions = questions_frame(["m1"], ["q01", "q02", "q99"])  # q99 never asked
    sample = build_driver_sample(make_survey(questions, units_frame(), answers), params(), YEAR)
    assert sample.question_ids == ("q01", "q02")
    assert sample.motivation_ids == ("m1",)
    # b has no valid motivation answer, c misses q01: only a and d are complete.
    assert list(sample.respondent_ids) == ["a", "d"]
    assert sample.outcome.tolist() == [100.0, 75.0]
    assert sample.drivers.tolist() == [[4.0, 1.0], [2.0, 5.0]]
    assert sample.n_respondents == 4


# ------------------------------------------------------------- the targets


def test_targets_cover_subtrees_and_nearest_managers(survey: SurveyData) -> None:
    sample = build_driver_sample(survey, params(), YEAR)
    targets = {t.target_id: t for t in analysis_targets(survey, sample)}
    units_of = {tid: set(sample.unit_ids[t.positions]) for tid, t in targets.items()}
    assert units_of["F"] == set(SIZES)
    assert units_of["O1"] == {"O1", "S1", "S1a", "S2", "S3"}
    assert units_of["S1"] == {"S1", "S1a"}
    assert units_of["manager:boss"] == {"F", "O2", "S5"}
    assert units_of["manager:o1"] == {"O1"}
    assert units_of["manager:r1"] == {"S1", "S1a"}
    assert units_of["manager:r23"] == {"S2", "S3"}
    assert units_of["manager:r4"] == {"S4"}
    assert len(targets["F"].positions) == sum(SIZES.values())
    assert targets["F"].is_root and targets["F"].lenders == ()
    assert targets["S1a"].lenders == ("S1", "O1", "F")
    assert targets["manager:r23"].lenders == ("O1", "F")  # lowest common ancestor of S2, S3
    assert targets["manager:r1"].lenders == ("S1", "O1", "F")
    assert next(iter(targets)) == "F"


# ----------------------------------------------------------- the bootstrap


def _naive_bootstrap(outcome, drivers, n_resamples, seed, clusters=None):
    """Resample rows explicitly and call relative_weights each time (same random draws)."""
    rng = np.random.default_rng(seed)
    n = len(outcome)
    names = [f"x{i}" for i in range(drivers.shape[1])]
    out = []
    if clusters is not None:
        codes, uniques = pd.factorize(clusters)
    for _ in range(n_resamples):
        if clusters is None:
            rows = rng.integers(0, n, n)
        else:
            picked = rng.integers(0, len(uniques), len(uniques))
            rows = np.concatenate([np.flatnonzero(codes == c) for c in picked])
        rw = relative_weights(pd.DataFrame(drivers[rows], columns=names), outcome[rows])
        out.append(rw.importance.to_numpy())
    return np.array(out)


def test_batched_bootstrap_equals_resampling_rows_one_by_one() -> None:
    rng = np.random.default_rng(5)
    drivers = rng.normal(size=(120, 4))
    outcome = drivers @ np.array([1.0, 0.5, 0.2, 0.0]) + rng.normal(size=120)
    fast, degenerate = bootstrap_importance(outcome, drivers, 25, seed=99)
    assert degenerate == 0
    np.testing.assert_allclose(fast, _naive_bootstrap(outcome, drivers, 25, 99), atol=1e-10)


def test_batched_unit_bootstrap_equals_resampling_clusters_one_by_one() -> None:
    rng = np.random.default_rng(6)
    drivers = rng.normal(size=(90, 3))
    outcome = drivers @ np.array([1.0, 0.4, 0.1]) + rng.normal(size=90)
    clusters = np.repeat(["a", "b", "c", "d", "e", "f"], 15)
    fast, _ = bootstrap_importance(outcome, drivers, 20, seed=7, clusters=clusters)
    naive = _naive_bootstrap(outcome, drivers, 20, 7, clusters)
    np.testing.assert_allclose(fast, naive, atol=1e-10)


def test_analysis_is_seeded_and_its_interval_is_plausible() -> None:
    rng = np.random.default_rng(8)
    drivers = rng.normal(size=(400, 3))
    outcome = drivers @ np.array([1.0, 0.5, 0.0]) + rng.normal(size=400)
    kwargs = dict(label="test", n_resamples=300, ci_level=0.9, question_ids=["a", "b", "c"])
    first = analyse_sample(outcome, drivers, seed=1, **kwargs)
    again = analyse_sample(outcome, drivers, seed=1, **kwargs)
    other = analyse_sample(outcome, drivers, seed=2, **kwargs)
    for name in ("weights", "importance", "ci_low", "ci_high"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    assert not np.array_equal(first.ci_low, other.ci_low)
    point = relative_weights(pd.DataFrame(drivers), outcome)
    np.testing.assert_allclose(first.weights, point.weights.to_numpy(), atol=1e-12)
    assert first.r2 == pytest.approx(point.r2, abs=1e-12)
    # Intervals hold the point estimate, are ordered, and separate the strong driver.
    assert np.all(first.ci_low <= first.importance) and np.all(first.importance <= first.ci_high)
    assert first.ci_low[0] > first.ci_high[1] > first.ci_high[2]
    assert first.n_resamples == 300 and first.n_degenerate_resamples == 0


def test_a_driver_constant_in_a_resample_gets_weight_zero_there() -> None:
    # 59 respondents answered x2 = 3, one answered 4: some resamples leave the 4 out.
    rng = np.random.default_rng(9)
    x1 = rng.normal(size=60)
    x2 = np.full(60, 3.0)
    x2[0] = 4.0
    outcome = x1 + rng.normal(size=60) * 0.5
    shares, degenerate = bootstrap_importance(outcome, np.column_stack([x1, x2]), 400, seed=3)
    assert degenerate == 0
    assert np.isfinite(shares).all()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert (shares[:, 1] == 0.0).sum() > 50  # (59/60)^60 ≈ 37 % of resamples


def test_an_outcome_constant_in_many_resamples_is_refused() -> None:
    # One of 60 respondents differs on the outcome: ~37 % of resamples leave them out,
    # and a resample with a constant outcome has nothing to explain.
    rng = np.random.default_rng(10)
    drivers = rng.normal(size=(60, 2))
    outcome = np.full(60, 50.0)
    outcome[0] = 75.0
    with pytest.raises(DriverAnalysisError, match=r"unit X: \d+ of 200 bootstrap resamples"):
        analyse_sample(
            outcome, drivers, ["a", "b"], label="unit X", n_resamples=200, ci_level=0.95, seed=1
        )


# ----------------------------------------------------------- the table


def test_table_has_the_contract_columns_and_no_missing_numbers(table: pd.DataFrame) -> None:
    assert list(table.columns) == TABLE_COLUMNS
    assert CSV_COLUMNS[:10] == [
        "year", "unit_id", "question_id", "weight", "importance",
        "ci_low", "ci_high", "score", "quadrant", "n_used",
    ]  # fmt: skip
    numbers = table[["weight", "importance", "ci_low", "ci_high", "score"]]
    assert np.isfinite(numbers.to_numpy()).all()
    assert set(table["quadrant"]) <= {"styrka", "fokusområde", "övrigt"}
    assert (table["year"] == YEAR).all()
    assert set(table["question_id"]) == {f"q{i:02d}" for i in range(1, 7)}


def test_weights_sum_to_r2_and_importances_to_one(survey: SurveyData, table: pd.DataFrame) -> None:
    for _, rows in table.groupby("unit_id"):
        assert rows["importance"].sum() == pytest.approx(1.0, abs=1e-12)
    # The förvaltning's weights are the relative weights of all complete respondents.
    sample = build_driver_sample(survey, params(), YEAR)
    expected = relative_weights(pd.DataFrame(sample.drivers), sample.outcome)
    root = table[table["unit_id"] == "F"]
    np.testing.assert_allclose(root["weight"], expected.weights, atol=1e-12)
    assert root["weight"].sum() == pytest.approx(expected.r2, abs=1e-12)
    assert (root["n_used"] == sum(SIZES.values())).all()


def test_scores_are_the_published_question_indexes(survey: SurveyData, table: pd.DataFrame) -> None:
    responses = survey.responses_in(YEAR)
    s1 = responses[responses["unit_id"].isin(["S1", "S1a"])]
    rows = table[table["unit_id"] == "S1"].set_index("question_id")
    for q in rows.index:
        assert rows.loc[q, "score"] == pytest.approx((s1[q].mean() - 1) / 4 * 100, abs=1e-12)


def test_small_units_borrow_from_their_nearest_analysed_ancestor(table: pd.DataFrame) -> None:
    source = table.groupby("unit_id")["importance_from"].first()
    reason = table.groupby("unit_id")["borrow_reason"].first()
    # Own analysis at >= 50 complete respondents.
    for unit in ("F", "O1", "O2", "S1", "S2", "S3", "S4"):
        assert source[unit] == unit and reason[unit] == ""
    # S1a (30) borrows from S1; S5 (20) from O2 (O2's subtree: 5 + 150 + 20 = 175).
    assert source["S1a"] == "S1" and "30 complete respondents" in reason["S1a"]
    assert source["S5"] == "O2" and "20 complete respondents" in reason["S5"]
    # Managers: o1 has only O1's 5 staff -> borrows from O1; r23 (150) analyses itself.
    assert source["manager:o1"] == "O1"
    assert source["manager:r23"] == "manager:r23"
    # Borrowed numbers are the lender's, the scores the unit's own.
    for unit, lender in (("S1a", "S1"), ("S5", "O2"), ("manager:o1", "O1")):
        mine = table[table["unit_id"] == unit].set_index("question_id")
        theirs = table[table["unit_id"] == lender].set_index("question_id")
        for column in ("weight", "importance", "ci_low", "ci_high", "n_used"):
            assert mine[column].equals(theirs[column])
        assert not mine["score"].equals(theirs["score"])


def test_same_respondents_get_identical_numbers(table: pd.DataFrame) -> None:
    # Rektor r1 manages S1 and everyone under it: the same people, the same analysis.
    s1 = table[table["unit_id"] == "S1"].reset_index(drop=True)
    r1 = table[table["unit_id"] == "manager:r1"].reset_index(drop=True)
    columns = ["weight", "importance", "ci_low", "ci_high", "score", "n_used", "quadrant"]
    pd.testing.assert_frame_equal(s1[columns], r1[columns])
    assert r1["importance_from"].eq("manager:r1").all()


def test_quadrants_follow_the_priority_rules_per_unit(table: pd.DataFrame) -> None:
    for _, rows in table.groupby("unit_id"):
        assert rows["quadrant"].tolist() == assign_quadrants(rows).tolist()


def test_a_unit_with_a_suppressed_score_has_no_rows(survey: SurveyData) -> None:
    figures = simple_figures(survey, YEAR)
    hidden = (figures["unit_id"] == "S2") & (figures["measure"] == "q:q03")
    figures.loc[hidden, ["n", "value"]] = [None, np.nan]
    result = driver_table(survey, params(), YEAR, figures)
    assert "S2" not in set(result["unit_id"])
    assert {"F", "O1", "S1", "S3", "manager:r23"} <= set(result["unit_id"])


def test_the_units_table_order_does_not_matter(survey: SurveyData, table: pd.DataFrame) -> None:
    # Children listed before their parents: S1a must still borrow from S1, not from F.
    shuffled = SurveyData(
        survey.questions, survey.units.iloc[::-1].reset_index(drop=True),
        survey.responses, survey.asked,
    )  # fmt: skip
    again = driver_table(shuffled, params(), YEAR, simple_figures(survey, YEAR))
    key = ["unit_id", "question_id"]
    pd.testing.assert_frame_equal(
        again.sort_values(key).reset_index(drop=True), table.sort_values(key).reset_index(drop=True)
    )
    assert again["unit_id"].iloc[0] == "F"  # the förvaltning first, whatever the order


def test_min_n_is_inclusive_and_the_root_always_analyses_itself(survey: SurveyData) -> None:
    figures = simple_figures(survey, YEAR)
    at_80 = driver_table(survey, params(min_n=80, bootstrap=20), YEAR, figures)
    source = at_80.groupby("unit_id")["importance_from"].first()
    assert source["S2"] == "S2"  # exactly 80 complete respondents: analysed
    assert source["S3"] == "O1"  # 70: borrows
    huge = driver_table(survey, params(min_n=10_000, bootstrap=20), YEAR, figures)
    assert (huge["importance_from"] == "F").all()
    assert (huge["n_used"] == sum(SIZES.values())).all()


def test_the_table_is_deterministic(survey: SurveyData, table: pd.DataFrame) -> None:
    again = driver_table(survey, params(), YEAR, simple_figures(survey, YEAR))
    assert drivers_csv_text(again) == drivers_csv_text(table)


def test_unit_resampling_gives_its_own_seeded_intervals(survey: SurveyData, table: pd.DataFrame):
    by_units = driver_table(survey, params(resample="units"), YEAR, simple_figures(survey, YEAR))
    same = ["weight", "importance", "score", "n_used", "quadrant"]
    pd.testing.assert_frame_equal(by_units[same], table[same])
    root_units = by_units[by_units["unit_id"] == "F"]
    root_resp = table[table["unit_id"] == "F"]
    assert not np.allclose(root_units["ci_low"], root_resp["ci_low"])
    assert (root_units["ci_low"] <= root_units["ci_high"]).all()


def test_drivers_csv_round_trips(table: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "reports" / "drivers.csv"
    write_drivers_csv(table, path)
    back = pd.read_csv(path, keep_default_na=False)
    assert list(back.columns) == CSV_COLUMNS
    for column in ("weight", "importance", "ci_low", "ci_high", "score"):
        np.testing.assert_array_equal(back[column].to_numpy(), table[column].to_numpy())
    assert back["quadrant"].tolist() == table["quadrant"].tolist()
    assert path.read_bytes() == drivers_csv_text(table).encode("utf-8")


# ------------------------------------------------------- degenerate input


def _tiny(sizes: dict[str, int], seed: int = 4, effects=EFFECTS_6):
    answers, motivation, drivers = simulate_answers(np.random.default_rng(seed), sizes, effects)
    return answers, questions_frame(motivation, drivers)


def _run(answers: pd.DataFrame, questions: pd.DataFrame, **settings) -> pd.DataFrame:
    data = make_survey(questions, units_frame(), answers)
    return driver_table(data, params(**settings), YEAR, simple_figures(data, YEAR))


def test_a_year_without_motivation_questions_is_refused() -> None:
    answers, questions = _tiny({"S1": 100})
    questions.loc[questions["ami_dimension"] == "Motivation", "ami_dimension"] = "Ledarskap"
    with pytest.raises(DriverAnalysisError, match=r"year 2023: no Motivation questions"):
        _run(answers, questions)


def test_a_constant_driver_at_the_root_is_refused_with_its_id() -> None:
    answers, questions = _tiny({"S1": 100})
    answers["q04"] = 3.0
    with pytest.raises(DriverAnalysisError, match=r"year 2023, unit F: .*without variance.*q04"):
        _run(answers, questions)


def test_collinear_drivers_at_the_root_are_refused_naming_both() -> None:
    answers, questions = _tiny({"S1": 100})
    answers["q05"] = answers["q02"]
    with pytest.raises(DriverAnalysisError, match=r"unit F: .*collinear.*'q02', 'q05'"):
        _run(answers, questions)


def test_fewer_respondents_than_drivers_at_the_root_is_refused() -> None:
    answers, questions = _tiny({"S1": 6})
    with pytest.raises(DriverAnalysisError, match=r"unit F: only 6 complete respondents for 6"):
        _run(answers, questions, min_n=1)


def test_a_degenerate_unit_borrows_and_says_why() -> None:
    answers, questions = _tiny({"S1": 80, "S4": 80})
    # In S4 everyone answers q06 = 2: S4 cannot be analysed, but the förvaltning can.
    answers.loc[answers["unit_id"] == "S4", "q06"] = 2.0
    result = _run(answers, questions)
    s4 = result[result["unit_id"] == "S4"]
    # O2's subtree is S4 alone, so O2 fails too: both borrow from the förvaltning.
    assert (s4["importance_from"] == "F").all()
    o2 = result[result["unit_id"] == "O2"]
    assert (o2["importance_from"] == "F").all()
    assert (result.loc[result["unit_id"] == "S1", "importance_from"] == "S1").all()
    assert s4["borrow_reason"].str.contains("without variance").all()
    assert s4["borrow_reason"].str.contains("q06").all()
    assert s4["borrow_reason"].iloc[0].startswith("drivers without variance")
    assert np.isfinite(result[["weight", "importance", "ci_low", "ci_high"]].to_numpy()).all()


# --------------------------------------------------------- planted truth


def test_planted_ranking_is_recovered_on_simulated_data() -> None:
    # 12 drivers; the five planted strongest, and seven weak ones.
    effects = np.array([0.0, 0.9, 0.05, 0.7, 0.1, 0.55, 0.0, 0.45, 0.08, 0.35, 0.02, 0.12])
    answers, motivation, drivers = simulate_answers(
        np.random.default_rng(12), {"S1": 2000, "S2": 2000}, effects, missing=0.02
    )
    data = make_survey(questions_frame(motivation, drivers), units_frame(), answers)
    result = driver_table(data, params(bootstrap=100), YEAR, simple_figures(data, YEAR))
    root = result[result["unit_id"] == "F"].sort_values("importance", ascending=False)
    planted = {drivers[i] for i in np.argsort(-effects)[:5]}
    assert planted <= set(root["question_id"].head(7))
    assert root["n_used"].iloc[0] < 4000  # 2 % missing per answer leaves ~79 % complete


def _read_synthetic(directory: Path):
    """The synthetic CSVs read with plain pandas, 0 (don't know) coded as missing."""
    questions = pd.read_csv(directory / "questions.csv", dtype=str, keep_default_na=False)
    questions["leadership"] = questions["leadership"].str.lower().isin(["1", "true", "ja"])
    units = pd.read_csv(directory / "units.csv", dtype=str, keep_default_na=False)
    units["year"] = units["year"].astype("int64")
    units["invited"] = pd.to_numeric(units["invited"]).astype("Int64")
    responses = pd.read_csv(directory / "responses.csv", dtype={"respondent_id": str})
    responses = responses.rename(columns=str.strip)
    for column in ("unit_id",):
        responses[column] = responses[column].astype(str)
    qids = [q for q in questions["question_id"] if q in responses.columns]
    responses[qids] = responses[qids].astype(float).replace(0.0, np.nan)
    truth = pd.read_csv(directory / "driver_truth.csv", dtype={"question_id": str})
    return questions, units, responses, truth


def read_contract_csvs(directory: Path) -> SurveyData:
    """The three input CSVs read with plain pandas (not ingest): empty and 0 (vet ej) missing."""
    questions = pd.read_csv(directory / "questions.csv", dtype=str, keep_default_na=False)
    questions["leadership"] = questions["leadership"].str.lower().isin(["1", "true", "ja"])
    units = pd.read_csv(directory / "units.csv", dtype=str, keep_default_na=False)
    units["year"] = units["year"].astype("int64")
    units["invited"] = pd.to_numeric(units["invited"]).astype("Int64")
    text = ["respondent_id", "unit_id", "gender", "age_group", "role"]
    responses = pd.read_csv(directory / "responses.csv", dtype=dict.fromkeys(text, str))
    responses[text] = responses[text].fillna("")
    qids = list(questions["question_id"])
    asked = [
        (int(year), q)
        for year, rows in responses.groupby("year")
        for q in qids
        if q in rows and rows[q].notna().any()
    ]
    responses[qids] = responses[qids].astype(float).replace(0.0, np.nan)
    return SurveyData(
        questions, units, responses, pd.DataFrame(asked, columns=["year", "question_id"])
    )


def test_planted_ranking_is_recovered_on_the_synthetic_default(tmp_path: Path) -> None:
    from analysis.params import SynthParams
    from analysis.synth import generate

    generate(SynthParams(), tmp_path)
    data = read_contract_csvs(tmp_path)
    truth = pd.read_csv(tmp_path / "driver_truth.csv", dtype={"question_id": str})
    latest = max(SynthParams().years)
    sample = build_driver_sample(data, params(), latest)
    assert len(sample.question_ids) == 29
    estimated = relative_weights(
        pd.DataFrame(sample.drivers, columns=sample.question_ids), sample.outcome
    ).importance.sort_values(ascending=False, kind="mergesort")
    strongest = set(truth.nsmallest(5, "true_rank")["question_id"])
    assert strongest <= set(estimated.index[:7])
