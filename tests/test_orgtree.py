"""The one organisation tree (analysis.core.orgtree), on hand-made trees.

Exact orders and memberships: the figures table's unit order, the drivers'
borrowing order and the privacy relations' depths all come from here.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.core.orgtree import OrgTree, TreeError


def tree(*pairs: tuple[str, str]) -> OrgTree:
    """A tree from (unit, parent) pairs in table order."""
    return OrgTree.from_parents([u for u, _ in pairs], [p for _, p in pairs])


# förvaltning F (with staff of its own) > områden A, B; A > schools A1, A2; B a leaf;
# listed children-first and out of order on purpose.
ORG = (
    ("A2", "A"),
    ("B", "F"),
    ("A", "F"),
    ("F", ""),
    ("A1", "A"),
)


def test_preorder_is_root_first_with_siblings_in_table_order() -> None:
    org = tree(*ORG)
    assert org.root == "F"
    assert org.table_order == ("A2", "B", "A", "F", "A1")
    assert org.preorder == ("F", "B", "A", "A2", "A1")
    assert dict(org.depth) == {"F": 0, "B": 1, "A": 1, "A2": 2, "A1": 2}
    assert dict(org.children) == {"A2": (), "B": (), "A": ("A2", "A1"), "F": ("B", "A"), "A1": ()}
    assert dict(org.parent) == {"A2": "A", "B": "F", "A": "F", "F": "", "A1": "A"}
    assert len(org) == 5
    assert "A1" in org and "X" not in org


def test_chains_subtrees_and_common_ancestors() -> None:
    org = tree(*ORG)
    assert org.chain("A1") == ("A1", "A", "F")
    assert org.chain("F") == ("F",)
    assert org.subtree("F") == ("F", "B", "A", "A2", "A1")
    assert org.subtree("A") == ("A", "A2", "A1")
    assert org.subtree("B") == ("B",)  # an empty subtree: the unit alone
    assert org.common_ancestor(["A1", "A2"]) == "A"
    assert org.common_ancestor(["A1", "B"]) == "F"
    assert org.common_ancestor(["A1", "A"]) == "A"
    assert org.common_ancestor(["B"]) == "B"
    with pytest.raises(ValueError, match="no units"):
        org.common_ancestor([])


def test_a_root_alone() -> None:
    org = tree(("F", ""))
    assert org.preorder == ("F",)
    assert org.chain("F") == ("F",)
    assert org.subtree("F") == ("F",)
    assert dict(org.children) == {"F": ()}


def test_a_unit_with_one_child() -> None:
    org = tree(("C", "P"), ("P", ""))
    assert org.preorder == ("P", "C")
    assert org.children["P"] == ("C",)
    assert org.subtree("P") == ("P", "C")
    assert org.chain("C") == ("C", "P")


def test_a_deep_chain() -> None:
    depth = 50
    pairs = [(f"u{i}", f"u{i - 1}" if i else "") for i in range(depth)]
    org = tree(*reversed(pairs))
    assert org.preorder == tuple(f"u{i}" for i in range(depth))
    assert org.depth[f"u{depth - 1}"] == depth - 1
    assert org.chain(f"u{depth - 1}") == tuple(f"u{i}" for i in reversed(range(depth)))
    assert org.subtree("u47") == ("u47", "u48", "u49")
    assert org.common_ancestor(["u49", "u10"]) == "u10"


def test_subtree_stops_at_the_next_sibling() -> None:
    org = tree(("F", ""), ("A", "F"), ("A1", "A"), ("A11", "A1"), ("B", "F"), ("B1", "B"))
    assert org.subtree("A") == ("A", "A1", "A11")
    assert org.subtree("A11") == ("A11",)
    assert org.subtree("B") == ("B", "B1")


def test_from_table_reads_unit_and_parent_columns() -> None:
    units = pd.DataFrame({"unit_id": ["F", "A", "B"], "parent_id": [None, "F", "F"]})
    org = OrgTree.from_table(units)
    assert org.preorder == ("F", "A", "B")
    assert org.parent["F"] == ""


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ((("F", ""), ("A", "F"), ("A", "F")), "duplicate unit_id ['A']"),
        ((("F", ""), ("A", "X")), "parent_id not among the year's units: [\"A (parent 'X')\"]"),
        (
            (("F", ""), ("G", "")),
            "expected exactly one root (empty parent_id), found 2: ['F', 'G']",
        ),
        ((("F", "A"), ("A", "F")), "expected exactly one root (empty parent_id), found 0: []"),
        ((), "expected exactly one root (empty parent_id), found 0: []"),
        (
            (("F", ""), ("A", "B"), ("B", "A"), ("C", "B"), ("D", "F")),
            "parent_id forms a cycle through ['A', 'B', 'C']",
        ),
        ((("F", ""), ("S", "S")), "parent_id forms a cycle through ['S']"),
    ],
)
def test_what_is_not_one_tree_is_refused(pairs: tuple, message: str) -> None:
    with pytest.raises(TreeError) as raised:
        tree(*pairs)
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError)
