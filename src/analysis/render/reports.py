"""Render one year's reports: papermill in warm kernels, nbconvert to self-contained HTML.

A year has one förvaltning report, one per område, one per school/department
and one per manager - some 800 on the synthetic default. Starting a kernel,
importing pandas and matplotlib and reading the figures table for each of them
would cost seconds per report, so ``jobs`` worker processes each keep one
kernel alive and execute report after report in it (papermill parameterises
the notebook and runs it through a small engine that reuses the kernel; the
user namespace is reset between reports, the loaded tables stay cached in
:mod:`analysis.report.data`). Each worker then converts its notebook with
nbconvert's HTMLExporter (no code, no prompts) into a page with no external
resources, and writes it atomically.

Provenance (input hash, params, git commit and dirtiness, package versions)
is computed once per run and handed to every notebook as a parameter, so all
reports of a run carry the same footer. Nothing time-dependent goes into an
output: cell ids and metadata are normalised, PNGs carry no timestamp, and the
Excel workbook has fixed document times and zip entry times.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import multiprocessing as mp
import os
import shutil
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
from openpyxl.utils import get_column_letter
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from analysis.core.atomic import write_bytes_atomic
from analysis.core.contract import (
    DRIVERS_CSV_COLUMNS,
    FIGURES_CSV_COLUMNS,
    MANAGER_PREFIX,
)
from analysis.core.params import Params
from analysis.core.provenance import PROJECT_ROOT, collect_provenance, effective_params
from analysis.core.publish import is_publication, publication
from analysis.report.data import (
    ENHET,
    FORVALTNING,
    LEDARE,
    OMRADE,
    ProcessedYear,
    load_processed_year,
    report_path,
)

#: the project's Jupyter kernel (``make setup`` installs it into .venv with --sys-prefix);
#: the notebooks' kernelspec names it too, so `make lab` opens them on it
KERNEL_NAME = "medarbetarenkat"
WARM_ENGINE = "warm-kernel"
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
UNIT_NOTEBOOK = "unit_report.ipynb"
LEADER_NOTEBOOK = "leader_report.ipynb"
#: the notebooks rendered into reports: they read only data/processed/<year>/
#: (tests/test_structural_privacy.py holds them to that)
REPORT_NOTEBOOKS = (UNIT_NOTEBOOK, LEADER_NOTEBOOK)
#: analysts' notebooks: they may read respondent-level data/interim and are
#: never rendered into a report; every notebook is in exactly one of the lists
ANALYST_NOTEBOOKS = ("explore_drivers.ipynb",)
REMOVE_TAG = "remove-cell"
#: fixed document and zip-entry time of the workbook, so its bytes repeat
WORKBOOK_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)


class RenderError(RuntimeError):
    """A report could not be rendered (the message names the report and the failing cell)."""


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


# ---------------------------------------------------------------------------
# Which reports a year has
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportJob:
    """One report to render: which notebook, with which parameters, to which file."""

    kind: str
    identifier: str
    notebook: Path
    parameters: dict[str, Any]
    output: Path
    title: str


def plan_reports(
    data: ProcessedYear,
    out_dir: Path,
    provenance_json: str,
    notebook_dir: Path = NOTEBOOK_DIR,
) -> list[ReportJob]:
    """The year's reports: förvaltning, each område, each unit under an område, each manager.

    Heaviest first, so the parallel workers finish together.
    """
    processed_dir = str(data.directory)
    year = data.year
    unit_nb, leader_nb = notebook_dir / UNIT_NOTEBOOK, notebook_dir / LEADER_NOTEBOOK
    jobs: list[ReportJob] = []

    def unit_job(kind: str, unit_id: str) -> ReportJob:
        return ReportJob(
            kind,
            unit_id,
            unit_nb,
            {
                "year": year,
                "unit_id": unit_id,
                "processed_dir": processed_dir,
                "provenance_json": provenance_json,
            },
            out_dir / report_path(kind, unit_id),
            f"Medarbetarenkät {year} – {data.unit_name(unit_id)}",
        )

    root = data.root_id
    jobs.append(unit_job(FORVALTNING, root))
    omraden = data.children.get(root, [])
    jobs.extend(unit_job(OMRADE, o) for o in omraden)
    jobs.extend(unit_job(ENHET, u) for o in omraden for u in data.children.get(o, []))
    for manager in data.managers:
        manager_id = manager[len(MANAGER_PREFIX) :]
        jobs.append(
            ReportJob(
                LEDARE,
                manager_id,
                leader_nb,
                {
                    "year": year,
                    "manager_id": manager_id,
                    "processed_dir": processed_dir,
                    "provenance_json": provenance_json,
                },
                out_dir / report_path(LEDARE, manager),
                f"Ledarrapport {year} – chef {manager_id}",
            )
        )
    stray = sorted({j.notebook.name for j in jobs} - set(REPORT_NOTEBOOKS))
    if stray:  # pragma: no cover - a programming error: only report notebooks render
        raise RenderError(f"not report notebooks: {stray}")
    outputs = [j.output for j in jobs]
    if len(set(outputs)) != len(outputs):
        dupes = sorted({str(p) for p in outputs if outputs.count(p) > 1})
        raise RenderError(f"two reports would be written to the same file: {dupes[:5]}")
    return jobs


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


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; margin: 2rem auto; max-width: 62rem;
  padding: 0 1rem; background: #fff; }}
.jp-Cell, .jp-OutputArea-output {{ margin: 0; padding: 0; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""


def normalise_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what differs between runs or shows nothing: timings, random ids, silent cells."""
    kept = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if REMOVE_TAG in tags:
            continue
        if cell.cell_type == "code" and not cell.get("outputs"):
            continue  # parameters, imports: nothing to show
        kept.append(cell)
    for number, cell in enumerate(kept):
        cell["id"] = f"cell-{number}"
        cell["metadata"] = {}
        if cell.cell_type == "code":
            cell["execution_count"] = None
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = None
                output["metadata"] = {}
    nb.cells = kept
    nb.metadata = {"language_info": {"name": "python"}}
    return nb


