"""The synthetic förvaltning: contract-shaped tables, determinism, and calibration to seed 000.

Every figure is recomputed here with a few lines of pandas written for the
test (contract §3 arithmetic), not with any other project module, so that a
bug in the pipeline cannot hide a bug in the data and vice versa.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.core.params import SynthParams
from analysis.synth.generate import generate

FILES = (
    "questions.csv",
    "units.csv",
    "responses.csv",
    "driver_truth.csv",
    "driver_truth_units.csv",
)
SMALL = SynthParams(
    seed=7, employees=600, grundskolor=4, gymnasieskolor=2, avdelningar=2, years=(2022, 2023)
)
AMI_TEXTS = {
    "Motivation": {
        "Mitt arbete känns meningsfullt",
        "Jag lär nytt och utvecklas i mitt dagliga arbete",
        "Jag ser fram emot att gå till arbetet",
    },
    "Ledarskap": {
        "Min chef visar mig uppskattning för mina arbetsinsatser",
        "Min chef visar mig förtroende för mig som medarbetare",
        "Min chef ger mig förutsättningar att ta ansvar i mitt arbete",
    },
    "Styrning": {
        "Jag är insatt i min arbetsplats mål",
        "Min arbetsplats mål följs upp och utvärderas på ett bra sätt",
        "Jag vet vad som förväntas av mig i mitt arbete",
    },
}
AREAS = {
    "Vårt gemensamma uppdrag",
    "Politik och verksamheter",
    "Styra mot gemensamma mål",
    "Utvecklas och lära nytt",
    "Delaktighet och inflytande",
    "Hälsa och arbetsmiljö",
    "Lika rättigheter och möjligheter",
    "Lön",
}
UNIT_TYPES = {"förvaltning", "område", "grundskola", "gymnasieskola", "avdelning", "arbetsgrupp"}
AGE_GROUPS = ("-29", "30-39", "40-49", "50-59", "60-")
DIMENSIONS = ("Motivation", "Ledarskap", "Styrning")


# --- fixtures and a small, independent implementation of contract §3 ---------


@pytest.fixture(scope="module")
def default_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth_default")
    generate(SynthParams(), out)
    return out


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth_small")
    generate(SMALL, out)
    return out


class Survey:
    """The three tables as raw strings, plus valid answers as floats (NaN = excluded)."""

    def __init__(self, directory: Path) -> None:
        def read(name: str) -> pd.DataFrame:
            return pd.read_csv(directory / name, dtype=str, keep_default_na=False)

        self.questions = read("questions.csv")
        self.units = read("units.csv")
        self.raw = read("responses.csv")
        self.truth = pd.read_csv(directory / "driver_truth.csv")
        self.qids = list(self.questions["question_id"])
        self.units["year"] = self.units["year"].astype(int)
        self.raw["year"] = self.raw["year"].astype(int)
        answers = self.raw[self.qids].replace("", np.nan).astype(float)
        self.valid = pd.concat(
            [self.raw.drop(columns=self.qids), answers.where(answers != 0)], axis=1
        )

    def ids(self, **where: str) -> list[str]:
        mask = np.ones(len(self.questions), dtype=bool)
        for column, value in where.items():
            mask &= self.questions[column] == value
        return list(self.questions.loc[mask, "question_id"])

    def asked(self, year: int) -> list[str]:
        rows = self.raw[self.raw["year"] == year]
        return [q for q in self.qids if (rows[q] != "").any()]

    def year(self, year: int) -> pd.DataFrame:
        return self.valid[self.valid["year"] == year]


def question_index(rows: pd.DataFrame, qid: str) -> float:
    return (rows[qid].mean() - 1) / 4 * 100


def composite(rows: pd.DataFrame, qids: list[str]) -> float:
    asked = [q for q in qids if rows[q].notna().any()]
    return float(np.mean([question_index(rows, q) for q in asked]))


def ami_indexes(survey: Survey, rows: pd.DataFrame) -> dict[str, float]:
    out = {d: composite(rows, survey.ids(ami_dimension=d)) for d in DIMENSIONS}
    out["AMI"] = composite(rows, [q for d in DIMENSIONS for q in survey.ids(ami_dimension=d)])
    return out


def half_up(value: float) -> int:
    return math.floor(value + 0.5)


def school_of(units: pd.DataFrame) -> dict[str, str]:
    """Each unit's nearest ancestor-or-self of a school type (roll-up over subtrees)."""
    parent = dict(zip(units["unit_id"], units["parent_id"], strict=True))
    kind = dict(zip(units["unit_id"], units["unit_type"], strict=True))
    out = {}
    for unit in units["unit_id"]:
        node = unit
        while node and kind[node] not in ("grundskola", "gymnasieskola"):
            node = parent[node]
        out[unit] = node
    return out


