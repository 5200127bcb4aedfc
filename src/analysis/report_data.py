"""What a yearly report shows, computed from the processed tables of one year.

The report notebooks read ONLY ``data/processed/<Y>/`` (figures, units,
questions, drivers, meta.json): already-suppressed aggregates, never
respondent rows. That keeps the privacy guarantee structural - whatever a
cell prints, it cannot print an answer.

The module has two layers. The *data* layer (``ProcessedYear`` and the
selection/ranking functions) returns plain tables and is unit-tested on
hand-made tables. The *section* layer (``*_section`` functions at the end)
turns them into the HTML a notebook cell shows, one function per section of
the 2023 presentation, so the notebooks stay a list of calls.

Every number shown goes through :mod:`analysis.rounding` (half up; changes are
differences of displayed values; levels decided on the displayed integer), and
a suppressed figure is shown as "för få svar", never as a number.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from analysis import plots, priority
from analysis.area_texts import area_text
from analysis.catalogue import (
    AMI,
    AMI_DIMENSIONS,
    LEADERSHIP,
    RESPONSE_RATE,
    area_measure,
    dimension_measure,
    question_measure,
)
from analysis.contract import (
    DRIVERS_CSV_COLUMNS,
    FIGURES_TABLE_COLUMNS,
    MANAGER_PREFIX,
)
from analysis.params import LevelParams, Params, params_from_dict
from analysis.rounding import displayed_change, format_change, level, round_half_up
from analysis.style import LEVEL_COLOURS, LEVEL_DEVELOP, LEVEL_GOOD, LEVEL_IMPROVE, MINUS

SUPPRESSED = "för få svar"
ALL = "all"
NEW = "ny"
REWORDED = "omformulerad"

FIGURE_COLUMNS = tuple(FIGURES_TABLE_COLUMNS)
UNIT_COLUMNS = ("year", "unit_id", "unit_name", "parent_id", "unit_type", "invited", "manager_id")
QUESTION_COLUMNS = (
    "question_id",
    "text",
    "area",
    "ami_dimension",
    "leadership",
    "replaces",
    "asked",
    "asked_prev",
)
DRIVER_COLUMNS = tuple(DRIVERS_CSV_COLUMNS)
META_KEYS = ("year", "previous_year", "years", "input_sha256", "rows_rejected", "params")

# Report kinds and where each is written under reports/<Y>/.
FORVALTNING = "forvaltning"
OMRADE = "omrade"
ENHET = "enhet"
LEDARE = "ledare"
KIND_TITLES = {
    FORVALTNING: "Förvaltningsrapport",
    OMRADE: "Områdesrapport",
    ENHET: "Enhetsrapport",
    LEDARE: "Ledarrapport",
}

#: more child units than this and the response rates are a table, not a chart
MAX_CHART_BARS = 30

MEASURE_LABELS = {
    AMI: "AMI totalt",
    **{dimension_measure(d): d for d in AMI_DIMENSIONS},
    LEADERSHIP: "Ledarskapsindex",
    RESPONSE_RATE: "Svarsfrekvens",
}


class ReportDataError(ValueError):
    """The processed directory does not hold what a report needs."""


# ---------------------------------------------------------------------------
# Loading one year's processed tables
# ---------------------------------------------------------------------------


def _read_parquet(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        raise ReportDataError(
            f"{path}: missing; the indexes/drivers stages write it (run `dvc repro`)"
        )
    frame = pd.read_parquet(path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportDataError(f"{path}: missing column(s) {missing}")
    return frame


def _text(series: pd.Series) -> pd.Series:
    """A string column with empty strings for NA, as every later comparison expects."""
    return series.astype(object).where(series.notna(), "").astype(str)


class ProcessedYear:
    """The processed tables of one survey year, indexed for quick per-unit lookups.

    Loaded once per kernel and reused across the many reports a worker renders
    (see :func:`load_processed_year`), so it is treated as read-only.
    """

    def __init__(
        self,
        directory: Path,
        meta: dict[str, Any],
        figures: pd.DataFrame,
        units: pd.DataFrame,
        questions: pd.DataFrame,
        drivers: pd.DataFrame,
    ) -> None:
        self.directory = directory
        self.meta = meta
        self.units = units.reset_index(drop=True)
        self.questions = questions.reset_index(drop=True)
        self.drivers = drivers.reset_index(drop=True)
        # sorted by unit for slicing; the index keeps the file's row order
        ordered = figures.reset_index(drop=True).sort_values("unit_id", kind="stable")
        self.figures = ordered
        ids = ordered["unit_id"].to_numpy()
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else []
        ends = [*list(starts[1:]), len(ids)]
        self._slices = {ids[s]: (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}

    # -- meta ---------------------------------------------------------------
    @property
    def year(self) -> int:
        return int(self.meta["year"])

    @property
    def previous_year(self) -> int | None:
        prev = self.meta.get("previous_year")
        return None if prev is None else int(prev)

    @property
    def rows_rejected(self) -> int:
        return int(self.meta.get("rows_rejected") or 0)

    @property
    def quarantine_mode(self) -> bool:
        raw = self.meta.get("params", {}) or {}
        return (raw.get("input", {}) or {}).get("on_invalid") == "quarantine"

    # -- the organisation ---------------------------------------------------
    @cached_property
    def unit_index(self) -> dict[str, dict[str, Any]]:
        return {row["unit_id"]: row for row in self.units.to_dict("records")}

    @cached_property
    def children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {uid: [] for uid in self.units["unit_id"]}
        for uid, parent in zip(self.units["unit_id"], self.units["parent_id"], strict=True):
            if parent:
                out.setdefault(parent, []).append(uid)
        return out

    @cached_property
    def root_id(self) -> str:
        roots = list(self.units.loc[self.units["parent_id"] == "", "unit_id"])
        if len(roots) != 1:
            raise ReportDataError(
                f"{self.directory / 'units.parquet'}: expected exactly one root unit "
                f"(empty parent_id), found {len(roots)}: {roots[:5]}"
            )
        return roots[0]

    def unit_name(self, unit_id: str) -> str:
        if unit_id.startswith(MANAGER_PREFIX):
            return f"Chef {unit_id[len(MANAGER_PREFIX) :]}"
        return str(self.unit_index[unit_id]["unit_name"])

    def unit_type(self, unit_id: str) -> str:
        return str(self.unit_index[unit_id]["unit_type"])

    def depth(self, unit_id: str) -> int:
        depth = 0
        parent = self.unit_index[unit_id]["parent_id"]
        while parent:
            depth += 1
            parent = self.unit_index[parent]["parent_id"]
        return depth

    def kind(self, unit_id: str) -> str:
        """Which kind of report a unit gets: förvaltning, område, or enhet (anything deeper)."""
        if unit_id.startswith(MANAGER_PREFIX):
            return LEDARE
        return {0: FORVALTNING, 1: OMRADE}.get(self.depth(unit_id), ENHET)

    def check_report_unit(self, unit_id: str) -> None:
        if unit_id.startswith(MANAGER_PREFIX):
            if unit_id not in self._slices:
                raise ReportDataError(
                    f"{self.directory / 'figures.parquet'}: no rows for leader {unit_id!r}"
                )
        elif unit_id not in self.unit_index:
            raise ReportDataError(
                f"{self.directory / 'units.parquet'}: no unit {unit_id!r} in {self.year}"
            )

    # -- figures ------------------------------------------------------------
    def unit_figures(self, unit_id: str) -> pd.DataFrame:
        """All figure rows of one unit (every year present), in file order."""
        start, end = self._slices.get(unit_id, (0, 0))
        return self.figures.iloc[start:end]

    @cached_property
    def current_all(self) -> pd.DataFrame:
        """Year Y, group ``all``: unit × measure values (NaN = suppressed)."""
        rows = self.figures[(self.figures["year"] == self.year) & (self.figures["group"] == ALL)]
        return rows.pivot(index="unit_id", columns="measure", values="value").astype(float)

    @cached_property
    def managers(self) -> list[str]:
        """Leader-report ids (``manager:<id>``) with rows in year Y, sorted."""
        current = self.figures.loc[self.figures["year"] == self.year, "unit_id"]
        return sorted(u for u in current.unique() if str(u).startswith(MANAGER_PREFIX))

    # -- questions ----------------------------------------------------------
    @cached_property
    def asked_questions(self) -> pd.DataFrame:
        """Questions asked in year Y, catalogue order, with their new/reworded status."""
        asked = self.questions[self.questions["asked"]].copy()
        asked["status"] = [
            question_status(r, a, self.previous_year)
            for r, a in zip(asked["replaces"], asked["asked_prev"], strict=True)
        ]
        return asked.reset_index(drop=True)

    @cached_property
    def question_texts(self) -> dict[str, str]:
        return dict(zip(self.questions["question_id"], self.questions["text"], strict=True))


def question_status(replaces: str, asked_prev: bool, previous_year: int | None) -> str:
    """``omformulerad`` (rewords an earlier id), ``ny`` (not asked last time) or ``""``.

    With no previous survey year nothing is new: there is just no comparison.
    """
    if previous_year is None:
        return ""
    if replaces:
        return REWORDED
    if not asked_prev:
        return NEW
    return ""


def _file_signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    names = ("figures.parquet", "units.parquet", "questions.parquet", "drivers.parquet")
    out = []
    for name in (*names, "meta.json"):
        path = directory / name
        stat = path.stat() if path.exists() else None
        out.append((name, stat.st_mtime_ns if stat else -1, stat.st_size if stat else -1))
    return tuple(out)


def load_processed_year(directory: str | Path) -> ProcessedYear:
    """Read ``data/processed/<Y>/`` (cached per kernel while the files are unchanged).

    A render worker executes hundreds of reports in one warm kernel; reading
    and indexing the figures table once instead of per report is most of the
    speed-up.
    """
    resolved = Path(directory).resolve()
    return _load_cached(resolved, _file_signature(resolved))


@lru_cache(maxsize=2)
def _load_cached(directory: Path, signature: tuple) -> ProcessedYear:
    """``signature`` (file times and sizes) is part of the cache key only."""
    meta_path = directory / "meta.json"
    if not meta_path.is_file():
        raise ReportDataError(f"{meta_path}: missing; the indexes stage writes it")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        raise ReportDataError(f"{meta_path}: missing key(s) {missing}")

    figures = _read_parquet(directory / "figures.parquet", FIGURE_COLUMNS)
    figures = figures[list(FIGURE_COLUMNS)].copy()
    figures["year"] = figures["year"].astype("int64")
    for column in ("unit_id", "group", "measure"):
        figures[column] = _text(figures[column])
    for column in ("value", "change", "value_prev"):
        figures[column] = figures[column].astype("float64")
    figures["n"] = figures["n"].astype("Int64")

    units = _read_parquet(directory / "units.parquet", UNIT_COLUMNS)
    for column in ("unit_id", "unit_name", "parent_id", "unit_type", "manager_id"):
        units[column] = _text(units[column])

    questions = _read_parquet(directory / "questions.parquet", QUESTION_COLUMNS)
    for column in ("question_id", "text", "area", "ami_dimension", "replaces"):
        questions[column] = _text(questions[column])
    for column in ("leadership", "asked", "asked_prev"):
        questions[column] = questions[column].astype(bool)

    drivers = _read_parquet(directory / "drivers.parquet", DRIVER_COLUMNS)
    for column in ("unit_id", "question_id", "quadrant", "importance_from"):
        drivers[column] = _text(drivers[column])
    return ProcessedYear(directory, meta, figures, units, questions, drivers)


# ---------------------------------------------------------------------------
# One figure as the reader sees it
# ---------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Shown:
    """One published (or suppressed) figure: full precision in, display strings out."""

    value: float | None = None
    value_prev: float | None = None
    n: int | None = None

    @property
    def published(self) -> bool:
        return self.value is not None

    @property
    def rounded(self) -> int | None:
        return None if self.value is None else round_half_up(self.value)

    @property
    def change(self) -> int | None:
        """Displayed change (difference of displayed values), or None without a comparison."""
        if self.value is None or self.value_prev is None:
            return None
        return displayed_change(self.value, self.value_prev)

    @property
    def text(self) -> str:
        return SUPPRESSED if self.value is None else str(self.rounded)

    @property
    def change_text(self) -> str:
        return "" if self.change is None else format_change(self.change)

    def level(self, levels: LevelParams) -> str | None:
        return None if self.value is None else level(self.value, levels)


class UnitFigures:
    """The figure rows of one unit, looked up by (measure, group, year)."""

    def __init__(self, data: ProcessedYear, unit_id: str) -> None:
        self.data = data
        self.unit_id = unit_id
        rows = data.unit_figures(unit_id)
        self._rows = {
            (int(y), g, m): Shown(_number(v), _number(p), None if pd.isna(n) else int(n))
            for y, g, m, v, p, n in zip(
                rows["year"],
                rows["group"],
                rows["measure"],
                rows["value"],
                rows["value_prev"],
                rows["n"],
                strict=True,
            )
        }

    def get(self, measure: str, group: str = ALL, year: int | None = None) -> Shown:
        """The figure, or an empty (suppressed-looking) one where no row exists."""
        return self._rows.get((year or self.data.year, group, measure), Shown())

    def has(self, measure: str, group: str = ALL, year: int | None = None) -> bool:
        return (year or self.data.year, group, measure) in self._rows

    def groups(self, variable: str, year: int | None = None) -> list[str]:
        """Labels of one background variable with rows this year, in natural order."""
        prefix = f"{variable}="
        labels = {
            g[len(prefix) :]
            for (y, g, _m) in self._rows
            if y == (year or self.data.year) and g.startswith(prefix) and g[len(prefix) :]
        }
        key = age_sort_key if variable == "age_group" else str.casefold
        return sorted(labels, key=key)

    def any_published(self) -> bool:
        """Whether the unit has a single published number in year Y."""
        year = self.data.year
        return any(s.published for (y, _g, _m), s in self._rows.items() if y == year)


def age_sort_key(label: str) -> tuple[int, float, str]:
    """Sort age bands by age ("<30", "-29" < "30-39" < "60-"/"60+"); others last.

    A band written as an upper bound ("<30", "-29", "under 30") is younger than
    the band that starts at that number.
    """
    text = label.strip()
    found = re.search(r"\d+", text)
    if found is None:
        return (1, 0.0, text.casefold())
    start = float(found.group())
    if re.match(r"(<|≤|-|–|under\b|upp till\b)", text.casefold()):
        start -= 0.5
    return (0, start, text.casefold())


# ---------------------------------------------------------------------------
# The organisation tree
# ---------------------------------------------------------------------------


def subtree_ids(data: ProcessedYear, unit_id: str, include_self: bool = True) -> list[str]:
    """The unit and all its descendants in pre-order (the units table's sibling order)."""
    out: list[str] = []
    stack = [unit_id]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(data.children.get(current, [])))
    return out if include_self else out[1:]


