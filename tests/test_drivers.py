"""The driver table: samples, targets, bootstrap, borrowing, degenerate input, planted truth.

Data are simulated inside the tests from a known linear model on a small
organisation built directly as ``SurveyData``; the scores come from the real
index engine (``compute_figures``: threshold and complementary suppression,
leader rows included), exactly as the pipeline hands them to the drivers, and
are checked against a plain pandas recomputation of the question indexes.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.core.dataset import SurveyData
from analysis.core.params import params_from_dict
from analysis.drivers.bootstrap import analyse_sample, bootstrap_draws
from analysis.drivers.drivers_csv import CSV_COLUMNS, drivers_csv_text, write_drivers_csv
from analysis.drivers.priority import assign_quadrants
from analysis.drivers.relweights import DriverAnalysisError, relative_weights
from analysis.drivers.sample import build_driver_sample, motivation_score
from analysis.drivers.table import TABLE_COLUMNS, driver_results, driver_table
from analysis.drivers.targets import analysis_targets
from analysis.indexes.figures import compute_figures

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


def figures_of(data: SurveyData, year: int = YEAR) -> pd.DataFrame:
    """The figures exactly as the indexes stage publishes them (threshold and
    complementary suppression, leader rows included): the drivers' scores."""
    return compute_figures(data, params(), year)


def params(**drivers: object):
    """The contract's reference arithmetic (listwise) unless a test asks for pairwise:
    tests/test_driver_missing.py covers the default."""
    settings = {
        "min_n": 50,
        "bootstrap": 200,
        "seed": 11,
        "resample": "respondents",
        "missing": "listwise",
    }
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
    return driver_table(survey, params(), YEAR, figures_of(survey, YEAR))


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
    draws = bootstrap_draws(outcome, drivers, 25, seed=99)
    fast, degenerate = draws.shares, draws.degenerate
    assert degenerate == 0
    np.testing.assert_allclose(fast, _naive_bootstrap(outcome, drivers, 25, 99), atol=1e-10)


def test_batched_unit_bootstrap_equals_resampling_clusters_one_by_one() -> None:
    rng = np.random.default_rng(6)
    drivers = rng.normal(size=(90, 3))
    outcome = drivers @ np.array([1.0, 0.4, 0.1]) + rng.normal(size=90)
    clusters = np.repeat(["a", "b", "c", "d", "e", "f"], 15)
    fast = bootstrap_draws(outcome, drivers, 20, seed=7, clusters=clusters).shares
    naive = _naive_bootstrap(outcome, drivers, 20, 7, clusters)
    np.testing.assert_allclose(fast, naive, atol=1e-10)


def test_signs_and_the_random_variable_test_equal_resampling_one_by_one() -> None:
    """drivers.csv p_negative and p_random, recomputed resample by resample: the regression
    weights by solving Rxx b = r_xy, the relative weights with a standard normal column
    from the seed's own stream (spawn key 1) added as a fourth driver."""
    from analysis.drivers.bootstrap import bootstrap_draws

    rng = np.random.default_rng(10)
    drivers = rng.normal(size=(150, 3))
    outcome = drivers @ np.array([1.0, 0.3, 0.0]) + rng.normal(size=150)
    draws = bootstrap_draws(outcome, drivers, 40, seed=99)
    noise = np.random.default_rng(np.random.SeedSequence(99, spawn_key=(1,))).standard_normal(150)
    resample = np.random.default_rng(99)
    negative, below = [], []
    for _ in range(40):
        rows = resample.integers(0, 150, 150)
        corr = np.corrcoef(np.column_stack([outcome, drivers])[rows].T)
        negative.append(np.linalg.solve(corr[1:, 1:], corr[1:, 0]) < 0)
        names = ["a", "b", "c", "chance"]
        with_noise = pd.DataFrame(np.column_stack([drivers, noise])[rows], columns=names)
        weights = relative_weights(with_noise, outcome[rows]).weights.to_numpy()
        below.append(weights[:3] <= weights[3])
    assert np.array_equal(draws.negative, np.array(negative))
    assert np.array_equal(draws.below_random, np.array(below))
    p_random = draws.below_random.mean(axis=0)
    assert p_random[0] == 0.0 and p_random[2] > 0.2  # the strong driver beats chance, 0 does not
    assert not draws.negative[:, 0].any()


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
    draws = bootstrap_draws(outcome, np.column_stack([x1, x2]), 400, seed=3)
    shares, degenerate = draws.shares, draws.degenerate
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
    assert CSV_COLUMNS == [
        "year", "unit_id", "question_id", "weight", "importance",
        "ci_low", "ci_high", "score", "quadrant", "n_used", "importance_from", "basis",
        "own_weight", "p_high", "beta", "p_negative", "p_random",
    ]  # fmt: skip
    assert [*CSV_COLUMNS, "borrow_code", "borrow_reason", "resampled"] == TABLE_COLUMNS
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
    first = table.groupby("unit_id").first()
    source, reason, basis = first["importance_from"], first["borrow_reason"], first["basis"]
    # Own analysis at >= 50 complete respondents.
    for unit in ("F", "O1", "O2", "S1", "S2", "S3", "S4"):
        assert source[unit] == unit and reason[unit] == "" and basis[unit] == "own"
    # S1a (30) borrows from S1; S5 (20) from O2 (O2's subtree: 5 + 150 + 20 = 175).
    assert source["S1a"] == "S1" and "30 complete respondents" in reason["S1a"]
    assert source["S5"] == "O2" and "20 complete respondents" in reason["S5"]
    assert first.loc["S1a", "borrow_code"] == "small" and basis["S1a"] == "borrowed"
    # Borrowed numbers are the lender's, the scores the unit's own.
    for unit, lender in (("S1a", "S1"), ("S5", "O2")):
        _assert_borrowed(table, unit, lender)


