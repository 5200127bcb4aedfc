"""The action-plan sections: who must write a plan this year, grouped by who approves it,
and how last year's units under the line have fared (seed 000's process, seed 002's
statuses).

Each ``*_section`` builds plain values and renders its template; ``None`` when the
report has nothing to say (an enhet's own plan is in its AMI section). The rules for
which units and which approver are in :mod:`analysis.report.action_plans`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.core.contract import PLAN_STATUSES
from analysis.report import action_plans as plans
from analysis.report.context import Report
from analysis.report.markup import Table, change_cell, show, table, value_cell
from analysis.report.orgtree import subtree_ids
from analysis.report.phrases import PROTECTED, count, join_words
from analysis.report.processed import ENHET, LEDARE

GONE = "finns inte i årets organisation"
NO_STATUS = "ingen uppgift"


def _scope(report: Report) -> tuple[list[str], str | None]:
    """The plan units a report speaks of, and the approver they are limited to (leaders)."""
    data, types = report.data, report.params.report.school_types
    if report.kind == LEDARE:
        return plans.plan_units(data, data.root_id, types), report.unit_id
    if report.kind == ENHET:
        return [report.unit_id], None
    return plans.plan_units(data, report.unit_id, types), None


def action_plans_section(report: Report) -> Any:
    """Units with AMI under the line, grouped by the manager who approves their plans."""
    if report.kind == ENHET:
        return None
    units, approver = _scope(report)
    if not units:
        return None
    data, good_from = report.data, report.params.levels.good_from
    due = plans.plans_due(data, units, good_from, approver)
    if report.kind == LEDARE and due.units.empty:
        return None
    groups = [
        {"title": plans.approver_label(data, boss), "table": _due_table(rows)}
        for boss, rows in due.units.groupby("approver", sort=False)
    ]
    notes = []
    if due.suppressed:
        notes.append(f"{count(due.suppressed, 'enhet')} har för få svar för att AMI ska visas.")
    if due.protected:
        notes.append(f"För {count(due.protected, 'enhet')} visas inte AMI: siffran är {PROTECTED}.")
    return show(
        report,
        "action_plans.html.j2",
        leader=report.kind == LEDARE,
        good_from=good_from,
        deadline=report.params.report.action_plan_deadline,
        year=data.year,
        n_due=len(due.units),
        n_units=len(units),
        groups=groups if report.kind != LEDARE else [],
        own=_due_table(due.units) if report.kind == LEDARE else None,
        notes=notes,
    )


def _due_table(rows: pd.DataFrame) -> Table:
    return table(
        ["Enhet", "Typ", "AMI"],
        [
            [name, kind, value_cell(str(shown))]
            for name, kind, shown in zip(
                rows["unit_name"], rows["unit_type"], rows["shown"], strict=True
            )
        ],
        [False, False, True],
    )


def followup_section(report: Report) -> Any:
    """Last year's units under the line: this year's AMI, its change, and the plan's status."""
    data, good_from = report.data, report.params.levels.good_from
    prev = data.previous_year
    if prev is None:
        return None
    units, approver = _scope(report)
    last_plans = data.action_plans[data.action_plans["year"] == prev]
    if approver is not None:
        approver_map = plans.approvers(data)
        units = [u for u in units if approver_map[u] == approver]
    elif report.kind != ENHET:  # a plan HR recorded for another unit of the subtree is shown too
        inside = set(subtree_ids(data, report.unit_id))
        units += [u for u in dict.fromkeys(last_plans["unit_id"]) if u in inside and u not in units]
    frame = plans.followup(
        data, units, last_plans, good_from, with_gone=report.unit_id == data.root_id
    )
    if frame.empty and report.kind in (ENHET, LEDARE):
        return None
    return show(
        report,
        "followup.html.j2",
        good_from=good_from,
        year=data.year,
        previous_year=prev,
        summary=_followup_summary(frame, good_from, data.year, prev, not last_plans.empty),
        table=_followup_table(frame, good_from, data.year, prev) if not frame.empty else None,
    )


def _followup_summary(
    frame: pd.DataFrame, good_from: int, year: int, prev: int, any_plans: bool
) -> list[str]:
    """How many recovered, how many stay under, how many cannot be told; the plans' statuses."""
    if frame.empty:
        return [f"Ingen enhet hade AMI under {good_from} år {prev}."]
    here = frame[frame["in_tree"]]
    under_before = here[here["shown_prev"].notna() & (here["shown_prev"] < good_from)]
    recovered = int((under_before["recovered"] == True).sum())  # noqa: E712 (None = unknown)
    stayed = int((under_before["recovered"] == False).sum())  # noqa: E712
    unknown = len(under_before) - recovered - stayed
    lines = []
    if len(under_before):
        parts = [
            f"{recovered or 'ingen'} har nu {good_from} eller mer",
            f"{stayed or 'ingen'} ligger kvar under {good_from}",
        ]
        if unknown:
            parts.append(f"för {unknown} visas inget AMI {year}")
        lines.append(
            f"{count(len(under_before), 'enhet')} hade AMI under {good_from} år {prev}: "
            f"{join_words(parts)}."
        )
    if any_plans:
        statuses = frame["status"]
        counted = [
            f"{s} {int((statuses == s).sum())}" for s in PLAN_STATUSES if (statuses == s).any()
        ]
        missing = int((statuses == "").sum())
        line = f"Handlingsplanerna från {prev}: {', '.join(counted)}" if counted else ""
        if missing:
            line += ("; " if line else "") + f"{count(missing, 'enhet')} utan uppgift om plan"
        lines.append(line + ".")
    else:
        lines.append(f"Uppgifter om hur handlingsplanerna från {prev} har följts upp saknas.")
    return lines


def _followup_table(frame: pd.DataFrame, good_from: int, year: int, prev: int) -> Table:
    with_note = bool((frame["note"] != "").any())
    headers = ["Enhet", f"AMI {prev}", f"AMI {year}", "Förändring", "95 % intervall"]
    headers += [f"{good_from} eller mer", "Handlingsplan"] + (["Kommentar"] if with_note else [])
    rows = []
    for r in frame.itertuples(index=False):
        if not r.in_tree:
            cells = [r.unit_name, "", GONE, "", ""]
            reached = ""
        else:
            compared = r.compared
            cells = [
                r.unit_name,
                value_cell(r.prev_text),
                value_cell(compared.now.text),
                change_cell(compared.change_text, compared.marked),
                plans.interval_text(compared),
            ]
            reached = {True: "ja", False: "nej"}.get(r.recovered, compared.now.text)
        line = [*cells, reached, r.status or NO_STATUS]
        rows.append(line + ([r.note] if with_note else []))
    numeric = [False, True, True, True, True, False, False] + ([False] if with_note else [])
    return table(headers, rows, numeric)
