"""dvc.yaml declares what each stage really reads, so `dvc status` is never wrong.

A stage whose code imports a module that dvc.yaml does not cover would not
re-run when that module changes, and its published output would silently be
stale (issue 2: "each declaring the params.yaml keys it reads"). dvc.yaml
lists folders (one per pipeline stage, issue 10), so the check is per
folder: the imports are read from the source with ``ast`` -- the stage's
module (``analysis.<folder>.stage``), the command line's module-level
imports, every ``analysis`` module those import at any depth (also inside
functions) and, for the render stage, what the report notebooks import --
and the folders they live in must be exactly the stage's source deps.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "analysis"
PACKAGE_PREFIX = "src/analysis/"
#: the stage in dvc.yaml -> the module holding its function
STAGE_MODULES = {
    "synthesize": "synth.stage",
    "ingest": "ingest.stage",
    "indexes": "indexes.stage",
    "drivers": "drivers.stage",
    "render": "render.stage",
}
#: every stage runs `python -m analysis <stage>` (src/analysis/__main__.py -> pipeline.cli)
ENTRY_MODULE = "pipeline.cli"
PARAM_SECTIONS = ("input", "report", "survey", "privacy", "levels", "targets", "drivers", "synth")


def _is_module(name: str) -> bool:
    path = PACKAGE.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def analysis_imports(tree: ast.AST) -> set[str]:
    """Dotted names (below ``analysis``) of the modules a piece of code imports."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] != "analysis":
                continue
            base = ".".join(parts[1:])
            for alias in node.names:  # `from analysis.report import sections` imports a module
                name = f"{base}.{alias.name}" if base else alias.name
                found.add(name if _is_module(name) else base)
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("analysis.")
                for a in node.names
                if a.name.startswith("analysis.")
            )
    return {name for name in found if name}


def module_files(name: str) -> list[Path]:
    """A module's file; for a package (a folder), all its modules."""
    path = PACKAGE.joinpath(*name.split("."))
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


@cache
def module_tree(name: str) -> ast.Module:
    """A module's syntax tree; for a package, all its modules' together."""
    body = [n for f in module_files(name) for n in ast.parse(f.read_text(encoding="utf-8")).body]
    return ast.Module(body=body, type_ignores=[])


def module_level_imports(name: str) -> set[str]:
    imports = [n for n in module_tree(name).body if isinstance(n, ast.Import | ast.ImportFrom)]
    return analysis_imports(ast.Module(body=imports, type_ignores=[]))


def notebook_imports(path: Path) -> set[str]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    source = "\n".join(
        "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"
    )
    return analysis_imports(ast.parse(source))


def modules_of_stage(stage: str, notebooks: list[Path]) -> set[str]:
    """Every analysis module the stage's command can load (its own module included)."""
    start = {STAGE_MODULES[stage], ENTRY_MODULE} | module_level_imports(ENTRY_MODULE)
    for notebook in notebooks:
        start |= notebook_imports(notebook)
    seen: set[str] = set()
    todo = sorted(start)
    while todo:
        name = todo.pop()
        if name in seen or not _is_module(name):
            continue
        seen.add(name)
        # the command line imports every stage lazily; only the stage's own branch runs
        tree = module_tree(name)
        todo += sorted(
            module_level_imports(name) if name == ENTRY_MODULE else analysis_imports(tree)
        )
    return seen


def folders_of(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def stages() -> dict[str, dict]:
    raw = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    return {name: body.get("do", body) for name, body in raw.items()}


def declared_folders(stage: dict) -> set[str]:
    deps = [d if isinstance(d, str) else next(iter(d)) for d in stage.get("deps", [])]
    return {d.removeprefix(PACKAGE_PREFIX) for d in deps if d.startswith(PACKAGE_PREFIX)}


def declared_notebooks(stage: dict) -> list[Path]:
    deps = [d if isinstance(d, str) else next(iter(d)) for d in stage.get("deps", [])]
    return [ROOT / d for d in deps if d.endswith(".ipynb")]


def test_every_stage_of_the_pipeline_is_known_here() -> None:
    assert set(stages()) == set(STAGE_MODULES)


@pytest.mark.parametrize("stage", sorted(STAGE_MODULES))
def test_a_stage_lists_the_folder_of_every_module_it_loads_and_no_other(stage: str) -> None:
    body = stages()[stage]
    needed = folders_of(modules_of_stage(stage, declared_notebooks(body)))
    declared = declared_folders(body)
    assert all((PACKAGE / d).is_dir() for d in declared), f"{stage}: deps are folders"
    assert sorted(needed - declared) == [], f"{stage}: add these folders to its deps"
    assert sorted(declared - needed) == [], f"{stage}: it loads nothing from these"


def test_each_stage_depends_on_its_own_folder() -> None:
    for stage, module in STAGE_MODULES.items():
        assert module.split(".")[0] in declared_folders(stages()[stage]), stage


def test_the_render_stage_lists_every_report_notebook() -> None:
    from analysis.render.plan import LEADER_NOTEBOOK, UNIT_NOTEBOOK

    listed = {p.name for p in declared_notebooks(stages()["render"])}
    assert {UNIT_NOTEBOOK, LEADER_NOTEBOOK} <= listed


@pytest.mark.parametrize("stage", sorted(STAGE_MODULES))
def test_a_stage_declares_every_params_section_its_code_reads(stage: str) -> None:
    """``params.<section>`` in any module the stage loads must be a declared param.

    Conservative (a module shared by stages counts for each), which is the
    safe direction: a missing declaration means a stale output. A stage may
    declare single keys instead of a section (``levels.good_from``): then each
    ``params.<section>.<key>`` it reads must be one of them.
    """
    body = stages()[stage]
    used = set()
    pattern = re.compile(r"\bparams\.(" + "|".join(PARAM_SECTIONS) + r")\b(?:\.(\w+))?")
    for name in modules_of_stage(stage, declared_notebooks(body)):
        for path in module_files(name):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    declared = {p if isinstance(p, str) else next(iter(p)) for p in body.get("params", [])}
    missing = {
        section if not key or f"{section}.{key}" not in declared else ""
        for section, key in used
        if section not in declared
    } - {""}
    assert sorted(missing) == [], f"{stage}: declare these params sections (or their keys)"


def _outs(stage: dict) -> dict[str, dict]:
    return {
        (o if isinstance(o, str) else next(iter(o))): (
            {} if isinstance(o, str) else o[next(iter(o))]
        )
        for o in stage.get("outs", [])
    }


def test_only_render_publishes_and_its_out_is_the_whole_year() -> None:
    """reports/<Y> is one out, kept by DVC before the run (render swaps it whole)."""
    body = stages()
    assert _outs(body["render"]) == {"reports/${item}": {"persist": True}}
    for stage in ("indexes", "drivers"):
        outs = _outs(body[stage])
        assert not [o for o in outs if o.startswith("reports")], stage
    assert "data/processed/${item}/figures.csv" in _outs(body["indexes"])
    assert "data/processed/${item}/drivers.csv" in _outs(body["drivers"])
    render_deps = set(body["render"]["deps"])
    assert {"data/processed/${item}/figures.csv", "data/processed/${item}/drivers.csv"} <= (
        render_deps
    )
