"""Every report chart except the priority matrix, in one visual language.

Charts take the tidy tables of :mod:`analysis.report.comparisons` (plot second,
compute first) and return a matplotlib ``Figure`` built without pyplot, so no
global figure state leaks from one report to the next in a warm kernel.
:func:`figure_png` renders a figure as PNG bytes without timestamps or version
strings, so the same numbers always give the same bytes; :func:`png_data_uri`
embeds them in a page.

Conventions (docs/design.md, "Visual language"): Swedish labels; level colours
from :mod:`analysis.report.style`; bars sorted; value axes from 0 (no broken axes);
a suppressed figure drawn as the words the table gives for it ("för få svar",
"dold för att skydda en mindre grupp"), never as a bar.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from analysis.core.params import LevelParams
from analysis.core.rounding import format_change, level, round_half_up
from analysis.report.figures import has_value
from analysis.report.style import ACCENT, FOCUS, LEVEL_COLOURS, NEUTRAL, STRENGTH, apply_style

__all__ = [
    "ACCENT",
    "any_number",
    "bars_by_year",
    "change_bars",
    "extremes_bars",
    "figure_png",
    "horizontal_bars",
    "index_columns",
    "missing_words",
    "new_figure",
    "png_data_uri",
    "response_rate_by_year",
    "target_chart",
]

SUPPRESSED = "för få svar"  # a missing bar's words where a table gives none
MISSING_WIDTH = 20  # characters before the words under a missing column wrap
WIDTH = 8.0  # inches; at 100 dpi a chart is 800 px wide
LABEL_WIDTH = 48  # characters before a label wraps
PALETTE = [ACCENT, "#7fa7d1", NEUTRAL, "#b7c9dc", "#4d4d4d"]
PREVIOUS_ALPHA = 0.4  # an earlier year's bar: the same colour, lighter

apply_style()


def any_number(values: Sequence[object]) -> bool:
    """Whether a chart of these values would show a single bar (else: skip it, say why)."""
    return any(has_value(v) for v in values)


def missing_words(ax: object, x: float, text: str, fontsize: int = 7) -> None:
    """Write why a bar is missing ("för få svar", "ingen jämförelse") where it would stand."""
    if text:
        ax.text(
            x,
            2,
            _wrap(text, MISSING_WIDTH + 4),
            ha="center",
            fontsize=fontsize,
            rotation=90,
            style="italic",
            color=NEUTRAL,
        )


def new_figure(height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(WIDTH, height))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    return fig, ax


def _wrap(label: str, width: int = LABEL_WIDTH) -> str:
    return "\n".join(textwrap.wrap(str(label), width)) or str(label)


def _level_colour(value: float, levels: LevelParams | None, colour: str) -> str:
    return LEVEL_COLOURS[level(value, levels)] if levels is not None else colour


def figure_png(fig: Figure) -> bytes:
    """PNG bytes without the matplotlib version stamp (same figure -> same bytes)."""
    buffer = io.BytesIO()
    # Every report figure is a bare Figure (no pyplot state), so nothing lingers to close.
    fig.savefig(buffer, format="png", metadata={"Software": None}, bbox_inches="tight")
    return buffer.getvalue()


def png_data_uri(png: bytes) -> str:
    """PNG bytes as a data URI, for an ``img`` in the report (reports work offline)."""
    return f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}"


def bar_order(values: Sequence[float | None]) -> list[int]:
    """Positions of ``values`` as sorted bars draw them: highest first (stable), then the
    hidden ones in their order - also the order of the chart's alt text."""
    published = sorted(
        (i for i, v in enumerate(values) if has_value(v)), key=lambda i: -float(values[i])
    )
    return published + [i for i, v in enumerate(values) if not has_value(v)]


def horizontal_bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    xlabel: str = "Index",
    levels: LevelParams | None = None,
    colour: str = ACCENT,
    sort: bool = True,
    missing: Sequence[str] | None = None,
) -> Figure:
    """Horizontal bars 0–100, highest on top; level colours when ``levels`` is given.

    A bar without a value shows ``missing`` (why it is hidden; default "för få
    svar") in its place.
    """
    missing = list(missing) if missing is not None else [SUPPRESSED] * len(labels)
    items = list(zip(labels, values, missing, strict=True))
    if sort:
        items = [items[i] for i in bar_order(values)]
    fig, ax = new_figure(0.9 + 0.42 * max(len(items), 1))
    positions = list(range(len(items)))[::-1]
    for pos, (_label, value, why) in zip(positions, items, strict=True):
        if has_value(value):
            value = float(value)
            ax.barh(pos, value, color=_level_colour(value, levels, colour), height=0.65)
            ax.text(value + 1, pos, str(round_half_up(value)), va="center", fontsize=9)
        else:
            ax.text(1, pos, why, va="center", fontsize=9, style="italic", color=NEUTRAL)
    ax.set_yticks(positions, [_wrap(label) for label, *_ in items], fontsize=9)
    ax.set_xlim(0, 105)
    ax.set_xlabel(xlabel)
    return fig


def response_rate_by_year(history: pd.DataFrame) -> Figure:
    """Response rate per survey year (columns ``year``, ``value``, ``text``), oldest left."""
    fig, ax = new_figure(3.0)
    years = [str(y) for y in history["year"]]
    for pos, (value, text) in enumerate(zip(history["value"], history["text"], strict=True)):
        if has_value(value):
            ax.bar(pos, float(value), color=ACCENT, width=0.6)
            ax.text(pos, float(value) + 1.5, f"{round_half_up(float(value))} %", ha="center")
        else:
            ax.text(pos, 2, _wrap(text, MISSING_WIDTH), ha="center", style="italic", color=NEUTRAL)
    ax.set_xticks(range(len(years)), years)
    ax.set_ylim(0, 110)
    ax.set_ylabel("Svarsfrekvens (%)")
    return fig


