"""One visual language for every chart: level colours, Swedish labels, fonts.

Kept apart from the chart functions so that the priority matrix, the index
bars and the trend lines all colour a level the same way.
"""

from __future__ import annotations

import matplotlib as mpl

from analysis.core.labels import LEVEL_DEVELOP, LEVEL_GOOD, LEVEL_IMPROVE

LEVEL_COLOURS: dict[str, str] = {
    LEVEL_GOOD: "#3a9e5c",  # green, 70-100
    LEVEL_IMPROVE: "#f2c230",  # yellow, 45-69
    LEVEL_DEVELOP: "#d9453d",  # red, 0-44
}
NEUTRAL = "#8c8c8c"
ACCENT = "#1f4e79"  # Stockholm-ish dark blue for single-series bars
STRENGTH = "#3a9e5c"
FOCUS = "#d9453d"


def apply_style() -> None:
    """Set matplotlib defaults shared by every report figure."""
    mpl.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "bold",
            "svg.hashsalt": "medarbetarenkat",
        }
    )
