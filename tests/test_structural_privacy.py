"""Respondent-level rows never reach a report notebook - by construction, not by care.

The report notebooks may only call the package's report functions, and those
read only the suppressed tables in data/processed/<year>/. These checks fail
as soon as a notebook or the report layer reaches for respondent data.
Analysts' notebooks (``analysis.render.plan.ANALYST_NOTEBOOKS``, e.g. the
driver-method comparison) may read data/interim; they are never rendered
into a report, and every notebook must be listed as one kind or the other.
The analysts' API (``analysis.explore``) reads respondent rows in one module,
its ad-hoc breakdown's cells, and only the breakdown uses it; a report never
imports the API at all.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from analysis.render import plan

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Report notebooks (rendered into reports) are told apart from analysts'
# notebooks (which may read data/interim) by render/'s explicit lists.
REPORT_NOTEBOOKS = [ROOT / "notebooks" / name for name in plan.REPORT_NOTEBOOKS]
REPORT_LAYER = ROOT / "src" / "analysis" / "report"
REPORT_MODULES = sorted(p.relative_to(REPORT_LAYER).as_posix() for p in REPORT_LAYER.rglob("*.py"))
# What a notebook may import: the report context, its sections, the charts.
NOTEBOOK_MODULES = {
    "analysis.report",  # the package, through `from analysis.report import ...`
    "analysis.report.context",
    "analysis.report.sections",
    "analysis.report.plots",
}
# Modules and names that read or hold respondent-level data.
RESPONDENT_LEVEL = (
    "analysis.ingest",
    "analysis.synth",
    "analysis.core.dataset",
    "analysis.drivers.sample",
    "analysis.drivers.targets",
    "analysis.drivers.bootstrap",
    "analysis.drivers.borrowing",
    "analysis.drivers.table",
    "analysis.drivers.method_comparison",
    "analysis.drivers.stage",
    "analysis.explore",
)
EXPLORE = ROOT / "src" / "analysis" / "explore"
#: the analysts' API: the one module that sums respondent rows, and those that pass its
#: counts on to what a breakdown may show
EXPLORE_RESPONDENT_MODULES = {
    "__init__.py",
    "cells.py",
    "state.py",
    "counts.py",
    "values.py",
    "protection.py",
    "breakdown.py",
}
FORBIDDEN_NAMES = {"read_input", "SurveyData", "run_ingest", "read_csv", "read_excel", "open"}
FORBIDDEN_TEXT = ("data/interim", "data/raw", "data/synthetic", "responses.")


def _notebook_code(path: Path) -> str:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join(
        "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"
    )


def _is_module(dotted: str) -> bool:
    """A module or package of this project (``analysis.report.sections``), not a name in one."""
    path = ROOT / "src" / Path(*dotted.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def _imported_modules(tree: ast.AST) -> set[str]:
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            # `from analysis.report import sections` imports the module analysis.report.sections
            modules |= {
                f"{node.module}.{alias.name}"
                for alias in node.names
                if _is_module(f"{node.module}.{alias.name}")
            }
    return modules


def _called_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def test_every_notebook_is_either_a_report_or_an_analyst_notebook() -> None:
    """A new notebook must be classified before it can be committed."""
    names = [p.name for p in NOTEBOOKS]
    assert set(plan.REPORT_NOTEBOOKS).isdisjoint(plan.ANALYST_NOTEBOOKS)
    assert sorted(names) == sorted([*plan.REPORT_NOTEBOOKS, *plan.ANALYST_NOTEBOOKS])


def test_analyst_notebooks_are_never_rendered() -> None:
    planned = {plan.UNIT_NOTEBOOK, plan.LEADER_NOTEBOOK}
    assert planned == set(plan.REPORT_NOTEBOOKS)
    source = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "src" / "analysis" / "render").glob("*.py")
    )
    for name in plan.ANALYST_NOTEBOOKS:
        assert source.count(name) == 1, f"render/ uses {name} beyond listing it"


@pytest.mark.parametrize("path", REPORT_NOTEBOOKS, ids=lambda p: p.name)
def test_report_notebooks_import_only_the_report_layer(path: Path) -> None:
    tree = ast.parse(_notebook_code(path))
    imported = {m for m in _imported_modules(tree) if m.startswith("analysis.")}
    assert imported, f"{path.name} does not use the report layer"
    assert imported <= NOTEBOOK_MODULES, imported
    assert not _called_names(tree) & FORBIDDEN_NAMES
    code = _notebook_code(path)
    for text in FORBIDDEN_TEXT:
        assert text not in code, f"{path.name} mentions {text!r}"


@pytest.mark.parametrize("module", REPORT_MODULES)
def test_report_layer_never_touches_respondent_data(module: str) -> None:
    source = (REPORT_LAYER / module).read_text(encoding="utf-8")
    tree = ast.parse(source)
    assert not [m for m in _imported_modules(tree) if m.startswith(RESPONDENT_LEVEL)], module
    assert not _called_names(tree) & {"read_input", "SurveyData", "read_csv", "read_excel"}
    for text in FORBIDDEN_TEXT:
        assert text not in source, f"{module} mentions {text!r}"


@pytest.mark.parametrize(
    "module",
    sorted(p.name for p in EXPLORE.glob("*.py") if p.name not in EXPLORE_RESPONDENT_MODULES),
)
def test_explore_answers_read_only_the_published_tables(module: str) -> None:
    """The analysts' tidy tables and ready answers see what the reports see, no more."""
    tree = ast.parse((EXPLORE / module).read_text(encoding="utf-8"))
    imported = {m for m in _imported_modules(tree) if m.startswith("analysis.")}
    elsewhere = tuple(m for m in RESPONDENT_LEVEL if m != "analysis.explore")
    breakdown = {
        "analysis.explore",
        *(f"analysis.explore.{p[:-3]}" for p in EXPLORE_RESPONDENT_MODULES),
    }
    assert not [m for m in imported if m.startswith(elsewhere)], module
    assert not imported & breakdown, module
    assert not _called_names(tree) & FORBIDDEN_NAMES, module


def test_only_the_breakdowns_cells_sum_respondent_rows() -> None:
    """Of the analysts' API, one module uses the index engine's arithmetic on respondents."""
    for path in EXPLORE.glob("*.py"):
        names = {
            alias.name
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        if names & {"aggregate_cells", "measure_values", "build_tree"}:
            assert path.name == "cells.py", path.name
        if "SurveyData" in names:
            assert path.name in EXPLORE_RESPONDENT_MODULES, path.name


def test_report_loader_reads_only_the_processed_tables() -> None:
    """The loader names only the aggregate tables (and the run metadata) it may read."""
    read = {
        node.value
        for loader in ("processed.py", "processed_files.py")
        for node in ast.walk(ast.parse((REPORT_LAYER / loader).read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.endswith((".parquet", ".csv", ".json"))
    }
    allowed = {
        "figures.parquet",
        "units.parquet",
        "questions.parquet",
        "drivers.parquet",
        "drivers.json",
        "meta.json",
        # the optional input tables: the organisation's own plans and outside figures
        "action_plans.parquet",
        "benchmarks.parquet",
    }
    assert read <= allowed, read
