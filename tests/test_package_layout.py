"""The package's shape: folders along the pipeline, imports flowing one way (issue 10).

Every import counts -- also those inside functions and under TYPE_CHECKING --
because a cycle hidden by a function-local import is still a cycle a reader
has to untangle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "analysis"
#: the folders in the order they may use each other: shared code first, a stage after the
#: tools it uses (indexes protects its figures with privacy), the command line last; the
#: analysts' API (explore) reads what the reports read and sums respondents as indexes does
FOLDERS = (
    "core",
    "synth",
    "ingest",
    "privacy",
    "indexes",
    "drivers",
    "report",
    "explore",
    "render",
    "audit",
    "pipeline",
)


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        found[".".join(p for p in parts if p != "__init__")] = path
    return found


def _imports() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (names relative to ``analysis``)."""
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if not node.module.startswith("analysis"):
                    continue
                base = node.module.removeprefix("analysis").removeprefix(".")
                for alias in node.names:
                    full = f"{base}.{alias.name}".lstrip(".")
                    graph[name].add(full if full in modules else base)
            elif isinstance(node, ast.Import):
                graph[name] |= {
                    a.name.removeprefix("analysis.")
                    for a in node.names
                    if a.name.startswith("analysis.")
                }
        graph[name] = {m for m in graph[name] if m in modules and m and m != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph, or []."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def _folder(module: str) -> str:
    return module.split(".")[0]


def test_every_module_lives_in_a_pipeline_folder() -> None:
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "__main__.py"}]
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert loose == []
    assert folders == set(FOLDERS)


def test_no_import_cycle_between_modules() -> None:
    assert _cycle(_imports()) == []


def test_folders_import_only_earlier_folders() -> None:
    """The one-way flow: a folder uses core and the stages before it, never a later one."""
    order = {name: i for i, name in enumerate(FOLDERS)}
    backwards = sorted(
        (module, target)
        for module, targets in _imports().items()
        for target in targets
        if module
        and "." in module
        and _folder(target) != _folder(module)
        and order[_folder(target)] > order[_folder(module)]
    )
    assert backwards == []


def test_the_display_rules_need_no_plotting_stack() -> None:
    code = "import sys, analysis.core.rounding; print('matplotlib' in sys.modules)"
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "False"
