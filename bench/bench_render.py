"""Report rendering: warm-kernel workers (analysis.render.workers) against a naive CLI loop.

Renders the same N reports of one processed year three ways, side by side:

* naive: for each report, ``papermill`` CLI (new Python, new kernel, imports,
  data load) then ``jupyter nbconvert --to html --no-input``, one after another;
* warm, 1 job: analysis.render.workers's machinery on one worker (one warm kernel);
* warm, 2 jobs: the same on two workers, as ``render_year`` runs by default.

It prints seconds per report for each and the speed-ups, and extrapolates the
warm run to the whole year. The reports are spread evenly over the year's plan
(förvaltning, områden, enheter, leaders), so the mix is the year's mix.

The 2-worker run writes the decks of the förvaltning, the områden and the units
(analysis.render.deck) as the published set has them, so the whole year's
extrapolation includes them.

It also times the analysts' workbook of the year (analysis.render.workbook,
written beside the reports), three times, and the PDFs (analysis.render.pdf)
of the förvaltning's and områden's reports among those rendered, printed after
them, extrapolated to the year's (no target: it shows what the PDFs add).

Then PASS or FAIL against the targets of issues 4 and 10, exiting 1 on a miss:

* the warm 2-worker render is at least ``SPEEDUP_TARGET`` (4×) faster per
  report than the naive loop;
* the whole year, extrapolated at the 2-worker rate, takes under
  ``WHOLE_SET_TARGET_MIN`` (15) minutes on this machine.

    PYTHONPATH=src python bench/bench_render.py [--processed data/processed/2023] [--n 20]

``--n`` is the run's size: a small ``--n`` (e.g. 4) is a quick check, whose
extrapolation is rougher than the default 20's.

Without a processed year holding drivers.parquet it renders the tests' tiny
fixture organisation instead (and says so).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from analysis.core.provenance import PROJECT_ROOT  # noqa: E402
from analysis.render.kernel import KERNEL_NAME, check_kernel, kernel_environment  # noqa: E402
from analysis.render.pdf import write_pdfs  # noqa: E402
from analysis.render.plan import plan_reports  # noqa: E402
from analysis.render.reports import DECK_KINDS, PDF_KINDS  # noqa: E402
from analysis.render.workbook import workbook_bytes  # noqa: E402
from analysis.render.workers import render_reports  # noqa: E402

SPEEDUP_TARGET = 4.0  # warm 2 workers vs the naive CLI loop, per report
WHOLE_SET_TARGET_MIN = 15.0  # the whole year's reports, minutes
WORKBOOK_TARGET_S = 10.0  # the year's workbook, seconds (median of WORKBOOK_RUNS)
WORKBOOK_RUNS = 3
from analysis.core.params import load_params  # noqa: E402
from analysis.core.provenance import collect_provenance  # noqa: E402
from analysis.report.processed import load_processed_year  # noqa: E402


def processed_year(argument: str | None, scratch: Path) -> tuple[Path, object, str]:
    """The processed directory to render, its params, and a description."""
    candidates = [Path(argument)] if argument else sorted((ROOT / "data/processed").glob("*"))
    for candidate in candidates:
        if (candidate / "drivers.parquet").is_file() and (candidate / "meta.json").is_file():
            return candidate.resolve(), load_params(ROOT / "params.yaml"), str(candidate)
    if argument:
        sys.exit(f"{argument}: no drivers.parquet/meta.json (run `dvc repro` first)")
    import report_fixture

    directory = report_fixture.write_fixture(scratch / "processed" / str(report_fixture.YEAR))
    return directory, report_fixture.fixture_params(), "the tests' fixture organisation"


def spread(jobs: list, n: int) -> list:
    """n jobs evenly spaced over the plan (so the mix of report kinds is the year's)."""
    if n >= len(jobs):
        return list(jobs)
    step = len(jobs) / n
    return [jobs[int(i * step)] for i in range(n)]


def naive(jobs: list, out: Path) -> float:
    """papermill CLI + jupyter nbconvert CLI per report, one after another."""
    bin_dir = Path(sys.executable).parent
    env = kernel_environment()
    start = time.perf_counter()
    for number, job in enumerate(jobs):
        executed = out / f"{number}.ipynb"
        command = [str(bin_dir / "papermill"), str(job.notebook), str(executed)]
        for name, value in job.parameters.items():
            command += ["-r" if isinstance(value, str) else "-p", name, str(value)]
        command += [
            "-k",
            KERNEL_NAME,
            "--cwd",
            str(PROJECT_ROOT),
            "--no-progress-bar",
        ]
        subprocess.run(command, check=True, env=env, capture_output=True)
        subprocess.run(
            [str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True,
            env=env,
            capture_output=True,
        )
    return time.perf_counter() - start


def warm(jobs: list, workers: int) -> tuple[float, list[float]]:
    """Seconds for the run (worker and kernel start included) and each report's finish time."""
    start = time.perf_counter()
    finished: list[float] = []
    render_reports(
        jobs,
        workers,
        progress=False,
        on_done=lambda _: finished.append(time.perf_counter() - start),
    )
    return time.perf_counter() - start, finished


def whole_year_seconds(finished: list[float], total: int) -> float:
    """The year's render time: start-up (until the first report) plus the steady rate after it.

    Multiplying the run's seconds per report by the year's count would count
    the workers' start-up (spawn, kernel, imports, loading the tables) once per
    report - far too much for a small ``--n``.
    """
    if len(finished) < 2:
        return finished[-1] * total
    rate = (finished[-1] - finished[0]) / (len(finished) - 1)
    return finished[0] + rate * (total - 1)


def workbook_seconds(data: object, provenance: dict) -> list[float]:
    """Seconds to build the year's workbook, once per run."""
    runs = []
    for _ in range(WORKBOOK_RUNS):
        start = time.perf_counter()
        workbook_bytes(data, provenance)
        runs.append(time.perf_counter() - start)
    return runs


def verdicts(speedup: float, whole_set_min: float, workbook_s: float) -> list[tuple[bool, str]]:
    """Each target with whether it was met, as the lines the bench prints."""
    return [
        (
            speedup >= SPEEDUP_TARGET,
            f"warm 2 workers {speedup:.1f}x faster than the naive loop "
            f"(target at least {SPEEDUP_TARGET:.0f}x)",
        ),
        (
            whole_set_min < WHOLE_SET_TARGET_MIN,
            f"whole year {whole_set_min:.1f} min at the 2-worker rate "
            f"(target under {WHOLE_SET_TARGET_MIN:.0f} min)",
        ),
        (
            workbook_s < WORKBOOK_TARGET_S,
            f"workbook {workbook_s:.1f} s, median of {WORKBOOK_RUNS} "
            f"(target under {WORKBOOK_TARGET_S:.0f} s)",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processed", help="data/processed/<year> (default: the first built)")
    parser.add_argument("--n", type=int, default=20, help="reports per method (default 20)")
    args = parser.parse_args()
    check_kernel()  # before timing anything: a missing kernel says `make setup`

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        directory, params, described = processed_year(args.processed, scratch)
        data = load_processed_year(directory)
        provenance_record = collect_provenance(data, params)
        provenance = json.dumps(provenance_record, sort_keys=True)
        plans = {
            name: plan_reports(data, scratch / name, provenance)
            for name in ("naive", "warm1", "warm2")
        }
        # the 2-worker run renders as the published set does: with the decks
        plans["warm2"] = [j.with_deck() if j.kind in DECK_KINDS else j for j in plans["warm2"]]
        chosen = {name: spread(plan, args.n) for name, plan in plans.items()}
        n = len(chosen["naive"])
        kinds = {}
        for job in chosen["naive"]:
            kinds[job.kind] = kinds.get(job.kind, 0) + 1
        print(f"bench_render: {described}, year {data.year}: {n} of {len(plans['naive'])} reports")
        print(f"  mix: {kinds}")

        (scratch / "naive").mkdir()
        t_naive = naive(chosen["naive"], scratch / "naive")
        t_warm1, _ = warm(chosen["warm1"], 1)
        t_warm2, finished = warm(chosen["warm2"], 2)
        printed = [job.output for job in chosen["warm2"] if job.kind in PDF_KINDS]
        start = time.perf_counter()
        write_pdfs(printed)
        t_pdfs = time.perf_counter() - start
        workbook_runs = workbook_seconds(data, provenance_record)

    rows = [
        ("naive papermill + nbconvert CLI loop", t_naive),
        ("warm kernel, 1 worker", t_warm1),
        ("warm kernels, 2 workers (render_year)", t_warm2),
    ]
    for label, seconds in rows:
        print(f"  {label:40s} {seconds:8.1f} s  {seconds / n:6.2f} s/report")
    print(f"  speed-up, warm 1 worker vs naive:   {t_naive / t_warm1:5.1f}x")
    print(f"  speed-up, warm 2 workers vs naive:  {t_naive / t_warm2:5.1f}x")
    total = len(plans["naive"])
    decks = sum(job.deck is not None for job in chosen["warm2"])
    whole_set_min = whole_year_seconds(finished, total) / 60
    print(
        f"  whole year ({total} reports), 2 workers: start-up {finished[0]:.1f} s, then "
        f"{(finished[-1] - finished[0]) / max(n - 1, 1):.2f} s/report: {whole_set_min:.1f} min "
        f"(without the Excel workbook; with the decks, {decks} in this run)"
    )
    year_pdfs = sum(job.kind in PDF_KINDS for job in plans["warm2"])
    print(
        f"  PDFs: {len(printed)} printed in {t_pdfs:.1f} s (Chromium's start included); "
        f"the year's {year_pdfs}: about {t_pdfs / max(len(printed), 1) * year_pdfs:.0f} s"
    )
    workbook_median = sorted(workbook_runs)[len(workbook_runs) // 2]
    print(
        f"  workbook ({len(data.figures):,} figure rows, {len(data.drivers):,} driver rows): "
        + ", ".join(f"{seconds:.1f} s" for seconds in workbook_runs)
    )
    results = verdicts(t_naive / t_warm2, whole_set_min, workbook_median)
    for met, line in results:
        print(f"  {'PASS' if met else 'FAIL'}  {line}")
    return 0 if all(met for met, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