def school_units(data: ProcessedYear, unit_id: str, school_types: Iterable[str]) -> list[str]:
    """Descendants (not the unit itself) whose unit_type is a school form."""
    types = set(school_types)
    return [u for u in subtree_ids(data, unit_id, False) if data.unit_type(u) in types]


def manager_units(data: ProcessedYear, manager_unit_id: str) -> list[str]:
    """The units a manager is responsible for (units.manager_id), in table order."""
    manager_id = manager_unit_id[len(MANAGER_PREFIX) :]
    return list(data.units.loc[data.units["manager_id"] == manager_id, "unit_id"])


def manager_invited(data: ProcessedYear, manager_unit_id: str) -> int:
    """Employees invited in the units whose nearest responsible manager this is.

    Zero for a head whose every employee sits under a sub-manager: the leader
    report then says so instead of "too few answers".
    """
    manager_id = manager_unit_id[len(MANAGER_PREFIX) :]
    units = data.units.set_index("unit_id")
    total = 0
    for unit_id, unit in units.iterrows():
        current = unit_id
        while current and not units.at[current, "manager_id"]:
            current = units.at[current, "parent_id"]
        if current and units.at[current, "manager_id"] == manager_id:
            invited = unit["invited"]
            total += 0 if pd.isna(invited) else int(invited)
    return total


