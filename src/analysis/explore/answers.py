"""Ready answers to the questions analysts ask most, on the published figures only.

Each answer is a small filter or ranking of :func:`analysis.explore.tidy.figures`,
written once so that "the schools that fell most" ranks the way the reports
rank (by the displayed change, then the exact one; ties share a place and all
units tied at the cut are listed) and a hidden figure stays hidden, with the
words a report shows for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from analysis.core.catalogue import AMI, LEADERSHIP
from analysis.explore.tidy import drivers, figures
from analysis.explore.units import (
    ExploreError,
    find_unit,
    manager_unit_names,
    managers_within,
    unit_table,
    units_within,
)
from analysis.report.figures import ALL
from analysis.report.processed import LEDARE, ProcessedYear
from analysis.report.selection import competition_places
from analysis.report.unit_figures import age_sort_key

#: what each answer shows, beside the full table
SHORT = ["unit_id", "unit_name", "unit_type", "omrade_name", "n", "value", "shown"]
CHANGE = ["value_prev", "shown_prev", "change", "shown_change", "change_low", "change_high"]


def select(
    data: ProcessedYear,
    table: pd.DataFrame | None = None,
    *,
    within: str | None = None,
    unit_types: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    measures: Iterable[str] | None = None,
    groups: Iterable[str] | None = None,
    variable: str | None = None,
    include_self: bool = True,
) -> pd.DataFrame:
    """Rows of a tidy table (default: :func:`figures`) by subtree, unit type, kind, measure, group.

    ``within`` is a unit (id or name): its subtree's units and the managers
    responsible for any of them; ``include_self=False`` leaves the unit
    itself out. ``variable`` keeps one background variable's groups and the
    total (``age_group``: ``all`` and every ``age_group=…``). Every filter
    left as None keeps everything.
    """
    table = figures(data) if table is None else table
    asked = {
        "unit_type": unit_types,
        "kind": kinds,
        "measure": measures,
        "group": groups,
        "variable": variable,
    }
    lacking = [c for c, wanted in asked.items() if wanted is not None and c not in table.columns]
    if lacking:
        raise ExploreError(f"this table has no column {lacking} to filter on")
    keep = pd.Series(True, index=table.index)
    if within is not None:
        inside = set(units_within(data, within, include_self)) | set(managers_within(data, within))
        if not include_self:
            inside.discard(find_unit(data, within))
        keep &= table["unit_id"].isin(inside)
    if unit_types is not None:
        keep &= table["unit_type"].isin(_known(data, "unit_type", unit_types))
    if kinds is not None:
        keep &= table["kind"].isin(list(kinds))
    if measures is not None:
        keep &= table["measure"].isin(_measures(table, measures))
    if groups is not None:
        keep &= table["group"].isin(list(groups))
    if variable is not None:
        keep &= (table["group"] == ALL) | (table["variable"] == variable)
    return table[keep].reset_index(drop=True)


def _known(data: ProcessedYear, column: str, wanted: Iterable[str]) -> list[str]:
    """The values asked for, refused when none of them occurs (a typo, another organisation)."""
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    present = set(unit_table(data)[column])
    if wanted and not set(wanted) & present:
        raise ExploreError(f"no {column} {wanted} in {data.year}; there are {sorted(present)}")
    return wanted


def _measures(table: pd.DataFrame, wanted: Iterable[str]) -> list[str]:
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    unknown = sorted(set(wanted) - set(table["measure"]))
    if unknown:
        raise ExploreError(f"no measure {unknown}; measures are named as in figures.csv")
    return wanted


def by_group(data: ProcessedYear, unit: str, variable: str, measure: str = AMI) -> pd.DataFrame:
    """One unit's figure for each group of a background variable, the total first.

    "AMI by age within Gymnasieområdet" is ``by_group(data, "Gymnasieområdet",
    "age_group")``: the published rows, age bands youngest first, hidden
    groups with the words a report shows for them.
    """
    unit_id = find_unit(data, unit)
    rows = select(data, measures=[measure], variable=variable)
    rows = rows[rows["unit_id"] == unit_id]
    if (rows["group"] != ALL).sum() == 0:
        raise ExploreError(f"{unit_id} has no groups of {variable!r} in {measure} ({data.year})")
    key = age_sort_key if variable == "age_group" else str.casefold
    order = rows["label"].map(lambda label: (label != "", key(label)))
    rows = rows.assign(_order=order).sort_values("_order", kind="mergesort")
    columns = ["unit_id", "unit_name", "group", "label", "n", "value", "shown", *CHANGE]
    return rows[[*columns, "marked", "reason", "change_reason"]].reset_index(drop=True)


def largest_changes(
    data: ProcessedYear,
    measure: str = AMI,
    *,
    within: str | None = None,
    unit_types: Sequence[str] | None = None,
    n: int = 10,
    fall: bool = True,
) -> pd.DataFrame:
    """The units whose displayed change went furthest down (``fall``) or up, placed like a report.

    Units below ``within`` (default: the whole förvaltning), of ``unit_types``
    if given (e.g. ``params.report.school_types`` for "the schools"), group
    ``all``. Only displayed changes below 0 (above 0 with ``fall=False``)
    count, as in the reports' lists of changes; ranked by the displayed
    change, then the exact one; ``place`` is the competition place of the
    displayed change (ties share it), and every unit placed within ``n`` is
    listed. Units without a change (hidden, new, not comparable) are left
    out: :func:`figures` says why in ``change_reason``.
    """
    rows = select(data, within=within, measures=[measure], groups=[ALL], include_self=False)
    rows = rows[rows["kind"] != LEDARE]
    if unit_types is not None:
        rows = rows[rows["unit_type"].isin(_known(data, "unit_type", unit_types))]
    sign = -1 if fall else 1
    moved = rows[rows["shown_change"].notna()]
    moved = moved[(moved["shown_change"].astype(int) * sign) > 0].copy()
    columns = ["place", *SHORT, *CHANGE, "marked"]
    if moved.empty:
        return pd.DataFrame(columns=columns)
    moved["_size"] = moved["shown_change"].astype(int) * sign
    moved["_exact"] = moved["change"] * sign
    moved = moved.sort_values(
        ["_size", "_exact", "unit_id"], ascending=[False, False, True], kind="mergesort"
    )
    moved["place"] = competition_places(list(moved["_size"]))
    return moved[moved["place"] <= n][columns].reset_index(drop=True)


def leaders(
    data: ProcessedYear, *, within: str | None = None, measure: str = LEADERSHIP
) -> pd.DataFrame:
    """Every manager responsible for a unit of the subtree, by their leader report's figure.

    Highest displayed value first (ties: the exact value, then the order of
    their units), hidden ones last with the words a report shows; ``units``
    names the units each manager leads and ``place`` is the competition place
    among the published.
    """
    managers = managers_within(data, within)
    rows = select(data, measures=[measure], groups=[ALL])
    rows = rows.set_index("unit_id").loc[[m for m in managers if m in set(rows["unit_id"])]]
    rows = rows.reset_index()
    rows["units"] = [manager_unit_names(data, m) for m in rows["unit_id"]]
    rows["_order"] = range(len(rows))
    rows["_shown"] = rows["shown"].astype("Float64").fillna(-1.0)
    rows["_value"] = rows["value"].fillna(-1.0)
    rows = rows.sort_values(
        ["_shown", "_value", "_order"], ascending=[False, False, True], kind="mergesort"
    )
    published = rows["shown"].notna()
    places = pd.Series(pd.NA, index=rows.index, dtype="Int64")
    places[published] = competition_places([int(s) for s in rows.loc[published, "shown"]])
    rows["place"] = places
    columns = ["place", "unit_id", "unit_name", "units", "omrade_name", "n", "value", "shown"]
    return rows[[*columns, *CHANGE, "marked", "reason", "change_reason"]].reset_index(drop=True)


def unit_drivers(data: ProcessedYear, unit: str) -> pd.DataFrame:
    """One unit's (or manager's) priority matrix: its drivers, most important first."""
    unit_id = find_unit(data, unit)
    rows = drivers(data)
    rows = rows[rows["unit_id"] == unit_id]
    return rows.sort_values(["importance", "question_id"], ascending=[False, True]).reset_index(
        drop=True
    )
