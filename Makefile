# accord: `make demo` and `make test` set everything up on first use.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { echo $$p; break; }; done)

.PHONY: install demo test lint typecheck unit bench drills clean help

help:
	@echo "make demo   - set up and run the demo on the embedded SQLite database"
	@echo "make test   - set up, lint, type-check and run the whole test suite"
	@echo "make lint   - ruff and mypy --strict"
	@echo "make bench  - run the benchmarks in bench/ (figures, not pass/fail)"
	@echo "make drills - run the reliability and scale-out drills in drills/ (verdicts: lost, doubled, wrong, stuck)"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "accord needs Python 3.11 or newer on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/accord demo $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench) $(wildcard drills)
	$(BIN)/mypy

typecheck: lint

# The suite mostly waits on sandboxes, services and polls: three test processes share two
# cores well. Tests on accord's default ports form one group that runs on one process.
TEST_PROCESSES ?= 3

unit: $(STAMP)
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadgroup $(PYTEST_ARGS)

test: lint unit

bench: $(STAMP)
	@set -e; shopt -s nullglob; for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script; done
	@echo "== bench/peers/run.py"; $(BIN)/python bench/peers/run.py

drills: $(STAMP)
	$(BIN)/python drills/run.py all $(DRILLS_ARGS)

clean:
	rm -rf $(VENV) .accord .mypy_cache .ruff_cache .pytest_cache
