"""Auditing one ``figures.csv``: numbers, suppression, changes, and recoverable groups
(the changes' intervals: :mod:`analysis.audit.check_intervals`).

The report year's rows and any earlier year's history rows are compared
with the recomputation; a hidden group that the published total minus the
published groups would single out is reported too.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.audit.check_intervals import audit_intervals
from analysis.audit.recomputation import Recomputation
from analysis.audit.results import ALL, KEYS, Mismatch, Reconciliation, differs, format_number
from analysis.core.contract import COMPLEMENTARY, HISTORY_MEASURES, MANAGER_PREFIX, THRESHOLD


def audit_figures(
    published: pd.DataFrame,
    report_year: int,
    recomputation: Recomputation,
    path: str,
) -> list[Reconciliation]:
    """Audit one figures.csv: the report year's rows and every earlier year's history rows."""
    data, k = recomputation.data, recomputation.params.privacy.min_group_size
    years = sorted({report_year, *published["year"]})
    shown = dict(
        zip(
            zip(
                published["year"].tolist(),
                published["unit_id"].tolist(),
                published["group"].tolist(),
                published["measure"].tolist(),
                strict=True,
            ),
            (published["value_text"] != "").tolist(),
            strict=True,
        )
    )
    out = []
    for year in years:
        recon = Reconciliation(path, year)
        rows = published[published["year"] == year]
        recon.rows_checked = len(rows)
        if year != report_year and (year > report_year or year not in data.years):
            for r in rows.itertuples(index=False):
                recon.mismatches.append(
                    Mismatch(
                        year,
                        r.unit_id,
                        r.group,
                        r.measure,
                        "row",
                        "present",
                        f"no such figure: year {year} is not the report year "
                        "or an earlier survey year",
                    )
                )
            out.append(recon)
            continue
        if year != report_year:
            recon.notes.append(f"history rows of {year} in the {report_year} report")
        _audit_figure_year(rows, year, year == report_year, recomputation, shown, recon)
        recon.mismatches += audit_intervals(rows, year, year == report_year, recomputation)
        recon.mismatches += recoverable_groups(rows, recomputation.figures(year), k)
        out.append(recon)
    return out


def _audit_figure_year(
    rows: pd.DataFrame,
    year: int,
    is_report_year: bool,
    recomputation: Recomputation,
    shown: dict[tuple, bool],
    recon: Reconciliation,
) -> None:
    data, params = recomputation.data, recomputation.params
    k = params.privacy.min_group_size
    expected = recomputation.figures(year)
    expected = expected[expected["in_figures"]].drop(columns=["in_figures", "year"])
    previous_year = data.previous_year(year)
    if previous_year is not None:
        before = recomputation.figures(previous_year)[[*KEYS, "n", "value"]]
        before = before.rename(columns={"n": "n_prev", "value": "value_prev"})
        expected = expected.merge(before, on=KEYS, how="left")
        comparable = recomputation.comparable(year, previous_year)
    else:
        expected["n_prev"] = np.nan
        expected["value_prev"] = np.nan
        comparable = set()
    expected = expected.rename(columns={"n": "n_rec", "value": "value_rec"})
    if is_report_year:
        expected["required"] = True
    else:
        expected["required"] = expected["measure"].isin(HISTORY_MEASURES) & ~expected[
            "unit_id"
        ].str.startswith(MANAGER_PREFIX)

    duplicated = rows.duplicated(KEYS)
    bad_rows = 0
    for r in rows[duplicated].itertuples(index=False):
        recon.mismatches.append(
            Mismatch(year, r.unit_id, r.group, r.measure, "row", "repeated", "one row per figure")
        )
        bad_rows += 1
    # Published rows in file order, then the figures the file lacks in recomputation order.
    merged = rows[~duplicated].merge(expected, on=KEYS, how="left", indicator="presence")
    for r in merged.itertuples(index=False):
        if r.presence == "left_only":
            recon.mismatches.append(
                Mismatch(year, r.unit_id, r.group, r.measure, "row", "present", "no such figure")
            )
            bad_rows += 1
            continue
        found = _check_figure(r, year, previous_year, comparable, shown, k, recon)
        if found:
            recon.mismatches += found
            bad_rows += 1
    lacking = expected[expected["required"]].merge(
        rows[KEYS], on=KEYS, how="left", indicator="presence"
    )
    for unit_id, group, measure in lacking.loc[lacking["presence"] == "left_only", KEYS].values:
        recon.mismatches.append(
            Mismatch(year, unit_id, group, measure, "row", "missing", "present")
        )
    recon.rows_matched = recon.rows_checked - bad_rows


def _check_figure(
    r,
    year: int,
    previous_year: int | None,
    comparable: set[str],
    shown: dict[tuple, bool],
    k: int,
    recon: Reconciliation,
) -> list[Mismatch]:
    """The mismatches of one published row that has a recomputed counterpart."""

    def mismatch(field_name: str, published: str, recomputed: str) -> Mismatch:
        return Mismatch(year, r.unit_id, r.group, r.measure, field_name, published, recomputed)

    n_rec = int(r.n_rec)
    publishable = n_rec >= k and not math.isnan(r.value_rec)
    texts = {"n": r.n_text, "value": r.value_text, "change": r.change_text}
    # why a row is hidden follows from the recomputed n alone (contract §5)
    reason = THRESHOLD if not publishable else COMPLEMENTARY if r.value_text == "" else ""
    found = []
    if r.suppression_text != reason:
        found.append(mismatch("suppression", r.suppression_text, reason or "empty (published)"))
    if not publishable:
        why = f"empty (n = {n_rec} < {k})" if n_rec < k else "empty (no value: nobody invited)"
        return found + [mismatch(f, t, why) for f, t in texts.items() if t != ""]
    if r.value_text == "":
        if r.n_text == "" and r.change_text == "":
            recon.complementary_suppressions += 1
            return found
        why = "empty, as the value is suppressed"
        return found + [mismatch(f, texts[f], why) for f in ("n", "change") if texts[f] != ""]

    if r.n is None or int(r.n) != n_rec:
        found.append(mismatch("n", r.n_text, str(n_rec)))
    if differs(r.value, r.value_rec):
        found.append(mismatch("value", r.value_text, format_number(r.value_rec)))
    decimals = r.value_text.partition(".")[2]
    if len(decimals) < 2 or not decimals.isdigit():
        found.append(mismatch("value", r.value_text, "at least 2 decimals"))

    # The change: only against a published previous value of a comparable measure.
    prev_published = (
        previous_year is not None
        and r.measure in comparable
        and not pd.isna(r.n_prev)
        and int(r.n_prev) >= k
        and not pd.isna(r.value_prev)
    )
    status = shown.get((previous_year, r.unit_id, r.group, r.measure))
    if prev_published and status is False:
        prev_published = False  # complementary-suppressed in the previous year
    has_change = r.change_text != ""
    if not prev_published:
        if has_change:
            found.append(mismatch("change", r.change_text, "empty (no comparable published value)"))
        return found
    expected_change = r.value_rec - r.value_prev
    if not has_change:
        if status is True:
            found.append(mismatch("change", "", format_number(expected_change)))
        else:
            recon.unverifiable_changes += 1
    elif differs(r.change, expected_change):
        found.append(mismatch("change", r.change_text, format_number(expected_change)))
    return found


def recoverable_groups(published: pd.DataFrame, recomputed: pd.DataFrame, k: int) -> list[Mismatch]:
    """Hidden groups that the unit total minus the published groups singles out.

    For each unit, background variable and measure whose total and at least
    one group are published, the groups not shown (suppressed, or the unknown
    label, which is never shown) that rest on at least one respondent are
    what the subtraction reveals, together. If that is a single group of
    fewer than ``k`` respondents, its number is recoverable. (With no group
    published the "remainder" is the total itself, judged by its own n.)
    """
    year = int(recomputed["year"].iloc[0]) if len(recomputed) else 0
    is_shown = published.loc[published["value_text"] != "", KEYS]
    totals = set(map(tuple, is_shown.loc[is_shown["group"] == ALL, ["unit_id", "measure"]].values))
    groups = recomputed[
        (recomputed["group"] != ALL)
        & ~recomputed["unit_id"].str.startswith(MANAGER_PREFIX)
        & (recomputed["n"] > 0)
    ]
    groups = groups.merge(is_shown.assign(shown=True), on=KEYS, how="left")
    groups["shown"] = groups["shown"].notna()
    groups["variable"] = groups["group"].str.split("=", n=1).str[0]
    counted = (
        groups.assign(hidden=~groups["shown"])
        .sort_values("hidden", ascending=False, kind="stable")
        .groupby(["unit_id", "variable", "measure"], sort=False)
        .agg(
            shown=("shown", "sum"),
            hidden=("hidden", "sum"),
            group=("group", "first"),  # the first hidden group, hidden rows sorted first
            n=("n", "first"),
        )
    )
    single = counted[(counted["shown"] > 0) & (counted["hidden"] == 1) & (counted["n"] < k)]
    found = []
    for (unit, _variable, measure), group, n in zip(
        single.index, single["group"], single["n"], strict=True
    ):
        if (unit, measure) in totals:
            label = group + ("(unknown)" if group.endswith("=") else "")
            found.append(
                Mismatch(
                    year,
                    unit,
                    group,
                    measure,
                    "recoverable",
                    "total and the other groups published",
                    f"{label} (n = {n} < {k}) recoverable by subtraction",
                )
            )
    return found
