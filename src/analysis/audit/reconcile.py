"""``make audit``: recompute every published number from the input tables alone.

This is a *second*, deliberately plain implementation of the contract's
arithmetic (§3-§5). It reads the input through ingestion (parsing is not an
intermediate result), then recomputes with ordinary pandas group-bys - no
sparse matrices, none of ``analysis.indexes``, ``analysis.privacy`` or
``analysis.core.figures_io`` - and compares with ``reports/<year>/figures.csv`` and
``drivers.csv``. Two implementations that agree are far more convincing than
one implementation tested against itself.

What is checked in ``figures.csv`` (the report year and any history rows of
earlier years):

1. every published ``n`` equals the recomputation exactly, every ``value`` and
   ``change`` to 1e-9;
2. every figure resting on fewer than ``privacy.min_group_size`` respondents
   is empty (``n``, ``value`` and ``change``), never 0;
3. a figure left empty although it rests on enough respondents is counted as
   a *complementary suppression* (the rule that chooses them is not
   re-implemented); independently, no unit total minus its published groups
   of a background variable may single out one hidden group (the unknown
   label counts as a group) of fewer than ``min_group_size`` respondents;
4. every figure the reports must carry is present, and nothing else.

In ``drivers.csv``: scores against the recomputed question indexes, weights,
importances and ``n_used`` against an independent implementation of
Johnson's relative weights, quadrants against the priority-matrix rule,
``basis`` against whose analysis a unit shows, a unit without rows only where
all its scores are shown and an analysis is possible at all, and
the bootstrap intervals with the package's own seeded bootstrap (the one
piece that is not re-implemented: a bootstrap can only be reproduced by the
same random draws).

The work is split by job: :mod:`~analysis.audit.published` reads the
files, :mod:`~analysis.audit.tree`, :mod:`~analysis.audit.figures` and
:mod:`~analysis.audit.driver_analysis` recompute (cached per year by
:mod:`~analysis.audit.recomputation`), :mod:`~analysis.audit.check_figures`
and :mod:`~analysis.audit.check_drivers` compare; this module runs them over
the report years and words the reconciliation; :mod:`~analysis.audit.cli`
is the command line.
"""

from __future__ import annotations

from pathlib import Path

from analysis.audit.check_drivers import audit_drivers
from analysis.audit.check_figures import audit_figures
from analysis.audit.published import read_published_drivers, read_published_figures
from analysis.audit.recomputation import Recomputation
from analysis.audit.results import AuditError, Mismatch, Reconciliation
from analysis.core.dataset import SurveyData
from analysis.core.params import Params

MAX_PRINTED = 20


def audit_reports(
    data: SurveyData,
    params: Params,
    reports: str | Path,
    years: list[int] | None = None,
    with_intervals: bool = True,
) -> list[Reconciliation]:
    """Audit ``reports/<year>/figures.csv`` and ``drivers.csv`` for each report year."""
    reports = Path(reports)
    recomputation = Recomputation(data, params, with_intervals=with_intervals)
    out: list[Reconciliation] = []
    for year in years if years is not None else list(params.report.years):
        if year not in data.years:
            raise AuditError(
                f"report.years names {year}, but the input has survey years {data.years}"
            )
        figures_path = reports / str(year) / "figures.csv"
        figures = None
        if figures_path.exists():
            figures = read_published_figures(figures_path)
            out += audit_figures(figures, year, recomputation, str(figures_path))
        else:
            out.append(_missing_file(figures_path, year, "figures"))
        drivers_path = reports / str(year) / "drivers.csv"
        if drivers_path.exists():
            drivers = read_published_drivers(drivers_path)
            out.append(audit_drivers(drivers, year, recomputation, figures, str(drivers_path)))
        else:
            out.append(_missing_file(drivers_path, year, "drivers"))
    return out


def _missing_file(path: Path, year: int, kind: str) -> Reconciliation:
    recon = Reconciliation(str(path), year, kind=kind)
    recon.mismatches.append(Mismatch(year, "", "", "", "file", "missing", "present"))
    return recon


def reconciliation_text(reconciliations: list[Reconciliation]) -> str:
    """The printed reconciliation: one paragraph per file and year, then the verdict."""
    lines = []
    for recon in reconciliations:
        lines.append(recon.summary())
        lines += [f"  note: {note}" for note in recon.notes]
        if recon.mismatches:
            count = len(recon.mismatches)
            lines.append(f"  mismatches (first {min(count, MAX_PRINTED)} of {count}):")
            for m in recon.mismatches[:MAX_PRINTED]:
                lines.append(
                    f"    unit {m.unit_id} | group {m.group} | measure {m.measure} | "
                    f"{m.field}: published {m.published or '(empty)'} | "
                    f"recomputed {m.recomputed or '(empty)'}"
                )
    total = sum(len(r.mismatches) for r in reconciliations)
    lines.append(
        "AUDIT PASSED: no mismatches" if total == 0 else f"AUDIT FAILED: {total} mismatches"
    )
    return "\n".join(lines) + "\n"
