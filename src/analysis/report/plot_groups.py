"""The charts that set groups of a unit side by side: AMI per gender or role (every index)
and per age group, each with last year's bar beside this year's.

Same visual language as :mod:`analysis.report.plots` (its figure, palette and the words
of a missing bar); split from it because these two share the two-year grouping.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from analysis.core.rounding import round_half_up
from analysis.report.figures import has_value
from analysis.report.plots import PALETTE, PREVIOUS_ALPHA, missing_words, new_figure
from analysis.report.style import ACCENT, NEUTRAL

__all__ = ["age_bars", "grouped_index_bars"]


def grouped_index_bars(
    table: pd.DataFrame,
    measure_labels: dict[str, str],
    year: int | None = None,
    previous_year: int | None = None,
) -> Figure:
    """Measures on x, one bar per group label (e.g. Kvinna/Man), axis from 0.

    With ``previous_year`` each group also gets last year's bar (lighter, on
    its left), from ``value_prev``; a missing bar says why in its place.
    """
    measures = list(dict.fromkeys(table["measure"]))
    labels = list(dict.fromkeys(table["label"]))
    years = [False, True] if previous_year is not None else [True]
    slots = max(len(labels) * len(years), 1)
    width = 0.8 / slots
    fig, ax = new_figure(3.6)
    handles = []
    for g, label in enumerate(labels):
        colour = PALETTE[g % len(PALETTE)]
        part = table[table["label"] == label].set_index("measure")
        for y, current in enumerate(years):
            alpha = 1.0 if current else PREVIOUS_ALPHA
            name = label if year is None else f"{label} {year if current else previous_year}"
            handles.append(Patch(color=colour, alpha=alpha, label=name))
            for m, measure in enumerate(measures):
                x = m - 0.4 + width * (g * len(years) + y + 0.5)
                row = part.loc[measure] if measure in part.index else None
                if row is None:
                    continue
                value = row["value"] if current else row["value_prev"]
                if has_value(value):
                    ax.bar(x, float(value), width=width * 0.95, color=colour, alpha=alpha)
                    ax.text(
                        x,
                        float(value) + 1.5,
                        str(round_half_up(float(value))),
                        ha="center",
                        fontsize=7 if len(years) > 1 else 8,
                    )
                else:
                    why = row["text"] if current else (row["prev_text"] or row["change_text"])
                    missing_words(ax, x, why)
    ax.set_xticks(range(len(measures)), [measure_labels.get(m, m) for m in measures])
    ax.set_xlim(-0.5, len(measures) - 0.5)  # every slot inside, a missing bar's words too
    ax.set_ylim(0, 110)
    ax.set_ylabel("Index")
    ax.legend(
        handles=handles,
        loc="upper center",
        ncols=min(len(handles), 4),
        frameon=False,
        bbox_to_anchor=(0.5, -0.12),
    )
    return fig


def age_bars(table: pd.DataFrame, year: int, previous_year: int | None) -> Figure:
    """AMI per age group: this year's bar, last year's beside it.

    A missing bar says why in its place: why a suppressed figure of either
    year is hidden, otherwise the reason the comparison is missing.
    """
    fig, ax = new_figure(3.4)
    labels = list(table["label"])
    width = 0.38
    rows = zip(
        table["value"],
        table["text"],
        table["value_prev"],
        table["prev_text"],
        table["change_text"],
        strict=True,
    )
    for pos, (value, text, prev, prev_text, change_text) in enumerate(rows):
        bars = [(pos + width / 2, value, text, ACCENT)]
        if previous_year is not None:
            bars.insert(0, (pos - width / 2, prev, prev_text or change_text, NEUTRAL))
        for x, number, why, colour in bars:
            if has_value(number):
                ax.bar(x, float(number), width=width, color=colour)
                shown = str(round_half_up(float(number)))
                ax.text(x, float(number) + 1.5, shown, ha="center", fontsize=8)
            else:
                missing_words(ax, x, why)
    handles = [Patch(color=ACCENT, label=str(year))]
    if previous_year is not None:
        handles.insert(0, Patch(color=NEUTRAL, label=str(previous_year)))
    ax.legend(
        handles=handles, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2
    )
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set_ylim(0, 110)
    ax.set_ylabel("AMI")
    ax.set_xlabel("Åldersgrupp")
    return fig
