"""``data/processed/<year>/metrics.json``: a run's headline figures, for comparing runs.

DVC tracks the file as the render stage's metrics, so ``dvc metrics show``,
``dvc metrics diff`` and ``dvc exp show`` put runs side by side (another
``privacy.min_group_size``, a corrected input): the förvaltning's AMI and
response rate, what was published and how much of it is hidden.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis.core.atomic import write_text_atomic
from analysis.core.catalogue import AMI, RESPONSE_RATE

__all__ = ["METRICS_FILE", "write_year_metrics", "year_metrics"]

METRICS_FILE = "metrics.json"


def year_metrics(
    figures: pd.DataFrame, units: pd.DataFrame, year: int, reports: int
) -> dict[str, object]:
    """The year's headline figures (full precision; None where a figure is hidden)."""
    this = figures[figures["year"] == year]
    roots = units.loc[units["parent_id"].fillna("") == "", "unit_id"]
    root = str(roots.iloc[0]) if len(roots) else ""
    at_root = this[(this["unit_id"] == root) & (this["group"] == "all")]

    def published(measure: str, column: str) -> float | None:
        row = at_root[(at_root["measure"] == measure) & (at_root["suppression"] == "")]
        value = row[column].iloc[0] if len(row) else None
        return None if value is None or pd.isna(value) else float(value)

    hidden = this["suppression"].to_numpy() != ""
    totals = ((this["group"] == "all") & this["unit_id"].isin(set(units["unit_id"]))).to_numpy()
    respondents = published(RESPONSE_RATE, "n")
    return {
        "year": int(year),
        "root": root,
        "ami": published(AMI, "value"),
        "response_rate": published(RESPONSE_RATE, "value"),
        "respondents": None if respondents is None else int(respondents),
        "reports": int(reports),
        "figures": len(this),
        "hidden_share": float(hidden.mean()) if len(hidden) else 0.0,
        "unit_totals_hidden_share": float(hidden[totals].mean()) if totals.any() else 0.0,
    }


def write_year_metrics(path: Path, metrics: dict[str, object]) -> None:
    write_text_atomic(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", path)
