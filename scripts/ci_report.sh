#!/usr/bin/env bash
# The yearly report as CI makes it: the one list of steps that .github/workflows/report.yml
# and the GitLab example in docs/ci.md run, and that tests/test_ci_workflow.py runs on a
# small organisation.
#
#   scripts/ci_report.sh            every step, in this order
#   scripts/ci_report.sh STEP...    only the steps named
#
#   setup   make setup: the pinned .venv, as `make report` and `make test` set it up
#   data    the organisation's export from its DVC remote when a pointer to it
#           (data/raw.dvc) is committed; without one, the synthetic default, which the
#           pipeline's synthesize stage writes
#   report  make report (dvc repro: every year of params.yaml), then the headline metrics
#   status  after the run, `dvc status` must find every stage up to date, and `git status`
#           nothing changed or added but the untracked dvc.lock (docs/ci.md: what that proves)
#   audit   make audit: every published number recomputed from the input tables alone
#
# Exit status: 0 when every step passed; otherwise the failed command's, after a last line
# naming the step (2 also on bad usage).
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS=(setup data report status audit)
export PATH="$PWD/.venv/bin:$PATH"

fail() {
    echo "ci_report: $*" >&2
    return 1
}

# A key of params.yaml, dotted (input.dir).
param() {
    python - "$1" <<'EOF'
import sys

import yaml

with open("params.yaml", encoding="utf-8") as file:
    value = yaml.safe_load(file)
for key in sys.argv[1].split("."):
    value = value[key]
print(value)
EOF
}

step_setup() {
    make setup
}

step_data() {
    local pointers input
    # The export is personal data: only DVC's pointer to it is ever committed.
    mapfile -t pointers < <(git ls-files -- data/raw.dvc 'data/raw/*.dvc')
    if ((${#pointers[@]})); then
        [[ -n "$(dvc remote list)" ]] ||
            fail "${pointers[*]} points to the organisation's export, but no DVC remote" \
                "is configured (dvc remote add -d; docs/ci.md)"
        dvc pull "${pointers[@]}"
    else
        echo "No DVC pointer to an export (data/raw.dvc): the synthetic default."
    fi
    input=$(param input.dir)
    echo "input.dir: $input; report.years: $(param report.years)"
    if [[ "$input" != data/synthetic && ! -d "$input" ]]; then
        fail "input.dir $input is not here: commit its DVC pointer (dvc add data/raw)" \
            "or point input.dir at data/synthetic (docs/ci.md)"
    fi
}

step_report() {
    make report
    dvc metrics show
}

step_status() {
    local changed
    if [[ "$(dvc status --json)" != "{}" ]]; then
        dvc status >&2
        fail "dvc status: not up to date right after dvc repro. A stage changed what it" \
            "or an earlier stage depends on, or an output is missing (docs/ci.md)"
    fi
    echo "dvc status: every stage up to date."
    changed=$(git status --porcelain --untracked-files=all)
    changed=$(grep -vxF '?? dvc.lock' <<<"$changed" || true)
    if [[ -n "$changed" ]]; then
        echo "$changed" >&2
        fail "git status: the run changed files git tracks, or added files it does not" \
            "ignore: the reports must come from the committed code and params.yaml"
    fi
    echo "git status: nothing changed; dvc.lock (untracked) records the run."
}

step_audit() {
    make audit
}

(($#)) || set -- "${STEPS[@]}"
for name; do
    [[ " ${STEPS[*]} " == *" $name "* ]] || {
        echo "usage: scripts/ci_report.sh [STEP...], steps: ${STEPS[*]}" >&2
        exit 2
    }
done
step=""
trap 'status=$?; ((status == 0)) || [[ -z $step ]] || echo "==> ci_report: $step FAILED" >&2' EXIT
for step; do
    printf '\n==> ci_report: %s\n' "$step"
    start=$SECONDS
    "step_$step"
    echo "==> ci_report: $step passed ($((SECONDS - start)) s)"
done