@pytest.fixture(scope="module")
def survey(default_dir: Path) -> Survey:
    return Survey(default_dir)


# --- determinism and parameters -------------------------------------------------


def test_same_params_give_byte_identical_files(small_dir: Path, tmp_path: Path) -> None:
    generate(SMALL, tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (small_dir / name).read_bytes(), name


def test_default_is_byte_identical_too(default_dir: Path, tmp_path: Path) -> None:
    generate(SynthParams(), tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (default_dir / name).read_bytes(), name


def test_another_seed_gives_other_answers(small_dir: Path, tmp_path: Path) -> None:
    other = SynthParams(**{**SMALL.__dict__, "seed": SMALL.seed + 1})
    generate(other, tmp_path)
    assert (tmp_path / "responses.csv").read_bytes() != (small_dir / "responses.csv").read_bytes()
    # the catalogue is the same: only the förvaltning and the answers are random
    assert (tmp_path / "questions.csv").read_bytes() == (small_dir / "questions.csv").read_bytes()


def test_small_configuration_has_the_requested_shape(small_dir: Path) -> None:
    small = Survey(small_dir)
    assert sorted(small.units["year"].unique()) == [2022, 2023]
    latest = small.units[small.units["year"] == 2023]
    counts = latest["unit_type"].value_counts()
    assert (counts["grundskola"], counts["gymnasieskola"], counts["avdelning"]) == (4, 2, 2)
    assert latest["invited"].replace("", np.nan).astype(float).sum() == 600


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"years": (2023, 2023)}, "distinct years"),
        ({"employees": 50}, "too few"),
        ({"grundskolor": 0, "gymnasieskolor": 0, "avdelningar": 0}, "at least one unit"),
        ({"own_staff": 4}, "own_staff must be 0"),
        # 8 units x 12 = 96 fit, but not after the own staff above them (>= 2 + 3 x 8)
        ({"employees": 100}, "after the own staff"),
    ],
)
def test_bad_parameters_are_refused_with_a_clear_message(
    change: dict, message: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=message):
        generate(SynthParams(**{**SMALL.__dict__, **change}), tmp_path)


# --- contract §2 ---------------------------------------------------------------------


def test_headers_are_the_contract_columns(survey: Survey) -> None:
    assert list(survey.questions.columns) == [
        "question_id",
        "text",
        "area",
        "ami_dimension",
        "leadership",
        "replaces",
    ]
    assert list(survey.units.columns) == [
        "year",
        "unit_id",
        "unit_name",
        "parent_id",
        "unit_type",
        "invited",
        "manager_id",
    ]
    assert list(survey.raw.columns) == [
        "year",
        "respondent_id",
        "unit_id",
        "gender",
        "age_group",
        "role",
        *survey.qids,
    ]
    assert list(survey.truth.columns) == ["question_id", "planted_effect", "true_rank"]


def test_question_catalogue(survey: Survey) -> None:
    q = survey.questions
    assert q["question_id"].is_unique
    assert all(re.fullmatch(r"q\d\d", qid) for qid in q["question_id"])
    assert set(q["leadership"]) == {"0", "1"}
    assert set(q["area"]) == AREAS
    assert set(q["ami_dimension"]) == {"", *DIMENSIONS}
    for dimension, texts in AMI_TEXTS.items():
        assert set(q.loc[q["ami_dimension"] == dimension, "text"]) == texts
    position = {qid: k for k, qid in enumerate(q["question_id"])}
    for qid, old in zip(q["question_id"], q["replaces"], strict=True):
        if old:
            assert position[old] < position[qid]
    assert "Jag känner till vilka lönekriterierna är på min arbetsplats." in set(q["text"])