def _exporter() -> Any:
    from nbconvert import HTMLExporter

    # The "basic" template emits only the cells: no require.js or MathJax from a
    # CDN, no notebook CSS; the page around it is ours (PAGE).
    return HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )


def notebook_to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """The executed notebook as a self-contained page (no code, no prompts, no network)."""
    import html

    body, _ = _exporter().from_notebook_node(normalise_notebook(nb))
    return PAGE.format(title=html.escape(title), body=body.strip())


# ---------------------------------------------------------------------------
# Warm-kernel execution
# ---------------------------------------------------------------------------


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

    def execute(self, notebook: Path, parameters: dict[str, Any]) -> nbformat.NotebookNode:
        import papermill

        template = self._template(notebook)
        unknown = set(parameters) - parameter_names(template)
        if unknown:
            raise RenderError(f"{notebook}: unknown parameter(s) {sorted(unknown)}")
        nb = nbformat.from_dict(json.loads(json.dumps(template)))
        reset = nbformat.v4.new_code_cell(self.RESET, id="reset-namespace")
        reset.metadata["tags"] = [REMOVE_TAG]
        nb.cells.insert(0, reset)
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
        from jupyter_core.utils import run_sync

        self.kc.stop_channels()
        run_sync(self.km.shutdown_kernel)(now=True)


_KERNEL: WarmKernel | None = None


def _start_worker(kernel_name: str, cwd: str) -> None:
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
    """Execute one report notebook and write its HTML (in a worker, or with ``kernel``)."""
    kernel = kernel or _KERNEL
    if kernel is None:
        raise RenderError("render_job needs a kernel: call it in a render worker")
    try:
        executed = kernel.execute(job.notebook, job.parameters)
    except Exception as error:  # papermill's errors do not pickle; keep the message
        raise RenderError(
            f"{job.kind} report {job.identifier!r} ({job.notebook.name}) failed:\n{error}"
        ) from None
    page = notebook_to_html(executed, job.title)
    write_bytes_atomic(page.encode("utf-8"), job.output)
    return job.output


# ---------------------------------------------------------------------------
# Excel workbook
# ---------------------------------------------------------------------------

FIGURE_SHEET_COLUMNS = FIGURES_CSV_COLUMNS
DRIVER_SHEET_COLUMNS = DRIVERS_CSV_COLUMNS
#: rows in one Excel worksheet, the header row included (Excel 2007 and later)
EXCEL_MAX_ROWS = 1_048_576


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value


