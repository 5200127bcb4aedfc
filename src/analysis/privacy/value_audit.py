"""The values' audit: composites against their questions, per unit and group.

A composite x its answered questions = the sum of their question indexes
(contract §4). A hidden value is pinned when the published ones determine
it -- its unit vector lies in the row space of the unknowns' equations,
i.e. the null space of those equations is zero in its coordinate. A
sensitive pinned value fails, with the published members of its equations
as candidates to hide (its own equations first).

Units and groups with the same pattern of hidden and answered measures share
one system, so the null space is computed once per pattern, not per cell.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy.linalg import null_space

from analysis.core.catalogue import question_measure
from analysis.privacy.figures import UnsuppressedFigures
from analysis.privacy.targets import AuditResult, Failure, small_or_empty


def audit_values(figures: UnsuppressedFigures, published: np.ndarray, k: int) -> AuditResult:
    """Per unit and group: composites against their questions (module docstring)."""
    return ValueAudit(figures, k).run(published)


class ValueAudit:
    """The year's grid of units and groups x composite and question measures, built once.

    :mod:`.protect` runs it after every repair; ``only`` re-checks just the
    units and groups of the given rows (hiding more never pins a value).
    """

    def __init__(self, figures: UnsuppressedFigures, k: int):
        table = figures.table
        self.n = table["n"].astype("Int64").fillna(0).to_numpy(np.int64)
        # small or empty cells: hidden by the threshold whatever else is published
        self.small = small_or_empty(figures, k)
        self.cell, _ = pd.factorize(
            table["unit_id"].astype(str) + "\x1f" + table["group"].astype(str)
        )
        self.measures = list(figures.composites) + sorted(
            {question_measure(q) for ids in figures.composites.values() for q in ids}
        )
        column = {m: j for j, m in enumerate(self.measures)}
        j = table["measure"].map(column).to_numpy()
        on = ~pd.isna(j)
        self.grid = np.full((self.cell.max(initial=-1) + 1, len(self.measures)), -1, np.int64)
        self.grid[self.cell[on], j[on].astype(np.int64)] = np.flatnonzero(on)
        self.composite_parts = [
            [column[question_measure(q)] for q in ids] for ids in figures.composites.values()
        ]

    def run(
        self,
        published: np.ndarray,
        only: np.ndarray | None = None,
        known: np.ndarray | None = None,
    ) -> AuditResult:
        """The failures of ``published`` (module docstring); ``only``: rows to re-check.

        ``known``: the values a reader has -- the published ones and those hidden
        ones other equations give away (:func:`.count_audit.derived_questions`);
        by default the published ones. A candidate may then be a derived row.
        """
        published = np.asarray(published, dtype=bool)
        sensitive = self.small & ~published
        published = published if known is None else np.asarray(known, dtype=bool)
        result = AuditResult(sensitive=int(sensitive.sum()))
        cells = range(len(self.grid)) if only is None else np.unique(self.cell[only])
        patterns: dict[bytes, list[int]] = {}
        for c in cells:
            rows = self.grid[c]
            at = np.maximum(rows, 0)
            hidden = (rows >= 0) & ~published[at]
            if not (hidden & sensitive[at]).any():
                continue
            answered = (rows >= 0) & (self.n[at] > 0)
            patterns.setdefault(np.concatenate([hidden, answered]).tobytes(), []).append(c)
        for key, members in patterns.items():
            mask = np.frombuffer(key, dtype=bool)
            hidden, answered = mask[: len(self.measures)], mask[len(self.measures) :]
            for row, candidates in self._pinned(hidden, answered, members, published):
                if sensitive[row]:
                    result.failures.append(Failure(int(row), "value", float("nan"), candidates))
        return result

    def _pinned(
        self, hidden: np.ndarray, answered: np.ndarray, members: list[int], published: np.ndarray
    ) -> Iterator[tuple[int, tuple[int, ...]]]:
        """(row, candidates) of each hidden value one pattern's equations determine."""
        equations = []
        for composite, parts in enumerate(self.composite_parts):
            used = [p for p in parts if answered[p]]
            if not answered[composite] or not used:
                continue
            coeff = np.zeros(len(self.measures))
            coeff[composite] = len(used)
            coeff[used] -= 1.0
            equations.append(coeff)
        unknown = np.flatnonzero(hidden & answered)
        if not equations or not len(unknown):
            return
        system = np.array(equations)
        free = null_space(system[:, unknown])
        for p in unknown[np.abs(free).max(axis=1, initial=0.0) < 1e-9]:
            # the published members of its own equations first, then of the others
            touching = np.abs(system[:, p]) > 0
            near = np.flatnonzero((np.abs(system[touching]) > 0).any(axis=0))
            far = np.flatnonzero((np.abs(system[~touching]) > 0).any(axis=0))
            order = [*near, *(q for q in far if q not in set(near))]
            for c in members:
                rows = self.grid[c]
                shown = [int(rows[q]) for q in order if rows[q] >= 0 and published[rows[q]]]
                yield int(rows[p]), tuple(shown)
