"""Auditing one ``drivers.csv``: rows, sources, weights, intervals, scores, quadrants.

Each unit's (or manager's) rows are checked against the recomputed driver
analysis of the unit they borrow from, the recomputed scores, the published
figures and the priority-matrix rule (§4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.audit.driver_analysis import DriverRecomputation
from analysis.audit.recomputation import Recomputation
from analysis.audit.results import ALL, Mismatch, Reconciliation, differs, format_number
from analysis.core.catalogue import question_measure
from analysis.core.contract import MANAGER_PREFIX

STYRKA, FOKUS, OVRIGT = "styrka", "fokusområde", "övrigt"
MAX_LISTED_QUADRANT = 5


def expected_quadrants(
    question_ids: list[str], importance: list[float], score: list[float]
) -> list[str]:
    """The priority-matrix quadrant of each driver of one unit (contract §4).

    Split at the median importance and the median score (≥ median = high).
    Styrkor: up to 5 high-importance, high-score questions, highest score
    first; fokusområden: up to 5 high-importance, low-score ones, lowest score
    first; ties go to the higher importance, then to the question id.
    """
    mid_importance, mid_score = float(np.median(importance)), float(np.median(score))
    labels = [OVRIGT] * len(question_ids)
    for label, high_score, sign in ((STYRKA, True, -1.0), (FOKUS, False, 1.0)):
        chosen = [
            i
            for i in range(len(question_ids))
            if importance[i] >= mid_importance and (score[i] >= mid_score) == high_score
        ]
        chosen.sort(key=lambda i: (sign * score[i], -importance[i], question_ids[i]))
        for i in chosen[:MAX_LISTED_QUADRANT]:
            labels[i] = label
    return labels


@dataclass
class _DriverContext:
    """What every unit's driver rows are checked against, for one year."""

    year: int
    k: int
    recomputation: Recomputation
    drivers: list[str]
    score_of: dict[tuple[str, str], tuple[int, float]]
    figure_shown: dict[tuple[str, str], bool] | None
    recon: Reconciliation
    bad_rows: set[int] = field(default_factory=set)

    def add(self, row: int | None, unit: str, question: str, name: str, pub: str, rec: str):
        measure = question_measure(question) if question else ""
        self.recon.mismatches.append(Mismatch(self.year, unit, ALL, measure, name, pub, rec))
        if row is not None:
            self.bad_rows.add(row)


def audit_drivers(
    published: pd.DataFrame,
    year: int,
    recomputation: Recomputation,
    figures: pd.DataFrame | None,
    path: str,
) -> Reconciliation:
    """Audit one drivers.csv against the recomputation (and the published figures.csv)."""
    recon = Reconciliation(path, year, kind="drivers")
    recon.rows_checked = len(published)
    org = recomputation.organisation(year)
    scores = recomputation.figures(year)
    scores = scores[(scores["group"] == ALL) & scores["measure"].str.startswith("q:")]
    figure_shown = None
    if figures is not None:
        rows = figures[(figures["year"] == year) & (figures["group"] == ALL)]
        keys = zip(rows["unit_id"].tolist(), rows["measure"].tolist(), strict=True)
        figure_shown = dict(zip(keys, (rows["value_text"] != "").tolist(), strict=True))
    context = _DriverContext(
        year=year,
        k=recomputation.params.privacy.min_group_size,
        recomputation=recomputation,
        drivers=list(recomputation.drivers_of(year)),
        score_of={
            (u, m): (int(n), float(v))
            for u, m, n, v in scores[["unit_id", "measure", "n", "value"]].itertuples(index=False)
        },
        figure_shown=figure_shown,
        recon=recon,
    )
    known_units = set(org.chains) | {MANAGER_PREFIX + m for m in org.managers}
    records = published.to_dict("records")
    by_unit: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        by_unit.setdefault(r["unit_id"], []).append(i)
    for unit, positions in by_unit.items():
        _audit_driver_unit(unit, [(i, records[i]) for i in positions], known_units, context)

    if figure_shown is not None:
        root = recomputation.root(year)
        for unit in sorted(known_units - set(by_unit)):
            # rows are due where a score is shown for every driver, and the unit or the
            # förvaltning (everyone's last lender) can be analysed at all
            can = context.drivers and any(recomputation.analysable(year, u) for u in (unit, root))
            shown_all = all(
                figure_shown.get((unit, question_measure(q)), False) for q in context.drivers
            )
            if can and shown_all:
                context.add(
                    None,
                    unit,
                    "",
                    "row",
                    "missing",
                    "rows for every driver: all its scores are in figures.csv",
                )
    recon.rows_matched = recon.rows_checked - len(context.bad_rows)
    recon.notes.append(_interval_note(recomputation.with_intervals))
    return recon


def _interval_note(asked: bool) -> str:
    if not asked:
        return "confidence intervals not recomputed (--no-intervals): ci_low ≤ ci_high only"
    try:
        from analysis.drivers.bootstrap import bootstrap_draws, sample_seed  # noqa: F401
    except ImportError:
        return (
            "confidence intervals NOT recomputed: the package exposes no bootstrap function; "
            "checked ci_low ≤ ci_high only"
        )
    return (
        "confidence intervals recomputed with the package's seeded bootstrap "
        "(analysis.drivers.bootstrap.bootstrap_draws)"
    )


