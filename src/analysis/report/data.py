"""What a yearly report shows, computed from the processed tables of one year.

The report notebooks read ONLY ``data/processed/<Y>/`` (figures, units,
questions, drivers, meta.json): already-suppressed aggregates, never
respondent rows. That keeps the privacy guarantee structural - whatever a
cell prints, it cannot print an answer.

This is the *data* layer: ``ProcessedYear``, the report context
(:func:`open_report`) and the selection/ranking functions, which return plain
tables and are unit-tested on hand-made tables. The HTML a notebook cell shows
is built from them in :mod:`analysis.report.sections`.

Every number shown goes through :mod:`analysis.core.rounding` (half up; changes are
differences of displayed values; levels decided on the displayed integer), and
a suppressed figure is shown as the words that say why (its ``suppression``):
"för få svar" under the threshold, "dold för att skydda en mindre grupp" when
hidden to protect another group - never as a number. The Swedish for hidden
figures is written here only (:func:`hidden_text`, :func:`hidden_predicate`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from analysis.core.catalogue import (
    AMI,
    AMI_DIMENSIONS,
    LEADERSHIP,
    RESPONSE_RATE,
    area_measure,
    comparable_measures,
    dimension_measure,
    question_measure,
)
from analysis.core.contract import (
    COMPLEMENTARY,
    DRIVERS_TABLE_COLUMNS,
    FIGURES_TABLE_COLUMNS,
    MANAGER_PREFIX,
    NOT_ANALYSED,
    SUPPRESSED_SCORES,
    THRESHOLD,
)
from analysis.core.params import LevelParams, Params, load_params
from analysis.core.provenance import PROJECT_ROOT, collect_provenance, effective_params
from analysis.core.rounding import displayed_change, format_change, level, round_half_up
from analysis.report.area_texts import area_text

SUPPRESSED = "för få svar"
#: a figure with enough answers, hidden so that no smaller group can be recovered
PROTECT_CLAUSE = "för att skydda en mindre grupp"
PROTECTED = f"dold {PROTECT_CLAUSE}"
#: what a reader sees instead of a hidden figure, per ``suppression``
HIDDEN_TEXTS = {THRESHOLD: SUPPRESSED, COMPLEMENTARY: PROTECTED}
ALL = "all"
NEW = "ny"
REWORDED = "omformulerad"
#: why a change is missing when the measure rests on other questions than last year
NO_COMPARISON = "ingen jämförelse"
#: a unit with no row at all for a measure (nothing published, nothing suppressed)
NO_ROW = "ingen uppgift"


def hidden_text(suppression: str) -> str:
    """The words shown for a hidden figure: "för få svar" unless hidden to protect a group."""
    return HIDDEN_TEXTS.get(suppression, SUPPRESSED)


def hidden_predicate(texts: Iterable[str], k: int = 1) -> str:
    """What ``k`` hidden figures do, from the words shown for them (default: too few answers).

    "har för få svar", "är dold/dolda för att skydda en mindre grupp", or both
    joined by "eller".
    """
    present = set(texts)
    words = {
        SUPPRESSED: f"har {SUPPRESSED}",
        PROTECTED: f"är {'dold' if k == 1 else 'dolda'} {PROTECT_CLAUSE}",
    }
    return " eller ".join([w for t, w in words.items() if t in present] or [words[SUPPRESSED]])


def protection_note(min_group_size: int) -> str:
    """The one-line explanation a report with a figure hidden to protect a group carries once."""
    return (
        f"”{PROTECTED.capitalize()}”: siffran bygger på tillräckligt många svar, men visas inte "
        "eftersom den tillsammans med andra siffror skulle avslöja resultatet för en grupp "
        f"med färre än {min_group_size} svarande."
    )


def no_previous_text(previous_year: int) -> str:
    """Why a change is missing when the unit or group has no row in the previous year."""
    return f"inget värde {previous_year}"


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
DRIVER_COLUMNS = tuple(DRIVERS_TABLE_COLUMNS)
#: keys of data/processed/<year>/drivers.json (written by the drivers stage)
DRIVER_NOTE_KEYS = (
    "drivers",
    "excluded",
    "min_n",
    "root_analysis",
    "without_rows",
)
META_KEYS = ("year", "previous_year", "years", "input_sha256", "rows_rejected", "params")

# Report kinds and where each is written under reports/<Y>/.
FORVALTNING = "forvaltning"
OMRADE = "omrade"
ENHET = "enhet"
LEDARE = "ledare"

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
        driver_notes: dict[str, Any] | None = None,
    ) -> None:
        self.directory = directory
        self.meta = meta
        self.driver_notes = driver_notes or {}
        self.units = units.reset_index(drop=True)
        self.questions = questions.reset_index(drop=True)
        self.drivers = drivers.reset_index(drop=True)
        # sorted by unit for slicing; the index keeps the file's row order
        ordered = figures.reset_index(drop=True).sort_values("unit_id", kind="stable")
        ordered["suppression"] = _text(ordered.get("suppression", pd.Series("", ordered.index)))
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
    def driver_min_n(self) -> int:
        """``drivers.min_n`` as the drivers stage used it (drivers.json), for the reports' notes."""
        return int(self.driver_notes["min_n"])

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

    @cached_property
    def comparable_measures(self) -> frozenset[str]:
        """Measures resting on the same question ids this year and in the previous survey year.

        The indexes stage's rule (contract §3): only these can have a change.
        For the others a report says why instead of leaving a blank.
        """
        if self.previous_year is None:
            return frozenset()
        q = self.questions
        return frozenset(
            comparable_measures(
                q, q.loc[q["asked"], "question_id"], q.loc[q["asked_prev"], "question_id"]
            )
        )

    @cached_property
    def _history_all(self) -> dict[str, dict[tuple[str, int], Shown]]:
        """measure -> (unit_id, year) -> the figure of group ``all``, every year."""
        rows = self.figures[self.figures["group"] == ALL]
        out: dict[str, dict[tuple[str, int], Shown]] = {}
        columns = ("unit_id", "year", "measure", "value", "suppression")
        for unit_id, year, measure, value, why in zip(*(rows[c] for c in columns), strict=True):
            out.setdefault(measure, {})[(unit_id, int(year))] = Shown(_number(value), None, why)
        return out

    def history_of(self, measure: str) -> dict[tuple[str, int], Shown]:
        """Every year's row of one measure, group ``all``: (unit_id, year) -> its figure."""
        return self._history_all.get(measure, {})


