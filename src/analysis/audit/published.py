"""Reading the published ``figures.csv`` and ``drivers.csv`` as text.

Separate because what is judged is what is shown: every number is parsed
from the text as it stands in the file, and the text is kept beside it.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from analysis.audit.results import AuditError
from analysis.core.contract import DRIVERS_CSV_COLUMNS, DRIVERS_CSV_NUMBERS, FIGURES_CSV_COLUMNS

FIGURES_COLUMNS = FIGURES_CSV_COLUMNS
DRIVERS_COLUMNS = DRIVERS_CSV_COLUMNS


def _read_text_table(path: Path) -> pd.DataFrame:
    # object, not pandas' Arrow strings: the audit walks the rows one by one.
    return pd.read_csv(path, dtype=object, keep_default_na=False, encoding="utf-8-sig")


def _numbers(frame: pd.DataFrame, column: str, path: Path, kind: type) -> list:
    out = []
    for row, text in enumerate(frame[column], start=2):
        if text.strip() == "":
            out.append(None if kind is int else math.nan)
            continue
        try:
            out.append(kind(text))
        except ValueError:
            expected = "an integer" if kind is int else "a number"
            raise AuditError(
                f"{path}: row {row}, column {column}: {text!r} is not {expected}"
            ) from None
    return out


def read_published_figures(path: Path) -> pd.DataFrame:
    """figures.csv with parsed ``year``, ``n`` (object: int or None), ``value``, ``change``,
    ``change_low`` and ``change_high``.

    The raw texts stay alongside as ``n_text``, ``value_text``, ``change_text``,
    ``change_low_text``, ``change_high_text`` and ``suppression_text``.
    """
    raw = _read_text_table(path)
    if list(raw.columns) != FIGURES_COLUMNS:
        raise AuditError(f"{path}: expected columns {FIGURES_COLUMNS}, got {list(raw.columns)}")
    out = raw[["unit_id", "group", "measure"]].copy()
    out.insert(0, "year", _numbers(raw, "year", path, int))
    out["n"] = pd.Series(_numbers(raw, "n", path, int), dtype=object)
    out["value"] = _numbers(raw, "value", path, float)
    for column in ("change", "change_low", "change_high"):
        out[column] = _numbers(raw, column, path, float)
    for column in ("n", "value", "change", "change_low", "change_high", "suppression"):
        out[f"{column}_text"] = raw[column]
    return out


def read_published_drivers(path: Path) -> pd.DataFrame:
    raw = _read_text_table(path)
    if list(raw.columns) != DRIVERS_COLUMNS:
        raise AuditError(f"{path}: expected columns {DRIVERS_COLUMNS}, got {list(raw.columns)}")
    out = raw.copy()
    out["year"] = _numbers(raw, "year", path, int)
    out["n_used"] = pd.Series(_numbers(raw, "n_used", path, int), dtype=object)
    out["n_used_text"] = raw["n_used"]
    out["year_text"] = raw["year"]
    for column in DRIVERS_CSV_NUMBERS:
        out[column] = _numbers(raw, column, path, float)
        out[f"{column}_text"] = raw[column]
    return out