# ---------------------------------------------------------------------------
# Tables the sections show
# ---------------------------------------------------------------------------


def response_rate_history(data: ProcessedYear, unit_id: str) -> pd.DataFrame:
    """Response rate of every survey year with rows for the unit: year, n, value, text."""
    figures = UnitFigures(data, unit_id)
    years = sorted(int(y) for y in data.meta.get("years", []) if int(y) <= data.year)
    rows = []
    for year in years:
        if figures.has(RESPONSE_RATE, year=year):
            shown = figures.get(RESPONSE_RATE, year=year)
            rows.append({"year": year, "n": shown.n, "value": shown.value, "text": shown.text})
    return pd.DataFrame(rows, columns=["year", "n", "value", "text"])


def child_table(data: ProcessedYear, unit_id: str, measure: str) -> pd.DataFrame:
    """One measure of year Y for each child unit: unit_id, unit_name, value, text.

    Read from the year's wide table, not per child, so an område with a
    hundred schools costs one lookup each.
    """
    wide = data.current_all
    column = wide[measure] if measure in wide.columns else pd.Series(dtype=float)
    rows = []
    for child in data.children.get(unit_id, []):
        shown = Shown(_number(column.get(child)))
        rows.append(
            {
                "unit_id": child,
                "unit_name": data.unit_name(child),
                "value": shown.value,
                "text": shown.text,
            }
        )
    return pd.DataFrame(rows, columns=["unit_id", "unit_name", "value", "text"])


def index_table(
    figures: UnitFigures, measures: Sequence[str], levels: LevelParams, group: str = ALL
) -> pd.DataFrame:
    """measure, label, value, text, change, change_text, level for the measures that exist."""
    rows = []
    for measure in measures:
        if not figures.has(measure, group):
            continue
        shown = figures.get(measure, group)
        rows.append(
            {
                "measure": measure,
                "label": MEASURE_LABELS.get(measure, measure),
                "value": shown.value,
                "text": shown.text,
                "change": shown.change,
                "change_text": shown.change_text,
                "level": shown.level(levels),
            }
        )
    return pd.DataFrame(
        rows, columns=["measure", "label", "value", "text", "change", "change_text", "level"]
    )


def ami_measures(data: ProcessedYear) -> list[str]:
    """AMI and its dimensions that exist this year (another organisation may lack some)."""
    present = set(data.current_all.columns)
    return [m for m in (AMI, *(dimension_measure(d) for d in AMI_DIMENSIONS)) if m in present]


def group_breakdown(figures: UnitFigures, variable: str, measures: Sequence[str]) -> pd.DataFrame:
    """One row per label of ``variable`` × measure: group, label, measure, value, text, prev."""
    rows = []
    for label in figures.groups(variable):
        group = f"{variable}={label}"
        for measure in measures:
            shown = figures.get(measure, group)
            rows.append(
                {
                    "group": group,
                    "label": label,
                    "measure": measure,
                    "value": shown.value,
                    "text": shown.text,
                    "value_prev": shown.value_prev if shown.published else None,
                    "change_text": shown.change_text,
                }
            )
    return pd.DataFrame(
        rows, columns=["group", "label", "measure", "value", "text", "value_prev", "change_text"]
    )


def area_overview(data: ProcessedYear, figures: UnitFigures, levels: LevelParams) -> pd.DataFrame:
    """Each area asked this year: area, value, text, change_text, level, has_new, description."""
    asked = data.asked_questions
    rows = []
    for area in dict.fromkeys(a for a in asked["area"] if a):
        measure = area_measure(area)
        if not figures.has(measure):
            continue
        shown = figures.get(measure)
        in_area = asked[asked["area"] == area]
        rows.append(
            {
                "area": area,
                "value": shown.value,
                "text": shown.text,
                "change_text": shown.change_text,
                "level": shown.level(levels),
                "has_new": bool((in_area["status"] != "").any()),
                "description": area_text(area),
            }
        )
    return pd.DataFrame(
        rows,
        columns=["area", "value", "text", "change_text", "level", "has_new", "description"],
    )


