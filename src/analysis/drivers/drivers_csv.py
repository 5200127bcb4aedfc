"""drivers.csv: the contract's columns of the driver table, as exact text, written atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.core.atomic import write_text_atomic
from analysis.core.contract import DRIVERS_CSV_COLUMNS, DRIVERS_CSV_NUMBERS

__all__ = ["CSV_COLUMNS", "drivers_csv_text", "write_drivers_csv"]

CSV_COLUMNS = DRIVERS_CSV_COLUMNS


def drivers_csv_text(table: pd.DataFrame) -> str:
    """The exact text of drivers.csv: contract columns, then ``importance_from``, ``basis``,
    ``p_high``, ``beta``, ``p_negative`` and ``p_random``; numbers as figures.csv writes
    them (empty when NaN)."""
    from analysis.core.figures_io import format_number

    missing = [c for c in CSV_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"driver table lacks column(s) {missing}")
    out = table[CSV_COLUMNS].copy()
    for column in DRIVERS_CSV_NUMBERS:
        out[column] = [format_number(v) for v in out[column].astype("float64")]
    return out.to_csv(index=False, lineterminator="\n")


def write_drivers_csv(table: pd.DataFrame, path: str | Path) -> None:
    """Write drivers.csv atomically, so a failed run never leaves half a file."""
    write_text_atomic(drivers_csv_text(table), path)
