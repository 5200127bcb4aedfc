"""The organisation as an analyst joins it: name, type, parent, område and level of each unit.

Every question an analyst asks of the figures starts with "which units": the
schools of one område, the managers under it, a unit found by its name. The
tree is the year's one :class:`~analysis.core.orgtree.OrgTree` (the same the
stages walk), so "område" and "level" mean here what they mean in the
reports: the område is a unit's ancestor one level below the förvaltning,
the level its depth (0 = the förvaltning).
"""

from __future__ import annotations

import difflib
from functools import lru_cache

import pandas as pd

from analysis.core.contract import MANAGER_PREFIX
from analysis.report.orgtree import manager_units, subtree_ids
from analysis.report.processed import LEDARE, ProcessedYear

#: the depth of an område: the level just below the förvaltning
OMRADE_DEPTH = 1

UNIT_COLUMNS = [
    "unit_id",
    "unit_name",
    "unit_type",
    "kind",
    "level",
    "parent_id",
    "parent_name",
    "omrade_id",
    "omrade_name",
    "manager_id",
    "tree_order",
]


class ExploreError(ValueError):
    """An analyst's question the data cannot answer as asked; the message says why."""


def unit_table(data: ProcessedYear) -> pd.DataFrame:
    """One row per unit (pre-order, as the organisation lists them), then one per manager.

    A manager (``manager:<id>``) has no parent and no level; its område is
    the område of all the units it is responsible for when they share one.
    """
    return _unit_table(data).copy()


@lru_cache(maxsize=4)
def _unit_table(data: ProcessedYear) -> pd.DataFrame:
    tree = data.tree
    managed_by = dict(zip(data.units["unit_id"], data.units["manager_id"], strict=True))
    rows = []
    for position, unit_id in enumerate(tree.preorder):
        parent = tree.parent[unit_id]
        omrade = _omrade_of(data, unit_id)
        rows.append(
            {
                "unit_id": unit_id,
                "unit_name": data.unit_name(unit_id),
                "unit_type": data.unit_type(unit_id),
                "kind": data.kind(unit_id),
                "level": tree.depth[unit_id],
                "parent_id": parent,
                "parent_name": data.unit_name(parent) if parent else "",
                "omrade_id": omrade,
                "omrade_name": data.unit_name(omrade) if omrade else "",
                "manager_id": managed_by[unit_id],
                "tree_order": position,
            }
        )
    led = _led_units(data)
    for position, manager in enumerate(data.managers, start=len(rows)):
        units = led.get(manager, [])
        common = {_omrade_of(data, u) for u in units}
        omrade = common.pop() if len(common) == 1 else ""
        rows.append(
            {
                "unit_id": manager,
                "unit_name": data.unit_name(manager),
                "unit_type": "",
                "kind": LEDARE,
                "level": pd.NA,
                "parent_id": "",
                "parent_name": "",
                "omrade_id": omrade,
                "omrade_name": data.unit_name(omrade) if omrade else "",
                "manager_id": manager[len(MANAGER_PREFIX) :],
                "tree_order": position,
            }
        )
    table = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    table["level"] = table["level"].astype("Int64")
    return table


@lru_cache(maxsize=4)
def _led_units(data: ProcessedYear) -> dict[str, list[str]]:
    """Each leader report of the year -> the units whose manager_id it is, in table order
    (:func:`analysis.report.orgtree.manager_units`, kept for every manager at once)."""
    return {manager: manager_units(data, manager) for manager in data.managers}


def _omrade_of(data: ProcessedYear, unit_id: str) -> str:
    """The unit's ancestor at the område level (itself if it is one); "" for the förvaltning."""
    chain = data.tree.chain(unit_id)  # the unit, its parent, ..., the root
    return chain[-1 - OMRADE_DEPTH] if len(chain) > OMRADE_DEPTH else ""


def find_unit(data: ProcessedYear, ref: str) -> str:
    """The unit (or ``manager:<id>``) an analyst means: an id, a name, or part of one name.

    An exact id wins, then an exact name (case ignored), then the one name that
    contains ``ref``; anything else is refused with the names that come close,
    so a typo never silently picks another unit.
    """
    ref = str(ref).strip()
    table = _unit_table(data)
    if ref in set(table["unit_id"]):
        return ref
    if f"{MANAGER_PREFIX}{ref}" in set(table["unit_id"]) and not ref.startswith(MANAGER_PREFIX):
        return f"{MANAGER_PREFIX}{ref}"
    names = table["unit_name"].str.casefold()
    wanted = ref.casefold()
    for hits in (table[names == wanted], table[names.str.contains(wanted, regex=False)]):
        if len(hits) == 1:
            return str(hits["unit_id"].iat[0])
        if len(hits) > 1:
            listed = ", ".join(
                f"{i} ({n})" for i, n in zip(hits["unit_id"], hits["unit_name"], strict=True)
            )
            raise ExploreError(f"{ref!r} matches several units: {listed[:400]}; give the unit_id")
    close = difflib.get_close_matches(ref, list(table["unit_name"]), n=5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ExploreError(f"no unit or manager {ref!r} in {data.year}{hint}")


def units_within(data: ProcessedYear, ref: str | None, include_self: bool = True) -> list[str]:
    """The unit and everything below it, in pre-order; the whole förvaltning for None."""
    unit_id = data.root_id if ref is None else find_unit(data, ref)
    if unit_id.startswith(MANAGER_PREFIX):
        raise ExploreError(f"{unit_id} is a leader report, not a unit with units below it")
    return subtree_ids(data, unit_id, include_self)


def managers_within(data: ProcessedYear, ref: str | None) -> list[str]:
    """Leader reports (``manager:<id>``) responsible for at least one unit of the subtree.

    In the order of the units they lead (the first such unit in pre-order),
    so the head of the subtree comes first.
    """
    inside = units_within(data, ref)
    position = {u: i for i, u in enumerate(inside)}
    first: dict[str, int] = {}
    led = _led_units(data)
    for manager in data.managers:
        places = [position[u] for u in led.get(manager, []) if u in position]
        if places:
            first[manager] = min(places)
    return sorted(first, key=lambda m: (first[m], m))


def manager_unit_names(data: ProcessedYear, manager: str) -> str:
    """The names of the units a manager is responsible for, as one readable string."""
    return ", ".join(data.unit_name(u) for u in _led_units(data).get(manager, []))
