"""Benchmark: a `dvc repro` with nothing changed (issue 2: target under 3 s).

Analysts re-run the pipeline after every edit; when nothing it depends on has
changed it must answer at once. Run after the pipeline is up to date
(`make bench` runs `make report` first); times three no-op runs and prints
the median, with PASS/FAIL against the target.

Run: ``.venv/bin/python bench/bench_noop_repro.py`` from the project root.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 3.0
RUNS = 3


def dvc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dvc"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def main() -> int:
    status = dvc("status")
    if status.returncode != 0 or "up to date" not in status.stdout:
        print("bench_noop_repro: the pipeline is not up to date; run `make report` first")
        print(status.stdout + status.stderr)
        return 1
    seconds = []
    for _ in range(RUNS):
        started = time.perf_counter()
        result = dvc("repro")
        seconds.append(time.perf_counter() - started)
        if result.returncode != 0 or "Running stage" in result.stdout:
            print(f"bench_noop_repro: `dvc repro` was not a no-op:\n{result.stdout}{result.stderr}")
            return 1
    median = statistics.median(seconds)
    verdict = "PASS" if median < TARGET_SECONDS else "FAIL"
    runs = ", ".join(f"{s:.2f}" for s in seconds)
    target = f"target < {TARGET_SECONDS:.0f} s"
    print(f"no-op dvc repro: median {median:.2f} s ({runs}); {target}: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
