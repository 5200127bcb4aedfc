"""A papermill engine on a warm kernel: one Jupyter kernel executes report after report.

Starting a kernel, importing pandas and matplotlib and reading the figures
table for each of some 800 reports would cost seconds per report, so a render
worker keeps one kernel alive (:class:`WarmKernel`) and papermill
parameterises each notebook and runs it through a small engine that reuses
that kernel. The user namespace is reset between reports; the loaded tables
stay cached in :mod:`analysis.report.processed`.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path
from typing import Any

import nbformat
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from analysis.core.provenance import PROJECT_ROOT
from analysis.render.errors import RenderError
from analysis.render.page import REMOVE_TAG

#: the project's Jupyter kernel (``make setup`` installs it into .venv with --sys-prefix);
#: the notebooks' kernelspec names it too, so `make lab` opens them on it
KERNEL_NAME = "medarbetarenkat"
WARM_ENGINE = "warm-kernel"


def check_kernel(kernel_name: str = KERNEL_NAME) -> Path:
    """The directory of the installed kernelspec, or a RenderError saying how to install it.

    Checked once before any worker starts: a missing kernel would otherwise
    surface as a jupyter_client traceback inside a spawned worker.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        return Path(KernelSpecManager().get_kernel_spec(kernel_name).resource_dir)
    except NoSuchKernel:
        raise RenderError(
            f"Jupyter kernel {kernel_name!r} is not installed for {sys.executable}: "
            "run `make setup` (it installs the project's kernel into .venv)"
        ) from None


def parameter_names(notebook: nbformat.NotebookNode) -> set[str]:
    """Names assigned in the ``parameters``-tagged cell (papermill only warns on unknown ones)."""
    for cell in notebook.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            tree = ast.parse(cell.source)
            return {
                target.id
                for node in tree.body
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
    raise RenderError("notebook has no cell tagged 'parameters'")


class _SharedKernelClient(PapermillNotebookClient):
    """papermill's client, but on a kernel client that outlives one notebook."""

    def __init__(self, nb_man: Any, km: Any, shared_kc: Any, **kw: Any) -> None:
        super().__init__(nb_man, km=km, **kw)
        self._shared_kc = shared_kc

    def start_new_kernel_client(self) -> Any:
        self.kc = self._shared_kc
        return self.kc

    async def async_start_new_kernel_client(self) -> Any:
        return self.start_new_kernel_client()


class WarmKernelEngine(NBClientEngine):
    """A papermill engine that executes on an already running kernel (``km``, ``kc``)."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        **kwargs: Any,
    ) -> Any:
        km, kc = kwargs.pop("km"), kwargs.pop("kc")
        kwargs.pop("input_path", None)
        client = _SharedKernelClient(
            nb_man,
            km=km,
            shared_kc=kc,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        return client.execute()


papermill_engines.register(WARM_ENGINE, WarmKernelEngine)


def kernel_environment() -> dict[str, str]:
    """The kernel's environment: this package importable, hash seed fixed."""
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2])  # src/analysis/render/ -> src
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    env["PYTHONHASHSEED"] = "0"
    return env


class WarmKernel:
    """One kernel kept alive for many notebooks, with its namespace reset between them."""

    # Deletes the user's names only. ``%reset`` would also run a full garbage
    # collection (0.2-0.8 s per report with the cached tables in memory); the
    # output cache is off (``cache_size=0``), so past outputs hold no memory.
    RESET = 'get_ipython().run_line_magic("reset_selective", "-f .")'
    KERNEL_ARGS = ("--InteractiveShell.cache_size=0", "--IPKernelApp.log_level=ERROR")

    def __init__(self, kernel_name: str = KERNEL_NAME, cwd: Path = PROJECT_ROOT) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.kernel_name = kernel_name
        self.km = AsyncKernelManager(kernel_name=kernel_name)
        run_sync(self.km.start_kernel)(
            cwd=str(cwd), env=kernel_environment(), extra_arguments=list(self.KERNEL_ARGS)
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=120)
        self._notebooks: dict[Path, nbformat.NotebookNode] = {}

    def _template(self, path: Path) -> nbformat.NotebookNode:
        if path not in self._notebooks:
            self._notebooks[path] = nbformat.read(path, as_version=4)
        return self._notebooks[path]

    def execute(
        self, notebook: Path, parameters: dict[str, Any], epilogue: str = ""
    ) -> nbformat.NotebookNode:
        """Run a fresh copy of ``notebook`` with ``parameters``, after a namespace reset.

        ``epilogue``, when given, is code run after the notebook's last cell in its
        namespace, in a hidden cell (the deck is written so: :mod:`analysis.render.deck`).
        """
        import papermill

        template = self._template(notebook)
        unknown = set(parameters) - parameter_names(template)
        if unknown:
            raise RenderError(f"{notebook}: unknown parameter(s) {sorted(unknown)}")
        nb = nbformat.from_dict(json.loads(json.dumps(template)))
        reset = nbformat.v4.new_code_cell(self.RESET, id="reset-namespace")
        reset.metadata["tags"] = [REMOVE_TAG]
        nb.cells.insert(0, reset)
        if epilogue:
            after = nbformat.v4.new_code_cell(epilogue, id="epilogue")
            after.metadata["tags"] = [REMOVE_TAG]
            nb.cells.append(after)
        return papermill.execute_notebook(
            nb,
            None,
            parameters=parameters,
            engine_name=WARM_ENGINE,
            kernel_name=self.kernel_name,
            progress_bar=False,
            request_save_on_cell_execute=False,
            km=self.km,
            kc=self.kc,
        )

    def shutdown(self) -> None:
        """Stop the kernel now (a worker's last act, or its parent died)."""
        from jupyter_core.utils import run_sync

        self.kc.stop_channels()
        run_sync(self.km.shutdown_kernel)(now=True)
