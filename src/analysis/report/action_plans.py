"""Who must write an action plan, who approves it, and how last year's plans turned out.

The seed's process (2023 presentation): a unit head or principal whose unit has
AMI under ``levels.good_from`` (70, judged on the displayed integer) draws up an
action plan agreed with the superior manager by ``report.action_plan_deadline``;
the superior follows it up, and HR follows up the units that were under the line.

*Units with a plan*: each unit with its own unit report (right under an
område) and every unit whose type is a school form (``report.school_types``) -
the enheter and skolor whose heads the process addresses, found from the tree,
not from type names alone, so another organisation's departments count too.
*The approver*: the manager of the nearest unit above whose manager is not the
unit's own (a head who also leads the unit above approves nobody's plan twice).
Both are worked out once per loaded year and shared by every report and section.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import pandas as pd

from analysis.core.catalogue import AMI
from analysis.core.contract import MANAGER_PREFIX
from analysis.core.orgtree import heads_write_action_plans
from analysis.core.rounding import format_change, round_half_up
from analysis.report.figures import Compared, Shown
from analysis.report.orgtree import manager_units, subtree_ids
from analysis.report.phrases import PROTECTED
from analysis.report.processed import ProcessedYear
from analysis.report.unit_figures import UnitFigures

NO_APPROVER = ""

DUE_COLUMNS = ["unit_id", "unit_name", "unit_type", "value", "shown", "approver"]
FOLLOWUP_COLUMNS = [
    "unit_id",
    "unit_name",
    "shown_prev",
    "prev_text",
    "compared",
    "recovered",
    "status",
    "note",
    "in_tree",
]


#: Per loaded year (the read-only ProcessedYear every report of a kernel shares): each
#: unit's approver, and the plan units per ``school_types``. Computed for the first report
#: and looked up by the others and by both sections. Weak keys: a year the loader's cache
#: lets go of is not kept alive here.
_APPROVERS: WeakKeyDictionary[ProcessedYear, dict[str, str]] = WeakKeyDictionary()
_PLAN_UNITS: WeakKeyDictionary[ProcessedYear, dict[tuple[str, ...], tuple[str, ...]]] = (
    WeakKeyDictionary()
)


def plan_units(data: ProcessedYear, unit_id: str, school_types: Iterable[str]) -> list[str]:
    """The units below ``unit_id`` (itself included) whose heads answer for an action plan."""
    types = tuple(school_types)
    per_year = _PLAN_UNITS.setdefault(data, {})
    if types not in per_year:  # the whole tree's, in pre-order
        depth = data.tree.depth
        per_year[types] = tuple(
            u
            for u in data.tree.preorder
            if heads_write_action_plans(depth[u], data.unit_type(u), types)
        )
    everyone = per_year[types]
    if unit_id == data.root_id:
        return list(everyone)
    wanted = set(everyone)
    return [u for u in subtree_ids(data, unit_id) if u in wanted]


def approvers(data: ProcessedYear) -> Mapping[str, str]:
    """Every unit's approver - ``manager:<id>`` of the nearest unit above with another
    manager, "" if none is named - computed once per loaded year."""
    found = _APPROVERS.get(data)
    if found is None:
        found = _APPROVERS[data] = {u: _find_approver(data, u) for u in data.unit_index}
    return found


def _find_approver(data: ProcessedYear, unit_id: str) -> str:
    index = data.unit_index
    own = str(index[unit_id]["manager_id"] or "")
    for above in data.tree.chain(unit_id)[1:]:
        manager = str(index[above]["manager_id"] or "")
        if manager and manager != own:
            return f"{MANAGER_PREFIX}{manager}"
    return NO_APPROVER


def approver_label(data: ProcessedYear, approver: str) -> str:
    """ "Chef M0002 (Grundskoleområdet)": the manager and the units they lead."""
    if approver == NO_APPROVER:
        return "Ingen överordnad chef angiven"
    led = [data.unit_name(u) for u in manager_units(data, approver)]
    return f"{data.unit_name(approver)} ({', '.join(led)})" if led else data.unit_name(approver)


@dataclass(frozen=True)
class DuePlans:
    """Units whose displayed AMI is under the line, and the ones that could not be judged."""

    units: pd.DataFrame  # DUE_COLUMNS, grouped by approver, lowest AMI first in each
    suppressed: int  # units whose AMI is "för få svar"
    protected: int  # units whose AMI is hidden to protect a group


def plans_due(
    data: ProcessedYear, units: Iterable[str], good_from: int, approver: str | None = None
) -> DuePlans:
    """Of ``units``, those under ``good_from`` this year (only ``approver``'s, when given)."""
    ami = data.history_of(AMI)
    rows, suppressed, protected = [], 0, 0
    approver_map = approvers(data)
    for unit in units:
        boss = approver_map[unit]
        if approver is not None and boss != approver:
            continue
        shown = ami.get((unit, data.year), Shown())
        if shown.value is None:
            suppressed += shown.text != PROTECTED
            protected += shown.text == PROTECTED
        elif round_half_up(shown.value) < good_from:
            name, kind, shown_value = data.unit_name(unit), data.unit_type(unit), shown.value
            rows.append([unit, name, kind, shown_value, round_half_up(shown_value), boss])
    frame = pd.DataFrame(rows, columns=DUE_COLUMNS)
    order = {a: i for i, a in enumerate(dict.fromkeys(frame["approver"]))}
    frame = frame.assign(_group=frame["approver"].map(order)).sort_values(
        ["_group", "shown", "unit_name"], kind="mergesort"
    )
    return DuePlans(frame.drop(columns="_group").reset_index(drop=True), suppressed, protected)


def followup(
    data: ProcessedYear,
    units: Iterable[str],
    plans: pd.DataFrame,
    good_from: int,
    with_gone: bool = False,
) -> pd.DataFrame:
    """Last year's units under the line among ``units`` and those with a plan last year
    (``plans``: the previous year's action_plans rows): this year's AMI and change, and
    the plan's status.

    ``with_gone``: a unit with a plan last year that is no longer in the tree is listed
    too (``in_tree`` False), named by its id - this year's tables do not know it.
    """
    prev = data.previous_year
    if prev is None:
        return pd.DataFrame(columns=FOLLOWUP_COLUMNS)
    ami = data.history_of(AMI)
    plan_of = {
        u: (s, n) for u, s, n in zip(plans["unit_id"], plans["status"], plans["note"], strict=True)
    }
    rows = []
    for unit in units:
        before = ami.get((unit, prev), Shown())
        under = before.value is not None and round_half_up(before.value) < good_from
        if not under and unit not in plan_of:
            continue
        compared = UnitFigures(data, unit).compare(AMI)
        now = compared.now
        recovered = None if now.value is None else round_half_up(now.value) >= good_from
        shown_prev = None if before.value is None else round_half_up(before.value)
        status, note = plan_of.get(unit, ("", ""))
        name = data.unit_name(unit)
        rows.append([unit, name, shown_prev, before.text, compared, recovered, status, note, True])
    if with_gone:
        known = set(data.unit_index)
        for unit, (status, note) in plan_of.items():
            if unit not in known:
                rows.append([unit, unit, None, "", None, None, status, note, False])
    frame = pd.DataFrame(rows, columns=FOLLOWUP_COLUMNS)
    return frame.sort_values("shown_prev", kind="mergesort", na_position="last").reset_index(
        drop=True
    )


def interval_text(compared: Compared) -> str:
    """The change's 95 % interval as shown: "−1 till +7" (half up), "" without one."""
    if compared.change is None or compared.low is None or compared.high is None:
        return ""
    low, high = round_half_up(compared.low), round_half_up(compared.high)
    return f"{format_change(low)} till {format_change(high)}"
