"""A tiny processed year (``data/processed/<Y>/``) built by hand for the report tests.

The organisation (2023, previous survey year 2022, history from 2021)::

    F  Testförvaltningen (förvaltning)
    ├── N  Område Norr (område)
    │   ├── A  Alfaskolan (grundskola, manager M1)     AMI 90.2
    │   │   └── W  Arbetslag Alfa 1 (arbetsgrupp, M2)  too small: all suppressed
    │   ├── B  Betaskolan (grundskola)                 AMI 69.5 -> shown 70, not under 70
    │   └── H  Hagaskolan (grundskola, new in 2023)    AMI 60.2 -> under 70;
    │                                                  women hidden to protect the men
    └── S  Område Syd & Väst (område)
        ├── G  Gammagymnasiet (gymnasieskola, M3)      AMI 90.4
        ├── D  Deltaskolan (grundskola)                AMI 89.6
        ├── E  Epsilongymnasiet (gymnasieskola)        AMI 64.6 -> under 70
        └── L  Lillskolan (grundskola)                 too small: all suppressed

The förvaltning's question results are hand-chosen (``ROOT_Q``, ``ROOT_Q_PREV``)
so that the tests can state the expected report by hand: AMI 79.4 (shown 79)
against 80.3 (shown 80) gives the displayed change −1; q9 is new and q10
rewords ``q10old``, so neither has a change. Every other unit's question
results are the förvaltning's shifted by (unit AMI − 79.4), and every
composite is the mean of its questions, except AMI itself which is set to
the literal above so the displayed value is exact.

Like the indexes stage, the table carries the comparison year 2022 whole
(every unit, group and measure asked then, suppressed rows included) and, for
2021, the response rate and AMI of group ``all``. The age groups exercise
every way a comparison can be missing: ``-29`` is suppressed in 2023 but
published in 2022, ``60-`` the other way round, and Hagaskolan (new in 2023)
has no 2022 rows at all. Every hidden row says why in ``suppression``:
``threshold``, except Hagaskolan's women, ``complementary`` (hidden so that
its men, too few, cannot be recovered as the school minus the women).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.core.contract import (
    COMPLEMENTARY,
    DRIVERS_TABLE_COLUMNS,
    PUBLISHED,
    THRESHOLD,
    params_record,
)
from analysis.core.params import Params, params_from_dict
from analysis.drivers.priority import assign_quadrants
from analysis.report.processed import ProcessedYear

YEAR = 2023
PREV = 2022
YEARS = [2021, 2022, 2023]
INPUT_SHA = "ab12cd34" * 8
ROWS_REJECTED = 3

QUESTIONS = [
    # question_id, text, area, ami_dimension, leadership, replaces, asked, asked_prev
    (
        "q1",
        "Mitt arbete känns meningsfullt",
        "Vårt gemensamma uppdrag",
        "Motivation",
        False,
        "",
        True,
        True,
    ),
    (
        "q2",
        "Jag ser fram emot att gå till arbetet",
        "Hälsa och arbetsmiljö",
        "Motivation",
        False,
        "",
        True,
        True,
    ),
    (
        "q3",
        "Min chef visar mig uppskattning för mina arbetsinsatser",
        "Delaktighet och inflytande",
        "Ledarskap",
        True,
        "",
        True,
        True,
    ),
    (
        "q4",
        "Min chef visar förtroende för mig som medarbetare",
        "Delaktighet och inflytande",
        "Ledarskap",
        True,
        "",
        True,
        True,
    ),
    (
        "q5",
        "Jag är insatt i min arbetsplats mål",
        "Styra mot gemensamma mål",
        "Styrning",
        False,
        "",
        True,
        True,
    ),
    (
        "q6",
        "Jag vet vad som förväntas av mig i mitt arbete",
        "Styra mot gemensamma mål",
        "Styrning",
        False,
        "",
        True,
        True,
    ),
    (
        "q7",
        "Jag känner till vilka lönekriterierna är på min arbetsplats",
        "Lön",
        "",
        False,
        "",
        True,
        True,
    ),
    ("q8", "Jag har de digitala verktyg jag behöver", "Digitalisering", "", False, "", True, True),
    (
        "q9",
        "Jag vet vart jag ska vända mig om jag utsätts för kränkande särbehandling",
        "Lika rättigheter och möjligheter",
        "",
        False,
        "",
        True,
        False,
    ),
    (
        "q10",
        "På min arbetsplats prövar vi nya arbetssätt för att utveckla verksamheten",
        "Utvecklas och lära nytt",
        "",
        False,
        "q10old",
        True,
        False,
    ),
    ("q10old", "Vi prövar nya arbetssätt", "Utvecklas och lära nytt", "", False, "", False, True),
    (
        "q11",
        "Min chef ger mig förutsättningar att ta ansvar i mitt arbete",
        "Delaktighet och inflytande",
        "",
        True,
        "",
        True,
        True,
    ),
]
ASKED = [q[0] for q in QUESTIONS if q[6]]

ROOT_Q = {
    "q1": 83.0,
    "q2": 75.1,
    "q3": 82.5,
    "q4": 79.0,
    "q5": 80.2,
    "q6": 76.6,
    "q7": 58.3,
    "q8": 66.0,
    "q9": 88.0,
    "q10": 71.2,
    "q11": 77.7,
}
ROOT_Q_PREV = {
    "q1": 82.2,
    "q2": 77.4,
    "q3": 82.0,
    "q4": 82.4,
    "q5": 83.1,
    "q6": 74.7,
    "q7": 56.0,
    "q8": 63.8,
    "q11": 78.1,
    "q10old": 69.0,  # asked in 2022 only
}
ROOT_AMI, ROOT_AMI_PREV = 79.4, 80.3  # = the means of q1..q6 above

# unit_id, name, parent, type, manager, invited, AMI 2023, AMI 2022 (None: not in 2022)
UNITS = [
    ("F", "Testförvaltningen", "", "förvaltning", "", None, ROOT_AMI, ROOT_AMI_PREV),
    ("N", "Område Norr", "F", "område", "", None, 80.0, 80.6),
    ("A", "Alfaskolan", "N", "grundskola", "M1", 20, 90.2, 88.9),
    ("W", "Arbetslag Alfa 1", "A", "arbetsgrupp", "M2", 4, None, None),
    ("B", "Betaskolan", "N", "grundskola", "", 30, 69.5, 71.0),
    ("H", "Hagaskolan", "N", "grundskola", "", 25, 60.2, None),
    ("S", "Område Syd & Väst", "F", "område", "", None, 78.8, 80.1),
    ("G", "Gammagymnasiet", "S", "gymnasieskola", "M3", 28, 90.4, 91.0),
    ("D", "Deltaskolan", "S", "grundskola", "", 22, 89.6, 87.0),
    ("E", "Epsilongymnasiet", "S", "gymnasieskola", "", 26, 64.6, 66.0),
    ("L", "Lillskolan", "S", "grundskola", "", 3, None, None),
]
# response rate (%) and respondents, 2023
RESPONSE = {
    "F": (87.2, 130),
    "N": (88.0, 66),
    "A": (90.0, 18),
    "B": (86.7, 26),
    "H": (88.0, 22),
    "S": (86.4, 64),
    "G": (85.7, 24),
    "D": (90.9, 20),
    "E": (80.8, 21),
}
RESPONSE_HISTORY = {2021: {"F": (83.4, 120)}, PREV: {"F": (85.0, 125)}}

# group label -> offset added to the unit's value (both years)
GROUPS = {
    "gender=Kvinna": 0.7,
    "gender=Man": -1.6,
    "role=Chef": 4.8,
    "role=Medarbetare": -0.4,
    "age_group=-29": -3.0,
    "age_group=30-49": -1.2,
    "age_group=50-59": 1.2,
    "age_group=60-": 2.0,
}
# groups suppressed in every unit, per year
SUPPRESSED_GROUPS = {YEAR: {"age_group=-29"}, PREV: {"age_group=60-"}}
# (unit, group) pairs suppressed in addition in both years (small groups)
SMALL_GROUPS = {("E", "gender=Man"), ("H", "gender=Man"), *((u, "role=Chef") for u in "ABHGDE")}
# (unit, group) pairs with enough answers, hidden to protect a small group
# (suppression "complementary"): Hagaskolan's women, or its men would be the
# school minus the women
PROTECTING_GROUPS = {("H", "gender=Kvinna")}

# leader rows: manager -> (leadership, leadership prev, q3, q4, q11, response rate, n)
LEADERS = {
    "M1": (81.3, 80.4, 83.0, 80.1, 80.8, 90.0, 18),
    "M2": None,  # four respondents: everything suppressed
    "M3": (72.0, 73.6, 70.2, 73.5, 72.3, 85.7, 24),
}

# the unit whose figures a leader's non-leadership measures copy, and what is
# suppressed in a leader's figures: M3's q7 (so M3 has no priority matrix)
LEADER_UNIT = {"M1": "A", "M3": "G"}
LEADER_SUPPRESSED = {("M3", "q:q7")}

# driver importances of the units that analyse themselves (over q3..q11);
# borrowers take their område's, M1 Område Norr's.
DRIVER_QUESTIONS = [q for q in ASKED if q not in ("q1", "q2")]
IMPORTANCE = {
    "F": [0.20, 0.15, 0.05, 0.04, 0.14, 0.12, 0.10, 0.12, 0.08],
    "N": [0.18, 0.16, 0.10, 0.12, 0.06, 0.05, 0.13, 0.09, 0.11],
    "S": [0.22, 0.12, 0.13, 0.09, 0.04, 0.06, 0.15, 0.07, 0.12],
}
N_USED = {"F": 110, "N": 58, "S": 55}
BORROWED = {"A": "N", "B": "N", "H": "N", "G": "S", "D": "S", "E": "S", "manager:M1": "N"}
#: drivers.json: units and leaders without driver rows, and why
WITHOUT_ROWS = {
    "W": {"code": "suppressed_scores", "questions": DRIVER_QUESTIONS},
    "L": {"code": "suppressed_scores", "questions": DRIVER_QUESTIONS},
    "manager:M2": {"code": "suppressed_scores", "questions": DRIVER_QUESTIONS},
    "manager:M3": {"code": "suppressed_scores", "questions": ["q7"]},
}


def fixture_params() -> Params:
    """The tests' params: quarantine mode, and two top places (so a three-way tie shows)."""
    return params_from_dict({"input": {"on_invalid": "quarantine"}, "report": {"top_units": 2}})