def _readme_rows(data: ProcessedYear, provenance: dict[str, Any]) -> list[list[Any]]:
    git = provenance.get("git", {})
    min_group_size = effective_params(provenance).privacy.min_group_size
    return [
        [f"Medarbetarenkät {data.year} – tabeller"],
        [],
        ["Blad", "Innehåll"],
        [
            "figurer",
            "Alla siffror som årets rapporter visar: samma rader i samma ordning som "
            "figures.csv, också tidigare års rader (kolumnen year), plus enhetens namn.",
        ],
        [
            "drivkrafter",
            "Drivkraftsanalysen per enhet: samma rader i samma ordning som drivers.csv.",
        ],
        [],
        ["Kolumn", "Betydelse"],
        ["group", "all, eller gender=…, age_group=…, role=… (etiketten som i indata)"],
        [
            "measure",
            "AMI, AMI.Motivation, AMI.Ledarskap, AMI.Styrning, area:<område>, "
            "leadership, q:<fråga>, response_rate",
        ],
        ["n", "antal svarande som värdet vilar på"],
        [
            "value",
            "index 0–100 (svarsfrekvens i procent), full precision; tomt = dolt (se suppression)",
        ],
        ["change", "value minus föregående års värde där jämförbart; tomt annars"],
        ["suppression", "varför n, value och change är tomma:"],
        ["suppression = (tomt)", "siffran är publicerad"],
        [
            "suppression = threshold",
            f"siffran vilar på färre än {min_group_size} svarande; rapporterna visar ”för få svar”",
        ],
        [
            "suppression = complementary",
            "siffran vilar på tillräckligt många svarande men döljs, eftersom den tillsammans med "
            f"andra siffror skulle avslöja en grupp med färre än {min_group_size} svarande; "
            "rapporterna visar ”dold för att skydda en mindre grupp”",
        ],
        [
            "importance_from",
            "enheten vars analys gav vikterna (en överordnad enhet för små enheter)",
        ],
        [
            "basis",
            "own = egen analys, borrowed = lånade vikter, own_below_min_n = förvaltningens "
            "egen analys på färre svarande än drivers.min_n (tolka försiktigt)",
        ],
        [],
        [
            "Avrundning",
            "Rapporterna avrundar halvt uppåt (79,5 → 80); tabellerna har full precision.",
        ],
        [
            "Sekretess",
            f"Ett värde publiceras bara om det vilar på minst {min_group_size} svarande, och "
            "inget dolt värde får gå att räkna fram ur publicerade (docs/privacy.md).",
        ],
        [],
        ["Indata (SHA-256)", provenance.get("input_sha256", "")],
        ["Underkända rader", int(data.rows_rejected)],
        ["Git commit", git.get("commit") or "okänd"],
        ["Ej incheckade ändringar", {True: "ja", False: "nej"}.get(git.get("dirty"), "okänt")],
        [
            "Parametrar",
            "Per steg de avsnitt i params.yaml som steget läser, som de var när steget kördes: "
            + json.dumps(provenance.get("params", {}), ensure_ascii=False, sort_keys=True),
        ],
    ]


def _column_values(series: pd.Series) -> list[Any]:
    """A column as plain Python values, None where the published table is empty."""
    return [_cell(v) for v in series.tolist()]


