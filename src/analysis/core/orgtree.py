"""One year's organisation tree: parent, children, pre-order, depth, chains to the root.

The indexes' roll-up, the driver analysis (who borrows from whom) and the
privacy relations all walk the same tree; building it once here gives them
one validation and one meaning of *pre-order*: root first, a unit before its
children, siblings in the units table's order (so tables list units the way
the organisation lists them). The auditor keeps its own tree on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = ["OrgTree", "TreeError", "heads_write_action_plans"]

#: the depth of the units right under an område (the förvaltning is 0): each has a unit report
ENHET_DEPTH = 2


def heads_write_action_plans(depth: int, unit_type: str, school_types: Iterable[str]) -> bool:
    """Whether a unit's head answers for an action plan when its AMI is under the line: a
    unit right under an område, or a school form deeper down (the seed's "enhetschef/rektor
    ... för sin enhet/skola"; a work group's leader is not its unit's head). One rule for
    the reports, the synthetic plans and the AMI section's own sentence."""
    return depth == ENHET_DEPTH or (depth > ENHET_DEPTH and unit_type in set(school_types))


#: how many units an error message names at most.
MAX_NAMED = 10


class TreeError(ValueError):
    """The units do not form one rooted tree; the message names the offending units."""


@dataclass(frozen=True)
class OrgTree:
    """A validated single-rooted tree of unit ids.

    ``table_order`` is the order the units were given in; ``preorder`` the
    depth-first order (root first, siblings in table order); ``parent`` maps
    each unit to its parent (``""`` for the root); ``children`` maps every
    unit (leaves too) to its children in table order; ``depth`` is 0 at the
    root.
    """

    table_order: tuple[str, ...]
    preorder: tuple[str, ...]
    parent: Mapping[str, str]
    children: Mapping[str, tuple[str, ...]]
    depth: Mapping[str, int]

    @classmethod
    def from_table(cls, units: pd.DataFrame) -> OrgTree:
        """The tree of a units table (columns ``unit_id``, ``parent_id``; empty = root)."""
        return cls.from_parents(
            units["unit_id"].astype(str).tolist(),
            units["parent_id"].fillna("").astype(str).tolist(),
        )

    @classmethod
    def from_parents(cls, unit_ids: Sequence[str], parent_ids: Iterable[str]) -> OrgTree:
        """Validate ``unit_ids`` with their ``parent_ids`` ("" = root) as one tree.

        Checked in this order, the first failure raised as :class:`TreeError`:
        duplicate ids, parents that are not units, not exactly one root, cycles.
        """
        ids = tuple(unit_ids)
        parents = tuple(parent_ids)
        if len(parents) != len(ids):
            raise TreeError(f"{len(ids)} unit ids but {len(parents)} parent ids")
        seen: set[str] = set()
        duplicated: dict[str, None] = {}
        for unit in ids:
            if unit in seen:
                duplicated[unit] = None
            seen.add(unit)
        if duplicated:
            raise TreeError(f"duplicate unit_id {list(duplicated)[:MAX_NAMED]}")
        unknown = [
            f"{u} (parent {p!r})" for u, p in zip(ids, parents, strict=True) if p and p not in seen
        ]
        if unknown:
            raise TreeError(f"parent_id not among the year's units: {unknown[:MAX_NAMED]}")
        roots = [u for u, p in zip(ids, parents, strict=True) if p == ""]
        if len(roots) != 1:
            raise TreeError(
                f"expected exactly one root (empty parent_id), "
                f"found {len(roots)}: {roots[:MAX_NAMED]}"
            )
        parent = dict(zip(ids, parents, strict=True))
        children: dict[str, list[str]] = {u: [] for u in ids}
        for unit, up in parent.items():
            if up:
                children[up].append(unit)
        # Depth-first from the root; a unit never reached sits on (or below) a cycle.
        preorder: list[str] = []
        depth: dict[str, int] = {}
        stack = [(roots[0], 0)]
        while stack:
            unit, level = stack.pop()
            preorder.append(unit)
            depth[unit] = level
            stack.extend((child, level + 1) for child in reversed(children[unit]))
        if len(preorder) != len(ids):
            looping = [u for u in ids if u not in depth]
            raise TreeError(f"parent_id forms a cycle through {looping[:MAX_NAMED]}")
        return cls(
            table_order=ids,
            preorder=tuple(preorder),
            parent=parent,
            children={u: tuple(c) for u, c in children.items()},
            depth=depth,
        )

    def __len__(self) -> int:
        return len(self.table_order)

    def __contains__(self, unit: object) -> bool:
        return unit in self.parent

    @property
    def root(self) -> str:
        return self.preorder[0]

    def chain(self, unit: str) -> tuple[str, ...]:
        """``unit``, its parent, ..., the root: whom a unit may borrow from, nearest first."""
        out = [unit]
        while self.parent[out[-1]]:
            out.append(self.parent[out[-1]])
        return tuple(out)

    def subtree(self, unit: str) -> tuple[str, ...]:
        """``unit`` and everything below it, in pre-order (its figures' respondents)."""
        start = self.preorder.index(unit)
        end = start + 1
        while end < len(self.preorder) and self.depth[self.preorder[end]] > self.depth[unit]:
            end += 1
        return self.preorder[start:end]

    def common_ancestor(self, units: Iterable[str]) -> str:
        """The lowest unit whose subtree holds all ``units`` (one of them, possibly)."""
        chains = [self.chain(u) for u in units]
        if not chains:
            raise ValueError("common_ancestor of no units")
        common = set(chains[0]).intersection(*chains[1:])
        return next(u for u in chains[0] if u in common)
