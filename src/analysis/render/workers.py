"""Render workers: ``jobs`` processes, each with one warm kernel, rendering planned reports.

Each worker executes report after report in its kernel
(:mod:`analysis.render.kernel`), turns each executed notebook into a page
(:mod:`analysis.render.page`) and writes it atomically; a report with a deck
has it written by the kernel after the notebook (:mod:`analysis.render.deck`). Workers are started
with "spawn" (no inherited threads or sockets) and stop their kernel when
the parent dies.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from analysis.core.atomic import write_bytes_atomic
from analysis.core.provenance import PROJECT_ROOT
from analysis.render.deck import epilogue as deck_epilogue
from analysis.render.errors import RenderError
from analysis.render.kernel import KERNEL_NAME, WarmKernel, check_kernel
from analysis.render.page import notebook_to_html
from analysis.render.plan import ReportJob

_KERNEL: WarmKernel | None = None


def _start_worker(kernel_name: str, cwd: str) -> None:
    """A worker's initializer: its one kernel, stopped when the worker or its parent ends."""
    from multiprocessing.util import Finalize

    global _KERNEL
    _KERNEL = WarmKernel(kernel_name, Path(cwd))
    Finalize(_KERNEL, _KERNEL.shutdown, exitpriority=10)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent died (killed render run) stops its kernel and exits."""
    while os.getppid() == parent:
        time.sleep(1.0)
    if _KERNEL is not None:
        try:
            _KERNEL.shutdown()
        finally:
            os._exit(1)
    os._exit(1)


def render_job(job: ReportJob, kernel: WarmKernel | None = None) -> Path:
    """Execute one report notebook and write its HTML (in a worker, or with ``kernel``);
    the kernel writes the report's deck too when the job has one."""
    kernel = kernel or _KERNEL
    if kernel is None:
        raise RenderError("render_job needs a kernel: call it in a render worker")
    after = "" if job.deck is None else deck_epilogue(job.deck)
    try:
        executed = kernel.execute(job.notebook, job.parameters, after)
    except Exception as error:  # papermill's errors do not pickle; keep the message
        raise RenderError(
            f"{job.kind} report {job.identifier!r} ({job.notebook.name}) failed:\n{error}"
        ) from None
    page = notebook_to_html(executed, job.title)
    write_bytes_atomic(page.encode("utf-8"), job.output)
    return job.output


def render_reports(
    planned: list[ReportJob],
    jobs: int = 2,
    progress: bool = True,
    desc: str = "rapporter",
    on_done: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Render the planned reports on ``jobs`` warm-kernel workers; paths in plan order.

    ``on_done`` is called with each written path as it completes (the bench
    times the reports with it).
    """
    from tqdm import tqdm

    check_kernel(KERNEL_NAME)
    written: dict[Path, Path] = {}
    workers = max(1, min(jobs, len(planned) or 1))
    with ProcessPoolExecutor(
        workers,
        mp_context=mp.get_context("spawn"),  # no inherited threads or sockets in the workers
        initializer=_start_worker,
        initargs=(KERNEL_NAME, str(PROJECT_ROOT)),
    ) as pool:
        futures = {pool.submit(render_job, job): job for job in planned}
        # In a log (CI, dvc repro piped) a redraw every 0.1 s floods the output: every 30 s.
        interval = 0.1 if sys.stderr.isatty() else 30.0
        with tqdm(
            total=len(planned),
            desc=desc,
            unit="rapport",
            disable=not progress,
            mininterval=interval,
        ) as bar:
            try:
                for future in as_completed(futures):
                    job = futures[future]
                    written[job.output] = future.result()
                    bar.update()
                    if on_done is not None:
                        on_done(written[job.output])
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    return [written[j.output] for j in planned]
