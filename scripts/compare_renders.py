"""Prove that two revisions publish the same reports: render both, compare every published file.

For behaviour-preserving changes (moving modules, HTML from templates, another
workbook writer). Each revision is checked out clean (``git clone --shared``
into a temporary directory, removed afterwards) and its pipeline run there,
one run at a time, on two inputs:

* ``default``: the synthetic förvaltning as the revision's params.yaml
  configures it, through ``dvc repro`` (``dvc repro drivers`` first, then
  ``dvc repro`` for the renders, so the render is timed on its own);
* ``foreign``: the input of tests/test_foreign_org.py (``foreign_org.write_input``
  "mixed", ``test_foreign_org._params``), generated once with the *base*
  checkout's test helpers and fed to both revisions through dvc.yaml's stage
  commands (``python -m analysis --params ... ingest/indexes/drivers/render``).

Then every file of the published sets (``reports/<year>/``) is compared:
figures.csv and drivers.csv byte for byte, workbooks by cell values, HTML by
visible text and images, PDFs by their pages' text, SHA256SUMS by the files it
lists. The only thing
masked is the git commit the provenance footer names (the HTML footer's
``Kodversion (git commit): <40 hex>`` and the workbook README's ``Git commit``
cell); scripts/compare/published.py says exactly what counts as equal.
``--mask-packages`` also masks the footer's package versions, for a comparison
across a deliberate change of dependencies.

Exit status: 0 when nothing differs, 1 on any difference, 2 when a command
fails (its stderr is shown). Run it with the project's virtualenv:

    .venv/bin/python scripts/compare_renders.py                # merge-base of main vs HEAD
    .venv/bin/python scripts/compare_renders.py --head WORKTREE --only foreign
    .venv/bin/python scripts/compare_renders.py --keep /tmp/cmp       # keep both outputs
    .venv/bin/python scripts/compare_renders.py --base-output /tmp/cmp/base  # reuse the base
    .venv/bin/python scripts/compare_renders.py --base-output A/base --head-output B/head
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from compare import runs
from compare.published import FileResult, compare_trees

REPO = Path(__file__).resolve().parents[1]
INPUTS = ("default", "foreign")
WORKTREE = "WORKTREE"
STATUSES = ("identical", "different", "missing", "extra")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base", metavar="REV", help="base revision (default: merge-base of main and head)"
    )
    parser.add_argument(
        "--head",
        metavar="REV",
        default="HEAD",
        help=f"head revision (default: HEAD), or {WORKTREE}: the working tree as it is",
    )
    parser.add_argument("--only", choices=INPUTS, help="render and compare only this input")
    parser.add_argument(
        "--base-output",
        metavar="DIR",
        type=Path,
        help="reuse the base's outputs instead of rendering it: DIR/base of an earlier --keep "
        "DIR, where it was written (its foreign params name their input by absolute path)",
    )
    parser.add_argument(
        "--head-output",
        metavar="DIR",
        type=Path,
        help="reuse the head's outputs instead of rendering it: DIR/head of an earlier --keep DIR",
    )
    parser.add_argument(
        "--mask-packages",
        action="store_true",
        help="also mask the footer's package versions (a deliberate dependency change)",
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        type=Path,
        help="new or empty directory to keep outputs and logs in",
    )
    parser.add_argument(
        "--details", metavar="N", type=int, default=20, help="show what differs in N files"
    )
    return parser.parse_args(argv)


class SetupError(RuntimeError):
    """The options cannot be carried out (a non-empty --keep, an incomplete --base-output)."""


def head_commit(spec: str) -> str:
    return runs.snapshot_worktree(REPO) if spec == WORKTREE else runs.resolve(REPO, spec)


def base_commit(spec: str | None, head: str) -> str:
    """``spec``, or where ``head`` left main."""
    return runs.git(REPO, "merge-base", "main", head) if spec is None else runs.resolve(REPO, spec)


def work_directory(keep: Path | None) -> Path:
    """``keep`` (new or empty), else a fresh temporary directory."""
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="compare-renders-"))
    if keep.exists() and any(keep.iterdir()):
        raise SetupError(f"--keep {keep}: not empty; give a new or empty directory")
    keep.mkdir(parents=True, exist_ok=True)
    return keep.resolve()


def render_revision(
    label: str, commit: str, inputs: tuple[str, ...], work: Path, foreign_params: Path | None
) -> Path:
    """Run ``commit``'s pipeline on each input; outputs under ``work/label/<input>``.

    Without ``foreign_params`` (the base) the foreign input is generated with
    this checkout's test helpers into ``work/label/foreign``.
    """
    print(f"[{label}] {commit}", flush=True)
    checkout = runs.clone_checkout(REPO, commit, work / "checkouts" / label)
    try:
        runs.link_shared(REPO, checkout)
        env = runs.pipeline_env(checkout)
        logs = work / "logs" / label
        runs.check_code_source(checkout, env, logs / "import")
        for name in inputs:
            out = work / label / name
            out.mkdir(parents=True)
            print(f"[{label}] {name}", flush=True)
            if name == "default":
                seconds = runs.run_default(checkout, env, logs / name)
                runs.move_published(checkout, out)
            else:
                params = foreign_params or runs.write_foreign_input(checkout, env, out, logs / name)
                seconds = runs.run_foreign(checkout, env, params, out, logs / name)
            runs.write_record(out, commit, seconds)
    finally:
        runs.remove_checkout(checkout)
    return work / label


def print_differences(name: str, results: list[FileResult], details: int) -> None:
    """Every file that is not identical; the details of the first ``details`` of them."""
    unequal = [r for r in results if r.status != "identical"]
    print(f"\n== {name}: {len(unequal)} of {len(results)} files not identical")
    for number, result in enumerate(unequal):
        print(f"  {result.status.upper():9} {result.path}")
        for line in result.details if number < details else ():
            print(f"      {line}")
    if len(unequal) > details:
        print(f"  (details of the first {details} shown; --details N for more)")


def format_seconds(record: dict, part: str) -> str:
    return f"{record['seconds'][part]:.1f} s"


def print_summary(table: dict[str, tuple[list[FileResult], dict, dict]]) -> None:
    """Per input: the counts by status and the base's and head's run times."""
    times = ("base stages", "base render", "head stages", "head render")
    header = ("input", "files", *STATUSES, *times)
    rows = [header]
    for name, (results, base, head) in table.items():
        counts = [sum(r.status == s for r in results) for s in STATUSES]
        seconds = [format_seconds(r, p) for r in (base, head) for p in ("stages", "render")]
        rows.append((name, str(len(results)), *map(str, counts), *seconds))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print("\nSummary (files: the union of both sets; stages: everything before the render)")
    for row in rows:
        print("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def compare_outputs(
    inputs: tuple[str, ...], base_out: Path, head_out: Path, details: int, packages_masked: bool
) -> dict[str, tuple[list[FileResult], dict, dict]]:
    """Each input's published sets compared and reported; the results and run records."""
    table = {}
    for name in inputs:
        results = compare_trees(
            base_out / name / "reports", head_out / name / "reports", packages_masked
        )
        print_differences(name, results, details)
        records = runs.read_record(base_out / name), runs.read_record(head_out / name)
        table[name] = (results, *records)
    return table


