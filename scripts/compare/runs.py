"""Clean checkouts of a revision and the project's pipeline run in them.

A checkout is ``git clone --shared`` of the repository's object store, at a
detached commit: it only reads the repository (no worktree is registered),
and it is a complete git repository, so DVC and the report footer's
``git_state`` see a clean clone. The pipeline runs on this interpreter's
virtualenv with the checkout's ``src`` first on PYTHONPATH, because the
virtualenv's editable install points at another checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

VENV_BIN = Path(sys.executable).parent
FOREIGN_INPUT_SCRIPT = Path(__file__).with_name("foreign_input.py")
STDERR_SHOWN = 100  # lines of a failed command's stderr


class CommandError(RuntimeError):
    """A command failed; the message carries its stderr."""


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise CommandError(f"git {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


def resolve(repo: Path, revision: str) -> str:
    """The full commit hash a revision names."""
    return git(repo, "rev-parse", "--verify", f"{revision}^{{commit}}")


def snapshot_worktree(repo: Path) -> str:
    """A commit of the working tree as it is, untracked files too; index and refs untouched.

    Built in a temporary index, so that a checkout of it is clean and the
    footer's "uncommitted changes" reads the same as for a committed base.
    """
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(repo, "add", "--all", env=env)
        tree = git(repo, "write-tree", env=env)
    return git(repo, "commit-tree", tree, "-p", "HEAD", "-m", "compare_renders: working tree")


def clone_checkout(repo: Path, commit: str, dest: Path) -> Path:
    """A clean clone of ``repo`` at ``commit`` in ``dest``."""
    common = Path(git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir"))
    dest.parent.mkdir(parents=True, exist_ok=True)
    git(dest.parent, "clone", "--quiet", "--shared", "--no-checkout", str(common), str(dest))
    git(dest, "checkout", "--quiet", "--detach", commit)
    return dest


def link_shared(repo: Path, checkout: Path) -> None:
    """``../shared`` beside the checkout when the repository has one (the tests' reference data).

    The pipeline itself reads nothing there; a revision whose code does finds it.
    """
    shared = (repo / ".." / "shared").resolve()
    link = checkout.parent / "shared"
    if shared.is_dir() and not link.exists():
        link.symlink_to(shared, target_is_directory=True)


def remove_checkout(checkout: Path) -> None:
    """The checkout, the ``shared`` link beside it, and their folder once it is empty."""
    shutil.rmtree(checkout)
    link = checkout.parent / "shared"
    if link.is_symlink():
        link.unlink()
    if not any(checkout.parent.iterdir()):
        checkout.parent.rmdir()


def pipeline_env(checkout: Path) -> dict[str, str]:
    """What the Makefile exports for the stages, with the checkout's code first."""
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(checkout / "src"),
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
    }


def run(args: list[str], cwd: Path, env: dict[str, str], log: Path) -> float:
    """Run a command with stdout and stderr in ``log``.{out,err}; seconds taken.

    A failure raises :class:`CommandError` with the command's stderr.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    out, err = log.with_suffix(".out"), log.with_suffix(".err")
    print(f"  $ {' '.join(args)}   (in {cwd}, log {err})", flush=True)
    started = time.perf_counter()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        done = subprocess.run(args, cwd=cwd, env=env, stdout=stdout, stderr=stderr, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        lines = err.read_text(encoding="utf-8", errors="replace").splitlines()
        raise CommandError(
            f"{' '.join(args)} failed with exit code {done.returncode} in {cwd}; "
            f"its stderr (last {STDERR_SHOWN} lines of {len(lines)}):\n"
            + "\n".join(lines[-STDERR_SHOWN:])
        )
    print(f"    {seconds:.1f} s", flush=True)
    return seconds


def check_code_source(checkout: Path, env: dict[str, str], log: Path) -> None:
    """Fail unless ``import analysis`` finds the checkout's package."""
    code = "import analysis, sys; sys.stdout.write(analysis.__file__)"
    run(["python", "-c", code], checkout, env, log)
    found = Path(log.with_suffix(".out").read_text(encoding="utf-8")).resolve()
    if not found.is_relative_to(checkout.resolve()):
        raise CommandError(f"{checkout}: `import analysis` finds {found}, not the checkout's")


def run_default(checkout: Path, env: dict[str, str], logs: Path) -> dict[str, float]:
    """``dvc repro`` as params.yaml stands: the stages up to drivers, then the renders."""
    return {
        "stages": run(["dvc", "repro", "drivers"], checkout, env, logs / "stages"),
        "render": run(["dvc", "repro"], checkout, env, logs / "render"),
    }


def write_foreign_input(checkout: Path, env: dict[str, str], out: Path, logs: Path) -> Path:
    """The foreign organisation's input and params, from the checkout's test helpers."""
    helper_env = {**env, "PYTHONPATH": f"{checkout / 'src'}{os.pathsep}{checkout / 'tests'}"}
    run(["python", str(FOREIGN_INPUT_SCRIPT), str(out)], checkout, helper_env, logs / "input")
    return out / "params.yaml"


def run_foreign(
    checkout: Path, env: dict[str, str], params: Path, out: Path, logs: Path
) -> dict[str, float]:
    """dvc.yaml's stage commands on ``params`` (the foreign input), outputs under ``out``."""
    years = yaml.safe_load(params.read_text(encoding="utf-8"))["report"]["years"]
    command = ["python", "-m", "analysis", "--params", str(params)]
    paths = ["--interim", str(out / "interim"), "--processed", str(out / "processed")]
    paths += ["--reports", str(out / "reports")]
    ingest = [*command, "ingest", "--out", str(out / "interim")]
    stages = run(ingest, checkout, env, logs / "ingest")
    render = 0.0
    for year in years:
        for stage in ("indexes", "drivers"):
            log = logs / f"{stage}-{year}"
            stages += run([*command, stage, "--year", str(year), *paths], checkout, env, log)
        log = logs / f"render-{year}"
        render += run([*command, "render", "--year", str(year), *paths], checkout, env, log)
    return {"stages": stages, "render": render}


def move_published(checkout: Path, out: Path) -> None:
    """The checkout's published sets (every ``reports/<year>/``) into ``out/reports``."""
    (out / "reports").mkdir(parents=True)
    for year in sorted(p for p in (checkout / "reports").iterdir() if p.is_dir()):
        shutil.move(year, out / "reports" / year.name)


def write_record(out: Path, commit: str, seconds: dict[str, float]) -> None:
    """``run.json``: which commit rendered ``out`` and how long it took."""
    record = {"commit": commit, "seconds": seconds}
    (out / "run.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def read_record(out: Path) -> dict:
    return json.loads((out / "run.json").read_text(encoding="utf-8"))
