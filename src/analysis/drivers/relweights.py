"""Johnson's relative weights, and the methods an analyst compares them with.

Relative weights are the published importance (contract §4): each driver's
share of the explained variance R² of the outcome. They are computed from the
correlation matrix, so the same code serves one sample and a batch of bootstrap
resamples (``johnson_weights`` is vectorised over leading axes).

The cross-checks - exact LMG/Shapley, standardised OLS betas with
cluster-robust errors, plain correlations - are here so a notebook can put the
methods side by side; none of them is published.

Degenerate input never yields NaN or a silently wrong number: a driver without
variance, perfectly collinear drivers, too few respondents or an outcome that
nothing explains raise ``DriverAnalysisError`` naming the questions involved.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache, wraps
from typing import ParamSpec, TypeVar

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from analysis.core.contract import (
    COLLINEAR,
    CONSTANT_OUTCOME,
    INVALID,
    NO_VARIANCE,
    NOTHING_EXPLAINED,
    TOO_FEW,
)
from analysis.core.errors import UserError

P = ParamSpec("P")
R = TypeVar("R")

#: exact LMG evaluates R² on all 2^p subsets; above this it is refused.
MAX_LMG_DRIVERS = 15
#: an eigenvalue of the driver correlation matrix below this (relative to the
#: largest) means the drivers are linearly dependent in the sample.
COLLINEARITY_TOL = 1e-10
#: a sample standard deviation at or below this (relative to the scale of
#: the values) counts as no variance at all.
ZERO_VARIANCE_TOL = 1e-12
#: an R² at or below this leaves nothing to share out as importance.
ZERO_R2_TOL = 1e-12


class DriverAnalysisError(UserError, ValueError):
    """The drivers cannot be analysed as asked; the message names what and why.

    ``code`` says which kind of problem (a code of :mod:`analysis.core.contract`,
    which the reports explain in Swedish), ``questions`` the question
    ids to blame, so that a report can explain it without parsing the text.
    """

    def __init__(self, message: str, code: str = INVALID, questions: tuple[str, ...] = ()):
        super().__init__(message)
        self.code = code
        self.questions = tuple(questions)


@dataclass(frozen=True)
class RelativeWeights:
    """Johnson's relative weights of one outcome on its drivers.

    ``weights`` (indexed by driver) sum to ``r2``; ``importance`` is the same
    split normalised to sum to 1. ``n_used`` is the number of complete rows
    the correlations rest on (None when computed from a correlation matrix).
    """

    weights: pd.Series
    r2: float
    n_used: int | None = None

    @property
    def importance(self) -> pd.Series:
        return (self.weights / self.r2).rename("importance")


# ---------------------------------------------------------------- core maths


def johnson_weights(rxx: np.ndarray, rxy: np.ndarray, tol: float = COLLINEARITY_TOL) -> np.ndarray:
    """Relative weights from correlations, batched over any leading axes.

    Johnson (2000): with the symmetric square root Λ = Rxx^½, the orthogonal
    counterparts Z of the drivers have regression weights β = Λ⁻¹ rxy on the
    outcome, and driver j's weight is Σ_k Λ_jk² β_k². Eigenvalues at or below
    ``tol`` × the largest are treated as exact zeros (a pseudo-inverse): that
    is the limit for an exactly collinear bootstrap resample, where the
    dependent drivers share their common part. Point estimates never get
    there - ``check_correlations`` refuses singular matrices first.

    rxx: (..., p, p) driver correlations; rxy: (..., p) driver-outcome
    correlations. Returns (..., p) weights summing to R².

    The decomposition is LAPACK's symmetric eigen-solver (``eigh``), about twice as fast
    as an SVD on the bootstrap's thousands of small matrices -- on one BLAS thread;
    with OpenBLAS threads competing for busy cores it runs many times slower, so the
    bootstraps run it under :func:`one_blas_thread`.
    """
    return weights_and_regression(rxx, rxy, tol)[0]


def weights_and_regression(
    rxx: np.ndarray, rxy: np.ndarray, tol: float = COLLINEARITY_TOL
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`johnson_weights` and the standardised regression weights Rxx⁺ rxy, from one
    decomposition (the bootstrap needs both per resample: the second for the drivers'
    signs)."""
    eigval, eigvec = np.linalg.eigh(rxx)
    # largest first; a round-off negative eigenvalue of a semi-definite matrix is a zero
    eigval, eigvec = np.maximum(eigval[..., ::-1], 0.0), eigvec[..., ::-1]
    keep = eigval > tol * eigval[..., :1]
    root = np.sqrt(np.where(keep, eigval, 0.0))
    inv_root = np.where(keep, 1.0 / np.where(keep, root, 1.0), 0.0)
    eigvec_t = np.swapaxes(eigvec, -1, -2)
    lam = (eigvec * root[..., None, :]) @ eigvec_t
    projected = (eigvec_t @ rxy[..., None])[..., 0]
    beta = (eigvec @ (inv_root * projected)[..., None])[..., 0]
    regression = (eigvec @ (inv_root**2 * projected)[..., None])[..., 0]
    return ((lam**2) @ (beta**2)[..., None])[..., 0], regression


