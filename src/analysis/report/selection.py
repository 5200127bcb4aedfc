"""What to show: selection and ranking over small tables, unit-tested on hand-made ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.core.catalogue import (
    AMI,
)
from analysis.core.rounding import round_half_up
from analysis.report.figures import Shown, has_value
from analysis.report.orgtree import school_units
from analysis.report.phrases import PROTECTED, SUPPRESSED
from analysis.report.processed import ProcessedYear


def highest_lowest(results: pd.DataFrame, k: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The k highest and k lowest published question results.

    Ordered by the full-precision value, ties by catalogue order; the two
    lists never share a question (a survey with fewer than 2k published
    questions splits them).
    """
    published = results[results["value"].notna()].reset_index(drop=True)
    published = published.assign(_pos=range(len(published)))
    high = published.sort_values(["value", "_pos"], ascending=[False, True], kind="mergesort")
    high = high.head(min(k, len(published) // 2 + len(published) % 2))
    rest = published[~published["_pos"].isin(high["_pos"])]
    low = rest.sort_values(["value", "_pos"], ascending=[True, True], kind="mergesort").head(k)
    return high.drop(columns="_pos"), low.drop(columns="_pos")


@dataclass(frozen=True)
class Changes:
    """The largest displayed changes, and the questions left out as new or reworded."""

    positive: pd.DataFrame
    negative: pd.DataFrame
    excluded: pd.DataFrame


def largest_changes(results: pd.DataFrame, k: int = 3) -> Changes:
    """The k largest positive and k largest negative displayed changes.

    New and reworded questions have no comparison and are listed in
    ``excluded`` so the report can say so. Ranked by displayed change, then by
    the exact change, then catalogue order; a displayed 0 is neither.
    """
    excluded = results[results["status"] != ""]
    compared = results[(results["status"] == "") & results["change"].notna()].copy()
    compared["_pos"] = range(len(compared))
    compared["change"] = compared["change"].astype(int)
    pos = compared[compared["change"] > 0].sort_values(
        ["change", "exact_change", "_pos"], ascending=[False, False, True], kind="mergesort"
    )
    neg = compared[compared["change"] < 0].sort_values(
        ["change", "exact_change", "_pos"], ascending=[True, True, True], kind="mergesort"
    )
    return Changes(
        pos.head(k).drop(columns="_pos"),
        neg.head(k).drop(columns="_pos"),
        excluded.reset_index(drop=True),
    )


def competition_places(scores: Sequence[int]) -> list[int]:
    """Standard competition ranking, highest first: 90, 90, 90, 89 -> 1, 1, 1, 4."""
    return [1 + sum(other > score for other in scores) for score in scores]


def top_units(
    data: ProcessedYear, unit_id: str, school_types: Iterable[str], top_n: int
) -> pd.DataFrame:
    """Schools of the subtree by displayed AMI: every school placed within ``top_n``.

    Ties share a place and all schools tied at the cut are shown, so the list
    can be longer than ``top_n`` (the 2023 report's "Topp 6" for five places).
    Schools with a suppressed AMI are not ranked.
    """
    columns = ["place", "unit_id", "unit_name", "unit_type", "value", "shown"]
    schools = school_units(data, unit_id, school_types)
    ami = data.history_of(AMI)
    rows = []
    for school in schools:
        value = ami.get((school, data.year), Shown()).value
        if value is not None:
            rows.append(_school_row(data, school, value))
    if not rows:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(rows)
    table["place"] = competition_places(list(table["shown"]))
    table["_name"] = table["unit_name"].str.casefold()
    table = table.sort_values(["place", "_name", "unit_id"], kind="mergesort")
    return table[table["place"] <= top_n][columns].reset_index(drop=True)


def _school_row(data: ProcessedYear, school: str, value: float) -> dict[str, object]:
    """One school's AMI as the school tables list it (top units, schools under the line)."""
    return {
        "unit_id": school,
        "unit_name": data.unit_name(school),
        "unit_type": data.unit_type(school),
        "value": value,
        "shown": round_half_up(value),
    }


@dataclass(frozen=True)
class UnderThreshold:
    """Schools whose displayed AMI is below ``levels.good_from``, and what could not be judged."""

    units: pd.DataFrame  # unit_id, unit_name, unit_type, value, shown
    counts: pd.DataFrame  # unit_type, count: the school forms of the subtree, in params order
    suppressed: int  # schools with AMI "för få svar"
    protected: int = 0  # schools with AMI "dold för att skydda en mindre grupp"


def units_under_threshold(
    data: ProcessedYear, unit_id: str, school_types: Sequence[str], good_from: int
) -> UnderThreshold:
    """Schools of the subtree that must draw up an action plan (displayed AMI < good_from)."""
    schools = school_units(data, unit_id, school_types)
    ami = data.history_of(AMI)
    rows, hidden = [], {SUPPRESSED: 0, PROTECTED: 0}
    for school in schools:
        shown = ami.get((school, data.year), Shown())
        value = shown.value
        if value is None:
            hidden[shown.text] += 1
        elif round_half_up(value) < good_from:
            rows.append(_school_row(data, school, value))
    units = pd.DataFrame(rows, columns=["unit_id", "unit_name", "unit_type", "value", "shown"])
    units = units.sort_values(["shown", "unit_name"], kind="mergesort").reset_index(drop=True)
    present = {data.unit_type(u) for u in schools}
    counts = pd.DataFrame(
        [(t, int((units["unit_type"] == t).sum())) for t in school_types if t in present],
        columns=["unit_type", "count"],
    )
    return UnderThreshold(units, counts, hidden[SUPPRESSED], hidden[PROTECTED])


# ---------------------------------------------------------------------------
# Small selections the sections' sentences rest on
# ---------------------------------------------------------------------------


def whole_or_none(value: Any) -> int | None:
    """A displayed change as an int, None where there is none."""
    return int(value) if has_value(value) else None


def ranked(labels: Sequence[str], values: Sequence[Any]) -> list[tuple[str, int]]:
    """(label, displayed value) of the published values, highest first, ties in given order."""
    shown = [(lbl, round_half_up(v)) for lbl, v in zip(labels, values, strict=True) if has_value(v)]
    return sorted(shown, key=lambda item: -item[1])


@dataclass(frozen=True)
class HighLow:
    """The labels sharing the highest and the lowest displayed value."""

    top: list[str]
    top_value: int
    bottom: list[str]
    bottom_value: int


def high_low(labels: Sequence[str], values: Sequence[Any]) -> HighLow | None:
    """Highest and lowest displayed values (ties together); None unless at least two differ."""
    order = ranked(labels, values)
    if len(order) < 2 or order[0][1] == order[-1][1]:
        return None
    top = [lbl for lbl, v in order if v == order[0][1]]
    bottom = [lbl for lbl, v in order if v == order[-1][1]]
    return HighLow(top, order[0][1], bottom, order[-1][1])


def improving_units(now: dict[str, Any], before: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Units with a value both years, and those among them whose displayed value went up."""
    both = [u for u in now if has_value(now.get(u)) and has_value(before.get(u))]
    up = [u for u in both if round_half_up(now[u]) > round_half_up(before[u])]
    return both, up


def largest_question_change(results: pd.DataFrame) -> pd.Series | None:
    """The question with the largest displayed change (ties: exact change, catalogue order)."""
    moved = results[results["change"].notna()]
    if moved.empty:
        return None
    sized = moved.assign(
        size=moved["change"].abs(), exact=moved["exact_change"].astype(float).abs()
    )
    return sized.sort_values(["size", "exact"], ascending=[False, False], kind="mergesort").iloc[0]


def higher_on(
    table: pd.DataFrame, first: str, second: str, measures: Iterable[str]
) -> tuple[int, int]:
    """Of ``measures`` published for both: how many compared, on how many ``first`` is higher.

    ``table`` has columns label, measure, value (one row per group × measure).
    """
    compared = higher = 0
    for measure in measures:
        part = table[table["measure"] == measure].set_index("label")["value"]
        if has_value(part.get(first)) and has_value(part.get(second)):
            compared += 1
            higher += round_half_up(part[first]) > round_half_up(part[second])
    return compared, higher


def highest_first(table: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    """Rows by ``column`` highest first, hidden (NaN) last, ties in their given order."""
    return table.sort_values(column, ascending=False, na_position="last", kind="mergesort")


def count_at_least(ranked_values: Sequence[tuple[str, int]], threshold: int) -> int:
    """How many displayed values reach ``threshold``."""
    return sum(1 for _, v in ranked_values if v >= threshold)