def _sheet_data_xml(sheet: str, header: list[str], columns: list[list[Any]]) -> Iterable[str]:
    """The ``<row>`` elements of a worksheet: header, then one row per table row.

    Written here rather than through openpyxl, which formats floats with
    ``%.16g`` (losing the last digit figures.csv keeps) and needs ~45 s for
    the half million rows of the synthetic default. A float is written as
    ``repr`` (the shortest text that reads back to the same double), a string
    inline, an empty value as no cell at all.
    """
    from xml.sax.saxutils import escape

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    letters = [get_column_letter(i) for i in range(1, len(header) + 1)]

    def text_cell(ref: str, value: str, row: int) -> str:
        if ILLEGAL_CHARACTERS_RE.search(value):
            raise RenderError(
                f"workbook sheet {sheet!r}, row {row}: {value!r} holds a control character "
                "that an .xlsx file cannot store"
            )
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'

    yield (
        '<row r="1">'
        + "".join(text_cell(f"{c}1", h, 1) for c, h in zip(letters, header, strict=True))
        + "</row>"
    )
    for row, values in enumerate(zip(*columns, strict=True), start=2):
        cells = []
        for letter, value in zip(letters, values, strict=True):
            if value is None or value == "":
                continue
            ref = f"{letter}{row}"
            if isinstance(value, str):
                cells.append(text_cell(ref, value, row))
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise RenderError(f"workbook sheet {sheet!r}, row {row}: cannot write {value!r}")
            else:
                cells.append(f'<c r="{ref}" t="n"><v>{value!r}</v></c>')
        yield f'<row r="{row}">' + "".join(cells) + "</row>"


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML file in the archive (from workbook.xml and its relations)."""
    from xml.etree import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    paths = {}
    for sheet in book.iter(f"{main}sheet"):
        target = targets[sheet.get(f"{rel_ns}id")].lstrip("/")
        paths[sheet.get("name")] = target if target.startswith("xl/") else f"xl/{target}"
    return paths


def _fixed_zip(raw: bytes, sheet_rows: dict[str, Iterable[str]] | None = None) -> bytes:
    """Rewrite a zip with fixed entry times (and the same order and compression).

    ``sheet_rows`` fills the (empty) ``<sheetData>`` of the named worksheets
    with the given ``<row>`` elements, streamed into the archive.
    """
    sheet_rows = sheet_rows or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target,
    ):
        paths = {
            path: sheet_rows[name]
            for name, path in _sheet_paths(source).items()
            if name in sheet_rows
        }
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=WORKBOOK_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            content = source.read(info.filename)
            if info.filename not in paths:
                target.writestr(fixed, content)
                continue
            before, empty, after = content.decode("utf-8").partition("<sheetData></sheetData>")
            if not empty:
                raise RenderError(f"{info.filename}: expected an empty <sheetData> to fill")
            with target.open(fixed, "w", force_zip64=True) as stream:
                stream.write(f"{before}<sheetData>".encode())
                chunk: list[str] = []
                for row in paths[info.filename]:
                    chunk.append(row)
                    if len(chunk) == 10_000:
                        stream.write("".join(chunk).encode("utf-8"))
                        chunk = []
                stream.write("".join(chunk).encode("utf-8"))
                stream.write(f"</sheetData>{after}".encode())
    return out.getvalue()


def _check_sheet_size(sheet: str, rows: int, source: str) -> None:
    """Refuse a table that does not fit in one worksheet (Excel would cut it silently)."""
    if rows + 1 > EXCEL_MAX_ROWS:
        raise RenderError(
            f"the workbook's sheet {sheet!r} would need {rows + 1:,} rows (header included), "
            f"more than Excel's {EXCEL_MAX_ROWS:,}; the analysts' workbook cannot hold every "
            f"row of {source}. Use {source} itself, or report fewer years per run."
        )


def workbook_bytes(data: ProcessedYear, provenance: dict[str, Any]) -> bytes:
    """The year's figures and drivers as an .xlsx (README, figurer, drivkrafter), byte-stable.

    The data sheets hold exactly the rows of figures.csv and drivers.csv, in
    the files' order, with the same numbers (empty where the file is empty).
    """
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    # Every row of figures.csv, earlier years too, in the file's order (the
    # table is sorted by unit for lookups; its index keeps the file's order).
    figures = data.figures.sort_index(kind="stable")
    drivers = data.drivers
    _check_sheet_size("figurer", len(figures), "figures.csv")
    _check_sheet_size("drivkrafter", len(drivers), "drivers.csv")

    wb = Workbook(write_only=True)
    wb.properties.creator = "medarbetarenkat-analysis"
    wb.properties.lastModifiedBy = "medarbetarenkat-analysis"
    wb.properties.title = f"Medarbetarenkät {data.year}"
    wb.properties.created = WORKBOOK_TIME
    wb.properties.modified = WORKBOOK_TIME

    readme = wb.create_sheet("README")
    for row in _readme_rows(data, provenance):
        readme.append(row)

    names = {
        u: data.unit_name(u)
        for u in figures["unit_id"].unique()
        if u in data.unit_index or u.startswith(MANAGER_PREFIX)
    }
    figure_columns = [_column_values(figures[c]) for c in FIGURE_SHEET_COLUMNS]
    figure_columns.append([names.get(u, "") for u in figures["unit_id"]])

    driver_columns = [_column_values(drivers[c]) for c in DRIVER_SHEET_COLUMNS]

    wb.create_sheet("figurer")  # filled below, straight into the archive
    wb.create_sheet("drivkrafter")
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()  # not wb.save(): that stamps "modified" with now()
    return _fixed_zip(
        raw.getvalue(),
        {
            "figurer": _sheet_data_xml(
                "figurer", [*FIGURE_SHEET_COLUMNS, "unit_name"], figure_columns
            ),
            "drivkrafter": _sheet_data_xml("drivkrafter", DRIVER_SHEET_COLUMNS, driver_columns),
        },
    )


def workbook_path(out_dir: Path, year: int) -> Path:
    return out_dir / f"medarbetarenkat_{year}.xlsx"


def write_workbook(data: ProcessedYear, provenance: dict[str, Any], out_dir: Path) -> Path:
    path = workbook_path(out_dir, data.year)
    write_bytes_atomic(workbook_bytes(data, provenance), path)
    return path


# ---------------------------------------------------------------------------
# The year
# ---------------------------------------------------------------------------


def render_year(
    year: int,
    processed_dir: Path,
    out_dir: Path,
    params: Params,
    jobs: int = 2,
    only: Iterable[str] | None = None,
    notebook_dir: Path = NOTEBOOK_DIR,
    progress: bool = True,
) -> list[Path]:
    """Publish ``year``'s whole set as ``out_dir`` (reports/<Y>/), or render a subset into it.

    Without ``only`` this is the publication: every report, the workbook and
    the stages' ``figures.csv`` and ``drivers.csv`` (copied byte for byte from
    ``processed_dir``) are written into a staging directory and swapped in
    whole by :func:`analysis.core.publish.publication`; files of the previous set
    that the new one lacks are gone, and a failure leaves the previous set
    untouched.

    ``only`` (output paths relative to ``out_dir``, e.g. ``["index.html",
    "enhet/A.html"]``) is for tests and quick looks, and is not a
    publication: it writes straight into ``out_dir``, a scratch directory,
    with no staging and no ``SHA256SUMS``; it refuses a directory holding a
    publication and the project's own ``reports/<Y>``, so a partial set never
    passes for the published one. The workbook is always written, the CSVs
    are copied when ``processed_dir`` has them.

    Returns the written paths: reports in plan order, then the workbook.
    Workers are started with "spawn": a script calling this needs the usual
    ``if __name__ == "__main__":`` guard (``python -m analysis`` is safe).
    """
    processed_dir = Path(processed_dir).resolve()
    out_dir = Path(out_dir).resolve()
    data = load_processed_year(processed_dir)
    if data.year != year:
        raise RenderError(f"{processed_dir / 'meta.json'}: holds year {data.year}, not {year}")
    provenance = collect_provenance(data, params)
    if only is None:
        for name in PUBLISHED_CSVS:
            if not (processed_dir / name).is_file():
                raise RenderError(
                    f"{processed_dir / name} is missing: the indexes and drivers stages "
                    "write it; run `dvc repro`"
                )
        with publication(out_dir) as staging:
            written = _render_into(
                staging, data, provenance, processed_dir, jobs, None, notebook_dir, progress
            )
        return [out_dir / p.relative_to(staging) for p in written]
    if is_publication(out_dir) or out_dir == (PROJECT_ROOT / "reports" / str(year)).resolve():
        raise RenderError(
            f"{out_dir} is where year {year} is published; a subset (only=...) goes to a "
            "scratch directory, the whole set comes from a run without `only`"
        )
    return _render_into(
        out_dir, data, provenance, processed_dir, jobs, only, notebook_dir, progress
    )


#: the stages' tables (data/processed/<Y>/) that a publication carries beside the reports
PUBLISHED_CSVS = ("figures.csv", "drivers.csv")


def _render_into(
    out_dir: Path,
    data: ProcessedYear,
    provenance: dict[str, Any],
    processed_dir: Path,
    jobs: int,
    only: Iterable[str] | None,
    notebook_dir: Path,
    progress: bool,
) -> list[Path]:
    """Reports, workbook and the stages' CSVs into ``out_dir``; the written paths."""
    provenance_json = json.dumps(provenance, ensure_ascii=False, sort_keys=True)
    planned = plan_reports(data, out_dir, provenance_json, Path(notebook_dir).resolve())
    if only is not None:
        wanted = {str(p) for p in only}
        planned = [j for j in planned if j.output.relative_to(out_dir).as_posix() in wanted]
        missing = wanted - {j.output.relative_to(out_dir).as_posix() for j in planned}
        if missing:
            raise RenderError(f"no such report in {data.year}: {sorted(missing)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in PUBLISHED_CSVS:
        if (processed_dir / name).is_file():
            shutil.copyfile(processed_dir / name, out_dir / name)

    with ThreadPoolExecutor(1) as side:
        # the workbook is written beside the workers (the main process is idle meanwhile)
        workbook = side.submit(write_workbook, data, provenance, out_dir)
        reports = render_reports(planned, jobs, progress, desc=f"rapporter {data.year}")
        workbook_file = workbook.result()
    return [*reports, workbook_file]


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
