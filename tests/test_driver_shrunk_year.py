"""Every unit's and manager's own priority matrix, shrunk towards its parent's (drivers stage).

A small organisation (F > O1 > S1, S1a, S2, S3; F > O2 > S4, S5) with "vet
ej" holes goes through ingest, indexes and drivers with the default
``drivers.shrinkage: empirical_bayes``. Checked against arithmetic done here
from the answers (available-case correlations, the eigenvalue route to
Johnson's weights) with the stage's tau2 and noise from drivers.json, and
against the auditor's independent recomputation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_drivers import (
    EFFECTS_6,
    SIZES,
    YEAR,
    make_survey,
    questions_frame,
    run_stages,
    simulate_answers,
    units_frame,
)

from analysis.audit.check_drivers import audit_drivers
from analysis.audit.published import read_published_drivers
from analysis.audit.recomputation import Recomputation
from analysis.core.params import params_from_dict

#: each school's two locally strong drivers (S1a, a work group of S1, shares S1's)
LOCAL = {"S1": (4, 5), "S1a": (4, 5), "S2": (3, 4), "S3": (5, 2), "S4": (2, 3), "S5": (4, 3)}


def planted_answers(rng: np.random.Generator) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The small organisation's answers, each school with two strong drivers of its own."""
    parts = []
    for unit, size in SIZES.items():
        effects = EFFECTS_6.copy()
        for j in LOCAL.get(unit, ()):
            effects[j] += 0.6
        part, motivation, drivers = simulate_answers(rng, {unit: size}, effects, missing=0.08)
        parts.append(part)
    answers = pd.concat(parts, ignore_index=True)
    answers["respondent_id"] = [f"r{YEAR}-{i:05d}" for i in range(len(answers))]
    return answers, motivation, drivers


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory):
    answers, motivation, drivers = planted_answers(np.random.default_rng(5))
    data = make_survey(questions_frame(motivation, drivers), units_frame(), answers)
    tmp = tmp_path_factory.mktemp("shrunk")
    paths, csv_path = run_stages(data, tmp)
    notes = json.loads((paths.processed_year(YEAR) / "drivers.json").read_text("utf-8"))
    table = pd.read_parquet(paths.processed_year(YEAR) / "drivers.parquet")
    return data, answers, drivers, motivation, notes, table, csv_path


#: each unit's and manager's depth below F (len(lenders): a manager's home unit's depth + 1);
#: r1 and r4 lead exactly S1's and S4's respondents, so they share those schools' matrices
DEPTH = {"O1": 1, "O2": 1, "S1": 2, "S2": 2, "S3": 2, "S4": 2, "S5": 2, "S1a": 3}
DEPTH |= {"manager:o1": 2, "manager:r23": 2, "manager:r1": 2, "manager:r4": 2}


def own_weight(notes: dict, unit: str) -> float:
    """w = tau2 / (tau2 + v) with the tau2 of the unit's depth, v as recorded."""
    tau2 = notes["shrinkage"]["tau2"].get(str(DEPTH[unit]), 0.0)
    return tau2 / (tau2 + notes["shrinkage"]["noise"][unit]) if tau2 > 0 else 0.0


def available_case(values: np.ndarray) -> np.ndarray:
    """Correlations: each column's mean and spread over who answered it, each
    covariance over who answered both (about those means); NaN for thin pairs."""
    valid = ~np.isnan(values)
    q = values.shape[1]
    corr = np.eye(q)
    mean = np.array([values[valid[:, j], j].mean() for j in range(q)])
    sd = np.array([values[valid[:, j], j].std() for j in range(q)])
    for i in range(q):
        for j in range(i + 1, q):
            both = valid[:, i] & valid[:, j]
            if both.sum() < 10:
                corr[i, j] = corr[j, i] = np.nan
                continue
            cov = np.mean((values[both, i] - mean[i]) * (values[both, j] - mean[j]))
            corr[i, j] = corr[j, i] = cov / (sd[i] * sd[j])
    return corr


def johnson_shares(corr: np.ndarray) -> np.ndarray:
    """Relative weights as shares: Λ = Rxx^½, β = Λ⁻¹ r_xy, weight_j = Σ_k Λ_jk² β_k²."""
    value, vector = np.linalg.eigh(corr[1:, 1:])
    root = vector @ np.diag(np.sqrt(value)) @ vector.T
    beta = np.linalg.solve(root, corr[1:, 0])
    weights = root**2 @ beta**2
    return weights / weights.sum()