def question_status(replaces: str, asked_prev: bool, previous_year: int | None) -> str:
    """``omformulerad`` (rewords an earlier id), ``ny`` (not asked last time) or ``""``.

    Only a question not asked in the previous survey year is new or reworded
    there: a rewording introduced earlier and asked again is compared with
    itself, like the indexes stage does. With no previous survey year nothing
    is new: there is just no comparison.
    """
    if previous_year is None or asked_prev:
        return ""
    return REWORDED if replaces else NEW


def _file_signature(directory: Path) -> tuple[tuple[str, int, int], ...]:
    names = ("figures.parquet", "units.parquet", "questions.parquet", "drivers.parquet")
    out = []
    for name in (*names, "meta.json", "drivers.json"):
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
    meta = _read_json(directory / "meta.json", META_KEYS, "indexes")

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
    for column in ("unit_id", "question_id", "quadrant", "importance_from", "basis"):
        drivers[column] = _text(drivers[column])
    for column in ("borrow_code", "borrow_reason", "resampled"):
        drivers[column] = _text(drivers[column])
    notes = _read_json(directory / "drivers.json", DRIVER_NOTE_KEYS, "drivers")
    return ProcessedYear(directory, meta, figures, units, questions, drivers, notes)


def _read_json(path: Path, keys: Sequence[str], stage: str) -> dict[str, Any]:
    """A stage's JSON record, with the keys the reports rely on."""
    if not path.is_file():
        raise ReportDataError(f"{path}: missing; the {stage} stage writes it")
    record = json.loads(path.read_text(encoding="utf-8"))
    missing = [k for k in keys if k not in record]
    if missing:
        raise ReportDataError(f"{path}: missing key(s) {missing}")
    return record


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
    """One published (or suppressed) figure: full precision in, display strings out.

    ``suppression`` is the row's (contract §5); a figure hidden for any reason
    keeps no number at all, so no display string can show one.
    """

    value: float | None = None
    n: int | None = None
    suppression: str = ""

    def __post_init__(self) -> None:
        if self.suppression in HIDDEN_TEXTS:
            object.__setattr__(self, "value", None)
            object.__setattr__(self, "n", None)

    @property
    def published(self) -> bool:
        return self.value is not None

    @property
    def rounded(self) -> int | None:
        return None if self.value is None else round_half_up(self.value)

    @property
    def text(self) -> str:
        return hidden_text(self.suppression) if self.value is None else str(self.rounded)

    @property
    def n_text(self) -> str:
        """The respondents behind a published figure, else why it is hidden."""
        return (
            str(self.n) if self.published and self.n is not None else hidden_text(self.suppression)
        )

    def level(self, levels: LevelParams) -> str | None:
        return None if self.value is None else level(self.value, levels)


