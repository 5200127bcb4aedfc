"""The contract on an organisation that looks nothing like the synthetic default.

``tests/foreign_org.py`` writes "Kultur- och fritidsförvaltningen i Exempelstad":
14 questions with free-form ids, other areas, an AMI of 2 + 2 + 1 questions,
a 1..6 scale with "vet ej" = 9, surveys in 2021 and 2024 only, unit types
``avdelning``/``enhet``/``skola``, a third role label, and units of three
respondents. The pipeline's stage functions run on it twice - questions as
XLSX with units and responses as CSV, and everything as XLSX - and every
expected number below is worked out with plain pandas from the files as
written, never through the package.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import unquote

import foreign_org as fo
import numpy as np
import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

from analysis.audit.reconcile import audit_reports, reconciliation_text
from analysis.core.dataset import SurveyData
from analysis.core.params import Params, params_from_dict
from analysis.core.stage_paths import StagePaths
from analysis.drivers.stage import run_drivers
from analysis.indexes.stage import run_indexes
from analysis.ingest.problems import InputError
from analysis.ingest.read import read_input
from analysis.ingest.write import run_ingest
from analysis.render.reports import render_year
from analysis.render.stage import run_render

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("foreign_org")]

ROOT = Path(__file__).resolve().parents[1]
YEAR, PREV = 2024, 2021
FIGURES_COLUMNS = [
    "year", "unit_id", "group", "measure", "n", "value", "change", "change_low", "change_high",
    "suppression"
]  # fmt: skip
DRIVERS_COLUMNS = [
    "year",
    "unit_id",
    "question_id",
    "weight",
    "importance",
    "ci_low",
    "ci_high",
    "score",
    "quadrant",
    "n_used",
]
SUPPRESSED = "för få svar"
PROTECTED = "dold för att skydda en mindre grupp"
#: what a report shows for a hidden figure, by its figures.csv ``suppression``
HIDDEN = {"threshold": SUPPRESSED, "complementary": PROTECTED}
#: what the XLSX variant renders (the mixed variant renders every report)
XLSX_RENDERED = ["index.html", "omrade/KSK.html"]


@dataclass(frozen=True)
class Run:
    """One pipeline run on the foreign organisation, in a temporary directory."""

    fmt: str
    input_dir: Path
    params: Params
    paths: StagePaths

    @property
    def reports(self) -> Path:
        return self.paths.reports_year(YEAR)


def _params(input_dir: Path, school_types: list[str] | None = None) -> Params:
    """The repository's params.yaml, pointed at the foreign input."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    raw["input"]["dir"] = str(input_dir)
    raw["report"]["years"] = [YEAR]
    if school_types is not None:
        raw["report"]["school_types"] = school_types
    raw["survey"] = {
        "scale_min": fo.SCALE_MIN,
        "scale_max": fo.SCALE_MAX,
        "dont_know": fo.DONT_KNOW,
    }
    raw["drivers"]["bootstrap"] = 50
    raw["drivers"]["min_n"] = 30
    return params_from_dict(raw)


def _run_pipeline(
    root: Path, fmt: str, only: list[str] | None, school_types: list[str] | None = None
) -> Run:
    input_dir = fo.write_input(root / "input", fmt)
    params = _params(input_dir, school_types)
    paths = StagePaths(root / "interim", root / "processed", root / "reports")
    run_ingest(params, paths.interim)
    run_indexes(params, YEAR, paths)
    run_drivers(params, YEAR, paths)
    if only is None:
        run_render(params, YEAR, paths)
    else:
        render_year(YEAR, paths.processed_year(YEAR), paths.reports_year(YEAR), params, only=only)
    return Run(fmt, input_dir, params, paths)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """questions.xlsx, units.csv (``;`` + BOM), responses.csv; every report rendered."""
    return _run_pipeline(tmp_path_factory.mktemp("foreign_mixed"), "mixed", None)