def _assert_borrowed(table: pd.DataFrame, unit: str, lender: str) -> None:
    mine = table[table["unit_id"] == unit].set_index("question_id")
    theirs = table[table["unit_id"] == lender].set_index("question_id")
    assert len(mine) == len(theirs) == 6
    for column in ("weight", "importance", "ci_low", "ci_high", "n_used", "resampled"):
        assert mine[column].equals(theirs[column]), column
    assert (mine["importance_from"] == lender).all()
    assert (mine["basis"] == "borrowed").all()
    assert not mine["score"].equals(theirs["score"])


def test_every_manager_gets_rows_analysed_or_borrowed(
    survey: SurveyData, table: pd.DataFrame
) -> None:
    first = table.groupby("unit_id").first()
    managers = {u for u in first.index if u.startswith("manager:")}
    assert managers == {f"manager:{m}" for m in ("boss", "o1", "r1", "r23", "r4")}
    # r1 (S1 + S1a: 150), r23 (S2 + S3: 150) and r4 (S4: 150) analyse their own staff.
    for manager in ("r1", "r23", "r4"):
        assert first.loc[f"manager:{manager}", "importance_from"] == f"manager:{manager}"
        assert first.loc[f"manager:{manager}", "n_used"] == 150
    # o1 has only O1's own 5 staff: it borrows from O1, the unit it manages.
    # boss has F's own 10 + O2's 5 + S5's 20 = 35 (O2 and S5 have no manager of
    # their own): it borrows from F.
    _assert_borrowed(table, "manager:o1", "O1")
    _assert_borrowed(table, "manager:boss", "F")
    assert "35 complete respondents" in first.loc["manager:boss", "borrow_reason"]
    # A manager's scores are its own group's question indexes (recomputed here).
    responses = survey.responses_in(YEAR)
    staff = responses[responses["unit_id"].isin(["F", "O2", "S5"])]
    boss = table[table["unit_id"] == "manager:boss"].set_index("question_id")
    for q in boss.index:
        assert boss.loc[q, "score"] == pytest.approx((staff[q].mean() - 1) / 4 * 100, abs=1e-12)


def test_a_manager_of_several_units_borrows_from_their_lowest_common_ancestor() -> None:
    # r23 manages S2 and S3 (both under O1): with min_n above its 150 it borrows from O1,
    # not from S2 or S3 (each holds only part of its staff), and not from F.
    answers, motivation, drivers = simulate_answers(np.random.default_rng(3), SIZES, EFFECTS_6)
    data = make_survey(questions_frame(motivation, drivers), units_frame(), answers)
    result = driver_table(data, params(min_n=160, bootstrap=20), YEAR, figures_of(data))
    first = result.groupby("unit_id").first()
    assert first.loc["manager:r23", "importance_from"] == "O1"
    assert first.loc["S2", "importance_from"] == "O1"  # 80 < 160
    assert first.loc["O1", "importance_from"] == "O1"  # 305


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