def question_results(
    data: ProcessedYear,
    figures: UnitFigures,
    levels: LevelParams,
    question_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per question asked this year (catalogue order): the figure, its change and status."""
    asked = data.asked_questions
    if question_ids is not None:
        wanted = set(question_ids)
        asked = asked[asked["question_id"].isin(wanted)]
    rows = []
    for qid, text, area, status in zip(
        asked["question_id"], asked["text"], asked["area"], asked["status"], strict=True
    ):
        shown = figures.get(question_measure(qid))
        rows.append(
            {
                "question_id": qid,
                "text": text,
                "area": area,
                "status": status,
                "value": shown.value,
                "text_value": shown.text,
                "change": shown.change,
                "change_text": shown.change_text,
                "exact_change": (None if shown.change is None else shown.value - shown.value_prev),
                "level": shown.level(levels),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "question_id",
            "text",
            "area",
            "status",
            "value",
            "text_value",
            "change",
            "change_text",
            "exact_change",
            "level",
        ],
    )


def highest_lowest(results: pd.DataFrame, k: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The k highest and k lowest published question results.

    Ordered by the full-precision value, ties by catalogue order; the two
    lists never share a question (a survey with fewer than 2k published
    questions splits them).
    """
    published = results[results["value"].notna()].reset_index(drop=True)
    published = published.assign(_pos=range(len(published)))
    high = published.sort_values(["value", "_pos"], ascending=[False, True], kind="mergesort")
    high = high.head(min(k, len(published) // 2 + len(published) % 2))
    rest = published[~published["_pos"].isin(high["_pos"])]
    low = rest.sort_values(["value", "_pos"], ascending=[True, True], kind="mergesort").head(k)
    return high.drop(columns="_pos"), low.drop(columns="_pos")


@dataclass(frozen=True)
class Changes:
    """The largest displayed changes, and the questions left out as new or reworded."""

    positive: pd.DataFrame
    negative: pd.DataFrame
    excluded: pd.DataFrame


def largest_changes(results: pd.DataFrame, k: int = 3) -> Changes:
    """The k largest positive and k largest negative displayed changes.

    New and reworded questions have no comparison and are listed in
    ``excluded`` so the report can say so. Ranked by displayed change, then by
    the exact change, then catalogue order; a displayed 0 is neither.
    """
    excluded = results[results["status"] != ""]
    compared = results[(results["status"] == "") & results["change"].notna()].copy()
    compared["_pos"] = range(len(compared))
    compared["change"] = compared["change"].astype(int)
    pos = compared[compared["change"] > 0].sort_values(
        ["change", "exact_change", "_pos"], ascending=[False, False, True], kind="mergesort"
    )
    neg = compared[compared["change"] < 0].sort_values(
        ["change", "exact_change", "_pos"], ascending=[True, True, True], kind="mergesort"
    )
    return Changes(
        pos.head(k).drop(columns="_pos"),
        neg.head(k).drop(columns="_pos"),
        excluded.reset_index(drop=True),
    )


def competition_places(scores: Sequence[int]) -> list[int]:
    """Standard competition ranking, highest first: 90, 90, 90, 89 -> 1, 1, 1, 4."""
    return [1 + sum(other > score for other in scores) for score in scores]


def top_units(
    data: ProcessedYear, unit_id: str, school_types: Iterable[str], top_n: int
) -> pd.DataFrame:
    """Schools of the subtree by displayed AMI: every school placed within ``top_n``.

    Ties share a place and all schools tied at the cut are shown, so the list
    can be longer than ``top_n`` (the 2023 report's "Topp 6" for five places).
    Schools with a suppressed AMI are not ranked.
    """
    columns = ["place", "unit_id", "unit_name", "unit_type", "value", "shown"]
    schools = school_units(data, unit_id, school_types)
    ami = data.current_all[AMI] if AMI in data.current_all.columns else pd.Series(dtype=float)
    rows = []
    for school in schools:
        value = _number(ami.get(school))
        if value is not None:
            rows.append(
                {
                    "unit_id": school,
                    "unit_name": data.unit_name(school),
                    "unit_type": data.unit_type(school),
                    "value": value,
                    "shown": round_half_up(value),
                }
            )
    if not rows:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(rows)
    table["place"] = competition_places(list(table["shown"]))
    table["_name"] = table["unit_name"].str.casefold()
    table = table.sort_values(["place", "_name", "unit_id"], kind="mergesort")
    return table[table["place"] <= top_n][columns].reset_index(drop=True)


@dataclass(frozen=True)
class UnderThreshold:
    """Schools whose displayed AMI is below ``levels.good_from``, and what could not be judged."""

    units: pd.DataFrame  # unit_id, unit_name, unit_type, value, shown
    counts: pd.DataFrame  # unit_type, count: the school forms of the subtree, in params order
    suppressed: int  # schools with AMI "för få svar"


def units_under_threshold(
    data: ProcessedYear, unit_id: str, school_types: Sequence[str], good_from: int
) -> UnderThreshold:
    """Schools of the subtree that must draw up an action plan (displayed AMI < good_from)."""
    schools = school_units(data, unit_id, school_types)
    ami = data.current_all[AMI] if AMI in data.current_all.columns else pd.Series(dtype=float)
    rows, suppressed = [], 0
    for school in schools:
        value = _number(ami.get(school))
        if value is None:
            suppressed += 1
        elif round_half_up(value) < good_from:
            rows.append(
                {
                    "unit_id": school,
                    "unit_name": data.unit_name(school),
                    "unit_type": data.unit_type(school),
                    "value": value,
                    "shown": round_half_up(value),
                }
            )
    units = pd.DataFrame(rows, columns=["unit_id", "unit_name", "unit_type", "value", "shown"])
    units = units.sort_values(["shown", "unit_name"], kind="mergesort").reset_index(drop=True)
    present = {data.unit_type(u) for u in schools}
    counts = pd.DataFrame(
        [(t, int((units["unit_type"] == t).sum())) for t in school_types if t in present],
        columns=["unit_type", "count"],
    )
    return UnderThreshold(units, counts, suppressed)


def priority_tables(data: ProcessedYear, unit_id: str) -> pd.DataFrame:
    """The unit's driver rows (year Y), in question catalogue order; empty when none."""
    drivers = data.drivers
    rows = drivers[(drivers["unit_id"] == unit_id) & (drivers["year"] == data.year)]
    return rows.reset_index(drop=True)


def target_table(shown: Shown, targets: dict[str, float]) -> pd.DataFrame:
    """AMI against each target: label, target, text, gap_text (displayed AMI minus target)."""
    rows = []
    for label, target in targets.items():
        gap = None if shown.rounded is None else shown.rounded - round_half_up(target)
        rows.append(
            {
                "label": label,
                "target": round_half_up(target),
                "text": shown.text,
                "gap_text": "" if gap is None else format_change(gap),
                "reached": None if gap is None else gap >= 0,
            }
        )
    return pd.DataFrame(rows, columns=["label", "target", "text", "gap_text", "reached"])


# ---------------------------------------------------------------------------
# Report files and links (shared with analysis.render)
# ---------------------------------------------------------------------------


def safe_file_stem(identifier: str) -> str:
    """A file name for a unit or manager id; unsafe characters become ``_`` plus a hash.

    Ids are free text in the input; the hash keeps two ids that differ only in
    unsafe characters from colliding.
    """
    stem = re.sub(r"[^\w.\-]", "_", identifier)
    if stem != identifier or stem.startswith(".") or not stem:
        import hashlib

        digest = hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:8]
        stem = f"{stem.strip('.') or 'id'}_{digest}"
    return stem


def report_path(kind: str, identifier: str) -> str:
    """Where a report lives under ``reports/<Y>/`` (a POSIX relative path)."""
    if kind == FORVALTNING:
        return "index.html"
    if kind == LEDARE and identifier.startswith(MANAGER_PREFIX):
        identifier = identifier[len(MANAGER_PREFIX) :]
    return f"{kind}/{safe_file_stem(identifier)}.html"


def relative_href(from_kind: str, to_path: str) -> str:
    """An href from a report of ``from_kind`` to ``to_path`` (both under reports/<Y>/)."""
    prefix = "" if from_kind == FORVALTNING else "../"
    return quote(prefix + to_path)


# ---------------------------------------------------------------------------
# The report context a notebook opens
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One report: the year's tables, the unit (or manager), params and provenance."""

    data: ProcessedYear
    unit_id: str
    params: Params
    provenance: dict[str, Any]
    links: bool = True

    @cached_property
    def figures(self) -> UnitFigures:
        return UnitFigures(self.data, self.unit_id)

    @property
    def kind(self) -> str:
        return self.data.kind(self.unit_id)

    @property
    def name(self) -> str:
        return self.data.unit_name(self.unit_id)

    @property
    def too_small(self) -> bool:
        return not self.figures.any_published()


def open_report(
    processed_dir: str | Path,
    unit_id: str = "",
    provenance_json: str = "",
    year: int | None = None,
) -> Report:
    """Open one report. ``unit_id`` "" is the förvaltning (root).

    ``provenance_json`` is what :func:`analysis.render.collect_provenance`
    computed once for the whole run (params included); a notebook opened by
    hand computes it itself. ``year``, when given, must be the directory's year.
    """
    data = load_processed_year(processed_dir)
    if year is not None and int(year) != data.year:
        raise ReportDataError(
            f"{data.directory / 'meta.json'}: holds year {data.year}, the report asked for {year}"
        )
    unit_id = unit_id or data.root_id
    data.check_report_unit(unit_id)
    if provenance_json:
        provenance = json.loads(provenance_json)
    else:
        from analysis.render import collect_provenance

        provenance = collect_provenance(data.meta, params_from_dict(data.meta["params"]))
    params = params_from_dict(provenance["params"])
    return Report(data, unit_id, params, provenance)


def open_leader_report(
    processed_dir: str | Path,
    manager_id: str = "",
    provenance_json: str = "",
    year: int | None = None,
) -> Report:
    """Open one leader report (rows ``manager:<manager_id>``); "" = the first manager."""
    if not manager_id:
        managers = load_processed_year(processed_dir).managers
        if not managers:
            raise ReportDataError(f"{processed_dir}: no leader rows (manager:<id>) this year")
        manager_id = managers[0][len(MANAGER_PREFIX) :]
    return open_report(processed_dir, f"{MANAGER_PREFIX}{manager_id}", provenance_json, year)


# ---------------------------------------------------------------------------
# HTML building blocks
# ---------------------------------------------------------------------------

REPORT_CSS = """
.rapport { font-family: "DejaVu Sans", Arial, sans-serif; color: #222; max-width: 60rem; }
.rapport h1 { font-size: 1.7rem; margin: 0.2rem 0; }
.rapport h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 2px solid #1f4e79;
  padding-bottom: 0.2rem; color: #1f4e79; }
.rapport h3 { font-size: 1.05rem; margin-top: 1.2rem; }
.rapport table.tabell { border-collapse: collapse; margin: 0.5rem 0 1rem 0; }
.rapport table.tabell th, .rapport table.tabell td { border-bottom: 1px solid #ddd;
  padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
.rapport table.tabell td.tal, .rapport table.tabell th.tal { text-align: right; }
.rapport .ffs { color: #777; font-style: italic; }
.rapport .not { color: #444; font-size: 0.9rem; }
.rapport .varning { background: #fff4d6; border-left: 4px solid #f2c230; padding: 0.4rem 0.8rem; }
.rapport .nyckeltal { font-size: 1.1rem; }
.rapport .stapel { height: 0.8rem; display: inline-block; vertical-align: middle; }
.rapport .stapelram { width: 10rem; background: #eee; display: inline-block; }
.rapport .niva { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem;
  vertical-align: middle; }
.rapport img { max-width: 100%; height: auto; }
.rapport footer { margin-top: 2.5rem; border-top: 1px solid #aaa; font-size: 0.8rem; color: #444; }
.rapport footer pre { white-space: pre-wrap; font-size: 0.75rem; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _wrap(*parts: str) -> Any:
    """Wrap section HTML for display in a notebook cell."""
    from IPython.display import HTML

    return HTML('<div class="rapport">' + "".join(parts) + "</div>")


def _value_cell(text: str, level_name: str | None = None) -> str:
    if text == SUPPRESSED:
        return f'<td class="tal ffs">{_e(text)}</td>'
    swatch = ""
    if isinstance(level_name, str):
        swatch = (
            f'<span class="niva" style="background:{LEVEL_COLOURS[level_name]}" '
            f'title="{_e(level_name)}"></span>'
        )
    return f'<td class="tal">{swatch}{_e(text)}</td>'


def html_table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[bool] | None = None
) -> str:
    """A plain table; cells are pre-rendered ``<td>`` strings or text to escape."""
    numeric = numeric or [False] * len(headers)
    head = "".join(
        f'<th class="tal">{_e(h)}</th>' if num else f"<th>{_e(h)}</th>"
        for h, num in zip(headers, numeric, strict=True)
    )
    body = []
    for row in rows:
        cells = []
        for cell, num in zip(row, numeric, strict=True):
            if cell.startswith("<td"):
                cells.append(cell)
            else:
                cells.append(f'<td class="tal">{_e(cell)}</td>' if num else f"<td>{_e(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="tabell"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _bar_cell(value: float | None, level_name: str | None) -> str:
    if value is None or pd.isna(value) or not isinstance(level_name, str):
        return "<td></td>"
    width = max(0.0, min(100.0, value))
    return (
        f'<td><span class="stapelram"><span class="stapel" style="width:{width:.1f}%;'
        f'background:{LEVEL_COLOURS[level_name]}"></span></span></td>'
    )


def _p(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{_e(text)}</p>"


def _h2(text: str) -> str:
    return f"<h2>{_e(text)}</h2>"


def _level_legend(levels: LevelParams) -> str:
    good, improve = levels.good_from, levels.improve_from
    bands = [
        (LEVEL_GOOD, f"{good}–100"),
        (LEVEL_IMPROVE, f"{improve}–{good - 1}"),
        (LEVEL_DEVELOP, f"0–{improve - 1}"),
    ]
    items = "".join(
        f'<li><span class="niva" style="background:{LEVEL_COLOURS[name]}"></span>'
        f"{_e(span)} {_e(name.capitalize())}</li>"
        for name, span in bands
    )
    return (
        "<p>Så läser du indexnivåerna (index 0–100, bedömt på det avrundade värdet):</p>"
        f'<ul class="not">{items}</ul>'
    )


def _comparison_note(report: Report) -> str:
    prev = report.data.previous_year
    if prev is None:
        return _p(
            f"Jämförelse saknas: {report.data.year} är det första undersökningsåret i underlaget.",
            "not",
        )
    return _p(
        f"Förändringen är skillnaden mot {prev} mellan de avrundade värdena "
        f"(+ ökning, {MINUS} minskning).",
        "not",
    )


# ---------------------------------------------------------------------------
# Sections: one function per notebook cell
# ---------------------------------------------------------------------------


def header_section(report: Report) -> Any:
    """Title, response rate, quarantine note, navigation; the only section of a tiny unit."""
    data, year = report.data, report.data.year
    kind_title = KIND_TITLES[report.kind]
    parts = [f"<style>{REPORT_CSS}</style>"]
    if report.links and report.kind != FORVALTNING:
        parts.append(
            f'<p class="not"><a href="{relative_href(report.kind, "index.html")}">'
            f"← {_e(data.unit_name(data.root_id))} {year}</a></p>"
        )
    parts.append(f"<h1>Medarbetarenkät {year} – {_e(report.name)}</h1>")
    subtitle = kind_title
    if report.kind != LEDARE:
        subtitle += f" · {_e(data.unit_type(report.unit_id))}"
    parts.append(f"<p><strong>{subtitle}</strong></p>")
    if report.kind == LEDARE:
        led = [data.unit_name(u) for u in manager_units(data, report.unit_id)]
        if led:
            parts.append(_p("Chefens enheter: " + ", ".join(led) + "."))
    rate = report.figures.get(RESPONSE_RATE)
    if report.figures.has(RESPONSE_RATE):
        answers = "" if rate.n is None else f" · Antal svar: {rate.n}"
        rate_text = SUPPRESSED if not rate.published else f"{rate.text} %"
        parts.append(f'<p class="nyckeltal">Svarsfrekvens: {_e(rate_text)}{_e(answers)}</p>')
    if data.quarantine_mode or data.rows_rejected:
        parts.append(
            '<p class="varning">'
            f"Indata lästes i karantänläge: {data.rows_rejected} rader underkändes och ingår "
            "inte i resultaten (se rejects-filen).</p>"
        )
    if report.too_small and report.kind == LEDARE and not manager_invited(data, report.unit_id):
        parts.append(
            '<p class="varning">'
            "Inga medarbetare i enkäten har den här chefen som närmaste chef: alla svarande "
            "hör till enheter med egna chefer, vars ledarrapporter visar resultaten.</p>"
        )
    elif report.too_small:
        parts.append(
            '<p class="varning">'
            f"För få svar: {_e(report.name)} har färre än {report.params.privacy.min_group_size} "
            "svarande i varje redovisningsgrupp, så inga resultat kan visas för enheten. "
            "Resultaten ingår i överordnade enheters rapporter.</p>"
        )
    return _wrap(*parts)


def response_rate_section(report: Report) -> Any:
    """Svarsfrekvens: this year and earlier years, and per child unit."""
    if report.too_small:
        return None
    history = response_rate_history(report.data, report.unit_id)
    parts = [_h2("Svarsfrekvens")]
    if len(history) > 1:
        parts.append(
            plots.figure_html(plots.response_rate_by_year(history), "Svarsfrekvens per år")
        )
    if not history.empty:
        parts.append(
            html_table(
                ["År", "Svarsfrekvens (%)", "Antal svar"],
                [
                    [str(y), _value_cell(t), "" if pd.isna(n) or t == SUPPRESSED else str(int(n))]
                    for y, t, n in zip(history["year"], history["text"], history["n"], strict=True)
                ],
                [False, True, True],
            )
        )
    children = child_table(report.data, report.unit_id, RESPONSE_RATE)
    if report.kind != LEDARE and not children.empty:
        parts.append(f"<h3>Svarsfrekvens per enhet under {_e(report.name)}</h3>")
        if len(children) <= MAX_CHART_BARS:
            chart = plots.horizontal_bars(
                list(children["unit_name"]),
                list(children["value"]),
                xlabel="Svarsfrekvens (%)",
                colour=plots.ACCENT,
            )
            parts.append(plots.figure_html(chart, "Svarsfrekvens per enhet"))
        else:  # a chart of a hundred bars reads worse than a sorted table
            ordered = children.sort_values(
                "value", ascending=False, na_position="last", kind="mergesort"
            )
            rows = [
                [name, _value_cell(text)]
                for name, text in zip(ordered["unit_name"], ordered["text"], strict=True)
            ]
            parts.append(html_table(["Enhet", "Svarsfrekvens (%)"], rows, [False, True]))
    return _wrap(*parts)


def ami_section(report: Report) -> Any:
    """AMI total and its dimensions, with the displayed change since last year."""
    if report.too_small:
        return None
    measures = ami_measures(report.data)
    if not measures:
        return None
    levels = report.params.levels
    table = index_table(report.figures, measures, levels)
    n_questions = int(report.data.asked_questions["ami_dimension"].isin(AMI_DIMENSIONS).sum())
    parts = [
        _h2("Aktivt Medskapande Index (AMI)"),
        _p(
            f"AMI består av {n_questions} frågor som tillsammans bildar ett totalindex samt "
            "tre delindex: Motivation, Ledarskap och Styrning. Index 0–100."
        ),
        plots.figure_html(plots.index_columns(table, levels), "AMI totalt och delindex"),
        html_table(
            ["Index", "Värde", "Förändring"],
            [
                [label, _value_cell(text, lvl), change]
                for label, text, lvl, change in zip(
                    table["label"],
                    table["text"],
                    table["level"],
                    table["change_text"],
                    strict=True,
                )
            ],
            [False, True, True],
        ),
        _comparison_note(report),
    ]
    own = report.figures.get(AMI)
    types = report.params.report.school_types
    if (
        report.kind != LEDARE
        and report.data.unit_type(report.unit_id) in types
        and own.published
        and own.rounded < levels.good_from
    ):
        parts.append(
            '<p class="varning">'
            f"AMI är under {levels.good_from}: enhetschef/rektor upprättar en handlingsplan som "
            "stäms av med överordnad chef senast den "
            f"{_e(report.params.report.action_plan_deadline)} {report.data.year}.</p>"
        )
    return _wrap(*parts)


def ami_groups_section(report: Report) -> Any:
    """AMI by gender and by chef/medarbetare."""
    if report.too_small:
        return None
    measures = ami_measures(report.data)
    parts = []
    for variable, title in (("gender", "kön"), ("role", "chef/medarbetare")):
        table = group_breakdown(report.figures, variable, measures)
        if table.empty:
            continue
        parts.append(f"<h3>AMI per {_e(title)}</h3>")
        parts.append(
            plots.figure_html(plots.grouped_index_bars(table, MEASURE_LABELS), f"AMI per {title}")
        )
        parts.append(_breakdown_table(table, measures))
    if not parts:
        return None
    return _wrap(_h2("AMI – kön och chef/medarbetare"), *parts)


def _breakdown_table(table: pd.DataFrame, measures: Sequence[str]) -> str:
    labels = list(dict.fromkeys(table["label"]))
    rows = []
    for label in labels:
        part = table[table["label"] == label].set_index("measure")
        rows.append([label, *(_value_cell(part.loc[m, "text"]) for m in measures)])
    return html_table(
        ["Grupp", *(MEASURE_LABELS[m] for m in measures)],
        rows,
        [False, *([True] * len(measures))],
    )


def ami_age_section(report: Report) -> Any:
    """AMI by age group, this year against last."""
    if report.too_small or AMI not in ami_measures(report.data):
        return None
    table = group_breakdown(report.figures, "age_group", [AMI])
    if table.empty:
        return None
    year, prev = report.data.year, report.data.previous_year
    rows = [
        [
            label,
            _value_cell(text),
            "" if vp is None or pd.isna(vp) else str(round_half_up(vp)),
            change,
        ]
        for label, text, vp, change in zip(
            table["label"], table["text"], table["value_prev"], table["change_text"], strict=True
        )
    ]
    headers = ["Åldersgrupp", f"AMI {year}"]
    numeric = [False, True]
    if prev is not None:
        headers += [f"AMI {prev}", "Förändring"]
        numeric += [True, True]
    else:
        rows = [r[:2] for r in rows]
    return _wrap(
        _h2("AMI – ålder"),
        plots.figure_html(plots.age_bars(table, year, prev), "AMI per åldersgrupp"),
        html_table(headers, rows, numeric),
    )


def areas_section(report: Report) -> Any:
    """The question areas (index 0–100) and how to read the levels."""
    if report.too_small:
        return None
    levels = report.params.levels
    table = area_overview(report.data, report.figures, levels)
    if table.empty:
        return None
    parts = [
        _h2("Översikt frågeområden"),
        _p("Frågorna har delats in i frågeområden. Resultatet presenteras som ett index 0–100."),
        _level_legend(levels),
        plots.figure_html(
            plots.horizontal_bars(
                list(table["area"]), list(table["value"]), levels=levels, xlabel="Index", sort=True
            ),
            "Frågeområden",
        ),
        html_table(
            ["Frågeområde", "Index", "Förändring"],
            [
                [area, _value_cell(text, lvl), change]
                for area, text, lvl, change in zip(
                    table["area"],
                    table["text"],
                    table["level"],
                    table["change_text"],
                    strict=True,
                )
            ],
            [False, True, True],
        ),
    ]
    if table["has_new"].any():
        parts.append(
            _p(
                "Frågeområdena innehåller nya eller omformulerade frågor; för dem saknas "
                "jämförelse med föregående år.",
                "not",
            )
        )
    return _wrap(*parts)


def priority_section(report: Report) -> Any:
    """The priority matrix with its five styrkor and five fokusområden."""
    if report.too_small:
        return None
    from analysis.plot_priority import priority_matrix_figure

    table = priority_tables(report.data, report.unit_id)
    parts = [_h2("Prioriteringsmatris")]
    if table.empty:
        parts.append(
            _p(f"Prioriteringsmatris saknas: {SUPPRESSED} för en drivkraftsanalys.", "ffs")
        )
        return _wrap(*parts)
    source = str(table["importance_from"].iloc[0])
    texts = report.data.question_texts
    figure = priority_matrix_figure(table, texts, f"Prioriteringsmatris – {report.name}")
    parts.append(plots.figure_html(figure, "Prioriteringsmatris"))
    if source and source != report.unit_id:
        parts.append(
            '<p class="not">'
            f"{_e(report.name)} har för få svar för en egen drivkraftsanalys. Frågornas "
            "betydelse (x-axeln) kommer därför från analysen för "
            f"{_e(report.data.unit_name(source))}; "
            "resultaten (y-axeln) är enhetens egna.</p>"
        )
    n_used = int(table["n_used"].iloc[0])
    parts.append(_p(f"Analysen bygger på {n_used} svarande med svar på alla frågor.", "not"))
    for title, intro, rows in (
        (
            "Styrkor",
            "De frågor som värderas högst och samtidigt har störst påverkan på "
            "motivationen hos medarbetarna.",
            priority.styrkor(table),
        ),
        (
            "Fokusområden",
            "De frågor som värderas lägst och samtidigt har störst påverkan på "
            "motivationen hos medarbetarna.",
            priority.fokusomraden(table),
        ),
    ):
        parts.append(f"<h3>{_e(title)}</h3>")
        parts.append(_p(intro))
        if rows.empty:
            parts.append(_p("Inga frågor i denna kvadrant.", "not"))
            continue
        parts.append(
            html_table(
                ["Fråga", "Resultat"],
                [
                    [texts.get(q, q), str(round_half_up(s))]
                    for q, s in zip(rows["question_id"], rows["score"], strict=True)
                ],
                [False, True],
            )
        )
    return _wrap(*parts)


def extremes_section(report: Report) -> Any:
    """The three highest and three lowest questions."""
    if report.too_small:
        return None
    levels = report.params.levels
    results = question_results(report.data, report.figures, levels)
    high, low = highest_lowest(results, 3)
    if high.empty:
        return None
    parts = [
        _h2("Högst och lägst resultat"),
        _p("De frågor i undersökningen som fått högst respektive lägst resultat."),
        plots.figure_html(plots.extremes_bars(high, low, levels), "Högst och lägst resultat"),
    ]
    for title, rows in (("Högst", high), ("Lägst", low)):
        parts.append(f"<h3>{title}</h3>")
        parts.append(_question_table(rows))
    return _wrap(*parts)


def _question_table(rows: pd.DataFrame, with_bar: bool = False) -> str:
    headers = ["Fråga", "Index", "Förändring"]
    numeric = [False, True, True]
    if with_bar:
        headers.append("")
        numeric.append(False)
    body = []
    for _, r in rows.iterrows():
        change = r["change_text"] or (r["status"] if r["status"] else "")
        line = [r["text"], _value_cell(r["text_value"], r["level"]), change]
        if with_bar:
            line.append(_bar_cell(r["value"], r["level"]))
        body.append(line)
    return html_table(headers, body, numeric)


def changes_section(report: Report) -> Any:
    """The largest positive and negative changes, new and reworded questions left out."""
    if report.too_small:
        return None
    data = report.data
    parts = [_h2("Största utvecklingen")]
    if data.previous_year is None:
        parts.append(_comparison_note(report))
        return _wrap(*parts)
    results = question_results(data, report.figures, report.params.levels)
    changes = largest_changes(results, 3)
    parts.append(
        _p(
            f"De 3 frågor som utvecklats mest positivt respektive negativt sedan "
            f"{data.previous_year}. Förändringen är skillnaden mellan avrundade värden."
        )
    )
    if not changes.positive.empty or not changes.negative.empty:
        parts.append(
            plots.figure_html(
                plots.change_bars(changes.positive, changes.negative), "Största utvecklingen"
            )
        )
    for title, rows, none_text in (
        ("Störst ökning", changes.positive, "Ingen fråga har ökat."),
        ("Störst minskning", changes.negative, "Ingen fråga har minskat."),
    ):
        parts.append(f"<h3>{title}</h3>")
        parts.append(_question_table(rows) if not rows.empty else _p(none_text, "not"))
    if not changes.excluded.empty:
        items = "".join(
            f"<li>{_e(t)} ({_e(s)})</li>"
            for t, s in zip(changes.excluded["text"], changes.excluded["status"], strict=True)
        )
        parts.append(
            '<p class="not">Utveckling för nya och omformulerade frågor redovisas ej, eftersom '
            f'jämförelse med {data.previous_year} saknas:</p><ul class="not">{items}</ul>'
        )
    return _wrap(*parts)


def top_units_section(report: Report) -> Any:
    """The schools with the highest AMI (ties share a place)."""
    if report.too_small or report.kind == LEDARE:
        return None
    cfg = report.params.report
    table = top_units(report.data, report.unit_id, cfg.school_types, cfg.top_units)
    if table.empty:
        return None
    rows = [
        [str(p), name, utype, str(shown)]
        for p, name, utype, shown in zip(
            table["place"], table["unit_name"], table["unit_type"], table["shown"], strict=True
        )
    ]
    return _wrap(
        _h2(f"Toppresultat (AMI) – topp {len(table)} skolor"),
        _p(
            "Skolor med högst AMI. Lika avrundat resultat delar placering; alla skolor som delar "
            "sista placeringen visas.",
            "not",
        ),
        html_table(["Placering", "Skola", "Skolform", "AMI"], rows, [True, False, False, True]),
    )


def under_threshold_section(report: Report) -> Any:
    """Schools with displayed AMI under the good level: action plans, counted per school form."""
    if report.too_small or report.kind == LEDARE:
        return None
    cfg, levels, year = report.params.report, report.params.levels, report.data.year
    if not school_units(report.data, report.unit_id, cfg.school_types):
        return None
    result = units_under_threshold(report.data, report.unit_id, cfg.school_types, levels.good_from)
    parts = [
        _h2(f"AMI under {levels.good_from}"),
        _p(
            f"Enhetschef/rektor som har ett AMI-resultat under {levels.good_from} för sin "
            "enhet/skola upprättar en handlingsplan som stäms av med överordnad chef senast den "
            f"{cfg.action_plan_deadline} {year}."
        ),
    ]
    parts.append(
        html_table(
            ["Skolform", f"Antal under {levels.good_from}"],
            [
                [t, str(c)]
                for t, c in zip(result.counts["unit_type"], result.counts["count"], strict=True)
            ],
            [False, True],
        )
    )
    if not result.units.empty:
        parts.append(
            html_table(
                ["Skola", "Skolform", "AMI"],
                [
                    [n, t, str(s)]
                    for n, t, s in zip(
                        result.units["unit_name"],
                        result.units["unit_type"],
                        result.units["shown"],
                        strict=True,
                    )
                ],
                [False, False, True],
            )
        )
    if result.suppressed:
        parts.append(
            _p(
                f"{result.suppressed} {'skola' if result.suppressed == 1 else 'skolor'} har "
                f"{SUPPRESSED} för att AMI ska visas.",
                "not",
            )
        )
    return _wrap(*parts)


def targets_section(report: Report) -> Any:
    """AMI against the nämnd's and the city's targets."""
    if report.too_small or AMI not in ami_measures(report.data):
        return None
    targets = {
        "Nämndens mål": report.params.targets.ami_namnd,
        "Stadens mål": report.params.targets.ami_stad,
    }
    shown = report.figures.get(AMI)
    table = target_table(shown, targets)
    return _wrap(
        _h2("AMI mot målen"),
        plots.figure_html(
            plots.target_chart(shown.value, targets, report.params.levels), "AMI mot målen"
        ),
        html_table(
            ["Mål", "Målvärde", "AMI", "Skillnad"],
            [
                [lbl, str(t), _value_cell(txt), gap]
                for lbl, t, txt, gap in zip(
                    table["label"], table["target"], table["text"], table["gap_text"], strict=True
                )
            ],
            [False, True, True, True],
        ),
    )


def questions_section(report: Report) -> Any:
    """Results per question within each area, with the policy text of the area."""
    if report.too_small:
        return None
    data, levels = report.data, report.params.levels
    results = question_results(data, report.figures, levels)
    if results.empty:
        return None
    parts = [_h2("Resultat på enskilda frågor"), _level_legend(levels)]
    for area in dict.fromkeys(results["area"]):
        rows = results[results["area"] == area]
        area_shown = report.figures.get(area_measure(area)) if area else Shown()
        title = area or "Övriga frågor"
        suffix = (
            f" – index {area_shown.text}" if area and report.figures.has(area_measure(area)) else ""
        )
        parts.append(f"<h3>{_e(title.upper())}{_e(suffix)}</h3>")
        description = area_text(area) if area else None
        if description:
            parts.append(_p(description))
        if (rows["status"] != "").any():
            parts.append(
                _p(
                    "I år innehåller frågeområdet nya eller omformulerade frågor. Det innebär att "
                    "jämförelser mot föregående år saknas i vissa fall.",
                    "not",
                )
            )
        parts.append(_question_table(rows, with_bar=True))
    return _wrap(*parts)


def leadership_section(report: Report) -> Any:
    """Ledarrapport: the leadership index and its questions for the manager's group."""
    if report.too_small:
        return None
    levels = report.params.levels
    leadership_ids = list(
        report.data.asked_questions.loc[report.data.asked_questions["leadership"], "question_id"]
    )
    if not report.figures.has(LEADERSHIP) and not leadership_ids:
        return None
    table = index_table(report.figures, [LEADERSHIP], levels)
    results = question_results(report.data, report.figures, levels, leadership_ids)
    # the table's bars are the chart: highest first, suppressed last
    results = results.sort_values("value", ascending=False, na_position="last", kind="mergesort")
    parts = [
        _h2("Ledarskapsindex"),
        _p(f"Ledarskapsindex bygger på {len(leadership_ids)} frågor om ledarskap. Index 0–100."),
        html_table(
            ["Index", "Värde", "Förändring"],
            [
                [lbl, _value_cell(t, lvl), c]
                for lbl, t, lvl, c in zip(
                    table["label"], table["text"], table["level"], table["change_text"], strict=True
                )
            ],
            [False, True, True],
        ),
        _comparison_note(report),
        _level_legend(levels),
        _question_table(results, with_bar=True),
    ]
    return _wrap(*parts)


def links_section(report: Report) -> Any:
    """Links to the reports below this one (relative, so the folder can be moved)."""
    if not report.links or report.kind in (LEDARE, ENHET):
        return None
    data = report.data
    parts = []
    children = data.children.get(report.unit_id, [])
    if report.kind == FORVALTNING:
        for omrade in children:
            parts.append(
                f'<h3><a href="{relative_href(FORVALTNING, report_path(OMRADE, omrade))}">'
                f"{_e(data.unit_name(omrade))}</a></h3>"
            )
            enheter = data.children.get(omrade, [])
            if enheter:
                items = "".join(
                    f'<li><a href="{relative_href(FORVALTNING, report_path(ENHET, u))}">'
                    f"{_e(data.unit_name(u))}</a></li>"
                    for u in enheter
                )
                parts.append(
                    f"<details><summary>{len(enheter)} enhetsrapporter</summary>"
                    f"<ul>{items}</ul></details>"
                )
        if data.managers:
            items = "".join(
                f'<li><a href="{relative_href(FORVALTNING, report_path(LEDARE, m))}">'
                f"{_e(data.unit_name(m))}</a></li>"
                for m in data.managers
            )
            parts.append(
                f"<h3>Ledarrapporter</h3><details><summary>{len(data.managers)} "
                f"ledarrapporter</summary><ul>{items}</ul></details>"
            )
    elif report.kind == OMRADE and children:
        items = "".join(
            f'<li><a href="{relative_href(OMRADE, report_path(ENHET, u))}">'
            f"{_e(data.unit_name(u))}</a></li>"
            for u in children
        )
        parts.append(f"<ul>{items}</ul>")
    if not parts:
        return None
    return _wrap(_h2("Fler rapporter"), *parts)


def provenance_section(report: Report) -> Any:
    """The provenance footer: input hash, parameters, code version, package versions."""
    prov = report.provenance
    git = prov.get("git", {})
    commit = git.get("commit") or "okänd"
    dirty = git.get("dirty")
    dirty_text = {True: "ja", False: "nej"}.get(dirty, "okänt")
    packages = ", ".join(f"{k} {v}" for k, v in sorted(prov.get("packages", {}).items()))
    params_text = json.dumps(prov.get("params", {}), ensure_ascii=False, indent=1, sort_keys=True)
    data = report.data
    return _wrap(
        "<footer>",
        "<h3>Om rapporten</h3>",
        _p(
            f"Alla siffror bygger på de publicerade, sekretessgranskade tabellerna för "
            f"{data.year}. Ett värde som vilar på färre än "
            f"{report.params.privacy.min_group_size} svarande visas som ”{SUPPRESSED}”."
        ),
        f"<p>Indata (SHA-256): <code>{_e(prov.get('input_sha256', ''))}</code></p>",
        f"<p>Kodversion (git commit): <code>{_e(commit)}</code> · ej incheckade ändringar: "
        f"{dirty_text}</p>",
        f"<p>Underkända rader i indata: {data.rows_rejected}</p>",
        f"<p>Paketversioner: {_e(packages)}</p>",
        f"<details><summary>Parametrar</summary><pre>{_e(params_text)}</pre></details>",
        "</footer>",
    )