@functools.cache
def _composites(asked_column: str = "asked") -> dict[str, list[str]]:
    """Composite -> its question ids asked in 2023 (``asked``) or 2022 (``asked_prev``)."""
    table = questions_table()
    asked = table[table[asked_column]]
    ids = list(asked["question_id"])
    out = {"AMI": list(asked.loc[asked["ami_dimension"] != "", "question_id"])}
    for dim in ("Motivation", "Ledarskap", "Styrning"):
        out[f"AMI.{dim}"] = list(asked.loc[asked["ami_dimension"] == dim, "question_id"])
    for area in dict.fromkeys(asked["area"]):
        out[f"area:{area}"] = list(asked.loc[asked["area"] == area, "question_id"])
    out["leadership"] = list(asked.loc[asked["leadership"], "question_id"])
    out.update({f"q:{q}": [q] for q in ids})
    return out


def _comparable(name: str) -> bool:
    """Same question ids in both years (contract §3)."""
    return _composites("asked_prev").get(name) == _composites().get(name)


def unit_measures(ami: float, ami_prev: float | None) -> dict[str, tuple[float, float | None]]:
    """measure -> (value, previous value where comparable) for group ``all`` of one unit."""
    shift = ami - ROOT_AMI
    now = _year_measures(ROOT_Q, shift, ami)
    before = {} if ami_prev is None else previous_measures(ami_prev)
    return {
        name: (value, before.get(name) if _comparable(name) else None)
        for name, value in now.items()
    }


