"""Planted heterogeneity of the synthetic drivers: each unit's truth, and whether data finds it.

The truth (``driver_truth_units.csv``) is recomputed here by hand from the
catalogue's loadings and the file's planted effects, with numpy's eigen
decomposition and least squares, not with the generator's functions; the
recovery check reads only the published-shaped CSVs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.core.params import SynthParams
from analysis.drivers.relweights import johnson_weights
from analysis.synth import catalogue as cat
from analysis.synth.generate import generate
from analysis.synth.latent import LEADERSHIP_LOADING, MOTIVATION_R2
from analysis.synth.local_drivers import relative_weights

SMALL = SynthParams(
    seed=7, employees=600, grundskolor=4, gymnasieskolor=2, avdelningar=2, years=(2022, 2023)
)
OFF = {"local_effect": 0.0, "omrade_spread": 0.0, "group_effect": 0.0}
#: SHA-256 of SMALL's files with the heterogeneity off, written by the generator before
#: it existed (commit bbf5ee2): local_effect, group_effect and omrade_spread 0 must
#: reproduce them
BEFORE = {
    "questions.csv": "94a6dbd96d2e9b3dbdd2ba5b321be05b93dbedd7052381043f1e9940a4cfce77",
    "units.csv": "c3673fb1322875f5bee7b52de8a431025a6896f40bb2378dd3d189526a57483b",
    "responses.csv": "8d82fa14a37be2a1b01651b874faeb75b01d9a73d4508873e152e0c9d9c9d66a",
    "driver_truth.csv": "e289a128677df5a7ddb44d4e05ef15b64a4d8814c51b9a66f2f10d8ed752e8a3",
}
#: SHA-256 of SMALL's responses.csv (school drivers on) before work groups could have
#: drivers of their own (commit c555a78): with synth.group_effect 0 it must stay so
RESPONSES_BEFORE_GROUPS = "4085e9c2402f55671c0eeb0708a427da73d2f792f13e0fd88be90cf059948cdd"
SCHOOL_TYPES = ("grundskola", "gymnasieskola", "avdelning")
COLUMNS = ["unit_id", "question_id", "importance", "rank", "planted_effect", "local"]


def _generate(tmp_path_factory: pytest.TempPathFactory, name: str, **change: object) -> Path:
    out = tmp_path_factory.mktemp(name)
    generate(SynthParams(**{**SMALL.__dict__, **change}), out)
    return out


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory, "local_on")


@pytest.fixture(scope="module")
def groups_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SMALL with work groups' own drivers planted (off in the default)."""
    return _generate(tmp_path_factory, "groups_on", group_effect=0.8)


@pytest.fixture(scope="module")
def off_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory, "local_off", **OFF)


def _latest_units(directory: Path) -> pd.DataFrame:
    units = pd.read_csv(directory / "units.csv", dtype={"parent_id": str}, keep_default_na=False)
    return units[units["year"] == units["year"].max()].set_index("unit_id")


def _school_of(units: pd.DataFrame) -> dict[str, str]:
    """Each unit's workplace: its school or avdelning, else the unit itself (own staff)."""
    out = {}
    for unit in units.index:
        node = unit
        while node and units.at[node, "unit_type"] not in SCHOOL_TYPES:
            node = units.at[node, "parent_id"]
        out[unit] = node or unit
    return out


# --- (c) off: the files before, byte for byte; on: only the answers change ---------------


def test_without_heterogeneity_the_files_are_those_before_it_byte_for_byte(off_dir: Path) -> None:
    for name, digest in BEFORE.items():
        assert hashlib.sha256((off_dir / name).read_bytes()).hexdigest() == digest, name


def test_work_groups_without_effects_of_their_own_leave_the_answers_as_before(
    small_dir: Path,
) -> None:
    digest = hashlib.sha256((small_dir / "responses.csv").read_bytes()).hexdigest()
    assert digest == RESPONSES_BEFORE_GROUPS