def unit_values(answers: pd.DataFrame, units: list[str], motivation, drivers) -> np.ndarray:
    rows = answers[answers["unit_id"].isin(units)]
    outcome = (rows[motivation].mean(axis=1) - 1) / 4 * 100
    return np.column_stack([outcome, rows[drivers].to_numpy(float)])


def test_schools_and_managers_carry_their_own_shrunk_matrix(staged) -> None:
    _, _, _, _, notes, table, _ = staged
    basis = table.groupby("unit_id")["basis"].first()
    weight = table.groupby("unit_id")["own_weight"].first()
    assert basis["F"] == "own" and weight["F"] == 1.0
    # every unit and manager below F with 10+ respondents is measured (S5: 20, S1a: 30)
    measured = set(notes["shrinkage"]["noise"])
    assert {"O1", "O2", "S1", "S1a", "S2", "S3", "S4", "S5"} <= measured
    assert notes["shrinkage"]["tau2"]["2"] > 0  # the schools differ from their område
    # S1a (like S1) is the only unit at depth 3: its depth's spread rests on it alone
    assert notes["shrinkage"]["tau2"]["3"] < notes["shrinkage"]["tau2"]["2"]
    for unit in basis.index.drop("F"):  # rows where all its scores are published
        w = own_weight(notes, unit)
        if w > 0:
            assert basis[unit] == "shrunk" and weight[unit] == pytest.approx(w, abs=1e-15)
            assert notes["shrinkage"]["towards"][unit] in ("F", "O1", "O2", "S1", "S4")
        else:  # its matrix is its parent's: it shows the parent's analysis
            assert basis[unit] == "borrowed" and weight[unit] == 0.0
            assert notes["borrowed"][unit]["code"] == "like_parent"
    schools = [u for u in basis.index if DEPTH.get(u) == 2 and not u.startswith("manager:")]
    assert schools and all(basis[u] == "shrunk" for u in schools)


def test_a_school_s_importances_follow_the_rule_by_hand(staged) -> None:
    _, answers, drivers, motivation, notes, table, _ = staged

    def mix(own: np.ndarray, parent: np.ndarray, w: float) -> np.ndarray:
        return np.where(np.isnan(own), parent, w * own + (1 - w) * parent)

    everyone = ["F", "O1", "S1", "S1a", "S2", "S3", "O2", "S4", "S5"]
    f = available_case(unit_values(answers, everyone, motivation, drivers))
    o1_units = ["O1", "S1", "S1a", "S2", "S3"]
    w_o1 = own_weight(notes, "O1")
    o1 = mix(available_case(unit_values(answers, o1_units, motivation, drivers)), f, w_o1)
    # S1's subtree is S1 and S1a; its parent's matrix is O1's (F's, were O1's weight 0)
    s1 = mix(
        available_case(unit_values(answers, ["S1", "S1a"], motivation, drivers)),
        o1,
        own_weight(notes, "S1"),
    )
    checked = [("S1", s1)] + ([("O1", o1)] if w_o1 > 0 else [])
    for unit, matrix in checked:
        assert np.linalg.eigvalsh(matrix).min() > 1e-6  # no repair was needed
        published = table[table["unit_id"] == unit].set_index("question_id")["importance"]
        np.testing.assert_allclose(
            published[drivers].to_numpy(), johnson_shares(matrix), atol=1e-10
        )
    # S1's two own drivers rank higher in its matrix than in its område's
    rank = {u: table[table["unit_id"] == u].set_index("question_id")["importance"] for u in ("S1",)}
    own_two = [drivers[j] for j in LOCAL["S1"]]
    assert rank["S1"][own_two].sum() > johnson_shares(o1)[list(LOCAL["S1"])].sum()


def test_the_auditor_recomputes_every_shrunk_matrix(staged) -> None:
    data, _, _, _, _, _, csv_path = staged
    raw = {"drivers": {"min_n": 50, "bootstrap": 100, "seed": 11}}
    recomputation = Recomputation(data, params_from_dict(raw))
    published = read_published_drivers(Path(csv_path))
    result = audit_drivers(published, YEAR, recomputation, None, str(csv_path))
    assert result.mismatches == []
    assert result.rows_checked == len(published) > 0
    assert {"own", "shrunk"} <= set(published["basis"]) <= {"own", "shrunk", "borrowed"}


def test_without_shrinkage_small_units_borrow_as_before(staged, tmp_path: Path) -> None:
    data = staged[0]
    _, csv_path = run_stages(data, tmp_path, shrinkage="none")
    table = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    basis = table.groupby("unit_id")["basis"].first()
    assert basis["S1a"] == "borrowed" and basis["S4"] == "own"  # 30 and 150 against min_n 50
    assert set(table.loc[table["basis"] == "borrowed", "own_weight"].astype(float)) == {0.0}


