"""The report sections a notebook cell shows: ``sections.<name>_section(report)``.

One function per section of the 2023 presentation, so the notebooks stay a list of
calls. Each builds a context of plain values (the selection from
:mod:`analysis.report.selection`, the Swedish from :mod:`analysis.report.phrases`)
and renders its autoescaped template in ``templates/`` (:mod:`analysis.report.markup`);
it returns an IPython ``HTML`` object, or ``None`` when the section is empty.

Every number shown goes through :mod:`analysis.core.rounding` (half up; changes are
differences of displayed values; levels decided on the displayed integer), and a
hidden figure is shown as the words for why ("för få svar", "dold för att skydda en
mindre grupp"), never as a number; the footer explains the second once, in a report
that shows it.
"""

from __future__ import annotations

from analysis.report.sections_benchmarks import benchmarks_section
from analysis.report.sections_followup import action_plans_section, followup_section
from analysis.report.sections_front import (
    KIND_TITLES,
    MAX_CHART_BARS,
    MAX_YEAR_GROUPS,
    about_section,
    header_section,
    links_section,
    provenance_section,
    response_rate_section,
)
from analysis.report.sections_groups import ami_age_section, ami_groups_section
from analysis.report.sections_indexes import (
    ami_section,
    areas_section,
    leadership_section,
    targets_section,
)
from analysis.report.sections_priority import (
    NO_ANALYSIS_AT_ALL,
    OWN_ANALYSIS_MISSING,
    priority_section,
)
from analysis.report.sections_questions import (
    changes_section,
    extremes_section,
    questions_section,
    top_units_section,
    under_threshold_section,
)

__all__ = [
    "KIND_TITLES",
    "MAX_CHART_BARS",
    "MAX_YEAR_GROUPS",
    "NO_ANALYSIS_AT_ALL",
    "OWN_ANALYSIS_MISSING",
    "about_section",
    "action_plans_section",
    "ami_age_section",
    "ami_groups_section",
    "ami_section",
    "areas_section",
    "benchmarks_section",
    "changes_section",
    "extremes_section",
    "followup_section",
    "header_section",
    "leadership_section",
    "links_section",
    "priority_section",
    "provenance_section",
    "questions_section",
    "response_rate_section",
    "targets_section",
    "top_units_section",
    "under_threshold_section",
]
