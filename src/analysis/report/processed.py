"""One survey year's processed tables (``data/processed/<Y>/``), loaded once and read-only.

The report notebooks read ONLY these tables (figures, units, questions, drivers,
meta.json, and the optional action plans and benchmarks): already-suppressed
aggregates and the organisation's own records, never respondent rows. That keeps the
privacy guarantee structural - whatever a cell prints, it cannot print an answer.
The files are read and typed in :mod:`analysis.report.processed_files`; this module
indexes them for quick per-unit lookups and caches a year per kernel.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.catalogue import (
    AMI,
    AMI_DIMENSIONS,
    LEADERSHIP,
    RESPONSE_RATE,
    comparable_measures,
    dimension_measure,
)
from analysis.core.contract import (
    MANAGER_PREFIX,
)
from analysis.core.orgtree import OrgTree, TreeError
from analysis.report.figures import ALL, Shown, number_or_none
from analysis.report.phrases import NEW, REWORDED
from analysis.report.processed_files import (
    BENCHMARK_TABLE_COLUMNS,
    PLAN_COLUMNS,
    ReportDataError,
    file_signature,
    read_year_files,
    text_column,
    typed_table,
)

__all__ = [
    "ENHET",
    "FORVALTNING",
    "LEDARE",
    "MEASURE_LABELS",
    "OMRADE",
    "ProcessedYear",
    "ReportDataError",
    "load_processed_year",
    "question_status",
]

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
        action_plans: pd.DataFrame | None = None,
        benchmarks: pd.DataFrame | None = None,
    ) -> None:
        self.directory = directory
        self.meta = meta
        self.driver_notes = driver_notes or {}
        self._action_plans = typed_table(action_plans, PLAN_COLUMNS)
        self._benchmarks = typed_table(benchmarks, BENCHMARK_TABLE_COLUMNS)
        self.units = units.reset_index(drop=True)
        self.questions = questions.reset_index(drop=True)
        self.drivers = drivers.reset_index(drop=True)
        # sorted by unit for slicing; the index keeps the file's row order
        ordered = figures.reset_index(drop=True).sort_values("unit_id", kind="stable")
        ordered["suppression"] = text_column(
            ordered.get("suppression", pd.Series("", ordered.index))
        )
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
    def driver_missing(self) -> str:
        """``drivers.missing`` as the drivers stage used it: whom the notes say it rests on."""
        return str(self.driver_notes["missing"])

    @property
    def respondent_spread(self) -> dict[str, float]:
        """Each measure's respondent spread in year Y, pooled over the organisation."""
        raw = self.meta.get("respondent_spread") or {}
        return {str(m): float(v) for m, v in raw.items() if v is not None}

    @property
    def rows_rejected(self) -> int:
        return int(self.meta.get("rows_rejected") or 0)

    @property
    def quarantine_mode(self) -> bool:
        raw = self.meta.get("params", {}) or {}
        return (raw.get("input", {}) or {}).get("on_invalid") == "quarantine"

    # -- the optional input tables -------------------------------------------
    @property
    def action_plans(self) -> pd.DataFrame:
        """Year Y's and the previous survey year's plans (PLAN_COLUMNS; no rows if none)."""
        return self._action_plans

    @property
    def benchmarks(self) -> pd.DataFrame:
        """Year Y's and the previous survey year's benchmarks (no rows if none)."""
        return self._benchmarks

    # -- the organisation ---------------------------------------------------
    @cached_property
    def unit_index(self) -> dict[str, dict[str, Any]]:
        return {row["unit_id"]: row for row in self.units.to_dict("records")}

    @cached_property
    def tree(self) -> OrgTree:
        """The year's organisation tree: the one :class:`~analysis.core.orgtree.OrgTree` every
        stage walks (pre-order with siblings in the units table's order)."""
        try:
            return OrgTree.from_table(self.units)
        except TreeError as error:
            raise ReportDataError(f"{self.directory / 'units.parquet'}: {error}") from error

    @cached_property
    def children(self) -> Mapping[str, tuple[str, ...]]:
        """Every unit's children in the units table's order (a leaf has none)."""
        return self.tree.children

    @cached_property
    def root_id(self) -> str:
        """The förvaltning: the tree's root (a table without exactly one root is refused there)."""
        return self.tree.root

    def unit_name(self, unit_id: str) -> str:
        if unit_id.startswith(MANAGER_PREFIX):
            return f"Chef {unit_id[len(MANAGER_PREFIX) :]}"
        return str(self.unit_index[unit_id]["unit_name"])

    def unit_type(self, unit_id: str) -> str:
        return str(self.unit_index[unit_id]["unit_type"])

    def depth(self, unit_id: str) -> int:
        return self.tree.depth[unit_id]

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
            out.setdefault(measure, {})[(unit_id, int(year))] = Shown(
                number_or_none(value), None, why
            )
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


def load_processed_year(directory: str | Path) -> ProcessedYear:
    """Read ``data/processed/<Y>/`` (cached per kernel while the files are unchanged).

    A render worker executes hundreds of reports in one warm kernel; reading
    and indexing the figures table once instead of per report is most of the
    speed-up.
    """
    resolved = Path(directory).resolve()
    return _load_cached(resolved, file_signature(resolved))


@lru_cache(maxsize=2)
def _load_cached(directory: Path, signature: tuple) -> ProcessedYear:
    """``signature`` (file times and sizes) is part of the cache key only."""
    return ProcessedYear(directory, *read_year_files(directory))