def test_heterogeneity_changes_the_answers_only(small_dir: Path, off_dir: Path) -> None:
    for name in ("questions.csv", "units.csv", "driver_truth.csv"):
        assert (small_dir / name).read_bytes() == (off_dir / name).read_bytes(), name
    assert (small_dir / "responses.csv").read_bytes() != (off_dir / "responses.csv").read_bytes()
    # without deviations every unit's truth is the shared effects' (mixtures of one thing)
    truth = pd.read_csv(off_dir / "driver_truth_units.csv")
    spread = truth.groupby("question_id")["importance"].agg(lambda s: s.max() - s.min())
    assert spread.max() < 2e-6 and truth["local"].sum() == 0


# --- the truth file -------------------------------------------------------------------


def test_one_row_per_unit_and_2023_driver_question(small_dir: Path) -> None:
    truth = pd.read_csv(small_dir / "driver_truth_units.csv")
    assert list(truth.columns) == COLUMNS
    units = _latest_units(small_dir)
    staff = units["invited"].replace("", np.nan).astype(float).fillna(0.0)  # own members
    expected = units.index[(units["unit_type"] != "arbetsgrupp") | (staff > 0)]
    assert list(truth["unit_id"].unique()) == list(expected)  # tree order, staffed groups
    shared = pd.read_csv(small_dir / "driver_truth.csv")
    for _, rows in truth.groupby("unit_id"):
        assert list(rows["question_id"]) == list(shared["question_id"])
        assert sorted(rows["rank"]) == list(range(1, len(shared) + 1))
        by_rank = rows.sort_values("rank")["importance"]
        assert by_rank.is_monotonic_decreasing
    # the förvaltning's own effects are the shared ones of driver_truth.csv
    root = truth[truth["unit_id"] == expected[0]].set_index("question_id")
    assert np.allclose(root["planted_effect"], shared.set_index("question_id")["planted_effect"])


def test_each_schools_local_drivers_are_in_its_true_top_three(small_dir: Path) -> None:
    """(a): the local effect really moves a school's ranking, and only schools have one
    (work groups' are off by default)."""
    truth = pd.read_csv(small_dir / "driver_truth_units.csv")
    units = _latest_units(small_dir)
    kind = truth["unit_id"].map(units["unit_type"])
    schools = truth[kind.isin(SCHOOL_TYPES)]
    assert truth.loc[~kind.isin(SCHOOL_TYPES), "local"].sum() == 0
    local = schools[schools["local"] == 1]
    assert (local.groupby("unit_id").size() == SMALL.local_drivers).all()
    assert local["unit_id"].nunique() == 8
    assert (local["rank"] <= 3).all()
    # a school's effects are its område's plus the local effect on its local drivers
    effect = truth.set_index(["unit_id", "question_id"])["planted_effect"]
    for (unit, qid), row in schools.set_index(["unit_id", "question_id"]).iterrows():
        parent = units.at[unit, "parent_id"]
        added = SMALL.local_effect * row["local"]
        assert row["planted_effect"] == pytest.approx(effect[parent, qid] + added, abs=2e-6)
    # the områden deviate a little from the shared effects, never below 0
    omraden = truth[kind == "område"]
    root = truth[kind == "förvaltning"].set_index("question_id")["planted_effect"]
    deviation = omraden["planted_effect"].to_numpy() - root[omraden["question_id"]].to_numpy()
    assert 0 < np.abs(deviation).max() < 5 * SMALL.omrade_spread
    assert (omraden["planted_effect"] >= 0).all()