def test_a_unit_with_a_suppressed_score_has_no_rows_and_the_notes_say_which() -> None:
    answers, motivation, drivers = simulate_answers(np.random.default_rng(3), SIZES, EFFECTS_6)
    # In S2 only three people answer q03 (the rest: don't know), so S2's q03 is suppressed.
    in_s2 = np.flatnonzero(answers["unit_id"].to_numpy() == "S2")
    answers.loc[answers.index[in_s2[3:]], "q03"] = np.nan
    data = make_survey(questions_frame(motivation, drivers), units_frame(), answers)
    figures = figures_of(data)
    q03 = figures[(figures["unit_id"] == "S2") & (figures["measure"] == "q:q03")]
    assert q03["value"].isna().all()
    results = driver_results(data, params(), YEAR, figures)
    published = set(results.table["unit_id"])
    # Complementary suppression hides more: r23 (S2 + S3) minus S3 would give S2's
    # q03 away, so S3's q03 goes too; and S2's area index minus its other published
    # questions would pin q03 down, so q01 is hidden in both. Neither has rows.
    assert not {"S2", "S3"} & published
    assert {"F", "O1", "S1", "manager:r23"} <= published
    for unit in ("S2", "S3"):
        assert results.notes["without_rows"][unit] == {
            "code": "suppressed_scores",
            "questions": ["q01", "q03"],
        }
    assert set(results.notes["without_rows"]) == {"S2", "S3"}


def test_the_units_table_order_does_not_matter(survey: SurveyData, table: pd.DataFrame) -> None:
    # Children listed before their parents: S1a must still borrow from S1, not from F.
    shuffled = SurveyData(
        survey.questions, survey.units.iloc[::-1].reset_index(drop=True),
        survey.responses, survey.asked,
    )  # fmt: skip
    again = driver_table(shuffled, params(), YEAR, figures_of(survey, YEAR))
    key = ["unit_id", "question_id"]
    pd.testing.assert_frame_equal(
        again.sort_values(key).reset_index(drop=True), table.sort_values(key).reset_index(drop=True)
    )
    assert again["unit_id"].iloc[0] == "F"  # the förvaltning first, whatever the order


def test_min_n_is_inclusive_and_the_root_always_analyses_itself(survey: SurveyData) -> None:
    figures = figures_of(survey, YEAR)
    at_80 = driver_table(survey, params(min_n=80, bootstrap=20), YEAR, figures)
    source = at_80.groupby("unit_id")["importance_from"].first()
    assert source["S2"] == "S2"  # exactly 80 complete respondents: analysed
    assert source["S3"] == "O1"  # 70: borrows
    huge = driver_results(survey, params(min_n=10_000, bootstrap=20), YEAR, figures)
    assert (huge.table["importance_from"] == "F").all()
    assert (huge.table["n_used"] == sum(SIZES.values())).all()
    # The förvaltning cannot borrow: it is published, marked, and the stage warns.
    basis = huge.table.groupby("unit_id")["basis"].first()
    assert basis["F"] == "own_below_min_n"
    assert (basis.drop("F") == "borrowed").all()
    assert huge.notes["root_analysis"]["status"] == "own_below_min_n"
    assert huge.warnings == [
        "drivers, year 2023, unit F: only 490 complete respondents (fewer than "
        "drivers.min_n = 10000); the förvaltning cannot borrow, so it is analysed anyway "
        "and marked basis = own_below_min_n"
    ]


def test_the_table_is_deterministic(survey: SurveyData, table: pd.DataFrame) -> None:
    again = driver_table(survey, params(), YEAR, figures_of(survey, YEAR))
    assert drivers_csv_text(again) == drivers_csv_text(table)


def test_unit_resampling_gives_its_own_seeded_intervals(survey: SurveyData, table: pd.DataFrame):
    settings = params(resample="units", resample_min_units=5)
    by_units = driver_table(survey, settings, YEAR, figures_of(survey, YEAR))
    same = ["weight", "importance", "score", "n_used", "quadrant"]
    pd.testing.assert_frame_equal(by_units[same], table[same])
    root_units = by_units[by_units["unit_id"] == "F"]
    root_resp = table[table["unit_id"] == "F"]
    assert not np.allclose(root_units["ci_low"], root_resp["ci_low"])
    assert (root_units["ci_low"] <= root_units["ci_high"]).all()
    # F's respondents sit in 9 units (>= 5): units resampled. S1's in 2 (S1, S1a):
    # too few, so respondents - the same intervals as with resample: respondents.
    resampled = by_units.groupby("unit_id")["resampled"].first()
    assert resampled["F"] == "units" and resampled["O1"] == "units"  # O1: 5 units
    assert resampled["S1"] == "respondents" and resampled["O2"] == "respondents"  # O2: 3
    s1 = by_units[by_units["unit_id"] == "S1"]
    assert s1["ci_low"].tolist() == table.loc[table["unit_id"] == "S1", "ci_low"].tolist()
    # With the default of 10 units nobody here resamples units, and the table says so.
    default = driver_table(survey, params(resample="units"), YEAR, figures_of(survey, YEAR))
    assert (default["resampled"] == "respondents").all()


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
#
# Degenerate answers never abort the stage and never publish a NaN: the
# förvaltning (and whoever would borrow from it) gets no rows, drivers.json
# says why, and a warning names the year, the unit and the questions.


