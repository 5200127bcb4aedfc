"""dvc.yaml declares what each stage really reads, so `dvc status` is never wrong.

A stage whose code imports a module that dvc.yaml does not list would not
re-run when that module changes, and its published output would silently be
stale (issue 2: "each declaring the params.yaml keys it reads"). The imports
are read from the source with ``ast``: the stage's function in
``analysis.stages`` (and the helpers it calls there), every ``analysis``
module those import - at any depth, also inside functions - and, for the
render stage, what the report notebooks import.
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
#: the stage in dvc.yaml -> its function in analysis.stages
STAGE_FUNCTIONS = {
    "synthesize": "run_synthesize",
    "ingest": "run_ingest_stage",
    "indexes": "run_indexes",
    "drivers": "run_drivers",
    "render": "run_render",
}
#: every stage runs `python -m analysis <stage>`: these modules always load
ENTRY_MODULES = {"__init__", "__main__", "cli", "stages"}
PARAM_SECTIONS = ("input", "report", "survey", "privacy", "levels", "targets", "drivers", "synth")


def analysis_imports(tree: ast.AST) -> set[str]:
    """Names of the ``analysis`` modules a piece of code imports."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] != "analysis":
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from analysis import report_data
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("analysis."))
    return found


def module_files(name: str) -> list[Path]:
    """A module's file; for a subpackage (a folder), all its modules."""
    folder = PACKAGE / name
    return sorted(folder.glob("*.py")) if folder.is_dir() else [PACKAGE / f"{name}.py"]


@cache
def module_tree(name: str) -> ast.Module:
    """A module's syntax tree; for a subpackage, all its modules' together."""
    files = module_files(name)
    body = [n for f in files for n in ast.parse(f.read_text(encoding="utf-8")).body]
    return ast.Module(body=body, type_ignores=[])


def module_level_imports(name: str) -> set[str]:
    tree = module_tree(name)
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return analysis_imports(ast.Module(body=imports, type_ignores=[]))


def stage_function_imports(function: str) -> set[str]:
    """Imports of a stages.py function and of the stages.py functions it calls."""
    functions = {n.name: n for n in module_tree("stages").body if isinstance(n, ast.FunctionDef)}
    seen: set[str] = set()
    todo = [function]
    found: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        body = functions[name]
        found |= analysis_imports(body)
        called = {
            n.func.id
            for n in ast.walk(body)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }
        todo += sorted(called & set(functions))
    return found


def notebook_imports(path: Path) -> set[str]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    source = "\n".join(
        "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"
    )
    return analysis_imports(ast.parse(source))


def modules_of_stage(stage: str, notebooks: list[Path]) -> set[str]:
    """Every analysis module the stage's command can load (entry modules excluded)."""
    start = stage_function_imports(STAGE_FUNCTIONS[stage]) | module_level_imports("stages")
    start |= module_level_imports("cli")
    for notebook in notebooks:
        start |= notebook_imports(notebook)
    seen: set[str] = set()
    todo = sorted(start)
    while todo:
        name = todo.pop()
        exists = (PACKAGE / f"{name}.py").is_file() or (PACKAGE / name).is_dir()
        if name in seen or name in ENTRY_MODULES or not exists:
            continue
        seen.add(name)
        todo += sorted(analysis_imports(module_tree(name)))
    return seen


def stages() -> dict[str, dict]:
    raw = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    return {name: body.get("do", body) for name, body in raw.items()}


def declared_modules(stage: dict) -> set[str]:
    deps = [d if isinstance(d, str) else next(iter(d)) for d in stage.get("deps", [])]
    return {
        d.removeprefix(PACKAGE_PREFIX).removesuffix(".py")
        for d in deps
        if d.startswith(PACKAGE_PREFIX)
    }


def declared_notebooks(stage: dict) -> list[Path]:
    deps = [d if isinstance(d, str) else next(iter(d)) for d in stage.get("deps", [])]
    return [ROOT / d for d in deps if d.endswith(".ipynb")]


def test_every_stage_of_the_pipeline_is_known_here() -> None:
    assert set(stages()) == set(STAGE_FUNCTIONS)


@pytest.mark.parametrize("stage", sorted(STAGE_FUNCTIONS))
def test_a_stage_lists_every_module_it_loads_and_no_other(stage: str) -> None:
    body = stages()[stage]
    needed = modules_of_stage(stage, declared_notebooks(body)) | {"cli", "stages", "errors"}
    declared = declared_modules(body)
    assert sorted(needed - declared) == [], f"{stage}: add these modules to its deps"
    assert sorted(declared - needed - {"__main__"}) == [], f"{stage}: it does not load these"


def test_the_render_stage_lists_every_report_notebook() -> None:
    from analysis.render import LEADER_NOTEBOOK, UNIT_NOTEBOOK

    listed = {p.name for p in declared_notebooks(stages()["render"])}
    assert {UNIT_NOTEBOOK, LEADER_NOTEBOOK} <= listed


@pytest.mark.parametrize("stage", sorted(STAGE_FUNCTIONS))
def test_a_stage_declares_every_params_section_its_code_reads(stage: str) -> None:
    """``params.<section>`` in any module the stage loads must be a declared param.

    Conservative (a module shared by stages counts for each), which is the
    safe direction: a missing declaration means a stale output.
    """
    body = stages()[stage]
    modules = modules_of_stage(stage, declared_notebooks(body))
    used = set()
    pattern = re.compile(r"\bparams\.(" + "|".join(PARAM_SECTIONS) + r")\b")
    for name in modules:
        for path in module_files(name):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    stage_source = ast.get_source_segment(
        (PACKAGE / "stages.py").read_text(encoding="utf-8"),
        next(
            n
            for n in module_tree("stages").body
            if isinstance(n, ast.FunctionDef) and n.name == STAGE_FUNCTIONS[stage]
        ),
    )
    used |= set(pattern.findall(stage_source or ""))
    declared = {p if isinstance(p, str) else next(iter(p)) for p in body.get("params", [])}
    assert sorted(used - declared) == [], f"{stage}: declare these params sections"


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
