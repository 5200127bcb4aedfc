"""Priority matrix rules (contract §4) on hand-made tables, and the figure built from them."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only: no display; the module itself never switches backends

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex

from analysis.drivers.priority import (
    FOKUS,
    OVRIGT,
    STYRKA,
    assign_quadrants,
    fokusomraden,
    halves,
    medians,
    quadrants_by_unit,
    styrkor,
)
from analysis.report.plot_priority import X_LABEL, Y_LABEL, priority_matrix_figure
from analysis.report.style import FOCUS, STRENGTH


def frame(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["question_id", "importance", "score"])


SIX = frame(
    [
        ("a", 0.30, 80),
        ("b", 0.25, 60),
        ("c", 0.20, 90),
        ("d", 0.10, 85),
        ("e", 0.08, 50),
        ("f", 0.07, 70),
    ]
)


def test_six_questions_by_hand() -> None:
    # Median importance (0.20 + 0.10)/2 = 0.15: a, b, c are high.
    # Median score (70 + 80)/2 = 75: a, c, d are high.
    # Styrkor = high/high = a (80), c (90), highest score first: c, a.
    # Fokusområden = high importance, low score = b.
    assert medians(SIX) == (pytest.approx(0.15), 75.0)
    assert styrkor(SIX)["question_id"].tolist() == ["c", "a"]
    assert fokusomraden(SIX)["question_id"].tolist() == ["b"]
    assert assign_quadrants(SIX).tolist() == [STYRKA, FOKUS, STYRKA, OVRIGT, OVRIGT, OVRIGT]


def test_a_value_equal_to_the_median_counts_as_high() -> None:
    five = frame([("a", 0.4, 50), ("b", 0.3, 60), ("c", 0.15, 70), ("d", 0.1, 80), ("e", 0.05, 90)])
    side = halves(five)
    # Odd count: the middle question sits on both medians and is high on both.
    assert side["high_importance"].tolist() == [True, True, True, False, False]
    assert side["high_score"].tolist() == [False, False, True, True, True]
    assert styrkor(five)["question_id"].tolist() == ["c"]
    assert fokusomraden(five)["question_id"].tolist() == ["a", "b"]


# Seven high-importance/high-score questions (x1..x7) and seven low/low (y1..y7):
# the medians fall between the two groups.
SEVEN_HIGH = [
    ("x1", 0.10, 90),
    ("x2", 0.12, 90),
    ("x3", 0.09, 85),
    ("x4", 0.11, 85),
    ("x5", 0.11, 85),
    ("x6", 0.13, 80),
    ("x7", 0.08, 95),
]
SEVEN_LOW = [(f"y{i}", 0.01 + i / 1000, 40 + i) for i in range(1, 8)]


def test_styrkor_stop_at_five_with_ties_by_importance_then_id() -> None:
    table = frame(SEVEN_LOW + SEVEN_HIGH)
    # 95 first; the two 90s by importance (x2 .12 > x1 .10); the three 85s by
    # importance (x4 = x5 = .11 > x3 .09), x4 before x5 by id. x3 and x6 miss the five.
    assert styrkor(table)["question_id"].tolist() == ["x7", "x2", "x1", "x4", "x5"]
    labels = dict(zip(table["question_id"], assign_quadrants(table), strict=True))
    assert labels["x3"] == OVRIGT and labels["x6"] == OVRIGT
    assert all(labels[f"y{i}"] == OVRIGT for i in range(1, 8))
    assert fokusomraden(table).empty


def test_fokusomraden_lowest_score_first_with_the_same_tie_rules() -> None:
    # Seven high-importance/low-score (z..) and seven low-importance/high-score (h..).
    low_scores = [
        ("z1", 0.10, 40),
        ("z2", 0.12, 40),
        ("z3", 0.09, 35),
        ("z4", 0.11, 45),
        ("z5", 0.11, 45),
        ("z6", 0.13, 50),
        ("z7", 0.08, 30),
    ]
    high_scores = [(f"h{i}", 0.01 + i / 1000, 80 + i) for i in range(1, 8)]
    table = frame(high_scores + low_scores)
    assert fokusomraden(table)["question_id"].tolist() == ["z7", "z3", "z2", "z1", "z4"]
    assert styrkor(table).empty
    labels = assign_quadrants(table)
    assert (labels == FOKUS).sum() == 5 and (labels == STYRKA).sum() == 0


def test_quadrants_are_per_unit() -> None:
    first = SIX.assign(unit_id="A")
    second = SIX.assign(unit_id="B", score=100 - SIX["score"])  # scores mirrored
    table = pd.concat([first, second], ignore_index=True)
    labels = quadrants_by_unit(table)
    assert labels[:6].tolist() == assign_quadrants(SIX).tolist()
    # Mirrored: high scores are now b (40), e (50), f (30)... b is high importance and
    # now high score; a and c low score. Styrkor: b. Fokusområden: lowest first c (10), a (20).
    assert labels[6:].tolist() == [FOKUS, STYRKA, FOKUS, OVRIGT, OVRIGT, OVRIGT]


def test_bad_tables_are_refused() -> None:
    with pytest.raises(ValueError, match="importance and score for every question"):
        assign_quadrants(frame([("a", 0.5, np.nan), ("b", 0.5, 50)]))
    with pytest.raises(ValueError, match="question ids repeat"):
        assign_quadrants(frame([("a", 0.5, 40), ("a", 0.5, 50)]))
    with pytest.raises(ValueError, match=r"column\(s\) \['score'\]"):
        assign_quadrants(SIX.drop(columns="score"))


# ------------------------------------------------------------------ figure


def test_figure_marks_quadrants_in_swedish() -> None:
    table = SIX.assign(quadrant=assign_quadrants(SIX))
    texts = {q: f"Fråga {q.upper()} om arbetsmiljön" for q in table["question_id"]}
    fig = priority_matrix_figure(table, texts, "Skolan 2023")
    chart, side = fig.axes
    assert chart.get_xlabel() == X_LABEL
    assert chart.get_ylabel().startswith(Y_LABEL)
    assert chart.get_title(loc="left") == "Skolan 2023"
    # Dashed quadrant lines at the medians (0.15 and 75).
    dashed = [line for line in chart.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 2
    vertical, horizontal = dashed  # axvline spans x = const, axhline y = const
    assert list(vertical.get_xdata()) == pytest.approx([0.15, 0.15])
    assert list(horizontal.get_ydata()) == [75.0, 75.0]
    # One point per question, coloured by quadrant: c and a green, b red.
    points = chart.collections[0]
    colours = [to_hex(c) for c in points.get_facecolors()]
    offsets = [tuple(xy) for xy in points.get_offsets()]
    by_point = dict(zip(offsets, colours, strict=True))
    assert by_point[(0.20, 90.0)] == STRENGTH and by_point[(0.30, 80.0)] == STRENGTH
    assert by_point[(0.25, 60.0)] == FOCUS
    words = {t.get_text() for t in chart.texts}
    assert {"Styrkor", "Fokusområden", "1", "2", "6"} <= words
    side_text = "\n".join(t.get_text() for t in side.texts)
    # The side list ranks styrkor as the contract does (c before a) and lists every text.
    assert side_text.index("3. Fråga C") < side_text.index("1. Fråga A")
    assert all(texts[q] in side_text for q in texts)


def test_numbers_legend_and_quadrant_names_do_not_overlap() -> None:
    """A crowded matrix: points close together, one in each corner, the legend below."""
    rows = [("a", 0.10, 71.0), ("b", 0.105, 70.9), ("c", 0.098, 71.1), ("d", 0.30, 90.0)]
    rows += [("e", 0.01, 50.0), ("f", 0.29, 50.5), ("g", 0.011, 89.5), ("h", 0.2, 70.0)]
    table = frame(rows)
    table = table.assign(quadrant=assign_quadrants(table))
    fig = priority_matrix_figure(table, {q: f"Fråga {q}" for q, *_ in rows}, "Trångt")
    fig.draw_without_rendering()  # every text at its final place
    chart = fig.axes[0]
    renderer = FigureCanvasAgg(fig).get_renderer()
    boxes = {t.get_text(): t.get_window_extent(renderer) for t in chart.texts}
    numbers = [str(n) for n in range(1, len(rows) + 1)]
    named = [*numbers, "Styrkor", "Fokusområden", "Bibehåll", "Lägre prioritet"]
    assert set(named) <= set(boxes)
    for i, first in enumerate(named):
        for second in named[i + 1 :]:
            assert not boxes[first].overlaps(boxes[second]), (first, second)
    legend = chart.get_legend().get_window_extent(renderer)
    frame_box = chart.get_window_extent(renderer)
    assert legend.y1 <= frame_box.y0  # below the axes, clear of every corner
    assert [t.get_text() for t in chart.get_legend().get_texts()] == [
        "Styrka",
        "Fokusområde",
        "Övrig fråga",
    ]
