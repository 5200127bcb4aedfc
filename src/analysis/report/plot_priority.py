"""The priority matrix figure (prioriteringsmatris) for one unit's drivers.

Importance on x, the question index on y, dashed lines at the medians that
define the quadrants, numbered points with the question texts listed beside
the chart, styrkor green and fokusområden red - the same reading as the
seed report's matrix. Built on a bare ``Figure`` (no pyplot state, no
backend switch), so it renders in a notebook and can be saved in a loop.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from analysis.drivers.priority import (
    FOKUS,
    OVRIGT,
    STYRKA,
    fokusomraden,
    medians,
    styrkor,
    unsettled,
)
from analysis.report.style import FOCUS, NEUTRAL, STRENGTH, apply_style

X_LABEL = "Påverkan på motivationen (andel av förklarad variation)"
Y_LABEL = "Resultat (index 0–100)"
BROKEN_SCALE = "OBS bruten skala"
UNSETTLED = "Osäker placering"
LEGEND = {STYRKA: "Styrka", FOKUS: "Fokusområde", OVRIGT: "Övrig fråga"}
PALETTE = {LEGEND[STYRKA]: STRENGTH, LEGEND[FOKUS]: FOCUS, LEGEND[OVRIGT]: NEUTRAL}
#: point size (area in points²) and label font size
MARKER_AREA = 70
LABEL_SIZE = 8
#: where a point's number may go, in points from the point, tried in this order
LABEL_OFFSETS = (
    (5, 4),
    (5, -4),
    (-5, 4),
    (-5, -4),
    (0, 7),
    (0, -7),
    (9, 0),
    (-9, 0),
    (9, 11),
    (-9, 11),
    (9, -11),
    (-9, -11),
)
#: where the chart and the side list sit (figure fractions: left, bottom, width, height);
#: the margins hold the tick labels, a two-line y label, the title and the legend below
CHART_BOX = (0.075, 0.2, 0.5, 0.72)
SIDE_BOX = (0.62, 0.03, 0.37, 0.89)
#: quadrant names: (high importance, high score) -> label
QUADRANT_NAMES = {
    (True, True): "Styrkor",
    (True, False): "Fokusområden",
    (False, True): "Bibehåll",
    (False, False): "Lägre prioritet",
}


def _wrapped(number: int, text: str, width: int) -> str:
    return textwrap.fill(f"{number}. {text}", width=width, subsequent_indent="    ")


def priority_matrix_figure(
    table: pd.DataFrame, question_texts: dict[str, str], title: str
) -> Figure:
    """The priority matrix of one unit: ``table`` has question_id, importance, score, quadrant.

    Points are numbered in the table's order; the texts of styrkor and
    fokusområden are listed in full beside the chart, the other questions
    by number with their text shortened.
    """
    missing = [c for c in ("question_id", "importance", "score", "quadrant") if c not in table]
    if missing:
        raise ValueError(f"priority matrix figure needs column(s) {missing}")
    unknown = sorted(set(table["question_id"]) - set(question_texts))
    if unknown:
        raise ValueError(f"no question text for {unknown}")
    apply_style()
    data = table.reset_index(drop=True).assign(
        number=lambda d: range(1, len(d) + 1),
        kind=lambda d: d["quadrant"].map(LEGEND),
    )
    if data["kind"].isna().any():
        raise ValueError(
            f"unknown quadrant value(s): {sorted(set(data['quadrant']) - set(LEGEND))}"
        )
    mid_importance, mid_score = medians(data)

    # A fixed layout, not a layout engine: with one the figure is laid out on
    # every draw (and the point numbers need one draw more to be placed), which
    # made this chart most of a report's rendering time. savefig's tight
    # bounding box trims what the margins leave.
    fig = Figure(figsize=(13, 7.5))
    FigureCanvasAgg(fig)  # a renderer to measure text with, no pyplot state
    chart = fig.add_axes(CHART_BOX)
    side = fig.add_axes(SIDE_BOX)
    sns.scatterplot(
        data=data,
        x="importance",
        y="score",
        hue="kind",
        hue_order=[LEGEND[STYRKA], LEGEND[FOKUS], LEGEND[OVRIGT]],
        palette=PALETTE,
        s=MARKER_AREA,
        edgecolor="white",
        ax=chart,
    )
    hollow = _unsettled(data)
    if hollow.any():  # the bootstrap does not confirm the side of the median
        chart.scatter(
            data.loc[hollow, "importance"],
            data.loc[hollow, "score"],
            s=MARKER_AREA,
            facecolors="white",
            edgecolors=[PALETTE[k] for k in data.loc[hollow, "kind"]],
            linewidths=1.6,
            zorder=3,
        )
    chart.axvline(mid_importance, linestyle="--", color=NEUTRAL, linewidth=1)
    chart.axhline(mid_score, linestyle="--", color=NEUTRAL, linewidth=1)

    x_max = max(float(data["importance"].max()) * 1.12, mid_importance * 2)
    spread = float(data["score"].max() - data["score"].min())
    pad = max(2.0, 0.1 * spread)
    y_low = max(0.0, float(data["score"].min()) - pad)
    y_high = min(100.0, float(data["score"].max()) + pad)
    chart.set_xlim(0, x_max)
    chart.set_ylim(y_low, y_high)
    chart.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    chart.set_xlabel(X_LABEL)
    chart.set_ylabel(Y_LABEL + (f"\n{BROKEN_SCALE}" if y_low > 0 else ""))
    chart.set_title(title, loc="left")
    # The legend sits below the axes, so no corner or point is hidden under it.
    handles, labels = chart.get_legend_handles_labels()
    if hollow.any():
        handles.append(
            Line2D([], [], marker="o", linestyle="", markerfacecolor="white",
                   markeredgecolor=NEUTRAL, markeredgewidth=1.6, markersize=8)
        )  # fmt: skip
        labels.append(UNSETTLED)
    chart.legend(
        handles,
        labels,
        title=None,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        ncols=len(labels),
        frameon=False,
        fontsize=9,
    )
    corners = {
        (True, True): (x_max, y_high, "right", "top", STRENGTH),
        (True, False): (x_max, y_low, "right", "bottom", FOCUS),
        (False, True): (0, y_high, "left", "top", NEUTRAL),
        (False, False): (0, y_low, "left", "bottom", NEUTRAL),
    }
    corner_labels = []
    for key, (x, y, ha, va, colour) in corners.items():
        label = chart.annotate(
            QUADRANT_NAMES[key],
            xy=(x, y),
            xytext=(-6 if ha == "right" else 6, -6 if va == "top" else 6),
            textcoords="offset points",
            ha=ha,
            va=va,
            color=colour,
            fontsize=10,
            fontweight="bold",
            alpha=0.8,
        )
        corner_labels.append(label)

    _side_list(side, data, question_texts)
    _number_points(chart, data, corner_labels)
    return fig


def _unsettled(data: pd.DataFrame) -> pd.Series:
    """Points whose side of the importance median the bootstrap does not confirm
    (drivers.csv ``p_high``; every point settled when the column is absent)."""
    if "p_high" not in data:
        return pd.Series(False, index=data.index)
    return pd.Series(unsettled(data["importance"], data["p_high"]), index=data.index)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Overlapping area of two boxes (x0, y0, x1, y1)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


def _number_points(chart, data: pd.DataFrame, fixed: list) -> None:
    """Write each point's number beside it where it hides no other number, point or label.

    A small deterministic repel: the layout is fixed, so pixel positions are
    known without drawing; each number (in table order) takes the first offset
    of ``LABEL_OFFSETS`` whose box overlaps nothing placed so far, no point
    and no quadrant name, and stays inside the axes; if none is free, the
    offset with the least overlap.
    """
    fig = chart.figure
    renderer = fig.canvas.get_renderer()
    scale = fig.dpi / 72.0  # points -> pixels
    xy = chart.transData.transform(data[["importance", "score"]].to_numpy(dtype=float))
    radius = math.sqrt(MARKER_AREA) / 2 * scale
    obstacles = [(x - radius, y - radius, x + radius, y + radius) for x, y in xy]
    obstacles += [tuple(label.get_window_extent(renderer).extents) for label in fixed]
    frame = chart.get_window_extent(renderer).extents
    height = LABEL_SIZE * scale
    for (x, y), row in zip(xy, data.itertuples(), strict=True):
        text = str(row.number)
        width = 0.62 * LABEL_SIZE * len(text) * scale
        best, best_cost = None, math.inf
        for dx, dy in LABEL_OFFSETS:
            x0 = x + dx * scale - (width if dx < 0 else width / 2 if dx == 0 else 0)
            y0 = y + dy * scale - (height if dy < 0 else height / 2 if dy == 0 else 0)
            box = (x0, y0, x0 + width, y0 + height)
            cost = sum(_overlap(box, other) for other in obstacles)
            outside = (
                box[0] < frame[0] or box[1] < frame[1] or box[2] > frame[2] or box[3] > frame[3]
            )
            cost += width * height if outside else 0.0
            if cost < best_cost:
                best, best_cost = (dx, dy, box), cost
            if cost == 0:
                break
        dx, dy, box = best
        obstacles.append(box)
        chart.annotate(
            text,
            (row.importance, row.score),
            xytext=(dx, dy),
            textcoords="offset points",
            ha="right" if dx < 0 else "center" if dx == 0 else "left",
            va="top" if dy < 0 else "center" if dy == 0 else "bottom",
            fontsize=LABEL_SIZE,
            color=PALETTE[row.kind] if row.quadrant != OVRIGT else "#444444",
            fontweight="bold" if row.quadrant != OVRIGT else "normal",
        )


def _side_list(ax, data: pd.DataFrame, question_texts: dict[str, str]) -> None:
    """Styrkor and fokusområden in rank order with full texts, then the other questions."""
    ax.set_axis_off()
    numbers = dict(zip(data["question_id"], data["number"], strict=True))
    sections = [
        ("Styrkor", STRENGTH, list(styrkor(data)["question_id"])),
        ("Fokusområden", FOCUS, list(fokusomraden(data)["question_id"])),
    ]
    listed = {q for _, _, ids in sections for q in ids}
    others = [q for q in data["question_id"] if q not in listed]
    y, line = 1.0, 0.028
    for heading, colour, ids in sections:
        ax.text(0, y, heading, color=colour, fontweight="bold", fontsize=10, va="top")
        y -= line * 1.3
        if not ids:
            ax.text(0, y, "(inga)", color=NEUTRAL, fontsize=8, va="top")
            y -= line
        for q in ids:
            text = _wrapped(numbers[q], question_texts[q], width=60)
            ax.text(0, y, text, fontsize=8, va="top", color="#222222")
            y -= line * (text.count("\n") + 1)
        y -= line * 0.6
    ax.text(0, y, "Övriga frågor", color=NEUTRAL, fontweight="bold", fontsize=10, va="top")
    y -= line * 1.3
    step = min(line * 0.85, max(y, 0.05) / max(len(others), 1))
    for q in others:
        short = textwrap.shorten(question_texts[q], width=70, placeholder=" …")
        ax.text(0, y, f"{numbers[q]}. {short}", fontsize=7, va="top", color="#555555")
        y -= step
