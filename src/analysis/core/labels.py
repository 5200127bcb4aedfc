"""The Swedish words the published figures carry, spelt once.

The display rules (:mod:`analysis.core.rounding`) name a level, the charts
colour it (:mod:`analysis.report.style`), the reports print it: all three
use these constants, and none of them needs a plotting stack to do so.
"""

from __future__ import annotations

# Level bands (contract §3): decided on the displayed integer.
LEVEL_GOOD = "förvalta och förädla"
LEVEL_IMPROVE = "förbättringspotential"
LEVEL_DEVELOP = "utvecklingsbehov"

MINUS = "\u2212"  # typographic minus for signed changes