def previous_measures(ami_prev: float) -> dict[str, float]:
    """measure -> value of 2022 (every measure asked then) for group ``all`` of one unit."""
    return _year_measures(ROOT_Q_PREV, ami_prev - ROOT_AMI_PREV, ami_prev, "asked_prev")


def _year_measures(
    root_q: dict[str, float], shift: float, ami: float, asked_column: str = "asked"
) -> dict[str, float]:
    q = {qid: value + shift for qid, value in root_q.items()}
    out = {
        name: float(np.mean([q[i] for i in ids])) for name, ids in _composites(asked_column).items()
    }
    out["AMI"] = ami
    return out


def _row(year, unit_id, group, measure, n, value, prev, hidden_as: str = THRESHOLD) -> dict:
    """One figures row; a row without a value is hidden for ``hidden_as`` (its ``suppression``)."""
    published = value is not None
    prev = prev if published else None
    change = (value - prev) if prev is not None else np.nan
    # every change's interval is change +- 1.5: a change of more than 1.5 (exactly) is
    # säkerställd, so that the reports' marks and sentences can be read off the table
    half = 1.5
    return {
        "year": year,
        "unit_id": unit_id,
        "group": group,
        "measure": measure,
        "n": n if published else None,
        "value": value if published else np.nan,
        "change": change,
        "change_low": change - half,
        "change_high": change + half,
        "value_prev": prev if prev is not None else np.nan,
        "suppression": PUBLISHED if published else hidden_as,
    }