def test_2023_survey_has_32_questions_9_ami_13_leadership(survey: Survey) -> None:
    asked = survey.asked(2023)
    assert len(asked) == 32
    leadership = set(survey.ids(leadership="1"))
    assert len([x for x in asked if x in leadership]) == 13
    ami = [x for x in asked if survey.questions.set_index("question_id").loc[x, "ami_dimension"]]
    assert len(ami) == 9
    assert set(survey.ids(ami_dimension="Ledarskap")) <= leadership
    # the catalogue also lists the reworded predecessors, all-empty in 2023's rows
    reworded = set(survey.questions["replaces"]) - {""}
    assert set(survey.qids) - set(asked) == reworded


def test_rewordings_and_new_questions_break_comparisons(survey: Survey) -> None:
    asked = {y: set(survey.asked(y)) for y in (2021, 2022, 2023)}
    replaced = survey.questions.loc[survey.questions["replaces"] != ""]
    assert len(replaced) >= 3
    for qid, old in zip(replaced["question_id"], replaced["replaces"], strict=True):
        first = min(y for y in asked if qid in asked[y])
        assert old in asked[first - 1] and old not in asked[first]
    area = survey.questions.set_index("question_id")["area"]
    new_2023 = asked[2023] - asked[2022]
    assert {area[x] for x in new_2023} == AREAS  # "I år innehåller frågeområdet nya frågor"
    assert asked[2022] - asked[2021]  # "nya frågor sedan 2022"
    ami = {q for d in DIMENSIONS for q in survey.ids(ami_dimension=d)}
    assert all(ami <= asked[y] for y in asked)


def test_units_form_one_tree_per_year_with_stable_ids(survey: Survey) -> None:
    ids_by_year = {}
    for year, units in survey.units.groupby("year"):
        assert units["unit_id"].is_unique and units["unit_name"].is_unique
        roots = units[units["parent_id"] == ""]
        assert len(roots) == 1 and roots["unit_type"].iloc[0] == "förvaltning"
        assert set(units["parent_id"]) - {""} <= set(units["unit_id"])
        assert set(units["unit_type"]) == UNIT_TYPES
        assert all(re.fullmatch(r"M\d{4}", m) for m in units["manager_id"])
        ids_by_year[year] = list(units["unit_id"])
    assert ids_by_year[2021] == ids_by_year[2022] == ids_by_year[2023]
    assert any(re.search("[åäö]", name) for name in survey.units["unit_name"])


def test_default_organisation_matches_the_seed(survey: Survey) -> None:
    latest = survey.units[survey.units["year"] == 2023]
    counts = latest["unit_type"].value_counts()
    assert (counts["grundskola"], counts["gymnasieskola"], counts["avdelning"]) == (140, 30, 10)
    assert list(latest.loc[latest["unit_type"] == "område", "unit_name"]) == [
        "Grundskoleområdet",
        "Gymnasieområdet",
        "Central förvaltning",
    ]
    assert 550 <= latest["manager_id"].nunique() <= 650
    invited = latest["invited"].replace("", np.nan).astype(float)
    assert invited.sum() == 15000  # the own staff above the schools is part of the total
    # invited is on the units respondents belong to: with own staff at every level,
    # that is every unit of the default
    assert invited.notna().all()
    respondents = survey.raw[survey.raw["year"] == 2023]
    assert set(latest["unit_id"]) == set(respondents["unit_id"])  # parents have own staff


# --- own staff of the förvaltning and the områden -----------------------------------


def own_staff(survey: Survey, year: int) -> pd.DataFrame:
    """Root and områden of ``year``: invited, respondents attached to the unit itself."""
    units = survey.units[survey.units["year"] == year]
    higher = units[units["unit_type"].isin(["förvaltning", "område"])].set_index("unit_id")
    rows = survey.raw[survey.raw["year"] == year]
    attached = rows["unit_id"].value_counts().reindex(higher.index, fill_value=0)
    return pd.DataFrame(
        {
            "unit_type": higher["unit_type"],
            "invited": higher["invited"].replace("", np.nan).astype(float),
            "respondents": attached,
            "manager_id": higher["manager_id"],
        }
    )