@dataclass(frozen=True)
class Compared:
    """A figure of year Y beside the same unit's, group's and measure's previous-year figure.

    ``prev`` is the previous year's row (published or suppressed) where the
    measure is comparable and that row exists; otherwise None. ``reason``
    says why there is no change, so a reader never meets an unexplained
    blank: the hidden year's words (this year's first: "för få svar" or "dold
    för att skydda en mindre grupp"), "ingen jämförelse" (other
    questions than last year), "inget värde <år>" (no row last year), a
    question's status ("ny", "omformulerad"); "" when there is a change or no
    previous year.
    """

    now: Shown
    prev: Shown | None
    reason: str

    @property
    def change(self) -> int | None:
        """Displayed change: displayed value minus displayed previous value."""
        if self.prev is None or not self.now.published or not self.prev.published:
            return None
        return displayed_change(self.now.value, self.prev.value)

    @property
    def exact_change(self) -> float | None:
        """The full-precision change (ranks equal displayed changes)."""
        if self.change is None:
            return None
        return self.now.value - self.prev.value

    @property
    def change_text(self) -> str:
        return self.reason if self.change is None else format_change(self.change)

    @property
    def prev_value(self) -> float | None:
        return None if self.prev is None else self.prev.value

    @property
    def prev_text(self) -> str:
        """The previous year's displayed value, why it is hidden, or "" where there is none."""
        return "" if self.prev is None else self.prev.text


class UnitFigures:
    """The figure rows of one unit, looked up by (measure, group, year)."""

    def __init__(self, data: ProcessedYear, unit_id: str) -> None:
        self.data = data
        self.unit_id = unit_id
        rows = data.unit_figures(unit_id)
        self._rows = {
            (int(y), g, m): Shown(_number(v), None if pd.isna(n) else int(n), why)
            for y, g, m, v, n, why in zip(
                *(rows[c] for c in ("year", "group", "measure", "value", "n", "suppression")),
                strict=True,
            )
        }

    def get(self, measure: str, group: str = ALL, year: int | None = None) -> Shown:
        """The figure, or an empty (suppressed-looking) one where no row exists."""
        return self._rows.get((year or self.data.year, group, measure), Shown())

    def has(self, measure: str, group: str = ALL, year: int | None = None) -> bool:
        return (year or self.data.year, group, measure) in self._rows

    def compare(
        self, measure: str, group: str = ALL, not_comparable: str = NO_COMPARISON
    ) -> Compared:
        """This year's figure against the previous survey year's, with the reason for no change.

        ``not_comparable`` is the reason shown when the measure rests on other
        questions than last year (a question passes its status, "ny" or
        "omformulerad").
        """
        now = self.get(measure, group)
        previous = self.data.previous_year
        if previous is None:
            return Compared(now, None, "")
        if measure not in self.data.comparable_measures:
            return Compared(now, None, not_comparable)
        if not self.has(measure, group, previous):
            return Compared(now, None, no_previous_text(previous))
        prev = self.get(measure, group, previous)
        hidden = next((s.text for s in (now, prev) if not s.published), "")
        return Compared(now, prev, hidden)

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

    def hidden_texts(self, group: str = ALL) -> set[str]:
        """Why the group's hidden figures of year Y are hidden, as the words a reader sees."""
        year = self.data.year
        rows = self._rows.items()
        return {s.text for (y, g, _m), s in rows if (y, g) == (year, group) and not s.published}

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
            rows.append(
                {
                    "year": year,
                    "n": shown.n,
                    "value": shown.value,
                    "text": shown.text,
                    "n_text": shown.n_text,
                }
            )
    return pd.DataFrame(rows, columns=["year", "n", "value", "text", "n_text"])


INDEX_TABLE_COLUMNS = [
    "measure",
    "label",
    "value",
    "text",
    "value_prev",
    "prev_text",
    "change",
    "change_text",
    "level",
]


