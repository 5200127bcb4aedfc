"""A made-up organisation that looks nothing like the synthetic default.

"Kultur- och fritidsförvaltningen i Exempelstad" surveys its staff in 2021 and
2024 (no survey in between) on a 1..6 scale with "vet ej" coded 9. Its
catalogue has 14 questions with free-form ids (``F-01``, ``Sp3``,
``Trivsel1``, ``Fråga 14`` with a space), other areas, an AMI of 2 + 2 + 1
questions, four leadership questions written ``ja``/``nej``, one reworded
question and one asked only in 2024 with an empty area. The organisation::

    KFF  Kultur- och fritidsförvaltningen i Exempelstad (förvaltning, M-100)
    ├── KUL  Kulturavdelningen (avdelning, M-200, own staff: invited 24)
    │   ├── BIB  Stadsbiblioteket (enhet, M-210)
    │   ├── MUS  Stadsmuseet (enhet)
    │   └── ARK  Stadsarkivet (enhet)                      3 respondents
    ├── FRI  Fritidsavdelningen (avdelning, M-300)
    │   ├── IDR  Idrottsanläggningar (enhet, M-310)
    │   ├── UNG  Ungdomsgårdar (enhet, M-310)
    │   └── BAD  Badhuset Vågen (enhet)
    └── KSK  Kulturskolan (verksamhetsområde, M-400)
        ├── KSN  Kulturskolan Norr (skola)
        ├── KSM  Kulturskolan Mitt (skola)
        └── KSS  Kulturskolan Söder (skola)                3 respondents

The input is written as the brief of ``tests/test_foreign_org.py`` asks:
questions as XLSX, units as a semicolon CSV with BOM and odd column names,
responses as a comma CSV - or all three as XLSX. Answers are drawn from a
seeded latent model so that the motivation questions depend on the others
(a driver analysis has something to find); the tests never rely on the
model, only on the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

ORG_NAME = "Kultur- och fritidsförvaltningen i Exempelstad"
YEARS = (2021, 2024)
SCALE_MIN, SCALE_MAX, DONT_KNOW = 1, 6, 9
SEED = 4711


@dataclass(frozen=True)
class Question:
    question_id: str
    text: str
    area: str
    dimension: str
    leadership: str  # as written: "ja" / "nej" / "Ja"
    replaces: str
    years: tuple[int, ...]  # years with answers
    column: str  # the answer column's header in responses (case may differ)
    factor: str  # latent factor behind the answers (M = motivation)


# fmt: off
QUESTIONS = (
    Question("F-01", "Jag ser fram emot att gå till arbetet", "Arbetsmiljö", "Motivation",
             "nej", "", YEARS, "F-01", "M"),
    Question("Trivsel1", "Jag trivs på min arbetsplats", "Arbetsmiljö", "Motivation",
             "nej", "", YEARS, "TRIVSEL1", "M"),
    Question("Sp3", "Min chef ger mig förutsättningar att göra ett bra arbete",
             "Ledning och styrning", "Ledarskap", "ja", "", YEARS, "Sp3", "L"),
    Question("Led-4", "Min chef visar förtroende för mig", "Ledning och styrning", "Ledarskap",
             "Ja", "", YEARS, "led-4", "L"),
    Question("Mål5", "Jag vet vilka mål som gäller för mitt arbete", "Ledning och styrning",
             "Styrning", "nej", "", YEARS, "Mål5", "S"),
    Question("Led-6", "Min chef är tydlig i sina förväntningar", "Ledning och styrning", "",
             "ja", "", YEARS, "Led-6", "L"),
    Question("Led-7", "Jag får återkoppling på mitt arbete", "Utveckling", "", "ja", "", YEARS,
             "Led-7", "L"),
    Question("Utv8", "Jag har möjlighet att utvecklas i mitt arbete", "Utveckling", "", "nej",
             "", YEARS, "Utv8", "D"),
    Question("Utv9", "Jag lär mig nya saker i mitt arbete", "Utveckling", "", "nej", "", YEARS,
             "Utv9", "D"),
    Question("Arb10", "Min arbetsbelastning är rimlig", "Arbetsmiljö", "", "nej", "", YEARS,
             "Arb10", "W"),
    Question("Arb11old", "Jag kan påverka min arbetstid", "Arbetsmiljö", "", "nej", "",
             (2021,), "Arb11old", "W"),
    Question("Arb11", "Jag kan påverka hur min arbetstid förläggs", "Arbetsmiljö", "", "nej",
             "Arb11old", (2024,), "Arb11", "W"),
    Question("Ny13", "Jag känner till förvaltningens värdegrund", "", "", "nej", "", (2024,),
             "Ny13", "S"),
    Question("Fråga 14", "Jag kan rekommendera min arbetsplats", "Utveckling", "", "nej", "",
             YEARS, "Fråga 14", "D"),
)
# fmt: on

#: asked in the catalogue but present in 2021 only as an all-empty column
EMPTY_COLUMN_IN_2021 = "Ny13"


@dataclass(frozen=True)
class Unit:
    unit_id: str
    name: str
    parent: str
    unit_type: str
    manager: str
    respondents: dict[int, int]  # year -> respondents attached directly
    invited: dict[int, int | None]


# fmt: off
UNITS = (
    Unit("KFF", ORG_NAME, "", "förvaltning", "M-100", {2021: 0, 2024: 0},
         {2021: None, 2024: None}),
    Unit("KUL", "Kulturavdelningen", "KFF", "avdelning", "M-200", {2021: 18, 2024: 20},
         {2021: 22, 2024: 24}),
    Unit("BIB", "Stadsbiblioteket", "KUL", "enhet", "M-210", {2021: 70, 2024: 75},
         {2021: 88, 2024: 90}),
    Unit("MUS", "Stadsmuseet", "KUL", "enhet", "", {2021: 48, 2024: 50},
         {2021: 60, 2024: 61}),
    Unit("ARK", "Stadsarkivet", "KUL", "enhet", "", {2021: 3, 2024: 3},
         {2021: 6, 2024: 6}),
    Unit("FRI", "Fritidsavdelningen", "KFF", "avdelning", "M-300", {2021: 0, 2024: 0},
         {2021: None, 2024: None}),
    Unit("IDR", "Idrottsanläggningar", "FRI", "enhet", "M-310", {2021: 118, 2024: 125},
         {2021: 150, 2024: 152}),
    Unit("UNG", "Ungdomsgårdar", "FRI", "enhet", "M-310", {2021: 60, 2024: 55},
         {2021: 72, 2024: 70}),
    Unit("BAD", "Badhuset Vågen", "FRI", "enhet", "", {2021: 38, 2024: 40},
         {2021: 49, 2024: 50}),
    Unit("KSK", "Kulturskolan", "KFF", "verksamhetsområde", "M-400", {2021: 0, 2024: 0},
         {2021: None, 2024: None}),
    Unit("KSN", "Kulturskolan Norr", "KSK", "skola", "", {2021: 30, 2024: 32},
         {2021: 38, 2024: 40}),
    Unit("KSM", "Kulturskolan Mitt", "KSK", "skola", "", {2021: 24, 2024: 26},
         {2021: 30, 2024: 30}),
    Unit("KSS", "Kulturskolan Söder", "KSK", "skola", "", {2021: 3, 2024: 3},
         {2021: 5, 2024: 5}),
)
# fmt: on

SMALL_UNITS = ("ARK", "KSS")
OMRADEN = ("KUL", "FRI", "KSK")
MANAGERS = ("M-100", "M-200", "M-210", "M-300", "M-310", "M-400")

#: headers as an HR system might export them: odd case, surrounding spaces
UNIT_HEADERS = {
    "year": "YEAR",
    "unit_id": " Unit_ID ",
    "unit_name": "Unit_Name",
    "parent_id": "parent_ID ",
    "unit_type": " unit_TYPE",
    "invited": "Invited",
    "manager_id": " Manager_ID",
}
QUESTION_HEADERS = {
    "question_id": "Question_ID",
    "text": " Text",
    "area": "AREA",
    "ami_dimension": "Ami_Dimension",
    "leadership": "Leadership ",
    "replaces": "Replaces",
}

GENDERS = (("K", 0.55), ("M", 0.37), ("Annat", 0.02), ("", 0.06))
AGE_GROUPS = (("<30", 0.2), ("30-49", 0.5), ("50+", 0.28), ("", 0.02))
ROLES = (("Medarbetare", 0.78), ("Arbetsledare", 0.13), ("Chef", 0.07), ("", 0.02))
UNIT_EFFECT = {"BIB": 0.3, "MUS": -0.2, "IDR": -0.4, "UNG": 0.1, "BAD": 0.0, "KSN": 0.5, "KSM": 0.9}
YEAR_EFFECT = {2021: -0.25, 2024: 0.0}
P_BLANK, P_DONT_KNOW = 0.03, 0.025


def questions_frame() -> pd.DataFrame:
    """The catalogue as written (text cells; "" = empty)."""
    return pd.DataFrame(
        {
            "question_id": [q.question_id for q in QUESTIONS],
            "text": [q.text for q in QUESTIONS],
            "area": [q.area for q in QUESTIONS],
            "ami_dimension": [q.dimension for q in QUESTIONS],
            "leadership": [q.leadership for q in QUESTIONS],
            "replaces": [q.replaces for q in QUESTIONS],
        }
    )


def units_frame() -> pd.DataFrame:
    """The organisation per year as written (text cells; "" = empty)."""
    rows = []
    for year in YEARS:
        for u in UNITS:
            invited = u.invited[year]
            rows.append(
                {
                    "year": str(year),
                    "unit_id": u.unit_id,
                    "unit_name": u.name,
                    "parent_id": u.parent,
                    "unit_type": u.unit_type,
                    "invited": "" if invited is None else str(invited),
                    "manager_id": u.manager,
                }
            )
    return pd.DataFrame(rows)


def _draw_labels(rng: np.random.Generator, choices: tuple, size: int) -> np.ndarray:
    labels = np.array([c for c, _ in choices], dtype=object)
    weights = np.array([w for _, w in choices])
    return rng.choice(labels, size=size, p=weights / weights.sum())


def _answers(rng: np.random.Generator, factors: dict[str, np.ndarray], q: Question) -> np.ndarray:
    """Integer answers 1..6 of one question, with blanks (0 here) and don't-know codes."""
    latent = factors[q.factor] + rng.normal(0.0, 0.7, len(factors[q.factor]))
    values = np.clip(np.rint(3.9 + 1.1 * latent), SCALE_MIN, SCALE_MAX).astype(int)
    draw = rng.random(len(values))
    values[draw < P_BLANK + P_DONT_KNOW] = DONT_KNOW
    values[draw < P_BLANK] = 0
    return values