def bars_by_year(table: pd.DataFrame, ylabel: str, unit: str = "") -> Figure:
    """Units on x, one bar per survey year (oldest lightest), from a long table.

    ``table`` has unit_name, year, value, text (``child_history``); a missing
    bar says why in its place. ``unit`` follows each value label (e.g. " %").
    """
    names = list(dict.fromkeys(table["unit_name"]))
    years = sorted(dict.fromkeys(table["year"]))
    width = 0.8 / max(len(years), 1)
    fig, ax = new_figure(3.6)
    shades = [
        PREVIOUS_ALPHA + (1 - PREVIOUS_ALPHA) * i / max(len(years) - 1, 1)
        for i in range(len(years))
    ]
    values = {
        (n, y): (v, t)
        for n, y, v, t in zip(
            table["unit_name"], table["year"], table["value"], table["text"], strict=True
        )
    }
    for y, (year, alpha) in enumerate(zip(years, shades, strict=True)):
        for pos, name in enumerate(names):
            x = pos - 0.4 + width * (y + 0.5)
            value, text = values.get((name, year), (None, ""))
            if has_value(value):
                ax.bar(x, float(value), width=width * 0.95, color=ACCENT, alpha=alpha)
                label = f"{round_half_up(float(value))}{unit}"
                ax.text(x, float(value) + 1.5, label, ha="center", fontsize=7)
            else:
                missing_words(ax, x, text)
    handles = [
        Patch(color=ACCENT, alpha=alpha, label=str(year))
        for year, alpha in zip(years, shades, strict=True)
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        ncols=len(handles),
        frameon=False,
        bbox_to_anchor=(0.5, -0.18),
    )
    ax.set_xticks(range(len(names)), [textwrap.fill(n, 22) for n in names], fontsize=9)
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.set_ylim(0, 110)
    ax.set_ylabel(ylabel)
    return fig


def index_columns(table: pd.DataFrame, levels: LevelParams) -> Figure:
    """AMI total and dimensions as level-coloured columns, the change written under each.

    A missing column shows its ``text`` (why it is hidden) in its place.
    """
    fig, ax = new_figure(3.4)
    ticks = []
    for pos, (label, value, text, change) in enumerate(
        zip(table["label"], table["value"], table["text"], table["change_text"], strict=True)
    ):
        if has_value(value):
            value = float(value)
            ax.bar(pos, value, color=LEVEL_COLOURS[level(value, levels)], width=0.6)
            ax.text(
                pos,
                value + 2,
                str(round_half_up(value)),
                ha="center",
                fontsize=12,
                fontweight="bold",
            )
        else:
            ax.text(pos, 2, _wrap(text, MISSING_WIDTH), ha="center", style="italic", color=NEUTRAL)
        ticks.append(f"{label}\n{_wrap(change, MISSING_WIDTH)}" if change else label)
    ax.set_xticks(range(len(ticks)), ticks)
    ax.set_ylim(0, 110)
    ax.set_ylabel("Index")
    return fig


def extremes_bars(high: pd.DataFrame, low: pd.DataFrame, levels: LevelParams) -> Figure:
    """The highest and lowest questions as level-coloured horizontal bars, highest on top."""
    labels = [*high["text"], *low["text"]]
    values = [*high["value"], *low["value"]]
    return horizontal_bars(labels, values, levels=levels, sort=True)


def change_bars(positive: pd.DataFrame, negative: pd.DataFrame) -> Figure:
    """The largest displayed changes, diverging from 0, increases on top."""
    rows = [
        *zip(positive["text"], positive["change"], strict=True),
        *zip(negative["text"], negative["change"], strict=True),
    ]
    fig, ax = new_figure(0.9 + 0.5 * max(len(rows), 1))
    positions = list(range(len(rows)))[::-1]
    limit = max([abs(int(c)) for _, c in rows] + [1]) + 1
    for pos, (_text, change) in zip(positions, rows, strict=True):
        change = int(change)
        ax.barh(pos, change, color=STRENGTH if change > 0 else FOCUS, height=0.6)
        offset = 0.08 * limit
        ax.text(
            change + (offset if change > 0 else -offset),
            pos,
            format_change(change),
            va="center",
            ha="left" if change > 0 else "right",
        )
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(positions, [_wrap(t) for t, _ in rows], fontsize=9)
    ax.set_xlim(-limit * 1.3, limit * 1.3)
    ax.set_xlabel("Förändring (indexenheter, avrundade värden)")
    return fig


def target_chart(
    value: float | None, targets: dict[str, float], levels: LevelParams, missing: str = SUPPRESSED
) -> Figure:
    """AMI as one bar against horizontal target lines (axis from 0); ``missing``: why no bar."""
    fig, ax = new_figure(2.6)
    if has_value(value):
        value = float(value)
        ax.barh(0, value, color=LEVEL_COLOURS[level(value, levels)], height=0.5)
        ax.text(2, 0, f"AMI {round_half_up(value)}", va="center", color="white", fontweight="bold")
    else:
        ax.text(1, 0, missing, va="center", style="italic", color=NEUTRAL)
    styles = ["--", ":"]
    for i, (label, target) in enumerate(targets.items()):
        ax.axvline(
            float(target),
            color="#333333",
            linestyle=styles[i % 2],
            linewidth=1.2,
            label=f"{label} {round_half_up(float(target))}",
        )
    ax.set_yticks([])
    ax.set_xlim(0, 105)
    ax.set_ylim(-0.6, 0.6)
    ax.set_xlabel("AMI")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.35), ncols=2)
    return fig