def test_root_and_omraden_have_respondents_of_their_own_with_invited(survey: Survey) -> None:
    for year in (2021, 2022, 2023):
        own = own_staff(survey, year)
        assert len(own) == 4
        root = own[own["unit_type"] == "förvaltning"].iloc[0]
        assert root["respondents"] > 0
        assert (own.loc[own["unit_type"] == "område", "respondents"] > 0).all()
        # invited is given on them (they are units respondents belong to) and covers them
        assert own["invited"].notna().all()
        assert (own["invited"] >= own["respondents"]).all()


def test_own_staff_straddles_the_anonymity_threshold(survey: Survey) -> None:
    """One område in three is drawn small (2-4), the rest and the root 8 to 3 x 12 invited."""
    own = own_staff(survey, 2023)
    areas = own[own["unit_type"] == "område"]
    small = areas["invited"] <= 4
    assert small.sum() == round(len(areas) / 3) == 1
    assert areas.loc[small, "invited"].between(2, 4).all()
    larger = pd.concat([own[own["unit_type"] == "förvaltning"], areas[~small]])
    assert larger["invited"].between(8, 36).all()
    # in respondents too: some below the default threshold of 5, most at or above it
    assert ((own["respondents"] > 0) & (own["respondents"] < 5)).sum() >= 1
    assert (own["respondents"] >= 5).sum() > len(own) / 2
    # their share of the förvaltning: 2 + 3 x 8 to 4 + 3 x 36 of the 15,000 invited
    invited = survey.units.loc[survey.units["year"] == 2023, "invited"]
    share = own["invited"].sum() / invited.replace("", np.nan).astype(float).sum()
    assert (2 + 3 * 8) / 15000 <= share <= (4 + 3 * 36) / 15000


def test_own_staff_answer_under_their_unit_s_manager_with_background(survey: Survey) -> None:
    units = survey.units[survey.units["year"] == 2023]
    own = own_staff(survey, 2023)
    # each higher unit has its own manager, nobody else's: for the staff attached to
    # it, the nearest responsible manager (leader reports) is the unit's
    assert (own["manager_id"] != "").all()
    assert units["manager_id"].is_unique
    rows = survey.raw[survey.raw["unit_id"].isin(own.index)]
    assert set(rows["role"]) == {"Chef", "Medarbetare"}
    assert {"Kvinna", "Man"} <= set(rows["gender"])
    assert len(set(rows["age_group"]) - {""}) >= 3
    # they answer the same survey as everyone else, on the same scale
    everyone = survey.year(2023)[survey.asked(2023)]
    answers = everyone.loc[everyone.index.intersection(rows.index)]
    assert len(answers) == own["respondents"].sum()
    assert answers.notna().to_numpy().mean() == pytest.approx(
        everyone.notna().to_numpy().mean(), abs=0.05
    )
    values = answers.to_numpy()
    assert set(np.unique(values[~np.isnan(values)])) == {1.0, 2.0, 3.0, 4.0, 5.0}


def test_no_own_staff_leaves_the_higher_units_empty(tmp_path: Path) -> None:
    generate(SynthParams(**{**SMALL.__dict__, "own_staff": 0}), tmp_path)
    small = Survey(tmp_path)
    own = own_staff(small, 2023)
    assert own["invited"].isna().all() and (own["respondents"] == 0).all()
    invited = small.units.loc[small.units["year"] == 2023, "invited"]
    assert invited.replace("", np.nan).astype(float).sum() == 600


def test_small_configurations_straddle_the_threshold_for_every_seed(tmp_path: Path) -> None:
    for seed in (1, 2, 3):
        out = tmp_path / str(seed)
        generate(SynthParams(**{**SMALL.__dict__, "seed": seed}), out)
        own = own_staff(Survey(out), 2023)
        assert (own["invited"] <= 4).sum() == 1
        assert (own["invited"] >= 8).sum() == 3
        assert (own["respondents"] > 0).all()


