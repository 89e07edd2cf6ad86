# wellled: `make` or `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# `make report HOME=oak-house` names a care home, but a variable given on make's command line is
# exported to every recipe, where HOME must stay the user's home directory (papermill, Jupyter and
# matplotlib write caches there). Keep the care home in HOME_ID and give the recipes the real home back.
ifeq ($(origin HOME),command line)
HOME_ID := $(value HOME)
override HOME := $(shell getent passwd "$$(id -u)" | cut -d: -f6)
export HOME
else
HOME_ID ?=
endif

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
WELLLED := $(BIN)/wellled
DATA ?= data
REPORTS ?= reports
# A value a user gives (HOME='x";touch f;"', PERIOD='$$(...)') must never run as code: `$(value ...)` keeps
# make from expanding it, and the recipes read it from the environment as "$$PERIOD", which the shell expands
# as data. The CLI then validates every value.
USER_VARS := HOME_ID PERIOD FRAMEWORK MIN_RESPONDENTS DATA REPORTS JOBS STRICT FORCE
$(foreach var,$(USER_VARS),$(eval override $(var) := $$(value $(var))))
export $(USER_VARS)
PATHS := --data "$$DATA" --reports "$$REPORTS"
REPORT_OPTS := $${PERIOD:+--period "$$PERIOD"} $${FRAMEWORK:+--framework "$$FRAMEWORK"} \
	$${MIN_RESPONDENTS:+--min-respondents "$$MIN_RESPONDENTS"}

.PHONY: help setup lock demo check report reports test test-fast test-deps lint bench docs clean

help: ## List the targets with what each does
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The exact versions in requirements.lock, installed by uv (itself at its locked version), then wellled itself.
$(BIN)/wellled: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$$(grep -m1 '^uv==' $(LOCK) | cut -d' ' -f1)"
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

setup: $(BIN)/wellled ## Create .venv and install the locked versions of wellled's dependencies and dev tools

lock: setup ## Refresh requirements.lock from the ranges in pyproject.toml (UPGRADE=1 moves every pin to the newest)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --quiet \
		$(if $(UPGRADE),--upgrade) --output-file $(LOCK)

demo: setup ## Demo data for six fictional homes, checked; every home's report, the provider overview, the index
	$(WELLLED) demo --data "$$DATA"
	$(WELLLED) check $(PATHS)
	$(WELLLED) reports $(PATHS) $${JOBS:+--jobs "$$JOBS"}

check: setup ## Validate data/raw with the Great Expectations suites and write data/clean
	$(WELLLED) check $(PATHS) $${STRICT:+--strict}

report: setup ## One home: make report HOME=oak-house [PERIOD=2026-Q3] [FRAMEWORK=cqc-saf-2024] [MIN_RESPONDENTS=10]
	$(WELLLED) report "$$HOME_ID" $(PATHS) $(REPORT_OPTS) --check-if-changed

reports: setup ## Every home's report (latest quarter, or PERIOD=), the overview, the index [JOBS=n] [FORCE=1]
	$(WELLLED) reports $(PATHS) $(REPORT_OPTS) --check-if-changed $${JOBS:+--jobs "$$JOBS"} $${FORCE:+--force}

test-deps: ## Install axe-core (pinned in tests/a11y/package-lock.json) for the accessibility test
	npm ci --prefix tests/a11y --no-audit --no-fund

test: setup ## Run the whole test suite (real notebook, real GX suites, real PDF and browser), one worker per core
	$(BIN)/pytest -q -n auto --dist loadscope

test-fast: setup ## Run the tests not marked slow (no notebook, render, browser, make or check-rule runs)
	$(BIN)/pytest -q -n auto --dist loadscope -m "not slow"

lint: setup ## Check the code: ruff lint, ruff format, mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

bench: setup ## Run the benchmarks in bench/ and print their figures
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_report.py

docs: setup ## Regenerate the data dictionary and the clean-data tables in docs/ from their declarations
	$(WELLLED) contract --write docs/data-contract.md
	$(WELLLED) contract --write docs/clean-data.md

clean: ## Remove the virtual environment, generated data and reports
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find "$$DATA/clean" "$$DATA/raw" "$$REPORTS" -mindepth 1 ! -name .gitkeep -exec rm -rf {} + 2>/dev/null || true
