"""``figures.csv``: the published figures, exactly as contract §5 describes them.

The file is what an auditor re-computes against, so it keeps full precision
(every value round-trips to the same float64) with at least two decimals,
shows a suppressed figure as an empty field (never 0), and is
byte-deterministic: the same table always gives the same bytes. It is
written to a temporary file and moved into place, so a failed run never
leaves a half-written file where a good one was.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.atomic import write_bytes_atomic
from analysis.core.contract import FIGURES_CSV_COLUMNS, SUPPRESSION_REASONS

CSV_COLUMNS = FIGURES_CSV_COLUMNS
TEXT_COLUMNS = ("unit_id", "group", "measure", "suppression")
FLOAT_COLUMNS = ("value", "change", "change_low", "change_high")


def format_number(value: float) -> str:
    """Full precision, at least two decimals ("79.50", "66.66666666666667"); "" when empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if not math.isfinite(value):
        raise ValueError(f"figures.csv: cannot write non-finite value {value!r}")
    text = np.format_float_positional(float(value), unique=True, trim="k", min_digits=2)
    return "0.00" if text == "-0.00" else text


def _format_count(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(int(value))


def figures_csv_text(df: pd.DataFrame) -> str:
    """The exact text of figures.csv for a figures table (the contract's columns only)."""
    missing = [c for c in CSV_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"figures table lacks column(s) {missing}")
    unknown = sorted(set(df["suppression"].astype(str)) - set(SUPPRESSION_REASONS))
    if unknown:
        raise ValueError(
            f"figures table: suppression must be one of {SUPPRESSION_REASONS}, got {unknown}"
        )
    columns = {
        "year": [str(int(y)) for y in df["year"]],
        "unit_id": df["unit_id"].astype(str).tolist(),
        "group": df["group"].astype(str).tolist(),
        "measure": df["measure"].astype(str).tolist(),
        "n": [_format_count(v) for v in df["n"].astype("Int64").tolist()],
        "value": [format_number(v) for v in df["value"].astype("float64").tolist()],
        **{
            name: [format_number(v) for v in df[name].astype("float64").tolist()]
            for name in ("change", "change_low", "change_high")
        },
        "suppression": df["suppression"].astype(str).tolist(),
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(zip(*(columns[c] for c in CSV_COLUMNS), strict=True))
    return buffer.getvalue()


def write_figures_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write figures.csv atomically (temporary file in the same directory, then os.replace)."""
    write_bytes_atomic(figures_csv_text(df).encode("utf-8"), path)


def read_figures_csv(path: str | Path) -> pd.DataFrame:
    """Read figures.csv back: year int64, n Int64, value/change float64 (NaN when empty).

    Text fields are read verbatim (a unit called "NA" stays "NA"), and the
    numbers are parsed with Python's exact float parser so that they
    round-trip bit for bit.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if list(raw.columns) != CSV_COLUMNS:
        raise ValueError(f"{path}: expected columns {CSV_COLUMNS}, got {list(raw.columns)}")
    out = pd.DataFrame({"year": raw["year"].astype(np.int64)})
    for column in TEXT_COLUMNS:
        out[column] = raw[column]
    out["n"] = pd.array([int(v) if v else pd.NA for v in raw["n"]], dtype="Int64")
    for column in FLOAT_COLUMNS:
        out[column] = np.array([float(v) if v else np.nan for v in raw[column]], dtype=np.float64)
    return out[CSV_COLUMNS]
