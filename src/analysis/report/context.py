"""The report a notebook opens: the year's tables, the unit, params and provenance."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from analysis.core.contract import (
    MANAGER_PREFIX,
)
from analysis.core.params import Params, load_params
from analysis.core.provenance import PROJECT_ROOT, collect_provenance, effective_params
from analysis.report.processed import ProcessedYear, ReportDataError, load_processed_year
from analysis.report.unit_figures import UnitFigures


@dataclass(frozen=True)
class ShownSection:
    """One section as a notebook cell showed it: what its template drew, and from what."""

    template: str
    heading: str  # the section's first heading as the page shows it ("" if none)
    context: dict[str, Any]  # the plain values the template was given
    body: str  # the rendered markup


@dataclass(frozen=True)
class Report:
    """One report: the year's tables, the unit (or manager), params and provenance.

    ``hidden_shown`` collects, as the notebook's cells run, the words of the
    hidden figures the sections have shown, so that the footer (the last
    cell) explains "dold för att skydda en mindre grupp" once, and only when
    the report shows it. ``shown`` records each section as it was shown (its
    template, heading, context and markup, :class:`ShownSection`), in order:
    the deck (:mod:`analysis.render.deck`) is drawn from these, so its numbers
    are the page's by construction.
    """

    data: ProcessedYear
    unit_id: str
    params: Params
    provenance: dict[str, Any]
    links: bool = True
    hidden_shown: set[str] = field(default_factory=set, compare=False, repr=False)
    shown: list[ShownSection] = field(default_factory=list, compare=False, repr=False)

    @cached_property
    def figures(self) -> UnitFigures:
        return UnitFigures(self.data, self.unit_id)

    @property
    def kind(self) -> str:
        return self.data.kind(self.unit_id)

    @property
    def name(self) -> str:
        return self.data.unit_name(self.unit_id)

    @property
    def too_small(self) -> bool:
        return not self.figures.any_published()


def open_report(
    processed_dir: str | Path,
    unit_id: str = "",
    provenance_json: str = "",
    year: int | None = None,
) -> Report:
    """Open one report. ``unit_id`` "" is the förvaltning (root).

    ``provenance_json`` is what :func:`analysis.core.provenance.collect_provenance`
    computed once for the whole run (params included); a notebook opened by
    hand computes it itself, with the render sections of the project's
    params.yaml. ``year``, when given, must be the directory's year.
    """
    data = load_processed_year(processed_dir)
    if year is not None and int(year) != data.year:
        raise ReportDataError(
            f"{data.directory / 'meta.json'}: holds year {data.year}, the report asked for {year}"
        )
    unit_id = unit_id or data.root_id
    data.check_report_unit(unit_id)
    if provenance_json:
        provenance = json.loads(provenance_json)
    else:
        params_file = PROJECT_ROOT / "params.yaml"
        params = load_params(params_file) if params_file.is_file() else Params()
        provenance = collect_provenance(data, params)
    return Report(data, unit_id, effective_params(provenance), provenance)


def open_leader_report(
    processed_dir: str | Path,
    manager_id: str = "",
    provenance_json: str = "",
    year: int | None = None,
) -> Report:
    """Open one leader report (rows ``manager:<manager_id>``); "" = the first manager."""
    if not manager_id:
        managers = load_processed_year(processed_dir).managers
        if not managers:
            raise ReportDataError(f"{processed_dir}: no leader rows (manager:<id>) this year")
        manager_id = managers[0][len(MANAGER_PREFIX) :]
    return open_report(processed_dir, f"{MANAGER_PREFIX}{manager_id}", provenance_json, year)
