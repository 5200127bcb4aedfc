"""Anonymity: which figures may be published, and why each hidden one is hidden.

The index engine computes every figure *unsuppressed*; this package alone
decides what is blanked, in the order of its modules:

1. :mod:`.figures` -- the threshold rule (fewer than k respondents);
2. :mod:`.relations`, :mod:`.deeper_tree`, :mod:`.first_pass` -- the cheap
   first pass of complementary suppression, equation by equation;
3. :mod:`.attacker_model`, :mod:`.audit` -- the joint audit: every published
   number combined, as an attacker with a linear-programming solver would;
4. :mod:`.protect` -- the loop: audit, hide more where a cell fails, repeat
   until nothing fails; each hidden cell keeps its reason.

docs/privacy.md states the guarantee and what it does not cover.
"""

from analysis.privacy.figures import (
    FIGURE_KEYS,
    UNSUPPRESSED_COLUMNS,
    UnsuppressedFigures,
    apply_threshold,
    below_threshold,
    blank,
    publishable,
)
from analysis.privacy.first_pass import complementary_suppression
from analysis.privacy.protect import (
    COMPLEMENTARY,
    THRESHOLD,
    Protection,
    protect,
    suppress,
)

__all__ = [
    "COMPLEMENTARY",
    "FIGURE_KEYS",
    "THRESHOLD",
    "UNSUPPRESSED_COLUMNS",
    "Protection",
    "UnsuppressedFigures",
    "apply_threshold",
    "below_threshold",
    "blank",
    "complementary_suppression",
    "protect",
    "publishable",
    "suppress",
]