def test_respondent_rows_follow_the_contract(survey: Survey) -> None:
    raw = survey.raw
    for year, rows in raw.groupby("year"):
        assert rows["respondent_id"].is_unique
        units = survey.units[survey.units["year"] == year]
        assert set(rows["unit_id"]) <= set(units["unit_id"])
        invited = units.set_index("unit_id")["invited"]
        assert (invited[rows["unit_id"].unique()] != "").all()
        answered = rows["unit_id"].value_counts()
        assert (invited[answered.index].astype(int) >= answered).all()
    assert set(raw["gender"]) == {"Kvinna", "Man", ""}
    assert set(raw["age_group"]) == {*AGE_GROUPS, ""}
    assert set(raw["role"]) == {"Chef", "Medarbetare"}
    values = set(np.unique(raw[survey.qids].to_numpy()))
    assert values == {"", "0", "1", "2", "3", "4", "5"}
    women = (raw["gender"] == "Kvinna").mean()
    assert 0.70 <= women <= 0.80
    assert 0 < (raw["gender"] == "").mean() < 0.03 and 0 < (raw["age_group"] == "").mean() < 0.03


# --- calibration of the default to seed 000 ----------------------------------------


def test_response_rate_is_87_percent_and_rising(survey: Survey) -> None:
    rates = {}
    for year in (2021, 2022, 2023):
        invited = survey.units.loc[survey.units["year"] == year, "invited"]
        invited = invited.replace("", np.nan).astype(float).sum()
        rates[year] = (survey.raw["year"] == year).sum() / invited * 100
    assert rates[2023] == pytest.approx(87, abs=1)
    assert rates[2021] < rates[2022] < rates[2023]


def test_ami_and_dimensions_land_on_the_seed(survey: Survey) -> None:
    now = ami_indexes(survey, survey.year(2023))
    assert now["AMI"] == pytest.approx(79, abs=1)
    assert now["Motivation"] == pytest.approx(80, abs=1)
    assert now["Ledarskap"] == pytest.approx(80, abs=1)
    assert now["Styrning"] == pytest.approx(78, abs=1)
    before = ami_indexes(survey, survey.year(2022))
    assert before["AMI"] == pytest.approx(80, abs=1)


def test_the_pipeline_publishes_the_seed_report_s_figures(default_dir: Path) -> None:
    """The published (rounded) förvaltning figures are the seed's: through ingest and indexes.

    Seed 000, "AMI-INDEX": Totalt 79 (−1), Motivation 80 (−1), Ledarskap 80 (0),
    Styrning 78 (0); svarsfrekvens 87 %.
    """
    from analysis.core.params import Params
    from analysis.core.rounding import round_half_up
    from analysis.indexes.figures import compute_figures
    from analysis.ingest.read import read_input

    data = read_input(default_dir, Params()).data
    figures = compute_figures(data, Params(), 2023)
    root = data.units_in(2023).query("parent_id == ''")["unit_id"].item()
    rows = figures[(figures["unit_id"] == root) & (figures["group"] == "all")]
    rows = rows.set_index("measure")
    shown = {m: round_half_up(rows.at[m, "value"]) for m in rows.index}
    change = {
        m: shown[m] - round_half_up(rows.at[m, "value_prev"])
        for m in rows.index
        if pd.notna(rows.at[m, "value_prev"])
    }
    assert [shown[m] for m in ("AMI", "AMI.Motivation", "AMI.Ledarskap", "AMI.Styrning")] == [
        79,
        80,
        80,
        78,
    ]
    assert [change[m] for m in ("AMI", "AMI.Motivation", "AMI.Ledarskap", "AMI.Styrning")] == [
        -1,
        -1,
        0,
        0,
    ]
    assert shown["response_rate"] == 87


def test_looking_forward_to_work_drops_two_points(survey: Survey) -> None:
    (qid,) = survey.questions.loc[
        survey.questions["text"] == "Jag ser fram emot att gå till arbetet", "question_id"
    ]
    now = half_up(question_index(survey.year(2023), qid))
    before = half_up(question_index(survey.year(2022), qid))
    assert now - before == pytest.approx(-2, abs=1)