def test_each_work_group_adds_local_drivers_of_its_own_to_its_schools(groups_dir: Path) -> None:
    """With synth.group_effect above 0 a manager's matrix has something of its own to
    find: local drivers per work group, not its school's, that rank higher in the group
    than in its school (in the group's top four, mostly its top three)."""
    truth = pd.read_csv(groups_dir / "driver_truth_units.csv")
    units = _latest_units(groups_dir)
    groups = truth[truth["unit_id"].map(units["unit_type"]) == "arbetsgrupp"]
    assert groups["unit_id"].nunique() >= 10
    effect = truth.set_index(["unit_id", "question_id"])["planted_effect"]
    local = truth.set_index(["unit_id", "question_id"])["local"]
    rank = truth.set_index(["unit_id", "question_id"])["rank"]
    in_top3 = []
    for group, rows in groups.groupby("unit_id"):
        school = units.at[group, "parent_id"]
        own = rows.loc[rows["local"] == 1, "question_id"]
        assert len(own) == SMALL.group_drivers and not any(local[school, q] for q in own)
        for _, row in rows.iterrows():
            added = 0.8 * row["local"]
            assert row["planted_effect"] == pytest.approx(
                effect[school, row["question_id"]] + added, abs=2e-6
            )
        for question in own:
            assert rank[group, question] <= min(4, rank[school, question])
            in_top3.append(rank[group, question] <= 3)
    assert np.mean(in_top3) >= 0.75


def _hand_correlation(qids: list[str]) -> np.ndarray:
    spec = {q.question_id: q for q in cat.QUESTIONS}
    general = np.array([spec[q].loading for q in qids])
    lead = np.array([LEADERSHIP_LOADING if spec[q].leadership else 0.0 for q in qids])
    corr = np.outer(general, general) + np.outer(lead, lead)
    np.fill_diagonal(corr, 1.0)
    return corr


def _johnson_by_hand(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(rxx)
    root = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    beta, *_ = np.linalg.lstsq(root, rxy, rcond=None)
    weights = root**2 @ beta**2
    return weights / weights.sum()


def _standardised(effect: np.ndarray, corr: np.ndarray) -> np.ndarray:
    return effect / np.sqrt(effect @ corr @ effect / MOTIVATION_R2)


def test_importances_sum_to_one_and_match_a_recomputation_by_hand(groups_dir: Path) -> None:
    """(b): one work group from its own effects; the förvaltning as its staff-weighted
    mixture of its units' own staff."""
    truth = pd.read_csv(groups_dir / "driver_truth_units.csv")
    assert np.allclose(truth.groupby("unit_id")["importance"].sum(), 1.0, atol=2e-5)
    effects = truth.pivot(index="unit_id", columns="question_id", values="planted_effect")
    importance = truth.pivot(index="unit_id", columns="question_id", values="importance")
    qids = list(effects.columns)
    corr = _hand_correlation(qids)

    units = _latest_units(groups_dir)
    group = units.index[units["unit_type"] == "arbetsgrupp"][0]
    b = effects.loc[group].to_numpy()
    rxy = corr @ b / np.sqrt(b @ corr @ b / MOTIVATION_R2)
    assert np.allclose(_johnson_by_hand(corr, rxy), importance.loc[group], atol=2e-5)

    # the förvaltning: each unit's own staff's standardised effects (a work group's, a
    # school's own staff's, ...), weighted by that staff in 2023
    staff = units["invited"].replace("", np.nan).astype(float).fillna(0.0)  # its own members
    shares = staff[staff > 0] / staff.sum()
    pooled = sum(
        share * _standardised(effects.loc[u].to_numpy(), corr) for u, share in shares.items()
    )
    root = units.index[units["parent_id"] == ""][0]
    assert np.allclose(_johnson_by_hand(corr, corr @ pooled), importance.loc[root], atol=2e-5)

    # the work group's school: its own staff's effects and its work groups', by staff
    school = units.at[group, "parent_id"]
    members = [school, *units.index[units["parent_id"] == school]]
    weights = staff[members] / staff[members].sum()
    pooled = sum(w * _standardised(effects.loc[u].to_numpy(), corr) for u, w in weights.items())
    assert np.allclose(_johnson_by_hand(corr, corr @ pooled), importance.loc[school], atol=2e-5)
    assert not np.allclose(importance.loc[school], importance.loc[group], atol=1e-3)


def test_the_generators_relative_weights_are_the_drivers_stages() -> None:
    rng = np.random.default_rng(0)
    for p in (3, 12, 29):
        data = rng.standard_normal((400, p + 1)) @ rng.uniform(0.0, 1.0, (p + 1, p + 1))
        corr = np.corrcoef(data, rowvar=False)
        ours = relative_weights(corr[1:, 1:], corr[0, 1:])
        assert np.allclose(ours, johnson_weights(corr[1:, 1:], corr[0, 1:]), atol=1e-10)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"local_effect": -0.1}, "must be >= 0"),
        ({"omrade_spread": -0.1}, "must be >= 0"),
        ({"local_drivers": 30}, "more than the 29 driver questions"),
        ({"group_effect": -0.1}, "must be >= 0"),
        ({"local_drivers": 28, "group_effect": 0.8}, "= 30 is more than the 29 driver"),
    ],
)
def test_bad_heterogeneity_is_refused(change: dict, message: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=message):
        generate(SynthParams(**{**SMALL.__dict__, **change}), tmp_path)