def _tiny(sizes: dict[str, int], seed: int = 4, effects=EFFECTS_6):
    answers, motivation, drivers = simulate_answers(np.random.default_rng(seed), sizes, effects)
    return answers, questions_frame(motivation, drivers)


def _results(data: SurveyData, **settings):
    return driver_results(data, params(**settings), YEAR, figures_of(data))


def _run(answers: pd.DataFrame, questions: pd.DataFrame, **settings):
    return _results(make_survey(questions, units_frame(), answers), **settings)


def _assert_nothing_published(results, code: str, warning: str) -> None:
    assert results.table.empty and list(results.table.columns) == TABLE_COLUMNS
    assert drivers_csv_text(results.table) == ",".join(CSV_COLUMNS) + "\n"
    assert results.notes["root_analysis"]["status"] == "not_analysed"
    assert results.notes["root_analysis"]["code"] == code
    assert len(results.warnings) == 1
    assert re.fullmatch(warning, results.warnings[0]), results.warnings[0]


def test_a_year_without_motivation_questions_publishes_nothing_and_says_why() -> None:
    answers, questions = _tiny({"S1": 100})
    questions.loc[questions["ami_dimension"] == "Motivation", "ami_dimension"] = "Ledarskap"
    results = _run(answers, questions)
    _assert_nothing_published(
        results,
        "no_motivation",
        r"drivers, year 2023, unit F: no driver analysis: year 2023: no Motivation questions "
        r"were asked \(questions with ami_dimension = 'Motivation'; 9 questions asked\), so "
        r"there is no outcome for the driver analysis",
    )
    assert results.notes["drivers"] == [] and results.notes["without_rows"] == {}


def test_a_constant_driver_at_the_root_publishes_nothing_and_names_it() -> None:
    answers, questions = _tiny({"S1": 100})
    answers["q04"] = 3.0
    results = _run(answers, questions)
    _assert_nothing_published(
        results,
        "no_variance",
        r"drivers, year 2023, unit F: no driver analysis: drivers without variance "
        r"\(every complete respondent gave the same answer\): \['q04'\]",
    )
    assert results.notes["root_analysis"]["questions"] == ["q04"]
    # Every unit would have borrowed from the förvaltning: none has rows, each says why.
    assert results.notes["without_rows"]["S1"]["code"] == "no_analysis"


def test_collinear_drivers_at_the_root_publish_nothing_and_name_both() -> None:
    answers, questions = _tiny({"S1": 100})
    answers["q05"] = answers["q02"]
    results = _run(answers, questions)
    _assert_nothing_published(
        results,
        "collinear",
        r"drivers, year 2023, unit F: no driver analysis: drivers are perfectly collinear .*"
        r"\['q02', 'q05'\]",
    )
    assert results.notes["root_analysis"]["questions"] == ["q02", "q05"]


def test_fewer_respondents_than_drivers_publishes_nothing() -> None:
    answers, questions = _tiny({"S1": 6})
    results = _run(answers, questions, min_n=1)
    _assert_nothing_published(
        results,
        "too_few",
        r"drivers, year 2023, unit F: no driver analysis: only 6 complete respondents for 6 "
        r"drivers; relative weights need more respondents than drivers \+ 1 \(at least 8\); "
        r"all 6 respondents with a Motivation score answered every driver: there are simply "
        r"too few respondents",
    )


