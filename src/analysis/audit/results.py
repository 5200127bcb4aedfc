"""What the audit reports: a :class:`Mismatch` per disagreeing number, a
:class:`Reconciliation` per file and year, and how numbers are compared.

Shared by the figures' and the drivers' checks, so both judge and list
numbers the same way (to ``TOLERANCE``, recomputed values to 12 digits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

TOLERANCE = 1e-9
ALL = "all"
KEYS = ["unit_id", "group", "measure"]


class AuditError(ValueError):
    """The audit cannot run (unreadable published file, year not in the data)."""


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    """One published number (or row) that disagrees with the recomputation.

    ``published`` is the text as it stands in the file ("" = empty);
    ``recomputed`` what it should be, with the reason where that helps.
    """

    year: int
    unit_id: str
    group: str
    measure: str
    field: str
    published: str
    recomputed: str


@dataclass
class Reconciliation:
    """The audit of one published file for one year of its rows."""

    path: str
    year: int
    kind: str = "figures"  # or "drivers"
    rows_checked: int = 0
    rows_matched: int = 0
    complementary_suppressions: int = 0
    unverifiable_changes: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.rows_checked} rows checked", f"{self.rows_matched} matched"]
        if self.kind == "figures":
            parts.append(f"{self.complementary_suppressions} complementary suppressions")
        if self.unverifiable_changes:
            parts.append(
                f"{self.unverifiable_changes} changes left empty whose previous value's "
                "publication is not in this file (not checkable)"
            )
        parts.append(f"{len(self.mismatches)} mismatches")
        return f"{self.path}, year {self.year}: " + ", ".join(parts)


def format_number(value: object) -> str:
    """A recomputed number for the listing: integers as such, floats to 12 significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{float(value):.12g}"


def differs(published: float, recomputed: float) -> bool:
    return not abs(published - recomputed) <= TOLERANCE