def _audit_driver_unit(
    unit: str, rows: list[tuple[int, dict]], known_units: set[str], c: _DriverContext
) -> None:
    """One unit's (or manager's) rows: complete, from an allowed source, and recomputed."""
    if unit not in known_units:
        for i, r in rows:
            c.add(i, unit, r["question_id"], "unit_id", unit, "no such unit or manager")
        return
    seen: set[str] = set()
    kept = []
    for i, r in rows:
        q = r["question_id"]
        if r["year"] != c.year:
            c.add(i, unit, q, "year", r["year_text"], str(c.year))
        if q in seen:
            c.add(i, unit, q, "row", "repeated", "one row per driver")
        elif q not in c.drivers:
            c.add(i, unit, q, "row", "present", "not a driver this year")
        else:
            kept.append((i, r))
        seen.add(q)
    for q in c.drivers:
        if q not in seen:
            c.add(None, unit, q, "row", "missing", "present")

    org = c.recomputation.organisation(c.year)
    allowed = {unit, *org.chains} if unit.startswith(MANAGER_PREFIX) else set(org.chains[unit])
    sources = {r["importance_from"] for _, r in kept}
    for i, r in kept:
        if r["importance_from"] not in allowed or len(sources) > 1:
            c.add(
                i,
                unit,
                r["question_id"],
                "importance_from",
                r["importance_from"],
                "the unit itself or an ancestor, the same on every row",
            )
    if len(sources) != 1 or not sources <= allowed:
        return
    source = sources.pop()
    analysis = c.recomputation.final_analysis(c.year, source)
    if analysis is None:  # shrinkage: the source has no matrix of its own
        for i, r in kept:
            c.add(i, unit, r["question_id"], "importance_from", source, "a unit with a matrix")
        return
    min_n = c.recomputation.params.drivers.min_n
    if source != unit:
        basis = "borrowed"
    elif c.recomputation.shrinks(c.year) and source != c.recomputation.root(c.year):
        basis = "shrunk"
    else:
        basis = "own" if analysis.n_used >= min_n else "own_below_min_n"
    own_weight = 0.0 if source != unit else analysis.own_weight
    for i, r in kept:
        if r["basis"] != basis:
            c.add(i, unit, r["question_id"], "basis", r["basis"], basis)
        if differs(r["own_weight"], own_weight):
            c.add(i, unit, r["question_id"], "own_weight", r["own_weight_text"], str(own_weight))
    position = {q: j for j, q in enumerate(analysis.question_ids)}
    for i, r in kept:
        _check_driver_row(i, unit, r, analysis, position[r["question_id"]], c)
    quadrants = expected_quadrants(
        [r["question_id"] for _, r in kept],
        [r["importance"] for _, r in kept],
        [r["score"] for _, r in kept],
    )
    for (i, r), expected in zip(kept, quadrants, strict=True):
        if r["quadrant"] != expected:
            c.add(i, unit, r["question_id"], "quadrant", r["quadrant"], expected)


def _check_driver_row(
    i: int, unit: str, r: dict, analysis: DriverRecomputation, j: int, c: _DriverContext
) -> None:
    q = r["question_id"]
    if r["n_used"] is None or r["n_used"] != analysis.n_used:
        c.add(i, unit, q, "n_used", r["n_used_text"], str(analysis.n_used))
    expected = {"weight": analysis.weights[j], "importance": analysis.importance[j]}
    if analysis.beta is not None:
        if math.isnan(analysis.beta[j]) or math.isnan(r["beta"]):
            if math.isnan(analysis.beta[j]) != math.isnan(r["beta"]):  # one side empty
                c.add(i, unit, q, "beta", r["beta_text"], format_number(analysis.beta[j]))
        else:
            expected["beta"] = analysis.beta[j]
    if analysis.ci_low is not None and analysis.ci_high is not None:
        expected |= {"ci_low": analysis.ci_low[j], "ci_high": analysis.ci_high[j]}
    if analysis.p_high is not None:
        expected["p_high"] = analysis.p_high[j]
    if analysis.p_negative is not None:
        expected["p_negative"] = analysis.p_negative[j]
    if analysis.p_random is not None:
        expected["p_random"] = analysis.p_random[j]
    for name, value in expected.items():
        if differs(r[name], value):
            c.add(i, unit, q, name, r[f"{name}_text"], format_number(value))
    if not r["ci_low"] <= r["ci_high"]:
        c.add(i, unit, q, "ci", f"{r['ci_low_text']} > {r['ci_high_text']}", "ci_low ≤ ci_high")
    n, score = c.score_of.get((unit, question_measure(q)), (0, math.nan))
    if n < c.k:
        c.add(i, unit, q, "score", r["score_text"], f"empty (n = {n} < {c.k})")
    elif c.figure_shown is not None and not c.figure_shown.get((unit, question_measure(q))):
        c.add(i, unit, q, "score", r["score_text"], "empty, as in figures.csv")
    elif differs(r["score"], score):
        c.add(i, unit, q, "score", r["score_text"], format_number(score))
