# wellled: `make` or `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# `make report HOME=oak-house` names a care home, but a variable given on make's command line is
# exported to every recipe, where HOME must stay the user's home directory (papermill, Jupyter and
# matplotlib write caches there). Keep the care home in HOME_ID and give the recipes the real home back.
ifeq ($(origin HOME),command line)
HOME_ID := $(HOME)
override HOME := $(shell getent passwd "$$(id -u)" | cut -d: -f6)
export HOME
else
HOME_ID ?=
endif

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WELLLED := $(BIN)/wellled
DATA ?= data
REPORTS ?= reports
PATHS := --data "$(DATA)" --reports "$(REPORTS)"
REPORT_OPTS := $(if $(PERIOD),--period "$(PERIOD)") $(if $(FRAMEWORK),--framework "$(FRAMEWORK)") \
	$(if $(MIN_RESPONDENTS),--min-respondents "$(MIN_RESPONDENTS)")

.PHONY: help setup demo check report reports test test-deps lint bench docs clean

help: ## List the targets with what each does
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-9s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/wellled: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

setup: $(BIN)/wellled ## Create .venv and install wellled with its dev tools (other targets do this first)

demo: setup ## Write demo data for six fictional homes, check it, and report on every home
	$(WELLLED) demo --data "$(DATA)"
	$(WELLLED) check $(PATHS)
	$(WELLLED) reports $(PATHS)

check: setup ## Validate data/raw with the Great Expectations suites and write data/clean
	$(WELLLED) check $(PATHS) $(if $(STRICT),--strict)

report: setup ## One home: make report HOME=oak-house [PERIOD=2026-Q3] [FRAMEWORK=cqc-saf-2024] [MIN_RESPONDENTS=10]
	$(WELLLED) report "$(HOME_ID)" $(PATHS) $(REPORT_OPTS) --check-if-changed

reports: setup ## Report on every home, each at its latest quarter (or PERIOD=)
	$(WELLLED) reports $(PATHS) $(REPORT_OPTS) --check-if-changed

test-deps: ## Install axe-core (pinned in tests/a11y/package-lock.json) for the accessibility test
	npm ci --prefix tests/a11y --no-audit --no-fund

test: setup ## Run the test suite (real notebook, real GX suites, real PDF and browser)
	$(BIN)/pytest -q

lint: setup ## Check the code with ruff
	$(BIN)/ruff check src tests bench

bench: setup ## Run the benchmarks in bench/ and print their figures
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_report.py

docs: setup ## Regenerate the data dictionary in docs/ from the suites in expectations/
	$(WELLLED) contract --write docs/data-contract.md

clean: ## Remove the virtual environment, generated data and reports
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
	find $(DATA)/clean $(DATA)/raw $(REPORTS) -mindepth 1 ! -name .gitkeep -exec rm -rf {} + 2>/dev/null || true