def child_history(data: ProcessedYear, unit_id: str, measure: str) -> pd.DataFrame:
    """One measure for each child unit in every survey year up to Y (long form).

    Columns unit_id, unit_name, year, value, text: why where the row is
    suppressed (:func:`hidden_text`), "ingen uppgift" where the child has no row that year
    (e.g. it did not exist). Years are those in which any child has a row.
    """
    history = data.history_of(measure)
    children = data.children.get(unit_id, [])
    is_child = set(children)
    years = sorted({y for (u, y) in history if y <= data.year and u in is_child} | {data.year})
    rows = []
    for child in children:
        for year in years:
            present = (child, year) in history
            shown = history.get((child, year), Shown())
            rows.append(
                {
                    "unit_id": child,
                    "unit_name": data.unit_name(child),
                    "year": year,
                    "value": shown.value,
                    "text": shown.text if present else NO_ROW,
                }
            )
    return pd.DataFrame(rows, columns=["unit_id", "unit_name", "year", "value", "text"])


def index_table(
    figures: UnitFigures, measures: Sequence[str], levels: LevelParams, group: str = ALL
) -> pd.DataFrame:
    """The measures that exist, each against last year (``change_text`` says why when none)."""
    rows = []
    for measure in measures:
        if not figures.has(measure, group):
            continue
        compared = figures.compare(measure, group)
        rows.append(
            {
                "measure": measure,
                "label": MEASURE_LABELS.get(measure, measure),
                "value": compared.now.value,
                "text": compared.now.text,
                "value_prev": compared.prev_value,
                "prev_text": compared.prev_text,
                "change": compared.change,
                "change_text": compared.change_text,
                "level": compared.now.level(levels),
            }
        )
    return pd.DataFrame(rows, columns=INDEX_TABLE_COLUMNS)


def ami_measures(data: ProcessedYear) -> list[str]:
    """AMI and its dimensions that exist this year (another organisation may lack some)."""
    present = set(data.current_all.columns)
    return [m for m in (AMI, *(dimension_measure(d) for d in AMI_DIMENSIONS)) if m in present]


def group_breakdown(figures: UnitFigures, variable: str, measures: Sequence[str]) -> pd.DataFrame:
    """One row per label of ``variable`` × measure, this year against last.

    Columns: group, label, measure, value, text, value_prev, prev_text,
    change, change_text. A previous-year row that is suppressed says why
    (``prev_text``), never a blank; ``prev_text`` is "" only where no
    comparable row exists, and ``change_text`` then says why.
    """
    rows = []
    for label in figures.groups(variable):
        group = f"{variable}={label}"
        for measure in measures:
            compared = figures.compare(measure, group)
            rows.append(
                {
                    "group": group,
                    "label": label,
                    "measure": measure,
                    "value": compared.now.value,
                    "text": compared.now.text,
                    "value_prev": compared.prev_value,
                    "prev_text": compared.prev_text,
                    "change": compared.change,
                    "change_text": compared.change_text,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "group",
            "label",
            "measure",
            "value",
            "text",
            "value_prev",
            "prev_text",
            "change",
            "change_text",
        ],
    )


