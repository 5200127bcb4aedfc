"""What one report's priority matrix rests on (drivers rows and drivers.json), or why none."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.core.contract import (
    NOT_ANALYSED,
    SUPPRESSED_SCORES,
)
from analysis.report.processed import ProcessedYear


def priority_tables(data: ProcessedYear, unit_id: str) -> pd.DataFrame:
    """The unit's driver rows (year Y), in question catalogue order; empty when none."""
    drivers = data.drivers
    rows = drivers[(drivers["unit_id"] == unit_id) & (drivers["year"] == data.year)]
    return rows.reset_index(drop=True)


@dataclass(frozen=True)
class PriorityStatus:
    """What one report's priority matrix rests on, or why it has none.

    ``table``: the unit's driver rows (empty when none). With rows: ``source``
    (whose importances), ``basis`` (``own``, ``shrunk``, ``borrowed``, ``own_below_min_n``;
    a shrunk matrix's ``own_weight`` and whom it leans on, ``towards``),
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
    own_weight: float = 1.0  # the share of the unit's own answers in a shrunk matrix
    towards: str = ""  # whose matrix a shrunk one leans on


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
            own_weight=float(first["own_weight"]),
            towards=str(((notes.get("shrinkage") or {}).get("towards") or {}).get(unit_id, "")),
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