def _hidden(unit_id: str, group: str, year: int) -> bool:
    hidden = SMALL_GROUPS | PROTECTING_GROUPS
    return group in SUPPRESSED_GROUPS[year] or (unit_id, group) in hidden


def _hidden_as(unit_id: str, group: str) -> str:
    return COMPLEMENTARY if (unit_id, group) in PROTECTING_GROUPS else THRESHOLD


def response_prev(unit_id: str) -> tuple[float, int] | None:
    """Response rate (%) and respondents in 2022, for units that existed then."""
    if _ami_prev(unit_id) is None or unit_id not in RESPONSE:
        return None
    if unit_id in RESPONSE_HISTORY[PREV]:
        return RESPONSE_HISTORY[PREV][unit_id]
    return RESPONSE[unit_id][0] - 1.5, RESPONSE[unit_id][1] - 2


def figure_rows() -> list[dict]:
    rows = []
    for unit_id, _name, _p, _t, _m, _inv, ami, ami_prev in UNITS:
        measures = unit_measures(ami, ami_prev) if ami is not None else {}
        names = list(_composites())
        for group, offset in {"all": 0.0, **GROUPS}.items():
            hidden = ami is None or _hidden(unit_id, group, YEAR)
            prev_hidden = ami_prev is None or _hidden(unit_id, group, PREV)
            for name in names:
                value, prev = measures.get(name, (None, None))
                value = None if hidden else value + offset
                prev = None if prev is None or prev_hidden else prev + offset
                why = _hidden_as(unit_id, group)
                rows.append(_row(YEAR, unit_id, group, name, 12, value, prev, why))
            if group == "all":
                rate, before = RESPONSE.get(unit_id), response_prev(unit_id)
                rows.append(
                    _row(
                        YEAR,
                        unit_id,
                        group,
                        "response_rate",
                        rate[1] if rate else None,
                        rate[0] if rate else None,
                        before[0] if before else None,
                    )
                )
    # the comparison year, whole: every unit that existed, every group and measure
    for unit_id, _name, _p, _t, _m, _inv, _ami_now, ami_prev in UNITS:
        if ami_prev is None:
            continue
        for group, offset in {"all": 0.0, **GROUPS}.items():
            hidden, why = _hidden(unit_id, group, PREV), _hidden_as(unit_id, group)
            for name, value in previous_measures(ami_prev).items():
                value = None if hidden else value + offset
                rows.append(_row(PREV, unit_id, group, name, 11, value, None, why))
        before = response_prev(unit_id)
        if before is not None:
            rows.append(_row(PREV, unit_id, "all", "response_rate", before[1], before[0], None))
    # the trend year before it: response rate and AMI of group "all"
    for unit_id, _name, _p, _t, _m, _inv, _ami_now, ami_prev in UNITS:
        if ami_prev is None:
            continue
        rate = RESPONSE_HISTORY[2021].get(unit_id)
        if rate is None and unit_id in RESPONSE:
            rate = (RESPONSE[unit_id][0] - 3.0, RESPONSE[unit_id][1] - 2)
        if rate is not None:
            rows.append(_row(2021, unit_id, "all", "response_rate", rate[1], rate[0], None))
        rows.append(_row(2021, unit_id, "all", "AMI", 100, ami_prev - 0.5, None))
    for manager, values in LEADERS.items():
        uid = f"manager:{manager}"
        n = None if values is None else values[-1]
        for name, (value, prev) in leader_measures(manager).items():
            rows.append(_row(YEAR, uid, "all", name, n, value, prev))
        # the comparison year, whole, like a unit's
        for name, value in previous_leader_measures(manager).items():
            rows.append(_row(PREV, uid, "all", name, None if n is None else n - 1, value, None))
    return rows