def test_two_worker_processes_give_the_same_numbers(staged) -> None:
    from analysis.drivers.borrowing import analyse_year

    data = staged[0]
    params = params_from_dict({"drivers": {"min_n": 50, "bootstrap": 50, "seed": 11}})
    one, two = analyse_year(data, params, YEAR, jobs=1), analyse_year(data, params, YEAR, jobs=2)
    assert one.tau2 == two.tau2 and one.noise == two.noise and one.towards == two.towards
    assert set(one.analyses) == set(two.analyses) and len(one.noise) >= 8
    for unit, analysis in one.analyses.items():
        other = two.analyses[unit]
        for field in ("importance", "ci_low", "ci_high", "p_high", "p_random", "correlations"):
            assert np.array_equal(getattr(analysis, field), getattr(other, field)), (unit, field)


def test_the_explore_notebook_sets_a_school_s_published_matrix_beside_its_own(
    staged, tmp_path: Path
) -> None:
    """notebooks/explore_drivers.ipynb's last section shows S2's published (shrunk)
    importances, O1's, and S2's basis and own weight exactly as drivers.parquet has them."""
    from test_method_comparison import explore_drivers_cells

    _, _, _, _, notes, table, csv_path = staged
    stage_dir = Path(csv_path).parents[2]  # <tmp>/processed/<year>/drivers.csv
    (tmp_path / "params.yaml").write_text("drivers:\n  min_n: 50\n", "utf-8")
    cells = explore_drivers_cells(
        tmp_path, YEAR, "S2", stage_dir / "interim", stage_dir / "processed"
    )
    cell = cells["published-matrix"]
    shown = "".join(
        "".join(out.get("data", {}).get("text/plain", "")) + "".join(out.get("text", ""))
        for out in cell["outputs"]
    )
    s2 = table[table["unit_id"] == "S2"].set_index("question_id")
    assert f"S2: basis shrunk, own_weight {s2['own_weight'].iloc[0]}" in shown
    assert notes["shrinkage"]["towards"]["S2"] == "O1" and "krympt mot O1" in shown
    o1 = table[table["unit_id"] == "O1"].set_index("question_id")
    for question in s2.index:  # pandas prints six decimals
        assert f"{s2.loc[question, 'importance']:.6f}" in shown
        assert f"{o1.loc[question, 'importance']:.6f}" in shown


def test_a_school_s_intervals_carry_its_parent_s_uncertainty(staged) -> None:
    """Each resample of a shrunk school is mixed with its parent's resample of the same
    number (the parent's own mixed with the förvaltning's), not with a fixed matrix."""
    from analysis.drivers.bootstrap import analyse_rows
    from analysis.drivers.borrowing import analyse_year
    from analysis.drivers.shrinkage import Prior

    data = staged[0]
    params = params_from_dict({"drivers": {"min_n": 50, "bootstrap": 200, "seed": 11}})
    settings = params.drivers
    year = analyse_year(data, params, YEAR)
    rows = {t.target_id: t.positions for t in year.targets}
    schools = [u for u in ("S1", "S2", "S3", "S4", "S5") if u in year.towards]
    school = min(schools, key=lambda u: year.analyses[u].own_weight)  # the most its parent's
    chain = [school]
    while chain[-1] in year.towards:
        chain.append(year.towards[chain[-1]])
    assert chain[-1] == "F" and len(chain) >= 2
    # by hand, top down: each unit's resamples mixed with its parent's kept ones
    stack = analyse_rows(year.sample, rows["F"], settings, "F", keep_matrices=True)
    stack = stack.resampled_correlations
    for unit in reversed(chain[:-1]):
        published = year.analyses[unit]
        prior = Prior(year.analyses[year.towards[unit]].correlations, published.own_weight, stack)
        nested = analyse_rows(year.sample, rows[unit], settings, unit, prior, keep_matrices=True)
        stack = nested.resampled_correlations
        for field in ("importance", "ci_low", "ci_high", "p_high", "p_random", "p_negative"):
            np.testing.assert_allclose(
                getattr(nested, field), getattr(published, field), atol=1e-15, err_msg=field
            )
        assert published.resampled_correlations is None  # not kept past the stage
    # held fixed, the parent's matrix would make the school's intervals narrower
    held = analyse_rows(
        year.sample, rows[school], settings, school, Prior(prior.correlations, prior.weight)
    )
    width = nested.ci_high - nested.ci_low
    assert np.mean(width) > 1.03 * np.mean(held.ci_high - held.ci_low)
