# The project's commands. `make report` and `make test` set everything up
# themselves on a fresh clone: a .venv with the pinned dependencies
# (requirements.txt), the package installed in editable mode, a named
# Jupyter kernel, and - for the browser test - Debian's chromium.

SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
KERNEL := medarbetarenkat
# DVC stages call `python -m analysis ...`: run them with the venv first on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg

.PHONY: setup report test lint format lab bench audit pins browser chromium

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PYTHON) || python3.11 -m venv $(VENV) 2>/dev/null || \
	  { python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' && python3 -m venv $(VENV); } || \
	  { echo "make: the pinned environment needs Python 3.11 (python3.11 or python3 3.11.x)" >&2; exit 1; }
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(PYTHON) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Medarbetarenkät (.venv)" >/dev/null
	@rm -f $(VENV)/.installed-*
	@touch $@

## Every yearly report of params.yaml, offline (dvc repro); the PDFs need Debian's chromium.
report: setup chromium
	dvc repro

## The whole test suite (what CI runs).
test: setup browser
	$(PYTHON) -m pytest -n 2 --dist loadgroup

lint: setup
	ruff check src tests bench scripts notebooks
	ruff format --check src tests bench scripts notebooks

format: setup
	ruff format src tests bench scripts notebooks
	ruff check --fix src tests bench scripts notebooks

## JupyterLab on the project's kernel, for analysts.
lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=$(CURDIR) $(if $(filter 0,$(shell id -u)),--allow-root)

## Speed, memory and correctness benchmarks (never timed tests); the no-op timing needs an
## up-to-date pipeline. Every benchmark runs; the ones that missed a target are named at the end.
BENCHES = noop_repro indexes drivers render privacy driver_recovery change_calibration
bench: report
	@failed=""; for b in $(BENCHES); do \
		$(PYTHON) bench/bench_$$b.py || failed="$$failed bench_$$b"; done; \
	if [ -n "$$failed" ]; then echo "make bench: target missed in:$$failed"; exit 1; fi

## Recompute every published number from the input tables alone (exit 1 on any mismatch).
audit: setup
	$(PYTHON) -m analysis.audit

## Regenerate environment.yml from requirements.txt (after changing a pin).
pins:
	$(PYTHON) scripts/sync_environment.py

## Debian's chromium for the PDFs and the browser test (Playwright cannot download its own
## here), and axe-core from the npm registry for the test's accessibility check (pinned;
## kept in .cache/).
AXE_VERSION = 4.10.3
AXE = .cache/npm/node_modules/axe-core/axe.min.js
browser: chromium $(AXE)

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else \
	    echo "The browser test needs Debian's chromium: sudo apt-get install chromium" >&2; exit 1; \
	  fi; }

$(AXE):
	@command -v npm >/dev/null 2>&1 || { \
	  echo "The accessibility check needs npm (apt-get install npm) to fetch axe-core" >&2; exit 1; }
	npm install --prefix .cache/npm --no-save --no-audit --no-fund --silent axe-core@$(AXE_VERSION)