def leader_measures(manager: str) -> dict[str, tuple[float | None, float | None]]:
    """A leader's group-``all`` figures: every measure, like a unit's.

    The leadership index and its questions are the leader's own (``LEADERS``);
    the other measures are those of the unit the leader's staff sit in
    (``LEADER_UNIT``). ``LEADER_SUPPRESSED`` figures are empty.
    """
    names = [*_composites(), "response_rate"]  # composites, then every question asked
    values = LEADERS[manager]
    if values is None:
        return dict.fromkeys(names, (None, None))
    lead, lead_prev, q3, q4, q11, rate, _n = values
    unit = LEADER_UNIT[manager]
    measures = unit_measures(_ami(unit), _ami_prev(unit))
    measures |= {
        "leadership": (lead, lead_prev),
        "q:q3": (q3, q3 - 1.0),
        "q:q4": (q4, q4 - 1.0),
        "q:q11": (q11, q11 - 1.0),
        "response_rate": (rate, rate - 2.0),
    }
    return {
        name: (None, None) if (manager, name) in LEADER_SUPPRESSED else measures[name]
        for name in names
    }


def previous_leader_measures(manager: str) -> dict[str, float | None]:
    """A leader's group-``all`` figures of 2022 (None: suppressed), as ``leader_measures``."""
    values = LEADERS[manager]
    if values is None:
        names = [*_composites("asked_prev"), "response_rate"]
        return dict.fromkeys(names, None)
    _lead, lead_prev, q3, q4, q11, rate, _n = values
    measures: dict[str, float | None] = dict(previous_measures(_ami_prev(LEADER_UNIT[manager])))
    measures |= {
        "leadership": lead_prev,
        "q:q3": q3 - 1.0,
        "q:q4": q4 - 1.0,
        "q:q11": q11 - 1.0,
        "response_rate": rate - 2.0,
    }
    return {
        name: None if (manager, name) in LEADER_SUPPRESSED else value
        for name, value in measures.items()
    }


