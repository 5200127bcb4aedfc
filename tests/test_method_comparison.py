"""The analysts' method comparison (analysis.drivers.method_comparison), on hand-worked data.

The hand-worked case has two *uncorrelated* drivers, where every method must
give the same ranking and known values: relative weights = LMG = r²,
standardised betas = r, and R² = r₁² + r₂².
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import question, respondents, survey, unit

from analysis.core.params import params_from_dict
from analysis.drivers.method_comparison import (
    COMPARISON_COLUMNS,
    area_scores,
    compare_methods,
    compare_on,
)

YEAR = 2023
PARAMS = params_from_dict({"drivers": {"resample_min_units": 10}})

# Eight respondents. x1 and x2 form a balanced 2 x 2 design (uncorrelated);
# centred: x1 = ±2, x2 = ±2, y (m1) = -2 -1 -1 0 0 1 1 2 (mean 3).
#   S(x1 y) = 16, S(x2 y) = 8, S(x1 x1) = S(x2 x2) = 32, S(y y) = 12, S(x1 x2) = 0
#   r1 = 16 / √(32·12) = √(2/3), r2 = 8 / √384 = √(1/6); R² = 2/3 + 1/6 = 5/6.
# Classical standardised-OLS error: var(β) = (1 − R²) / (n − p − 1) = (1/6) / 5 = 1/30.
X1 = [1, 1, 1, 1, 5, 5, 5, 5]
X2 = [1, 1, 5, 5, 1, 1, 5, 5]
M1 = [1, 2, 2, 3, 3, 4, 4, 5]


def hand_data():
    return hand_data_of(M1, X1, X2)


def hand_data_of(m1: list, x1: list, x2: list):
    return survey(
        questions=[
            question("m1", area="Motivation", dimension="Motivation"),
            question("x1", area="Arbetsmiljö"),
            question("x2", area="Lön"),
        ],
        units=[unit(YEAR, "F"), unit(YEAR, "S", parent="F", manager="c")],
        responses=respondents(YEAR, "S", m1=m1, x1=x1, x2=x2),
    )


@pytest.mark.parametrize("unit_id", ["", "S", "manager:c"])
def test_uncorrelated_drivers_give_every_method_its_textbook_value(unit_id: str) -> None:
    table = compare_methods(hand_data(), PARAMS, YEAR, unit_id)
    assert list(table.columns) == COMPARISON_COLUMNS
    assert list(table["level"]) == ["question", "question", "area", "area"]
    # the Motivation area holds only the outcome: no area driver
    assert list(table["driver"]) == ["x1", "x2", "Arbetsmiljö", "Lön"]
    r = np.sqrt([2 / 3, 1 / 6] * 2)
    np.testing.assert_allclose(table["rw_weight"], r**2, atol=1e-12)
    np.testing.assert_allclose(table["lmg_weight"], r**2, atol=1e-12)
    np.testing.assert_allclose(table["rw_importance"], [0.8, 0.2, 0.8, 0.2], atol=1e-12)
    np.testing.assert_allclose(table["beta"], r, atol=1e-12)
    np.testing.assert_allclose(table["r"], r, atol=1e-12)
    np.testing.assert_allclose(table["beta_se"], np.sqrt(1 / 30), atol=1e-12)
    np.testing.assert_allclose(table["r2"], 5 / 6, atol=1e-12)
    assert (table["n_used"] == 8).all()
    for rank in ("rank_rw", "rank_lmg", "rank_beta", "rank_r"):
        assert table[rank].tolist() == [1, 2, 1, 2], rank  # ranked within each level
    assert set(table["se_kind"]) == {"classical (1 unit, fewer than 10 to cluster by)"}
    # eight respondents: too few for a pairwise correlation (10 per pair), so that column
    # is empty, with everyone counted
    assert table["rw_pairwise_importance"].isna().all()
    assert (table["n_used_pairwise"] == 8).all()


def test_pairwise_weights_use_the_respondents_listwise_drops() -> None:
    """The design twice over (16 respondents) plus two who skipped x2: listwise keeps the
    16 and the textbook values; pairwise counts all 18, and on the 16 alone it agrees."""
    doubled = hand_data_of(M1 * 2, X1 * 2, X2 * 2)
    table = compare_methods(doubled, PARAMS, YEAR)
    np.testing.assert_allclose(table["rw_pairwise_importance"], [0.8, 0.2, 0.8, 0.2], atol=1e-12)
    skipped = hand_data_of(M1 * 2 + [1, 5], X1 * 2 + [1, 5], X2 * 2 + [None, None])
    table = compare_methods(skipped, PARAMS, YEAR)
    question_rows = table[table["level"] == "question"]
    assert (question_rows["n_used"] == 16).all() and (question_rows["n_used_pairwise"] == 18).all()
    np.testing.assert_allclose(question_rows["rw_importance"], [0.8, 0.2], atol=1e-12)
    # the two extra respondents sit at the ends of x1 and of the outcome: x1 matters more
    assert question_rows["rw_pairwise_importance"].iloc[0] > 0.8


def test_lmg_is_left_empty_above_fifteen_drivers() -> None:
    rng = np.random.default_rng(1)
    drivers = pd.DataFrame(rng.normal(size=(200, 16)), columns=[f"d{i}" for i in range(16)])
    outcome = drivers.sum(axis=1).to_numpy() + rng.normal(size=200)
    table = compare_on(drivers, outcome, np.repeat(["a", "b"], 100), "question", 10)
    assert table["lmg_weight"].isna().all() and table["rank_lmg"].isna().all()
    assert table["rw_weight"].notna().all()


def test_clustered_errors_are_the_cluster_robust_sandwich() -> None:
    """statsmodels' errors against the sandwich written out here (CR1 small-sample factor)."""
    rng = np.random.default_rng(7)
    n, p, g = 240, 3, 12
    units = np.repeat([f"u{k}" for k in range(g)], n // g)
    shared = np.repeat(rng.normal(size=(g, 1)), n // g, axis=0)  # unit effects
    drivers = pd.DataFrame(rng.normal(size=(n, p)) + shared, columns=["a", "b", "c"])
    outcome = drivers.to_numpy() @ [0.6, 0.3, 0.0] + shared[:, 0] + rng.normal(size=n)
    table = compare_on(drivers, outcome, units, "question", min_clusters=10)
    assert set(table["se_kind"]) == {"clustered by unit (12 units)"}

    values = np.column_stack([outcome, drivers.to_numpy()])
    z = (values - values.mean(axis=0)) / values.std(axis=0, ddof=1)
    x = np.column_stack([np.ones(n), z[:, 1:]])
    beta, *_ = np.linalg.lstsq(x, z[:, 0], rcond=None)
    resid = z[:, 0] - x @ beta
    bread = np.linalg.inv(x.T @ x)
    meat = np.zeros((p + 1, p + 1))
    for name in np.unique(units):
        score = x[units == name].T @ resid[units == name]
        meat += np.outer(score, score)
    factor = g / (g - 1) * (n - 1) / (n - p - 1)
    se = np.sqrt(np.diag(factor * bread @ meat @ bread))[1:]
    np.testing.assert_allclose(table["beta"], beta[1:], atol=1e-12)
    np.testing.assert_allclose(table["beta_se"], se, rtol=1e-10)


def test_area_scores_average_the_valid_answers_of_each_area_s_drivers() -> None:
    questions = pd.DataFrame(
        {
            "question_id": ["m1", "a1", "a2", "b1"],
            "area": ["A", "A", "A", "B"],
        }
    )
    responses = pd.DataFrame(
        {"m1": [5.0, 1.0], "a1": [4.0, np.nan], "a2": [2.0, np.nan], "b1": [np.nan, 3.0]}
    )
    # m1 is the outcome, not a driver: area A is a1 and a2 only.
    scores = area_scores(responses, questions, ["a1", "a2", "b1"])
    assert list(scores.columns) == ["A", "B"]
    assert scores["A"].tolist()[0] == 3.0 and np.isnan(scores["A"].tolist()[1])
    assert np.isnan(scores["B"].tolist()[0]) and scores["B"].tolist()[1] == 3.0


def test_an_unknown_unit_is_named() -> None:
    from analysis.drivers.relweights import DriverAnalysisError

    with pytest.raises(DriverAnalysisError, match=r"no unit or manager 'X'"):
        compare_methods(hand_data(), PARAMS, YEAR, "X")


# ------------------------------------------------- the analysts' notebook


def explore_drivers_cells(
    tmp_path: Path, year: int, unit_id: str, interim: Path, processed: Path
) -> dict[str, dict]:
    """notebooks/explore_drivers.ipynb executed by papermill (params.yaml from ``tmp_path``):
    its cells by id, with their outputs."""
    import json

    import papermill

    from analysis.render.plan import NOTEBOOK_DIR

    executed = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK_DIR / "explore_drivers.ipynb"),
        str(executed),
        parameters={
            "year": year,
            "unit_id": unit_id,
            "interim_dir": str(interim),
            "processed_dir": str(processed),
            "params_path": str(tmp_path / "params.yaml"),
        },
        kernel_name="python3",
        cwd=str(NOTEBOOK_DIR),
        progress_bar=False,
    )
    return {c["id"]: c for c in json.loads(executed.read_text("utf-8"))["cells"]}