def test_background_groups_differ_as_in_the_seed(survey: Survey) -> None:
    rows = survey.year(2023)
    by_gender = {g: ami_indexes(survey, r) for g, r in rows.groupby("gender") if g}
    assert by_gender["Kvinna"]["AMI"] > by_gender["Man"]["AMI"]
    chef = ami_indexes(survey, rows[rows["role"] == "Chef"])
    staff = ami_indexes(survey, rows[rows["role"] == "Medarbetare"])
    assert all(chef[m] > staff[m] for m in ("AMI", *DIMENSIONS))
    by_age = {a: ami_indexes(survey, rows[rows["age_group"] == a]) for a in AGE_GROUPS}
    assert min(by_age, key=lambda a: by_age[a]["AMI"]) == "-29"
    everyone = ami_indexes(survey, rows)
    gaps = {d: everyone[d] - by_age["-29"][d] for d in DIMENSIONS}
    assert max(gaps, key=gaps.get) == "Styrning"


def test_school_results_top_and_under_70(survey: Survey) -> None:
    rows = survey.year(2023)
    units = survey.units[survey.units["year"] == 2023]
    school = rows["unit_id"].map(school_of(units))
    kind = units.set_index("unit_id")["unit_type"]
    displayed = {
        unit: half_up(ami_indexes(survey, group)["AMI"])
        for unit, group in rows.groupby(school)
        if unit
    }
    assert len(displayed) == 170
    under = pd.Series({u: v < 70 for u, v in displayed.items()})
    assert under[kind[under.index] == "grundskola"].sum() == pytest.approx(9, abs=2)
    assert under[kind[under.index] == "gymnasieskola"].sum() == pytest.approx(2, abs=1)
    assert sum(v >= 89 for v in displayed.values()) >= 3
    assert 89 <= max(displayed.values()) <= 91


# --- the planted drivers ------------------------------------------------------------


def test_driver_truth_covers_the_2023_drivers(survey: Survey) -> None:
    motivation = set(survey.ids(ami_dimension="Motivation"))
    drivers = [q for q in survey.asked(2023) if q not in motivation]
    truth = survey.truth
    assert sorted(truth["question_id"]) == sorted(drivers)
    assert sorted(truth["true_rank"]) == list(range(1, len(drivers) + 1))
    ordered = truth.sort_values("true_rank")["planted_effect"]
    assert ordered.is_monotonic_decreasing
    assert ordered.iloc[4] > 1.5 * ordered.iloc[5]  # the top five stand clearly apart


def _listwise_2023(survey: Survey) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rows = survey.year(2023)
    motivation = survey.ids(ami_dimension="Motivation")
    drivers = [q for q in survey.asked(2023) if q not in motivation]
    outcome = (rows[motivation].mean(axis=1) - 1) / 4 * 100
    data = pd.concat([outcome.rename("outcome"), rows[drivers]], axis=1).dropna()
    assert len(data) > 3000
    x = data[drivers].to_numpy()
    y = data["outcome"].to_numpy()
    return (x - x.mean(0)) / x.std(0), (y - y.mean()) / y.std(), drivers


def test_standardised_regression_recovers_the_top_five(survey: Survey) -> None:
    x, y, drivers = _listwise_2023(survey)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    estimated_top7 = {drivers[k] for k in np.argsort(-beta)[:7]}
    true_top5 = set(survey.truth.nsmallest(5, "true_rank")["question_id"])
    assert true_top5 <= estimated_top7


def test_relative_weights_recover_the_top_five(survey: Survey) -> None:
    """Johnson (2000): weights from the orthogonal counterpart of the drivers."""
    x, y, drivers = _listwise_2023(survey)
    n = len(y)
    corr_xx = x.T @ x / n
    corr_xy = x.T @ y / n
    eigenvalues, vectors = np.linalg.eigh(corr_xx)
    lam = vectors @ np.diag(np.sqrt(eigenvalues)) @ vectors.T
    weights = lam**2 @ np.linalg.solve(lam, corr_xy) ** 2
    assert 0.3 < weights.sum() < 0.8  # R² of a realistic engagement model
    estimated_top7 = {drivers[k] for k in np.argsort(-weights)[:7]}
    true_top5 = set(survey.truth.nsmallest(5, "true_rank")["question_id"])
    assert true_top5 <= estimated_top7
    off_diagonal = corr_xx[~np.eye(len(drivers), dtype=bool)]
    assert 0.15 < off_diagonal.mean() < 0.5  # drivers moderately correlated