def figures_table() -> pd.DataFrame:
    frame = pd.DataFrame(figure_rows())
    frame["year"] = frame["year"].astype("int64")
    frame["n"] = frame["n"].astype("Int64")
    for column in ("value", "change", "change_low", "change_high", "value_prev"):
        frame[column] = frame[column].astype("float64")
    return frame


def units_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": np.int64(YEAR),
            "unit_id": [u[0] for u in UNITS],
            "unit_name": [u[1] for u in UNITS],
            "parent_id": [u[2] for u in UNITS],
            "unit_type": [u[3] for u in UNITS],
            "invited": pd.array([u[5] for u in UNITS], dtype="Int64"),
            "manager_id": [u[4] for u in UNITS],
        }
    )


def questions_table() -> pd.DataFrame:
    return pd.DataFrame(
        QUESTIONS,
        columns=[
            "question_id",
            "text",
            "area",
            "ami_dimension",
            "leadership",
            "replaces",
            "asked",
            "asked_prev",
        ],
    )


def drivers_table() -> pd.DataFrame:
    frames = []
    targets = [(u[0], unit_measures(_ami(u[0]), _ami_prev(u[0]))) for u in UNITS if u[6]]
    targets.append(("manager:M1", leader_measures("M1")))
    for unit_id, measures in targets:
        source = unit_id if unit_id in IMPORTANCE else BORROWED.get(unit_id)
        if source is None:
            continue
        importance = np.array(IMPORTANCE[source])
        r2 = 0.6
        borrowed = source != unit_id
        frame = pd.DataFrame(
            {
                "year": np.int64(YEAR),
                "unit_id": unit_id,
                "question_id": DRIVER_QUESTIONS,
                "weight": importance * r2,
                "importance": importance,
                "ci_low": importance * 0.8,
                "ci_high": importance * 1.2,
                "score": [measures[f"q:{q}"][0] for q in DRIVER_QUESTIONS],
                "n_used": np.int64(N_USED[source]),
                "importance_from": source,
                "basis": "borrowed" if borrowed else "own",
                "own_weight": 0.0 if borrowed else 1.0,
                "borrow_code": "small" if borrowed else "",
                "borrow_reason": "few complete respondents" if borrowed else "",
                "resampled": "respondents",
                # every driver settled on its side of the median importance
                "p_high": np.where(importance >= np.median(importance), 0.95, 0.05),
                "beta": np.sqrt(importance * r2),
                "p_negative": np.zeros(len(DRIVER_QUESTIONS)),  # every weight surely positive
                "p_random": np.zeros(len(DRIVER_QUESTIONS)),  # every driver beats chance
            }
        )
        frame["quadrant"] = assign_quadrants(frame)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[DRIVERS_TABLE_COLUMNS]


def driver_notes() -> dict:
    """drivers.json of the fixture: the förvaltning analysed itself; who has no rows."""
    return {
        "year": YEAR,
        "root": "F",
        "min_n": 100,
        "missing": "listwise",
        "motivation": ["q1", "q2"],
        "drivers": DRIVER_QUESTIONS,
        "excluded": [],
        "n_respondents": 130,
        "n_with_outcome": 126,
        "n_complete": N_USED["F"],
        "root_analysis": {"status": "own", "n_used": N_USED["F"], "r2": 0.6},
        "without_rows": WITHOUT_ROWS,
    }


def _ami(unit_id: str) -> float:
    return next(u[6] for u in UNITS if u[0] == unit_id)


def _ami_prev(unit_id: str) -> float | None:
    return next(u[7] for u in UNITS if u[0] == unit_id)


def variant(
    data: ProcessedYear,
    *,
    units=None,
    questions=None,
    figures=None,
    action_plans=None,
    benchmarks=None,
) -> ProcessedYear:
    """A loaded fixture year with some tables replaced (the others shared)."""
    return ProcessedYear(
        data.directory,
        data.meta,
        data.figures if figures is None else figures,
        data.units if units is None else units,
        data.questions if questions is None else questions,
        data.drivers,
        data.driver_notes,
        data.action_plans if action_plans is None else action_plans,
        data.benchmarks if benchmarks is None else benchmarks,
    )


