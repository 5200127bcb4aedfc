"""The report data layer's public names, where the notebooks and the render stage import them.

Each name lives in the module of its one job (loading: :mod:`.processed`; a figure:
:mod:`.figures`; the tree: :mod:`.orgtree`; this year against last: :mod:`.comparisons`;
selection and ranking: :mod:`.selection`; the priority matrix's basis: :mod:`.priority_basis`;
file paths: :mod:`.paths`; the report context: :mod:`.context`; Swedish words:
:mod:`.phrases`). This module only gathers them, so ``analysis.report.data.<name>`` keeps
working for `analysis.render.reports`, the notebooks and the tests.
"""

from __future__ import annotations

from analysis.report.comparisons import (
    INDEX_TABLE_COLUMNS,
    ami_measures,
    area_overview,
    child_history,
    group_breakdown,
    index_table,
    question_results,
    response_rate_history,
    target_table,
)
from analysis.report.context import (
    Report,
    open_leader_report,
    open_report,
)
from analysis.report.figures import (
    ALL,
    Compared,
    Shown,
)
from analysis.report.orgtree import (
    manager_invited,
    manager_units,
    school_units,
    subtree_ids,
)
from analysis.report.paths import (
    relative_href,
    report_path,
    safe_file_stem,
)
from analysis.report.phrases import (
    HIDDEN_TEXTS,
    NEW,
    NO_COMPARISON,
    NO_ROW,
    PROTECT_CLAUSE,
    PROTECTED,
    REWORDED,
    SUPPRESSED,
    hidden_predicate,
    hidden_text,
    no_previous_text,
    protection_note,
)
from analysis.report.priority_basis import (
    PriorityStatus,
    priority_status,
    priority_tables,
)
from analysis.report.processed import (
    DRIVER_COLUMNS,
    DRIVER_NOTE_KEYS,
    ENHET,
    FIGURE_COLUMNS,
    FORVALTNING,
    LEDARE,
    MEASURE_LABELS,
    META_KEYS,
    OMRADE,
    QUESTION_COLUMNS,
    UNIT_COLUMNS,
    ProcessedYear,
    ReportDataError,
    load_processed_year,
    question_status,
)
from analysis.report.selection import (
    Changes,
    UnderThreshold,
    competition_places,
    highest_lowest,
    largest_changes,
    top_units,
    units_under_threshold,
)
from analysis.report.unit_figures import UnitFigures, age_sort_key

__all__ = [
    "ALL",
    "DRIVER_COLUMNS",
    "DRIVER_NOTE_KEYS",
    "ENHET",
    "FIGURE_COLUMNS",
    "FORVALTNING",
    "HIDDEN_TEXTS",
    "INDEX_TABLE_COLUMNS",
    "LEDARE",
    "MEASURE_LABELS",
    "META_KEYS",
    "NEW",
    "NO_COMPARISON",
    "NO_ROW",
    "OMRADE",
    "PROTECTED",
    "PROTECT_CLAUSE",
    "QUESTION_COLUMNS",
    "REWORDED",
    "SUPPRESSED",
    "UNIT_COLUMNS",
    "Changes",
    "Compared",
    "PriorityStatus",
    "ProcessedYear",
    "Report",
    "ReportDataError",
    "Shown",
    "UnderThreshold",
    "UnitFigures",
    "age_sort_key",
    "ami_measures",
    "area_overview",
    "child_history",
    "competition_places",
    "group_breakdown",
    "hidden_predicate",
    "hidden_text",
    "highest_lowest",
    "index_table",
    "largest_changes",
    "load_processed_year",
    "manager_invited",
    "manager_units",
    "no_previous_text",
    "open_leader_report",
    "open_report",
    "priority_status",
    "priority_tables",
    "protection_note",
    "question_results",
    "question_status",
    "relative_href",
    "report_path",
    "response_rate_history",
    "safe_file_stem",
    "school_units",
    "subtree_ids",
    "target_table",
    "top_units",
    "units_under_threshold",
]
