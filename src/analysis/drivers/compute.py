"""Old home of the driver analysis, kept for :mod:`analysis.audit.reconcile`.

The analysis now lives in one module per job: :mod:`~analysis.drivers.sample`,
:mod:`~analysis.drivers.targets`, :mod:`~analysis.drivers.bootstrap`,
:mod:`~analysis.drivers.borrowing`, :mod:`~analysis.drivers.table` and
:mod:`~analysis.drivers.drivers_csv`. The auditor (which keeps its own
arithmetic on purpose, and is not edited here) imports these two names from
this path; new code imports them from :mod:`analysis.drivers.bootstrap`.
"""

from __future__ import annotations

from analysis.drivers.bootstrap import bootstrap_importance, sample_seed

__all__ = ["bootstrap_importance", "sample_seed"]