def action_plans_table() -> pd.DataFrame:
    """2022's plans: Epsilongymnasiet's (AMI 66 then) under way; Q, a unit gone by 2023."""
    return pd.DataFrame(
        {
            "year": [PREV, PREV],
            "unit_id": ["E", "Q"],
            "status": ["Pågående", "Klar"],
            "deadline": ["16 juni", "16 juni"],
            "note": ["Arbetsmiljögrupp startad", ""],
        }
    )


def benchmarks_table() -> pd.DataFrame:
    """Stockholms stad in 2023: response rate 88.0 (seed 000) and an AMI of 81.4."""
    return pd.DataFrame(
        {
            "year": [YEAR, YEAR],
            "measure": ["response_rate", "AMI"],
            "value": [88.0, 81.4],
            "source": ["Stockholms stad", "Stockholms stad"],
        }
    )


def write_fixture(directory: Path, params: Params | None = None) -> Path:
    """Write the processed year into ``directory`` (figures, units, questions, drivers, meta)."""
    params = params or fixture_params()
    directory.mkdir(parents=True, exist_ok=True)
    figures_table().to_parquet(directory / "figures.parquet", index=False)
    units_table().to_parquet(directory / "units.parquet", index=False)
    questions_table().to_parquet(directory / "questions.parquet", index=False)
    drivers_table().to_parquet(directory / "drivers.parquet", index=False)
    action_plans_table().to_parquet(directory / "action_plans.parquet", index=False)
    benchmarks_table().to_parquet(directory / "benchmarks.parquet", index=False)
    # drivers.json records the params sections the drivers stage declares, as it ran
    notes = {**driver_notes(), "params": params_record(params, "drivers")}
    (directory / "drivers.json").write_text(
        json.dumps(notes, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    meta = {
        "year": YEAR,
        "previous_year": PREV,
        "years": YEARS,
        "input_sha256": INPUT_SHA,
        "rows_rejected": ROWS_REJECTED,
        # what the indexes stage records: the sections ingest and indexes read
        "params": params_record(params, "indexes"),
        # a spread of 15 index points for every AMI measure
        "respondent_spread": {
            m: 15.0 for m in ("AMI", "AMI.Motivation", "AMI.Ledarskap", "AMI.Styrning")
        },
    }
    (directory / "meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return directory


# ---------------------------------------------------------------------------
# One rendering of the fixture, shared by test_render.py and test_browser.py
# ---------------------------------------------------------------------------

#: the reports the tests render (a handful keeps the suite fast)
RENDERED = [
    "index.html",
    "omrade/S.html",
    "enhet/A.html",
    "enhet/H.html",
    "enhet/L.html",
    "ledare/M1.html",
    "ledare/M2.html",
]


@dataclasses.dataclass(frozen=True)
class RenderedYear:
    processed: Path
    out_dir: Path
    written: list[Path]


@pytest.fixture(scope="session")
def rendered_year(tmp_path_factory) -> RenderedYear:
    """The fixture organisation rendered once per test session (real notebooks, 2 workers)."""
    from analysis.core.figures_io import write_figures_csv
    from analysis.drivers.drivers_csv import write_drivers_csv
    from analysis.render.reports import render_year

    root = tmp_path_factory.mktemp("rendered")
    processed = write_fixture(root / "processed" / str(YEAR))
    out_dir = root / "reports" / str(YEAR)
    # what the indexes and drivers stages publish beside the reports
    write_figures_csv(figures_table(), out_dir / "figures.csv")
    write_drivers_csv(drivers_table(), out_dir / "drivers.csv")
    written = render_year(
        YEAR, processed, out_dir, fixture_params(), jobs=2, only=RENDERED, progress=False
    )
    return RenderedYear(processed, out_dir, written)
