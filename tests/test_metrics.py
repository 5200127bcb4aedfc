"""metrics.json: the run's headline figures that dvc metrics / dvc exp compare."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import yaml

from analysis.render.metrics import write_year_metrics, year_metrics

ROOT = Path(__file__).resolve().parents[1]


def _figures() -> pd.DataFrame:
    rows = [
        # year, unit, group, measure, n, value, suppression
        (2023, "F", "all", "AMI", 40, 78.25, ""),
        (2023, "F", "all", "response_rate", 40, 80.0, ""),
        (2023, "F", "gender=Man", "AMI", 3, math.nan, "threshold"),
        (2023, "A", "all", "AMI", 20, math.nan, "complementary"),
        (2023, "B", "all", "AMI", 20, 77.0, ""),
        (2023, "L1", "all", "AMI", 6, 70.0, ""),  # a leader report: not a unit total
        (2022, "F", "all", "AMI", 38, 76.0, ""),  # the comparison year: not counted
    ]
    columns = ["year", "unit_id", "group", "measure", "n", "value", "suppression"]
    return pd.DataFrame(rows, columns=columns)


def test_the_headline_figures_are_the_roots_and_the_hidden_shares_this_years(tmp_path):
    units = pd.DataFrame({"unit_id": ["F", "A", "B"], "parent_id": ["", "F", "F"]})
    metrics = year_metrics(_figures(), units, 2023, reports=5)
    assert metrics == {
        "year": 2023,
        "root": "F",
        "ami": 78.25,
        "response_rate": 80.0,
        "respondents": 40,
        "reports": 5,
        "figures": 6,
        "hidden_share": 2 / 6,
        "unit_totals_hidden_share": 1 / 4,  # F's AMI and response rate, A's and B's AMI
    }
    write_year_metrics(tmp_path / "metrics.json", metrics)
    assert json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8")) == metrics


def test_a_hidden_root_figure_is_empty_not_zero():
    figures = _figures()
    figures.loc[(figures["unit_id"] == "F") & (figures["measure"] == "AMI"), "suppression"] = (
        "complementary"
    )
    units = pd.DataFrame({"unit_id": ["F", "A", "B"], "parent_id": ["", "F", "F"]})
    assert year_metrics(figures, units, 2023, reports=5)["ami"] is None


def test_the_render_stage_declares_its_metrics_per_year():
    render = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]["render"]
    assert render["do"]["metrics"] == ["data/processed/${item}/metrics.json"]