def area_overview(data: ProcessedYear, figures: UnitFigures, levels: LevelParams) -> pd.DataFrame:
    """Each area asked this year: area, value, text, change_text, level, has_new, description."""
    asked = data.asked_questions
    rows = []
    for area in dict.fromkeys(a for a in asked["area"] if a):
        measure = area_measure(area)
        if not figures.has(measure):
            continue
        compared = figures.compare(measure)
        shown = compared.now
        in_area = asked[asked["area"] == area]
        rows.append(
            {
                "area": area,
                "value": shown.value,
                "text": shown.text,
                "change_text": compared.change_text,
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
        compared = figures.compare(question_measure(qid), not_comparable=status or NO_COMPARISON)
        shown = compared.now
        rows.append(
            {
                "question_id": qid,
                "text": text,
                "area": area,
                "status": status,
                "value": shown.value,
                "text_value": shown.text,
                "change": compared.change,
                "change_text": compared.change_text,
                "exact_change": compared.exact_change,
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
    ami = data.history_of(AMI)
    rows = []
    for school in schools:
        value = ami.get((school, data.year), Shown()).value
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
    protected: int = 0  # schools with AMI "dold för att skydda en mindre grupp"


def units_under_threshold(
    data: ProcessedYear, unit_id: str, school_types: Sequence[str], good_from: int
) -> UnderThreshold:
    """Schools of the subtree that must draw up an action plan (displayed AMI < good_from)."""
    schools = school_units(data, unit_id, school_types)
    ami = data.history_of(AMI)
    rows, hidden = [], {SUPPRESSED: 0, PROTECTED: 0}
    for school in schools:
        shown = ami.get((school, data.year), Shown())
        value = shown.value
        if value is None:
            hidden[shown.text] += 1
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
    return UnderThreshold(units, counts, hidden[SUPPRESSED], hidden[PROTECTED])


def priority_tables(data: ProcessedYear, unit_id: str) -> pd.DataFrame:
    """The unit's driver rows (year Y), in question catalogue order; empty when none."""
    drivers = data.drivers
    rows = drivers[(drivers["unit_id"] == unit_id) & (drivers["year"] == data.year)]
    return rows.reset_index(drop=True)


@dataclass(frozen=True)
class PriorityStatus:
    """What one report's priority matrix rests on, or why it has none.

    ``table``: the unit's driver rows (empty when none). With rows: ``source``
    (whose importances), ``basis`` (``own``, ``borrowed``, ``own_below_min_n``),
    ``borrow_code`` (why it borrowed; ``questions``: the ones to blame) and
    ``n_used``. Without: ``why_none`` - ``suppressed_scores`` (``questions``:
    the drivers whose score is not shown), ``not_analysed`` (the förvaltning could not be
    analysed: ``root_code``, ``questions`` to blame) or ``unknown``. No respondent count
    beyond the published ``n_used`` is carried: a report shows only published numbers.
    ``excluded``: questions left out of the year's drivers (never validly answered).
    """

    table: pd.DataFrame
    source: str = ""
    basis: str = ""
    borrow_code: str = ""
    n_used: int | None = None
    why_none: str = ""
    questions: tuple[str, ...] = ()
    root_code: str = ""
    n_drivers: int = 0
    excluded: tuple[str, ...] = ()


def priority_status(data: ProcessedYear, unit_id: str) -> PriorityStatus:
    """The unit's priority-matrix rows with where they come from, or why there are none."""
    table = priority_tables(data, unit_id)
    notes = data.driver_notes
    excluded = tuple(notes.get("excluded", []))
    n_drivers = len(notes.get("drivers", []))
    if not table.empty:
        first = table.iloc[0]
        borrowed = (notes.get("borrowed", {}) or {}).get(unit_id, {})
        return PriorityStatus(
            table=table,
            source=str(first["importance_from"]),
            basis=str(first["basis"]),
            borrow_code=str(first["borrow_code"]),
            n_used=int(first["n_used"]),
            questions=tuple(borrowed.get("questions", [])),
            n_drivers=n_drivers,
            excluded=excluded,
        )
    root = notes.get("root_analysis", {}) or {}
    without = (notes.get("without_rows", {}) or {}).get(unit_id, {})
    if root.get("status") == NOT_ANALYSED:
        return PriorityStatus(
            table=table,
            why_none=NOT_ANALYSED,
            questions=tuple(root.get("questions", [])),
            root_code=str(root.get("code", "")),
            n_drivers=n_drivers,
            excluded=excluded,
        )
    if without.get("code") == SUPPRESSED_SCORES:
        return PriorityStatus(
            table=table,
            why_none=SUPPRESSED_SCORES,
            questions=tuple(without.get("questions", [])),
            n_drivers=n_drivers,
            excluded=excluded,
        )
    return PriorityStatus(table=table, why_none="unknown", n_drivers=n_drivers, excluded=excluded)


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
                "gap_text": shown.text if gap is None else format_change(gap),
                "reached": None if gap is None else gap >= 0,
            }
        )
    return pd.DataFrame(rows, columns=["label", "target", "text", "gap_text", "reached"])


# ---------------------------------------------------------------------------
# Report files and links (shared with analysis.render.reports)
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
    """One report: the year's tables, the unit (or manager), params and provenance.

    ``hidden_shown`` collects, as the notebook's cells run, the words of the
    hidden figures the sections have shown, so that the footer (the last
    cell) explains "dold för att skydda en mindre grupp" once, and only when
    the report shows it.
    """

    data: ProcessedYear
    unit_id: str
    params: Params
    provenance: dict[str, Any]
    links: bool = True
    hidden_shown: set[str] = field(default_factory=set, compare=False, repr=False)

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

    ``provenance_json`` is what :func:`analysis.core.provenance.collect_provenance`
    computed once for the whole run (params included); a notebook opened by
    hand computes it itself, with the render sections of the project's
    params.yaml. ``year``, when given, must be the directory's year.
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
        params_file = PROJECT_ROOT / "params.yaml"
        params = load_params(params_file) if params_file.is_file() else Params()
        provenance = collect_provenance(data, params)
    return Report(data, unit_id, effective_params(provenance), provenance)


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