def one_blas_thread() -> AbstractContextManager[object]:
    """BLAS limited to one thread for a block of many small decompositions (see
    :func:`johnson_weights`); the stage commands pin it for the whole process already."""
    return _blas_controller().limit(limits=1, user_api="blas")


def on_one_blas_thread(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run under :func:`one_blas_thread` (the bootstraps and null draws)."""

    @wraps(function)
    def pinned(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_blas_thread():
            return function(*args, **kwargs)

    return pinned


@cache
def _blas_controller() -> ThreadpoolController:
    """The process's BLAS libraries, found once (finding them costs ~2 ms a call)."""
    return ThreadpoolController()


def subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R² of the outcome on every subset of drivers; entry ``mask`` = bit set of drivers."""
    p = len(rxy)
    masks = np.arange(2**p)
    members = ((masks[:, None] >> np.arange(p)) & 1).astype(bool)
    sizes = members.sum(axis=1)
    r2 = np.zeros(2**p)
    for k in range(1, p + 1):
        rows = np.flatnonzero(sizes == k)
        idx = np.nonzero(members[rows])[1].reshape(len(rows), k)
        sub = rxx[idx[:, :, None], idx[:, None, :]]
        r = rxy[idx]
        solved = np.linalg.solve(sub, r[..., None])[..., 0]
        r2[rows] = (r * solved).sum(axis=1)
    return r2


def shapley_from_subsets(r2: np.ndarray, p: int) -> np.ndarray:
    """LMG: each driver's R² gain averaged over all orders of entry (Shapley value)."""
    masks = np.arange(2**p)
    sizes = np.array([bin(m).count("1") for m in masks])
    fact = np.array([math.factorial(k) for k in range(p + 1)], dtype=float)
    out = np.zeros(p)
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        share = fact[sizes[without]] * fact[p - sizes[without] - 1] / fact[p]
        out[j] = np.sum(share * (r2[without | (1 << j)] - r2[without]))
    return out


# ----------------------------------------------------------------- checking


def check_correlations(rxx: np.ndarray, rxy: np.ndarray, names: list[str]) -> None:
    """Refuse a correlation matrix that cannot give well-defined relative weights."""
    p = len(names)
    if rxx.shape != (p, p) or rxy.shape != (p,):
        raise DriverAnalysisError(
            f"correlation shapes {rxx.shape} and {rxy.shape} do not match {p} drivers"
        )
    if not (np.all(np.isfinite(rxx)) and np.all(np.isfinite(rxy))):
        raise DriverAnalysisError("the correlation matrix contains NaN or infinite values")
    if not np.allclose(rxx, rxx.T, atol=1e-12) or not np.allclose(np.diag(rxx), 1.0, atol=1e-12):
        raise DriverAnalysisError("Rxx must be a symmetric correlation matrix with unit diagonal")
    spectrum = np.linalg.eigvalsh(rxx)
    if spectrum[0] <= COLLINEARITY_TOL * spectrum[-1]:
        eigval, eigvec = np.linalg.eigh(rxx)  # the vectors name the dependent drivers
        dependent = np.flatnonzero(eigval <= COLLINEARITY_TOL * eigval[-1])
        involved = np.flatnonzero(np.abs(eigvec[:, dependent]).max(axis=1) > 0.05)
        raise DriverAnalysisError(
            "drivers are perfectly collinear (one is a linear combination of the others), "
            f"so their separate importances are undefined: {[names[i] for i in involved]}",
            COLLINEAR,
            tuple(names[i] for i in involved),
        )
    full = np.block([[np.ones((1, 1)), rxy[None, :]], [rxy[:, None], rxx]])
    if np.linalg.eigvalsh(full)[0] < -1e-9:
        raise DriverAnalysisError("the correlations are not a valid (positive semi-definite) set")


def sample_correlations(
    outcome: np.ndarray, drivers: np.ndarray, names: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Correlations of complete rows, refusing constant columns and too few rows."""
    n, p = drivers.shape
    if n <= p + 1:
        raise DriverAnalysisError(
            f"only {n} complete respondents for {p} drivers; relative weights need more "
            f"respondents than drivers + 1 (at least {p + 2})",
            TOO_FEW,
        )
    values = np.column_stack([outcome, drivers])
    centred = values - values.mean(axis=0)
    spread = np.sqrt((centred**2).sum(axis=0) / (n - 1))
    scale = np.maximum(np.abs(values).max(axis=0), 1.0)
    constant = spread <= ZERO_VARIANCE_TOL * scale
    if constant[0]:
        raise DriverAnalysisError(
            f"the outcome has the same value for all {n} complete respondents; nothing to explain",
            CONSTANT_OUTCOME,
        )
    if constant[1:].any():
        flat = [names[i] for i in np.flatnonzero(constant[1:])]
        raise DriverAnalysisError(
            f"drivers without variance (every complete respondent gave the same answer): {flat}",
            NO_VARIANCE,
            tuple(flat),
        )
    corr = (centred.T @ centred) / np.outer(spread, spread) / (n - 1)
    corr = (corr + corr.T) / 2
    np.fill_diagonal(corr, 1.0)
    return corr[1:, 1:], corr[1:, 0]


def _complete_rows(X: pd.DataFrame | np.ndarray, y: pd.Series | np.ndarray):
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=float))
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise DriverAnalysisError(f"driver names are not unique: {names}")
    target = np.asarray(y, dtype=float)
    if target.shape != (len(frame),):
        raise DriverAnalysisError(f"y has shape {target.shape}; expected ({len(frame)},)")
    values = frame.to_numpy(dtype=float)
    complete = np.isfinite(target) & np.isfinite(values).all(axis=1)
    return values[complete], target[complete], names


# --------------------------------------------------------------- public API


def relative_weights_from_corr(
    rxx: np.ndarray | pd.DataFrame, rxy: np.ndarray | pd.Series, names: list[str] | None = None
) -> RelativeWeights:
    """Johnson's relative weights from the driver correlations and driver-outcome correlations."""
    if names is None:
        names = (
            [str(c) for c in rxx.columns]
            if isinstance(rxx, pd.DataFrame)
            else [f"x{i + 1}" for i in range(np.shape(rxx)[0])]
        )
    matrix = np.asarray(rxx, dtype=float)
    vector = np.asarray(rxy, dtype=float)
    check_correlations(matrix, vector, names)
    weights = johnson_weights(matrix, vector)
    r2 = float(weights.sum())
    if r2 <= ZERO_R2_TOL:
        raise DriverAnalysisError(
            "the drivers explain none of the outcome (R² = 0)", NOTHING_EXPLAINED
        )
    return RelativeWeights(pd.Series(weights, index=names, name="weight"), r2)


def relative_weights(X: pd.DataFrame | np.ndarray, y: pd.Series | np.ndarray) -> RelativeWeights:
    """Johnson's relative weights of ``y`` on the columns of ``X``, on complete rows (listwise)."""
    values, target, names = _complete_rows(X, y)
    rxx, rxy = sample_correlations(target, values, names)
    result = relative_weights_from_corr(rxx, rxy, names)
    return RelativeWeights(result.weights, result.r2, n_used=len(target))


def lmg(X: pd.DataFrame | np.ndarray, y: pd.Series | np.ndarray) -> RelativeWeights:
    """Exact LMG (Shapley decomposition of R²) on complete rows; refuses more than 15 drivers.

    Exact LMG needs R² for all 2^p driver subsets, which is instant for the
    handful of areas but infeasible for the ~30 questions: that is why relative
    weights, which approximate it closely, are what the reports publish.
    """
    values, target, names = _complete_rows(X, y)
    if len(names) > MAX_LMG_DRIVERS:
        raise DriverAnalysisError(
            f"exact LMG needs all 2^{len(names)} subsets of {len(names)} drivers; "
            f"it is only offered up to {MAX_LMG_DRIVERS} drivers (use relative_weights)"
        )
    rxx, rxy = sample_correlations(target, values, names)
    check_correlations(rxx, rxy, names)
    shares = shapley_from_subsets(subset_r2(rxx, rxy), len(names))
    r2 = float(shares.sum())
    if r2 <= ZERO_R2_TOL:
        raise DriverAnalysisError(
            "the drivers explain none of the outcome (R² = 0)", NOTHING_EXPLAINED
        )
    return RelativeWeights(pd.Series(shares, index=names, name="weight"), r2, n_used=len(target))


def ols_standardised(
    df: pd.DataFrame, outcome: str, drivers: list[str], cluster: str | None = None
) -> pd.DataFrame:
    """Standardised OLS betas (statsmodels), with unit-clustered standard errors if ``cluster``.

    Listwise on outcome, drivers and cluster. Returns one row per driver:
    ``beta, se, ci_low, ci_high, p_value``; ``attrs`` holds ``n_used``,
    ``r2`` and ``n_clusters``. Betas answer "what if this alone changed",
    which collinear survey questions make unstable - hence a cross-check only.
    """
    import statsmodels.api as sm

    missing = [c for c in [outcome, *drivers, *([cluster] if cluster else [])] if c not in df]
    if missing:
        raise DriverAnalysisError(f"columns not in the data: {missing}")
    sample = df[[outcome, *drivers, *([cluster] if cluster else [])]].dropna()
    values, target, names = _complete_rows(sample[drivers], sample[outcome])
    rxx, rxy = sample_correlations(target, values, names)
    check_correlations(rxx, rxy, names)
    columns = np.column_stack([target, values])
    z = (columns - columns.mean(axis=0)) / columns.std(axis=0, ddof=1)
    model = sm.OLS(z[:, 0], sm.add_constant(z[:, 1:], has_constant="add"))
    if cluster:
        groups = pd.factorize(sample[cluster])[0]
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
        n_clusters = int(groups.max()) + 1
    else:
        fit = model.fit()
        n_clusters = None
    conf = np.asarray(fit.conf_int())[1:]
    out = pd.DataFrame(
        {
            "beta": np.asarray(fit.params)[1:],
            "se": np.asarray(fit.bse)[1:],
            "ci_low": conf[:, 0],
            "ci_high": conf[:, 1],
            "p_value": np.asarray(fit.pvalues)[1:],
        },
        index=pd.Index(names, name="question_id"),
    )
    out.attrs.update(n_used=len(target), r2=float(fit.rsquared), n_clusters=n_clusters)
    return out


def driver_correlations(
    df: pd.DataFrame, outcome: str, drivers: list[str], listwise: bool = True
) -> pd.DataFrame:
    """Pearson correlation of each driver with the outcome, and the n it rests on.

    ``listwise=True`` uses the same complete rows as the relative weights, so
    the methods are compared on one sample; ``False`` uses every pair.
    """
    missing = [c for c in [outcome, *drivers] if c not in df]
    if missing:
        raise DriverAnalysisError(f"columns not in the data: {missing}")
    sample = df[[outcome, *drivers]].astype(float)
    if listwise:
        sample = sample.dropna()
    rows = []
    for driver in drivers:
        pair = sample[[outcome, driver]].dropna()
        if len(pair) < 3 or pair[driver].std() == 0 or pair[outcome].std() == 0:
            raise DriverAnalysisError(
                f"correlation of {driver!r} with {outcome!r} is undefined "
                f"({len(pair)} complete rows, or no variance)"
            )
        rows.append((driver, float(np.corrcoef(pair[outcome], pair[driver])[0, 1]), len(pair)))
    return pd.DataFrame(rows, columns=["question_id", "r", "n"]).set_index("question_id")
