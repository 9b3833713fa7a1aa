# Air-quality platform: one entry point for running, testing and deploying.
# `make help` lists the targets. Area-specific targets live in mk/*.mk.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAGE := scripts/stage
# Tool sets (extras of pyproject.toml). `make run` needs none of them: each
# target installs the sets it uses into the project venv (`tools-<set>`).
TOOL_SETS := dev terraform images dashboard loadtest

# Spark binds to loopback only, on developer machines and in CI.
export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON ?= $(abspath $(PY))

# Stages that `make test` runs before pytest; each mk/*.mk appends its own.
TEST_SETUP := venv tools java

.PHONY: help venv tools java run test lint $(addprefix tools-,$(TOOL_SETS))

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

# The runtime: this package and its pinned dependencies, nothing else.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e .
	touch $@

# One tool set, e.g. $(VENV)/.tools-dev for the `dev` extra.
$(VENV)/.tools-%: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[$*]'
	touch $@

venv: $(VENV)/.installed ## Create the project venv with the job's runtime only

$(addprefix tools-,$(TOOL_SETS)): tools-%: $(VENV)/.tools-%

tools: $(addprefix tools-,$(TOOL_SETS)) ## Install every tool set of the tests (pinned, see pyproject.toml)

java: ## Install a Java runtime for Spark when none is present
	@command -v java >/dev/null || scripts/ensure-apt openjdk-17-jre-headless

include $(sort $(wildcard mk/*.mk))

run: venv java ## Run one ingest cycle on the bundled sample into SQLite (offline)
	$(VENV)/bin/aqi-ingest run --once --source ingest/sample \
	  --sink sqlite:///data/air_quality.db --state-dir state --summary

lint: tools-dev ## ruff and mypy over the Python code
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: ## Run every test (installs what the tests need first)
	@for stage in $(TEST_SETUP); do $(STAGE) "setup $$stage" $(MAKE) --no-print-directory $$stage; done
	@$(STAGE) lint $(MAKE) --no-print-directory lint
	@$(STAGE) pytest $(PY) -m pytest $(PYTEST_ARGS)