def reused_output(option: str, output: Path, inputs: tuple[str, ...]) -> tuple[str, Path]:
    """The commit that rendered ``output`` and the directory, checked to hold each input."""
    out = output.resolve()
    missing = [n for n in inputs if not (out / n / "run.json").is_file()]
    if missing:
        raise SetupError(f"{option} {output}: no {missing} output (DIR/<input>/run.json)")
    commits = {runs.read_record(out / n)["commit"] for n in inputs}
    if len(commits) != 1:
        raise SetupError(f"{option} {output}: rendered by several commits {commits}")
    return commits.pop(), out


def compare(args: argparse.Namespace) -> bool:
    """Render what needs rendering, compare, report; True when nothing differs."""
    inputs = (args.only,) if args.only else INPUTS
    if args.head_output is None:
        head, head_out = head_commit(args.head), None
    else:
        head, head_out = reused_output("--head-output", args.head_output, inputs)
    if args.base_output is None:
        base, base_out = base_commit(args.base, head), None
    else:
        base, base_out = reused_output("--base-output", args.base_output, inputs)
    print(f"base {base}  ({args.base_output or args.base or 'merge-base of main and head'})")
    print(f"head {head}  ({args.head})", flush=True)
    work = work_directory(args.keep)
    try:
        if base_out is None:
            base_out = render_revision("base", base, inputs, work, None)
        foreign_params = base_out / "foreign" / "params.yaml"
        if head_out is None:
            head_out = render_revision("head", head, inputs, work, foreign_params)
        table = compare_outputs(inputs, base_out, head_out, args.details, args.mask_packages)
    finally:
        if args.keep is None:
            shutil.rmtree(work)
    print_summary(table)
    if args.keep is not None:
        print(f"\nOutputs kept in {work}; reuse the base's with --base-output {base_out}")
    return all(r.status == "identical" for results, _, _ in table.values() for r in results)


def main(argv: list[str] | None = None) -> int:
    try:
        same = compare(parse_args(argv))
    except (runs.CommandError, SetupError) as error:
        print(f"compare_renders: {error}", file=sys.stderr)
        return 2
    print("\nNo difference." if same else "\nDIFFERENT: see above.")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