def test_the_number_of_local_drivers_is_a_parameter(tmp_path: Path) -> None:
    generate(SynthParams(**{**SMALL.__dict__, "local_drivers": 3, "years": (2023,)}), tmp_path)
    truth = pd.read_csv(tmp_path / "driver_truth_units.csv")
    local = truth[truth["local"] == 1]
    assert (local.groupby("unit_id").size() == 3).all() and local["unit_id"].nunique() == 8


# --- (d) what a school's own data finds, against its område's --------------------------

#: one område of eight grundskolor of about 430 respondents each, one year: cheap, and
#: an område whose pooled weights are not dominated by any one school
RECOVERY = SynthParams(
    seed=1, employees=4000, grundskolor=8, gymnasieskolor=0, avdelningar=0, years=(2023,)
)


def _pairwise_importance(outcome: pd.Series, answers: pd.DataFrame) -> np.ndarray:
    """Relative weights of the pairwise correlations (eigenvalues floored, as the stage does)."""
    corr = pd.concat([outcome.rename("outcome"), answers], axis=1).corr().to_numpy()
    values, vectors = np.linalg.eigh(corr)
    corr = (vectors * np.maximum(values, 1e-6 * values.max())) @ vectors.T
    scale = np.sqrt(np.diag(corr))
    corr = corr / np.outer(scale, scale)
    weights = johnson_weights(corr[1:, 1:], corr[0, 1:])
    return weights / weights.sum()


def test_a_schools_own_weights_find_its_local_drivers_and_the_omrades_do_not(
    tmp_path: Path,
) -> None:
    """(d): not true by construction: the data are answers 1-5 with "vet ej" and blanks."""
    generate(RECOVERY, tmp_path)
    questions = pd.read_csv(tmp_path / "questions.csv", keep_default_na=False)
    truth = pd.read_csv(tmp_path / "driver_truth_units.csv")
    responses = pd.read_csv(tmp_path / "responses.csv")
    units = _latest_units(tmp_path)
    drivers = list(truth["question_id"].unique())
    motivation = list(questions.loc[questions["ami_dimension"] == "Motivation", "question_id"])
    answers = responses[drivers + motivation].where(lambda a: a != 0)
    outcome = (answers[motivation].mean(axis=1) - 1) / 4 * 100
    workplace = responses["unit_id"].map(_school_of(units))

    found = {"own": 0, "område": 0}
    schools = units.index[units["unit_type"] == "grundskola"]
    for school in schools:
        local = set(truth.query("unit_id == @school and local == 1")["question_id"])
        area = units.at[school, "parent_id"]
        in_area = workplace.map(lambda w, a=area: w == a or units.at[w, "parent_id"] == a)
        for method, rows in (("own", workplace == school), ("område", in_area)):
            top3 = np.argsort(-_pairwise_importance(outcome[rows], answers.loc[rows, drivers]))[:3]
            found[method] += len(local & {drivers[k] for k in top3})
    recall = {method: n / (2 * len(schools)) for method, n in found.items()}
    assert recall["own"] >= 0.5
    assert recall["own"] - recall["område"] >= 0.3