def test_a_question_answered_only_dont_know_is_left_out_with_a_note() -> None:
    answers, questions = _tiny({"S1": 120, "S4": 120})
    answers["q06"] = np.nan  # everybody said "vet ej": asked, but no valid answer
    data = make_survey(questions, units_frame(), answers)
    data.asked = pd.concat(
        [data.asked, pd.DataFrame({"year": [YEAR], "question_id": ["q06"]})], ignore_index=True
    )
    assert "q06" in data.asked_in(YEAR)
    results = _results(data)
    assert set(results.table["question_id"]) == {"q01", "q02", "q03", "q04", "q05"}
    assert results.notes["excluded"] == ["q06"]
    assert results.notes["drivers"] == ["q01", "q02", "q03", "q04", "q05"]
    assert results.warnings == [
        "drivers, year 2023: question(s) ['q06'] were asked but have no valid answer "
        "(only don't-know or empty); left out of the drivers"
    ]
    # The analysis is that of the five answered drivers, on every respondent.
    root = results.table[results.table["unit_id"] == "F"]
    expected = relative_weights(answers[["q01", "q02", "q03", "q04", "q05"]], _outcome(answers))
    np.testing.assert_allclose(root["weight"], expected.weights, atol=1e-12)
    assert (root["n_used"] == 240).all()
    assert np.isfinite(results.table[["weight", "importance", "ci_low", "ci_high"]]).all().all()


def _outcome(answers: pd.DataFrame) -> np.ndarray:
    return ((answers[["m1", "m2", "m3"]].mean(axis=1) - 1) / 4 * 100).to_numpy()


def test_questions_asked_to_disjoint_groups_publish_nothing_and_are_named() -> None:
    answers, questions = _tiny({"S1": 120, "S4": 120})
    # q05 is asked only in S1, q06 only in S4: nobody answered both.
    answers.loc[answers["unit_id"] != "S1", "q05"] = np.nan
    answers.loc[answers["unit_id"] != "S4", "q06"] = np.nan
    results = _run(answers, questions)
    _assert_nothing_published(
        results,
        "too_few",
        r"drivers, year 2023, unit F: no driver analysis: only 0 complete respondents for 6 "
        r"drivers; .*; of the 240 respondents with a Motivation score, these drivers have the "
        r"most missing answers: q05 \(120 missing\), q06 \(120 missing\)",
    )
    assert results.notes["root_analysis"]["questions"] == ["q05", "q06"]
    assert results.notes["n_complete"] == 0


def test_a_degenerate_unit_borrows_and_says_why() -> None:
    answers, questions = _tiny({"S1": 80, "S4": 80})
    # In S4 everyone answers q06 = 2: S4 cannot be analysed, but the förvaltning can.
    answers.loc[answers["unit_id"] == "S4", "q06"] = 2.0
    result = _run(answers, questions).table
    s4 = result[result["unit_id"] == "S4"]
    # O2's subtree is S4 alone, so O2 fails too: both borrow from the förvaltning.
    assert (s4["importance_from"] == "F").all()
    o2 = result[result["unit_id"] == "O2"]
    assert (o2["importance_from"] == "F").all()
    assert (result.loc[result["unit_id"] == "S1", "importance_from"] == "S1").all()
    assert (s4["borrow_code"] == "no_variance").all()
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
    result = driver_table(data, params(bootstrap=100), YEAR, figures_of(data, YEAR))
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
    from analysis.core.params import SynthParams
    from analysis.synth.generate import generate

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


# ------------------------------------------------- the stage, end to end


def write_contract_input(data: SurveyData, directory: Path) -> Path:
    """The contract's three CSV tables for ``data`` (invited = respondents + 2 per unit)."""
    directory.mkdir(parents=True)
    questions = data.questions.assign(leadership=data.questions["leadership"].astype(int))
    questions.to_csv(directory / "questions.csv", index=False)
    counts = data.responses.groupby(["year", "unit_id"]).size()
    units = data.units.copy()
    units["invited"] = [
        counts.get((y, u), np.nan) + 2 for y, u in zip(units["year"], units["unit_id"], strict=True)
    ]
    units["invited"] = units["invited"].astype("Int64")
    units.to_csv(directory / "units.csv", index=False)
    responses = data.responses.copy()
    for q in data.question_ids:
        responses[q] = responses[q].astype("Int64")
    responses.to_csv(directory / "responses.csv", index=False)
    return directory


def run_stages(data: SurveyData, tmp_path: Path, **settings) -> tuple[object, Path]:
    """ingest -> indexes -> drivers on ``data`` written as contract CSVs."""
    from analysis.core.stage_paths import StagePaths
    from analysis.drivers.stage import run_drivers
    from analysis.indexes.stage import run_indexes
    from analysis.ingest.stage import run_ingest_stage

    raw = {"input": {"dir": str(write_contract_input(data, tmp_path / "input"))}}
    raw["report"] = {"years": [YEAR]}
    raw["drivers"] = {"min_n": 50, "bootstrap": 100, "seed": 11} | settings
    run_params = params_from_dict(raw)
    paths = StagePaths(tmp_path / "interim", tmp_path / "processed", tmp_path / "reports")
    run_ingest_stage(run_params, paths.interim)
    run_indexes(run_params, YEAR, paths)
    run_drivers(run_params, YEAR, paths)
    return paths, paths.processed_year(YEAR) / "drivers.csv"  # render publishes it