def test_the_explore_notebook_runs_on_a_tiny_organisation(tmp_path) -> None:
    """notebooks/explore_drivers.ipynb, executed by papermill, shows the hand-worked values."""
    from test_drivers import run_stages

    # the published matrix the last section reads: with 8 respondents nobody gets one,
    # which the section must say rather than fail on (CI has no data/processed)
    paths, _ = run_stages(hand_data(), tmp_path, resample_min_units=10)
    (tmp_path / "params.yaml").write_text("drivers:\n  resample_min_units: 10\n", "utf-8")
    cells = explore_drivers_cells(tmp_path, YEAR, "S", paths.interim, paths.processed)

    def shown(cell_id: str) -> str:
        return "".join(
            "".join(out.get("data", {}).get("text/plain", "")) + "".join(out.get("text", ""))
            for out in cells[cell_id]["outputs"]
        )

    # x1's relative weight and LMG 2/3, x2's 1/6; R² 5/6 (see the hand-worked case above)
    questions = shown("questions")
    assert "x1" in questions and "0.666667" in questions and "0.166667" in questions
    assert "0.833333" in questions
    areas = shown("areas")
    assert "Arbetsmiljö" in areas and "Lön" in areas and "0.666667" in areas
    assert "question" in shown("rank-agreement") and "area" in shown("rank-agreement")
    assert any("image/png" in out.get("data", {}) for out in cells["rw-vs-lmg"]["outputs"])
    assert "S: basis (inga rader)" in shown("published-matrix")