@pytest.fixture(scope="module")
def xlsx(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """All three tables as XLSX; ``skola`` declared a school form; two reports rendered."""
    root = tmp_path_factory.mktemp("foreign_xlsx")
    return _run_pipeline(root, "xlsx", XLSX_RENDERED, school_types=["skola"])


@pytest.fixture(params=["mixed", "xlsx"])
def run(request: pytest.FixtureRequest) -> Run:
    return request.getfixturevalue(request.param)


# --------------------------------------------------------------------------- plain pandas


@dataclass(frozen=True)
class Written:
    """The three input files read back with plain pandas, as text."""

    questions: pd.DataFrame
    units: pd.DataFrame
    responses: pd.DataFrame  # answer columns renamed to the catalogue's ids


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.fillna("").astype(str)
    return frame.rename(columns=lambda c: str(c).strip().casefold())


def read_written(run: Run) -> Written:
    d = run.input_dir
    questions = _normalised(pd.read_excel(d / "questions.xlsx", dtype=str))
    if run.fmt == "xlsx":
        units = pd.read_excel(d / "units.xlsx", dtype=str)
        responses = pd.read_excel(d / "responses.xlsx", dtype=str)
    else:
        units = pd.read_csv(
            d / "units.csv", sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
        responses = pd.read_csv(d / "responses.csv", dtype=str, keep_default_na=False)
    units, responses = _normalised(units), _normalised(responses)
    by_folded = {q.casefold(): q for q in questions["question_id"]}
    responses = responses.rename(columns=lambda c: by_folded.get(c, c))
    return Written(questions, units, responses)


def answers(rows: pd.DataFrame, question_id: str) -> pd.Series:
    """Valid answers (1..6); empty and "vet ej" (9) dropped."""
    if question_id not in rows.columns:
        return pd.Series(dtype=float)
    values = pd.to_numeric(rows[question_id].replace("", np.nan))
    return values[(values >= fo.SCALE_MIN) & (values <= fo.SCALE_MAX)]


def question_index(rows: pd.DataFrame, question_id: str) -> float:
    mean = answers(rows, question_id).mean()
    return (mean - fo.SCALE_MIN) / (fo.SCALE_MAX - fo.SCALE_MIN) * 100


def asked(rows: pd.DataFrame, ids: list[str]) -> list[str]:
    """Ids with at least one non-empty cell among ``rows`` (don't-know counts)."""
    return [q for q in ids if q in rows.columns and (rows[q] != "").any()]


def composite(rows: pd.DataFrame, ids: list[str]) -> tuple[float, int]:
    """(value, n): the mean of the asked questions' indexes; n = anyone with a valid answer."""
    ids = asked(rows, ids)
    value = float(np.mean([question_index(rows, q) for q in ids]))
    valid = pd.concat([answers(rows, q) for q in ids], axis=1).notna().any(axis=1)
    return value, int(valid.reindex(rows.index, fill_value=False).sum())


def figures(run: Run) -> pd.DataFrame:
    """figures.csv as text (empty stays ""), with float views of the numbers."""
    table = pd.read_csv(run.reports / "figures.csv", dtype=str, keep_default_na=False)
    for column in ("n", "value", "change"):
        table[f"{column}_num"] = pd.to_numeric(table[column].replace("", np.nan))
    table["year"] = table["year"].astype(int)
    return table


def figure(table: pd.DataFrame, year: int, unit: str, measure: str, group: str = "all"):
    rows = table[
        (table["year"] == year)
        & (table["unit_id"] == unit)
        & (table["group"] == group)
        & (table["measure"] == measure)
    ]
    assert len(rows) == 1, f"figures.csv: {len(rows)} rows for {year} {unit} {group} {measure}"
    return rows.iloc[0]


def expected_difference(unit, group, spread: float, k: int) -> str:
    """The group against the rest of the unit, worked from figures.csv (why, where none)."""
    if group["value"] == "":
        return HIDDEN[group["suppression"]]
    if unit["value"] == "":
        return HIDDEN[unit["suppression"]]
    n_unit, n_group = int(unit["n"]), int(group["n"])
    if n_unit - n_group < k:
        return "för få övriga"
    value_unit, value_group = float(unit["value"]), float(group["value"])
    rest = (n_unit * value_unit - n_group * value_group) / (n_unit - n_group)
    difference = value_group - rest
    text = shown(repr(difference)) if difference >= 0 else "-" + shown(repr(-difference))
    number = int(text)
    shown_text = f"+{number}" if number > 0 else f"\u2212{-number}" if number else "0"
    half = 1.959963984540054 * spread * ((1 / n_group + 1 / (n_unit - n_group)) ** 0.5)
    sure = number != 0 and (difference - half > 0 or difference + half < 0)
    return shown_text + (" * (säkerställd)" if sure and (number > 0) == (difference > 0) else "")


def shown(text: str) -> str:
    """A figures.csv value displayed as the contract states it: half up to a whole number."""
    return str(int(Decimal(text).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def visible_text(path: Path) -> str:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    return soup.get_text(" ", strip=True)


def table_after(path: Path, heading: str) -> list[list[str]]:
    """The rows (cell texts) of the first table after the heading with this text."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    tag = soup.find(["h2", "h3"], string=heading)
    assert tag is not None, f"{path.name}: no heading {heading!r}"
    table = tag.find_next("table")
    return [[c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])] for tr in table("tr")]


# --------------------------------------------------------------------------- 1-2 tables, audit


def test_published_tables_have_exactly_the_contract_columns(run: Run) -> None:
    with open(run.reports / "figures.csv", encoding="utf-8") as handle:
        assert handle.readline().rstrip("\n").split(",") == FIGURES_COLUMNS
    header = (run.reports / "drivers.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    # the contract's columns in the contract's order, then the project's seven
    assert header == [
        *DRIVERS_COLUMNS, "importance_from", "basis", "own_weight", "p_high", "beta",
        "p_negative", "p_random",
    ]  # fmt: skip
    drivers = pd.read_csv(run.reports / "drivers.csv", keep_default_na=False)
    assert set(drivers["quadrant"]) <= {"styrka", "fokusområde", "övrigt"}
    # the drivers are every question asked in 2024 except the two motivation questions
    expected = {"Sp3", "Led-4", "Mål5", "Led-6", "Led-7", "Utv8", "Utv9", "Arb10", "Arb11"}
    expected |= {"Ny13", "Fråga 14"}
    assert set(drivers.loc[drivers["unit_id"] == "KFF", "question_id"]) == expected


def test_independent_audit_finds_no_mismatch(run: Run) -> None:
    data = SurveyData.load(run.paths.interim)
    reconciliations = audit_reports(data, run.params, run.paths.reports, years=[YEAR])
    kinds = {(r.kind, r.year) for r in reconciliations}
    assert {("figures", YEAR), ("figures", PREV), ("drivers", YEAR)} <= kinds
    assert all(r.rows_checked > 0 for r in reconciliations)
    mismatches = sum(len(r.mismatches) for r in reconciliations)
    assert mismatches == 0, reconciliation_text(reconciliations)


def test_xlsx_input_publishes_the_same_bytes_as_csv_input(mixed: Run, xlsx: Run) -> None:
    """The format of the input is not part of the result."""
    for name in ("figures.csv", "drivers.csv"):
        assert (xlsx.reports / name).read_bytes() == (mixed.reports / name).read_bytes(), name


# --------------------------------------------------------------------------- 3 hand-worked


def test_root_ami_and_its_n_on_the_six_point_scale(run: Run) -> None:
    written = read_written(run)
    ami_ids = list(written.questions.loc[written.questions["ami_dimension"] != "", "question_id"])
    assert len(ami_ids) == 5
    year = written.responses[written.responses["year"] == str(YEAR)]
    value, n = composite(year, ami_ids)
    row = figure(figures(run), YEAR, "KFF", "AMI")
    assert row["n_num"] == n == 429
    assert row["value_num"] == pytest.approx(value, abs=1e-9)
    # one dimension of a single question is that question's index
    styrning = figure(figures(run), YEAR, "KFF", "AMI.Styrning")
    assert styrning["value_num"] == pytest.approx(question_index(year, "Mål5"), abs=1e-9)


def test_leaf_response_rate(run: Run) -> None:
    written = read_written(run)
    units = written.units[written.units["year"] == str(YEAR)]
    invited = int(units.loc[units["unit_id"] == "BIB", "invited"].item())
    responding = int(
        ((written.responses["year"] == str(YEAR)) & (written.responses["unit_id"] == "BIB")).sum()
    )
    row = figure(figures(run), YEAR, "BIB", "response_rate")
    assert (responding, invited) == (75, 90)
    assert row["n_num"] == responding
    assert row["value_num"] == pytest.approx(responding / invited * 100, abs=1e-9)


def test_change_across_the_survey_gap(run: Run) -> None:
    """2024 is compared with 2021, the previous survey year in the data."""
    written = read_written(run)
    table = figures(run)
    q = written.questions
    by_year = {y: written.responses[written.responses["year"] == str(y)] for y in (YEAR, PREV)}
    cases = {
        "AMI": list(q.loc[q["ami_dimension"] != "", "question_id"]),
        "area:Utveckling": list(q.loc[q["area"] == "Utveckling", "question_id"]),
        "q:Led-4": ["Led-4"],
    }
    for measure, ids in cases.items():
        now, before = (composite(by_year[y], ids)[0] for y in (YEAR, PREV))
        row = figure(table, YEAR, "KFF", measure)
        assert row["change_num"] == pytest.approx(now - before, abs=1e-9), measure
        assert figure(table, PREV, "KFF", measure)["value_num"] == pytest.approx(before, abs=1e-9)


def test_reworded_and_new_questions_and_their_composites_have_no_change(run: Run) -> None:
    table = figures(run)
    this_year = table[table["year"] == YEAR]
    for measure in ("q:Arb11", "area:Arbetsmiljö", "q:Ny13"):
        rows = this_year[this_year["measure"] == measure]
        assert len(rows) and (rows["value"] != "").any(), measure
        assert (rows["change"] == "").all(), f"{measure} must never have a change"
    # the old wording is not asked in 2024, so it has no 2024 figure at all
    assert not (this_year["measure"] == "q:Arb11old").any()
    # the leadership index keeps its four questions and so its change
    assert figure(table, YEAR, "KFF", "leadership")["change"] != ""


@pytest.mark.parametrize("unit", fo.SMALL_UNITS)
def test_three_respondent_units_publish_nothing(run: Run, unit: str) -> None:
    written = read_written(run)
    for year in (YEAR, PREV):
        rows = written.responses[written.responses["year"] == str(year)]
        assert (rows["unit_id"] == unit).sum() == 3
    table = figures(run)
    rows = table[table["unit_id"] == unit]
    assert len(rows) > 0
    assert (rows[["n", "value", "change"]] == "").all(axis=None), rows[rows["value"] != ""]


def test_no_hidden_remainder_of_a_question_can_be_recovered(run: Run) -> None:
    """Parent minus its published children, and a unit minus its published groups.

    For a question index the remainder's mean follows exactly from the
    published n and values; it must never rest on 1..4 respondents.
    """
    k = run.params.privacy.min_group_size
    written = read_written(run)
    table = figures(run)
    parent_of = dict(zip(written.units["unit_id"], written.units["parent_id"], strict=False))
    q = table[table["measure"].str.startswith("q:") & ~table["unit_id"].str.startswith("manager:")]
    published = q[q["value"] != ""]
    breaches = []
    n = published.set_index(["year", "unit_id", "group", "measure"])["n_num"]
    children = published.assign(parent=published["unit_id"].map(parent_of))
    children = children[children["parent"] != ""]
    child_sum = children.groupby(["year", "parent", "group", "measure"])["n_num"].sum()
    for key, total in n.items():
        year, unit, group, measure = key
        residual = total - child_sum.get((year, unit, group, measure), 0)
        if 0 < residual < k:
            breaches.append(("tree", *key, int(residual)))
    groups = published[published["group"] != "all"]
    groups = groups.assign(variable=groups["group"].str.split("=").str[0])
    group_sum = groups.groupby(["year", "unit_id", "variable", "measure"])["n_num"].sum()
    for (year, unit, variable, measure), parts in group_sum.items():
        total = n.get((year, unit, "all", measure))
        if total is not None and 0 < total - parts < k:
            breaches.append(("groups", year, unit, variable, measure, int(total - parts)))
    assert not breaches, f"recoverable remainders (kind, key..., n): {breaches[:10]}"


def nearest_manager(units: pd.DataFrame) -> dict[str, str]:
    """unit_id -> the manager of the first unit with a manager_id on the way up to the root."""
    parent = dict(zip(units["unit_id"], units["parent_id"], strict=True))
    manager = dict(zip(units["unit_id"], units["manager_id"], strict=True))
    out = {}
    for unit in parent:
        current = unit
        while current and not manager[current]:
            current = parent[current]
        out[unit] = manager[current] if current else ""
    return out


def test_leader_rows_cover_the_staff_nearest_to_each_manager(run: Run) -> None:
    """docs/assumptions.md: a manager's group is everyone whose nearest manager they are."""
    written = read_written(run)
    table = figures(run)
    units = written.units[written.units["year"] == str(YEAR)]
    rows = written.responses[written.responses["year"] == str(YEAR)]
    lead_of = rows["unit_id"].map(nearest_manager(units))
    q = written.questions
    leadership_ids = list(q.loc[q["leadership"].str.casefold() == "ja", "question_id"])
    assert len(leadership_ids) == 4
    k = run.params.privacy.min_group_size
    checked = []
    for manager in fo.MANAGERS:
        led = rows[lead_of == manager]
        value, n = composite(led, leadership_ids) if len(led) else (np.nan, 0)
        row = figure(table, YEAR, f"manager:{manager}", "leadership")
        if n < k:
            assert row["value"] == "", f"{manager}: n = {n} must be suppressed"
        elif row["value"] != "":
            assert row["n_num"] == n, manager
            assert row["value_num"] == pytest.approx(value, abs=1e-9), manager
            checked.append(manager)
    # M-310 leads Idrottsanläggningar and Ungdomsgårdar; M-200 its own staff, MUS and ARK
    assert {"M-310", "M-200"} <= set(checked)
    assert figure(table, YEAR, "manager:M-310", "leadership")["n_num"] == 180


# --------------------------------------------------------------------------- 4 names


def test_measures_and_groups_are_named_from_the_input(run: Run) -> None:
    written = read_written(run)
    q = written.questions
    table = figures(run)
    composites = {"AMI", "AMI.Motivation", "AMI.Ledarskap", "AMI.Styrning", "leadership"}
    areas = {f"area:{a}" for a in q["area"] if a}
    assert areas == {"area:Arbetsmiljö", "area:Ledning och styrning", "area:Utveckling"}
    for year in (YEAR, PREV):
        rows = written.responses[written.responses["year"] == str(year)]
        ids = asked(rows, list(q["question_id"]))
        expected = composites | areas | {"response_rate"} | {f"q:{i}" for i in ids}
        assert set(table.loc[table["year"] == year, "measure"]) == expected, year
    assert {"q:F-01", "q:Trivsel1", "q:Led-4", "q:Fråga 14"} <= set(table["measure"])
    labels = {
        f"{variable}={label}"
        for variable in ("gender", "age_group", "role")
        for label in written.responses[variable]
        if label
    }
    assert labels >= {"gender=K", "gender=Annat", "role=Arbetsledare", "age_group=<30"}
    assert set(table["group"]) <= labels | {"all"}
    root_groups = set(table.loc[(table["unit_id"] == "KFF") & (table["year"] == YEAR), "group"])
    assert root_groups == labels | {"all"}


# --------------------------------------------------------------------------- 5 reports


def test_every_report_of_the_organisation_is_rendered(mixed: Run) -> None:
    expected = {"index.html"}
    expected |= {f"omrade/{u}.html" for u in fo.OMRADEN}
    expected |= {f"enhet/{u.unit_id}.html" for u in fo.UNITS if u.parent in fo.OMRADEN}
    expected |= {f"ledare/{m}.html" for m in fo.MANAGERS}
    written = {p.relative_to(mixed.reports).as_posix() for p in mixed.reports.rglob("*.html")}
    assert written == expected
    assert (mixed.reports / f"medarbetarenkat_{YEAR}.xlsx").is_file()


def test_reports_name_the_organisation_and_show_no_error_text(run: Run) -> None:
    pages = sorted(run.reports.rglob("*.html"))
    assert run.reports / "index.html" in pages
    assert fo.ORG_NAME in visible_text(run.reports / "index.html")
    soup = BeautifulSoup((run.reports / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert fo.ORG_NAME in soup.title.get_text()
    bad = re.compile(r"Traceback|Error|Exception|\bnan\b|\bNaN\b|\bNone\b|\bnull\b|\bNaT\b")
    found = {}
    for page in pages:
        hits = sorted({m.group() for m in bad.finditer(visible_text(page))})
        if hits:
            found[page.relative_to(run.reports).as_posix()] = hits
    assert not found, f"error-like text in reports: {found}"


def test_links_between_reports_resolve(run: Run) -> None:
    pages = sorted(run.reports.rglob("*.html"))
    checked, broken = 0, []
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for link in soup.find_all("a", href=True):
            href = link["href"]
            if re.match(r"[a-z]+:|#", href):
                continue
            target = (page.parent / unquote(href)).resolve()
            relative = target.relative_to(run.reports).as_posix()
            if run.fmt == "xlsx" and relative not in XLSX_RENDERED:
                continue  # only part of the XLSX variant is rendered
            checked += 1
            if not target.is_file():
                broken.append((page.name, href))
    assert checked >= len(pages) - 1  # at least the förvaltning's links to every other report
    assert not broken


def test_priority_lists_follow_drivers_csv(run: Run) -> None:
    """The förvaltning's strengths and focus areas are drivers.csv's, with the catalogue's texts."""
    written = read_written(run)
    text_of = dict(zip(written.questions["question_id"], written.questions["text"], strict=True))
    drivers = pd.read_csv(run.reports / "drivers.csv", dtype=str, keep_default_na=False)
    root = drivers[drivers["unit_id"] == "KFF"].copy()
    root["score_num"] = root["score"].astype(float)
    root["importance_num"] = root["importance"].astype(float)
    for heading, quadrant, ascending in (
        ("Styrkor", "styrka", False),
        ("Fokusområden", "fokusområde", True),
    ):
        chosen = root[root["quadrant"] == quadrant].sort_values(
            ["score_num", "importance_num", "question_id"],
            ascending=[ascending, False, True],
            kind="mergesort",
        )
        expected = [
            [text_of[q], shown(v)]
            for q, v in zip(chosen["question_id"], chosen["score"], strict=True)
        ]
        assert 0 < len(expected) <= 5, quadrant
        assert table_after(run.reports / "index.html", heading)[1:] == expected, heading


def test_answers_outside_the_six_point_scale_are_listed_with_file_row_and_column(
    mixed: Run, tmp_path: Path
) -> None:
    """On the 1..6 scale with "vet ej" = 9, a 7 and a 0 are wrong (0 is the default's vet ej)."""
    for source in mixed.input_dir.iterdir():
        (tmp_path / source.name).write_bytes(source.read_bytes())
    responses = pd.read_csv(tmp_path / "responses.csv", dtype=str, keep_default_na=False)
    responses.loc[4, "TRIVSEL1"] = "7"
    responses.loc[10, "Fråga 14"] = "0"
    responses.loc[11, "Fråga 14"] = "9"  # vet ej: valid
    responses.to_csv(tmp_path / "responses.csv", index=False, lineterminator="\n")
    with pytest.raises(InputError) as caught:
        read_input(tmp_path, mixed.params)
    expected = "an integer 1..6, 9 (vet ej) or empty"
    assert [str(p) for p in caught.value.problems] == [
        f"responses.csv row 6, column TRIVSEL1: value '7' — expected {expected}",
        f"responses.csv row 12, column Fråga 14: value '0' — expected {expected}",
    ]


def test_suppressed_numbers_read_too_few_answers(mixed: Run) -> None:
    for unit in fo.SMALL_UNITS:
        text = visible_text(mixed.reports / f"enhet/{unit}.html")
        assert f"Svarsfrekvens: {SUPPRESSED}" in text
        assert not re.search(r"\d+ %", text), f"{unit}: a number is shown"


def test_group_table_matches_the_published_figures(run: Run) -> None:
    """Kulturskolan's AMI by gender against the previous survey (2021), cell by cell.

    Each value is the published figure shown, or "för få svar" where its row
    is suppressed - in either year; the change is the difference of the two
    shown values, or says why there is none. Every AMI question was asked in
    both years, so every index is comparable.
    """
    rows = table_after(run.reports / "omrade/KSK.html", "AMI per kön")
    assert rows[0] == ["Grupp", "Index", str(YEAR), "Mot övriga", str(PREV), "Förändring"]
    meta = json.loads((run.paths.processed_year(YEAR) / "meta.json").read_text("utf-8"))
    spread = meta["respondent_spread"]
    k = run.params.privacy.min_group_size
    table = figures(run)
    measures = {
        "AMI totalt": "AMI",
        "Motivation": "AMI.Motivation",
        "Ledarskap": "AMI.Ledarskap",
        "Styrning": "AMI.Styrning",
    }
    assert len(rows) > 1, "no gender rows"
    suppressed_cells, label = 0, ""
    for group_cell, index, now_cell, difference_cell, prev_cell, change_cell in rows[1:]:
        label = group_cell or label
        group = f"gender={label}"
        now = figure(table, YEAR, "KSK", measures[index], group)
        unit = figure(table, YEAR, "KSK", measures[index])
        assert difference_cell == expected_difference(unit, now, spread[measures[index]], k)
        # a change is marked exactly where figures.csv's interval excludes 0 on its side
        change_cell, sure, _ = change_cell.partition(" * (säkerställd)")
        if sure:
            low, high = float(now["change_low"]), float(now["change_high"])
            assert low > 0 or high < 0, (label, index)
        before = table[
            (table["year"] == PREV)
            & (table["unit_id"] == "KSK")
            & (table["group"] == group)
            & (table["measure"] == measures[index])
        ]
        expected_now = HIDDEN[now["suppression"]] if now["value"] == "" else shown(now["value"])
        if before.empty:
            expected_prev, expected_change = "", f"inget värde {PREV}"
        else:
            prev = before.iloc[0]
            expected_prev = (
                HIDDEN[prev["suppression"]] if prev["value"] == "" else shown(prev["value"])
            )
            if now["value"] == "" or prev["value"] == "":
                # this year's reason first when both are hidden
                expected_change = expected_now if now["value"] == "" else expected_prev
            else:
                diff = int(expected_now) - int(expected_prev)
                expected_change = f"+{diff}" if diff > 0 else f"\u2212{-diff}" if diff else "0"
        suppressed_cells += (expected_now in HIDDEN.values()) + (expected_prev in HIDDEN.values())
        assert [now_cell, prev_cell, change_cell] == [
            expected_now,
            expected_prev,
            expected_change,
        ], (label, index)
    assert suppressed_cells > 0, "the fixture should hide at least one gender cell here"


def test_age_groups_are_listed_youngest_first(mixed: Run) -> None:
    """The band "<30" is younger than "30-49": age tables must not sort by the digits alone."""
    rows = table_after(mixed.reports / "index.html", "AMI – ålder")
    labels = [r[0] for r in rows[1:]]
    assert labels == ["<30", "30-49", "50+"], (
        f"age groups shown in the order {labels}: analysis.report.unit_figures.age_sort_key sorts "
        "'<30' by its first number (30) and so after '30-49'; an upper-bound label "
        "('<30', '-29', 'under 30') must sort before the band that starts at that number"
    )


def test_unit_types_outside_school_types_leave_the_school_lists_out(mixed: Run) -> None:
    """Default school_types (grundskola, gymnasieskola): no school here, no school list."""
    text = visible_text(mixed.reports / "index.html")
    assert "Toppresultat" not in text
    assert "AMI under 70 Antal skolor" not in text  # the count per school form
    assert "Fler rapporter" in text  # the sections after it still render


def test_school_forms_from_params_drive_the_top_list(xlsx: Run) -> None:
    """school_types = [skola]: Kulturskolan's schools are ranked, the suppressed ones not."""
    table = figures(xlsx)
    schools = [u.unit_id for u in fo.UNITS if u.unit_type == "skola"]
    published = {
        u: figure(table, YEAR, u, "AMI")["value"]
        for u in schools
        if figure(table, YEAR, u, "AMI")["value"] != ""
    }
    assert published, "the fixture should publish at least one school's AMI"
    names = {u.unit_id: u.name for u in fo.UNITS}
    rows = table_after(
        xlsx.reports / "index.html", f"Toppresultat (AMI) – topp {len(published)} skolor"
    )
    assert rows[0] == ["Placering", "Skola", "Skolform", "AMI"]
    ranked = sorted(published, key=lambda u: -float(published[u]))
    assert [r[1:] for r in rows[1:]] == [[names[u], "skola", shown(published[u])] for u in ranked]
    under = table_after(xlsx.reports / "index.html", "AMI under 70")
    below = sum(int(shown(v)) < 70 for v in published.values())
    assert under[1] == ["skola", str(below)]
    reasons = [figure(table, YEAR, u, "AMI")["suppression"] for u in schools]
    text = visible_text(xlsx.reports / "index.html")
    for count, sentence in (
        (reasons.count("threshold"), "{k} {s} har för få svar för att AMI ska visas."),
        (reasons.count("complementary"), "För {k} {s} visas inte AMI: siffran är " + PROTECTED),
    ):
        if count:
            assert sentence.format(k=count, s="skola" if count == 1 else "skolor") in text


def test_the_small_school_costs_one_sibling_per_measure(mixed: Run) -> None:
    """Kulturskolan has no own staff and three schools, Söder with 3 respondents.

    Every measure must hide one sibling's total beside Söder's (else the
    parent minus the two others gives Söder away), and it must be the same
    sibling: were Norr hidden in some measures and Mitt in others, Mitt's
    published counts would bound Mitt's respondents from below and so
    Söder's response count to at most 3 (the publication before the joint
    audit did exactly that, hiding 23 unit totals; docs/privacy.md, "The
    loss"). So the whole organisation hides at most 22 unit totals for
    others' sake: one per measure of Kulturskolan's.
    """
    table = figures(mixed)
    this_year = table[(table["year"] == YEAR) & (table["group"] == "all")]
    schools = this_year[this_year["unit_id"].isin(["KSN", "KSM", "KSS"])]
    hidden = schools.pivot(index="measure", columns="unit_id", values="suppression")
    assert (hidden["KSS"] == "threshold").all()
    siblings = hidden[["KSN", "KSM"]] == "complementary"
    assert (siblings.sum(axis=1) == 1).all(), hidden
    assert siblings.all().sum() == 1, "a different sibling hidden in different measures"
    tree_units = set(fo.units_frame()["unit_id"])
    for_others = this_year["unit_id"].isin(tree_units) & (
        this_year["suppression"] == "complementary"
    )
    assert for_others.sum() == len(hidden) == 22