def test_drivers_csv_of_a_small_organisation_has_manager_rows(
    survey: SurveyData, tmp_path: Path
) -> None:
    paths, csv_path = run_stages(survey, tmp_path, shrinkage="none")
    published = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert list(published.columns) == CSV_COLUMNS
    by_unit = {u: rows.set_index("question_id") for u, rows in published.groupby("unit_id")}
    assert {f"manager:{m}" for m in ("boss", "o1", "r1", "r23", "r4")} <= set(by_unit)
    # boss (35 staff) borrows F's importances, o1 (5 staff) those of O1, the unit it
    # manages; r23 (S2 + S3, 150) analyses itself - digit for digit as published.
    for manager, lender in (("manager:boss", "F"), ("manager:o1", "O1")):
        mine, theirs = by_unit[manager], by_unit[lender]
        for column in ("weight", "importance", "ci_low", "ci_high", "n_used"):
            assert mine[column].tolist() == theirs[column].tolist(), (manager, column)
        assert set(mine["importance_from"]) == {lender} and set(mine["basis"]) == {"borrowed"}
    r23 = by_unit["manager:r23"]
    assert set(r23["importance_from"]) == {"manager:r23"} and set(r23["n_used"]) == {"150"}
    # The borrowed importances are F's relative weights on all 490 respondents.
    sample = build_driver_sample(survey, params(), YEAR)
    expected = relative_weights(pd.DataFrame(sample.drivers), sample.outcome).importance
    boss = by_unit["manager:boss"]["importance"].astype(float).to_numpy()
    np.testing.assert_allclose(boss, expected.to_numpy(), atol=1e-12)
    notes = json.loads((paths.processed_year(YEAR) / "drivers.json").read_text("utf-8"))
    assert notes["root_analysis"]["status"] == "own"


def test_the_stage_succeeds_on_a_year_without_motivation_questions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers, questions = _tiny({"S1": 60, "S4": 60})
    questions.loc[questions["ami_dimension"] == "Motivation", "ami_dimension"] = ""
    paths, csv_path = run_stages(make_survey(questions, units_frame(), answers), tmp_path)
    assert csv_path.read_text("utf-8") == ",".join(CSV_COLUMNS) + "\n"
    assert pd.read_parquet(paths.processed_year(YEAR) / "drivers.parquet").empty
    notes = json.loads((paths.processed_year(YEAR) / "drivers.json").read_text("utf-8"))
    assert notes["root_analysis"]["code"] == "no_motivation"
    err = capsys.readouterr().err
    assert (
        "warning: drivers, year 2023, unit F: no driver analysis: year 2023: no Motivation" in err
    )


def test_the_drivers_stage_pins_blas_to_one_thread_unless_told_otherwise() -> None:
    import subprocess
    import sys

    code = (
        "import os; from analysis.pipeline import cli; pinned = cli.pin_blas_threads(1); "
        "import numpy; "
        "print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'], pinned, "
        "cli.pin_blas_threads(1))"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    # pinned before numpy loads; once it has, too late (False)
    assert done.stdout.split() == ["1", "1", "True", "False"], done.stderr
    env["OPENBLAS_NUM_THREADS"] = "2"  # a caller's choice is kept
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.stdout.split() == ["2", "1", "True", "False"], done.stderr


def test_a_question_everyone_answered_dont_know_is_left_out_through_ingestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers, questions = _tiny({"S1": 60, "S4": 60})
    answers["q06"] = 0.0  # written as 0, "vet ej": asked, but never a valid answer
    paths, csv_path = run_stages(make_survey(questions, units_frame(), answers), tmp_path)
    published = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert set(published["question_id"]) == {"q01", "q02", "q03", "q04", "q05"}
    assert (published.loc[published["unit_id"] == "F", "n_used"] == "120").all()
    notes = json.loads((paths.processed_year(YEAR) / "drivers.json").read_text("utf-8"))
    assert notes["excluded"] == ["q06"] and notes["root_analysis"]["status"] == "own"
    err = capsys.readouterr().err
    assert "warning: drivers, year 2023: question(s) ['q06'] were asked but have no valid" in err