def responses_frame(seed: int = SEED) -> pd.DataFrame:
    """One row per respondent and year, answers as text ("" = empty), headers as written."""
    rng = np.random.default_rng(seed)
    blocks = []
    for year in YEARS:
        unit_ids = [u.unit_id for u in UNITS for _ in range(u.respondents[year])]
        n = len(unit_ids)
        shift = np.array([UNIT_EFFECT.get(u, 0.0) for u in unit_ids]) + YEAR_EFFECT[year]
        base = {f: shift + rng.normal(0.0, 0.8, n) for f in "LDWS"}
        motivation = (
            0.45 * base["L"] + 0.3 * base["D"] + 0.2 * base["W"] + 0.1 * base["S"]
        ) + rng.normal(0.0, 0.4, n)
        factors = {**base, "M": motivation}
        block = pd.DataFrame(
            {
                "year": str(year),
                "respondent_id": [f"P{year % 100:02d}{i:04d}" for i in range(1, n + 1)],
                "unit_id": unit_ids,
                "gender": _draw_labels(rng, GENDERS, n),
                "age_group": _draw_labels(rng, AGE_GROUPS, n),
                "role": _draw_labels(rng, ROLES, n),
            }
        )
        for q in QUESTIONS:
            answers = _answers(rng, factors, q)
            if year in q.years:
                block[q.column] = [str(a) if a else "" for a in answers]
            elif q.question_id == EMPTY_COLUMN_IN_2021:
                block[q.column] = ""
        blocks.append(block)
    return pd.concat(blocks, ignore_index=True).fillna("")


