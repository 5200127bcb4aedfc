"""The joint disclosure audit: what an attacker combining every published number learns.

Runs on the final table before anything is published (:mod:`.protect`).
Two linear systems, one module each:

- counts (:mod:`.count_audit`): per measure, one linear program over every
  published count -- groups with the unknown-label remainder, the tree with
  each unit's own respondents (at least 0, at most ``invited``), leader
  reports, each unit's own respondents within those who answered the survey;
- values (:mod:`.value_audit`): per unit and group, the composites against
  their question indexes.

A sensitive hidden cell (:mod:`.targets`: 1 .. k-1 respondents, or none in
a group that has respondents) -- or such a group that is never published (a
unit's own staff, an unknown label) -- passes when its count cannot be narrowed below
min(k, what the organisation table alone allows) and its value is not
determined.

Why not the means through sums as well: the sums n x value obey the same
equalities as the counts, so a sum is determined exactly where its count is;
docs/privacy.md gives the argument and its limits.
"""

from __future__ import annotations

import numpy as np

from analysis.privacy.attacker_model import CountModel
from analysis.privacy.count_audit import CountAudit, audit_counts, derived_questions
from analysis.privacy.figures import UnsuppressedFigures
from analysis.privacy.targets import AuditResult, Failure, prior_bound, sensitive_cells
from analysis.privacy.value_audit import ValueAudit, audit_values

__all__ = [
    "AuditResult",
    "Failure",
    "audit",
    "audit_counts",
    "audit_values",
    "prior_bound",
    "sensitive_cells",
]


def audit(
    figures: UnsuppressedFigures,
    published: np.ndarray,
    k: int,
    model: CountModel | None = None,
) -> AuditResult:
    """Both systems over every measure; the values' failures first.

    The values' audit counts as known the question values the counts'
    equations give away (:func:`.count_audit.derived_questions`).
    """
    count_audit = CountAudit(figures, k, model)
    known = np.asarray(published, dtype=bool).copy()
    known[list(derived_questions(count_audit, published))] = True
    values = ValueAudit(figures, k).run(published, known=known)
    counts = count_audit.run(published)
    return AuditResult(
        failures=values.failures + counts.failures,
        sensitive=counts.sensitive,
        programs=counts.programs,
    )
