"""Relative weights, LMG and the cross-checks against published and hand-worked values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.drivers.relweights import (
    MAX_LMG_DRIVERS,
    DriverAnalysisError,
    driver_correlations,
    johnson_weights,
    lmg,
    ols_standardised,
    relative_weights,
    relative_weights_from_corr,
)

SWISS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "swiss.csv"
SWISS_DRIVERS = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]
# R relaimpo 2.2-7, calc.relimp(Fertility ~ ., swiss, type = c("genizi", "lmg")).
SWISS_R2 = 0.7067350016
SWISS_RW = [0.04841689581, 0.15470824981, 0.27196410465, 0.11468002995, 0.11696572138]
SWISS_LMG = [0.05709122077, 0.17117302890, 0.26013467862, 0.10557015037, 0.11276592293]


@pytest.fixture(scope="module")
def swiss() -> pd.DataFrame:
    return pd.read_csv(SWISS, index_col=0)


# ---------------------------------------------------------------- references


def test_swiss_relative_weights_match_relaimpo(swiss: pd.DataFrame) -> None:
    result = relative_weights(swiss[SWISS_DRIVERS], swiss["Fertility"])
    np.testing.assert_allclose(result.weights.to_numpy(), SWISS_RW, rtol=0, atol=1e-9)
    assert result.r2 == pytest.approx(SWISS_R2, abs=1e-9)
    assert list(result.weights.index) == SWISS_DRIVERS
    assert result.n_used == 47


def test_swiss_lmg_matches_relaimpo(swiss: pd.DataFrame) -> None:
    result = lmg(swiss[SWISS_DRIVERS], swiss["Fertility"])
    np.testing.assert_allclose(result.weights.to_numpy(), SWISS_LMG, rtol=0, atol=1e-9)
    assert result.r2 == pytest.approx(SWISS_R2, abs=1e-9)


def test_two_drivers_by_hand() -> None:
    # Rxx = [[1, .6], [.6, 1]], rxy = (.5, .3).
    # Eigenvalues 1.6 and 0.4, so Λ = Rxx^½ = [[c, d], [d, c]] with
    # c = (√1.6 + √0.4)/2 = 3/√10 and d = (√1.6 − √0.4)/2 = 1/√10 (c² = .9, d² = .1).
    # Λ⁻¹ = [[c, −d], [−d, c]] / √(1 − .36) = [[c, −d], [−d, c]] / .8, so
    # β1 = (3·.5 − .3)/(.8√10) = 1.5/√10 (β1² = .225) and
    # β2 = (3·.3 − .5)/(.8√10) = 0.5/√10 (β2² = .025).
    # weight1 = c²β1² + d²β2² = .9·.225 + .1·.025 = .205
    # weight2 = d²β1² + c²β2² = .1·.225 + .9·.025 = .045
    # R² = (.25 + .09 − 2·.5·.3·.6)/(1 − .36) = .16/.64 = .25 = .205 + .045.
    # With two drivers relative weights equal LMG: ½(.25 + (.25 − .09)) = .205.
    result = relative_weights_from_corr(np.array([[1, 0.6], [0.6, 1]]), np.array([0.5, 0.3]))
    np.testing.assert_allclose(result.weights.to_numpy(), [0.205, 0.045], rtol=0, atol=1e-14)
    assert result.r2 == pytest.approx(0.25, abs=1e-14)
    np.testing.assert_allclose(result.importance.to_numpy(), [0.82, 0.18], rtol=0, atol=1e-13)
    assert list(result.weights.index) == ["x1", "x2"]


def test_uncorrelated_drivers_get_their_squared_correlations() -> None:
    # With Rxx = I each driver's weight is its squared correlation with y.
    rxy = np.array([0.4, -0.3, 0.1])
    result = relative_weights_from_corr(np.eye(3), rxy, ["a", "b", "c"])
    np.testing.assert_allclose(result.weights.to_numpy(), rxy**2, atol=1e-15)


def test_weights_from_a_correlation_matrix_equal_weights_from_the_data(swiss) -> None:
    corr = swiss[["Fertility", *SWISS_DRIVERS]].corr()
    from_corr = relative_weights_from_corr(
        corr.loc[SWISS_DRIVERS, SWISS_DRIVERS], corr.loc[SWISS_DRIVERS, "Fertility"]
    )
    from_data = relative_weights(swiss[SWISS_DRIVERS], swiss["Fertility"])
    np.testing.assert_allclose(from_corr.weights, from_data.weights, rtol=0, atol=1e-12)
    assert list(from_corr.weights.index) == SWISS_DRIVERS
    assert from_corr.n_used is None


def test_two_drivers_relative_weights_equal_lmg_on_data() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2)) @ np.array([[1.0, 0.5], [0.0, 1.0]])
    y = X @ np.array([0.7, -0.2]) + rng.normal(size=200)
    np.testing.assert_allclose(
        relative_weights(X, y).weights, lmg(X, y).weights, rtol=0, atol=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=2, max_value=8), st.integers(min_value=0, max_value=10_000))
def test_weights_are_nonnegative_and_sum_to_the_ols_r2(p: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, p)) @ rng.normal(size=(p, p))
    y = X @ rng.normal(size=p) + rng.normal(size=60) * 2
    result = relative_weights(X, y)
    design = np.column_stack([np.ones(60), X])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    ols_r2 = 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert result.r2 == pytest.approx(ols_r2, abs=1e-10)
    assert result.weights.sum() == pytest.approx(result.r2, abs=1e-12)
    assert (result.weights >= -1e-15).all()
    assert result.importance.sum() == pytest.approx(1.0, abs=1e-12)
    # Linear rescaling of a driver (1-5 answers vs 0-100 indexes) changes nothing.
    rescaled = relative_weights(X * 25 - 25, y)
    np.testing.assert_allclose(rescaled.weights, result.weights, atol=1e-10)


def test_batched_weights_equal_one_by_one() -> None:
    rng = np.random.default_rng(2)
    mats = []
    for _ in range(5):
        data = rng.normal(size=(50, 5))
        mats.append(np.corrcoef(data, rowvar=False))
    stack = np.array(mats)
    batched = johnson_weights(stack[:, 1:, 1:], stack[:, 1:, 0])
    for k, corr in enumerate(mats):
        single = relative_weights_from_corr(corr[1:, 1:], corr[1:, 0]).weights.to_numpy()
        np.testing.assert_allclose(batched[k], single, atol=1e-14)


def test_listwise_deletion_and_n_used(swiss: pd.DataFrame) -> None:
    holed = swiss.copy()
    holed.iloc[[0, 5], 1] = np.nan  # Agriculture missing for two provinces
    holed.iloc[7, 0] = np.nan  # Fertility missing for one
    result = relative_weights(holed[SWISS_DRIVERS], holed["Fertility"])
    assert result.n_used == 44
    complete = holed.dropna()
    expected = relative_weights(complete[SWISS_DRIVERS], complete["Fertility"])
    np.testing.assert_allclose(result.weights, expected.weights, atol=1e-15)


# -------------------------------------------------------------- degenerate


def test_a_constant_driver_is_named() -> None:
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"q1": rng.normal(size=30), "q2": 4.0, "q3": rng.normal(size=30)})
    with pytest.raises(DriverAnalysisError, match=r"without variance.*\['q2'\]"):
        relative_weights(X, X["q1"] + rng.normal(size=30))


def test_collinear_drivers_are_named() -> None:
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"q1": rng.normal(size=30), "q2": rng.normal(size=30)})
    X["q3"] = 2 * X["q1"] - X["q2"]  # an exact linear combination
    X["q4"] = rng.normal(size=30)
    with pytest.raises(DriverAnalysisError, match=r"collinear.*\['q1', 'q2', 'q3'\]"):
        relative_weights(X, X["q1"] + rng.normal(size=30))


def test_too_few_respondents_for_the_drivers() -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(4, 3))
    with pytest.raises(DriverAnalysisError, match=r"only 4 complete respondents for 3 drivers"):
        relative_weights(X, rng.normal(size=4))


def test_a_constant_outcome_is_refused() -> None:
    X = np.random.default_rng(6).normal(size=(20, 2))
    with pytest.raises(DriverAnalysisError, match="outcome has the same value"):
        relative_weights(X, np.full(20, 3.0))


def test_an_invalid_correlation_matrix_is_refused() -> None:
    with pytest.raises(DriverAnalysisError, match="unit diagonal"):
        relative_weights_from_corr(np.array([[2.0, 0.1], [0.1, 1.0]]), np.array([0.2, 0.1]))
    with pytest.raises(DriverAnalysisError, match="not a valid"):
        # Drivers uncorrelated, yet both correlate .9 with y: impossible (R² would be 1.62).
        relative_weights_from_corr(np.eye(2), np.array([0.9, 0.9]))
    with pytest.raises(DriverAnalysisError, match="NaN"):
        relative_weights_from_corr(np.eye(2), np.array([np.nan, 0.1]))


def test_lmg_refuses_too_many_drivers() -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(100, MAX_LMG_DRIVERS + 1))
    with pytest.raises(DriverAnalysisError, match=r"only offered up to 15 drivers"):
        lmg(X, rng.normal(size=100))


def test_lmg_of_many_drivers_sums_to_r2_and_is_close_to_relative_weights() -> None:
    rng = np.random.default_rng(8)
    X = rng.normal(size=(500, 10)) + rng.normal(size=(500, 1))
    y = X @ np.linspace(1, 0, 10) + rng.normal(size=500) * 3
    shapley, johnson = lmg(X, y), relative_weights(X, y)
    assert shapley.weights.sum() == pytest.approx(johnson.r2, abs=1e-12)
    # Johnson (2000): relative weights approximate LMG closely.
    np.testing.assert_allclose(shapley.weights, johnson.weights, atol=0.01)


# ------------------------------------------------------------ cross-checks


def test_standardised_betas_and_clustered_errors_by_hand(swiss: pd.DataFrame) -> None:
    frame = swiss.assign(canton=np.arange(len(swiss)) % 6)
    out = ols_standardised(frame, "Fertility", SWISS_DRIVERS, cluster="canton")
    values = frame[["Fertility", *SWISS_DRIVERS]].to_numpy()
    z = (values - values.mean(axis=0)) / values.std(axis=0, ddof=1)
    design = np.column_stack([np.ones(len(z)), z[:, 1:]])
    beta = np.linalg.solve(design.T @ design, design.T @ z[:, 0])
    np.testing.assert_allclose(out["beta"], beta[1:], atol=1e-12)
    # Cluster-robust (CR1) sandwich: (X'X)⁻¹ Σ_g X_g'u_g u_g'X_g (X'X)⁻¹ · G/(G−1) · (N−1)/(N−K).
    resid = z[:, 0] - design @ beta
    bread = np.linalg.inv(design.T @ design)
    meat = sum(
        np.outer(design[g].T @ resid[g], design[g].T @ resid[g])
        for g in (frame["canton"].to_numpy() == c for c in range(6))
    )
    n, k, groups = len(z), design.shape[1], 6
    cov = bread @ meat @ bread * groups / (groups - 1) * (n - 1) / (n - k)
    np.testing.assert_allclose(out["se"], np.sqrt(np.diag(cov))[1:], rtol=1e-10)
    assert out.attrs["n_used"] == 47 and out.attrs["n_clusters"] == 6
    assert out.attrs["r2"] == pytest.approx(SWISS_R2, abs=1e-9)
    plain = ols_standardised(frame, "Fertility", SWISS_DRIVERS)
    sigma2 = (resid**2).sum() / (n - k)
    np.testing.assert_allclose(plain["se"], np.sqrt(np.diag(bread) * sigma2)[1:], rtol=1e-10)


def test_driver_correlations_listwise_and_pairwise(swiss: pd.DataFrame) -> None:
    holed = swiss.copy()
    holed.iloc[0, 1] = np.nan  # Agriculture missing for Courtelary
    listwise = driver_correlations(holed, "Fertility", SWISS_DRIVERS)
    pairwise = driver_correlations(holed, "Fertility", SWISS_DRIVERS, listwise=False)
    complete = holed.dropna()
    for driver in SWISS_DRIVERS:
        r = np.corrcoef(complete["Fertility"], complete[driver])[0, 1]
        assert listwise.loc[driver, "r"] == pytest.approx(r, abs=1e-14)
    assert (listwise["n"] == 46).all()
    assert pairwise.loc["Examination", "n"] == 47
    full = np.corrcoef(swiss["Fertility"], swiss["Examination"])[0, 1]
    assert pairwise.loc["Examination", "r"] == pytest.approx(full, abs=1e-14)
    assert pairwise.loc["Agriculture", "n"] == 46