# --------------------------------------------------------------------------- writing


def _write_xlsx(frame: pd.DataFrame, headers: list[str], path: Path, numeric: set[str]) -> None:
    """One sheet; empty text becomes an empty cell, ``numeric`` columns integer cells."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = path.stem.capitalize()
    sheet.append(headers)
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            if value == "":
                cells.append(None)
            elif column in numeric:
                cells.append(int(value))
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(path)


def write_questions_xlsx(directory: Path) -> Path:
    frame = questions_frame()
    path = directory / "questions.xlsx"
    _write_xlsx(frame, [QUESTION_HEADERS[c] for c in frame.columns], path, set())
    return path


def write_units_csv(directory: Path) -> Path:
    """Semicolon-separated with BOM, as Swedish Excel writes "CSV UTF-8"."""
    frame = units_frame()
    path = directory / "units.csv"
    frame.rename(columns=UNIT_HEADERS).to_csv(
        path, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n"
    )
    return path


def write_units_xlsx(directory: Path) -> Path:
    frame = units_frame()
    path = directory / "units.xlsx"
    _write_xlsx(frame, [UNIT_HEADERS[c] for c in frame.columns], path, {"year", "invited"})
    return path


def write_responses_csv(directory: Path) -> Path:
    path = directory / "responses.csv"
    responses_frame().to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def write_responses_xlsx(directory: Path) -> Path:
    frame = responses_frame()
    path = directory / "responses.xlsx"
    numeric = {"year", *(q.column for q in QUESTIONS)}
    _write_xlsx(frame, list(frame.columns), path, numeric)
    return path


def write_input(directory: Path, fmt: str = "mixed") -> Path:
    """The three tables in ``directory``.

    ``mixed``: questions.xlsx, units.csv (``;`` + BOM), responses.csv (``,``);
    ``xlsx``: all three as workbooks.
    """
    directory.mkdir(parents=True, exist_ok=True)
    write_questions_xlsx(directory)
    if fmt == "mixed":
        write_units_csv(directory)
        write_responses_csv(directory)
    elif fmt == "xlsx":
        write_units_xlsx(directory)
        write_responses_xlsx(directory)
    else:
        raise ValueError(f"write_input: fmt must be 'mixed' or 'xlsx', got {fmt!r}")
    return directory
